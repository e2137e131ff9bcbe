// Package ddns_test proves lessor's DNS updates end to end: requests built
// and sent by internal/ddns go through the real kea-dhcp-ddns to a real
// BIND 9, and the records appear in (and disappear from) DNS.
package ddns_test

import (
	"context"
	"encoding/base64"
	"log/slog"
	"net/netip"
	"os"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/lessor-dhcp/lessor/internal/ddns"
	"github.com/lessor-dhcp/lessor/lease"
	"github.com/lessor-dhcp/lessor/test/ddns/harness"
)

const settle = 10 * time.Second

func newSender(t *testing.T, d2Port int) *ddns.Sender {
	t.Helper()
	cfg := ddns.DefaultConfig()
	cfg.EnableUpdates = true
	cfg.ServerPort = uint32(d2Port)
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	s, err := ddns.NewSender(cfg, log, ddns.SenderOptions{ConfirmDelay: 50 * time.Millisecond, RetryMin: 50 * time.Millisecond, RetryMax: 500 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Stop)
	return s
}

func flush(t *testing.T, s *ddns.Sender) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), settle)
	defer cancel()
	if err := s.Flush(ctx); err != nil {
		t.Fatalf("requests not delivered: %v (%+v)", err, s.Stats())
	}
}

func queue(t *testing.T, s *ddns.Sender, n *ddns.NCR, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Queue(n); err != nil {
		t.Fatal(err)
	}
}

func lease4(addr, host string, hw byte) *lease.Lease4 {
	return &lease.Lease4{
		Addr: netip.MustParseAddr(addr), HWAddr: []byte{0, 0x5e, 0, 0x53, 0, hw}, HWType: lease.HTypeEther,
		Hostname: host, FqdnFwd: true, FqdnRev: true, ValidLft: 3600, CLTT: time.Now().Unix(),
	}
}

func lease6(addr, host string, id byte) *lease.Lease6 {
	return &lease.Lease6{
		Addr: netip.MustParseAddr(addr), Type: lease.TypeNA, PrefixLen: 128, IAID: 1,
		DUID:     []byte{0, 3, 0, 1, 0, 0x5e, 0, 0x53, 0, id},
		Hostname: host, FqdnFwd: true, FqdnRev: true, ValidLft: 3600, PreferredLft: 1800, CLTT: time.Now().Unix(),
	}
}

