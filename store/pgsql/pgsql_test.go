package pgsql_test

import (
	"os"
	"testing"

	"github.com/lessor-dhcp/lessor/store"
	"github.com/lessor-dhcp/lessor/store/sqlschema/sqltest"
	"github.com/lessor-dhcp/lessor/store/storetest"
)

func TestContract4(t *testing.T) {
	sqltest.Run4(t, func(t *testing.T) store.Store4 {
		return sqltest.Open(t, sqltest.NewDatabase(t, "postgresql", 4, sqltest.Lessor)).V4()
	})
}

func TestContract6(t *testing.T) {
	sqltest.Run6(t, func(t *testing.T) store.Store6 {
		return sqltest.Open(t, sqltest.NewDatabase(t, "postgresql", 6, sqltest.Lessor)).V6()
	})
}

// TestKeaInterop runs Kea 2.2 with its own PostgreSQL backend on the same
// database as lessor and compares rows, statistics and answers.
func TestKeaInterop(t *testing.T) {
	t.Run("v4", func(t *testing.T) { sqltest.Interop4(t, "postgresql", sqltest.Lessor) })
	t.Run("v6", func(t *testing.T) { sqltest.Interop6(t, "postgresql", sqltest.Lessor) })
	t.Run("v4-kea-admin", func(t *testing.T) { sqltest.Interop4(t, "postgresql", sqltest.KeaAdmin) })
	t.Run("v6-kea-admin", func(t *testing.T) { sqltest.Interop6(t, "postgresql", sqltest.KeaAdmin) })
}

func TestSchema(t *testing.T) { sqltest.SchemaChecks(t, "postgresql", 13, 0) }

func TestStoreContract4(t *testing.T) {
	storetest.Run4(t, func(t *testing.T) store.Store4 {
		return sqltest.Open(t, sqltest.NewDatabase(t, "postgresql", 4, sqltest.Lessor)).V4()
	})
}

func TestStoreContract6(t *testing.T) {
	storetest.Run6(t, func(t *testing.T) store.Store6 {
		return sqltest.Open(t, sqltest.NewDatabase(t, "postgresql", 6, sqltest.Lessor)).V6()
	})
}

func TestFaults(t *testing.T) { sqltest.FaultChecks(t, "postgresql") }

// TestServerOutage stops and restarts the machine's PostgreSQL server
// (about two seconds of outage). Other users of the server notice, so it
// runs only with LESSOR_TEST_DB_OUTAGE=1.
func TestServerOutage(t *testing.T) {
	if os.Getenv("LESSOR_TEST_DB_OUTAGE") != "1" {
		t.Skip("stops the shared PostgreSQL server; set LESSOR_TEST_DB_OUTAGE=1 to run")
	}
	sqltest.ServerOutage(t, "postgresql",
		[]string{"pg_ctlcluster", "--skip-systemctl-redirect", "15", "main", "stop", "-m", "fast"},
		[]string{"pg_ctlcluster", "--skip-systemctl-redirect", "15", "main", "start"})
}

func TestPagePlans(t *testing.T) { sqltest.PlanChecks(t, "postgresql") }

func BenchmarkStore(b *testing.B) { sqltest.Bench(b, "postgresql") }

func BenchmarkPages4_100k(b *testing.B) { sqltest.BenchPages(b, "postgresql", 4, 100000) }

func BenchmarkPages6_100k(b *testing.B) { sqltest.BenchPages(b, "postgresql", 6, 100000) }

func TestUnchangedUpdate(t *testing.T) {
	st := sqltest.Open(t, sqltest.NewDatabase(t, "postgresql", 0, sqltest.Lessor))
	sqltest.UnchangedUpdate(t, st.V4(), st.V6())
}

// BenchmarkPages4_1M walks a million leases; it takes minutes to set up,
// so it runs only with LESSOR_BENCH_1M=1.
func BenchmarkPages4_1M(b *testing.B) {
	if os.Getenv("LESSOR_BENCH_1M") != "1" {
		b.Skip("set LESSOR_BENCH_1M=1 to walk a million leases")
	}
	sqltest.BenchPages(b, "postgresql", 4, 1000000)
}

// TestEdges covers the cases where the columns make memfile's answer less
// direct: lease4 without identifiers, lease6 with an empty hardware
// address, user-context keys and hostnames that are not UTF-8.
func TestEdges(t *testing.T) {
	t.Run("v4", func(t *testing.T) { sqltest.Edges4(t, "postgresql") })
	t.Run("v6", func(t *testing.T) { sqltest.Edges6(t, "postgresql") })
}
