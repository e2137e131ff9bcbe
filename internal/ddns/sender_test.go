package ddns

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/lessor-dhcp/lessor/lease"
)

// listener is a stand-in for kea-dhcp-ddns: it records every datagram.
type listener struct {
	conn *net.UDPConn
	mu   sync.Mutex
	got  [][]byte
}

func listenUDP(t *testing.T, port int) *listener {
	t.Helper()
	c, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: port})
	if err != nil {
		t.Fatal(err)
	}
	c.SetReadBuffer(1 << 20)
	l := &listener{conn: c}
	go func() {
		buf := make([]byte, 4096)
		for {
			n, err := c.Read(buf)
			if err != nil {
				return
			}
			l.mu.Lock()
			l.got = append(l.got, append([]byte(nil), buf[:n]...))
			l.mu.Unlock()
		}
	}()
	t.Cleanup(func() { c.Close() })
	return l
}

func (l *listener) port() int { return l.conn.LocalAddr().(*net.UDPAddr).Port }

func (l *listener) datagrams() [][]byte {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([][]byte(nil), l.got...)
}

// freePort returns a UDP port nothing listens on (for now).
func freePort(t *testing.T) int {
	t.Helper()
	c, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	p := c.LocalAddr().(*net.UDPAddr).Port
	c.Close()
	return p
}

func testConfig(port, maxQueue int) Config {
	c := DefaultConfig()
	c.EnableUpdates = true
	c.ServerPort = uint32(port)
	c.MaxQueueSize = uint32(maxQueue)
	return c
}

func testNCR(i int) *NCR {
	return &NCR{
		Change: ChangeAdd, Forward: true, Reverse: true,
		FQDN:      fmt.Sprintf("host%d.example.com.", i),
		IPAddress: netip.AddrFrom4([4]byte{192, 0, 2, byte(i)}),
		DHCID:     []byte{0, 1, 1, byte(i)}, LeaseExpiresOn: 1700000000, LeaseLength: 1200,
		UseConflictResolution: true,
	}
}

var fastOpts = SenderOptions{ConfirmDelay: 30 * time.Millisecond, RetryMin: 20 * time.Millisecond, RetryMax: 100 * time.Millisecond}

func startSender(t *testing.T, cfg Config) *Sender {
	t.Helper()
	s, err := NewSender(cfg, nil, fastOpts)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Stop)
	return s
}

func flush(t *testing.T, s *Sender) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := s.Flush(ctx); err != nil {
		t.Fatalf("flush: %v (stats %+v)", err, s.Stats())
	}
}

func TestSenderDelivers(t *testing.T) {
	l := listenUDP(t, 0)
	s := startSender(t, testConfig(l.port(), 1024))
	const n = 200
	for i := range n {
		if err := s.Queue(testNCR(i)); err != nil {
			t.Fatal(err)
		}
	}
	flush(t, s)
	got := l.datagrams()
	if len(got) != n {
		t.Fatalf("received %d datagrams, want %d", len(got), n)
	}
	for i, d := range got {
		if want := testNCR(i).Wire(); string(d) != string(want) {
			t.Fatalf("datagram %d = %q, want %q", i, d, want)
		}
	}
	st := s.Stats()
	if st.Queued != n || st.Sent != n || st.Delivered != n || st.SendErrors != 0 || st.QueueSize != 0 || !st.Reachable {
		t.Errorf("stats %+v", st)
	}
}

// TestSenderServerLate: with kea-dhcp-ddns down, Queue returns at once,
// the failure shows in the statistics, and once it listens the queued
// requests arrive in order.
func TestSenderServerLate(t *testing.T) {
	port := freePort(t)
	s := startSender(t, testConfig(port, 1024))
	for i := range 5 {
		start := time.Now()
		if err := s.Queue(testNCR(i)); err != nil {
			t.Fatal(err)
		}
		if d := time.Since(start); d > 50*time.Millisecond {
			t.Errorf("Queue took %v", d)
		}
	}
	deadline := time.Now().Add(5 * time.Second)
	for s.Stats().SendErrors == 0 {
		if time.Now().After(deadline) {
			t.Fatalf("no send error seen with the server down: %+v", s.Stats())
		}
		time.Sleep(5 * time.Millisecond)
	}
	if st := s.Stats(); st.Reachable || st.QueueSize != 5 || st.Delivered != 0 {
		t.Errorf("stats while down: %+v", st)
	}
	l := listenUDP(t, port)
	flush(t, s)
	// Requests may arrive twice (re-sent after a failure) but the first
	// arrivals are in queue order and all are there.
	seen := map[string]bool{}
	var order []string
	for _, d := range l.datagrams() {
		if !seen[string(d)] {
			seen[string(d)] = true
			order = append(order, string(d))
		}
	}
	if len(order) != 5 {
		t.Fatalf("got %d distinct requests, want 5", len(order))
	}
	for i, d := range order {
		if d != string(testNCR(i).Wire()) {
			t.Errorf("request %d out of order: %q", i, d)
		}
	}
	if st := s.Stats(); !st.Reachable || st.Delivered != 5 || st.Resent == 0 {
		t.Errorf("stats after recovery: %+v", st)
	}
}

