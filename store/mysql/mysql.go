// Package mysql is lessor's MySQL/MariaDB lease store ("type": "mysql"),
// on the schema that Kea 2.2's kea-admin creates (version 14.0) or that
// `lessor-admin db-init mysql` creates. Kea 2.2 and lessor can share one
// database: rows are written as Kea 2.2 writes them, column by column
// (an absent client-id or user context is NULL, a lease6 without hardware
// address has hwaddr, hwtype and hwaddr_source NULL, the hostname is never
// NULL, expire is cltt + valid-lft or cltt alone for an infinite
// lifetime), and rows Kea wrote are read back as Kea reads them. A lease6
// whose hardware address is present but empty has an empty hwaddr with its
// hwtype and hwaddr_source, as Kea writes it, and reads back present and
// empty in Kea and lessor alike.
//
// Text columns are utf8mb4: a hostname that is not valid UTF-8 (Kea's JSON
// parser turns "\u00e9" into the single byte 0xE9) is refused with an
// error and nothing is written, and lookups of such a hostname find
// nothing. User-context map keys are written with bytes outside printable
// ASCII escaped as \u00XX, as Kea escapes string values (Kea writes keys
// raw, which the column would refuse); Kea and lessor read them back to
// the same bytes. A lease4 with neither hardware address nor client-id
// (and not declined) is refused in Kea's memfile words.
//
// The expire column is a TIMESTAMP, which holds 1970-01-01 00:00:01 to
// 2038-01-19 03:14:07 UTC: a lease expiring outside that range is refused
// with an error and nothing is written. lessor's sessions use UTC, so
// expire times do not depend on the server's time zone.
//
// Where Kea's own MySQL backend answers differently from its memfile,
// lessor keeps the memfile answer: pages walk lease6 in numeric address
// order (through lessor's indexed virtual column lessor_binaddr), wipes
// work, hostname lookups match exactly (case included), and secondary
// lookups come in the order leases were first added (lessor's lessor_seq
// column). Open adds these objects (sqlschema.MySQLAdditions) to a
// database kea-admin created, unless the store is read-only.
package mysql

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"time"

	gomysql "github.com/go-sql-driver/mysql"

	"github.com/lessor-dhcp/lessor/internal/kjson"
	"github.com/lessor-dhcp/lessor/lease"
	"github.com/lessor-dhcp/lessor/store"
	"github.com/lessor-dhcp/lessor/store/sqlschema"
	"github.com/lessor-dhcp/lessor/store/sqlschema/sqlstore"
)

func init() {
	store.Register("mysql", Open)
	gomysql.SetLogger(driverLog{})
}

// driverLog sends the driver's own messages (lost connections it
// recovers from) to slog at debug level instead of stderr.
type driverLog struct{}

func (driverLog) Print(v ...any) { slog.Debug("mysql driver", "msg", fmt.Sprint(v...)) }

// DefaultPort is MySQL's port.
const DefaultPort = 3306

// MaxClientIDLen is the size of the client_id column (VARBINARY(128)).
const MaxClientIDLen = 128

// MaxUserContextLen is the longest user context text Kea's MySQL reader
// takes (its buffer holds 8192 bytes with the terminating NUL).
const MaxUserContextLen = 8191

// The range of a MySQL TIMESTAMP, in seconds since the epoch.
const (
	MinExpire = 1
	MaxExpire = 2147483647
)

const (
	cols4   = "address, hwaddr, client_id, valid_lifetime, expire, subnet_id, fqdn_fwd, fqdn_rev, hostname, state, user_context"
	cols6   = "address, duid, valid_lifetime, expire, subnet_id, pref_lifetime, lease_type, iaid, prefix_len, fqdn_fwd, fqdn_rev, hostname, hwaddr, hwtype, hwaddr_source, state, user_context"
	epoch   = "UNIX_TIMESTAMP(expire)"
	order6  = " ORDER BY {seq}INET6_ATON(address)"
	binHost = " AND CAST(hostname AS BINARY) = CAST(? AS BINARY)"
)

