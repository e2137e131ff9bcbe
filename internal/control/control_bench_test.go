package control

import (
	"context"
	"io"
	"log/slog"
	"net"
	"path/filepath"
	"testing"

	"github.com/lessor-dhcp/lessor/internal/kjson"
)

var benchCmd = []byte(`{ "command": "lease4-get", "arguments": { "ip-address": "10.0.0.1" } }`)

func benchRegistry() *Registry {
	r := NewRegistry()
	lease := kjson.MustParse(`{ "ip-address": "10.0.0.1", "subnet-id": 1, "hw-address": "02:00:00:00:00:01", "cltt": 1764200000, "valid-lft": 86400, "fqdn-fwd": false, "fqdn-rev": false, "hostname": "host-1.example.org", "state": 0 }`)
	r.Register("lease4-get", func(_ context.Context, cmd *Command) (*kjson.Element, error) {
		if _, err := cmd.Args.MapGet("ip-address"); err != nil {
			return nil, err
		}
		return Answer(ResultSuccess, "IPv4 lease found.", lease), nil
	})
	return r
}

// BenchmarkHandleWire measures the dispatch of one command's bytes: parse,
// envelope checks, handler lookup, answer written to a buffer.
func BenchmarkHandleWire(b *testing.B) {
	r := benchRegistry()
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		ans := r.HandleWire(ctx, benchCmd)
		var w discardWriter
		ans.Write(&w)
	}
}

type discardWriter struct{}

func (discardWriter) WriteString(s string) (int, error) { return len(s), nil }
func (discardWriter) WriteByte(byte) error              { return nil }

// BenchmarkSocket measures a whole command over the UNIX control socket as
// clients send it: connect, write, read the answer until the server closes.
// Client and server run in this process, so the allocations are both.
func BenchmarkSocket(b *testing.B) {
	path := filepath.Join(b.TempDir(), "ctl.sock")
	srv, err := Listen(path, benchRegistry(), SocketOptions{}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx) }()
	defer func() {
		cancel()
		srv.Close()
		<-done
	}()
	buf := make([]byte, 4096)
	b.ReportAllocs()
	for b.Loop() {
		c, err := net.Dial("unix", path)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := c.Write(benchCmd); err != nil {
			b.Fatal(err)
		}
		total := 0
		for {
			n, err := c.Read(buf)
			total += n
			if err == io.EOF {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
		}
		c.Close()
		if total == 0 {
			b.Fatal("empty answer")
		}
	}
}
