package sqltest

import (
	"context"
	"fmt"
	"net/netip"
	"strings"
	"testing"

	"github.com/lessor-dhcp/lessor/store"
)

// Populate inserts n leases (family 4: 10.0.0.0 + i; family 6:
// 2001:db8:: + i) in batches of plain SQL, for page and walk tests.
func Populate(t testing.TB, cfg store.Config, family, n int) {
	t.Helper()
	expire := "now()"
	if cfg.Type == "mysql" {
		expire = "NOW()"
	}
	hw, empty := `'\x0102'::bytea`, `''::bytea`
	if cfg.Type == "mysql" {
		hw, empty = "x'0102'", "NULL"
	}
	db, err := connect(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	const batch = 1000
	for start := 0; start < n; start += batch {
		var rows []string
		for i := start; i < n && i < start+batch; i++ {
			if family == 4 {
				rows = append(rows, fmt.Sprintf("(%d, %s, %s, 3600, %s, 1, false, false, '', 0)",
					0x0a000000+i+1, hw, empty, expire))
			} else {
				rows = append(rows, fmt.Sprintf("('%s', %s, 3600, %s, 1, 1800, 0, %d, 128, false, false, '', 0)",
					AddrN6(i), hw, expire, i))
			}
		}
		q := "INSERT INTO lease4 (address, hwaddr, client_id, valid_lifetime, expire, subnet_id, fqdn_fwd, fqdn_rev, hostname, state) VALUES "
		if family == 6 {
			q = "INSERT INTO lease6 (address, duid, valid_lifetime, expire, subnet_id, pref_lifetime, lease_type, iaid, prefix_len, fqdn_fwd, fqdn_rev, hostname, state) VALUES "
		}
		if _, err := db.Exec(q + strings.Join(rows, ", ")); err != nil {
			t.Fatalf("populate: %v", err)
		}
	}
}

// AddrN4 and AddrN6 are the addresses Populate uses.
func AddrN4(i int) netip.Addr {
	v := uint32(0x0a000000 + i + 1)
	return netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)})
}

// AddrN6 returns 2001:db8:: + i + 1.
func AddrN6(i int) netip.Addr {
	b := netip.MustParseAddr("2001:db8::").As16()
	v := uint32(i + 1)
	b[12], b[13], b[14], b[15] = byte(v>>24), byte(v>>16), byte(v>>8), byte(v)
	return netip.AddrFrom16(b)
}

