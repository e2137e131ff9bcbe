// Package abuse attacks lessor's UNIX control socket — oversized, slow,
// silent, malformed and deeply nested commands, thousands of connections,
// floods — and measures how a well-behaved client fares meanwhile.
//
//	go test ./test/abuse/                     (about a minute)
//	LESSOR_ABUSE_LONG=1 go test ./test/abuse/ longer floods, more connections
package abuse

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lessor-dhcp/lessor/test/crash/lessorproc"
)

func long() bool { return os.Getenv("LESSOR_ABUSE_LONG") == "1" }

// latencies of the well-behaved client during one abuse.
type latencies struct {
	d      []time.Duration
	failed []string
}

func (l *latencies) quantile(q float64) time.Duration {
	if len(l.d) == 0 {
		return 0
	}
	s := slices.Clone(l.d)
	slices.Sort(s)
	return s[min(len(s)-1, int(q*float64(len(s))))]
}

// probe sends lease4-get for a known lease every 10 ms until ctx is done.
func probe(ctx context.Context, sock string) *latencies {
	l := &latencies{}
	cmd := lessorproc.Command("lease4-get", map[string]any{"ip-address": "10.0.0.1"})
	for ctx.Err() == nil {
		t0 := time.Now()
		rctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		a, err := lessorproc.Do(rctx, sock, cmd)
		cancel()
		switch {
		case err != nil:
			l.failed = append(l.failed, err.Error())
		case a.Result != 0:
			l.failed = append(l.failed, a.Text)
		default:
			l.d = append(l.d, time.Since(t0))
		}
		select {
		case <-ctx.Done():
		case <-time.After(10 * time.Millisecond):
		}
	}
	return l
}

// server is a lessor with a v4 control socket and one known lease.
type server struct {
	proc *lessorproc.Proc
	sock string
}

func startServer(t *testing.T) *server {
	t.Helper()
	bin := lessorproc.Binary(t)
	p, err := lessorproc.WriteConfig(lessorproc.Options{Dir: t.TempDir(), V4: true})
	if err != nil {
		t.Fatal(err)
	}
	proc, err := lessorproc.Start(context.Background(), bin, p)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(proc.Stop)
	s := &server{proc: proc, sock: p.Sock4}
	a := s.do(t, lessorproc.Command("lease4-add", map[string]any{
		"ip-address": "10.0.0.1", "hw-address": "02:00:00:00:00:01", "subnet-id": 1, "hostname": "probe.example.org"}))
	if a.Result != 0 {
		t.Fatalf("lease4-add: %s", a.Raw)
	}
	return s
}

func (s *server) do(t *testing.T, cmd []byte) *lessorproc.Answer {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	a, err := lessorproc.Do(ctx, s.sock, cmd)
	if err != nil {
		t.Fatalf("%.100s: %v", cmd, err)
	}
	return a
}

// alive checks that the process runs and answers.
func (s *server) alive(t *testing.T) {
	t.Helper()
	if !s.proc.Alive() {
		t.Fatalf("lessor died; log:\n%s", tailFile(s.proc.ServerLogFile))
	}
	if a := s.do(t, []byte(`{"command":"list-commands"}`)); a.Result != 0 {
		t.Fatalf("list-commands: %s", a.Raw)
	}
}

func (s *server) rssKiB() int {
	b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/status", s.proc.Pid()))
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "VmRSS:" {
			n, _ := strconv.Atoi(f[1])
			return n
		}
	}
	return 0
}

func (s *server) fds() int {
	e, _ := os.ReadDir(fmt.Sprintf("/proc/%d/fd", s.proc.Pid()))
	return len(e)
}

// during runs abuse while a well-behaved client probes the server, and
// logs the client's latency. Every probe must be answered (liveness).
func during(t *testing.T, s *server, name string, abuse func(ctx context.Context)) *latencies {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	res := make(chan *latencies, 1)
	go func() { res <- probe(ctx, s.sock) }()
	time.Sleep(50 * time.Millisecond)
	abuse(ctx)
	cancel()
	l := <-res
	t.Logf("ABUSE %-28s probe n=%-5d p50=%-10v p99=%-10v max=%-10v failed=%d server rss=%d KiB",
		name, len(l.d), l.quantile(0.5).Round(time.Microsecond), l.quantile(0.99).Round(time.Microsecond),
		l.quantile(1).Round(time.Microsecond), len(l.failed), s.rssKiB())
	if len(l.failed) > 0 {
		t.Errorf("%s: %d probe commands failed, first: %s", name, len(l.failed), l.failed[0])
	}
	if len(l.d) == 0 {
		t.Errorf("%s: the well-behaved client was never answered", name)
	}
	s.alive(t)
	return l
}

