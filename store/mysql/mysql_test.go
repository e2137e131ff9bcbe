package mysql_test

import (
	"testing"

	"github.com/lessor-dhcp/lessor/store"
	"github.com/lessor-dhcp/lessor/store/sqlschema/sqltest"
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
	t.Run("v4", func(t *testing.T) { sqltest.Interop4(t, "mysql") })
	t.Run("v6", func(t *testing.T) { sqltest.Interop6(t, "mysql") })
}

func TestSchema(t *testing.T) { sqltest.SchemaChecks(t, "mysql", 14, 0) }
