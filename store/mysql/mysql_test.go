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
