// Package pgsql is lessor's PostgreSQL lease store ("type": "postgresql"),
// on the schema that Kea 2.2's kea-admin creates (version 13.0) or that
// `lessor-admin db-init pgsql` creates. Kea 2.2 and lessor can share one
// database: rows are written as Kea 2.2 writes them, column by column
// (an absent client-id or user context is an empty string, a lease6 without
// hardware address has an empty hwaddr and hwtype/hwaddr_source 0, expire is cltt +
// valid-lft or cltt alone for an infinite lifetime), and rows Kea wrote
// are read back as Kea reads them, with NULLs tolerated.
//
// A lease6 whose hardware address is present but empty is written as Kea
// writes it (empty hwaddr, the lease's hwtype and hwaddr_source) and read
// back as present and empty when hwtype or hwaddr_source is not 0, as
// memfile keeps it; Kea's reader shows no hardware address for that row.
// One with hardware type 0 and source 0 cannot be told from an absent one
// and reads back as absent.
//
// Text columns are UTF-8: a hostname that is not valid UTF-8 (Kea's JSON
// parser turns "\u00e9" into the single byte 0xE9) is refused with an
// error and nothing is written, and lookups of such a hostname find
// nothing. User-context map keys are written with bytes outside printable
// ASCII escaped as \u00XX, as Kea escapes string values (Kea writes keys
// raw, which the column would refuse); Kea and lessor read them back to
// the same bytes. A lease4 with neither hardware address nor client-id
// (and not declined) is refused in Kea's memfile words.
//
// Where Kea's own PostgreSQL backend answers differently from its memfile,
// lessor keeps the memfile answer: pages walk lease6 in numeric address
// order (through lessor's index on address::inet), wipes work, hostname
// lookups match exactly, and secondary lookups come in the order leases
// were first added (lessor's lessor_seq column). Open adds these objects
// (sqlschema.PgSQLAdditions) to a database kea-admin created, unless the
// store is read-only.
package pgsql

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/lessor-dhcp/lessor/lease"
	"github.com/lessor-dhcp/lessor/store"
	"github.com/lessor-dhcp/lessor/store/sqlschema"
	"github.com/lessor-dhcp/lessor/store/sqlschema/sqlstore"
)

func init() { store.Register("postgresql", Open) }

// DefaultPort is PostgreSQL's port.
const DefaultPort = 5432

// MaxClientIDLen is the longest client-id Kea reads back
// (ClientId::MAX_CLIENT_ID_LEN).
const MaxClientIDLen = 128

const (
	cols4  = "address, hwaddr, client_id, valid_lifetime, expire, subnet_id, fqdn_fwd, fqdn_rev, hostname, state, user_context"
	cols6  = "address, duid, valid_lifetime, expire, subnet_id, pref_lifetime, lease_type, iaid, prefix_len, fqdn_fwd, fqdn_rev, hostname, hwaddr, hwtype, hwaddr_source, state, user_context"
	epoch  = "extract(epoch from expire)::bigint"
	inet6  = "(address::inet)"
	order6 = " ORDER BY {seq}" + inet6
)

var (
	sel4 = "SELECT " + sqlstore.SelectCols4(epoch) + " FROM lease4 "
	sel6 = "SELECT " + sqlstore.SelectCols6(epoch) + " FROM lease6 "
)

func placeholders(from, n int) string {
	var b strings.Builder
	for i := 0; i < n; i++ {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString("$" + strconv.Itoa(from+i))
	}
	return b.String()
}

func setList(cols string) string {
	var parts []string
	for i, c := range strings.Split(cols, ", ") {
		parts = append(parts, c+" = $"+strconv.Itoa(i+1))
	}
	return strings.Join(parts, ", ")
}