var (
	sel4 = "SELECT " + sqlstore.SelectCols4(epoch) + " FROM lease4 "
	sel6 = "SELECT " + sqlstore.SelectCols6(epoch) + " FROM lease6 "
)

// values lists n placeholders, the one at expireAt wrapped in FROM_UNIXTIME.
func values(n, expireAt int) string {
	p := make([]string, n)
	for i := range p {
		p[i] = "?"
	}
	p[expireAt] = "FROM_UNIXTIME(?)"
	return strings.Join(p, ", ")
}

func setList(cols string) string {
	var parts []string
	for _, c := range strings.Split(cols, ", ") {
		if c == "expire" {
			parts = append(parts, c+" = FROM_UNIXTIME(?)")
		} else {
			parts = append(parts, c+" = ?")
		}
	}
	return strings.Join(parts, ", ")
}

// pageByColumn pages lease6 through lessor's indexed virtual column;
// pageByExpr is the slower form for a schema without it.
const (
	pageByColumn = "WHERE lessor_binaddr > ? ORDER BY lessor_binaddr LIMIT ?"
	pageByExpr   = "WHERE INET6_ATON(address) > ? ORDER BY INET6_ATON(address) LIMIT ?"
)

// Queries is lessor's SQL on Kea's MySQL schema.
var Queries = sqlstore.Queries{
	Insert4:       "INSERT INTO lease4 (" + cols4 + ") VALUES (" + values(11, 4) + ")",
	Update4:       "UPDATE lease4 SET " + setList(cols4) + " WHERE address = ?",
	Delete4:       "DELETE FROM lease4 WHERE address = ?",
	Get4:          sel4 + "WHERE address = ?",
	Get4HWSubnet:  sel4 + "WHERE hwaddr = ? AND subnet_id = ? ORDER BY {seq}address LIMIT 1",
	Get4CIDSubnet: sel4 + "WHERE client_id = ? AND subnet_id = ? ORDER BY {seq}address LIMIT 1",
	Get4HW:        sel4 + "WHERE hwaddr = ? ORDER BY subnet_id, {seq}address",
	Get4CID:       sel4 + "WHERE client_id = ? ORDER BY subnet_id, {seq}address",
	Get4Host:      sel4 + "WHERE hostname = ?" + binHost + " ORDER BY {seq}address",
	Get4Subnet:    sel4 + "WHERE subnet_id = ? ORDER BY {seq}address",
	Page4:         sel4 + "WHERE address > ? ORDER BY address LIMIT ?",
	Expired4:      sel4 + "WHERE state != 2 AND valid_lifetime != 4294967295 AND expire < FROM_UNIXTIME(?) ORDER BY expire, address LIMIT ?",
	Wipe4:         "DELETE FROM lease4 WHERE subnet_id = ?",
	Reclaimed4:    "DELETE FROM lease4 WHERE state = 2 AND valid_lifetime != 4294967295 AND expire < FROM_UNIXTIME(?)",
	Stat4:         "SELECT subnet_id, state, leases FROM lease4_stat",
	Other4:        "SELECT subnet_id, state, COUNT(*) FROM lease4 WHERE state >= 2 GROUP BY subnet_id, state",

	Insert6:    "INSERT INTO lease6 (" + cols6 + ") VALUES (" + values(17, 3) + ")",
	Update6:    "UPDATE lease6 SET " + setList(cols6) + " WHERE address = ?",
	Delete6:    "DELETE FROM lease6 WHERE address = ?",
	Get6:       sel6 + "WHERE address = ? AND lease_type = ?",
	Get6IAID:   sel6 + "WHERE lease_type = ? AND duid = ? AND iaid = ? AND subnet_id = ?" + order6,
	Get6DUID:   sel6 + "WHERE duid = ?" + order6,
	Get6Host:   sel6 + "WHERE hostname = ?" + binHost + order6,
	Get6Subnet: sel6 + "WHERE subnet_id = ?" + order6,
	Page6:      sel6 + pageByColumn,
	Expired6:   sel6 + "WHERE state != 2 AND valid_lifetime != 4294967295 AND expire < FROM_UNIXTIME(?) ORDER BY expire, INET6_ATON(address) LIMIT ?",
	Wipe6:      "DELETE FROM lease6 WHERE subnet_id = ?",
	Reclaimed6: "DELETE FROM lease6 WHERE state = 2 AND valid_lifetime != 4294967295 AND expire < FROM_UNIXTIME(?)",
	Stat6:      "SELECT subnet_id, lease_type, state, leases FROM lease6_stat",
	Other6:     "SELECT subnet_id, lease_type, state, COUNT(*) FROM lease6 WHERE state >= 2 GROUP BY subnet_id, lease_type, state",
}

