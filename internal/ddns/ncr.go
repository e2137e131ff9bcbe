package ddns

import (
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/lessor-dhcp/lessor/lease"
)

// ChangeType says whether a request adds or removes DNS data; the values
// are Kea's wire values.
type ChangeType int

// The change types.
const (
	ChangeAdd    ChangeType = 0
	ChangeRemove ChangeType = 1
)

// String returns "add" or "remove", as Kea's log messages name the change.
func (c ChangeType) String() string {
	if c == ChangeAdd {
		return "add"
	}
	return "remove"
}

// NCR is one NameChangeRequest, as kea-dhcp-ddns receives it.
type NCR struct {
	Change  ChangeType
	Forward bool // update the A/AAAA record
	Reverse bool // update the PTR record
	// FQDN is the name as Kea normalizes it: parsed as a DNS name and
	// written back with a trailing dot; its case is kept.
	FQDN      string
	IPAddress netip.Addr
	// DHCID is the DHCID RDATA (RFC 4701), sent as upper-case hex.
	DHCID []byte
	// LeaseExpiresOn is a time in seconds since the epoch (Kea: the
	// lease's cltt plus LeaseLength), sent as "YYYYMMDDHHMMSS" UTC.
	LeaseExpiresOn uint64
	// LeaseLength is the DNS TTL Kea derives from the valid lifetime.
	LeaseLength           uint32
	UseConflictResolution bool
}

// ErrNotNeeded: the lease calls for no DNS update (Kea's conditions: a
// hostname and at least one of fqdn-fwd / fqdn-rev; for IPv6, a non-PD
// lease with a DUID). Kea skips such leases silently.
var ErrNotNeeded = errors.New("lease needs no DNS update")

// Needed reports Kea's condition for generating a request from a lease:
// the hostname is not empty and at least one direction is to be updated.
// (Whether updates are enabled at all is the Sender's Enabled.)
func Needed(hostname string, fwd, rev bool) bool {
	return hostname != "" && (fwd || rev)
}

// TTL is the DNS TTL Kea 2.2 gives a lease's records (RFC 4702 section
// 5): a third of the valid lifetime, at least 600 seconds.
func TTL(validLft uint32) uint32 {
	if validLft < 1800 {
		return 600
	}
	return validLft / 3
}

// NewNCR4 builds the request Kea's queueNCR builds for an IPv4 lease: the
// DHCID comes from the client-id when the lease has one, else from the
// hardware address with its type. It returns ErrNotNeeded when Kea would
// send nothing, a *NameError or *DHCIDError (Kea's texts) when Kea would
// log a failure instead.
func NewNCR4(l *lease.Lease4, change ChangeType, p Params) (*NCR, error) {
	if !Needed(l.Hostname, l.FqdnFwd, l.FqdnRev) {
		return nil, ErrNotNeeded
	}
	wire, err := FQDNWire(l.Hostname)
	if err != nil {
		return nil, err
	}
	var id []byte
	if len(l.ClientID) > 0 {
		id, err = DHCIDFromClientID(l.ClientID, wire)
	} else {
		id, err = DHCIDFromHWAddr(l.HWType, l.HWAddr, wire)
	}
	if err != nil {
		return nil, err
	}
	return newNCR(change, l.FqdnFwd, l.FqdnRev, l.Hostname, l.Addr.Unmap(), id, l.CLTT, l.ValidLft, p)
}

// NewNCR6 builds the request Kea's queueNCR builds for an IPv6 lease (the
// DHCID comes from the DUID). Prefix delegations and leases without a DUID
// give ErrNotNeeded, as Kea skips them.
func NewNCR6(l *lease.Lease6, change ChangeType, p Params) (*NCR, error) {
	if l.Type == lease.TypePD || len(l.DUID) == 0 || !Needed(l.Hostname, l.FqdnFwd, l.FqdnRev) {
		return nil, ErrNotNeeded
	}
	wire, err := FQDNWire(l.Hostname)
	if err != nil {
		return nil, err
	}
	id, err := DHCIDFromDUID(l.DUID, wire)
	if err != nil {
		return nil, err
	}
	return newNCR(change, l.FqdnFwd, l.FqdnRev, l.Hostname, l.Addr, id, l.CLTT, l.ValidLft, p)
}

