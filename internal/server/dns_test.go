package server

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/lessor-dhcp/lessor/config"
	"github.com/lessor-dhcp/lessor/lease"
)

func dnsSection(t *testing.T, body string) *config.Server {
	t.Helper()
	f, err := config.Parse([]byte(`{"Dhcp4": {`+body+`}}`), "dns-test.json")
	if err != nil {
		t.Fatal(err)
	}
	return f.Dhcp4
}

func quietLog() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func TestDNSParamsInheritance(t *testing.T) {
	tests := []struct {
		name   string
		global string
		want   map[uint32]bool // ddns-use-conflict-resolution by subnet id; 99 is not configured
		suffix string          // ddns-qualifying-suffix of subnet 1
	}{
		{"defaults", ``, map[uint32]bool{1: true, 2: false, 3: true, 4: false, 99: true}, ""},
		{"global off", `"ddns-use-conflict-resolution": false,`, map[uint32]bool{1: false, 2: false, 3: true, 4: false, 99: true}, ""},
		{"legacy suffix in dhcp-ddns", `"dhcp-ddns": {"enable-updates": false, "qualifying-suffix": "legacy.example."},`,
			map[uint32]bool{1: true, 2: false, 3: true, 4: false, 99: true}, "legacy.example."},
		{"global suffix wins over legacy", `"ddns-qualifying-suffix": "global.example.", "dhcp-ddns": {"enable-updates": false, "qualifying-suffix": "legacy.example."},`,
			map[uint32]bool{1: true, 2: false, 3: true, 4: false, 99: true}, "global.example."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sc := dnsSection(t, tt.global+`
  "shared-networks": [{"name": "n", "ddns-use-conflict-resolution": false, "subnet4": [
    {"id": 2, "subnet": "198.51.100.0/24"},
    {"id": 3, "subnet": "203.0.113.0/24", "ddns-use-conflict-resolution": true}]}],
  "subnet4": [{"id": 1, "subnet": "192.0.2.0/24"}, {"id": 4, "subnet": "192.0.3.0/24", "ddns-use-conflict-resolution": false}]`)
			d, err := newDNSClient(context.Background(), sc, quietLog())
			if err != nil {
				t.Fatal(err)
			}
			defer d.Stop()
			for id, want := range tt.want {
				if got := d.paramsFor(id).UseConflictResolution; got != want {
					t.Errorf("subnet %d: use-conflict-resolution %t, want %t", id, got, want)
				}
			}
			if got := d.paramsFor(1).QualifyingSuffix; got != tt.suffix {
				t.Errorf("qualifying suffix %q, want %q", got, tt.suffix)
			}
		})
	}
}

// udpSink reads datagrams sent to a loopback port.
type udpSink struct {
	port int
	ch   chan []byte
}

func newUDPSink(t *testing.T) *udpSink {
	t.Helper()
	c, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	s := &udpSink{port: c.LocalAddr().(*net.UDPAddr).Port, ch: make(chan []byte, 64)}
	go func() {
		buf := make([]byte, 4096)
		for {
			n, err := c.Read(buf)
			if err != nil {
				return
			}
			s.ch <- append([]byte(nil), buf[:n]...)
		}
	}()
	return s
}

func (s *udpSink) next(t *testing.T) string {
	t.Helper()
	select {
	case d := <-s.ch:
		return string(d[2:])
	case <-time.After(5 * time.Second):
		t.Fatal("no request arrived")
		return ""
	}
}

// closedPort is a loopback UDP port nothing listens on.
func closedPort(t *testing.T) int {
	t.Helper()
	c, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	return c.LocalAddr().(*net.UDPAddr).Port
}

func ddnsConf(port int, extra string) string {
	return fmt.Sprintf(`"dhcp-ddns": {"enable-updates": true, "server-ip": "127.0.0.1", "server-port": %d%s},
  "subnet4": [{"id": 1, "subnet": "192.0.2.0/24"}]`, port, extra)
}

func testLease(i int) *lease.Lease4 {
	return &lease.Lease4{
		Addr: netip.AddrFrom4([4]byte{192, 0, 2, byte(i)}), HWAddr: []byte{0, 0x5e, 0, 0x53, 0, byte(i)}, HWType: lease.HTypeEther,
		Hostname: fmt.Sprintf("h%d.example.com", i), FqdnFwd: true, FqdnRev: true, ValidLft: 3600, CLTT: 1700000000, SubnetID: 1,
	}
}