func newDialect(q sqlstore.Queries) *sqlstore.Dialect {
	return &sqlstore.Dialect{
		Type:  "mysql",
		Label: "MySQL",
		Q:     q,
		Args4: Args4,
		Args6: Args6,
		Addr4: func(a netip.Addr) any { return int64(addr4(a)) },
		Addr6: func(a netip.Addr) any { return a.String() },
		Addr6Key: func(a netip.Addr) any {
			b := a.As16()
			return b[:]
		},
		Time: func(t int64) any { return t },
		IsDuplicate: func(err error) bool {
			var me *gomysql.MySQLError
			return errors.As(err, &me) && me.Number == 1062
		},
		IsConnError: isConnError,
	}
}

func isConnError(err error) bool {
	var me *gomysql.MySQLError
	if errors.As(err, &me) {
		// Server shutdown, gone away, lost connection, cannot connect.
		switch me.Number {
		case 1053, 1077, 1927, 2002, 2003, 2006, 2013:
			return true
		}
		return false
	}
	return errors.Is(err, gomysql.ErrInvalidConn) || sqlstore.IsConnError(err)
}

func addr4(a netip.Addr) uint32 {
	b := a.As4()
	return uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
}

// expire returns the expire column value, or an error when a TIMESTAMP
// cannot hold it.
func expire(cltt int64, valid uint32) (int64, error) {
	e := sqlstore.Expire(cltt, valid)
	if e < MinExpire || e > MaxExpire {
		return 0, fmt.Errorf("expire time %d (cltt %d + valid-lft %d) is outside what the MySQL expire column (TIMESTAMP) can hold: %d to %d (2038-01-19 03:14:07 UTC)",
			e, cltt, valid, MinExpire, MaxExpire)
	}
	return e, nil
}

// userContext is the user_context column: NULL when absent, else Kea's
// text of it (with map keys escaped, sqlstore.UserContext), refused when
// Kea could not read it back.
func userContext(e *kjson.Element) (any, error) {
	if e == nil {
		return nil, nil
	}
	text := sqlstore.UserContext(e)
	if len(text) > MaxUserContextLen {
		return nil, fmt.Errorf("user context of %d bytes exceeds the %d bytes Kea reads from MySQL", len(text), MaxUserContextLen)
	}
	return text, nil
}

// Args4 returns the lease4 columns as Kea 2.2 writes them.
func Args4(l *lease.Lease4) ([]any, error) {
	if err := sqlstore.Check4(l, MaxClientIDLen); err != nil {
		return nil, err
	}
	exp, err := expire(l.CLTT, l.ValidLft)
	if err != nil {
		return nil, err
	}
	hw := l.HWAddr
	if hw == nil {
		hw = []byte{}
	}
	var cid any
	if len(l.ClientID) > 0 {
		cid = l.ClientID
	}
	uc, err := userContext(l.UserContext)
	if err != nil {
		return nil, err
	}
	return []any{
		int64(addr4(l.Addr)),
		hw,
		cid,
		int64(l.ValidLft),
		exp,
		int64(l.SubnetID),
		l.FqdnFwd,
		l.FqdnRev,
		l.Hostname,
		int64(l.State),
		uc,
	}, nil
}

