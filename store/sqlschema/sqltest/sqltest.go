// Package sqltest gives lessor's SQL store tests databases of their own:
// each test gets a freshly created database (lessor_test_pg_<random> or
// lessor_test_my_<random>) with the lease schema, dropped when the test
// ends, and is skipped with a clear message when the server cannot be
// reached.
//
// The servers are found through LESSOR_TEST_PGSQL_HOST/PORT/USER/PASSWORD
// and LESSOR_TEST_MYSQL_HOST/PORT/USER/PASSWORD (defaults: 127.0.0.1,
// the standard port, user postgres or root, no password).
package sqltest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"testing"
	"time"

	"github.com/lessor-dhcp/lessor/store"
	"github.com/lessor-dhcp/lessor/store/mysql"
	"github.com/lessor-dhcp/lessor/store/pgsql"
	"github.com/lessor-dhcp/lessor/store/sqlschema"
)

// Schema says how a test database is initialized.
type Schema int

const (
	// Lessor: lessor's own DDL (what lessor-admin db-init runs).
	Lessor Schema = iota
	// KeaAdmin: /usr/sbin/kea-admin db-init (skips when not installed).
	KeaAdmin
	// Empty: no schema.
	Empty
)

func env(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

// Server returns the configuration of the test server of a backend
// ("postgresql" or "mysql"), naming database name.
func Server(typ, name string) store.Config {
	pfx, user, port := "LESSOR_TEST_PGSQL_", "postgres", pgsql.DefaultPort
	if typ == "mysql" {
		pfx, user, port = "LESSOR_TEST_MYSQL_", "root", mysql.DefaultPort
	}
	p, _ := strconv.Atoi(env(pfx+"PORT", strconv.Itoa(port)))
	return store.Config{
		Type:           typ,
		Host:           env(pfx+"HOST", "127.0.0.1"),
		Port:           p,
		User:           env(pfx+"USER", user),
		Password:       env(pfx+"PASSWORD", ""),
		Name:           name,
		ConnectTimeout: 3,
	}
}

func randomName(typ string) string {
	b := make([]byte, 6)
	rand.Read(b)
	short := "pg"
	if typ == "mysql" {
		short = "my"
	}
	return "lessor_test_" + short + "_" + hex.EncodeToString(b)
}

func connect(ctx context.Context, cfg store.Config) (*sql.DB, error) {
	if cfg.Type == "mysql" {
		return mysql.Connect(ctx, cfg, nil)
	}
	return pgsql.Connect(ctx, cfg, nil)
}

// Admin connects to the server's maintenance database (PostgreSQL "test"
// or "postgres"; MySQL without a database), or skips the test.
func Admin(t testing.TB, typ string) *sql.DB {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	names := []string{"test", "postgres"}
	if typ == "mysql" {
		names = []string{"test", "mysql"}
	}
	var err error
	for _, n := range names {
		var db *sql.DB
		db, err = connect(ctx, Server(typ, n))
		if err == nil {
			return db
		}
	}
	t.Skipf("%s test server not reachable (set LESSOR_TEST_%s_HOST etc.): %v", typ, map[string]string{"postgresql": "PGSQL", "mysql": "MYSQL"}[typ], err)
	return nil
}

// NewDatabase creates a database of its own for the test and returns the
// lease-database configuration that names it. It is dropped at cleanup.
func NewDatabase(t testing.TB, typ string, family int, schema Schema) store.Config {
	t.Helper()
	admin := Admin(t, typ)
	name := randomName(typ)
	ctx := context.Background()
	if _, err := admin.ExecContext(ctx, "CREATE DATABASE "+name); err != nil {
		admin.Close()
		t.Fatalf("create database %s: %v", name, err)
	}
	t.Cleanup(func() {
		defer admin.Close()
		q := "DROP DATABASE IF EXISTS " + name
		if typ == "postgresql" {
			q += " WITH (FORCE)"
		}
		for i := 0; i < 20; i++ {
			if _, err := admin.ExecContext(ctx, q); err == nil {
				return
			} else if i == 19 {
				t.Errorf("drop database %s: %v", name, err)
			}
			time.Sleep(250 * time.Millisecond)
		}
	})
	cfg := Server(typ, name)
	cfg.Family = family
	switch schema {
	case Lessor:
		db, err := connect(ctx, cfg)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		stmts, tx := sqlschema.PgSQL, true
		if typ == "mysql" {
			stmts, tx = sqlschema.MySQL, false
		}
		if err := sqlschema.Init(ctx, db, stmts, tx); err != nil {
			t.Fatalf("init schema of %s: %v", name, err)
		}
	case KeaAdmin:
		if _, err := os.Stat("/usr/sbin/kea-admin"); err != nil {
			t.Skip("kea-admin (Kea 2.2) not installed")
		}
		backend := "pgsql"
		if typ == "mysql" {
			backend = "mysql"
		}
		out, err := exec.Command("/usr/sbin/kea-admin", "db-init", backend, "-h", cfg.Host,
			"-P", strconv.Itoa(cfg.Port), "-u", cfg.User, "-p", cfg.Password, "-n", name).CombinedOutput()
		if err != nil {
			t.Fatalf("kea-admin db-init %s: %v\n%s", backend, err, out)
		}
	}
	return cfg
}

// Open opens the store of a configuration or fails the test; the store is
// closed at cleanup.
func Open(t testing.TB, cfg store.Config) store.Store {
	t.Helper()
	s, err := store.Open(context.Background(), cfg, nil)
	if err != nil {
		t.Fatalf("open %s: %v", cfg.Type, err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// Query runs a query on the test database and returns its rows as text,
// NULL as "NULL".
func Query(t testing.TB, cfg store.Config, q string, args ...any) [][]string {
	t.Helper()
	db, err := connect(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.Query(q, args...)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	var out [][]string
	for rows.Next() {
		vals := make([]sql.RawBytes, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		row := make([]string, len(cols))
		for i, v := range vals {
			if v == nil {
				row[i] = "NULL"
			} else {
				row[i] = string(v)
			}
		}
		out = append(out, row)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// Exec runs a statement on the test database.
func Exec(t testing.TB, cfg store.Config, q string, args ...any) {
	t.Helper()
	db, err := connect(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(q, args...); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
}

// Fmt is fmt.Sprint for table rows in failure messages.
func Fmt(rows [][]string) string { return fmt.Sprint(rows) }
