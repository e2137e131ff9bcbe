package sqltest

import (
	"context"
	"errors"
	"net/netip"
	"reflect"
	"testing"

	"github.com/lessor-dhcp/lessor/internal/kjson"
	"github.com/lessor-dhcp/lessor/lease"
	"github.com/lessor-dhcp/lessor/store"
)

// Lease4 returns a test IPv4 lease.
func Lease4(addr string, subnet uint32) *lease.Lease4 {
	a := netip.MustParseAddr(addr)
	b := a.As4()
	return &lease.Lease4{
		Addr:     a,
		HWAddr:   []byte{0x08, 0x00, 0x2b, b[1], b[2], b[3]},
		HWType:   lease.HTypeEther,
		ClientID: []byte{0x01, b[3]},
		ValidLft: 3600,
		CLTT:     1700000000,
		SubnetID: subnet,
		Hostname: "host-" + addr,
	}
}

// Lease6 returns a test IPv6 lease.
func Lease6(addr string, subnet uint32) *lease.Lease6 {
	a := netip.MustParseAddr(addr)
	b := a.As16()
	return &lease.Lease6{
		Addr:         a,
		Type:         lease.TypeNA,
		PrefixLen:    128,
		IAID:         uint32(b[15]),
		DUID:         []byte{0, 1, 0, 1, b[14], b[15]},
		PreferredLft: 1800,
		ValidLft:     3600,
		CLTT:         1700000000,
		SubnetID:     subnet,
		Hostname:     "host-" + addr,
	}
}

func addrs4(ls []*lease.Lease4) []string {
	out := []string{}
	for _, l := range ls {
		out = append(out, l.Addr.String())
	}
	return out
}

func addrs6(ls []*lease.Lease6) []string {
	out := []string{}
	for _, l := range ls {
		out = append(out, l.Addr.String())
	}
	return out
}

// Equal4 compares leases field by field (user contexts by value).
func Equal4(a, b *lease.Lease4) bool {
	if a == nil || b == nil {
		return a == b
	}
	x, y := *a, *b
	x.UserContext, y.UserContext = nil, nil
	if len(x.HWAddr) == 0 && len(y.HWAddr) == 0 {
		x.HWAddr, y.HWAddr = nil, nil
	}
	return reflect.DeepEqual(x, y) && ctxEqual(a.UserContext, b.UserContext)
}

// Equal6 compares leases field by field (user contexts by value).
func Equal6(a, b *lease.Lease6) bool {
	if a == nil || b == nil {
		return a == b
	}
	x, y := *a, *b
	x.UserContext, y.UserContext = nil, nil
	return reflect.DeepEqual(x, y) && ctxEqual(a.UserContext, b.UserContext)
}

func ctxEqual(a, b *kjson.Element) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	return a.Equal(b)
}

