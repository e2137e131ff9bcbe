package httpapi

import (
	"context"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lessor-dhcp/lessor/internal/kjson"
)

// fakeSocket serves a UNIX socket whose server reads one command and then
// does what reply says.
func fakeSocket(t *testing.T, reply func(c net.Conn)) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "s.sock")
	ln, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				buf := make([]byte, 4096)
				c.Read(buf)
				reply(c)
			}()
		}
	}()
	return path
}

func TestSocketDispatcher(t *testing.T) {
	cmd := kjson.MustParse(`{"command":"list-commands"}`)
	cases := []struct {
		name  string
		reply func(c net.Conn)
		want  string
	}{
		{"answer in pieces", func(c net.Conn) {
			io.WriteString(c, `{ "result": 0, `)
			time.Sleep(20 * time.Millisecond)
			io.WriteString(c, `"text": "a" }`)
		}, `{ "result": 0, "text": "a" }`},
		{"answer then more", func(c net.Conn) { io.WriteString(c, `{ "result": 0 } trailing`) }, `{ "result": 0 }`},
		{"no answer, closed", func(c net.Conn) {}, `{ "result": 1, "text": "unable to forward command to the dhcp4 service: End of file. The server is likely to be offline" }`},
		{"bad answer", func(c net.Conn) { io.WriteString(c, `garbage`) },
			`{ "result": 1, "text": "internal server error: unable to parse server's answer to the forwarded message: invalid first character g" }`},
		{"hung server", func(c net.Conn) { time.Sleep(2 * time.Second) },
			`{ "result": 1, "text": "unable to forward command to the dhcp4 service: Connection timed out. The server is likely to be offline" }`},
	}
	for _, c := range cases {
		d := &SocketDispatcher{Service: "dhcp4", Path: fakeSocket(t, c.reply), Timeout: 300 * time.Millisecond}
		if got := d.Dispatch(context.Background(), cmd).Str(); got != c.want {
			t.Errorf("%s:\n got %s\nwant %s", c.name, got, c.want)
		}
	}
	d := &SocketDispatcher{Service: "dhcp6", Path: filepath.Join(t.TempDir(), "none")}
	if got := d.Dispatch(context.Background(), cmd).Str(); !strings.Contains(got, "dhcp6 service: No such file or directory. The server") {
		t.Errorf("missing socket: %s", got)
	}
}

// BenchmarkCommand measures one authenticated command through the HTTP
// API to an in-process service, client included.
func BenchmarkCommand(b *testing.B) {
	cfg, err := ParseConfig(kjson.MustParse(`{"http-port":0,"authentication":{"type":"basic","clients":[{"user":"admin","password":"secret"}]}}`))
	if err != nil {
		b.Fatal(err)
	}
	srv, err := New(cfg, map[string]Dispatcher{"dhcp4": &recorder{}}, nil)
	if err != nil {
		b.Fatal(err)
	}
	addr, err := srv.Listen()
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go srv.Serve(ctx)
	url := "http://" + addr.String() + "/"
	body := `{"command":"lease4-get","service":["dhcp4"],"arguments":{"ip-address":"192.0.2.1"}}`
	client := &http.Client{}
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			req, _ := http.NewRequest("POST", url, strings.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Authorization", basicAdmin)
			resp, err := client.Do(req)
			if err != nil {
				b.Fatal(err)
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 {
				b.Fatal(resp.Status)
			}
		}
	})
}
