// Package lease holds lessor's lease model: IPv4 and IPv6 leases as Kea 2.2
// defines them, their states and types, and their Kea JSON form.
package lease

import (
	"net/netip"

	"github.com/lessor-dhcp/lessor/internal/kjson"
)

// State is a lease's state, numbered as Kea numbers it.
type State uint32

// The lease states Kea defines.
const (
	StateDefault          State = 0
	StateDeclined         State = 1
	StateExpiredReclaimed State = 2
)

// Type is an IPv6 lease type, numbered as Kea's Lease::Type.
type Type uint8

// The IPv6 lease types. (Kea's TYPE_V4 is 3; IPv4 leases have no Type.)
const (
	TypeNA Type = 0
	TypeTA Type = 1
	TypePD Type = 2
)

// String returns Kea's text of the type: "IA_NA", "IA_TA", "IA_PD".
func (t Type) String() string {
	switch t {
	case TypeNA:
		return "IA_NA"
	case TypeTA:
		return "IA_TA"
	case TypePD:
		return "IA_PD"
	}
	return "unknown"
}

// InfiniteLifetime is the valid lifetime Kea treats as infinite.
const InfiniteLifetime = 0xffffffff

// HTypeEther is the hardware type of Ethernet addresses, Kea's default.
const HTypeEther = 1

// Lease4 is an IPv4 lease.
type Lease4 struct {
	Addr        netip.Addr
	HWAddr      []byte // empty when the lease has none
	HWType      uint16 // HTypeEther unless a store says otherwise
	ClientID    []byte // nil when the lease has none
	ValidLft    uint32
	CLTT        int64 // client last transaction time; expire = CLTT + ValidLft
	SubnetID    uint32
	FqdnFwd     bool
	FqdnRev     bool
	Hostname    string
	State       State
	UserContext *kjson.Element // a map, or nil
}

// Expire is the lease's expiration time (CLTT + ValidLft).
func (l *Lease4) Expire() int64 { return l.CLTT + int64(l.ValidLft) }

// Clone returns a deep copy.
func (l *Lease4) Clone() *Lease4 {
	c := *l
	c.HWAddr = cloneBytes(l.HWAddr)
	c.ClientID = cloneBytes(l.ClientID)
	c.UserContext = l.UserContext.Copy()
	return &c
}

// ToElement returns the lease as Kea's Lease4::toElement does.
func (l *Lease4) ToElement() *kjson.Element {
	m := kjson.NewMap()
	if l.UserContext != nil {
		m.Set("user-context", l.UserContext)
	}
	m.Set("ip-address", kjson.NewString(l.Addr.String()))
	m.Set("subnet-id", kjson.NewInt(int64(l.SubnetID)))
	m.Set("hw-address", kjson.NewString(FormatHex(l.HWAddr)))
	if l.ClientID != nil {
		m.Set("client-id", kjson.NewString(FormatHex(l.ClientID)))
	}
	m.Set("cltt", kjson.NewInt(l.CLTT))
	m.Set("valid-lft", kjson.NewInt(int64(l.ValidLft)))
	m.Set("fqdn-fwd", kjson.NewBool(l.FqdnFwd))
	m.Set("fqdn-rev", kjson.NewBool(l.FqdnRev))
	m.Set("hostname", kjson.NewString(l.Hostname))
	m.Set("state", kjson.NewInt(int64(l.State)))
	return m
}

// Lease6 is an IPv6 lease (an address or a delegated prefix).
type Lease6 struct {
	Addr         netip.Addr
	Type         Type
	PrefixLen    uint8 // 128 for addresses
	IAID         uint32
	DUID         []byte
	PreferredLft uint32
	ValidLft     uint32
	CLTT         int64
	SubnetID     uint32
	FqdnFwd      bool
	FqdnRev      bool
	Hostname     string
	HWAddr       []byte // nil when the lease has none
	HWType       uint16
	HWAddrSource uint32
	State        State
	UserContext  *kjson.Element
}

// Expire is the lease's expiration time (CLTT + ValidLft).
func (l *Lease6) Expire() int64 { return l.CLTT + int64(l.ValidLft) }

// Clone returns a deep copy.
func (l *Lease6) Clone() *Lease6 {
	c := *l
	c.DUID = cloneBytes(l.DUID)
	c.HWAddr = cloneBytes(l.HWAddr)
	c.UserContext = l.UserContext.Copy()
	return &c
}

// ToElement returns the lease as Kea's Lease6::toElement does.
func (l *Lease6) ToElement() *kjson.Element {
	m := kjson.NewMap()
	if l.UserContext != nil {
		m.Set("user-context", l.UserContext)
	}
	m.Set("ip-address", kjson.NewString(l.Addr.String()))
	m.Set("type", kjson.NewString(l.Type.String()))
	if l.Type == TypePD {
		m.Set("prefix-len", kjson.NewInt(int64(l.PrefixLen)))
	}
	m.Set("iaid", kjson.NewInt(int64(l.IAID)))
	m.Set("duid", kjson.NewString(FormatHex(l.DUID)))
	m.Set("subnet-id", kjson.NewInt(int64(l.SubnetID)))
	m.Set("cltt", kjson.NewInt(l.CLTT))
	m.Set("preferred-lft", kjson.NewInt(int64(l.PreferredLft)))
	m.Set("valid-lft", kjson.NewInt(int64(l.ValidLft)))
	m.Set("fqdn-fwd", kjson.NewBool(l.FqdnFwd))
	m.Set("fqdn-rev", kjson.NewBool(l.FqdnRev))
	m.Set("hostname", kjson.NewString(l.Hostname))
	if l.HWAddr != nil {
		m.Set("hw-address", kjson.NewString(FormatHex(l.HWAddr)))
	}
	m.Set("state", kjson.NewInt(int64(l.State)))
	return m
}

func cloneBytes(b []byte) []byte {
	if b == nil {
		return nil
	}
	return append([]byte{}, b...)
}

// FormatHex formats bytes as Kea prints identifiers: lower-case hex pairs
// separated by colons ("1a:1b:1c"); empty input gives "".
func FormatHex(b []byte) string {
	const digits = "0123456789abcdef"
	if len(b) == 0 {
		return ""
	}
	out := make([]byte, 0, len(b)*3-1)
	for i, v := range b {
		if i > 0 {
			out = append(out, ':')
		}
		out = append(out, digits[v>>4], digits[v&15])
	}
	return string(out)
}
