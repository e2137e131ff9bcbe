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