func reverse(t *testing.T, addr string) string {
	r, err := dns.ReverseAddr(addr)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// TestAddAndRemove: adds for IPv4 and IPv6 leases (with and without
// conflict resolution) create A/AAAA and PTR records; removes delete them.
func TestAddAndRemove(t *testing.T) {
	harness.Require(t)
	bind := harness.StartBIND(t, harness.DefaultZones())
	d2 := harness.StartD2(t, bind, harness.FreeUDPPort(t))
	s := newSender(t, d2.Port)

	withCR := ddns.DefaultParams()
	noCR := ddns.DefaultParams()
	noCR.UseConflictResolution = false

	v4 := lease4("192.0.2.10", "alpha.example.com", 1)
	v4b := lease4("198.51.100.20", "Beta.Example.COM.", 2) // case and trailing dot as a store may hold them
	v6 := lease6("2001:db8:1::10", "gamma.example.com", 3)

	n, err := ddns.NewNCR4(v4, ddns.ChangeAdd, withCR)
	queue(t, s, n, err)
	n, err = ddns.NewNCR4(v4b, ddns.ChangeAdd, noCR)
	queue(t, s, n, err)
	n, err = ddns.NewNCR6(v6, ddns.ChangeAdd, withCR)
	queue(t, s, n, err)
	flush(t, s)

	bind.WaitFor(t, "alpha.example.com.", dns.TypeA, "192.0.2.10", settle)
	bind.WaitFor(t, reverse(t, "192.0.2.10"), dns.TypePTR, "alpha.example.com.", settle)
	bind.WaitFor(t, "beta.example.com.", dns.TypeA, "198.51.100.20", settle)
	bind.WaitFor(t, reverse(t, "198.51.100.20"), dns.TypePTR, "beta.example.com.", settle)
	bind.WaitFor(t, "gamma.example.com.", dns.TypeAAAA, "2001:db8:1::10", settle)
	bind.WaitFor(t, reverse(t, "2001:db8:1::10"), dns.TypePTR, "gamma.example.com.", settle)
	// With conflict resolution D2 stores the lease's DHCID next to the
	// address; it must be the one lessor computed.
	want4, _ := ddns.NewNCR4(v4, ddns.ChangeAdd, withCR)
	bind.WaitFor(t, "alpha.example.com.", dns.TypeDHCID, dhcidBase64(want4), settle)

	n, err = ddns.NewNCR4(v4, ddns.ChangeRemove, withCR)
	queue(t, s, n, err)
	n, err = ddns.NewNCR4(v4b, ddns.ChangeRemove, noCR)
	queue(t, s, n, err)
	n, err = ddns.NewNCR6(v6, ddns.ChangeRemove, withCR)
	queue(t, s, n, err)
	flush(t, s)

	bind.WaitFor(t, "alpha.example.com.", dns.TypeA, "", settle)
	bind.WaitFor(t, "alpha.example.com.", dns.TypeDHCID, "", settle)
	bind.WaitFor(t, reverse(t, "192.0.2.10"), dns.TypePTR, "", settle)
	bind.WaitFor(t, "beta.example.com.", dns.TypeA, "", settle)
	bind.WaitFor(t, reverse(t, "198.51.100.20"), dns.TypePTR, "", settle)
	bind.WaitFor(t, "gamma.example.com.", dns.TypeAAAA, "", settle)
	bind.WaitFor(t, reverse(t, "2001:db8:1::10"), dns.TypePTR, "", settle)

	st := s.Stats()
	if st.Delivered != 6 || st.SendErrors != 0 {
		t.Errorf("sender stats %+v", st)
	}
}

// TestD2StartsLate: with kea-dhcp-ddns down, Queue returns at once and the
// requests wait; once it starts they are delivered and DNS follows.
func TestD2StartsLate(t *testing.T) {
	harness.Require(t)
	bind := harness.StartBIND(t, harness.DefaultZones())
	port := harness.FreeUDPPort(t)
	s := newSender(t, port)

	leases := []*lease.Lease4{
		lease4("192.0.2.30", "late1.example.com", 4),
		lease4("192.0.2.31", "late2.example.com", 5),
	}
	for _, l := range leases {
		n, err := ddns.NewNCR4(l, ddns.ChangeAdd, ddns.DefaultParams())
		start := time.Now()
		queue(t, s, n, err)
		if d := time.Since(start); d > 20*time.Millisecond {
			t.Errorf("Queue took %v with kea-dhcp-ddns down", d)
		}
	}
	n, err := ddns.NewNCR6(lease6("2001:db8:1::31", "late6.example.com", 6), ddns.ChangeAdd, ddns.DefaultParams())
	queue(t, s, n, err)

	deadline := time.Now().Add(settle)
	for s.Stats().SendErrors == 0 {
		if time.Now().After(deadline) {
			t.Fatalf("the sender did not notice kea-dhcp-ddns is down: %+v", s.Stats())
		}
		time.Sleep(10 * time.Millisecond)
	}
	if st := s.Stats(); st.QueueSize != 3 || st.Reachable || st.Delivered != 0 {
		t.Fatalf("stats with kea-dhcp-ddns down: %+v", st)
	}

	harness.StartD2(t, bind, port)
	flush(t, s)
	bind.WaitFor(t, "late1.example.com.", dns.TypeA, "192.0.2.30", settle)
	bind.WaitFor(t, "late2.example.com.", dns.TypeA, "192.0.2.31", settle)
	bind.WaitFor(t, reverse(t, "192.0.2.31"), dns.TypePTR, "late2.example.com.", settle)
	bind.WaitFor(t, "late6.example.com.", dns.TypeAAAA, "2001:db8:1::31", settle)
	if st := s.Stats(); !st.Reachable || st.Delivered != 3 || st.QueueSize != 0 {
		t.Errorf("stats after kea-dhcp-ddns started: %+v", st)
	}
}

// dhcidBase64 is the DHCID RDATA as DNS presentation format shows it.
func dhcidBase64(n *ddns.NCR) string { return base64.StdEncoding.EncodeToString(n.DHCID) }

// TestConflictResolution: the flag lessor sends decides what
// kea-dhcp-ddns does when another client holds the name. With conflict
// resolution the second client's add is refused (the DHCIDs differ);
// without it the name moves to the second client's address.
func TestConflictResolution(t *testing.T) {
	stack := harness.StartStack(t)
	bind := stack.BIND
	s := newSender(t, stack.D2.Port)
	withCR := ddns.DefaultParams()
	noCR := ddns.DefaultParams()
	noCR.UseConflictResolution = false

	first := lease4("192.0.2.40", "shared.example.com", 7)
	second := lease4("192.0.2.41", "shared.example.com", 8)
	n, err := ddns.NewNCR4(first, ddns.ChangeAdd, withCR)
	queue(t, s, n, err)
	flush(t, s)
	bind.WaitFor(t, "shared.example.com.", dns.TypeA, "192.0.2.40", settle)

	n, err = ddns.NewNCR4(second, ddns.ChangeAdd, withCR)
	queue(t, s, n, err)
	flush(t, s)
	// D2 needs a moment to try and give up; the name must not move.
	time.Sleep(500 * time.Millisecond)
	bind.WaitFor(t, "shared.example.com.", dns.TypeA, "192.0.2.40", settle)
	bind.WaitFor(t, reverse(t, "192.0.2.41"), dns.TypePTR, "", settle)

	n, err = ddns.NewNCR4(second, ddns.ChangeAdd, noCR)
	queue(t, s, n, err)
	flush(t, s)
	bind.WaitFor(t, "shared.example.com.", dns.TypeA, "192.0.2.41", settle)
	bind.WaitFor(t, reverse(t, "192.0.2.41"), dns.TypePTR, "shared.example.com.", settle)
}
