// Package sqlstore is the lease-store engine shared by lessor's PostgreSQL
// and MySQL backends: it runs the store.Store4/Store6 contract over
// database/sql with prepared statements, while each backend supplies a
// Dialect (its SQL text and how a lease maps to Kea's columns).
//
// Every change is one statement, so a lease is never half-written. A
// connection failure is returned wrapped, in a text that says the lease
// database is unavailable, and starts the reconnect policy of the
// configuration (max-reconnect-tries, reconnect-wait-time, on-fail):
// statements keep being tried (database/sql dials again on demand), and
// when max-reconnect-tries attempts reconnect-wait-time milliseconds apart
// all fail, the store reports it on Lost() unless on-fail is
// "serve-retry-continue"; the server decides to exit from there. Open
// itself tries max-reconnect-tries more times before it gives up.
//
// Secondary lookups (hw-address, client-id, DUID, IAID, hostname, subnet)
// follow memfile's order: by key, then by the order in which the leases
// were first added, which lessor records in its lessor_seq column (its
// default numbers Kea's inserts too; updates keep it). On a database
// without that column (opened read-only before lessor could add it) they
// are ordered by key, then address.
package sqlstore

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"reflect"
	"sort"
	"strings"
	"sync"
	"syscall"
	"time"
	"unicode/utf8"

	"github.com/lessor-dhcp/lessor/internal/kjson"
	"github.com/lessor-dhcp/lessor/lease"
	"github.com/lessor-dhcp/lessor/store"
)

// Queries is the SQL text of each operation; the arguments each one takes
// are listed with it. Lease columns are selected in the order that Scan4
// and Scan6 read (selectCols4, selectCols6).
type Queries struct {
	Insert4       string // Args4
	Update4       string // Args4, Addr4
	Delete4       string // Addr4
	Get4          string // Addr4
	Get4HWSubnet  string // hwaddr, subnet
	Get4CIDSubnet string // client-id, subnet
	Get4HW        string // hwaddr
	Get4CID       string // client-id
	Get4Host      string // hostname, hostname
	Get4Subnet    string // subnet
	Page4         string // Addr4, limit
	Expired4      string // Time, limit
	Wipe4         string // subnet
	Reclaimed4    string // Time
	Stat4         string // → subnet_id, state, count
	Other4        string // → subnet_id, state, count (states the stat table does not keep)

	Insert6    string // Args6
	Update6    string // Args6, Addr6
	Delete6    string // Addr6
	Get6       string // Addr6, type
	Get6IAID   string // type, duid, IAID, subnet
	Get6DUID   string // duid
	Get6Host   string // hostname, hostname
	Get6Subnet string // subnet
	Page6      string // Addr6Key, limit
	Expired6   string // Time, limit
	Wipe6      string // subnet
	Reclaimed6 string // Time
	Stat6      string // → subnet_id, lease_type, state, count
	Other6     string // → subnet_id, lease_type, state, count
}

// WithOrder returns the queries with their "{seq}" marks resolved: the
// lessor_seq column (order of addition) when the table has it, else
// nothing (the lists are then in key, address order).
func (q Queries) WithOrder(seq bool) Queries {
	repl := ""
	if seq {
		repl = "lessor_seq, "
	}
	v := reflect.ValueOf(&q).Elem()
	for i := 0; i < v.NumField(); i++ {
		f := v.Field(i)
		f.SetString(strings.ReplaceAll(f.String(), "{seq}", repl))
	}
	return q
}

// Dialect is what a backend tells the engine.
type Dialect struct {
	Type  string // lease-database type: "postgresql", "mysql"
	Label string // name in messages: "PostgreSQL", "MySQL"
	Q     Queries

	// Args4 and Args6 return the column values of Kea's insert statements
	// (lease4: address, hwaddr, client_id, valid_lifetime, expire,
	// subnet_id, fqdn_fwd, fqdn_rev, hostname, state, user_context; lease6:
	// address, duid, valid_lifetime, expire, subnet_id, pref_lifetime,
	// lease_type, iaid, prefix_len, fqdn_fwd, fqdn_rev, hostname, hwaddr,
	// hwtype, hwaddr_source, state, user_context), or an error when the
	// lease cannot be stored as it is.
	Args4 func(l *lease.Lease4) ([]any, error)
	Args6 func(l *lease.Lease6) ([]any, error)
	// Addr4 and Addr6 are the address arguments; Addr6Key is the argument
	// of the numeric page key.
	Addr4    func(a netip.Addr) any
	Addr6    func(a netip.Addr) any
	Addr6Key func(a netip.Addr) any
	// Time is a time argument (seconds since the epoch).
	Time func(t int64) any
	// EmptyHWAddrIsNone: an empty lease6 hwaddr column with hwtype and
	// hwaddr_source 0 means "no hardware address" (PostgreSQL, where Kea
	// writes '', 0, 0 for none, and '' with the lease's hardware type and
	// source for an empty one).
	EmptyHWAddrIsNone bool
	// IsDuplicate tells a primary key violation.
	IsDuplicate func(err error) bool
	// IsConnError tells an error that means the connection is lost.
	IsConnError func(err error) bool
}