// Args6 returns the lease6 columns as Kea 2.2 writes them.
func Args6(l *lease.Lease6) ([]any, error) {
	if err := sqlstore.Check6(l); err != nil {
		return nil, err
	}
	exp, err := expire(l.CLTT, l.ValidLft)
	if err != nil {
		return nil, err
	}
	var hw, hwtype, hwsrc any
	if l.HWAddr != nil {
		hw, hwtype, hwsrc = l.HWAddr, int64(l.HWType), int64(l.HWAddrSource)
	}
	uc, err := userContext(l.UserContext)
	if err != nil {
		return nil, err
	}
	return []any{
		l.Addr.String(),
		l.DUID,
		int64(l.ValidLft),
		exp,
		int64(l.SubnetID),
		int64(l.PreferredLft),
		int64(l.Type),
		int64(l.IAID),
		int64(l.PrefixLen),
		l.FqdnFwd,
		l.FqdnRev,
		l.Hostname,
		hw,
		hwtype,
		hwsrc,
		int64(l.State),
		uc,
	}, nil
}

func hostPort(cfg store.Config) string {
	host := cfg.Host
	if host == "" {
		host = "localhost"
	}
	port := cfg.Port
	if port == 0 {
		port = DefaultPort
	}
	return net.JoinHostPort(host, strconv.Itoa(port))
}

// DriverConfig returns the driver configuration of a lease-database
// configuration, with Kea's defaults (host localhost, port 3306,
// connect-timeout 5 s) and UTC sessions.
func DriverConfig(cfg store.Config) *gomysql.Config {
	c := gomysql.NewConfig()
	c.User = cfg.User
	c.Passwd = cfg.Password
	c.Net = "tcp"
	c.Addr = hostPort(cfg)
	c.DBName = cfg.Name
	c.Timeout = sqlstore.ConnectTimeout(cfg)
	c.AllowNativePasswords = true
	// Affected rows of an update are the rows it matched, changed or not.
	c.ClientFoundRows = true
	c.Params = map[string]string{"time_zone": "'+00:00'"}
	return c
}

// Describe names the database of a configuration.
func Describe(cfg store.Config) string {
	return fmt.Sprintf("mysql database %q on %s", cfg.Name, hostPort(cfg))
}

// Connect opens the database of a configuration and checks that it
// answers.
func Connect(ctx context.Context, cfg store.Config, log *slog.Logger) (*sql.DB, error) {
	if cfg.Name == "" {
		return nil, errors.New("MySQL lease database: missing database name (\"name\")")
	}
	conn, err := gomysql.NewConnector(DriverConfig(cfg))
	if err != nil {
		return nil, fmt.Errorf("MySQL lease database: %w", err)
	}
	db := sql.OpenDB(conn)
	db.SetMaxOpenConns(poolSize())
	db.SetMaxIdleConns(poolSize())
	db.SetConnMaxIdleTime(5 * time.Minute)
	if err := sqlstore.Connect(ctx, db, cfg, "MySQL", Describe(cfg), log); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

// Open opens the lease store a configuration names: it connects, checks
// the schema version (14.0), adds lessor's lease6 address column and index
// when missing, and prepares the statements.
func Open(ctx context.Context, cfg store.Config, log *slog.Logger) (store.Store, error) {
	if log == nil {
		log = slog.Default()
	}
	db, err := Connect(ctx, cfg, log)
	if err != nil {
		return nil, err
	}
	if err := sqlschema.CheckVersion(ctx, db, "MySQL", "mysql", sqlschema.MySQLMajor, sqlschema.MySQLMinor); err != nil {
		db.Close()
		return nil, err
	}
	have, errs := sqlschema.EnsureAdditions(ctx, db, sqlschema.MySQLAdditions, !cfg.ReadOnly)
	for _, err := range errs {
		log.Warn("lessor's additions to the lease schema are incomplete", "database", Describe(cfg), "error", err.Error())
	}
	q := Queries.WithOrder(have["lease4 order column"] && have["lease6 order column"])
	if !have["lease6 numeric address column"] {
		q.Page6 = sel6 + pageByExpr
	}
	s, err := sqlstore.New(ctx, db, newDialect(q), cfg, Describe(cfg), log)
	if err != nil {
		db.Close()
		return nil, err
	}
	return s, nil
}
func poolSize() int { return sqlstore.PoolSize(8) }
