package sqlstore

import (
	"os"
	"strconv"
)

// PoolSize is the number of database connections a SQL store keeps
// (LESSOR_SQL_POOL overrides it, for measurements).
func PoolSize(dflt int) int {
	if v, err := strconv.Atoi(os.Getenv("LESSOR_SQL_POOL")); err == nil && v > 0 {
		return v
	}
	return dflt
}