// Lease column lists, in the order the scanners read them. expire is
// given as seconds since the epoch by the dialect's expression.
const (
	selectCols4 = "address, hwaddr, client_id, valid_lifetime, %s, subnet_id, fqdn_fwd, fqdn_rev, hostname, state, user_context"
	selectCols6 = "address, duid, valid_lifetime, %s, subnet_id, pref_lifetime, lease_type, iaid, prefix_len, fqdn_fwd, fqdn_rev, hostname, hwaddr, hwtype, hwaddr_source, state, user_context"
)

// SelectCols4 returns the lease4 column list with the given expression for
// the expire time in seconds.
func SelectCols4(expire string) string { return fmt.Sprintf(selectCols4, expire) }

// SelectCols6 is SelectCols4 for lease6.
func SelectCols6(expire string) string { return fmt.Sprintf(selectCols6, expire) }

// Store is an open SQL lease store.
type Store struct {
	db       *sql.DB
	d        *Dialect
	cfg      store.Config
	log      *slog.Logger
	describe string
	stmts    map[string]*sql.Stmt

	mu           sync.Mutex
	reconnecting bool
	closed       bool
	stop         chan struct{}
	wg           sync.WaitGroup
	fatal        chan error
	fatalOnce    sync.Once
}

// New prepares the statements and returns the store. db must already be
// connected and its schema checked.
func New(ctx context.Context, db *sql.DB, d *Dialect, cfg store.Config, describe string, log *slog.Logger) (*Store, error) {
	if log == nil {
		log = slog.Default()
	}
	s := &Store{db: db, d: d, cfg: cfg, log: log, describe: describe,
		stmts: map[string]*sql.Stmt{}, stop: make(chan struct{}), fatal: make(chan error, 1)}
	for name, q := range d.Q.all() {
		if q == "" {
			continue
		}
		st, err := db.PrepareContext(ctx, q)
		if err != nil {
			s.closeStmts()
			return nil, fmt.Errorf("%s lease database: preparing statement %s: %w", d.Label, name, err)
		}
		s.stmts[name] = st
	}
	return s, nil
}

func (q *Queries) all() map[string]string {
	return map[string]string{
		"insert4": q.Insert4, "update4": q.Update4, "delete4": q.Delete4, "get4": q.Get4,
		"get4hwsubnet": q.Get4HWSubnet, "get4cidsubnet": q.Get4CIDSubnet, "get4hw": q.Get4HW,
		"get4cid": q.Get4CID, "get4host": q.Get4Host, "get4subnet": q.Get4Subnet, "page4": q.Page4,
		"expired4": q.Expired4, "wipe4": q.Wipe4, "reclaimed4": q.Reclaimed4, "stat4": q.Stat4, "other4": q.Other4,
		"insert6": q.Insert6, "update6": q.Update6, "delete6": q.Delete6, "get6": q.Get6,
		"get6iaid": q.Get6IAID, "get6duid": q.Get6DUID, "get6host": q.Get6Host, "get6subnet": q.Get6Subnet,
		"page6": q.Page6, "expired6": q.Expired6, "wipe6": q.Wipe6, "reclaimed6": q.Reclaimed6,
		"stat6": q.Stat6, "other6": q.Other6,
	}
}

func (s *Store) closeStmts() {
	for _, st := range s.stmts {
		st.Close()
	}
}

// V4 returns the IPv4 store, or nil when the store was opened for IPv6.
func (s *Store) V4() store.Store4 {
	if s.cfg.Family == 6 {
		return nil
	}
	return s
}

// V6 returns the IPv6 store, or nil when the store was opened for IPv4.
func (s *Store) V6() store.Store6 {
	if s.cfg.Family == 4 {
		return nil
	}
	return s
}

// Describe names the database.
func (s *Store) Describe() string { return s.describe }

// DB returns the database handle (for tests and tools).
func (s *Store) DB() *sql.DB { return s.db }

// Lost reports, once, that the connection was lost and could not be
// restored within max-reconnect-tries while on-fail asks lessor to exit
// ("stop-retry-exit", the default, or "serve-retry-exit").
func (s *Store) Lost() <-chan error { return s.fatal }

// Close closes the database.
func (s *Store) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	close(s.stop)
	s.mu.Unlock()
	s.wg.Wait()
	s.closeStmts()
	return s.db.Close()
}

// fail wraps a database error and starts reconnecting when it tells that
// the connection is lost.
func (s *Store) fail(op string, err error) error {
	if errors.Is(err, context.Canceled) {
		return fmt.Errorf("%s lease database: %s: %w", s.d.Label, op, err)
	}
	if s.d.IsConnError(err) {
		s.startReconnect(err)
		return fmt.Errorf("%s lease database unavailable: %s: %w", s.d.Label, op, err)
	}
	return fmt.Errorf("%s lease database: %s: %w", s.d.Label, op, err)
}