// Bench measures the store's operations on a database of its own.
func Bench(b *testing.B, typ string) {
	ctx := context.Background()
	cfg := NewDatabase(b, typ, 0, Lessor)
	st := Open(b, cfg)
	s4, s6 := st.V4(), st.V6()

	b.Run("Add4", func(b *testing.B) {
		Exec(b, cfg, "DELETE FROM lease4")
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			l := Lease4("192.0.2.1", 1)
			l.Addr = AddrN4(i)
			if err := s4.AddLease4(ctx, l); err != nil {
				b.Fatal(err)
			}
		}
	})
	Exec(b, cfg, "DELETE FROM lease4")
	const n = 1000
	for i := 0; i < n; i++ {
		l := Lease4("192.0.2.1", 1)
		l.Addr = AddrN4(i)
		if err := s4.AddLease4(ctx, l); err != nil {
			b.Fatal(err)
		}
	}
	b.Run("Get4", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			if l, err := s4.GetLease4(ctx, AddrN4(i%n)); err != nil || l == nil {
				b.Fatal(l, err)
			}
		}
	})
	b.Run("Update4", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			l := Lease4("192.0.2.1", 1)
			l.Addr, l.CLTT = AddrN4(i%n), int64(1700000000+i)
			if err := s4.UpdateLease4(ctx, l); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("Page4_100", func(b *testing.B) {
		b.ReportAllocs()
		after := netip.IPv4Unspecified()
		for b.Loop() {
			page, err := s4.GetLeases4Page(ctx, after, 100)
			if err != nil {
				b.Fatal(err)
			}
			if len(page) < 100 {
				after = netip.IPv4Unspecified()
			} else {
				after = page[len(page)-1].Addr
			}
		}
	})
	b.Run("Delete4", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			l := Lease4("192.0.2.1", 1)
			l.Addr = AddrN4(n + i)
			b.StopTimer()
			if err := s4.AddLease4(ctx, l); err != nil {
				b.Fatal(err)
			}
			b.StartTimer()
			if err := s4.DeleteLease4(ctx, l); err != nil {
				b.Fatal(err)
			}
		}
	})

	b.Run("Add6", func(b *testing.B) {
		Exec(b, cfg, "DELETE FROM lease6")
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			l := Lease6("2001:db8::1", 1)
			l.Addr = AddrN6(i)
			if err := s6.AddLease6(ctx, l); err != nil {
				b.Fatal(err)
			}
		}
	})
	Exec(b, cfg, "DELETE FROM lease6")
	for i := 0; i < n; i++ {
		l := Lease6("2001:db8::1", 1)
		l.Addr = AddrN6(i)
		if err := s6.AddLease6(ctx, l); err != nil {
			b.Fatal(err)
		}
	}
	b.Run("Get6", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			if l, err := s6.GetLease6(ctx, 0, AddrN6(i%n)); err != nil || l == nil {
				b.Fatal(l, err)
			}
		}
	})
	b.Run("Update6", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			l := Lease6("2001:db8::1", 1)
			l.Addr, l.CLTT = AddrN6(i%n), int64(1700000000+i)
			if err := s6.UpdateLease6(ctx, l); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("Page6_100", func(b *testing.B) {
		b.ReportAllocs()
		after := netip.IPv6Unspecified()
		for b.Loop() {
			page, err := s6.GetLeases6Page(ctx, after, 100)
			if err != nil {
				b.Fatal(err)
			}
			if len(page) < 100 {
				after = netip.IPv6Unspecified()
			} else {
				after = page[len(page)-1].Addr
			}
		}
	})
	b.Run("Delete6", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			l := Lease6("2001:db8::1", 1)
			l.Addr = AddrN6(n + i)
			b.StopTimer()
			if err := s6.AddLease6(ctx, l); err != nil {
				b.Fatal(err)
			}
			b.StartTimer()
			if err := s6.DeleteLease6(ctx, l); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchPages measures a page of 100 at the start and at the end of a
// table of n leases, and a walk of the whole table.
func BenchPages(b *testing.B, typ string, family, n int) {
	ctx := context.Background()
	cfg := NewDatabase(b, typ, family, Lessor)
	Populate(b, cfg, family, n)
	Exec(b, cfg, map[string]string{"postgresql": "ANALYZE", "mysql": "ANALYZE TABLE lease4, lease6"}[typ])
	st := Open(b, cfg)
	page := func(after netip.Addr) int {
		if family == 4 {
			ls, err := st.V4().GetLeases4Page(ctx, after, 100)
			if err != nil {
				b.Fatal(err)
			}
			return len(ls)
		}
		ls, err := st.V6().GetLeases6Page(ctx, after, 100)
		if err != nil {
			b.Fatal(err)
		}
		return len(ls)
	}
	addr := func(i int) netip.Addr {
		if family == 4 {
			return AddrN4(i)
		}
		return AddrN6(i)
	}
	zero := netip.IPv4Unspecified()
	if family == 6 {
		zero = netip.IPv6Unspecified()
	}
	b.Run("Start", func(b *testing.B) {
		for b.Loop() {
			if page(zero) != 100 {
				b.Fatal("short page")
			}
		}
	})
	b.Run("End", func(b *testing.B) {
		for b.Loop() {
			if page(addr(n-101)) != 100 {
				b.Fatal("short page")
			}
		}
	})
	b.Run("Walk", func(b *testing.B) {
		for b.Loop() {
			total, after := 0, zero
			for {
				var got int
				if family == 4 {
					ls, err := st.V4().GetLeases4Page(ctx, after, 1000)
					if err != nil {
						b.Fatal(err)
					}
					if got = len(ls); got > 0 {
						after = ls[got-1].Addr
					}
				} else {
					ls, err := st.V6().GetLeases6Page(ctx, after, 1000)
					if err != nil {
						b.Fatal(err)
					}
					if got = len(ls); got > 0 {
						after = ls[got-1].Addr
					}
				}
				total += got
				if got < 1000 {
					break
				}
			}
			if total != n {
				b.Fatalf("walk saw %d leases, want %d", total, n)
			}
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/lease")
	})
}

// PlanChecks checks that the page queries walk an index (the primary key
// of lease4, lessor's numeric address key of lease6) instead of sorting
// the table.
func PlanChecks(t *testing.T, typ string) {
	cfg := NewDatabase(t, typ, 0, Lessor)
	Populate(t, cfg, 4, 5000)
	Populate(t, cfg, 6, 5000)
	Open(t, cfg) // adds lessor's objects if missing
	var plans map[string]string
	if typ == "postgresql" {
		Exec(t, cfg, "ANALYZE")
		plans = map[string]string{
			"EXPLAIN SELECT * FROM lease4 WHERE address > 167772160 ORDER BY address LIMIT 100":                            "lease4_pkey",
			"EXPLAIN SELECT * FROM lease6 WHERE (address::inet) > '2001:db8::10'::inet ORDER BY (address::inet) LIMIT 100": "lessor_lease6_by_inet",
		}
	} else {
		Exec(t, cfg, "ANALYZE TABLE lease4, lease6")
		plans = map[string]string{
			"EXPLAIN SELECT * FROM lease4 WHERE address > 167772160 ORDER BY address LIMIT 100":                                "PRIMARY",
			"EXPLAIN SELECT * FROM lease6 WHERE lessor_binaddr > INET6_ATON('2001:db8::10') ORDER BY lessor_binaddr LIMIT 100": "lessor_lease6_by_binaddr",
		}
	}
	for q, index := range plans {
		plan := Fmt(Query(t, cfg, q))
		if !strings.Contains(plan, index) || strings.Contains(plan, "filesort") || strings.Contains(plan, "Sort ") {
			t.Errorf("%s:\n%s\nwant a walk of %s without a sort", q, plan, index)
		}
	}
}
