package mysql_test

import (
	"context"
	"net/netip"
	"os"
	"strings"

	"github.com/lessor-dhcp/lessor/internal/kjson"
	"github.com/lessor-dhcp/lessor/lease"
	"testing"

	"github.com/lessor-dhcp/lessor/store"
	"github.com/lessor-dhcp/lessor/store/sqlschema/sqltest"
	"github.com/lessor-dhcp/lessor/store/storetest"
)

func TestContract4(t *testing.T) {
	sqltest.Run4(t, func(t *testing.T) store.Store4 {
		return sqltest.Open(t, sqltest.NewDatabase(t, "mysql", 4, sqltest.Lessor)).V4()
	})
}

func TestContract6(t *testing.T) {
	sqltest.Run6(t, func(t *testing.T) store.Store6 {
		return sqltest.Open(t, sqltest.NewDatabase(t, "mysql", 6, sqltest.Lessor)).V6()
	})
}

// TestKeaInterop runs Kea 2.2 with its own MySQL backend on the same
// database as lessor and compares rows, statistics and answers.
func TestKeaInterop(t *testing.T) {
	t.Run("v4", func(t *testing.T) { sqltest.Interop4(t, "mysql", sqltest.Lessor) })
	t.Run("v6", func(t *testing.T) { sqltest.Interop6(t, "mysql", sqltest.Lessor) })
	t.Run("v4-kea-admin", func(t *testing.T) { sqltest.Interop4(t, "mysql", sqltest.KeaAdmin) })
	t.Run("v6-kea-admin", func(t *testing.T) { sqltest.Interop6(t, "mysql", sqltest.KeaAdmin) })
}

func TestSchema(t *testing.T) { sqltest.SchemaChecks(t, "mysql", 14, 0) }

// TestExpireRange: a TIMESTAMP ends in 2038; a lease expiring later is
// refused with a clear error and nothing is written.
func TestExpireRange(t *testing.T) {
	ctx := context.Background()
	cfg := sqltest.NewDatabase(t, "mysql", 0, sqltest.Lessor)
	st := sqltest.Open(t, cfg)
	s4, s6 := st.V4(), st.V6()
	l := sqltest.Lease4("192.0.2.1", 1)
	l.CLTT, l.ValidLft = 2147483647-100, 100
	if err := s4.AddLease4(ctx, l); err != nil {
		t.Fatalf("last second of 2038: %v", err)
	}
	late := l.Clone()
	late.ValidLft = 101
	err := s4.UpdateLease4(ctx, late)
	if err == nil || !strings.Contains(err.Error(), "TIMESTAMP") {
		t.Errorf("update past 2038: %v", err)
	}
	if got, _ := s4.GetLease4(ctx, l.Addr); got == nil || got.ValidLft != 100 {
		t.Errorf("refused update changed the lease: %+v", got)
	}
	late.Addr = netip.MustParseAddr("192.0.2.2")
	if err := s4.AddLease4(ctx, late); err == nil {
		t.Error("add past 2038 accepted")
	}
	l6 := sqltest.Lease6("2001:db8::1", 1)
	l6.CLTT = 2147483647
	if err := s6.AddLease6(ctx, l6); err == nil || !strings.Contains(err.Error(), "2038") {
		t.Errorf("lease6 add past 2038: %v", err)
	}
	l6.ValidLft = lease.InfiniteLifetime // expire = cltt: fits
	if err := s6.AddLease6(ctx, l6); err != nil {
		t.Errorf("infinite lease with cltt at the end of 2038: %v", err)
	}
	if rows := sqltest.Query(t, cfg, "SELECT COUNT(*) FROM lease4"); rows[0][0] != "1" {
		t.Errorf("lease4 rows: %v", rows)
	}
}

func TestStoreContract4(t *testing.T) {
	storetest.Run4(t, func(t *testing.T) store.Store4 {
		return sqltest.Open(t, sqltest.NewDatabase(t, "mysql", 4, sqltest.Lessor)).V4()
	})
}