// rawExchange writes payload (possibly huge) while reading the answer.
func rawExchange(sock string, payload []byte, timeout time.Duration) ([]byte, error) {
	c, err := net.Dial("unix", sock)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(timeout))
	go func() {
		c.Write(payload)
	}()
	var buf bytes.Buffer
	_, err = buf.ReadFrom(c)
	if buf.Len() > 0 {
		return buf.Bytes(), nil
	}
	return nil, err
}

type answer struct {
	Result *int   `json:"result"`
	Text   string `json:"text"`
}

func parseAnswer(t *testing.T, raw []byte) answer {
	t.Helper()
	var a answer
	if err := json.Unmarshal(raw, &a); err != nil || a.Result == nil {
		t.Fatalf("answer is not a Kea answer (%v): %.300q", err, raw)
	}
	return a
}

func TestBaseline(t *testing.T) {
	s := startServer(t)
	during(t, s, "none (baseline)", func(ctx context.Context) { time.Sleep(2 * time.Second) })
}

func TestOversized(t *testing.T) {
	s := startServer(t)
	const limit = 64 << 20
	n := 3
	during(t, s, fmt.Sprintf("%d x 65 MiB commands", n), func(ctx context.Context) {
		payload := append([]byte(`{"command":"lease4-get","arguments":{"hostname":"`), bytes.Repeat([]byte("a"), limit+(1<<20))...)
		var wg sync.WaitGroup
		for range n {
			wg.Go(func() {
				raw, err := rawExchange(s.sock, payload, 60*time.Second)
				if err != nil {
					t.Errorf("oversized command: no answer: %v", err)
					return
				}
				a := parseAnswer(t, raw)
				if *a.Result != 1 || a.Text != "Command exceeds the maximum size of 67108864 bytes" {
					t.Errorf("oversized command answered %s", raw)
				}
			})
		}
		wg.Wait()
	})
}

func TestSlowAndSilentClients(t *testing.T) {
	s := startServer(t)
	const silent, partial = 50, 200
	type got struct {
		text    string
		elapsed time.Duration
	}
	results := make(chan got, silent+partial)
	trickleHeld := make(chan time.Duration, 1)
	during(t, s, fmt.Sprintf("%d silent + %d partial", silent, partial), func(ctx context.Context) {
		var wg sync.WaitGroup
		for i := range silent + partial {
			wg.Go(func() {
				c, err := net.Dial("unix", s.sock)
				if err != nil {
					t.Errorf("dial: %v", err)
					return
				}
				defer c.Close()
				t0 := time.Now()
				if i >= silent {
					c.Write([]byte(`{"command": "list-`))
				}
				c.SetDeadline(time.Now().Add(40 * time.Second))
				var buf bytes.Buffer
				buf.ReadFrom(c)
				results <- got{buf.String(), time.Since(t0)}
			})
		}
		// A client that sends one byte a second for 15 s.
		wg.Go(func() {
			c, err := net.Dial("unix", s.sock)
			if err != nil {
				return
			}
			defer c.Close()
			t0 := time.Now()
			c.Write([]byte("{"))
			for range 15 {
				time.Sleep(time.Second)
				if _, err := c.Write([]byte(" ")); err != nil {
					break
				}
			}
			trickleHeld <- time.Since(t0)
		})
		wg.Wait()
	})
	close(results)
	texts := map[string]int{}
	var slowest time.Duration
	for r := range results {
		texts[r.text]++
		slowest = max(slowest, r.elapsed)
	}
	want := map[string]int{
		`{ "result": 1, "text": "Connection over control channel timed out" }`:                                        silent,
		`{ "result": 1, "text": "Connection over control channel timed out, discarded partial command of 18 bytes" }`: partial,
	}
	for text, n := range want {
		if texts[text] != n {
			t.Errorf("%d answers %s, want %d; all answers: %v", texts[text], text, n, texts)
		}
	}
	held := <-trickleHeld
	t.Logf("idle clients answered after at most %v; a client sending a byte a second was held %v", slowest.Round(time.Millisecond), held.Round(time.Millisecond))
	if slowest > 25*time.Second {
		t.Errorf("idle clients answered after %v", slowest)
	}
}