func TestSenderQueueFull(t *testing.T) {
	port := freePort(t)
	s := startSender(t, testConfig(port, 4))
	for i := range 4 {
		if err := s.Queue(testNCR(i)); err != nil {
			t.Fatal(err)
		}
	}
	err := s.Queue(testNCR(4))
	if !errors.Is(err, ErrQueueFull) || err.Error() != "send queue has reached maximum capacity: 4" {
		t.Fatalf("Queue on a full queue: %v", err)
	}
	if s.Enabled() {
		t.Error("updates still enabled with the queue full")
	}
	if err := s.Queue(testNCR(5)); !errors.Is(err, ErrSuspended) {
		t.Errorf("Queue while suspended: %v", err)
	}
	l := listenUDP(t, port)
	flush(t, s)
	if !s.Enabled() {
		t.Error("updates not resumed after the queue drained")
	}
	if err := s.Queue(testNCR(6)); err != nil {
		t.Errorf("Queue after resume: %v", err)
	}
	flush(t, s)
	st := s.Stats()
	if st.QueueFull != 1 || st.Rejected != 1 || st.Queued != 5 || st.Delivered != 5 {
		t.Errorf("stats %+v", st)
	}
	if len(l.datagrams()) < 5 {
		t.Errorf("received %d datagrams", len(l.datagrams()))
	}
}

func TestSenderDisabledAndStopped(t *testing.T) {
	cfg := DefaultConfig()
	s, err := NewSender(cfg, nil, SenderOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Start(context.Background()); err != nil || s.Enabled() {
		t.Fatalf("disabled sender: start %v, enabled %v", err, s.Enabled())
	}
	if err := s.Queue(testNCR(1)); !errors.Is(err, ErrDisabled) || err.Error() != "DDNS updating is not enabled" {
		t.Errorf("Queue when disabled: %v", err)
	}
	s.Stop()

	if _, err := NewSender(testConfig(53001, 0), nil, SenderOptions{}); err == nil || err.Error() != "NameChangeSender: queue size must be greater than zero" {
		t.Errorf("queue size 0: %v", err)
	}

	l := listenUDP(t, 0)
	s2 := startSender(t, testConfig(l.port(), 10))
	s2.Stop()
	if err := s2.Queue(testNCR(1)); !errors.Is(err, ErrStopped) {
		t.Errorf("Queue after Stop: %v", err)
	}
	if s2.Enabled() {
		t.Error("stopped sender enabled")
	}
}

func TestSenderBindError(t *testing.T) {
	l := listenUDP(t, 0)
	cfg := testConfig(53001, 10)
	cfg.SenderPort = uint32(l.port()) // taken
	cfg.SenderIP = netip.MustParseAddr("127.0.0.1")
	s, err := NewSender(cfg, nil, SenderOptions{})
	if err != nil {
		t.Fatal(err)
	}
	err = s.Start(context.Background())
	if err == nil || err.Error()[:12] != "Open failed:" {
		t.Fatalf("Start with a taken port: %v", err)
	}
	s.Stop()
}

func TestSenderAdopt(t *testing.T) {
	port := freePort(t)
	old, err := NewSender(testConfig(port, 10), nil, fastOpts)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		if err := old.Queue(testNCR(i)); err != nil {
			t.Fatal(err)
		}
	}
	l := listenUDP(t, port)
	s, err := NewSender(testConfig(port, 10), nil, fastOpts)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Adopt(old); err == nil {
		t.Fatal("adopted the queue of a running sender")
	}
	old.Stop()
	if err := s.Adopt(old); err != nil {
		t.Fatal(err)
	}
	if old.Stats().QueueSize != 0 || s.Stats().QueueSize != 3 {
		t.Fatalf("queues after adopt: old %d new %d", old.Stats().QueueSize, s.Stats().QueueSize)
	}
	if err := s.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer s.Stop()
	flush(t, s)
	if got := l.datagrams(); len(got) != 3 || string(got[0]) != string(testNCR(0).Wire()) {
		t.Errorf("received %d datagrams", len(got))
	}
}

