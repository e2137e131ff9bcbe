// Package storetest is the contract test suite every lessor lease store
// must pass. A backend's tests call Run4 and Run6 with a function that
// opens a fresh, empty store:
//
//	func TestContract4(t *testing.T) {
//		storetest.Run4(t, func(t *testing.T) store.Store4 { return openEmpty(t).V4() })
//	}
//
// The suite exercises every method of store.Store4 and store.Store6: the
// error conventions (ErrExists, ErrNotFound, nil for not found), the
// ordering rules of store.go (address order for pages, key then
// first-added order for secondary lists), pages at and after the last
// address, expired and reclaimed queries, wipes, counts by state, and
// lease fields at their edges (empty hardware address, no client-id,
// user context, infinite valid lifetime). Times used stay clear of the
// "expired at now" boundary, on which backends may differ.
//
// Stores must close themselves through t.Cleanup if they need closing.
package storetest

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"sync"
	"testing"

	"github.com/lessor-dhcp/lessor/internal/kjson"
	"github.com/lessor-dhcp/lessor/lease"
	"github.com/lessor-dhcp/lessor/store"
)

// Now is the reference time of the suite's leases (CLTT values are around
// it); expiry queries use times relative to it.
const Now = int64(1_700_000_000)

// Lease4 returns a test lease: address 192.0.2.<n>, hardware address
// 00:00:00:00:00:<n>, client-id 01:<n>, subnet 1, valid 3600, CLTT Now.
func Lease4(n byte) *lease.Lease4 {
	return &lease.Lease4{
		Addr:     netip.AddrFrom4([4]byte{192, 0, 2, n}),
		HWAddr:   []byte{0, 0, 0, 0, 0, n},
		HWType:   lease.HTypeEther,
		ClientID: []byte{1, n},
		ValidLft: 3600,
		CLTT:     Now,
		SubnetID: 1,
		Hostname: fmt.Sprintf("host%d.example.org", n),
	}
}

// Lease6 returns a test lease: address 2001:db8::<n>, IA_NA, DUID
// 00:01:00:<n>, IAID n, subnet 1, valid 3600, preferred 1800, CLTT Now.
func Lease6(n byte) *lease.Lease6 {
	return &lease.Lease6{
		Addr:         netip.AddrFrom16([16]byte{0x20, 0x01, 0x0d, 0xb8, 15: n}),
		Type:         lease.TypeNA,
		PrefixLen:    128,
		IAID:         uint32(n),
		DUID:         []byte{0, 1, 0, n},
		PreferredLft: 1800,
		ValidLft:     3600,
		CLTT:         Now,
		SubnetID:     1,
		Hostname:     fmt.Sprintf("host%d.example.org", n),
	}
}

// Text4 describes a lease for comparisons: Kea's JSON form of it.
func Text4(l *lease.Lease4) string {
	if l == nil {
		return "<nil>"
	}
	return l.ToElement().Str()
}

// Text6 describes a lease for comparisons: Kea's JSON form of it plus the
// hardware type and source (which the JSON form leaves out).
func Text6(l *lease.Lease6) string {
	if l == nil {
		return "<nil>"
	}
	s := l.ToElement().Str()
	if len(l.HWAddr) > 0 {
		s += fmt.Sprintf(" hwtype=%d source=%d", l.HWType, l.HWAddrSource)
	}
	return s
}

func addrs4(ls []*lease.Lease4) []string {
	out := make([]string, len(ls))
	for i, l := range ls {
		out[i] = l.Addr.String()
	}
	return out
}

func addrs6(ls []*lease.Lease6) []string {
	out := make([]string, len(ls))
	for i, l := range ls {
		out[i] = l.Addr.String()
	}
	return out
}

