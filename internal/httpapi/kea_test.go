package httpapi

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lessor-dhcp/lessor/internal/kjson"
)

const (
	keaDhcp4   = "/usr/sbin/kea-dhcp4"
	keaAgent   = "/usr/sbin/kea-ctrl-agent"
	leaseHook  = "/usr/lib/x86_64-linux-gnu/kea/hooks/libdhcp_lease_cmds.so"
	keaShell   = "/usr/sbin/kea-shell"
	curlBinary = "/usr/bin/curl"
)

func needFile(t *testing.T, paths ...string) {
	t.Helper()
	for _, p := range paths {
		if _, err := os.Stat(p); err != nil {
			t.Skipf("%s is not installed: %v", p, err)
		}
	}
}

func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// startKea runs a Kea binary with config until the test ends, and waits
// until ready reports true.
func startKea(t *testing.T, dir, bin, name, config string, ready func() bool) {
	t.Helper()
	cfg := filepath.Join(dir, name+".json")
	if err := os.WriteFile(cfg, []byte(config), 0o600); err != nil {
		t.Fatal(err)
	}
	log, err := os.Create(filepath.Join(dir, name+".log"))
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "-c", cfg)
	cmd.Env = append(os.Environ(), "KEA_PIDFILE_DIR="+dir, "KEA_LOCKFILE_DIR="+dir, "KEA_LOGGER_DESTINATION=stderr")
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
		log.Close()
	})
	for i := 0; i < 100; i++ {
		if ready() {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	b, _ := os.ReadFile(log.Name())
	t.Fatalf("%s did not start:\n%s", name, b)
}

// startKeaDhcp4 runs kea-dhcp4 with the lease_cmds hook and returns its
// control socket path.
func startKeaDhcp4(t *testing.T, dir string) string {
	t.Helper()
	needFile(t, keaDhcp4, leaseHook)
	sock := filepath.Join(dir, "d4.sock")
	cfg := fmt.Sprintf(`{"Dhcp4":{"interfaces-config":{"interfaces":[]},
"control-socket":{"socket-type":"unix","socket-name":%q},
"lease-database":{"type":"memfile","persist":false},
"hooks-libraries":[{"library":%q}],
"subnet4":[{"id":1,"subnet":"192.0.2.0/24","pools":[{"pool":"192.0.2.10-192.0.2.200"}]}],
"loggers":[{"name":"kea-dhcp4","severity":"WARN","output_options":[{"output":"stderr"}]}]}}`, sock, leaseHook)
	startKea(t, dir, keaDhcp4, "kea-dhcp4", cfg, func() bool {
		c, err := net.Dial("unix", sock)
		if err == nil {
			c.Close()
		}
		return err == nil
	})
	return sock
}

func tcpReady(port int) func() bool {
	return func() bool {
		c, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", port))
		if err == nil {
			c.Close()
		}
		return err == nil
	}
}

// startLessor serves caConfig (a Control-agent map) with forwarding
// dispatchers, on a free port.
func startLessor(t *testing.T, caConfig string, opts ...Option) string {
	t.Helper()
	raw, err := kjson.ParseString([]byte(caConfig))
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := ParseConfig(raw)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Port = 0
	srv, err := New(cfg, nil, nil, opts...)
	if err != nil {
		t.Fatal(err)
	}
	addr, err := srv.Listen()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Serve: %v", err)
		}
	})
	return "http://" + addr.String()
}

type httpCase struct {
	name    string
	method  string
	path    string
	ctype   string // "-" for none
	body    string
	auth    string // full Authorization header value
	noAuth  bool   // send to the agent without authentication
	loose   bool   // answers differ by nature (pid, uptime, version): compare result codes
	headers map[string]string
}

// testClient opens a connection per request: Kea closes a connection
// after some errors, which a reused connection would report as a reset.
var testClient = &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}

type httpAnswer struct {
	status int
	header http.Header
	body   string
}

