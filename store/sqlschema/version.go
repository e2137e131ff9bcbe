package sqlschema

import (
	"context"
	"database/sql"
	"fmt"
)

// CheckVersion reads schema_version and refuses a database whose schema is
// not the one lessor (and Kea 2.2) needs. label names the database kind
// ("PostgreSQL", "MySQL") and admin the lessor-admin backend name.
func CheckVersion(ctx context.Context, db *sql.DB, label, admin string, major, minor int) error {
	gotMajor, gotMinor, err := ReadVersion(ctx, db)
	if err != nil {
		return fmt.Errorf("%s lease database: cannot read the schema version (initialize it with 'lessor-admin db-init %s' or 'kea-admin db-init %s'): %w",
			label, admin, admin, err)
	}
	if gotMajor != major || gotMinor != minor {
		return fmt.Errorf("%s schema version mismatch: need version: %d.%d found version: %d.%d",
			label, major, minor, gotMajor, gotMinor)
	}
	return nil
}

// ReadVersion returns the version schema_version holds.
func ReadVersion(ctx context.Context, db *sql.DB) (major, minor int, err error) {
	var mi sql.NullInt64
	err = db.QueryRowContext(ctx, "SELECT version, minor FROM schema_version").Scan(&major, &mi)
	return major, int(mi.Int64), err
}

// Init creates the schema in an empty database: it refuses a database that
// already has a schema_version table, then runs the statements one by one.
// PostgreSQL runs them in one transaction; MySQL commits each DDL
// statement on its own, so a failure there may leave part of the schema.
func Init(ctx context.Context, db *sql.DB, stmts []string, transactional bool) error {
	if major, minor, err := ReadVersion(ctx, db); err == nil {
		return fmt.Errorf("the database is already initialized (schema version %d.%d)", major, minor)
	}
	if !transactional {
		for _, q := range stmts {
			if _, err := db.ExecContext(ctx, q); err != nil {
				return fmt.Errorf("creating the schema: %w (statement: %.60s...)", err, q)
			}
		}
		return nil
	}
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	for _, q := range stmts {
		if _, err := tx.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("creating the schema: %w (statement: %.60s...)", err, q)
		}
	}
	return tx.Commit()
}

// Addition is one of lessor's objects on top of Kea's schema.
type Addition struct {
	Name   string
	Exists string // query returning a count, > 0 when the object is there
	DDL    string // statement that creates it
}

// EnsureAdditions creates the additions a database lacks (unless create is
// false) and reports which ones are present afterwards, by Name.
func EnsureAdditions(ctx context.Context, db *sql.DB, adds []Addition, create bool) (map[string]bool, []error) {
	have := map[string]bool{}
	var errs []error
	for _, a := range adds {
		var n int
		if err := db.QueryRowContext(ctx, a.Exists).Scan(&n); err != nil {
			errs = append(errs, fmt.Errorf("checking lessor's %s: %w", a.Name, err))
			continue
		}
		if n == 0 && create {
			if _, err := db.ExecContext(ctx, a.DDL); err != nil {
				errs = append(errs, fmt.Errorf("adding lessor's %s: %w", a.Name, err))
				continue
			}
			n = 1
		}
		have[a.Name] = n > 0
	}
	return have, errs
}