func sameList(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func ip(s string) netip.Addr { return netip.MustParseAddr(s) }

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// Run4 runs the IPv4 contract suite; open must return a fresh, empty store.
func Run4(t *testing.T, open func(t *testing.T) store.Store4) {
	ctx := context.Background()
	add := func(t *testing.T, s store.Store4, ls ...*lease.Lease4) {
		t.Helper()
		for _, l := range ls {
			if err := s.AddLease4(ctx, l); err != nil {
				t.Fatalf("AddLease4(%s): %v", l.Addr, err)
			}
		}
	}
	get := func(t *testing.T, s store.Store4, a string) *lease.Lease4 {
		t.Helper()
		l, err := s.GetLease4(ctx, ip(a))
		if err != nil {
			t.Fatalf("GetLease4(%s): %v", a, err)
		}
		return l
	}

	t.Run("RoundTrip", func(t *testing.T) {
		ctx2 := kjson.MustParse(`{ "comment": "a, b & c", "nested": { "list": [ 1, 2.5, "x,y", true, null ] } }`)
		cases := []struct {
			name string
			mod  func(l *lease.Lease4)
		}{
			{"plain", func(*lease.Lease4) {}},
			{"no client-id", func(l *lease.Lease4) { l.ClientID = nil }},
			{"empty hw-address", func(l *lease.Lease4) { l.HWAddr = nil }},
			{"declined without identifiers", func(l *lease.Lease4) {
				l.HWAddr, l.ClientID, l.State, l.Hostname = nil, nil, lease.StateDeclined, ""
			}},
			{"expired-reclaimed", func(l *lease.Lease4) { l.State = lease.StateExpiredReclaimed }},
			{"fqdn flags", func(l *lease.Lease4) { l.FqdnFwd, l.FqdnRev = true, true }},
			{"hostname with comma and ampersand", func(l *lease.Lease4) { l.Hostname = "a,b&c,&#x2c.example" }},
			{"user context", func(l *lease.Lease4) { l.UserContext = ctx2 }},
			{"infinite lifetime", func(l *lease.Lease4) { l.ValidLft = lease.InfiniteLifetime }},
			{"valid lifetime 0", func(l *lease.Lease4) { l.ValidLft = 0 }},
			{"long client-id", func(l *lease.Lease4) { l.ClientID = make([]byte, 128) }},
			{"20-byte hw-address", func(l *lease.Lease4) { l.HWAddr = make([]byte, 20) }},
			{"large subnet id", func(l *lease.Lease4) { l.SubnetID = 0xfffffffe }},
			{"address 0.0.0.1", func(l *lease.Lease4) { l.Addr = ip("0.0.0.1") }},
			{"address 255.255.255.255", func(l *lease.Lease4) { l.Addr = ip("255.255.255.255") }},
		}
		s := open(t)
		for i, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				l := Lease4(byte(i + 1))
				c.mod(l)
				want := Text4(l)
				add(t, s, l)
				// The store must not keep the caller's lease.
				l.Hostname, l.HWAddr = "changed", []byte{9, 9, 9}
				got := get(t, s, l.Addr.String())
				if Text4(got) != want {
					t.Fatalf("got  %s\nwant %s", Text4(got), want)
				}
				// Nor hand out its own.
				got.Hostname = "changed"
				if again := get(t, s, l.Addr.String()); Text4(again) != want {
					t.Fatalf("store kept a returned lease: %s", Text4(again))
				}
			})
		}
	})

	t.Run("Errors", func(t *testing.T) {
		s := open(t)
		l := Lease4(1)
		if err := s.UpdateLease4(ctx, l); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("update of a missing lease: %v, want ErrNotFound", err)
		}
		if err := s.DeleteLease4(ctx, l); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("delete of a missing lease: %v, want ErrNotFound", err)
		}
		add(t, s, l)
		dup := Lease4(2)
		dup.Addr = l.Addr
		if err := s.AddLease4(ctx, dup); !errors.Is(err, store.ErrExists) {
			t.Errorf("second add: %v, want ErrExists", err)
		}
		if got := get(t, s, "192.0.2.1"); got == nil || got.Hostname != l.Hostname {
			t.Errorf("failed add changed the lease: %s", Text4(got))
		}
		if got := get(t, s, "192.0.2.99"); got != nil {
			t.Errorf("missing lease: got %s", Text4(got))
		}
		must(t, s.DeleteLease4(ctx, l))
		if err := s.DeleteLease4(ctx, l); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("second delete: %v, want ErrNotFound", err)
		}
		if got := get(t, s, "192.0.2.1"); got != nil {
			t.Errorf("deleted lease still there: %s", Text4(got))
		}
		// The address is free again.
		add(t, s, l)
	})

	t.Run("Update", func(t *testing.T) {
		s := open(t)
		add(t, s, Lease4(1))
		u := Lease4(1)
		u.HWAddr = []byte{0xa, 0xb, 0xc, 0xd, 0xe, 0xf}
		u.ClientID = nil
		u.SubnetID = 7
		u.ValidLft = 7200
		u.CLTT = Now + 10
		u.Hostname = "renamed"
		u.State = lease.StateDeclined
		u.UserContext = kjson.MustParse(`{ "k": "v" }`)
		must(t, s.UpdateLease4(ctx, u))
		if got := get(t, s, "192.0.2.1"); Text4(got) != Text4(u) {
			t.Fatalf("after update got %s\nwant %s", Text4(got), Text4(u))
		}
		if l, _ := s.GetLease4ByHWAddr(ctx, Lease4(1).HWAddr, 1); l != nil {
			t.Errorf("old hw-address still indexed: %s", Text4(l))
		}
		if l, _ := s.GetLease4ByHWAddr(ctx, u.HWAddr, 7); l == nil {
			t.Errorf("new hw-address not indexed")
		}
		if ls, _ := s.GetLeases4ByHostname(ctx, "host1.example.org"); len(ls) != 0 {
			t.Errorf("old hostname still indexed")
		}
		if ls, _ := s.GetLeases4BySubnet(ctx, 1); len(ls) != 0 {
			t.Errorf("old subnet still indexed")
		}
		// Update to valid lifetime 0 keeps the lease.
		u.ValidLft = 0
		must(t, s.UpdateLease4(ctx, u))
		if got := get(t, s, "192.0.2.1"); Text4(got) != Text4(u) {
			t.Fatalf("after update to valid 0 got %s", Text4(got))
		}
	})

	t.Run("ByHWAddrAndClientID", func(t *testing.T) {
		s := open(t)
		hw := []byte{1, 2, 3, 4, 5, 6}
		cid := []byte{1, 1, 2, 3, 4, 5, 6}
		// Added out of subnet order: lists come by subnet, then first added.
		for _, x := range []struct {
			n      byte
			subnet uint32
		}{{5, 3}, {3, 1}, {9, 2}, {1, 1}, {7, 3}} {
			l := Lease4(x.n)
			l.HWAddr, l.ClientID, l.SubnetID = hw, cid, x.subnet
			add(t, s, l)
		}
		add(t, s, Lease4(100)) // other identifiers
		want := []string{"192.0.2.3", "192.0.2.1", "192.0.2.9", "192.0.2.5", "192.0.2.7"}
		ls, err := s.GetLeases4ByHWAddr(ctx, hw)
		must(t, err)
		if got := addrs4(ls); !sameList(got, want) {
			t.Errorf("GetLeases4ByHWAddr: %v, want %v", got, want)
		}
		ls, err = s.GetLeases4ByClientID(ctx, cid)
		must(t, err)
		if got := addrs4(ls); !sameList(got, want) {
			t.Errorf("GetLeases4ByClientID: %v, want %v", got, want)
		}
		for _, c := range []struct {
			subnet uint32
			want   string
		}{{1, "192.0.2.3"}, {2, "192.0.2.9"}, {3, "192.0.2.5"}, {4, ""}} {
			l, err := s.GetLease4ByHWAddr(ctx, hw, c.subnet)
			must(t, err)
			if got := addr4Or(l); got != c.want {
				t.Errorf("GetLease4ByHWAddr(subnet %d) = %s, want %q", c.subnet, got, c.want)
			}
			l, err = s.GetLease4ByClientID(ctx, cid, c.subnet)
			must(t, err)
			if got := addr4Or(l); got != c.want {
				t.Errorf("GetLease4ByClientID(subnet %d) = %s, want %q", c.subnet, got, c.want)
			}
		}
		// An update that keeps the keys keeps the place.
		u := get(t, s, "192.0.2.3")
		u.ValidLft = 100
		must(t, s.UpdateLease4(ctx, u))
		if l, _ := s.GetLease4ByHWAddr(ctx, hw, 1); addr4Or(l) != "192.0.2.3" {
			t.Errorf("update moved the lease: first in subnet 1 is %s", addr4Or(l))
		}
		// Delete and add again moves it to the end of its group.
		must(t, s.DeleteLease4(ctx, u))
		add(t, s, u)
		if l, _ := s.GetLease4ByHWAddr(ctx, hw, 1); addr4Or(l) != "192.0.2.1" {
			t.Errorf("after delete+add first in subnet 1 is %s, want 192.0.2.1", addr4Or(l))
		}
		for _, q := range [][]byte{{9, 9, 9, 9, 9, 9}, nil} {
			if ls, _ := s.GetLeases4ByHWAddr(ctx, q); len(ls) != 0 {
				t.Errorf("GetLeases4ByHWAddr(%x) = %v, want none", q, addrs4(ls))
			}
		}
		if ls, _ := s.GetLeases4ByClientID(ctx, []byte{9, 9}); len(ls) != 0 {
			t.Errorf("unknown client-id found %v", addrs4(ls))
		}
	})

	t.Run("ByHostnameAndSubnet", func(t *testing.T) {
		s := open(t)
		for _, n := range []byte{8, 2, 6, 4} {
			l := Lease4(n)
			l.Hostname = "shared.example.org"
			l.SubnetID = 10
			add(t, s, l)
		}
		add(t, s, Lease4(1), Lease4(3))
		ls, err := s.GetLeases4ByHostname(ctx, "shared.example.org")
		must(t, err)
		want := []string{"192.0.2.8", "192.0.2.2", "192.0.2.6", "192.0.2.4"}
		if got := addrs4(ls); !sameList(got, want) {
			t.Errorf("GetLeases4ByHostname: %v, want %v", got, want)
		}
		ls, err = s.GetLeases4BySubnet(ctx, 10)
		must(t, err)
		if got := addrs4(ls); !sameList(got, want) {
			t.Errorf("GetLeases4BySubnet: %v, want %v", got, want)
		}
		ls, _ = s.GetLeases4BySubnet(ctx, 1)
		if got := addrs4(ls); !sameList(got, []string{"192.0.2.1", "192.0.2.3"}) {
			t.Errorf("GetLeases4BySubnet(1): %v", got)
		}
		if ls, _ := s.GetLeases4BySubnet(ctx, 99); len(ls) != 0 {
			t.Errorf("unknown subnet: %v", addrs4(ls))
		}
		if ls, _ := s.GetLeases4ByHostname(ctx, "nope"); len(ls) != 0 {
			t.Errorf("unknown hostname: %v", addrs4(ls))
		}
	})

	t.Run("Pages", func(t *testing.T) {
		s := open(t)
		var all []string
		// Add in scrambled order.
		for i := 0; i < 25; i++ {
			n := byte((i*7)%25 + 1)
			add(t, s, Lease4(n))
		}
		for n := 1; n <= 25; n++ {
			all = append(all, fmt.Sprintf("192.0.2.%d", n))
		}
		for _, limit := range []int{1, 3, 5, 24, 25, 26, 100} {
			var got []string
			after := ip("0.0.0.0")
			for range 100 {
				ls, err := s.GetLeases4Page(ctx, after, limit)
				must(t, err)
				if len(ls) > limit {
					t.Fatalf("page of %d for limit %d", len(ls), limit)
				}
				if len(ls) == 0 {
					break
				}
				got = append(got, addrs4(ls)...)
				after = ls[len(ls)-1].Addr
			}
			if !sameList(got, all) {
				t.Errorf("limit %d: pages gave %v", limit, got)
			}
		}
		cases := []struct {
			after string
			limit int
			want  []string
		}{
			{"192.0.2.25", 10, nil},
			{"255.255.255.255", 10, nil},
			{"192.0.2.24", 10, []string{"192.0.2.25"}},
			{"192.0.2.3", 2, []string{"192.0.2.4", "192.0.2.5"}},
			{"192.0.2.0", 1, []string{"192.0.2.1"}},
			{"10.0.0.1", 1, []string{"192.0.2.1"}},
		}
		for _, c := range cases {
			ls, err := s.GetLeases4Page(ctx, ip(c.after), c.limit)
			must(t, err)
			if got := addrs4(ls); !sameList(got, c.want) {
				t.Errorf("page after %s limit %d: %v, want %v", c.after, c.limit, got, c.want)
			}
		}
	})

	t.Run("Expired", func(t *testing.T) {
		s := open(t)
		mk := func(n byte, expireOffset int64, st lease.State) *lease.Lease4 {
			l := Lease4(n)
			l.ValidLft = 100
			l.CLTT = Now + expireOffset - 100
			l.State = st
			return l
		}
		add(t, s,
			mk(1, -50, lease.StateDefault),
			mk(2, -500, lease.StateDefault),
			mk(3, -10, lease.StateExpiredReclaimed),
			mk(4, 1000, lease.StateDefault),
			mk(5, -300, lease.StateDeclined),
			mk(6, -5000, lease.StateExpiredReclaimed),
		)
		inf := Lease4(7)
		inf.ValidLft = lease.InfiniteLifetime
		inf.CLTT = Now - 100000
		add(t, s, inf)
		ls, err := s.GetExpiredLeases4(ctx, Now, 0)
		must(t, err)
		if got, want := addrs4(ls), []string{"192.0.2.2", "192.0.2.5", "192.0.2.1"}; !sameList(got, want) {
			t.Errorf("expired: %v, want %v", got, want)
		}
		ls, _ = s.GetExpiredLeases4(ctx, Now, 2)
		if got, want := addrs4(ls), []string{"192.0.2.2", "192.0.2.5"}; !sameList(got, want) {
			t.Errorf("expired limit 2: %v, want %v", got, want)
		}
		ls, _ = s.GetExpiredLeases4(ctx, Now-1000, 0)
		if len(ls) != 0 {
			t.Errorf("expired before any: %v", addrs4(ls))
		}
		n, err := s.DeleteExpiredReclaimedLeases4(ctx, Now-1000)
		must(t, err)
		if n != 1 || get(t, s, "192.0.2.6") != nil {
			t.Errorf("delete reclaimed older than Now-1000: %d", n)
		}
		n, err = s.DeleteExpiredReclaimedLeases4(ctx, Now+10)
		must(t, err)
		if n != 1 || get(t, s, "192.0.2.3") != nil {
			t.Errorf("delete reclaimed older than Now+10: %d", n)
		}
		if n, _ := s.DeleteExpiredReclaimedLeases4(ctx, Now+10); n != 0 {
			t.Errorf("second delete of reclaimed: %d", n)
		}
		for _, a := range []string{"192.0.2.1", "192.0.2.2", "192.0.2.4", "192.0.2.5", "192.0.2.7"} {
			if get(t, s, a) == nil {
				t.Errorf("%s was deleted", a)
			}
		}
	})

	t.Run("Concurrent", func(t *testing.T) {
		s := open(t)
		var wg sync.WaitGroup
		for w := 0; w < 4; w++ {
			wg.Add(1)
			go func(w int) {
				defer wg.Done()
				for i := 0; i < 25; i++ {
					l := Lease4(byte(w*50 + i + 1))
					if err := s.AddLease4(ctx, l); err != nil {
						t.Error(err)
						return
					}
					l.Hostname = "renamed"
					if err := s.UpdateLease4(ctx, l); err != nil {
						t.Error(err)
						return
					}
					if _, err := s.GetLeases4ByHostname(ctx, "renamed"); err != nil {
						t.Error(err)
						return
					}
				}
			}(w)
		}
		wg.Wait()
		ls, err := s.GetLeases4ByHostname(ctx, "renamed")
		must(t, err)
		if len(ls) != 100 {
			t.Errorf("%d leases after concurrent adds, want 100", len(ls))
		}
	})

	t.Run("WipeAndCounts", func(t *testing.T) {
		s := open(t)
		for n := byte(1); n <= 12; n++ {
			l := Lease4(n)
			l.SubnetID = uint32(n%3 + 1)
			l.State = lease.State(n % 2)
			add(t, s, l)
		}
		counts, err := s.CountLeases4(ctx)
		must(t, err)
		got := map[[2]uint32]int64{}
		for _, c := range counts {
			got[[2]uint32{c.SubnetID, uint32(c.State)}] += c.Count
		}
		want := map[[2]uint32]int64{{1, 0}: 2, {1, 1}: 2, {2, 0}: 2, {2, 1}: 2, {3, 0}: 2, {3, 1}: 2}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("counts %v, want %v", got, want)
		}
		n, err := s.WipeLeases4(ctx, 2)
		must(t, err)
		if n != 4 {
			t.Errorf("wiped %d, want 4", n)
		}
		if ls, _ := s.GetLeases4BySubnet(ctx, 2); len(ls) != 0 {
			t.Errorf("subnet 2 still has %v", addrs4(ls))
		}
		for _, sub := range []uint32{1, 3} {
			if ls, _ := s.GetLeases4BySubnet(ctx, sub); len(ls) != 4 {
				t.Errorf("subnet %d has %d leases", sub, len(ls))
			}
		}
		if n, _ := s.WipeLeases4(ctx, 2); n != 0 {
			t.Errorf("second wipe: %d", n)
		}
		counts, _ = s.CountLeases4(ctx)
		for _, c := range counts {
			if c.SubnetID == 2 && c.Count != 0 {
				t.Errorf("count for wiped subnet: %+v", c)
			}
		}
	})
}

func addr4Or(l *lease.Lease4) string {
	if l == nil {
		return ""
	}
	return l.Addr.String()
}
