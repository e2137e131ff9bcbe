package config

import (
	"encoding/binary"
	"net/netip"
	"sort"
	"strconv"
	"strings"
)

// stdEncapsulated lists the standard options that encapsulate an option
// space: space, code, encapsulated space.
var stdEncapsulated = []struct {
	space string
	code  int
	encap string
}{
	{"dhcp4", 82, "dhcp-agent-options-space"},
	{"dhcp4", 43, "vendor-encapsulated-options-space"},
	{"dhcp6", 44, "dhcp6"},
	{"dhcp6", 45, "dhcp6"},
	{"dhcp6", 66, "rsoo-opts"},
	{"dhcp6", 94, "s46-cont-mape-options"},
	{"dhcp6", 95, "s46-cont-mapt-options"},
	{"dhcp6", 96, "s46-cont-lw-options"},
	{"s46-cont-mape-options", 89, "s46-rule-options"},
	{"s46-cont-mapt-options", 89, "s46-rule-options"},
	{"s46-cont-lw-options", 92, "s46-v4v6bind-options"},
}

// encapsulatedSpace returns the option space the option of space and
// code encapsulates ("" if none).
func (d *optionDefs) encapsulatedSpace(space string, code int) string {
	for _, e := range stdEncapsulated {
		if e.space == space && e.code == code {
			return e.encap
		}
	}
	if od := d.runtime(space, code); od != nil {
		return od.encapsulate
	}
	return ""
}

// runtime returns the configured definition of space and code, or nil.
func (d *optionDefs) runtime(space string, code int) *optionDef {
	if d == nil {
		return nil
	}
	for i := range d.list {
		if d.list[i].space == space && d.list[i].code == code {
			return &d.list[i]
		}
	}
	return nil
}

// wireOption is one option of a scope, as Kea holds it for encoding.
type wireOption struct {
	space string
	code  int
	data  []byte // the option's own data, without sub-options
	ok    bool   // data could be encoded
}

// encodeWithSubs returns an option's wire data with the sub-options Kea
// adds to it (CfgOption::encapsulate): the options of the space it
// encapsulates from the same scope, by code, recursively (one level only
// when the encapsulated space is dhcp4 or dhcp6). ok is false when some
// data cannot be encoded.
func (s *Server) encodeWithSubs(o wireOption, scope []wireOption, defs *optionDefs, depth int) ([]byte, bool) {
	if !o.ok || depth > 8 {
		return nil, false
	}
	out := append([]byte(nil), o.data...)
	encap := defs.encapsulatedSpace(o.space, o.code)
	if encap == "" {
		return out, true
	}
	var subs []wireOption
	seen := map[int]bool{}
	for _, so := range scope {
		if so.space == encap && !seen[so.code] {
			seen[so.code] = true
			subs = append(subs, so)
		}
	}
	sort.SliceStable(subs, func(i, j int) bool { return subs[i].code < subs[j].code })
	for _, so := range subs {
		var body []byte
		if encap == "dhcp4" || encap == "dhcp6" {
			if !so.ok {
				return nil, false
			}
			body = so.data
		} else {
			b, ok := s.encodeWithSubs(so, scope, defs, depth+1)
			if !ok {
				return nil, false
			}
			body = b
		}
		if s.Family == 4 {
			if len(body) > 255 {
				return nil, false
			}
			out = append(out, byte(so.code), byte(len(body)))
		} else {
			out = binary.BigEndian.AppendUint16(out, uint16(so.code))
			out = binary.BigEndian.AppendUint16(out, uint16(len(body)))
		}
		out = append(out, body...)
	}
	return out, true
}

// csvTokens splits option data as Kea does: on commas, a backslash
// escaping the next character, empty tokens dropped.
func csvTokens(text string) []string {
	var out []string
	var tok strings.Builder
	inTok, escaped := false, false
	for i := 0; i < len(text); i++ {
		c := text[i]
		switch {
		case c == ',':
			if !inTok {
				continue
			}
			if escaped {
				escaped = false
				tok.WriteByte(c)
				continue
			}
			if tok.Len() > 0 {
				out = append(out, tok.String())
			}
			inTok = false
			tok.Reset()
		case c == '\\':
			inTok = true
			if escaped {
				escaped = false
				tok.WriteByte(c)
			} else {
				escaped = true
			}
		default:
			inTok = true
			if escaped {
				escaped = false
				tok.WriteByte('\\')
			}
			tok.WriteByte(c)
		}
	}
	if escaped {
		tok.WriteByte('\\')
	}
	if tok.Len() > 0 {
		out = append(out, tok.String())
	}
	return out
}

// encodeCSV encodes option data given as comma separated values with a
// configured definition (types lessor knows how to encode only).
func encodeCSV(od *optionDef, fam int, data string) ([]byte, bool) {
	tokens := csvTokens(data)
	for i := range tokens {
		tokens[i] = strings.TrimSpace(tokens[i])
	}
	if od.typ == "empty" {
		return []byte{}, true
	}
	if od.typ == "record" {
		var fields []string
		for _, f := range strings.Split(od.recordTypes, ",") {
			fields = append(fields, strings.TrimSpace(f))
		}
		if len(tokens) < len(fields) || (!od.array && len(tokens) > len(fields)) {
			return nil, false
		}
		var out []byte
		for i, tok := range tokens {
			typ := fields[len(fields)-1]
			if i < len(fields) {
				typ = fields[i]
			}
			b, ok := encodeValue(typ, fam, tok)
			if !ok {
				return nil, false
			}
			out = append(out, b...)
		}
		return out, true
	}
	if len(tokens) == 0 {
		return nil, false
	}
	if !od.array {
		tokens = tokens[:1]
	}
	var out []byte
	for _, tok := range tokens {
		b, ok := encodeValue(od.typ, fam, tok)
		if !ok {
			return nil, false
		}
		out = append(out, b...)
	}
	return out, true
}

// encodeValue encodes one value of an option data type.
func encodeValue(typ string, fam int, v string) ([]byte, bool) {
	intOf := func(bits int, signed bool) ([]byte, bool) {
		var n int64
		var err error
		if signed {
			n, err = strconv.ParseInt(v, 0, bits)
		} else {
			var u uint64
			u, err = strconv.ParseUint(v, 0, bits)
			n = int64(u)
		}
		if err != nil {
			return nil, false
		}
		b := make([]byte, 8)
		binary.BigEndian.PutUint64(b, uint64(n))
		return b[8-bits/8:], true
	}
	switch typ {
	case "binary":
		return decodeHex(v)
	case "boolean":
		switch v {
		case "true", "1":
			return []byte{1}, true
		case "false", "0":
			return []byte{0}, true
		}
		return nil, false
	case "int8":
		return intOf(8, true)
	case "int16":
		return intOf(16, true)
	case "int32":
		return intOf(32, true)
	case "uint8":
		return intOf(8, false)
	case "uint16":
		return intOf(16, false)
	case "uint32":
		return intOf(32, false)
	case "ipv4-address":
		a, err := netip.ParseAddr(v)
		if err != nil || !a.Is4() {
			return nil, false
		}
		b := a.As4()
		return b[:], true
	case "ipv6-address":
		a, err := netip.ParseAddr(v)
		if err != nil || !a.Is6() || a.Zone() != "" {
			return nil, false
		}
		b := a.As16()
		return b[:], true
	case "string":
		return []byte(v), true
	}
	return nil, false
}
