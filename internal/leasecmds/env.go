// Package leasecmds implements Kea 2.2's lease_cmds commands (lease4-add …
// lease6-resend-ddns) on top of lessor's stores, with Kea's argument rules,
// texts and statistics effects.
package leasecmds

import (
	"log/slog"
	"net/netip"
	"time"

	"github.com/lessor-dhcp/lessor/internal/stats"
	"github.com/lessor-dhcp/lessor/lease"
	"github.com/lessor-dhcp/lessor/store"
)

// Subnet is what the lease commands need of a configured subnet.
type Subnet struct {
	ID        uint32
	Prefix    netip.Prefix
	Valid     uint32 // default valid lifetime
	Preferred uint32 // default preferred lifetime (IPv6)
	// UseConflictResolution is ddns-use-conflict-resolution for the subnet.
	UseConflictResolution bool
}

// Contains is Kea's Subnet::inRange.
func (s *Subnet) Contains(a netip.Addr) bool { return s.Prefix.Contains(a) }

// String is Kea's Subnet::toText ("192.0.2.0/24").
func (s *Subnet) String() string { return s.Prefix.String() }

// Subnets is one family's subnet configuration.
type Subnets interface {
	ByID(id uint32) *Subnet
	// Select returns the first subnet, in configuration order, holding addr.
	Select(addr netip.Addr) *Subnet
	// All returns the subnets in configuration order.
	All() []*Subnet
}

// DNS queues NameChangeRequests to kea-dhcp-ddns.
type DNS interface {
	// Enabled is dhcp-ddns "enable-updates".
	Enabled() bool
	// Queue4 queues an add (add = true) or remove request for the lease,
	// if the lease qualifies (hostname, fqdn flags); it never blocks.
	Queue4(l *lease.Lease4, add bool)
	Queue6(l *lease.Lease6, add bool)
}

// Config is the configuration in force, replaced as a whole on reload.
type Config struct {
	Subnets4 Subnets
	Subnets6 Subnets
	DNS      DNS
}

// Env is what the lease commands act on. A server of one family still
// answers the other family's commands, as Kea does: against an empty
// subnet list and a store of its own.
type Env struct {
	Store4 store.Store4
	Store6 store.Store6
	Config func() *Config
	Stats  *stats.Registry
	Now    func() time.Time
	Log    *slog.Logger
}

func (e *Env) now() int64 {
	if e.Now != nil {
		return e.Now().Unix()
	}
	return time.Now().Unix()
}

// StaticSubnets is a Subnets over a slice.
type StaticSubnets []*Subnet

// ByID implements Subnets.
func (s StaticSubnets) ByID(id uint32) *Subnet {
	for _, sn := range s {
		if sn.ID == id {
			return sn
		}
	}
	return nil
}

// Select implements Subnets.
func (s StaticSubnets) Select(a netip.Addr) *Subnet {
	for _, sn := range s {
		if sn.Contains(a) {
			return sn
		}
	}
	return nil
}

// All implements Subnets.
func (s StaticSubnets) All() []*Subnet { return s }

// NoDNS is the DNS of a server without dhcp-ddns updates.
type NoDNS struct{}

// Enabled implements DNS.
func (NoDNS) Enabled() bool { return false }

// Queue4 implements DNS.
func (NoDNS) Queue4(*lease.Lease4, bool) {}

// Queue6 implements DNS.
func (NoDNS) Queue6(*lease.Lease6, bool) {}
