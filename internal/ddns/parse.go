package ddns

import (
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"math"
	"net/netip"

	"github.com/lessor-dhcp/lessor/internal/kjson"
)

// ParseError is a request kea-dhcp-ddns would reject; its text follows
// Kea's NameChangeRequest::fromJSON.
type ParseError struct{ Msg string }

func (e *ParseError) Error() string { return e.Msg }

func parseErr(format string, args ...any) error {
	return &ParseError{Msg: fmt.Sprintf(format, args...)}
}

// typeErr is Kea's TypeError text: "<what> in (<position>)".
func typeErr(e *kjson.Element, what string) string {
	return what + " in (" + e.Pos.String() + ")"
}

// ParseDatagram reads one UDP datagram as kea-dhcp-ddns does: a 2-octet
// big-endian length, then that many octets of JSON (octets beyond are
// ignored).
func ParseDatagram(b []byte) (*NCR, error) {
	if len(b) < 2 {
		return nil, parseErr("fromFormat: buffer read error: read beyond end of buffer")
	}
	n := int(binary.BigEndian.Uint16(b))
	if len(b)-2 < n {
		return nil, parseErr("fromFormat: buffer read error: read beyond end of buffer")
	}
	return ParseJSON(b[2 : 2+n])
}

// ParseJSON reads a request's JSON text with kea-dhcp-ddns's rules: every
// member but use-conflict-resolution (default true) is required, values
// are checked for type and content, and at least one direction must be
// set.
func ParseJSON(text []byte) (*NCR, error) {
	root, err := kjson.ParseString(text)
	if err != nil {
		return nil, parseErr("Malformed NameChangeRequest JSON: %v", err)
	}
	if root.Kind != kjson.Map {
		return nil, parseErr("%s", typeErr(root, "mapValue() called on non-map Element"))
	}
	get := func(name string) (*kjson.Element, error) {
		e := root.Get(name)
		if e == nil {
			return nil, parseErr("NameChangeRequest value missing for: %s", name)
		}
		return e, nil
	}
	getBool := func(name, label string) (bool, error) {
		e, err := get(name)
		if err != nil {
			return false, err
		}
		if e.Kind != kjson.Bool {
			return false, parseErr("Wrong data type for %s: %s", label, typeErr(e, "boolValue() called on non-Bool Element"))
		}
		return e.B, nil
	}
	getString := func(name string) (string, error) {
		e, err := get(name)
		if err != nil {
			return "", err
		}
		if e.Kind != kjson.String {
			return "", parseErr("%s", typeErr(e, "stringValue() called on non-string Element"))
		}
		return e.S, nil
	}
	n := &NCR{}

	e, err := get("change-type")
	if err != nil {
		return nil, err
	}
	if e.Kind != kjson.Int {
		return nil, parseErr("Wrong data type for change_type: %s", typeErr(e, "intValue() called on non-integer Element"))
	}
	if e.I != int64(ChangeAdd) && e.I != int64(ChangeRemove) {
		return nil, parseErr("Invalid data value for change_type: %d", e.I)
	}
	n.Change = ChangeType(e.I)

	if n.Forward, err = getBool("forward-change", "forward-change"); err != nil {
		return nil, err
	}
	if n.Reverse, err = getBool("reverse-change", "reverse_change"); err != nil {
		return nil, err
	}

	s, err := getString("fqdn")
	if err != nil {
		return nil, err
	}
	if n.FQDN, err = NormalizeFQDN(s); err != nil {
		return nil, parseErr("Invalid FQDN value: %s, reason: %v", s, err)
	}

	if s, err = getString("ip-address"); err != nil {
		return nil, err
	}
	addr, perr := netip.ParseAddr(s)
	if perr != nil || addr.Zone() != "" {
		return nil, parseErr("Invalid ip address string for ip_address: %s", s)
	}
	n.IPAddress = addr

	if s, err = getString("dhcid"); err != nil {
		return nil, err
	}
	if len(s)%2 != 0 {
		s = "0" + s // Kea's hex decoder reads an odd leading digit as one octet
	}
	if n.DHCID, perr = hex.DecodeString(s); perr != nil {
		return nil, parseErr("Invalid data in Dhcid: %v", perr)
	}

	if s, err = getString("lease-expires-on"); err != nil {
		return nil, err
	}
	if n.LeaseExpiresOn, err = ParseTime64(s); err != nil {
		return nil, parseErr("%v", err)
	}

	if e, err = get("lease-length"); err != nil {
		return nil, err
	}
	if e.Kind != kjson.Int {
		return nil, parseErr("Wrong data type for lease_length: %s", typeErr(e, "intValue() called on non-integer Element"))
	}
	if e.I > math.MaxUint32 {
		return nil, parseErr("lease_length value %dis too large for unsigned 32-bit integer.", e.I)
	}
	if e.I < 0 {
		return nil, parseErr("lease_length value %dis negative.  It must greater than or equal to zero ", e.I)
	}
	n.LeaseLength = uint32(e.I)

	n.UseConflictResolution = true
	if e = root.Get("use-conflict-resolution"); e != nil {
		if e.Kind != kjson.Bool {
			return nil, parseErr("Wrong data type for use-conflict-resolution: %s", typeErr(e, "boolValue() called on non-Bool Element"))
		}
		n.UseConflictResolution = e.B
	}

	if len(n.DHCID) == 0 {
		return nil, parseErr("DHCID cannot be blank")
	}
	if !n.Forward && !n.Reverse {
		return nil, parseErr("Invalid Request, forward and reverse flags are both false")
	}
	return n, nil
}