func (s *Store) startReconnect(cause error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.reconnecting || s.closed {
		return
	}
	s.reconnecting = true
	s.log.Error("lease database connection lost", "type", s.d.Type, "database", s.describe,
		"error", cause.Error(), "max-reconnect-tries", s.cfg.MaxReconnectTries,
		"reconnect-wait-time", s.cfg.ReconnectWaitTime)
	s.wg.Add(1)
	go s.reconnect(cause)
}

// reconnect runs the reconnect policy. Statements keep being tried while
// it runs: database/sql dials again on demand, so service resumes as soon
// as the server is back; the loop decides when lessor gives up.
func (s *Store) reconnect(cause error) {
	defer s.wg.Done()
	defer func() {
		s.mu.Lock()
		s.reconnecting = false
		s.mu.Unlock()
	}()
	wait := time.Duration(s.cfg.ReconnectWaitTime) * time.Millisecond
	for try := int64(1); try <= s.cfg.MaxReconnectTries; try++ {
		select {
		case <-s.stop:
			return
		case <-time.After(wait):
		}
		err := s.ping()
		if err == nil {
			s.log.Info("lease database connection restored", "type", s.d.Type, "database", s.describe, "attempt", try)
			return
		}
		s.log.Warn("lease database reconnect failed", "type", s.d.Type, "attempt", try,
			"of", s.cfg.MaxReconnectTries, "error", err.Error())
		cause = err
	}
	if err := s.ping(); err == nil {
		return
	}
	onFail := s.cfg.OnFail
	if onFail == "" {
		onFail = "stop-retry-exit"
	}
	s.log.Error("lease database connection could not be restored", "type", s.d.Type,
		"database", s.describe, "on-fail", onFail, "error", cause.Error())
	if onFail != "serve-retry-continue" {
		s.fatalOnce.Do(func() {
			s.fatal <- fmt.Errorf("%s lease database %s: connection lost and not restored after %d attempts: %w",
				s.d.Label, s.describe, s.cfg.MaxReconnectTries, cause)
		})
	}
}

func (s *Store) ping() error {
	ctx, cancel := context.WithTimeout(context.Background(), ConnectTimeout(s.cfg))
	defer cancel()
	return s.db.PingContext(ctx)
}

// ConnectTimeout is the configured connect-timeout (Kea's default: 5 s).
func ConnectTimeout(cfg store.Config) time.Duration {
	if cfg.ConnectTimeout > 0 {
		return time.Duration(cfg.ConnectTimeout) * time.Second
	}
	return 5 * time.Second
}

// Connect checks that the database answers, trying again as the reconnect
// settings allow, and returns a clear error if it does not.
func Connect(ctx context.Context, db *sql.DB, cfg store.Config, label, describe string, log *slog.Logger) error {
	var err error
	for try := int64(0); ; try++ {
		pctx, cancel := context.WithTimeout(ctx, ConnectTimeout(cfg))
		err = db.PingContext(pctx)
		cancel()
		if err == nil {
			return nil
		}
		if try >= cfg.MaxReconnectTries {
			break
		}
		if log != nil {
			log.Warn("cannot connect to the lease database, retrying", "database", describe,
				"attempt", try+1, "of", cfg.MaxReconnectTries, "error", err.Error())
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("cannot connect to the %s lease database %s: %w", label, describe, ctx.Err())
		case <-time.After(time.Duration(cfg.ReconnectWaitTime) * time.Millisecond):
		}
	}
	return fmt.Errorf("cannot connect to the %s lease database %s: %w", label, describe, err)
}

// Expire returns the expire column value Kea writes: cltt + valid, or
// cltt alone for an infinite valid lifetime.
func Expire(cltt int64, valid uint32) int64 {
	if valid == lease.InfiniteLifetime {
		return cltt
	}
	return cltt + int64(valid)
}

func cltt(expire int64, valid uint32) int64 {
	if valid == lease.InfiniteLifetime {
		return expire
	}
	return expire - int64(valid)
}

// UserContext returns the user_context column text of a user context:
// Kea's text of it (Element::str()), except that map keys are escaped as
// string values are (bytes below 0x20 and from 0x7f up as \u00XX, quote
// and backslash escaped) where Kea writes them raw. For the keys Kea can
// read back (printable ASCII without quote or backslash) the text is
// Kea's, byte for byte; other keys would make the text invalid JSON or
// not valid UTF-8, which the column refuses. Kea's JSON parser and
// lessor's read the escapes back to the same bytes.
func UserContext(e *kjson.Element) string {
	if e == nil {
		return ""
	}
	var b strings.Builder
	writeContext(&b, e)
	return b.String()
}