func TestManyConnections(t *testing.T) {
	s := startServer(t)
	n := 3000
	if long() {
		n = 15000
	}
	var opened atomic.Int64
	var maxFDs int
	l := during(t, s, fmt.Sprintf("%d idle connections", n), func(ctx context.Context) {
		conns := make([]net.Conn, 0, n)
		for range n {
			c, err := net.Dial("unix", s.sock)
			if err != nil {
				t.Logf("connection %d refused: %v", len(conns), err)
				break
			}
			conns = append(conns, c)
			opened.Add(1)
		}
		deadline := time.Now().Add(12 * time.Second)
		for time.Now().Before(deadline) {
			maxFDs = max(maxFDs, s.fds())
			time.Sleep(200 * time.Millisecond)
		}
		for _, c := range conns {
			c.Close()
		}
	})
	t.Logf("%d connections opened, at most %d file descriptors in the server", opened.Load(), maxFDs)
	if maxFDs > 1100 {
		t.Errorf("server held %d file descriptors: connections are not bounded", maxFDs)
	}
	// Liveness, generously: idle connections must not make the probe
	// wait for their 10 s timeout.
	if worst := l.quantile(1); worst > 5*time.Second {
		t.Errorf("the well-behaved client waited %v behind idle connections", worst)
	}
}

func TestInvalidUTF8(t *testing.T) {
	s := startServer(t)
	payloads := [][]byte{
		[]byte("{\"command\":\"lease4-get\",\"arguments\":{\"ip-address\":\"\xff\xfe\xfd\"}}"),
		[]byte("{\"command\":\"\xc3\x28\"}"),
		[]byte("{\"command\":\"lease4-get-by-hostname\",\"arguments\":{\"hostname\":\"\xed\xa0\x80\"}}"),
		[]byte("{\"command\":\"lease4-add\",\"arguments\":{\"ip-address\":\"10.0.0.9\",\"hw-address\":\"02:00:00:00:00:09\",\"hostname\":\"h\xf0\x28\x8c\x28\",\"user-context\":{\"\xff\":\"\xfe\"}}}"),
		[]byte("{\"command\":\"lease4-get\",\"arguments\":{\"ip-address\":\"\\ud800\"}}"),
		[]byte("{\"\xff\xff\xff\":1}"),
		[]byte("\xef\xbb\xbf{\"command\":\"list-commands\"}"),
	}
	during(t, s, "invalid UTF-8", func(ctx context.Context) {
		for range 20 {
			for _, p := range payloads {
				raw, err := rawExchange(s.sock, p, 20*time.Second)
				if err != nil {
					t.Errorf("%q: %v", p, err)
					continue
				}
				parseAnswer(t, raw)
			}
		}
	})
	for _, p := range payloads {
		raw, _ := rawExchange(s.sock, p, 20*time.Second)
		t.Logf("%q -> %.200s", p, raw)
	}
	// A lease added with invalid UTF-8 in its hostname survives a restart.
	if a := s.do(t, lessorproc.Command("lease4-get", map[string]any{"ip-address": "10.0.0.9"})); a.Result == 0 {
		s.proc.Stop()
		p2, err := lessorproc.Start(context.Background(), lessorproc.Binary(t), s.proc.Paths)
		if err != nil {
			t.Fatalf("restart after a lease with invalid UTF-8: %v\n%s", err, tailFile(s.proc.ServerLogFile))
		}
		s.proc = p2
		t.Cleanup(p2.Stop)
		b := s.do(t, lessorproc.Command("lease4-get", map[string]any{"ip-address": "10.0.0.9"}))
		if !bytes.Equal(a.Raw, b.Raw) {
			t.Errorf("lease with invalid UTF-8 changed across a restart:\n%s\n%s", a.Raw, b.Raw)
		}
	}
}

func nested(n int, open, close string) []byte {
	var b bytes.Buffer
	b.WriteString(`{"command":"list-commands","arguments":`)
	b.WriteString(strings.Repeat(open, n))
	b.WriteString("1")
	b.WriteString(strings.Repeat(close, n))
	b.WriteString("}")
	return b.Bytes()
}