func send(t *testing.T, base string, c httpCase) httpAnswer {
	t.Helper()
	req, err := http.NewRequest(c.method, base+c.path, strings.NewReader(c.body))
	if err != nil {
		t.Fatal(err)
	}
	if c.method == http.MethodGet && c.body == "" {
		req.Body = nil
		req.ContentLength = 0
	}
	if c.ctype != "-" {
		ct := c.ctype
		if ct == "" {
			ct = "application/json"
		}
		req.Header.Set("Content-Type", ct)
	}
	if c.auth != "" {
		req.Header.Set("Authorization", c.auth)
	}
	for k, v := range c.headers {
		req.Header.Set(k, v)
	}
	resp, err := testClient.Do(req)
	if err != nil {
		t.Fatalf("%s: %v", c.name, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return httpAnswer{status: resp.StatusCode, header: resp.Header, body: string(b)}
}

// resultCodes is the list of "result" values of an agent answer.
func resultCodes(body string) string {
	e, err := kjson.ParseString([]byte(body))
	if err != nil {
		return "unparsable: " + body
	}
	var codes []string
	items := e.L
	if e.Kind == kjson.Map {
		items = []*kjson.Element{e}
	}
	for _, it := range items {
		codes = append(codes, it.Get("result").Str())
	}
	return strings.Join(codes, ",")
}

const basicAdmin = "Basic YWRtaW46c2VjcmV0" // admin:secret

func agentCases() []httpCase {
	j := ""
	return []httpCase{
		{name: "list-commands", method: "POST", ctype: j, body: `{"command":"list-commands"}`},
		{name: "list-commands dhcp4", method: "POST", ctype: j, body: `{"command":"list-commands","service":["dhcp4"]}`},
		{name: "lease4-add", method: "POST", ctype: j, body: `{"command":"lease4-add","service":["dhcp4"],"arguments":{"ip-address":"192.0.2.10","hw-address":"1a:1b:1c:1d:1e:1f","hostname":"a.example.org","valid-lft":3600,"expire":2000000000}}`},
		{name: "lease4-get", method: "POST", ctype: j, body: `{"command":"lease4-get","service":["dhcp4"],"arguments":{"ip-address":"192.0.2.10"}}`},
		{name: "lease4-get-page", method: "POST", ctype: j, body: `{"command":"lease4-get-page","service":["dhcp4"],"arguments":{"from":"start","limit":10}}`},
		{name: "lease4-del", method: "POST", ctype: j, body: `{"command":"lease4-del","service":["dhcp4"],"arguments":{"ip-address":"192.0.2.10"}}`},
		{name: "lease4-get gone", method: "POST", ctype: j, body: `{"command":"lease4-get","service":["dhcp4"],"arguments":{"ip-address":"192.0.2.10"}}`},
		{name: "bad arguments", method: "POST", ctype: j, body: `{"command":"lease4-get","service":["dhcp4"],"arguments":{"ip-address":"x"}}`},
		{name: "unknown command dhcp4", method: "POST", ctype: j, body: `{"command":"nope","service":["dhcp4"]}`},
		{name: "unknown command agent", method: "POST", ctype: j, body: `{"command":"lease4-get-all"}`},
		{name: "empty service list", method: "POST", ctype: j, body: `{"command":"x","service":[]}`},
		{name: "unconfigured service", method: "POST", ctype: j, body: `{"command":"list-commands","service":["dhcp6"]}`},
		{name: "two services", method: "POST", ctype: j, body: `{"command":"x","service":["foo","dhcp4"]}`},
		{name: "service not list", method: "POST", ctype: j, body: `{"command":"x","service":"dhcp4"}`},
		{name: "service not string", method: "POST", ctype: j, body: `{"command":"x","service":[1]}`},
		{name: "unsupported parameter", method: "POST", ctype: j, body: `{"command":"x","foo":1}`},
		{name: "command not string", method: "POST", ctype: j, body: `{"command":1}`},
		{name: "no command", method: "POST", ctype: j, body: `{"arguments":{}}`},
		{name: "list body", method: "POST", ctype: j, body: `[1]`},
		{name: "string body", method: "POST", ctype: j, body: `"x"`},
		{name: "empty body", method: "POST", ctype: j, body: ``},
		{name: "blank body", method: "POST", ctype: j, body: `   `},
		{name: "truncated JSON", method: "POST", ctype: j, body: `{"command":`},
		{name: "trailing data", method: "POST", ctype: j, body: `{"command":"x"} extra`},
		{name: "comment", method: "POST", ctype: j, body: "# c\n{\"command\":\"list-commands\"}"},
		{name: "text/plain", method: "POST", ctype: "text/plain", body: `{"command":"list-commands"}`},
		{name: "charset", method: "POST", ctype: "application/json; charset=utf-8", body: `{"command":"list-commands"}`},
		{name: "upper-case type", method: "POST", ctype: "APPLICATION/JSON", body: `{"command":"list-commands"}`},
		{name: "no content type", method: "POST", ctype: "-", body: `{"command":"list-commands"}`},
		{name: "GET", method: "GET", ctype: "-"},
		{name: "PUT", method: "PUT", ctype: j, body: `{"command":"list-commands"}`},
		{name: "other path", method: "POST", path: "/foo/bar", ctype: j, body: `{"command":"list-commands"}`},
		{name: "config-get", method: "POST", ctype: j, body: `{"command":"config-get"}`, loose: true},
		{name: "config-test no args", method: "POST", ctype: j, body: `{"command":"config-test"}`},
		{name: "config-test empty", method: "POST", ctype: j, body: `{"command":"config-test","arguments":{}}`},
		{name: "config-test bad port", method: "POST", ctype: j, body: `{"command":"config-test","arguments":{"Control-agent":{"http-port":"x"}}}`},
		{name: "config-test ok", method: "POST", ctype: j, body: `{"command":"config-test","arguments":{"Control-agent":{"http-port":18000}}}`},
		{name: "config-test extra", method: "POST", ctype: j, body: `{"command":"config-test","arguments":{"Control-agent":{},"Dhcp4":{}}}`},
		{name: "shutdown bad args", method: "POST", ctype: j, body: `{"command":"shutdown","arguments":{"exit-value":"x"}}`},
		{name: "status-get", method: "POST", ctype: j, body: `{"command":"status-get"}`, loose: true},
		{name: "version-get", method: "POST", ctype: j, body: `{"command":"version-get"}`, loose: true},
		{name: "build-report", method: "POST", ctype: j, body: `{"command":"build-report"}`, loose: true},
	}
}

// TestAgentMatchesKea sends the same requests to Kea's kea-ctrl-agent and
// to lessor's agent, both forwarding to one kea-dhcp4, and compares the
// answers.
func TestAgentMatchesKea(t *testing.T) {
	needFile(t, keaAgent)
	dir := t.TempDir()
	sock := startKeaDhcp4(t, dir)
	// lessor forwards to a kea-dhcp4 of its own, so that both see the
	// same lease table.
	dir2 := t.TempDir()
	sock2 := startKeaDhcp4(t, dir2)
	agentConf := func(port int, auth string) string {
		return fmt.Sprintf(`{"Control-agent":{"http-host":"127.0.0.1","http-port":%d,
"control-sockets":{"dhcp4":{"socket-type":"unix","socket-name":%q}}%s,
"loggers":[{"name":"kea-ctrl-agent","severity":"WARN","output_options":[{"output":"stderr"}]}]}}`, port, sock, auth)
	}
	const auth = `,"authentication":{"type":"basic","realm":"kea-realm","clients":[{"user":"admin","password":"secret"},{"user":"ro","password":"other"}]}`

	plainPort, authPort := freePort(t), freePort(t)
	startKea(t, dir, keaAgent, "ca-plain", agentConf(plainPort, ""), tcpReady(plainPort))
	startKea(t, dir, keaAgent, "ca-auth", agentConf(authPort, auth), tcpReady(authPort))
	kea := fmt.Sprintf("http://127.0.0.1:%d", plainPort)
	keaAuth := fmt.Sprintf("http://127.0.0.1:%d", authPort)
	// config-get shows the configuration: compare it with a listener
	// configured exactly as Kea's (same socket, same port number).
	for _, a := range []string{"", auth} {
		k := send(t, kea, httpCase{method: "POST", body: `{"command":"config-get"}`, auth: basicAdmin})
		port := plainPort
		if a != "" {
			k = send(t, keaAuth, httpCase{method: "POST", body: `{"command":"config-get"}`, auth: basicAdmin})
			port = authPort
		}
		raw := mustParse(t, agentConf(port, a))
		cfg, err := ParseConfig(raw)
		if err != nil {
			t.Fatal(err)
		}
		srv, err := New(cfg, nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		if l := kjson.NewList(srv.agentCommand(context.Background(), "config-get", nil)).Str(); l != k.body {
			t.Errorf("config-get:\nkea    %s\nlessor %s", k.body, l)
		}
	}

	sock = sock2
	lessor := startLessor(t, agentConf(0, ""))
	lessorAuth := startLessor(t, agentConf(0, auth))

	compare := func(t *testing.T, c httpCase, k, l httpAnswer) {
		t.Helper()
		if k.status != l.status {
			t.Errorf("%s: status: kea %d, lessor %d (%s)", c.name, k.status, l.status, l.body)
		}
		for _, h := range []string{"Content-Type", "WWW-Authenticate"} {
			if k.header.Get(h) != l.header.Get(h) {
				t.Errorf("%s: %s: kea %q, lessor %q", c.name, h, k.header.Get(h), l.header.Get(h))
			}
		}
		if c.loose {
			if kc, lc := resultCodes(k.body), resultCodes(l.body); kc != lc {
				t.Errorf("%s: result codes: kea %s, lessor %s", c.name, kc, lc)
			}
			return
		}
		if k.body != l.body {
			t.Errorf("%s: body:\nkea    %s\nlessor %s", c.name, k.body, l.body)
		}
	}
	t.Run("plain", func(t *testing.T) {
		for _, c := range agentCases() {
			// Each lease command runs once against each server, in the same
			// order, so that both see the same lease table.
			compare(t, c, send(t, kea, c), send(t, lessor, c))
		}
	})
	t.Run("auth", func(t *testing.T) {
		var cases []httpCase
		for _, c := range agentCases() {
			if strings.HasPrefix(c.name, "lease4-") {
				continue
			}
			noCred := c
			noCred.name += " (no credentials)"
			good := c
			good.name += " (good credentials)"
			good.auth = basicAdmin
			cases = append(cases, noCred, good)
		}
		j := ""
		body := `{"command":"list-commands"}`
		cases = append(cases,
			httpCase{name: "wrong password", method: "POST", ctype: j, body: body, auth: "Basic YWRtaW46d3Jvbmc="},
			httpCase{name: "second client", method: "POST", ctype: j, body: body, auth: "Basic cm86b3RoZXI="},
			httpCase{name: "bearer", method: "POST", ctype: j, body: body, auth: "Bearer xyz"},
			httpCase{name: "lower-case scheme, spaces", method: "POST", ctype: j, body: body, auth: "basic   YWRtaW46c2VjcmV0  "},
			httpCase{name: "short header", method: "POST", ctype: j, body: body, auth: "Basic"},
			httpCase{name: "scheme only", method: "POST", ctype: j, body: body, auth: "Basic        "},
			httpCase{name: "unpadded", method: "POST", ctype: j, body: body, auth: "Basic cm86b3RoZXI"},
			httpCase{name: "bad text/plain with credentials", method: "POST", ctype: "text/plain", body: body, auth: basicAdmin},
		)
		for _, c := range cases {
			compare(t, c, send(t, keaAuth, c), send(t, lessorAuth, c))
		}
	})
}
