// Package store defines what lessor asks of a lease store (memfile,
// PostgreSQL, MySQL): the Store4 and Store6 contracts shared by every
// backend, and the errors they report. The contract test suite that every
// backend must pass is in store/storetest.
//
// Ordering rules (Kea 2.2 memfile's, which every backend follows):
//   - lists by address (all leases, pages) are in ascending address order;
//   - lists by a secondary key (subnet, hw-address, client-id, DUID,
//     hostname) are ordered by that key, then by the order in which the
//     leases were first added (an update keeps a lease's place).
package store

import (
	"context"
	"errors"
	"net/netip"

	"github.com/lessor-dhcp/lessor/lease"
)

// Errors a store reports. Other errors (I/O, database) are wrapped.
var (
	// ErrExists: an add found a lease with the same address already there.
	ErrExists = errors.New("lease already exists")
	// ErrNotFound: an update or delete found no lease with that address.
	ErrNotFound = errors.New("lease not found")
	// ErrReadOnly: the store was opened read-only.
	ErrReadOnly = errors.New("lease database is read-only")
)

// StateCount is the number of leases of one subnet, type and state; stores
// report them so that statistics can be recounted at start-up.
type StateCount struct {
	SubnetID uint32
	Type     lease.Type // TypeNA for IPv4 leases
	State    lease.State
	Count    int64
}

// Store4 holds IPv4 leases. Leases passed in are not retained (the store
// copies what it keeps); leases returned belong to the caller.
// A lookup that finds nothing returns nil (or an empty slice) and no error.
type Store4 interface {
	// AddLease4 stores a new lease; ErrExists if its address is taken.
	AddLease4(ctx context.Context, l *lease.Lease4) error
	// UpdateLease4 replaces the lease with the same address; ErrNotFound if none.
	UpdateLease4(ctx context.Context, l *lease.Lease4) error
	// DeleteLease4 removes the lease with l's address; ErrNotFound if none.
	DeleteLease4(ctx context.Context, l *lease.Lease4) error

	GetLease4(ctx context.Context, addr netip.Addr) (*lease.Lease4, error)
	// GetLease4ByHWAddr returns the first lease (in the secondary order)
	// with this hardware address in this subnet.
	GetLease4ByHWAddr(ctx context.Context, hw []byte, subnetID uint32) (*lease.Lease4, error)
	// GetLease4ByClientID returns the first lease with this client-id in this subnet.
	GetLease4ByClientID(ctx context.Context, clientID []byte, subnetID uint32) (*lease.Lease4, error)
	GetLeases4ByHWAddr(ctx context.Context, hw []byte) ([]*lease.Lease4, error)
	GetLeases4ByClientID(ctx context.Context, clientID []byte) ([]*lease.Lease4, error)
	GetLeases4ByHostname(ctx context.Context, hostname string) ([]*lease.Lease4, error)
	GetLeases4BySubnet(ctx context.Context, subnetID uint32) ([]*lease.Lease4, error)
	// GetLeases4Page returns up to limit leases with addresses strictly
	// greater than after, in ascending address order.
	GetLeases4Page(ctx context.Context, after netip.Addr, limit int) ([]*lease.Lease4, error)
	// GetExpiredLeases4 returns up to limit leases (0 = no limit) whose
	// expire time is before now and whose state is not expired-reclaimed,
	// oldest expiration first.
	GetExpiredLeases4(ctx context.Context, now int64, limit int) ([]*lease.Lease4, error)

	// WipeLeases4 removes every lease of the subnet and returns how many.
	WipeLeases4(ctx context.Context, subnetID uint32) (int, error)
	// DeleteExpiredReclaimedLeases4 removes reclaimed leases that expired
	// before olderThan and returns how many.
	DeleteExpiredReclaimedLeases4(ctx context.Context, olderThan int64) (int, error)
	// CountLeases4 returns lease counts by subnet and state.
	CountLeases4(ctx context.Context) ([]StateCount, error)
}

// Store6 holds IPv6 leases, with the same conventions as Store4. An
// address is unique across lease types.
type Store6 interface {
	AddLease6(ctx context.Context, l *lease.Lease6) error
	UpdateLease6(ctx context.Context, l *lease.Lease6) error
	DeleteLease6(ctx context.Context, l *lease.Lease6) error

	// GetLease6 returns the lease of this type and address (nil if the
	// address holds a lease of another type).
	GetLease6(ctx context.Context, typ lease.Type, addr netip.Addr) (*lease.Lease6, error)
	// GetLeases6ByIAID returns the leases of this type, DUID, IAID and subnet.
	GetLeases6ByIAID(ctx context.Context, typ lease.Type, duid []byte, iaid uint32, subnetID uint32) ([]*lease.Lease6, error)
	GetLeases6ByDUID(ctx context.Context, duid []byte) ([]*lease.Lease6, error)
	GetLeases6ByHostname(ctx context.Context, hostname string) ([]*lease.Lease6, error)
	GetLeases6BySubnet(ctx context.Context, subnetID uint32) ([]*lease.Lease6, error)
	GetLeases6Page(ctx context.Context, after netip.Addr, limit int) ([]*lease.Lease6, error)
	GetExpiredLeases6(ctx context.Context, now int64, limit int) ([]*lease.Lease6, error)

	WipeLeases6(ctx context.Context, subnetID uint32) (int, error)
	DeleteExpiredReclaimedLeases6(ctx context.Context, olderThan int64) (int, error)
	CountLeases6(ctx context.Context) ([]StateCount, error)
}

// Store is an open lease database holding one or both families. A backend
// for one family only returns nil from the other accessor.
type Store interface {
	V4() Store4
	V6() Store6
	// Describe names the store for logs and status-get ("memfile /var/lib/kea/...").
	Describe() string
	Close() error
}