func TestDeepNesting(t *testing.T) {
	s := startServer(t)
	cases := []struct {
		name    string
		payload []byte
		want    string // expected text ("" = any answer with a result)
	}{
		{"1000 lists", nested(1000, "[", "]"), ""},
		{"10000 lists", nested(9999, "[", "]"), ""},
		{"100000 lists", nested(100000, "[", "]"), "Command exceeds the maximum nesting depth of 10000"},
		{"100000 maps", nested(100000, `{"a":`, "}"), "Command exceeds the maximum nesting depth of 10000"},
		{"5000000 lists", nested(5000000, "[", "]"), "Command exceeds the maximum nesting depth of 10000"},
		{"brackets in strings", []byte(`{"command":"list-commands","arguments":"` + strings.Repeat("[", 200000) + `"}`), ""},
		{"deep user-context", []byte(`{"command":"lease4-add","arguments":{"ip-address":"10.0.0.7","hw-address":"02:00:00:00:00:07","user-context":{"a":` +
			strings.Repeat("[", 9000) + strings.Repeat("]", 9000) + `}}}`), ""},
	}
	during(t, s, "deep nesting", func(ctx context.Context) {
		for _, c := range cases {
			raw, err := rawExchange(s.sock, c.payload, 60*time.Second)
			if err != nil {
				t.Errorf("%s: no answer: %v", c.name, err)
				continue
			}
			a := parseAnswer(t, raw)
			if c.want != "" && (*a.Result != 1 || a.Text != c.want) {
				t.Errorf("%s: answered %.300s", c.name, raw)
			}
			if !s.proc.Alive() {
				t.Fatalf("%s: lessor died\n%s", c.name, tailFile(s.proc.ServerLogFile))
			}
		}
		// An unterminated one: the client gives up.
		c, err := net.Dial("unix", s.sock)
		if err == nil {
			c.Write(bytes.Repeat([]byte("["), 1<<20))
			c.Close()
		}
	})
	// The deep user-context lease can be read back and survives a restart.
	if a := s.do(t, lessorproc.Command("lease4-get", map[string]any{"ip-address": "10.0.0.7"})); a.Result == 0 {
		s.proc.Stop()
		p2, err := lessorproc.Start(context.Background(), lessorproc.Binary(t), s.proc.Paths)
		if err != nil {
			t.Fatalf("restart with a deeply nested user-context: %v\n%s", err, tailFile(s.proc.ServerLogFile))
		}
		t.Cleanup(p2.Stop)
		s.proc = p2
		s.alive(t)
	}
}

func TestFlood(t *testing.T) {
	s := startServer(t)
	dur, workers := 3*time.Second, 8
	if long() {
		dur, workers = 30*time.Second, 32
	}
	var sent, bad atomic.Int64
	during(t, s, fmt.Sprintf("flood, %d clients", workers), func(ctx context.Context) {
		fctx, cancel := context.WithTimeout(ctx, dur)
		defer cancel()
		cmds := [][]byte{
			[]byte(`{"command":"list-commands"}`),
			[]byte(`{"command":"lease4-get","arguments":{"ip-address":"10.0.0.1"}}`),
			[]byte(`{"command":"lease4-get-all"}`),
			[]byte(`{"command":"no-such-command"}`),
			[]byte(`not json`),
		}
		var wg sync.WaitGroup
		for w := range workers {
			wg.Go(func() {
				for i := w; fctx.Err() == nil; i++ {
					rctx, c := context.WithTimeout(context.Background(), 30*time.Second)
					_, err := lessorproc.DoRaw(rctx, s.sock, cmds[i%len(cmds)])
					c()
					sent.Add(1)
					if err != nil {
						bad.Add(1)
					}
				}
			})
		}
		wg.Wait()
	})
	t.Logf("flood: %d commands in %v (%.0f/s), %d without an answer", sent.Load(), dur, float64(sent.Load())/dur.Seconds(), bad.Load())
	if bad.Load() > 0 {
		t.Errorf("%d flood commands were not answered", bad.Load())
	}
}

func tailFile(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return err.Error()
	}
	if len(b) > 3000 {
		b = b[len(b)-3000:]
	}
	return filepath.Base(path) + ":\n" + string(b)
}
