// Command lessor-admin creates and checks lessor's SQL lease databases, for
// users without Kea's kea-admin. Its commands and flags follow kea-admin's:
//
//	lessor-admin db-init pgsql|mysql [-h host] [-P port] [-u user] [-p password] [-n name]
//	lessor-admin db-version pgsql|mysql [-h host] [-P port] [-u user] [-p password] [-n name]
//
// db-init creates, in an existing empty database, the lease schema that
// Kea 2.2's kea-admin creates (PostgreSQL 13.0, MySQL 14.0), so that
// lessor, Kea 2.2 and kea-admin all accept it. db-version prints the
// schema version ("13.0"). Defaults are kea-admin's: host localhost, user,
// password and name "keatest"; the password may also come from
// LESSOR_ADMIN_DB_PASSWORD.
package main

import (
	"context"
	"database/sql"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/lessor-dhcp/lessor/store"
	"github.com/lessor-dhcp/lessor/store/mysql"
	"github.com/lessor-dhcp/lessor/store/pgsql"
	"github.com/lessor-dhcp/lessor/store/sqlschema"
)

const usage = `Usage: lessor-admin COMMAND BACKEND [parameters]

COMMAND:
 - db-init: creates the lease schema in an empty database.
 - db-version: prints the version of the database schema.

BACKEND: pgsql or mysql

PARAMETERS:
 -h hostname  database host (default: localhost)
 -P port      database TCP port (default: 5432 or 3306)
 -u user      database user (default: keatest)
 -p password  database password (default: keatest, or $LESSOR_ADMIN_DB_PASSWORD)
 -n name      database name (default: keatest)
 -t seconds   connect timeout (default: 5)
`

func main() {
	os.Exit(run(context.Background(), os.Args[1:], os.Stdout, os.Stderr))
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) < 2 {
		fmt.Fprint(stderr, "lessor-admin: missing command or backend\n\n"+usage)
		return 1
	}
	command, backend := args[0], args[1]
	fs := flag.NewFlagSet("lessor-admin", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	cfg := store.Config{}
	password := "keatest"
	if p, ok := os.LookupEnv("LESSOR_ADMIN_DB_PASSWORD"); ok {
		password = p
	}
	fs.StringVar(&cfg.Host, "h", "localhost", "")
	fs.IntVar(&cfg.Port, "P", 0, "")
	fs.StringVar(&cfg.User, "u", "keatest", "")
	fs.StringVar(&cfg.Password, "p", password, "")
	fs.StringVar(&cfg.Name, "n", "keatest", "")
	fs.Int64Var(&cfg.ConnectTimeout, "t", 5, "")
	if err := fs.Parse(args[2:]); err != nil {
		fmt.Fprintf(stderr, "lessor-admin: %v\n\n%s", err, usage)
		return 1
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "lessor-admin: unexpected argument %q\n\n%s", fs.Arg(0), usage)
		return 1
	}

	var (
		connect      func(context.Context, store.Config) (*sql.DB, error)
		stmts        []string
		major, minor int
		tx           bool
	)
	switch backend {
	case "pgsql":
		cfg.Type = "postgresql"
		connect = func(ctx context.Context, c store.Config) (*sql.DB, error) { return pgsql.Connect(ctx, c, nil) }
		stmts, major, minor, tx = sqlschema.PgSQL, sqlschema.PgSQLMajor, sqlschema.PgSQLMinor, true
	case "mysql":
		cfg.Type = "mysql"
		connect = func(ctx context.Context, c store.Config) (*sql.DB, error) { return mysql.Connect(ctx, c, nil) }
		stmts, major, minor, tx = sqlschema.MySQL, sqlschema.MySQLMajor, sqlschema.MySQLMinor, false
	default:
		fmt.Fprintf(stderr, "lessor-admin: unsupported backend %q (pgsql or mysql)\n", backend)
		return 1
	}

	ctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	defer cancel()
	db, err := connect(ctx, cfg)
	if err != nil {
		fmt.Fprintf(stderr, "lessor-admin: %v\n", err)
		return 1
	}
	defer db.Close()

	switch command {
	case "db-version":
		ma, mi, err := sqlschema.ReadVersion(ctx, db)
		if err != nil {
			fmt.Fprintf(stderr, "lessor-admin: cannot read the schema version: %v\n", err)
			return 1
		}
		fmt.Fprintf(stdout, "%d.%d\n", ma, mi)
		return 0
	case "db-init":
		if err := initSchema(ctx, db, cfg.Type, stmts, tx); err != nil {
			fmt.Fprintf(stderr, "lessor-admin: %v\n", err)
			return 1
		}
		ma, mi, err := sqlschema.ReadVersion(ctx, db)
		if err != nil {
			fmt.Fprintf(stderr, "lessor-admin: cannot read the schema version: %v\n", err)
			return 1
		}
		if ma != major || mi != minor {
			fmt.Fprintf(stderr, "lessor-admin: schema version after initialization is %d.%d, expected %d.%d\n", ma, mi, major, minor)
			return 1
		}
		fmt.Fprintf(stdout, "Database version reported after initialization: %d.%d\n", ma, mi)
		return 0
	default:
		fmt.Fprintf(stderr, "lessor-admin: unknown command %q\n\n%s", command, usage)
		return 1
	}
}

// initSchema refuses a database that already has tables, as kea-admin does,
// then creates the schema.
func initSchema(ctx context.Context, db *sql.DB, typ string, stmts []string, tx bool) error {
	q := "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = 'public'"
	if typ == "mysql" {
		q = "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = DATABASE()"
	}
	var n int
	if err := db.QueryRowContext(ctx, q).Scan(&n); err != nil {
		return fmt.Errorf("cannot list the tables of the database: %w", err)
	}
	if n > 0 {
		return errors.New("the database is not empty (it has tables); db-init needs an empty database")
	}
	return sqlschema.Init(ctx, db, stmts, tx)
}