func writeContext(b *strings.Builder, e *kjson.Element) {
	switch {
	case e != nil && e.Kind == kjson.Map:
		keys := make([]string, 0, len(e.M))
		for k := range e.M {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		b.WriteString("{ ")
		for i, k := range keys {
			if i > 0 {
				b.WriteString(", ")
			}
			kjson.WriteString(b, k)
			b.WriteString(": ")
			writeContext(b, e.M[k])
		}
		b.WriteString(" }")
	case e != nil && e.Kind == kjson.List:
		b.WriteString("[ ")
		for i, v := range e.L {
			if i > 0 {
				b.WriteString(", ")
			}
			writeContext(b, v)
		}
		b.WriteString(" ]")
	default:
		e.Write(b)
	}
}

func (s *Store) readOnly() error {
	if s.cfg.ReadOnly {
		return store.ErrReadOnly
	}
	return nil
}

func (s *Store) exec(ctx context.Context, stmt string, args ...any) (int64, error) {
	res, err := s.stmts[stmt].ExecContext(ctx, args...)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

// scanner is what sql.Row and sql.Rows have in common.
type scanner interface{ Scan(dest ...any) error }

type row4 struct {
	addr                      int64
	hw, cid                   []byte
	valid, expire, subnet, st sql.NullInt64
	fwd, rev                  sql.NullBool
	host, uctx                sql.NullString
}

func (s *Store) scan4(sc scanner) (*lease.Lease4, error) {
	var r row4
	if err := sc.Scan(&r.addr, &r.hw, &r.cid, &r.valid, &r.expire, &r.subnet, &r.fwd, &r.rev, &r.host, &r.st, &r.uctx); err != nil {
		return nil, err
	}
	l := &lease.Lease4{
		Addr:     netip.AddrFrom4([4]byte{byte(r.addr >> 24), byte(r.addr >> 16), byte(r.addr >> 8), byte(r.addr)}),
		HWType:   lease.HTypeEther,
		ValidLft: uint32(r.valid.Int64),
		SubnetID: uint32(r.subnet.Int64),
		FqdnFwd:  r.fwd.Bool,
		FqdnRev:  r.rev.Bool,
		Hostname: r.host.String,
		State:    lease.State(r.st.Int64),
	}
	if len(r.hw) > 0 {
		l.HWAddr = r.hw
	}
	if len(r.cid) > 0 {
		l.ClientID = r.cid
	}
	l.CLTT = cltt(r.expire.Int64, l.ValidLft)
	uc, err := parseContext(r.uctx)
	if err != nil {
		return nil, fmt.Errorf("lease %s: %w", l.Addr, err)
	}
	l.UserContext = uc
	return l, nil
}

func parseContext(s sql.NullString) (*kjson.Element, error) {
	if !s.Valid || s.String == "" {
		return nil, nil
	}
	e, err := kjson.ParseString([]byte(s.String))
	if err != nil || e.Kind != kjson.Map {
		return nil, fmt.Errorf("user context '%s' is not a JSON map", s.String)
	}
	return e, nil
}

type row6 struct {
	addr                                             string
	duid, hw                                         []byte
	valid, expire, subnet, pref, typ, iaid, plen, st sql.NullInt64
	hwtype, hwsrc                                    sql.NullInt64
	fwd, rev                                         sql.NullBool
	host, uctx                                       sql.NullString
}

func (s *Store) scan6(sc scanner) (*lease.Lease6, error) {
	var r row6
	if err := sc.Scan(&r.addr, &r.duid, &r.valid, &r.expire, &r.subnet, &r.pref, &r.typ, &r.iaid, &r.plen,
		&r.fwd, &r.rev, &r.host, &r.hw, &r.hwtype, &r.hwsrc, &r.st, &r.uctx); err != nil {
		return nil, err
	}
	a, err := netip.ParseAddr(r.addr)
	if err != nil {
		return nil, fmt.Errorf("lease6 row with invalid address %q: %w", r.addr, err)
	}
	l := &lease.Lease6{
		Addr:         a,
		Type:         lease.Type(r.typ.Int64),
		PrefixLen:    uint8(r.plen.Int64),
		IAID:         uint32(r.iaid.Int64),
		DUID:         r.duid,
		PreferredLft: uint32(r.pref.Int64),
		ValidLft:     uint32(r.valid.Int64),
		SubnetID:     uint32(r.subnet.Int64),
		FqdnFwd:      r.fwd.Bool,
		FqdnRev:      r.rev.Bool,
		Hostname:     r.host.String,
		State:        lease.State(r.st.Int64),
	}
	l.CLTT = cltt(r.expire.Int64, l.ValidLft)
	if r.hw != nil && !(s.d.EmptyHWAddrIsNone && len(r.hw) == 0 && r.hwtype.Int64 == 0 && r.hwsrc.Int64 == 0) {
		l.HWAddr = r.hw
		l.HWType = uint16(r.hwtype.Int64)
		l.HWAddrSource = uint32(r.hwsrc.Int64)
	}
	uc, err := parseContext(r.uctx)
	if err != nil {
		return nil, fmt.Errorf("lease %s: %w", l.Addr, err)
	}
	l.UserContext = uc
	return l, nil
}

func (s *Store) query4(ctx context.Context, stmt, op string, args ...any) ([]*lease.Lease4, error) {
	rows, err := s.stmts[stmt].QueryContext(ctx, args...)
	if err != nil {
		return nil, s.fail(op, err)
	}
	defer rows.Close()
	var out []*lease.Lease4
	for rows.Next() {
		l, err := s.scan4(rows)
		if err != nil {
			return nil, s.fail(op, err)
		}
		out = append(out, l)
	}
	if err := rows.Err(); err != nil {
		return nil, s.fail(op, err)
	}
	return out, nil
}

func (s *Store) query6(ctx context.Context, stmt, op string, args ...any) ([]*lease.Lease6, error) {
	rows, err := s.stmts[stmt].QueryContext(ctx, args...)
	if err != nil {
		return nil, s.fail(op, err)
	}
	defer rows.Close()
	var out []*lease.Lease6
	for rows.Next() {
		l, err := s.scan6(rows)
		if err != nil {
			return nil, s.fail(op, err)
		}
		out = append(out, l)
	}
	if err := rows.Err(); err != nil {
		return nil, s.fail(op, err)
	}
	return out, nil
}

func first4(ls []*lease.Lease4, err error) (*lease.Lease4, error) {
	if err != nil || len(ls) == 0 {
		return nil, err
	}
	return ls[0], nil
}

// noLimit stands for "no limit" in LIMIT arguments.
const noLimit = int64(1) << 62

func limitArg(limit int) int64 {
	if limit <= 0 {
		return noLimit
	}
	return int64(limit)
}

// --- IPv4 ---

// AddLease4 stores a new lease.
func (s *Store) AddLease4(ctx context.Context, l *lease.Lease4) error {
	if err := s.readOnly(); err != nil {
		return err
	}
	if err := checkIdentifiers4(l); err != nil {
		return err
	}
	args, err := s.d.Args4(l)
	if err != nil {
		return fmt.Errorf("%s lease database: cannot store lease %s: %w", s.d.Label, l.Addr, err)
	}
	if _, err := s.exec(ctx, "insert4", args...); err != nil {
		if s.d.IsDuplicate(err) {
			return store.ErrExists
		}
		return s.fail("add lease "+l.Addr.String(), err)
	}
	return nil
}

// UpdateLease4 replaces the lease with the same address.
func (s *Store) UpdateLease4(ctx context.Context, l *lease.Lease4) error {
	if err := s.readOnly(); err != nil {
		return err
	}
	if err := checkIdentifiers4(l); err != nil {
		return err
	}
	args, err := s.d.Args4(l)
	if err != nil {
		return fmt.Errorf("%s lease database: cannot store lease %s: %w", s.d.Label, l.Addr, err)
	}
	n, err := s.exec(ctx, "update4", append(args, s.d.Addr4(l.Addr))...)
	if err != nil {
		return s.fail("update lease "+l.Addr.String(), err)
	}
	if n == 0 {
		return store.ErrNotFound
	}
	return nil
}

// DeleteLease4 removes the lease with l's address.
func (s *Store) DeleteLease4(ctx context.Context, l *lease.Lease4) error {
	if err := s.readOnly(); err != nil {
		return err
	}
	n, err := s.exec(ctx, "delete4", s.d.Addr4(l.Addr))
	if err != nil {
		return s.fail("delete lease "+l.Addr.String(), err)
	}
	if n == 0 {
		return store.ErrNotFound
	}
	return nil
}

// GetLease4 returns the lease of the address, or nil.
func (s *Store) GetLease4(ctx context.Context, addr netip.Addr) (*lease.Lease4, error) {
	if !addr.Is4() {
		return nil, nil
	}
	return first4(s.query4(ctx, "get4", "get lease "+addr.String(), s.d.Addr4(addr)))
}

// GetLease4ByHWAddr returns the first lease with this hardware address in
// the subnet.
func (s *Store) GetLease4ByHWAddr(ctx context.Context, hw []byte, subnetID uint32) (*lease.Lease4, error) {
	return first4(s.query4(ctx, "get4hwsubnet", "get lease by hw-address", nonNil(hw), int64(subnetID)))
}

// GetLease4ByClientID returns the first lease with this client-id in the subnet.
func (s *Store) GetLease4ByClientID(ctx context.Context, clientID []byte, subnetID uint32) (*lease.Lease4, error) {
	if len(clientID) == 0 {
		return nil, nil
	}
	return first4(s.query4(ctx, "get4cidsubnet", "get lease by client-id", clientID, int64(subnetID)))
}

// GetLeases4ByHWAddr returns the leases with this hardware address.
func (s *Store) GetLeases4ByHWAddr(ctx context.Context, hw []byte) ([]*lease.Lease4, error) {
	return s.query4(ctx, "get4hw", "get leases by hw-address", nonNil(hw))
}

// GetLeases4ByClientID returns the leases with this client-id.
func (s *Store) GetLeases4ByClientID(ctx context.Context, clientID []byte) ([]*lease.Lease4, error) {
	if len(clientID) == 0 {
		return nil, nil
	}
	return s.query4(ctx, "get4cid", "get leases by client-id", clientID)
}

// GetLeases4ByHostname returns the leases with this hostname (none for
// a hostname that is not valid UTF-8, which no stored lease has).
func (s *Store) GetLeases4ByHostname(ctx context.Context, hostname string) ([]*lease.Lease4, error) {
	if !utf8.ValidString(hostname) {
		// No stored lease has it (checkHostname), and the database
		// refuses the comparison.
		return nil, nil
	}
	return s.query4(ctx, "get4host", "get leases by hostname", hostname, hostname)
}

// GetLeases4BySubnet returns the leases of the subnet in address order.
func (s *Store) GetLeases4BySubnet(ctx context.Context, subnetID uint32) ([]*lease.Lease4, error) {
	return s.query4(ctx, "get4subnet", "get leases by subnet", int64(subnetID))
}

// GetLeases4Page returns up to limit leases after the address.
func (s *Store) GetLeases4Page(ctx context.Context, after netip.Addr, limit int) ([]*lease.Lease4, error) {
	if !after.Is4() {
		after = netip.IPv4Unspecified()
	}
	return s.query4(ctx, "page4", "get leases page", s.d.Addr4(after), limitArg(limit))
}

// GetExpiredLeases4 returns leases that expired before now and are not
// reclaimed, oldest first.
func (s *Store) GetExpiredLeases4(ctx context.Context, now int64, limit int) ([]*lease.Lease4, error) {
	return s.query4(ctx, "expired4", "get expired leases", s.d.Time(now), limitArg(limit))
}

// WipeLeases4 removes the leases of the subnet.
func (s *Store) WipeLeases4(ctx context.Context, subnetID uint32) (int, error) {
	if err := s.readOnly(); err != nil {
		return 0, err
	}
	n, err := s.exec(ctx, "wipe4", int64(subnetID))
	if err != nil {
		return 0, s.fail("wipe leases", err)
	}
	return int(n), nil
}

// DeleteExpiredReclaimedLeases4 removes reclaimed leases that expired
// before olderThan.
func (s *Store) DeleteExpiredReclaimedLeases4(ctx context.Context, olderThan int64) (int, error) {
	if err := s.readOnly(); err != nil {
		return 0, err
	}
	n, err := s.exec(ctx, "reclaimed4", s.d.Time(olderThan))
	if err != nil {
		return 0, s.fail("delete reclaimed leases", err)
	}
	return int(n), nil
}

// CountLeases4 returns lease counts by subnet and state: default and
// declined leases from lease4_stat (kept by the schema's triggers), other
// states counted from lease4.
func (s *Store) CountLeases4(ctx context.Context) ([]store.StateCount, error) {
	var out []store.StateCount
	for _, stmt := range []string{"stat4", "other4"} {
		rows, err := s.stmts[stmt].QueryContext(ctx)
		if err != nil {
			return nil, s.fail("count leases", err)
		}
		for rows.Next() {
			var sub, st, n int64
			if err := rows.Scan(&sub, &st, &n); err != nil {
				rows.Close()
				return nil, s.fail("count leases", err)
			}
			if n > 0 {
				out = append(out, store.StateCount{SubnetID: uint32(sub), Type: lease.TypeNA, State: lease.State(st), Count: n})
			}
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return nil, s.fail("count leases", err)
		}
	}
	sortCounts(out)
	return out, nil
}

func sortCounts(c []store.StateCount) {
	sort.Slice(c, func(i, j int) bool {
		if c[i].SubnetID != c[j].SubnetID {
			return c[i].SubnetID < c[j].SubnetID
		}
		if c[i].Type != c[j].Type {
			return c[i].Type < c[j].Type
		}
		return c[i].State < c[j].State
	})
}

func nonNil(b []byte) []byte {
	if b == nil {
		return []byte{}
	}
	return b
}

// --- IPv6 ---

// AddLease6 stores a new lease.
func (s *Store) AddLease6(ctx context.Context, l *lease.Lease6) error {
	if err := s.readOnly(); err != nil {
		return err
	}
	args, err := s.d.Args6(l)
	if err != nil {
		return fmt.Errorf("%s lease database: cannot store lease %s: %w", s.d.Label, l.Addr, err)
	}
	if _, err := s.exec(ctx, "insert6", args...); err != nil {
		if s.d.IsDuplicate(err) {
			return store.ErrExists
		}
		return s.fail("add lease "+l.Addr.String(), err)
	}
	return nil
}

// UpdateLease6 replaces the lease with the same address.
func (s *Store) UpdateLease6(ctx context.Context, l *lease.Lease6) error {
	if err := s.readOnly(); err != nil {
		return err
	}
	args, err := s.d.Args6(l)
	if err != nil {
		return fmt.Errorf("%s lease database: cannot store lease %s: %w", s.d.Label, l.Addr, err)
	}
	n, err := s.exec(ctx, "update6", append(args, s.d.Addr6(l.Addr))...)
	if err != nil {
		if s.d.IsDuplicate(err) {
			return store.ErrExists
		}
		return s.fail("update lease "+l.Addr.String(), err)
	}
	if n == 0 {
		return store.ErrNotFound
	}
	return nil
}

// DeleteLease6 removes the lease with l's address.
func (s *Store) DeleteLease6(ctx context.Context, l *lease.Lease6) error {
	if err := s.readOnly(); err != nil {
		return err
	}
	n, err := s.exec(ctx, "delete6", s.d.Addr6(l.Addr))
	if err != nil {
		return s.fail("delete lease "+l.Addr.String(), err)
	}
	if n == 0 {
		return store.ErrNotFound
	}
	return nil
}

// GetLease6 returns the lease of this type and address, or nil.
func (s *Store) GetLease6(ctx context.Context, typ lease.Type, addr netip.Addr) (*lease.Lease6, error) {
	if !addr.Is6() {
		return nil, nil
	}
	ls, err := s.query6(ctx, "get6", "get lease "+addr.String(), s.d.Addr6(addr), int64(typ))
	if err != nil || len(ls) == 0 {
		return nil, err
	}
	return ls[0], nil
}

// GetLeases6ByIAID returns the leases of this type, DUID, IAID and subnet.
func (s *Store) GetLeases6ByIAID(ctx context.Context, typ lease.Type, duid []byte, iaid uint32, subnetID uint32) ([]*lease.Lease6, error) {
	return s.query6(ctx, "get6iaid", "get leases by DUID and IAID", int64(typ), nonNil(duid), s.d.iaid(iaid), int64(subnetID))
}

func (d *Dialect) iaid(v uint32) any {
	if d.Type == "postgresql" {
		return int64(int32(v))
	}
	return int64(v)
}

// GetLeases6ByDUID returns the leases with this DUID.
func (s *Store) GetLeases6ByDUID(ctx context.Context, duid []byte) ([]*lease.Lease6, error) {
	return s.query6(ctx, "get6duid", "get leases by DUID", nonNil(duid))
}

// GetLeases6ByHostname returns the leases with this hostname (none for
// a hostname that is not valid UTF-8, which no stored lease has).
func (s *Store) GetLeases6ByHostname(ctx context.Context, hostname string) ([]*lease.Lease6, error) {
	if !utf8.ValidString(hostname) {
		// No stored lease has it (checkHostname), and the database
		// refuses the comparison.
		return nil, nil
	}
	return s.query6(ctx, "get6host", "get leases by hostname", hostname, hostname)
}

// GetLeases6BySubnet returns the leases of the subnet in address order.
func (s *Store) GetLeases6BySubnet(ctx context.Context, subnetID uint32) ([]*lease.Lease6, error) {
	return s.query6(ctx, "get6subnet", "get leases by subnet", int64(subnetID))
}

// GetLeases6Page returns up to limit leases after the address, in numeric
// address order.
func (s *Store) GetLeases6Page(ctx context.Context, after netip.Addr, limit int) ([]*lease.Lease6, error) {
	if !after.Is6() {
		after = netip.IPv6Unspecified()
	}
	return s.query6(ctx, "page6", "get leases page", s.d.Addr6Key(after), limitArg(limit))
}

// GetExpiredLeases6 returns leases that expired before now and are not
// reclaimed, oldest first.
func (s *Store) GetExpiredLeases6(ctx context.Context, now int64, limit int) ([]*lease.Lease6, error) {
	return s.query6(ctx, "expired6", "get expired leases", s.d.Time(now), limitArg(limit))
}

// WipeLeases6 removes the leases of the subnet.
func (s *Store) WipeLeases6(ctx context.Context, subnetID uint32) (int, error) {
	if err := s.readOnly(); err != nil {
		return 0, err
	}
	n, err := s.exec(ctx, "wipe6", int64(subnetID))
	if err != nil {
		return 0, s.fail("wipe leases", err)
	}
	return int(n), nil
}

// DeleteExpiredReclaimedLeases6 removes reclaimed leases that expired
// before olderThan.
func (s *Store) DeleteExpiredReclaimedLeases6(ctx context.Context, olderThan int64) (int, error) {
	if err := s.readOnly(); err != nil {
		return 0, err
	}
	n, err := s.exec(ctx, "reclaimed6", s.d.Time(olderThan))
	if err != nil {
		return 0, s.fail("delete reclaimed leases", err)
	}
	return int(n), nil
}

// CountLeases6 returns lease counts by subnet, type and state (see
// CountLeases4).
func (s *Store) CountLeases6(ctx context.Context) ([]store.StateCount, error) {
	var out []store.StateCount
	for _, stmt := range []string{"stat6", "other6"} {
		rows, err := s.stmts[stmt].QueryContext(ctx)
		if err != nil {
			return nil, s.fail("count leases", err)
		}
		for rows.Next() {
			var sub, typ, st, n int64
			if err := rows.Scan(&sub, &typ, &st, &n); err != nil {
				rows.Close()
				return nil, s.fail("count leases", err)
			}
			if n > 0 {
				out = append(out, store.StateCount{SubnetID: uint32(sub), Type: lease.Type(typ), State: lease.State(st), Count: n})
			}
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return nil, s.fail("count leases", err)
		}
	}
	sortCounts(out)
	return out, nil
}

// Column limits of Kea's schema and of Kea's readers.
const (
	MaxHWAddrLen   = 20  // HWAddr::MAX_HWADDR_LEN, hwaddr VARBINARY(20)
	MaxDUIDLen     = 128 // DUID::MAX_DUID_LEN, duid VARBINARY(128)
	MaxHostnameLen = 255 // hostname VARCHAR(255)
)

// Check4 refuses a lease4 whose values Kea's columns cannot hold.
func Check4(l *lease.Lease4, maxClientID int) error {
	if !l.Addr.Is4() {
		return fmt.Errorf("invalid IPv4 address %s", l.Addr)
	}
	if len(l.HWAddr) > MaxHWAddrLen {
		return fmt.Errorf("Hardware address length : %d exceeds maximum allowed of: %d", len(l.HWAddr), MaxHWAddrLen)
	}
	if len(l.ClientID) > maxClientID {
		return fmt.Errorf("client-id length %d exceeds maximum allowed of: %d", len(l.ClientID), maxClientID)
	}
	return checkHostname(l.Hostname)
}

// Check6 refuses a lease6 whose values Kea's columns cannot hold.
func Check6(l *lease.Lease6) error {
	if !l.Addr.Is6() || l.Addr.Zone() != "" {
		return fmt.Errorf("invalid IPv6 address %s", l.Addr)
	}
	if len(l.DUID) == 0 {
		return fmt.Errorf("IPv6 lease cannot have an empty DUID")
	}
	if len(l.DUID) > MaxDUIDLen {
		return fmt.Errorf("DUID length %d exceeds maximum allowed of: %d", len(l.DUID), MaxDUIDLen)
	}
	if len(l.HWAddr) > MaxHWAddrLen {
		return fmt.Errorf("Hardware address length : %d exceeds maximum allowed of: %d", len(l.HWAddr), MaxHWAddrLen)
	}
	if l.Type > lease.TypePD {
		return fmt.Errorf("invalid lease type %d", l.Type)
	}
	return checkHostname(l.Hostname)
}

// noHWNoCID is Kea's text for a lease4 that has neither a
// hardware address nor a client-id (and is not declined): Kea's memfile
// refuses to write it, and lessor's SQL stores answer as memfile does.
const noHWNoCID = "Lease4: %s, state: %s has neither hardware address or client id"

// checkIdentifiers4 refuses, in Kea's memfile words, a lease4 that has
// neither a hardware address nor a client-id and is not declined.
func checkIdentifiers4(l *lease.Lease4) error {
	if len(l.HWAddr) == 0 && len(l.ClientID) == 0 && l.State != lease.StateDeclined {
		return fmt.Errorf(noHWNoCID, l.Addr, stateText(l.State))
	}
	return nil
}

func stateText(s lease.State) string {
	switch s {
	case lease.StateDefault:
		return "default"
	case lease.StateDeclined:
		return "declined"
	case lease.StateExpiredReclaimed:
		return "expired-reclaimed"
	}
	return fmt.Sprintf("unknown (%d)", uint32(s))
}

// checkHostname refuses a hostname the hostname column cannot hold: longer
// than VARCHAR(255), or not valid UTF-8 (the databases keep text in UTF-8
// and refuse other bytes; no encoding of such bytes would read back the
// same in both Kea and lessor).
func checkHostname(h string) error {
	if !utf8.ValidString(h) {
		return fmt.Errorf("hostname %s is not valid UTF-8, which the hostname column cannot hold", kjson.Quote(h))
	}
	if n := utf8.RuneCountInString(h); n > MaxHostnameLen {
		return fmt.Errorf("hostname length %d exceeds maximum allowed of: %d", n, MaxHostnameLen)
	}
	return nil
}

// IsConnError tells the errors of any driver that mean the connection to
// the server is lost or cannot be made.
func IsConnError(err error) bool {
	if err == nil {
		return false
	}
	var ne net.Error
	return errors.Is(err, driver.ErrBadConn) || errors.As(err, &ne) ||
		errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) ||
		errors.Is(err, syscall.EPIPE) || errors.Is(err, sql.ErrConnDone)
}