func BenchmarkQueue(b *testing.B) {
	c, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	go func() {
		buf := make([]byte, 4096)
		for {
			if _, err := c.Read(buf); err != nil {
				return
			}
		}
	}()
	s, err := NewSender(testConfig(c.LocalAddr().(*net.UDPAddr).Port, 1<<30), nil, SenderOptions{})
	if err != nil {
		b.Fatal(err)
	}
	if err := s.Start(context.Background()); err != nil {
		b.Fatal(err)
	}
	defer s.Stop()
	n := testNCR(1)
	b.ResetTimer()
	for range b.N {
		if err := s.Queue(n); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkNewNCR4(b *testing.B) {
	l := testLease4()
	p := DefaultParams()
	for range b.N {
		n, err := NewNCR4(l, ChangeAdd, p)
		if err != nil {
			b.Fatal(err)
		}
		_ = n.Wire()
	}
}

func TestSenderRateLimit(t *testing.T) {
	l := listenUDP(t, 0)
	opts := fastOpts
	opts.MaxRate = 1000
	s, err := NewSender(testConfig(l.port(), 1024), nil, opts)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer s.Stop()
	start := time.Now()
	for i := range 164 {
		if err := s.Queue(testNCR(i)); err != nil {
			t.Fatal(err)
		}
	}
	flush(t, s)
	// A burst of 64, then 100 more at 1000/s: at least 100ms.
	if d := time.Since(start); d < 90*time.Millisecond {
		t.Errorf("164 requests at 1000/s took %v", d)
	}
	if n := len(l.datagrams()); n != 164 {
		t.Errorf("received %d datagrams", n)
	}
}

func TestQueueLease(t *testing.T) {
	var none *Sender
	if none.Enabled() || !errors.Is(none.QueueLease4(testLease4(), ChangeAdd, DefaultParams()), ErrDisabled) {
		t.Error("nil sender is not disabled")
	}
	l := listenUDP(t, 0)
	s := startSender(t, testConfig(l.port(), 16))
	tests := []struct {
		name string
		run  func() error
		want error // nil: queued
	}{
		{"v4 add", func() error { return s.QueueLease4(testLease4(), ChangeAdd, DefaultParams()) }, nil},
		{"v4 no hostname", func() error {
			x := testLease4()
			x.Hostname = ""
			return s.QueueLease4(x, ChangeRemove, DefaultParams())
		}, ErrNotNeeded},
		{"v4 bad name", func() error {
			x := testLease4()
			x.Hostname = "a..b"
			return s.QueueLease4(x, ChangeRemove, DefaultParams())
		}, &NameError{}},
		{"v6 pd", func() error {
			return s.QueueLease6(&lease.Lease6{Type: lease.TypePD, DUID: []byte{1, 2}, Hostname: "x", FqdnFwd: true}, ChangeRemove, DefaultParams())
		}, ErrNotNeeded},
		{"v6 remove", func() error {
			return s.QueueLease6(&lease.Lease6{Addr: netip.MustParseAddr("2001:db8::5"), DUID: []byte{1, 2}, Hostname: "x.example", FqdnRev: true, ValidLft: 10}, ChangeRemove, DefaultParams())
		}, nil},
	}
	for _, tt := range tests {
		err := tt.run()
		var ne *NameError
		switch {
		case tt.want == nil && err != nil, tt.want == ErrNotNeeded && !errors.Is(err, ErrNotNeeded):
			t.Errorf("%s: %v", tt.name, err)
		case tt.want != nil && tt.want != ErrNotNeeded && !errors.As(err, &ne):
			t.Errorf("%s: %v, want a NameError", tt.name, err)
		}
	}
	flush(t, s)
	got := l.datagrams()
	if len(got) != 2 {
		t.Fatalf("received %d datagrams, want 2", len(got))
	}
	n, err := ParseDatagram(got[1])
	if err != nil || n.Change != ChangeRemove || n.FQDN != "x.example." || n.Forward || !n.Reverse || n.LeaseLength != 600 {
		t.Errorf("second request %+v %v", n, err)
	}
}
