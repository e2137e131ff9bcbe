package lease

import (
	"errors"
	"fmt"
	"strings"
)

// MaxHWAddrLen is the longest hardware address Kea accepts.
const MaxHWAddrLen = 20

// MaxDUIDLen is the longest DUID (and client identifier) Kea accepts.
const MaxDUIDLen = 128

func isHex(c byte) bool {
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')
}

func hexNibble(c byte) byte {
	switch {
	case c >= '0' && c <= '9':
		return c - '0'
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10
	}
	return c - 'A' + 10
}

// decodeSeparated decodes "1a:b:0c" style text: groups of one or two hex
// digits split by sep, as Kea's decodeSeparatedHexString.
func decodeSeparated(text string, sep byte) ([]byte, error) {
	parts := strings.Split(text, string(sep))
	out := make([]byte, 0, len(parts))
	for _, p := range parts {
		switch {
		case len(parts) > 1 && p == "":
			return nil, fmt.Errorf("two consecutive separators ('%c') specified in a decoded string '%s'", sep, text)
		case len(p) > 2:
			return nil, fmt.Errorf("invalid format of the decoded string '%s'", text)
		case p != "":
			var v byte
			for i := 0; i < len(p); i++ {
				if !isHex(p[i]) {
					return nil, fmt.Errorf("'%c' is not a valid hexadecimal digit in decoded string '%s'", p[i], text)
				}
				v = v<<4 | hexNibble(p[i])
			}
			out = append(out, v)
		}
	}
	return out, nil
}

// decodeFormatted decodes an identifier in any of Kea's forms: colon or
// space separated groups, or a plain hex string with an optional "0x".
func decodeFormatted(text string) ([]byte, error) {
	if strings.IndexByte(text, ':') >= 0 {
		return decodeSeparated(text, ':')
	}
	if strings.IndexByte(text, ' ') >= 0 {
		return decodeSeparated(text, ' ')
	}
	s := text
	prefix := ""
	if len(text)%2 != 0 {
		prefix = "0"
	}
	if len(text) > 2 && text[:2] == "0x" {
		s = text[2:]
	}
	s = prefix + s
	if len(s)%2 != 0 {
		return nil, fmt.Errorf("'%s' is not a valid string of hexadecimal digits", text)
	}
	out := make([]byte, len(s)/2)
	for i := 0; i < len(s); i += 2 {
		if !isHex(s[i]) || !isHex(s[i+1]) {
			return nil, fmt.Errorf("'%s' is not a valid string of hexadecimal digits", text)
		}
		out[i/2] = hexNibble(s[i])<<4 | hexNibble(s[i+1])
	}
	return out, nil
}

// ParseHWAddr parses a hardware address as Kea's HWAddr::fromText does
// (colon-separated hex; "" is an empty address).
func ParseHWAddr(text string) ([]byte, error) {
	b, err := decodeSeparated(text, ':')
	if err != nil {
		return nil, err
	}
	if len(b) > MaxHWAddrLen {
		return nil, errors.New("address vector size exceeds MAX_HWADDR_LEN")
	}
	return b, nil
}

// ParseDUID parses a DUID as Kea's DUID::fromText does.
func ParseDUID(text string) ([]byte, error) {
	b, err := decodeFormatted(text)
	if err != nil {
		return nil, err
	}
	if len(b) > MaxDUIDLen {
		return nil, fmt.Errorf("DUID size is %d bytes, exceeds maximum of %d", len(b), MaxDUIDLen)
	}
	if len(b) == 0 {
		return nil, errors.New("Empty DUIDs are not allowed")
	}
	return b, nil
}

// ParseClientID parses a client identifier as Kea's ClientId::fromText does.
func ParseClientID(text string) ([]byte, error) {
	b, err := ParseDUID(text)
	if err != nil {
		return nil, err
	}
	if len(b) < 2 {
		return nil, fmt.Errorf("client-id is too short (%d), at least 2 is required", len(b))
	}
	return b, nil
}