// Queries is lessor's SQL on Kea's PostgreSQL schema.
var Queries = sqlstore.Queries{
	Insert4:       "INSERT INTO lease4 (" + cols4 + ") VALUES (" + placeholders(1, 11) + ")",
	Update4:       "UPDATE lease4 SET " + setList(cols4) + " WHERE address = $12",
	Delete4:       "DELETE FROM lease4 WHERE address = $1",
	Get4:          sel4 + "WHERE address = $1",
	Get4HWSubnet:  sel4 + "WHERE hwaddr = $1 AND subnet_id = $2 ORDER BY {seq}address LIMIT 1",
	Get4CIDSubnet: sel4 + "WHERE client_id = $1 AND subnet_id = $2 ORDER BY {seq}address LIMIT 1",
	Get4HW:        sel4 + "WHERE hwaddr = $1 ORDER BY subnet_id, {seq}address",
	Get4CID:       sel4 + "WHERE client_id = $1 ORDER BY subnet_id, {seq}address",
	Get4Host:      sel4 + "WHERE lower(hostname) = lower($1) AND hostname = $2 ORDER BY {seq}address",
	Get4Subnet:    sel4 + "WHERE subnet_id = $1 ORDER BY {seq}address",
	Page4:         sel4 + "WHERE address > $1 ORDER BY address LIMIT $2",
	Expired4:      sel4 + "WHERE state != 2 AND valid_lifetime != 4294967295 AND expire < $1 ORDER BY expire, address LIMIT $2",
	Wipe4:         "DELETE FROM lease4 WHERE subnet_id = $1",
	Reclaimed4:    "DELETE FROM lease4 WHERE state = 2 AND valid_lifetime != 4294967295 AND expire < $1",
	Stat4:         "SELECT subnet_id, state, leases FROM lease4_stat",
	Other4:        "SELECT subnet_id, state, COUNT(*) FROM lease4 WHERE state >= 2 GROUP BY subnet_id, state",

	Insert6:    "INSERT INTO lease6 (" + cols6 + ") VALUES (" + placeholders(1, 17) + ")",
	Update6:    "UPDATE lease6 SET " + setList(cols6) + " WHERE address = $18",
	Delete6:    "DELETE FROM lease6 WHERE address = $1",
	Get6:       sel6 + "WHERE address = $1 AND lease_type = $2",
	Get6IAID:   sel6 + "WHERE lease_type = $1 AND duid = $2 AND iaid = $3 AND subnet_id = $4" + order6,
	Get6DUID:   sel6 + "WHERE duid = $1" + order6,
	Get6Host:   sel6 + "WHERE lower(hostname) = lower($1) AND hostname = $2" + order6,
	Get6Subnet: sel6 + "WHERE subnet_id = $1" + order6,
	Page6:      sel6 + "WHERE " + inet6 + " > $1::inet ORDER BY " + inet6 + " LIMIT $2",
	Expired6:   sel6 + "WHERE state != 2 AND valid_lifetime != 4294967295 AND expire < $1 ORDER BY expire, " + inet6 + " LIMIT $2",
	Wipe6:      "DELETE FROM lease6 WHERE subnet_id = $1",
	Reclaimed6: "DELETE FROM lease6 WHERE state = 2 AND valid_lifetime != 4294967295 AND expire < $1",
	Stat6:      "SELECT subnet_id, lease_type, state, leases FROM lease6_stat",
	Other6:     "SELECT subnet_id, lease_type, state, COUNT(*) FROM lease6 WHERE state >= 2 GROUP BY subnet_id, lease_type, state",
}

// Dialect maps leases to Kea 2.2's PostgreSQL rows.
var Dialect = &sqlstore.Dialect{
	Type:              "postgresql",
	Label:             "PostgreSQL",
	Q:                 Queries,
	Args4:             Args4,
	Args6:             Args6,
	Addr4:             func(a netip.Addr) any { return int64(addr4(a)) },
	Addr6:             func(a netip.Addr) any { return a.String() },
	Addr6Key:          func(a netip.Addr) any { return a.String() },
	Time:              func(t int64) any { return time.Unix(t, 0) },
	EmptyHWAddrIsNone: true,
	IsDuplicate: func(err error) bool {
		var pe *pgconn.PgError
		return errors.As(err, &pe) && pe.Code == "23505"
	},
	IsConnError: isConnError,
}

func isConnError(err error) bool {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		// Class 08 (connection exception), 57P01-57P03 (server shutting
		// down or starting).
		return strings.HasPrefix(pe.Code, "08") || pe.Code == "57P01" || pe.Code == "57P02" || pe.Code == "57P03"
	}
	var ce *pgconn.ConnectError
	return errors.As(err, &ce) || pgconn.SafeToRetry(err) || sqlstore.IsConnError(err)
}

func addr4(a netip.Addr) uint32 {
	b := a.As4()
	return uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
}

func orEmpty(b []byte) []byte {
	if b == nil {
		return []byte{}
	}
	return b
}

// Args4 returns the lease4 columns as Kea 2.2 writes them.
func Args4(l *lease.Lease4) ([]any, error) {
	if err := sqlstore.Check4(l, MaxClientIDLen); err != nil {
		return nil, err
	}
	return []any{
		int64(addr4(l.Addr)),
		orEmpty(l.HWAddr),
		orEmpty(l.ClientID),
		int64(l.ValidLft),
		time.Unix(sqlstore.Expire(l.CLTT, l.ValidLft), 0),
		int64(l.SubnetID),
		l.FqdnFwd,
		l.FqdnRev,
		l.Hostname,
		int64(l.State),
		sqlstore.UserContext(l.UserContext),
	}, nil
}

