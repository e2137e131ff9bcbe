package ddns

import (
	"errors"
	"fmt"
	"strings"
)

// DNS name limits, as RFC 1035 and Kea's dns::Name define them.
const (
	maxWire     = 255 // octets of a name in wire form
	maxLabelLen = 63
)

// NameError is a host name that is not a valid DNS name; its text is
// Kea's dns::Name error text.
type NameError struct{ Msg string }

func (e *NameError) Error() string { return e.Msg }

func nameErr(format string, args ...any) error {
	return &NameError{Msg: fmt.Sprintf(format, args...)}
}

// errNameState marks an internal inconsistency that valid input cannot reach.
var errNameState = errors.New("name parser: impossible state")

// Name parser states, as Kea's (and BIND's) text-to-name parser names them.
const (
	stInit = iota
	stStart
	stOrdinary
	stInitialEscape
	stEscape
	stEscDecimal
)

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func lower(c byte) byte {
	if c >= 'A' && c <= 'Z' {
		return c + ('a' - 'A')
	}
	return c
}

// nameToWire converts a textual DNS name to its uncompressed wire form
// (length-prefixed labels ending with the root label), with Kea's rules:
// "." and "@" are the root, "\X" escapes X, "\DDD" is a decimal octet,
// labels hold at most 63 octets and the name at most 255; a name without a
// trailing dot is taken as absolute all the same. With downcase, A-Z become
// a-z. Errors carry Kea's texts ("duplicate period in a..b").
func nameToWire(s string, downcase bool) ([]byte, error) {
	var (
		data       = make([]byte, 0, 64)
		labelStart = 0 // index of the current label's length octet
		count      = 0 // octets in the current label
		digits     = 0
		value      = 0
		state      = stInit
		done       = false
		i          = 0
	)
	put := func(c byte) {
		if downcase {
			c = lower(c)
		}
		data = append(data, c)
	}
	for len(data) < maxWire && i < len(s) && !done {
		c := s[i]
		i++
		switch state {
		case stInit:
			if c == '.' {
				if i != len(s) {
					return nil, nameErr("non terminating empty label in %s", s)
				}
				data = append(data, 0)
				done = true
				continue
			}
			if c == '@' && i == len(s) {
				data = append(data, 0)
				done = true
				continue
			}
			fallthrough
		case stStart:
			labelStart = len(data)
			data = append(data, 0) // the label length, set when the label ends
			count = 0
			if len(data) >= maxWire {
				return nil, nameErr("name is too long for termination in %s", s)
			}
			if c == '\\' {
				state = stInitialEscape
				continue
			}
			state = stOrdinary
			fallthrough
		case stOrdinary:
			switch c {
			case '.':
				if count == 0 {
					return nil, nameErr("duplicate period in %s", s)
				}
				data[labelStart] = byte(count)
				if i == len(s) {
					data = append(data, 0)
					done = true
				}
				state = stStart
			case '\\':
				state = stEscape
			default:
				count++
				if count > maxLabelLen {
					return nil, nameErr("label is too long in %s", s)
				}
				put(c)
			}
		case stInitialEscape:
			if c == '[' {
				return nil, nameErr("invalid label type in %s", s)
			}
			fallthrough
		case stEscape:
			if !isDigit(c) {
				count++
				if count > maxLabelLen {
					return nil, nameErr("label is too long in %s", s)
				}
				put(c)
				state = stOrdinary
				continue
			}
			digits, value = 0, 0
			state = stEscDecimal
			fallthrough
		case stEscDecimal:
			if !isDigit(c) {
				return nil, nameErr("mixture of escaped digit and non-digit in %s", s)
			}
			value = value*10 + int(c-'0')
			digits++
			if digits == 3 {
				if value > 255 {
					return nil, nameErr("escaped decimal is too large in %s", s)
				}
				count++
				if count > maxLabelLen {
					return nil, nameErr("label is too long in %s", s)
				}
				put(byte(value))
				state = stOrdinary
			}
		default:
			return nil, errNameState
		}
	}
	if !done {
		if len(data) == maxWire {
			return nil, nameErr("name is too long for termination in %s", s)
		}
		if state != stOrdinary {
			text := s
			if s == "" {
				text = "<empty>"
			}
			return nil, nameErr("incomplete textual name in %s", text)
		}
		data[labelStart] = byte(count)
		data = append(data, 0)
	}
	return data, nil
}

// wireToText writes a wire-form name as Kea's dns::Name::toText does:
// labels joined by dots, a final dot, the characters "().;\@$ escaped with
// a backslash, and octets outside 0x21-0x7e written as \DDD.
func wireToText(w []byte) string {
	var b strings.Builder
	for i := 0; i < len(w); {
		n := int(w[i])
		i++
		if n == 0 {
			b.WriteByte('.')
			break
		}
		if b.Len() > 0 {
			b.WriteByte('.')
		}
		for _, c := range w[i : i+n] {
			switch c {
			case '"', '(', ')', '.', ';', '\\', '@', '$':
				b.WriteByte('\\')
				b.WriteByte(c)
			default:
				if c > 0x20 && c < 0x7f {
					b.WriteByte(c)
				} else {
					b.WriteByte('\\')
					b.WriteByte('0' + c/100%10)
					b.WriteByte('0' + c/10%10)
					b.WriteByte('0' + c%10)
				}
			}
		}
		i += n
	}
	return b.String()
}

// NormalizeFQDN returns the name as Kea writes it in a NameChangeRequest:
// parsed as a DNS name and printed back fully qualified with a trailing dot
// (case is kept: "Host.Example" gives "Host.Example.").
func NormalizeFQDN(name string) (string, error) {
	w, err := nameToWire(name, false)
	if err != nil {
		return "", err
	}
	return wireToText(w), nil
}
