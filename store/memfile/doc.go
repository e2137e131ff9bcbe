// Package memfile is lessor's in-memory lease store persisted in Kea 2.2's
// CSV lease files ("memfile"). It registers itself as the "memfile" lease
// database type.
//
// Leases live in compact tables (one fixed-size record per lease plus one
// string for its identifiers, hostname and user context) with the indexes
// Kea's memfile keeps: an ordered address index (sorted chunks) for lookups
// and pages, an ordered expiration index, and hash-chained secondary
// indexes (hardware address, client-id, hostname, subnet; DUID+IAID+type
// and DUID for IPv6); no lookup scans all leases. About 160 bytes per IPv4
// lease with all indexes (see TestMemoryPerLease). Lists by a secondary key
// come in Kea's order: by key (then subnet for the hardware address and
// client-id lists), then in the order the leases took that key; an update
// that keeps a key keeps the lease's place, one that changes it moves the
// lease to the end of its new key's list, as Kea's multi-index replace
// does (except in the corner case where Kea's new key still sorts between
// the lease's old neighbours and Kea leaves it in place). Expired-lease queries include leases expiring exactly at the time
// given, as Kea's memfile does. Reads take a shared lock, changes an
// exclusive one.
//
// Persistence: every change is appended to the lease file as Kea writes it
// (a lease row; a delete is the lease's row with valid lifetime 0) and the
// write(2) is done before the change is acknowledged. A failed write
// leaves the memory unchanged and the file cut back to its last complete
// row. With Config.Durable the row is also fsynced before the
// acknowledgement; concurrent writers share one fsync (group commit). If
// that fsync fails, the error is returned but the change stays in memory
// (and in the file as far as the kernel has it).
//
// Valid lifetime 0. Kea reads a row with valid lifetime 0 as a delete, so a
// lease stored with valid lifetime 0 would vanish on reload. lessor's rule
// when reading a lease file: a row with valid lifetime 0 deletes the lease
// at its address if there is one, and otherwise creates a lease with valid
// lifetime 0. When lessor updates a lease to valid lifetime 0 it writes two
// such rows (the first deletes the old lease on reload, the second
// re-creates it), so a reload restores exactly the state in memory. Files
// written by Kea load the same under this rule as under Kea's.
//
// Loading (parsing in a second goroutine, indexes built in bulk) follows
// Kea: <name>.completed if present, else <name>.2 and
// <name>.1 (left by lease file cleanup), then <name>. Older and newer file
// schemas are accepted as Kea accepts them (columns added later take their
// defaults; extra columns are dropped) and trigger an immediate cleanup
// that rewrites the files in the current schema. Rows that do not parse are
// skipped with an error log, up to max-row-errors (0 = unlimited) per file;
// beyond that Open fails. A final row without its newline (a write cut
// short by a crash) is dropped with a warning and cut from the file.
//
// Lease file cleanup (see LFC) uses Kea's file names and steps and can be
// interrupted at any point without losing a lease.
package memfile
