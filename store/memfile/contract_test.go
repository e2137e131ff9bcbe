package memfile

import (
	"context"
	"fmt"
	"log/slog"
	"maps"
	"math"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/lessor-dhcp/lessor/lease"
	"github.com/lessor-dhcp/lessor/store"
	"github.com/lessor-dhcp/lessor/store/storetest"
)

func testLogger(t testing.TB) *slog.Logger {
	if os.Getenv("MEMFILE_TEST_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, nil))
	}
	return slog.New(slog.DiscardHandler)
}

func boolPtr(b bool) *bool { return &b }

func openTest(t testing.TB, cfg store.Config) *Store {
	t.Helper()
	if cfg.Type == "" {
		cfg.Type = "memfile"
	}
	s, err := OpenStore(context.Background(), cfg, testLogger(t))
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	return s
}

// dump4 returns every lease of a store, in address order, as text.
func dump4(t testing.TB, s store.Store4) []string {
	t.Helper()
	var out []string
	after := netip.IPv4Unspecified()
	// The lease at 0.0.0.0 is not reachable by pages; fetch it directly.
	if l, _ := s.GetLease4(context.Background(), after); l != nil {
		out = append(out, storetest.Text4(l))
	}
	for {
		ls, err := s.GetLeases4Page(context.Background(), after, 1000)
		if err != nil {
			t.Fatal(err)
		}
		if len(ls) == 0 {
			return out
		}
		for _, l := range ls {
			out = append(out, storetest.Text4(l))
		}
		after = ls[len(ls)-1].Addr
	}
}

func dump6(t testing.TB, s store.Store6) []string {
	t.Helper()
	var out []string
	after := netip.IPv6Unspecified()
	for _, typ := range []lease.Type{lease.TypeNA, lease.TypeTA, lease.TypePD} {
		if l, _ := s.GetLease6(context.Background(), typ, after); l != nil {
			out = append(out, storetest.Text6(l))
		}
	}
	for {
		ls, err := s.GetLeases6Page(context.Background(), after, 1000)
		if err != nil {
			t.Fatal(err)
		}
		if len(ls) == 0 {
			return out
		}
		for _, l := range ls {
			out = append(out, storetest.Text6(l))
		}
		after = ls[len(ls)-1].Addr
	}
}

// orders4 lists the store's secondary orders: expired leases (all that
// are not reclaimed), each subnet's leases, each hostname's leases.
func orders4(t testing.TB, s store.Store4) []string {
	ctx := context.Background()
	var out []string
	ls, _ := s.GetExpiredLeases4(ctx, math.MaxInt64, 0)
	out = append(out, "expired: "+strings.Join(addrList4(ls), " "))
	counts, _ := s.CountLeases4(ctx)
	hosts := map[string]bool{}
	for _, c := range counts {
		ls, _ := s.GetLeases4BySubnet(ctx, c.SubnetID)
		out = append(out, fmt.Sprintf("subnet %d: %s", c.SubnetID, strings.Join(addrList4(ls), " ")))
		for _, l := range ls {
			hosts[l.Hostname] = true
		}
	}
	for _, h := range slices.Sorted(maps.Keys(hosts)) {
		ls, _ := s.GetLeases4ByHostname(ctx, h)
		out = append(out, fmt.Sprintf("host %q: %s", h, strings.Join(addrList4(ls), " ")))
	}
	return out
}

func orders6(t testing.TB, s store.Store6) []string {
	ctx := context.Background()
	var out []string
	ls, _ := s.GetExpiredLeases6(ctx, math.MaxInt64, 0)
	out = append(out, "expired: "+strings.Join(addrList6(ls), " "))
	counts, _ := s.CountLeases6(ctx)
	duids := map[string]bool{}
	for _, c := range counts {
		ls, _ := s.GetLeases6BySubnet(ctx, c.SubnetID)
		out = append(out, fmt.Sprintf("subnet %d: %s", c.SubnetID, strings.Join(addrList6(ls), " ")))
		for _, l := range ls {
			duids[string(l.DUID)] = true
		}
	}
	for _, d := range slices.Sorted(maps.Keys(duids)) {
		ls, _ := s.GetLeases6ByDUID(ctx, []byte(d))
		out = append(out, fmt.Sprintf("duid %x: %s", d, strings.Join(addrList6(ls), " ")))
	}
	return out
}

func addrList4(ls []*lease.Lease4) []string {
	var out []string
	for _, l := range ls {
		out = append(out, l.Addr.String())
	}
	return out
}

func addrList6(ls []*lease.Lease6) []string {
	var out []string
	for _, l := range ls {
		out = append(out, l.Addr.String())
	}
	return out
}

func sameLines(t testing.TB, what string, got, want []string) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d leases, want %d\ngot  %q\nwant %q", what, len(got), len(want), got, want)
	}
	for i := range got {
		if got[i] != want[i] {
			t.Fatalf("%s: lease %d\ngot  %s\nwant %s", what, i, got[i], want[i])
		}
	}
}

// TestContract runs the store contract suite on persisted and
// non-persisted stores; for persisted ones, each test ends by reopening
// the lease file and checking that it gives back exactly what was in
// memory.
func TestContract(t *testing.T) {
	for _, persist := range []bool{true, false} {
		name := "persist"
		if !persist {
			name = "memory"
		}
		t.Run(name+"/v4", func(t *testing.T) {
			storetest.Run4(t, func(t *testing.T) store.Store4 {
				path := filepath.Join(t.TempDir(), "leases4.csv")
				s := openTest(t, store.Config{Family: 4, Name: path, Persist: boolPtr(persist)})
				t.Cleanup(func() {
					want, wantOrders := dump4(t, s), orders4(t, s)
					s.Close()
					if !persist {
						return
					}
					r := openTest(t, store.Config{Family: 4, Name: path})
					defer r.Close()
					sameLines(t, "reloaded", dump4(t, r), want)
					sameLines(t, "reloaded orders", orders4(t, r), wantOrders)
				})
				return s.V4()
			})
		})
		t.Run(name+"/v6", func(t *testing.T) {
			storetest.Run6(t, func(t *testing.T) store.Store6 {
				path := filepath.Join(t.TempDir(), "leases6.csv")
				s := openTest(t, store.Config{Family: 6, Name: path, Persist: boolPtr(persist)})
				t.Cleanup(func() {
					want, wantOrders := dump6(t, s), orders6(t, s)
					s.Close()
					if !persist {
						return
					}
					r := openTest(t, store.Config{Family: 6, Name: path})
					defer r.Close()
					sameLines(t, "reloaded", dump6(t, r), want)
					sameLines(t, "reloaded orders", orders6(t, r), wantOrders)
				})
				return s.V6()
			})
		})
	}
}

func TestRegistered(t *testing.T) {
	s, err := store.Open(context.Background(), store.Config{Family: 4, Type: "memfile", Persist: boolPtr(false)}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if s.V4() == nil || s.V6() != nil {
		t.Fatalf("family 4 store: V4 %v, V6 %v", s.V4(), s.V6())
	}
}
