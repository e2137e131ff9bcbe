// Package sqlschema holds the lease part of the SQL schemas that Kea 2.2's
// kea-admin creates (PostgreSQL 13.0, MySQL 14.0), as lessor writes them
// for `lessor-admin db-init`, and the version check that lessor's SQL
// stores run when they open a database.
//
// The objects keep Kea's names (tables, columns, indexes, constraints,
// triggers, routines), so that Kea 2.2 and kea-admin accept a database
// lessor initialized, and lessor accepts one kea-admin initialized. lessor
// adds one object of its own to each schema (PgSQLLeaseIndex,
// MySQLLeaseIndex): a numeric key over lease6 addresses, which Kea stores
// as text. The host reservation and configuration backend parts of Kea's
// schemas are not created.
package sqlschema