// waitUnreachable waits until the client's sender has seen that nobody
// listens.
func waitUnreachable(t *testing.T, d *dnsClient) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for d.current().Stats().SendErrors == 0 {
		if time.Now().After(deadline) {
			t.Fatalf("the sender did not notice the closed port: %+v", d.current().Stats())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestDNSReconfigure: requests queued while kea-dhcp-ddns is unreachable
// survive a reconfiguration, whatever it changes, and go to the new
// server in order; an unchanged dhcp-ddns map keeps the running sender.
func TestDNSReconfigure(t *testing.T) {
	ctx := context.Background()
	t.Run("changed server", func(t *testing.T) {
		prev, err := newDNSClient(ctx, dnsSection(t, ddnsConf(closedPort(t), "")), quietLog())
		if err != nil {
			t.Fatal(err)
		}
		for i := 1; i <= 3; i++ {
			prev.Queue4(testLease(i), true)
		}
		waitUnreachable(t, prev)
		sink := newUDPSink(t)
		d, err := reconfigureDNS(ctx, prev, dnsSection(t, ddnsConf(sink.port, "")), quietLog())
		if err != nil {
			t.Fatal(err)
		}
		prev.Stop() // as the server does after a reconfiguration: a no-op now
		defer d.Stop()
		for i := 1; i <= 3; i++ {
			if got := sink.next(t); !strings.Contains(got, fmt.Sprintf(`"fqdn":"h%d.example.com."`, i)) {
				t.Errorf("request %d: %s", i, got)
			}
		}
		d.Queue4(testLease(4), false)
		if got := sink.next(t); !strings.Contains(got, `"change-type":1,`) || !strings.Contains(got, `h4.example.com.`) {
			t.Errorf("request after the reconfiguration: %s", got)
		}
		// A command still holding the old client queues to the new sender.
		prev.Queue4(testLease(10), true)
		if got := sink.next(t); !strings.Contains(got, `h10.example.com.`) {
			t.Errorf("request through the old client: %s", got)
		}
	})
	t.Run("unchanged", func(t *testing.T) {
		sink := newUDPSink(t)
		prev, err := newDNSClient(ctx, dnsSection(t, ddnsConf(sink.port, `, "user-context": {"a": 1}`)), quietLog())
		if err != nil {
			t.Fatal(err)
		}
		d, err := reconfigureDNS(ctx, prev, dnsSection(t, ddnsConf(sink.port, "")), quietLog())
		if err != nil {
			t.Fatal(err)
		}
		prev.Stop()
		defer d.Stop()
		if d.current() != prev.current() {
			t.Error("an unchanged dhcp-ddns map got a new sender")
		}
		if !d.Enabled() {
			t.Fatal("updates off after an unchanged reconfiguration")
		}
		d.Queue4(testLease(5), true)
		if got := sink.next(t); !strings.Contains(got, "h5.example.com.") {
			t.Errorf("request: %s", got)
		}
	})
	t.Run("fixed sender port", func(t *testing.T) {
		port := closedPort(t)
		fixed := fmt.Sprintf(`, "sender-ip": "127.0.0.1", "sender-port": %d`, port)
		prev, err := newDNSClient(ctx, dnsSection(t, ddnsConf(closedPort(t), fixed)), quietLog())
		if err != nil {
			t.Fatal(err)
		}
		sink := newUDPSink(t)
		d, err := reconfigureDNS(ctx, prev, dnsSection(t, ddnsConf(sink.port, fixed)), quietLog())
		if err != nil {
			t.Fatalf("reconfiguration with the same sender-port: %v", err)
		}
		prev.Stop()
		defer d.Stop()
		d.Queue4(testLease(6), true)
		sink.next(t)
	})
	t.Run("new sender cannot start", func(t *testing.T) {
		sink := newUDPSink(t)
		prev, err := newDNSClient(ctx, dnsSection(t, ddnsConf(sink.port, "")), quietLog())
		if err != nil {
			t.Fatal(err)
		}
		defer prev.Stop()
		// 192.0.2.1 is not an address of this host: the bind fails.
		_, err = reconfigureDNS(ctx, prev, dnsSection(t, ddnsConf(sink.port, `, "sender-ip": "192.0.2.1", "sender-port": 1`)), quietLog())
		if err == nil || !strings.HasPrefix(err.Error(), "Open failed: ") {
			t.Fatalf("error %v, want Open failed", err)
		}
		if !prev.Enabled() {
			t.Fatal("the running configuration lost its updates")
		}
		prev.Queue4(testLease(7), true)
		if got := sink.next(t); !strings.Contains(got, "h7.example.com.") {
			t.Errorf("request: %s", got)
		}
	})
	t.Run("disabled", func(t *testing.T) {
		sink := newUDPSink(t)
		prev, err := newDNSClient(ctx, dnsSection(t, ddnsConf(sink.port, "")), quietLog())
		if err != nil {
			t.Fatal(err)
		}
		prev.Queue4(testLease(8), true)
		d, err := reconfigureDNS(ctx, prev, dnsSection(t, `"subnet4": [{"id": 1, "subnet": "192.0.2.0/24"}]`), quietLog())
		if err != nil {
			t.Fatal(err)
		}
		prev.Stop()
		if d.Enabled() || prev.Enabled() {
			t.Error("updates still on")
		}
		d.Queue4(testLease(9), true) // dropped: updates are off
		if got := sink.next(t); !strings.Contains(got, "h8.example.com.") {
			t.Errorf("request: %s", got)
		}
		select {
		case got := <-sink.ch:
			t.Errorf("request with updates off: %s", got)
		case <-time.After(200 * time.Millisecond):
		}
	})
}

// TestDNSSuspendedIsDisabled: once the queue has filled up, Enabled is
// false (Kea's answer "DDNS updating is not enabled"), as Kea turns
// updates off.
func TestDNSSuspendedIsDisabled(t *testing.T) {
	d, err := newDNSClient(context.Background(), dnsSection(t, ddnsConf(closedPort(t), `, "max-queue-size": 2`)), quietLog())
	if err != nil {
		t.Fatal(err)
	}
	defer d.Stop()
	for i := 1; i <= 3; i++ {
		d.Queue4(testLease(i), true)
	}
	if d.Enabled() {
		t.Errorf("enabled with a full queue: %+v", d.current().Stats())
	}
}
