package ddns

import (
	"crypto/sha256"
	"fmt"
)

// DHCID identifier types (RFC 4701 section 3.3).
const (
	dhcidHWAddr   = 0
	dhcidClientID = 1
	dhcidDUID     = 2
)

// dhcidDigestSHA256 is the only digest type RFC 4701 defines.
const dhcidDigestSHA256 = 1

// DHCIDError is an identifier from which no DHCID can be computed; its text
// is Kea's.
type DHCIDError struct{ Msg string }

func (e *DHCIDError) Error() string { return e.Msg }

// dhcid computes DHCID RDATA (RFC 4701): the 2-octet identifier type, the
// digest type (1, SHA-256), then SHA-256 over the identifier followed by
// the FQDN in wire form.
func dhcid(idType byte, id, wireFQDN []byte) ([]byte, error) {
	if len(wireFQDN) == 0 {
		return nil, &DHCIDError{"empty FQDN used to create DHCID"}
	}
	if len(id) == 0 {
		return nil, &DHCIDError{"empty DUID used to create DHCID"}
	}
	h := sha256.New()
	h.Write(id)
	h.Write(wireFQDN)
	out := make([]byte, 3, 3+sha256.Size)
	out[1] = idType
	out[2] = dhcidDigestSHA256
	return h.Sum(out), nil
}

// DHCIDFromHWAddr computes the DHCID of a DHCPv4 client known by its
// hardware address: identifier type 0 over the hardware type octet
// followed by the address.
func DHCIDFromHWAddr(htype uint16, hw, wireFQDN []byte) ([]byte, error) {
	if len(hw) == 0 {
		return nil, &DHCIDError{"unable to compute DHCID from the HW address, HW address is empty"}
	}
	id := make([]byte, 0, 1+len(hw))
	id = append(id, byte(htype)) // Kea keeps the low octet, as RFC 2131's htype is one octet
	id = append(id, hw...)
	return dhcid(dhcidHWAddr, id, wireFQDN)
}

// DHCIDFromClientID computes the DHCID of a DHCPv4 client known by its
// client identifier: identifier type 1 over the whole client-id, except
// for an RFC 4361 client-id (type 255, IAID, DUID), whose embedded DUID is
// used with identifier type 2.
func DHCIDFromClientID(clientID, wireFQDN []byte) ([]byte, error) {
	if len(clientID) > 0 && clientID[0] == 255 {
		if len(clientID) <= 5 {
			return nil, &DHCIDError{fmt.Sprintf("unable to compute DHCID from client identifier, embedded DUID length of: %d, is too short", len(clientID))}
		}
		if len(clientID) > 135 {
			return nil, &DHCIDError{fmt.Sprintf("unable to compute DHCID from client identifier, embedded DUID length of: %d, is too long", len(clientID))}
		}
		return dhcid(dhcidDUID, clientID[5:], wireFQDN)
	}
	return dhcid(dhcidClientID, clientID, wireFQDN)
}

// DHCIDFromDUID computes the DHCID of a DHCPv6 client: identifier type 2
// over its DUID.
func DHCIDFromDUID(duid, wireFQDN []byte) ([]byte, error) {
	return dhcid(dhcidDUID, duid, wireFQDN)
}

// FQDNWire returns a host name in the wire form Kea hashes into a DHCID:
// lower-cased, fully qualified.
func FQDNWire(name string) ([]byte, error) {
	return nameToWire(name, true)
}