// Args6 returns the lease6 columns as Kea 2.2 writes them.
func Args6(l *lease.Lease6) ([]any, error) {
	if err := sqlstore.Check6(l); err != nil {
		return nil, err
	}
	var hwtype, hwsrc int64
	if l.HWAddr != nil {
		hwtype, hwsrc = int64(l.HWType), int64(l.HWAddrSource)
	}
	if hwtype > 32767 || hwsrc > 32767 {
		return nil, fmt.Errorf("hardware type %d or source %d does not fit the hwtype/hwaddr_source columns", hwtype, hwsrc)
	}
	return []any{
		l.Addr.String(),
		l.DUID,
		int64(l.ValidLft),
		time.Unix(sqlstore.Expire(l.CLTT, l.ValidLft), 0),
		int64(l.SubnetID),
		int64(l.PreferredLft),
		int64(l.Type),
		int64(int32(l.IAID)),
		int64(l.PrefixLen),
		l.FqdnFwd,
		l.FqdnRev,
		l.Hostname,
		orEmpty(l.HWAddr),
		hwtype,
		hwsrc,
		int64(l.State),
		sqlstore.UserContext(l.UserContext),
	}, nil
}

// URL returns the connection URL of a configuration, with Kea's defaults
// (host localhost, port 5432, connect-timeout 5 s).
func URL(cfg store.Config) string {
	host := cfg.Host
	if host == "" {
		host = "localhost"
	}
	port := cfg.Port
	if port == 0 {
		port = DefaultPort
	}
	u := url.URL{Scheme: "postgres", Host: net.JoinHostPort(host, strconv.Itoa(port)), Path: "/" + cfg.Name}
	if cfg.User != "" {
		if cfg.Password != "" {
			u.User = url.UserPassword(cfg.User, cfg.Password)
		} else {
			u.User = url.User(cfg.User)
		}
	}
	q := url.Values{}
	q.Set("connect_timeout", strconv.Itoa(int(sqlstore.ConnectTimeout(cfg)/time.Second)))
	q.Set("sslmode", "prefer")
	q.Set("application_name", "lessor")
	u.RawQuery = q.Encode()
	return u.String()
}

// Describe names the database of a configuration.
func Describe(cfg store.Config) string {
	host := cfg.Host
	if host == "" {
		host = "localhost"
	}
	port := cfg.Port
	if port == 0 {
		port = DefaultPort
	}
	return fmt.Sprintf("postgresql database %q on %s", cfg.Name, net.JoinHostPort(host, strconv.Itoa(port)))
}

// Connect opens the database of a configuration and checks that it
// answers.
func Connect(ctx context.Context, cfg store.Config, log *slog.Logger) (*sql.DB, error) {
	if cfg.Name == "" {
		return nil, errors.New("PostgreSQL lease database: missing database name (\"name\")")
	}
	db, err := sql.Open("pgx", URL(cfg))
	if err != nil {
		return nil, fmt.Errorf("PostgreSQL lease database: %w", err)
	}
	db.SetMaxOpenConns(poolSize())
	db.SetMaxIdleConns(poolSize())
	db.SetConnMaxIdleTime(5 * time.Minute)
	if err := sqlstore.Connect(ctx, db, cfg, "PostgreSQL", Describe(cfg), log); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

// Open opens the lease store a configuration names: it connects, checks
// the schema version (13.0), makes sure lessor's lease6 address index
// exists, and prepares the statements.
func Open(ctx context.Context, cfg store.Config, log *slog.Logger) (store.Store, error) {
	if log == nil {
		log = slog.Default()
	}
	db, err := Connect(ctx, cfg, log)
	if err != nil {
		return nil, err
	}
	if err := sqlschema.CheckVersion(ctx, db, "PostgreSQL", "pgsql", sqlschema.PgSQLMajor, sqlschema.PgSQLMinor); err != nil {
		db.Close()
		return nil, err
	}
	have, errs := sqlschema.EnsureAdditions(ctx, db, sqlschema.PgSQLAdditions, !cfg.ReadOnly)
	for _, err := range errs {
		log.Warn("lessor's additions to the lease schema are incomplete", "database", Describe(cfg), "error", err.Error())
	}
	d := *Dialect
	d.Q = Queries.WithOrder(have["lease4 order column"] && have["lease6 order column"])
	s, err := sqlstore.New(ctx, db, &d, cfg, Describe(cfg), log)
	if err != nil {
		db.Close()
		return nil, err
	}
	return s, nil
}

// The pgx driver registers itself as "pgx" with database/sql.
var _ = stdlib.GetDefaultDriver

func poolSize() int { return sqlstore.PoolSize(8) }
