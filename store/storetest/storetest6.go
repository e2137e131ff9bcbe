package storetest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/lessor-dhcp/lessor/internal/kjson"
	"github.com/lessor-dhcp/lessor/lease"
	"github.com/lessor-dhcp/lessor/store"
)

func addr6Or(l *lease.Lease6) string {
	if l == nil {
		return ""
	}
	return l.Addr.String()
}

// Run6 runs the IPv6 contract suite; open must return a fresh, empty store.
func Run6(t *testing.T, open func(t *testing.T) store.Store6) {
	ctx := context.Background()
	add := func(t *testing.T, s store.Store6, ls ...*lease.Lease6) {
		t.Helper()
		for _, l := range ls {
			if err := s.AddLease6(ctx, l); err != nil {
				t.Fatalf("AddLease6(%s): %v", l.Addr, err)
			}
		}
	}
	get := func(t *testing.T, s store.Store6, typ lease.Type, a string) *lease.Lease6 {
		t.Helper()
		l, err := s.GetLease6(ctx, typ, ip(a))
		if err != nil {
			t.Fatalf("GetLease6(%s): %v", a, err)
		}
		return l
	}

	t.Run("RoundTrip", func(t *testing.T) {
		uc := kjson.MustParse(`{ "comment": "a, b & c", "n": { "l": [ 1, "x,y", false ] } }`)
		cases := []struct {
			name string
			mod  func(l *lease.Lease6)
		}{
			{"plain", func(*lease.Lease6) {}},
			{"temporary", func(l *lease.Lease6) { l.Type = lease.TypeTA }},
			{"prefix", func(l *lease.Lease6) {
				l.Type, l.PrefixLen = lease.TypePD, 56
				l.Addr = ip("2001:db8:1:ff00::")
			}},
			{"hw-address", func(l *lease.Lease6) {
				l.HWAddr, l.HWType, l.HWAddrSource = []byte{1, 2, 3, 4, 5, 6}, 1, 4
			}},
			{"hw-address other type", func(l *lease.Lease6) {
				l.HWAddr, l.HWType, l.HWAddrSource = []byte{1, 2, 3, 4, 5, 6, 7, 8}, 6, 0
			}},
			{"declined", func(l *lease.Lease6) {
				l.DUID, l.State, l.PreferredLft, l.Hostname = []byte{0}, lease.StateDeclined, 0, ""
			}},
			{"expired-reclaimed", func(l *lease.Lease6) { l.State = lease.StateExpiredReclaimed }},
			{"fqdn flags", func(l *lease.Lease6) { l.FqdnFwd, l.FqdnRev = true, true }},
			{"hostname with comma and ampersand", func(l *lease.Lease6) { l.Hostname = "x,y&z,&#x26.example" }},
			{"user context", func(l *lease.Lease6) { l.UserContext = uc }},
			{"infinite lifetimes", func(l *lease.Lease6) {
				l.ValidLft, l.PreferredLft = lease.InfiniteLifetime, lease.InfiniteLifetime
			}},
			{"valid lifetime 0", func(l *lease.Lease6) { l.ValidLft, l.PreferredLft = 0, 0 }},
			{"long duid", func(l *lease.Lease6) { l.DUID = make([]byte, 128); l.DUID[0] = 1 }},
			{"max iaid", func(l *lease.Lease6) { l.IAID = 0xffffffff }},
			{"address ::1", func(l *lease.Lease6) { l.Addr = ip("::1") }},
			{"address ffff::", func(l *lease.Lease6) {
				l.Addr = ip("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff")
			}},
		}
		s := open(t)
		for i, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				l := Lease6(byte(i + 1))
				c.mod(l)
				want := Text6(l)
				add(t, s, l)
				l.Hostname, l.DUID = "changed", []byte{9, 9, 9}
				got := get(t, s, l.Type, l.Addr.String())
				if Text6(got) != want {
					t.Fatalf("got  %s\nwant %s", Text6(got), want)
				}
				got.Hostname = "changed"
				if again := get(t, s, l.Type, l.Addr.String()); Text6(again) != want {
					t.Fatalf("store kept a returned lease: %s", Text6(again))
				}
			})
		}
	})

	t.Run("Errors", func(t *testing.T) {
		s := open(t)
		l := Lease6(1)
		if err := s.UpdateLease6(ctx, l); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("update of a missing lease: %v, want ErrNotFound", err)
		}
		if err := s.DeleteLease6(ctx, l); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("delete of a missing lease: %v, want ErrNotFound", err)
		}
		add(t, s, l)
		// Same address, other type: the address is taken.
		pd := Lease6(2)
		pd.Addr, pd.Type, pd.PrefixLen = l.Addr, lease.TypePD, 128
		if err := s.AddLease6(ctx, pd); !errors.Is(err, store.ErrExists) {
			t.Errorf("add of another type at a taken address: %v, want ErrExists", err)
		}
		if got := get(t, s, lease.TypePD, l.Addr.String()); got != nil {
			t.Errorf("GetLease6(IA_PD) of an IA_NA address: %s", Text6(got))
		}
		if got := get(t, s, lease.TypeTA, l.Addr.String()); got != nil {
			t.Errorf("GetLease6(IA_TA) of an IA_NA address: %s", Text6(got))
		}
		if got := get(t, s, lease.TypeNA, l.Addr.String()); Text6(got) != Text6(l) {
			t.Errorf("GetLease6(IA_NA): %s", Text6(got))
		}
		if got := get(t, s, lease.TypeNA, "2001:db8::99"); got != nil {
			t.Errorf("missing lease: %s", Text6(got))
		}
		must(t, s.DeleteLease6(ctx, l))
		if err := s.DeleteLease6(ctx, l); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("second delete: %v, want ErrNotFound", err)
		}
		add(t, s, pd)
		if got := get(t, s, lease.TypePD, l.Addr.String()); Text6(got) != Text6(pd) {
			t.Errorf("prefix at freed address: %s", Text6(got))
		}
	})

	t.Run("Update", func(t *testing.T) {
		s := open(t)
		add(t, s, Lease6(1))
		u := Lease6(1)
		u.DUID = []byte{0, 3, 0, 1, 9, 9, 9, 9, 9, 9}
		u.IAID = 77
		u.SubnetID = 5
		u.ValidLft, u.PreferredLft = 7200, 3600
		u.CLTT = Now + 5
		u.Hostname = "renamed"
		u.HWAddr, u.HWType, u.HWAddrSource = []byte{1, 2, 3, 4, 5, 6}, 1, 2
		u.UserContext = kjson.MustParse(`{ "a": 1 }`)
		must(t, s.UpdateLease6(ctx, u))
		if got := get(t, s, lease.TypeNA, u.Addr.String()); Text6(got) != Text6(u) {
			t.Fatalf("after update got %s\nwant %s", Text6(got), Text6(u))
		}
		if ls, _ := s.GetLeases6ByDUID(ctx, Lease6(1).DUID); len(ls) != 0 {
			t.Errorf("old DUID still indexed")
		}
		if ls, _ := s.GetLeases6ByIAID(ctx, lease.TypeNA, u.DUID, 77, 5); len(ls) != 1 {
			t.Errorf("new DUID/IAID not indexed: %v", addrs6(ls))
		}
		if ls, _ := s.GetLeases6BySubnet(ctx, 1); len(ls) != 0 {
			t.Errorf("old subnet still indexed")
		}
		u.ValidLft, u.PreferredLft = 0, 0
		must(t, s.UpdateLease6(ctx, u))
		if got := get(t, s, lease.TypeNA, u.Addr.String()); Text6(got) != Text6(u) {
			t.Fatalf("after update to valid 0 got %s", Text6(got))
		}
	})

	t.Run("ByDUIDAndIAID", func(t *testing.T) {
		s := open(t)
		duid := []byte{0, 1, 0, 1, 0xaa, 0xbb}
		type spec struct {
			n      byte
			typ    lease.Type
			iaid   uint32
			subnet uint32
		}
		for _, x := range []spec{
			{9, lease.TypeNA, 1, 1}, {3, lease.TypeNA, 1, 2}, {5, lease.TypePD, 1, 1},
			{1, lease.TypeNA, 2, 1}, {7, lease.TypeNA, 1, 1}, {2, lease.TypeTA, 1, 1},
		} {
			l := Lease6(x.n)
			l.DUID, l.Type, l.IAID, l.SubnetID = duid, x.typ, x.iaid, x.subnet
			if x.typ == lease.TypePD {
				l.PrefixLen = 64
			}
			add(t, s, l)
		}
		add(t, s, Lease6(50))
		cases := []struct {
			typ    lease.Type
			iaid   uint32
			subnet uint32
			want   []string
		}{
			{lease.TypeNA, 1, 1, []string{"2001:db8::9", "2001:db8::7"}},
			{lease.TypeNA, 1, 2, []string{"2001:db8::3"}},
			{lease.TypePD, 1, 1, []string{"2001:db8::5"}},
			{lease.TypeTA, 1, 1, []string{"2001:db8::2"}},
			{lease.TypeNA, 2, 1, []string{"2001:db8::1"}},
			{lease.TypeNA, 3, 1, nil},
			{lease.TypePD, 1, 2, nil},
		}
		for _, c := range cases {
			ls, err := s.GetLeases6ByIAID(ctx, c.typ, duid, c.iaid, c.subnet)
			must(t, err)
			if got := addrs6(ls); !sameList(got, c.want) {
				t.Errorf("GetLeases6ByIAID(%s, iaid %d, subnet %d) = %v, want %v", c.typ, c.iaid, c.subnet, got, c.want)
			}
		}
		ls, err := s.GetLeases6ByDUID(ctx, duid)
		must(t, err)
		want := []string{"2001:db8::9", "2001:db8::3", "2001:db8::5", "2001:db8::1", "2001:db8::7", "2001:db8::2"}
		if got := addrs6(ls); !sameList(got, want) {
			t.Errorf("GetLeases6ByDUID = %v, want %v", got, want)
		}
		if ls, _ := s.GetLeases6ByDUID(ctx, []byte{7, 7, 7}); len(ls) != 0 {
			t.Errorf("unknown DUID: %v", addrs6(ls))
		}
		// Update keeping the keys keeps the place; delete+add moves it last.
		u := get(t, s, lease.TypeNA, "2001:db8::9")
		u.ValidLft = 10
		must(t, s.UpdateLease6(ctx, u))
		ls, _ = s.GetLeases6ByIAID(ctx, lease.TypeNA, duid, 1, 1)
		if got := addrs6(ls); !sameList(got, []string{"2001:db8::9", "2001:db8::7"}) {
			t.Errorf("after update: %v", got)
		}
		must(t, s.DeleteLease6(ctx, u))
		add(t, s, u)
		ls, _ = s.GetLeases6ByIAID(ctx, lease.TypeNA, duid, 1, 1)
		if got := addrs6(ls); !sameList(got, []string{"2001:db8::7", "2001:db8::9"}) {
			t.Errorf("after delete+add: %v", got)
		}
	})

	t.Run("ByHostnameAndSubnet", func(t *testing.T) {
		s := open(t)
		for _, n := range []byte{4, 1, 3} {
			l := Lease6(n)
			l.Hostname, l.SubnetID = "same.example.org", 3
			add(t, s, l)
		}
		add(t, s, Lease6(2))
		want := []string{"2001:db8::4", "2001:db8::1", "2001:db8::3"}
		ls, err := s.GetLeases6ByHostname(ctx, "same.example.org")
		must(t, err)
		if got := addrs6(ls); !sameList(got, want) {
			t.Errorf("GetLeases6ByHostname = %v, want %v", got, want)
		}
		ls, err = s.GetLeases6BySubnet(ctx, 3)
		must(t, err)
		if got := addrs6(ls); !sameList(got, want) {
			t.Errorf("GetLeases6BySubnet = %v, want %v", got, want)
		}
		if ls, _ := s.GetLeases6BySubnet(ctx, 42); len(ls) != 0 {
			t.Errorf("unknown subnet: %v", addrs6(ls))
		}
		if ls, _ := s.GetLeases6ByHostname(ctx, "none"); len(ls) != 0 {
			t.Errorf("unknown hostname: %v", addrs6(ls))
		}
	})

	t.Run("Pages", func(t *testing.T) {
		s := open(t)
		var all []string
		for i := 0; i < 20; i++ {
			add(t, s, Lease6(byte((i*3)%20+1)))
		}
		pd := Lease6(200)
		pd.Addr, pd.Type, pd.PrefixLen = ip("3000::"), lease.TypePD, 48
		add(t, s, pd)
		for n := 1; n <= 20; n++ {
			all = append(all, fmt.Sprintf("2001:db8::%x", n))
		}
		all = append(all, "3000::")
		for _, limit := range []int{1, 4, 20, 21, 22} {
			var got []string
			after := ip("::")
			for range 100 {
				ls, err := s.GetLeases6Page(ctx, after, limit)
				must(t, err)
				if len(ls) > limit {
					t.Fatalf("page of %d for limit %d", len(ls), limit)
				}
				if len(ls) == 0 {
					break
				}
				got = append(got, addrs6(ls)...)
				after = ls[len(ls)-1].Addr
			}
			if !sameList(got, all) {
				t.Errorf("limit %d: pages gave %v", limit, got)
			}
		}
		for _, c := range []struct {
			after string
			limit int
			want  []string
		}{
			{"3000::", 5, nil},
			{"ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 5, nil},
			{"2001:db8::14", 5, []string{"3000::"}},
			{"2001:db8::2", 2, []string{"2001:db8::3", "2001:db8::4"}},
			{"2001:db8::2:0", 1, []string{"3000::"}},
		} {
			ls, err := s.GetLeases6Page(ctx, ip(c.after), c.limit)
			must(t, err)
			if got := addrs6(ls); !sameList(got, c.want) {
				t.Errorf("page after %s limit %d: %v, want %v", c.after, c.limit, got, c.want)
			}
		}
	})

	t.Run("Expired", func(t *testing.T) {
		s := open(t)
		mk := func(n byte, expireOffset int64, st lease.State) *lease.Lease6 {
			l := Lease6(n)
			l.ValidLft, l.PreferredLft = 100, 50
			l.CLTT = Now + expireOffset - 100
			l.State = st
			return l
		}
		add(t, s,
			mk(1, -60, lease.StateDefault),
			mk(2, -600, lease.StateDefault),
			mk(3, -10, lease.StateExpiredReclaimed),
			mk(4, 600, lease.StateDefault),
			mk(5, -30, lease.StateDeclined),
			mk(6, -6000, lease.StateExpiredReclaimed),
		)
		ls, err := s.GetExpiredLeases6(ctx, Now, 0)
		must(t, err)
		if got, want := addrs6(ls), []string{"2001:db8::2", "2001:db8::1", "2001:db8::5"}; !sameList(got, want) {
			t.Errorf("expired: %v, want %v", got, want)
		}
		ls, _ = s.GetExpiredLeases6(ctx, Now, 1)
		if got := addrs6(ls); !sameList(got, []string{"2001:db8::2"}) {
			t.Errorf("expired limit 1: %v", got)
		}
		n, err := s.DeleteExpiredReclaimedLeases6(ctx, Now-1000)
		must(t, err)
		if n != 1 || get(t, s, lease.TypeNA, "2001:db8::6") != nil {
			t.Errorf("delete reclaimed older than Now-1000: %d", n)
		}
		n, err = s.DeleteExpiredReclaimedLeases6(ctx, Now+10)
		must(t, err)
		if n != 1 || get(t, s, lease.TypeNA, "2001:db8::3") != nil {
			t.Errorf("delete reclaimed older than Now+10: %d", n)
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
					l := Lease6(byte(w*50 + i + 1))
					if err := s.AddLease6(ctx, l); err != nil {
						t.Error(err)
						return
					}
					if _, err := s.GetLeases6ByDUID(ctx, l.DUID); err != nil {
						t.Error(err)
						return
					}
				}
			}(w)
		}
		wg.Wait()
		ls, err := s.GetLeases6BySubnet(ctx, 1)
		must(t, err)
		if len(ls) != 100 {
			t.Errorf("%d leases after concurrent adds, want 100", len(ls))
		}
	})

	t.Run("WipeAndCounts", func(t *testing.T) {
		s := open(t)
		for n := byte(1); n <= 9; n++ {
			l := Lease6(n)
			l.SubnetID = uint32(n%3 + 1)
			if n%2 == 0 {
				l.Type, l.PrefixLen = lease.TypePD, 64
			}
			if n == 9 {
				l.State = lease.StateDeclined
			}
			add(t, s, l)
		}
		counts, err := s.CountLeases6(ctx)
		must(t, err)
		got := map[string]int64{}
		for _, c := range counts {
			got[fmt.Sprintf("%d/%s/%d", c.SubnetID, c.Type, c.State)] += c.Count
		}
		want := map[string]int64{
			"1/IA_NA/0": 1, "1/IA_NA/1": 1, "1/IA_PD/0": 1,
			"2/IA_NA/0": 2, "2/IA_PD/0": 1,
			"3/IA_NA/0": 1, "3/IA_PD/0": 2,
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("counts %v, want %v", got, want)
		}
		n, err := s.WipeLeases6(ctx, 3)
		must(t, err)
		if n != 3 {
			t.Errorf("wiped %d, want 3", n)
		}
		if ls, _ := s.GetLeases6BySubnet(ctx, 3); len(ls) != 0 {
			t.Errorf("subnet 3 still has %v", addrs6(ls))
		}
		if ls, _ := s.GetLeases6BySubnet(ctx, 1); len(ls) != 3 {
			t.Errorf("subnet 1 has %v", addrs6(ls))
		}
	})
}