// Run4 checks a Store4 against the store contract; open returns a fresh,
// empty store.
func Run4(t *testing.T, open func(t *testing.T) store.Store4) {
	ctx := context.Background()
	t.Run("AddGetUpdateDelete", func(t *testing.T) {
		s := open(t)
		l := Lease4("192.0.2.10", 1)
		l.UserContext = kjson.MustParse(`{"comment": "a b", "ISC": {"client-classes": ["A"]}}`)
		l.FqdnFwd, l.State = true, lease.StateDeclined
		if err := s.AddLease4(ctx, l); err != nil {
			t.Fatal(err)
		}
		if err := s.AddLease4(ctx, l); !errors.Is(err, store.ErrExists) {
			t.Fatalf("second add: %v, want ErrExists", err)
		}
		got, err := s.GetLease4(ctx, l.Addr)
		if err != nil || !Equal4(got, l) {
			t.Fatalf("get: %+v %v, want %+v", got, err, l)
		}
		u := l.Clone()
		u.Hostname, u.ValidLft, u.CLTT, u.ClientID, u.UserContext, u.State = "other", 100, 1700000500, nil, nil, lease.StateDefault
		if err := s.UpdateLease4(ctx, u); err != nil {
			t.Fatal(err)
		}
		got, _ = s.GetLease4(ctx, l.Addr)
		if !Equal4(got, u) {
			t.Fatalf("after update: %+v, want %+v", got, u)
		}
		if err := s.UpdateLease4(ctx, Lease4("192.0.2.11", 1)); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("update missing: %v", err)
		}
		if err := s.DeleteLease4(ctx, u); err != nil {
			t.Fatal(err)
		}
		if err := s.DeleteLease4(ctx, u); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("delete missing: %v", err)
		}
		if got, err := s.GetLease4(ctx, l.Addr); got != nil || err != nil {
			t.Fatalf("get deleted: %v %v", got, err)
		}
	})
	t.Run("InfiniteLifetime", func(t *testing.T) {
		s := open(t)
		l := Lease4("192.0.2.1", 1)
		l.ValidLft = lease.InfiniteLifetime
		if err := s.AddLease4(ctx, l); err != nil {
			t.Fatal(err)
		}
		got, _ := s.GetLease4(ctx, l.Addr)
		if !Equal4(got, l) {
			t.Fatalf("got %+v want %+v", got, l)
		}
		exp, _ := s.GetExpiredLeases4(ctx, 1<<40, 0)
		if len(exp) != 0 {
			t.Fatalf("infinite lease reported expired: %v", addrs4(exp))
		}
	})
	t.Run("Lookups", func(t *testing.T) {
		s := open(t)
		a := Lease4("10.0.0.9", 2)
		b := Lease4("10.0.0.2", 1)
		c := Lease4("10.0.0.5", 1)
		b.HWAddr, c.HWAddr = a.HWAddr, a.HWAddr
		b.ClientID, c.ClientID = a.ClientID, a.ClientID
		a.Hostname, b.Hostname, c.Hostname = "h.example", "h.example", "H.example"
		for _, l := range []*lease.Lease4{a, b, c} {
			if err := s.AddLease4(ctx, l); err != nil {
				t.Fatal(err)
			}
		}
		got, _ := s.GetLeases4ByHWAddr(ctx, a.HWAddr)
		if want := []string{"10.0.0.2", "10.0.0.5", "10.0.0.9"}; !reflect.DeepEqual(addrs4(got), want) {
			t.Errorf("by hw: %v want %v", addrs4(got), want)
		}
		got, _ = s.GetLeases4ByClientID(ctx, a.ClientID)
		if len(got) != 3 {
			t.Errorf("by client-id: %v", addrs4(got))
		}
		one, _ := s.GetLease4ByHWAddr(ctx, a.HWAddr, 2)
		if one == nil || one.Addr != a.Addr {
			t.Errorf("by hw and subnet: %v", one)
		}
		one, _ = s.GetLease4ByClientID(ctx, a.ClientID, 1)
		if one == nil || one.Addr != b.Addr {
			t.Errorf("by client-id and subnet: %v", one)
		}
		one, _ = s.GetLease4ByClientID(ctx, []byte{9, 9}, 1)
		if one != nil {
			t.Errorf("unknown client-id found %v", one)
		}
		got, _ = s.GetLeases4ByHostname(ctx, "h.example")
		if want := []string{"10.0.0.9", "10.0.0.2"}; !reflect.DeepEqual(addrs4(got), want) {
			t.Errorf("by hostname: %v want %v", addrs4(got), want)
		}
		got, _ = s.GetLeases4BySubnet(ctx, 1)
		if want := []string{"10.0.0.2", "10.0.0.5"}; !reflect.DeepEqual(addrs4(got), want) {
			t.Errorf("by subnet: %v want %v", addrs4(got), want)
		}
	})
	t.Run("Pages", func(t *testing.T) {
		s := open(t)
		for _, a := range []string{"10.0.0.10", "10.0.0.9", "10.0.0.100", "9.255.255.255", "10.0.1.0"} {
			if err := s.AddLease4(ctx, Lease4(a, 1)); err != nil {
				t.Fatal(err)
			}
		}
		var all []string
		after := netip.IPv4Unspecified()
		for {
			page, err := s.GetLeases4Page(ctx, after, 2)
			if err != nil {
				t.Fatal(err)
			}
			if len(page) == 0 {
				break
			}
			all = append(all, addrs4(page)...)
			after = page[len(page)-1].Addr
		}
		if want := []string{"9.255.255.255", "10.0.0.9", "10.0.0.10", "10.0.0.100", "10.0.1.0"}; !reflect.DeepEqual(all, want) {
			t.Errorf("pages: %v want %v", all, want)
		}
	})
	t.Run("ExpiredWipeCount", func(t *testing.T) {
		s := open(t)
		for i, a := range []string{"10.0.0.1", "10.0.0.2", "10.0.0.3", "10.0.0.4"} {
			l := Lease4(a, 1)
			l.CLTT = 1000 - int64(i)*100
			l.ValidLft = 100
			if i == 3 {
				l.State = lease.StateExpiredReclaimed
			}
			if err := s.AddLease4(ctx, l); err != nil {
				t.Fatal(err)
			}
		}
		other := Lease4("10.1.0.1", 2)
		other.State = lease.StateDeclined
		if err := s.AddLease4(ctx, other); err != nil {
			t.Fatal(err)
		}
		exp, _ := s.GetExpiredLeases4(ctx, 1050, 0)
		if want := []string{"10.0.0.3", "10.0.0.2"}; !reflect.DeepEqual(addrs4(exp), want) {
			t.Errorf("expired: %v want %v", addrs4(exp), want)
		}
		exp, _ = s.GetExpiredLeases4(ctx, 1050, 1)
		if len(exp) != 1 {
			t.Errorf("expired limit 1: %v", addrs4(exp))
		}
		counts, err := s.CountLeases4(ctx)
		if err != nil {
			t.Fatal(err)
		}
		want := []store.StateCount{{SubnetID: 1, State: 0, Count: 3}, {SubnetID: 1, State: 2, Count: 1}, {SubnetID: 2, State: 1, Count: 1}}
		if !reflect.DeepEqual(counts, want) {
			t.Errorf("counts: %+v want %+v", counts, want)
		}
		n, err := s.DeleteExpiredReclaimedLeases4(ctx, 801)
		if err != nil || n != 1 {
			t.Errorf("delete reclaimed: %d %v", n, err)
		}
		n, err = s.WipeLeases4(ctx, 1)
		if err != nil || n != 3 {
			t.Errorf("wipe: %d %v", n, err)
		}
		counts, _ = s.CountLeases4(ctx)
		if want := []store.StateCount{{SubnetID: 2, State: 1, Count: 1}}; !reflect.DeepEqual(counts, want) {
			t.Errorf("counts after wipe: %+v want %+v", counts, want)
		}
	})
	t.Run("Refused", func(t *testing.T) {
		s := open(t)
		l := Lease4("10.0.0.1", 1)
		l.HWAddr = make([]byte, 21)
		if err := s.AddLease4(ctx, l); err == nil {
			t.Error("21-byte hw-address accepted")
		}
		if got, _ := s.GetLease4(ctx, l.Addr); got != nil {
			t.Error("refused lease written")
		}
	})
}