func newNCR(change ChangeType, fwd, rev bool, hostname string, addr netip.Addr, id []byte, cltt int64, validLft uint32, p Params) (*NCR, error) {
	fqdn, err := NormalizeFQDN(hostname)
	if err != nil {
		return nil, err
	}
	ttl := TTL(validLft)
	n := &NCR{
		Change:                change,
		Forward:               fwd,
		Reverse:               rev,
		FQDN:                  fqdn,
		IPAddress:             addr,
		DHCID:                 id,
		LeaseExpiresOn:        uint64(cltt + int64(ttl)), // Kea's uint64 conversion of a time_t
		LeaseLength:           ttl,
		UseConflictResolution: p.UseConflictResolution,
	}
	if _, err := FormatTime64(n.LeaseExpiresOn); err != nil {
		return nil, err
	}
	return n, nil
}

// maxTime64 is the first second of year 10000, the end of Kea's time text.
var maxTime64 = uint64(time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC).Unix())

// FormatTime64 writes seconds since the epoch as Kea's timeToText64 does:
// "YYYYMMDDHHMMSS" in UTC. Times from year 10000 on are an error.
func FormatTime64(t uint64) (string, error) {
	if t >= maxTime64 {
		year := 10000
		// Kea reports the first year past 9999 it reaches.
		return "", fmt.Errorf("Time value out of range (year > 9999): %d", year)
	}
	return time.Unix(int64(t), 0).UTC().Format("20060102150405"), nil
}

// ParseTime64 reads Kea's "YYYYMMDDHHMMSS" UTC text.
func ParseTime64(s string) (uint64, error) {
	if len(s) != 14 {
		return 0, fmt.Errorf("Invalid date-time string: [%s]", s)
	}
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return 0, fmt.Errorf("Invalid date-time string: [%s]", s)
		}
	}
	t, err := time.Parse("20060102150405", s)
	if err != nil || t.Unix() < 0 {
		return 0, fmt.Errorf("Invalid date-time string: [%s]", s)
	}
	return uint64(t.Unix()), nil
}

// JSON returns the request's JSON text, byte for byte as Kea's
// NameChangeRequest::toJSON writes it: fixed key order, no spaces, the
// FQDN written as is.
func (n *NCR) JSON() []byte {
	exp, err := FormatTime64(n.LeaseExpiresOn)
	if err != nil {
		exp = ""
	}
	b := make([]byte, 0, 320)
	b = append(b, `{"change-type":`...)
	b = strconv.AppendInt(b, int64(n.Change), 10)
	b = append(b, `,"forward-change":`...)
	b = strconv.AppendBool(b, n.Forward)
	b = append(b, `,"reverse-change":`...)
	b = strconv.AppendBool(b, n.Reverse)
	b = append(b, `,"fqdn":"`...)
	b = append(b, n.FQDN...)
	b = append(b, `","ip-address":"`...)
	b = append(b, n.IPAddress.String()...)
	b = append(b, `","dhcid":"`...)
	b = append(b, strings.ToUpper(hex.EncodeToString(n.DHCID))...)
	b = append(b, `","lease-expires-on":"`...)
	b = append(b, exp...)
	b = append(b, `","lease-length":`...)
	b = strconv.AppendUint(b, uint64(n.LeaseLength), 10)
	b = append(b, `,"use-conflict-resolution":`...)
	b = strconv.AppendBool(b, n.UseConflictResolution)
	b = append(b, '}')
	return b
}

// Wire returns the request as one UDP datagram to kea-dhcp-ddns: the JSON
// text preceded by its length as a 2-octet big-endian integer.
func (n *NCR) Wire() []byte {
	j := n.JSON()
	out := make([]byte, 2, 2+len(j))
	binary.BigEndian.PutUint16(out, uint16(len(j)))
	return append(out, j...)
}

// String is a one-line summary for logs.
func (n *NCR) String() string {
	return fmt.Sprintf("%s %s %s fwd=%t rev=%t", n.Change, n.FQDN, n.IPAddress, n.Forward, n.Reverse)
}