func TestStoreContract6(t *testing.T) {
	storetest.Run6(t, func(t *testing.T) store.Store6 {
		return sqltest.Open(t, sqltest.NewDatabase(t, "mysql", 6, sqltest.Lessor)).V6()
	})
}

func TestFaults(t *testing.T) { sqltest.FaultChecks(t, "mysql") }

// TestServerOutage stops and restarts the machine's MariaDB server (about
// two seconds of outage). Other users of the server notice, so it runs
// only with LESSOR_TEST_DB_OUTAGE=1.
func TestServerOutage(t *testing.T) {
	if os.Getenv("LESSOR_TEST_DB_OUTAGE") != "1" {
		t.Skip("stops the shared MariaDB server; set LESSOR_TEST_DB_OUTAGE=1 to run")
	}
	sqltest.ServerOutage(t, "mysql",
		[]string{"sh", "-c", "mysqladmin -h 127.0.0.1 -u root shutdown"},
		[]string{"sh", "-c", "start-stop-daemon --start --oknodo --background --chuid mysql --exec /usr/sbin/mariadbd && for i in $(seq 1 100); do mysqladmin -h 127.0.0.1 -u root ping >/dev/null 2>&1 && exit 0; sleep 0.1; done; exit 1"})
}

func TestPagePlans(t *testing.T) { sqltest.PlanChecks(t, "mysql") }

func BenchmarkStore(b *testing.B) { sqltest.Bench(b, "mysql") }

func BenchmarkPages4_100k(b *testing.B) { sqltest.BenchPages(b, "mysql", 4, 100000) }

func BenchmarkPages6_100k(b *testing.B) { sqltest.BenchPages(b, "mysql", 6, 100000) }

func TestUnchangedUpdate(t *testing.T) {
	st := sqltest.Open(t, sqltest.NewDatabase(t, "mysql", 0, sqltest.Lessor))
	sqltest.UnchangedUpdate(t, st.V4(), st.V6())
}

// BenchmarkPages4_1M walks a million leases; it takes minutes to set up,
// so it runs only with LESSOR_BENCH_1M=1.
func BenchmarkPages4_1M(b *testing.B) {
	if os.Getenv("LESSOR_BENCH_1M") != "1" {
		b.Skip("set LESSOR_BENCH_1M=1 to walk a million leases")
	}
	sqltest.BenchPages(b, "mysql", 4, 1000000)
}

// TestUserContextLimit: Kea reads at most 8191 bytes of user context from
// MySQL, so lessor refuses a longer one and writes nothing.
func TestUserContextLimit(t *testing.T) {
	ctx := context.Background()
	s := sqltest.Open(t, sqltest.NewDatabase(t, "mysql", 4, sqltest.Lessor)).V4()
	l := sqltest.Lease4("192.0.2.1", 1)
	l.UserContext = kjson.NewMap()
	l.UserContext.Set("x", kjson.NewString(strings.Repeat("a", 8200)))
	if err := s.AddLease4(ctx, l); err == nil || !strings.Contains(err.Error(), "8191") {
		t.Errorf("long user context: %v", err)
	}
	if got, _ := s.GetLease4(ctx, l.Addr); got != nil {
		t.Error("refused lease written")
	}
	l.UserContext.Set("x", kjson.NewString(strings.Repeat("a", 8000)))
	if err := s.AddLease4(ctx, l); err != nil {
		t.Errorf("8 KB user context: %v", err)
	}
}

// TestEdges covers the cases where the columns make memfile's answer less
// direct: lease4 without identifiers, lease6 with an empty hardware
// address, user-context keys and hostnames that are not UTF-8.
func TestEdges(t *testing.T) {
	t.Run("v4", func(t *testing.T) { sqltest.Edges4(t, "mysql") })
	t.Run("v6", func(t *testing.T) { sqltest.Edges6(t, "mysql") })
}