// Run6 checks a Store6 against the store contract.
func Run6(t *testing.T, open func(t *testing.T) store.Store6) {
	ctx := context.Background()
	t.Run("AddGetUpdateDelete", func(t *testing.T) {
		s := open(t)
		l := Lease6("2001:db8::10", 1)
		l.HWAddr, l.HWType, l.HWAddrSource = []byte{1, 2, 3, 4, 5, 6}, 1, 4
		l.IAID = 0xfffffffe
		l.UserContext = kjson.MustParse(`{"x": [1, 2]}`)
		if err := s.AddLease6(ctx, l); err != nil {
			t.Fatal(err)
		}
		if err := s.AddLease6(ctx, l); !errors.Is(err, store.ErrExists) {
			t.Fatalf("second add: %v", err)
		}
		pd := l.Clone()
		pd.Type = lease.TypePD
		if err := s.AddLease6(ctx, pd); !errors.Is(err, store.ErrExists) {
			t.Fatalf("add of same address with another type: %v", err)
		}
		got, err := s.GetLease6(ctx, lease.TypeNA, l.Addr)
		if err != nil || !Equal6(got, l) {
			t.Fatalf("get: %+v %v want %+v", got, err, l)
		}
		if got, _ := s.GetLease6(ctx, lease.TypePD, l.Addr); got != nil {
			t.Fatalf("get with other type: %+v", got)
		}
		u := l.Clone()
		u.HWAddr, u.HWType, u.HWAddrSource, u.UserContext, u.State = nil, 0, 0, nil, lease.StateDeclined
		if err := s.UpdateLease6(ctx, u); err != nil {
			t.Fatal(err)
		}
		got, _ = s.GetLease6(ctx, lease.TypeNA, l.Addr)
		if !Equal6(got, u) {
			t.Fatalf("after update: %+v want %+v", got, u)
		}
		if err := s.UpdateLease6(ctx, Lease6("2001:db8::11", 1)); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("update missing: %v", err)
		}
		if err := s.DeleteLease6(ctx, u); err != nil {
			t.Fatal(err)
		}
		if err := s.DeleteLease6(ctx, u); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("delete missing: %v", err)
		}
	})
	t.Run("Prefix", func(t *testing.T) {
		s := open(t)
		l := Lease6("2001:db8:1::", 1)
		l.Type, l.PrefixLen = lease.TypePD, 56
		l.ValidLft = lease.InfiniteLifetime
		if err := s.AddLease6(ctx, l); err != nil {
			t.Fatal(err)
		}
		got, _ := s.GetLease6(ctx, lease.TypePD, l.Addr)
		if !Equal6(got, l) {
			t.Fatalf("got %+v want %+v", got, l)
		}
	})
	t.Run("Lookups", func(t *testing.T) {
		s := open(t)
		a := Lease6("2001:db8::a", 1)
		b := Lease6("2001:db8::9", 1)
		c := Lease6("2001:db8::1:0", 2)
		b.DUID, c.DUID = a.DUID, a.DUID
		b.IAID, c.IAID = a.IAID, a.IAID
		a.Hostname, b.Hostname = "x.example", "x.example"
		for _, l := range []*lease.Lease6{a, b, c} {
			if err := s.AddLease6(ctx, l); err != nil {
				t.Fatal(err)
			}
		}
		got, _ := s.GetLeases6ByIAID(ctx, lease.TypeNA, a.DUID, a.IAID, 1)
		if want := []string{"2001:db8::a", "2001:db8::9"}; !reflect.DeepEqual(addrs6(got), want) {
			t.Errorf("by iaid: %v want %v", addrs6(got), want)
		}
		got, _ = s.GetLeases6ByDUID(ctx, a.DUID)
		if want := []string{"2001:db8::a", "2001:db8::9", "2001:db8::1:0"}; !reflect.DeepEqual(addrs6(got), want) {
			t.Errorf("by duid: %v want %v", addrs6(got), want)
		}
		got, _ = s.GetLeases6ByHostname(ctx, "x.example")
		if len(got) != 2 {
			t.Errorf("by hostname: %v", addrs6(got))
		}
		got, _ = s.GetLeases6ByHostname(ctx, "X.example")
		if len(got) != 0 {
			t.Errorf("by hostname, other case: %v", addrs6(got))
		}
		got, _ = s.GetLeases6BySubnet(ctx, 2)
		if want := []string{"2001:db8::1:0"}; !reflect.DeepEqual(addrs6(got), want) {
			t.Errorf("by subnet: %v want %v", addrs6(got), want)
		}
	})
	t.Run("PagesNumericOrder", func(t *testing.T) {
		s := open(t)
		// String order differs from numeric order for these.
		in := []string{"2001:db8::a", "2001:db8::1:0", "2001:db8::9", "fe80::1", "2001:db8::10", "::ffff:10.0.0.1", "3000::"}
		for _, a := range in {
			if err := s.AddLease6(ctx, Lease6(a, 1)); err != nil {
				t.Fatal(err)
			}
		}
		var all []string
		after := netip.IPv6Unspecified()
		for {
			page, err := s.GetLeases6Page(ctx, after, 3)
			if err != nil {
				t.Fatal(err)
			}
			if len(page) == 0 {
				break
			}
			all = append(all, addrs6(page)...)
			after = page[len(page)-1].Addr
		}
		want := []string{"::ffff:10.0.0.1", "2001:db8::9", "2001:db8::a", "2001:db8::10", "2001:db8::1:0", "3000::", "fe80::1"}
		if !reflect.DeepEqual(all, want) {
			t.Errorf("pages: %v want %v", all, want)
		}
	})
	t.Run("ExpiredWipeCount", func(t *testing.T) {
		s := open(t)
		for i, a := range []string{"2001:db8::1", "2001:db8::2", "2001:db8::3"} {
			l := Lease6(a, 1)
			l.CLTT, l.ValidLft = 1000-int64(i)*100, 100
			if i == 2 {
				l.State = lease.StateExpiredReclaimed
			}
			if err := s.AddLease6(ctx, l); err != nil {
				t.Fatal(err)
			}
		}
		pd := Lease6("2001:db8:8::", 2)
		pd.Type, pd.PrefixLen = lease.TypePD, 64
		if err := s.AddLease6(ctx, pd); err != nil {
			t.Fatal(err)
		}
		exp, _ := s.GetExpiredLeases6(ctx, 1050, 0)
		if want := []string{"2001:db8::2"}; !reflect.DeepEqual(addrs6(exp), want) {
			t.Errorf("expired: %v want %v", addrs6(exp), want)
		}
		counts, _ := s.CountLeases6(ctx)
		want := []store.StateCount{{SubnetID: 1, Type: lease.TypeNA, State: 0, Count: 2},
			{SubnetID: 1, Type: lease.TypeNA, State: 2, Count: 1},
			{SubnetID: 2, Type: lease.TypePD, State: 0, Count: 1}}
		if !reflect.DeepEqual(counts, want) {
			t.Errorf("counts: %+v want %+v", counts, want)
		}
		if n, err := s.DeleteExpiredReclaimedLeases6(ctx, 901); err != nil || n != 1 {
			t.Errorf("delete reclaimed: %d %v", n, err)
		}
		if n, err := s.WipeLeases6(ctx, 1); err != nil || n != 2 {
			t.Errorf("wipe: %d %v", n, err)
		}
		if n, err := s.WipeLeases6(ctx, 1); err != nil || n != 0 {
			t.Errorf("second wipe: %d %v", n, err)
		}
	})
}

// UnchangedUpdate checks that updating a lease to what it already is
// succeeds (MySQL counts matched rows, not changed ones).
func UnchangedUpdate(t *testing.T, s4 store.Store4, s6 store.Store6) {
	ctx := context.Background()
	l4 := Lease4("192.0.2.77", 1)
	l6 := Lease6("2001:db8::77", 1)
	if err := s4.AddLease4(ctx, l4); err != nil {
		t.Fatal(err)
	}
	if err := s6.AddLease6(ctx, l6); err != nil {
		t.Fatal(err)
	}
	if err := s4.UpdateLease4(ctx, l4); err != nil {
		t.Errorf("unchanged lease4 update: %v", err)
	}
	if err := s6.UpdateLease6(ctx, l6); err != nil {
		t.Errorf("unchanged lease6 update: %v", err)
	}
}
