package httpapi

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/lessor-dhcp/lessor/internal/kjson"
)

// recorder is an in-process service that answers with the command it got.
type recorder struct {
	mu    sync.Mutex
	seen  []string
	block chan struct{} // when set, Dispatch waits on it
}

func (r *recorder) Dispatch(ctx context.Context, cmd *kjson.Element) *kjson.Element {
	if r.block != nil {
		select {
		case <-r.block:
		case <-ctx.Done():
		}
	}
	r.mu.Lock()
	r.seen = append(r.seen, cmd.Str())
	r.mu.Unlock()
	return kjson.NewMap().Set("result", kjson.NewInt(0)).Set("arguments", kjson.NewMap().Set("got", cmd))
}

type served struct {
	base string
	srv  *Server
	done chan error
}

func serve(t *testing.T, cfg *Config, services map[string]Dispatcher, log *slog.Logger, opts ...Option) *served {
	t.Helper()
	cfg.Host, cfg.Port = "127.0.0.1", 0
	srv, err := New(cfg, services, log, opts...)
	if err != nil {
		t.Fatal(err)
	}
	addr, err := srv.Listen()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	s := &served{base: "http://" + addr.String(), srv: srv, done: make(chan error, 1)}
	go func() { s.done <- srv.Serve(ctx) }()
	t.Cleanup(func() {
		cancel()
		select {
		case <-s.done:
		case <-time.After(10 * time.Second):
			t.Error("Serve did not return")
		}
	})
	return s
}

func post(t *testing.T, base, body string, hdr ...string) httpAnswer {
	t.Helper()
	c := httpCase{name: body, method: "POST", body: body}
	if len(hdr) > 0 {
		c.auth = hdr[0]
	}
	return send(t, base, c)
}

func parseConf(t *testing.T, s string) *Config {
	t.Helper()
	cfg, err := ParseConfig(mustParse(t, s))
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

func TestInProcessServices(t *testing.T) {
	d4, d6 := &recorder{}, &recorder{}
	s := serve(t, parseConf(t, `{}`), map[string]Dispatcher{"dhcp4": d4, "dhcp6": d6}, nil)
	cases := []struct{ body, want string }{
		{`{"command":"lease4-get","service":["dhcp4"],"arguments":{"ip-address":"192.0.2.1"}}`,
			`[ { "arguments": { "got": { "arguments": { "ip-address": "192.0.2.1" }, "command": "lease4-get" } }, "result": 0 } ]`},
		{`{"command":"x","service":["dhcp6","d2","dhcp4"]}`,
			`[ { "arguments": { "got": { "command": "x" } }, "result": 0 }, { "result": 1, "text": "forwarding socket is not configured for the server type d2" }, { "arguments": { "got": { "command": "x" } }, "result": 0 } ]`},
		{`{"command":"x","service":["dhcp4",2]}`,
			`[ { "result": 1, "text": "Error during command processing: stringValue() called on non-string Element in (<string>:1:35)" } ]`},
	}
	for _, c := range cases {
		a := post(t, s.base, c.body)
		if a.status != 200 || a.body != c.want {
			t.Errorf("%s:\n got %d %s\nwant %s", c.body, a.status, a.body, c.want)
		}
	}
	if len(d4.seen) != 3 || len(d6.seen) != 1 {
		t.Errorf("dispatched dhcp4 %v, dhcp6 %v", d4.seen, d6.seen)
	}
}

func TestServerMode(t *testing.T) {
	cfg, err := ParseServerSocket(mustParse(t, `{"socket-type":"http","http-headers":[{"name":"X-Frame-Options","value":"DENY"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	d4 := &recorder{}
	s := serve(t, cfg, map[string]Dispatcher{"dhcp4": d4}, nil)
	cases := []struct{ body, want string }{
		{`{"command":"status-get"}`, `[ { "arguments": { "got": { "command": "status-get" } }, "result": 0 } ]`},
		{`{"command":"status-get","service":["dhcp4"]}`, `[ { "arguments": { "got": { "command": "status-get" } }, "result": 0 } ]`},
		{`{"command":"status-get","service":[]}`, `[ { "arguments": { "got": { "command": "status-get" } }, "result": 0 } ]`},
		{`{"command":"status-get","service":["dhcp6"]}`, `[ { "result": 1, "text": "unsupported service 'dhcp6', expected 'dhcp4'" } ]`},
		{`{"command":"status-get","service":["dhcp4","dhcp6"]}`, `[ { "result": 1, "text": "service value has more than one item" } ]`},
		{`{"command":"status-get","service":[4]}`, `[ { "result": 1, "text": "service name must be a string" } ]`},
		{`{"command":"status-get","service":"dhcp4"}`, `[ { "result": 1, "text": "service value must be a list" } ]`},
		{`{"command":"status-get","x":1}`, `[ { "result": 1, "text": "Error during command processing: Received command contains unsupported parameter 'x'" } ]`},
		{``, `[ { "result": 1, "text": "Command processing failed: NULL command parameter" } ]`},
	}
	for _, c := range cases {
		a := post(t, s.base, c.body)
		if a.status != 200 || a.body != c.want {
			t.Errorf("%s:\n got %d %s\nwant %s", c.body, a.status, a.body, c.want)
		}
		if a.header.Get("X-Frame-Options") != "DENY" {
			t.Errorf("%s: http-headers not sent: %v", c.body, a.header)
		}
	}
	if a := send(t, s.base, httpCase{method: "GET", ctype: "-"}); a.status != 400 || a.header.Get("X-Frame-Options") != "DENY" {
		t.Errorf("GET: %d %v", a.status, a.header)
	}
}

func TestLimits(t *testing.T) {
	t.Run("body size", func(t *testing.T) {
		cfg := parseConf(t, `{"user-context":{"lessor":{"max-body-size":100}}}`)
		s := serve(t, cfg, nil, nil)
		a := post(t, s.base, `{"command":"list-commands","arguments":{"pad":"`+strings.Repeat("x", 200)+`"}}`)
		if a.status != 413 || a.body != `{ "result": 413, "text": "Payload Too Large" }` {
			t.Errorf("big body: %d %s", a.status, a.body)
		}
		if a := post(t, s.base, `{"command":"list-commands"}`); a.status != 200 {
			t.Errorf("small body: %d %s", a.status, a.body)
		}
	})
	t.Run("concurrency", func(t *testing.T) {
		cfg := parseConf(t, `{"user-context":{"lessor":{"max-concurrent-requests":1,"read-timeout":1}}}`)
		d4 := &recorder{block: make(chan struct{})}
		s := serve(t, cfg, map[string]Dispatcher{"dhcp4": d4}, nil)
		first := make(chan httpAnswer)
		go func() { first <- post(t, s.base, `{"command":"x","service":["dhcp4"]}`) }()
		time.Sleep(200 * time.Millisecond)
		start := time.Now()
		a := post(t, s.base, `{"command":"list-commands"}`)
		if a.status != 503 || a.body != `{ "result": 503, "text": "Service Unavailable" }` {
			t.Errorf("second request while busy: %d %s", a.status, a.body)
		}
		if d := time.Since(start); d < 900*time.Millisecond || d > 5*time.Second {
			t.Errorf("refused after %v, want about the read timeout", d)
		}
		close(d4.block)
		if a := <-first; a.status != 200 {
			t.Errorf("blocked request: %d %s", a.status, a.body)
		}
	})
	t.Run("slow client", func(t *testing.T) {
		cfg := parseConf(t, `{"user-context":{"lessor":{"read-timeout":1}}}`)
		s := serve(t, cfg, nil, nil)
		c, err := net.Dial("tcp", strings.TrimPrefix(s.base, "http://"))
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		fmt.Fprintf(c, "POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{")
		c.SetReadDeadline(time.Now().Add(5 * time.Second))
		start := time.Now()
		b, _ := io.ReadAll(c)
		if d := time.Since(start); d > 4*time.Second {
			t.Errorf("connection held %v past the read timeout", d)
		}
		if strings.Contains(string(b), "200 OK") {
			t.Errorf("incomplete request answered: %q", b)
		}
	})
}

func TestMetrics(t *testing.T) {
	const auth = `"authentication":{"type":"basic","clients":[{"user":"admin","password":"secret"}]}`
	reg := prometheus.NewRegistry()
	s := serve(t, parseConf(t, `{`+auth+`}`), map[string]Dispatcher{"dhcp4": &recorder{}}, nil, WithMetrics(reg, reg))
	post(t, s.base, `{"command":"lease4-get","service":["dhcp4"]}`, basicAdmin)
	post(t, s.base, `{"command":"list-commands"}`, basicAdmin)
	post(t, s.base, `{"command":"made-up-by-a-client"}`, basicAdmin)
	get := func(base, path, authz string) httpAnswer {
		return send(t, base, httpCase{method: "GET", path: path, ctype: "-", auth: authz})
	}
	if a := get(s.base, "/metrics", ""); a.status != 401 {
		t.Errorf("metrics without credentials: %d", a.status)
	}
	a := get(s.base, "/metrics", basicAdmin)
	if a.status != 200 {
		t.Fatalf("metrics: %d %s", a.status, a.body)
	}
	for _, want := range []string{
		`lessor_http_api_commands_total{command="lease4-get",result="0",service="dhcp4"} 1`,
		`lessor_http_api_commands_total{command="list-commands",result="0",service=""} 1`,
		`lessor_http_api_commands_total{command="unsupported",result="2",service=""} 1`,
		`lessor_http_api_command_duration_seconds_count{command="lease4-get",service="dhcp4"} 1`,
	} {
		if !strings.Contains(a.body, want) {
			t.Errorf("metrics lack %s:\n%s", want, a.body)
		}
	}
	open := serve(t, parseConf(t, `{`+auth+`,"user-context":{"lessor":{"metrics-open":true,"metrics-path":"/m"}}}`), nil, nil, WithMetrics(reg, nil))
	if a := get(open.base, "/m", ""); a.status != 200 {
		t.Errorf("open metrics: %d", a.status)
	}
	if a := get(open.base, "/metrics", ""); a.status != 400 {
		t.Errorf("GET elsewhere: %d", a.status)
	}
	off := serve(t, parseConf(t, `{"user-context":{"lessor":{"metrics":false}}}`), nil, nil, WithMetrics(reg, nil))
	if a := get(off.base, "/metrics", ""); a.status != 400 {
		t.Errorf("disabled metrics: %d", a.status)
	}
}

func TestNoCredentialsInLogs(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	s := serve(t, parseConf(t, `{"authentication":{"type":"basic","clients":[{"user":"admin","password":"secret"}]}}`),
		map[string]Dispatcher{"dhcp4": &recorder{}}, log)
	post(t, s.base, `{"command":"list-commands","service":["dhcp4"]}`, basicAdmin)
	post(t, s.base, `{"command":"list-commands"}`, "Basic YWRtaW46c2VjcmV1")
	post(t, s.base, `{"command":`, basicAdmin)
	out := buf.String()
	if !strings.Contains(out, "not authorized") || !strings.Contains(out, "user=admin") {
		t.Errorf("log lacks the authorization events:\n%s", out)
	}
	for _, secret := range []string{"secret", "YWRtaW46c2VjcmV0", "YWRtaW46c2VjcmV1"} {
		if strings.Contains(out, secret) {
			t.Errorf("log holds %q:\n%s", secret, out)
		}
	}
}

func TestAgentCommands(t *testing.T) {
	dir := t.TempDir()
	var reconf []string
	var exitValue = -1
	s := serve(t, parseConf(t, `{"control-sockets":{"dhcp4":{"socket-name":"/nonexistent/sock"}},"loggers":[{"name":"kea-ctrl-agent","output_options":[{"output":"/var/log/ca.log"}]}]}`), nil, nil,
		WithConfigFile(filepath.Join(dir, "default.json")),
		WithReconfigure(func(ctx context.Context, raw *kjson.Element) *kjson.Element {
			reconf = append(reconf, raw.Str())
			return answer(0, "Configuration applied successfully.")
		}),
		WithShutdown(func(v int) { exitValue = v }))
	cases := []struct{ body, want string }{
		{`{"command":"x","service":["dhcp4"]}`, `[ { "result": 1, "text": "unable to forward command to the dhcp4 service: No such file or directory. The server is likely to be offline" } ]`},
		{`{"command":"config-write","arguments":{"filename":1}}`, `[ { "result": 1, "text": "passed parameter 'filename' is not a string" } ]`},
		{`{"command":"config-set","arguments":{"Control-agent":{"http-port":8001}}}`, `[ { "result": 0, "text": "Configuration applied successfully." } ]`},
		{`{"command":"config-set","arguments":{"Control-agent":{"http-port":-1}}}`, `[ { "result": 1, "text": "out of range value (-1) specified for parameter 'http-port' (<string>:1:67)" } ]`},
		{`{"command":"config-set","arguments":[]}`, `[ { "result": 1, "text": "Error during command processing: get(string) called on a non-map Element in (<string>:1:38)" } ]`},
		{`{"command":"config-reload"}`, `[ { "result": 0, "text": "Configuration applied successfully." } ]`},
		{`{"command":"shutdown","arguments":{"exit-value":3}}`, `[ { "result": 0, "text": "Control Agent is shutting down" } ]`},
	}
	for _, c := range cases {
		if a := post(t, s.base, c.body); a.body != c.want {
			t.Errorf("%s:\n got %s\nwant %s", c.body, a.body, c.want)
		}
	}
	a := post(t, s.base, `{"command":"config-write"}`)
	written, err := os.ReadFile(filepath.Join(dir, "default.json"))
	if err != nil {
		t.Fatal(err)
	}
	want := fmt.Sprintf(`[ { "arguments": { "filename": "%s/default.json", "size": %d }, "result": 0, "text": "Configuration written to %s/default.json successful" } ]`, dir, len(written), dir)
	if a.body != want {
		t.Errorf("config-write:\n got %s\nwant %s", a.body, want)
	}
	if len(reconf) != 2 || reconf[0] != `{ "http-port": 8001 }` || reconf[1] != "None" || exitValue != 3 {
		t.Errorf("hooks saw %q, exit %d", reconf, exitValue)
	}
	back, err := ParseConfig(mustParse(t, string(written)))
	if err != nil {
		t.Fatalf("written configuration does not parse: %v\n%s", err, written)
	}
	if back.Sockets["dhcp4"].Name != "/nonexistent/sock" {
		t.Errorf("written configuration: %s", written)
	}
	if !strings.Contains(string(written), `"maxsize": 10240000`) {
		t.Errorf("logger defaults missing: %s", written)
	}
}

func TestShutdownStopsServe(t *testing.T) {
	s := serve(t, parseConf(t, `{}`), nil, nil)
	if a := post(t, s.base, `{"command":"shutdown"}`); a.body != `[ { "result": 0, "text": "Control Agent is shutting down" } ]` {
		t.Fatalf("shutdown: %s", a.body)
	}
	select {
	case err := <-s.done:
		if err != nil {
			t.Errorf("Serve: %v", err)
		}
		s.done <- nil
	case <-time.After(5 * time.Second):
		t.Fatal("Serve still running after shutdown")
	}
	if _, err := http.Post(s.base, "application/json", strings.NewReader(`{}`)); err == nil {
		t.Errorf("listener still open")
	}
}

func TestMaxConnections(t *testing.T) {
	cfg := parseConf(t, `{"user-context":{"lessor":{"max-connections":2}}}`)
	s := serve(t, cfg, nil, nil)
	addr := strings.TrimPrefix(s.base, "http://")
	var held []net.Conn
	for i := 0; i < 2; i++ {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		held = append(held, c)
	}
	time.Sleep(100 * time.Millisecond)
	answered := make(chan httpAnswer, 1)
	go func() { answered <- post(t, s.base, `{"command":"list-commands"}`) }()
	select {
	case a := <-answered:
		t.Fatalf("third connection served while two are open: %d", a.status)
	case <-time.After(300 * time.Millisecond):
	}
	held[0].Close()
	select {
	case a := <-answered:
		if a.status != 200 {
			t.Errorf("after a slot freed: %d %s", a.status, a.body)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("waiting connection never served")
	}
}

// FuzzRequest feeds arbitrary bodies to the handler: every answer must be
// one of Kea's statuses with a JSON body.
func FuzzRequest(f *testing.F) {
	for _, c := range agentCases() {
		f.Add(c.body, c.ctype)
	}
	f.Add(`{"command":"x","service":["dhcp4",{"a":[1,2]}],"arguments":{"ip-address":"192.0.2.1"}}`, "")
	cfg, err := ParseConfig(kjson.MustParse(`{"user-context":{"lessor":{"max-body-size":4096}}}`))
	if err != nil {
		f.Fatal(err)
	}
	srv, err := New(cfg, map[string]Dispatcher{"dhcp4": &recorder{}}, nil)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, body, ctype string) {
		req := httptest.NewRequest("POST", "/", strings.NewReader(body))
		if ctype == "" {
			ctype = "application/json"
		}
		req.Header.Set("Content-Type", ctype)
		rec := httptest.NewRecorder()
		srv.ServeHTTP(rec, req)
		switch rec.Code {
		case 200, 400, 413:
		default:
			t.Fatalf("status %d", rec.Code)
		}
		e, err := kjson.ParseString(rec.Body.Bytes())
		if err != nil {
			t.Fatalf("answer is not JSON: %v: %q", err, rec.Body.String())
		}
		if rec.Code == 200 && (e.Kind != kjson.List || len(e.L) == 0) {
			t.Fatalf("answer is not a list: %s", e.Str())
		}
	})
}

func TestApply(t *testing.T) {
	cfg := parseConf(t, `{"authentication":{"type":"basic","clients":[{"user":"admin","password":"secret"}]}}`)
	s := serve(t, cfg, map[string]Dispatcher{"dhcp4": &recorder{}}, nil)
	if a := post(t, s.base, `{"command":"list-commands"}`, basicAdmin); a.status != 200 {
		t.Fatalf("before: %d", a.status)
	}
	next := parseConf(t, `{"http-port":0,"authentication":{"type":"basic","realm":"new","clients":[{"user":"ro","password":"other"}]},
"control-sockets":{"d2":{"socket-name":"/nonexistent"}}}`)
	if err := s.srv.Apply(next); err != nil {
		t.Fatal(err)
	}
	if a := post(t, s.base, `{"command":"list-commands"}`, basicAdmin); a.status != 401 || a.header.Get("WWW-Authenticate") != `Basic realm="new"` {
		t.Errorf("old credentials after Apply: %d %v", a.status, a.header)
	}
	a := post(t, s.base, `{"command":"x","service":["d2","dhcp4"]}`, "Basic cm86b3RoZXI=")
	if a.status != 200 || !strings.Contains(a.body, "unable to forward command to the d2 service") || !strings.Contains(a.body, `"got"`) {
		t.Errorf("after Apply: %d %s", a.status, a.body)
	}
	if c := post(t, s.base, `{"command":"config-get"}`, "Basic cm86b3RoZXI="); !strings.Contains(c.body, `"realm": "new"`) {
		t.Errorf("config-get after Apply: %s", c.body)
	}
	for _, bad := range []string{`{"http-port":1}`, `{"http-port":0,"trust-anchor":"a","cert-file":"b","key-file":"c"}`} {
		if err := s.srv.Apply(parseConf(t, bad)); err == nil {
			t.Errorf("Apply(%s) accepted", bad)
		}
	}
}
