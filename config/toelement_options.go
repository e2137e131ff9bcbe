package config

import (
	"bytes"
	"encoding/hex"
	"net/netip"
	"sort"
	"strconv"
	"strings"

	"github.com/lessor-dhcp/lessor/internal/kjson"
)

// optionDef is one option-def entry.
type optionDef struct {
	space, name, typ, encapsulate, recordTypes string
	code                                       int
	array                                      bool
	userContext                                *kjson.Element
}

// optionDefs holds the configured option definitions (in configuration
// order) and answers name and code look-ups as Kea does: standard
// definitions first, then the configured ones.
type optionDefs struct {
	family int
	list   []optionDef
}

func optionDefsOf(fam int, raw *kjson.Element) *optionDefs {
	d := &optionDefs{family: fam}
	if raw == nil {
		return d
	}
	space := "dhcp4"
	if fam == 6 {
		space = "dhcp6"
	}
	for _, e := range raw.L {
		od := optionDef{space: space, name: str(e, "name"), typ: str(e, "type"),
			encapsulate: str(e, "encapsulate"), userContext: e.Get("user-context")}
		if v := e.Get("space"); v != nil {
			od.space = v.S
		}
		if v := e.Get("code"); v != nil {
			od.code = int(v.I)
		}
		if v := e.Get("array"); v != nil {
			od.array = v.B
		}
		if rt := str(e, "record-types"); strings.TrimSpace(rt) != "" {
			var parts []string
			for _, f := range strings.Split(rt, ",") {
				if f = strings.TrimSpace(f); f != "" {
					parts = append(parts, f)
				}
			}
			od.recordTypes = strings.Join(parts, ", ")
		}
		d.list = append(d.list, od)
	}
	return d
}

// spaceOrder sorts option spaces as Kea lists them: named spaces in
// order, then the vendor spaces ("vendor-N") by number.
func spaceOrder(spaces []string) {
	vendor := func(s string) (uint64, bool) {
		if !strings.HasPrefix(s, "vendor-") {
			return 0, false
		}
		n, err := strconv.ParseUint(s[len("vendor-"):], 10, 32)
		return n, err == nil
	}
	sort.SliceStable(spaces, func(i, j int) bool {
		vi, iv := vendor(spaces[i])
		vj, jv := vendor(spaces[j])
		switch {
		case iv && jv:
			return vi < vj
		case iv != jv:
			return jv
		}
		return spaces[i] < spaces[j]
	})
}

func (d *optionDefs) element() *kjson.Element {
	l := kjson.NewList()
	if d == nil {
		return l
	}
	var spaces []string
	seen := map[string]bool{}
	for _, od := range d.list {
		if !seen[od.space] {
			seen[od.space] = true
			spaces = append(spaces, od.space)
		}
	}
	sort.Strings(spaces)
	for _, sp := range spaces {
		for _, od := range d.list {
			if od.space != sp {
				continue
			}
			m := kjson.NewMap()
			if od.userContext != nil {
				m.Set("user-context", od.userContext.Copy())
			}
			m.Set("space", kjson.NewString(od.space))
			m.Set("name", kjson.NewString(od.name))
			m.Set("code", kjson.NewInt(int64(od.code)))
			m.Set("type", kjson.NewString(od.typ))
			m.Set("array", kjson.NewBool(od.array))
			m.Set("encapsulate", kjson.NewString(od.encapsulate))
			m.Set("record-types", kjson.NewString(od.recordTypes))
			l.Add(m)
		}
	}
	return l
}

// docsisOptions are Kea's DOCSIS 3.0 definitions of the vendor-4491
// space, by family: code to name.
var docsisOptions = map[int]map[int]string{
	4: {1: "oro", 2: "tftp-servers"},
	6: {1: "oro", 2: "device-type", 10: "vendor-type", 32: "tftp-servers", 33: "config-file",
		34: "syslog-servers", 36: "device-id", 37: "time-servers", 38: "time-offset", 1026: "cmts-cm-mac"},
}

// nameOf returns the name of the option definition of space and code.
func (d *optionDefs) nameOf(space string, code int) (string, bool) {
	if d != nil && space == "vendor-4491" {
		if n, ok := docsisOptions[d.family][code]; ok {
			return n, true
		}
	}
	for _, o := range stdOptions {
		if o.space == space && o.code == code {
			return o.name, true
		}
	}
	if d != nil {
		for _, od := range d.list {
			if od.space == space && od.code == code {
				return od.name, true
			}
		}
	}
	return "", false
}

// codeOf returns the code of the option definition of space and name.
func (d *optionDefs) codeOf(space, name string) (int, bool) {
	if d != nil && space == "vendor-4491" {
		for c, n := range docsisOptions[d.family] {
			if n == name {
				return c, true
			}
		}
	}
	for _, o := range stdOptions {
		if o.space == space && o.name == name {
			return o.code, true
		}
	}
	if d != nil {
		for _, od := range d.list {
			if od.space == space && od.name == name {
				return od.code, true
			}
		}
	}
	return 0, false
}

// optionsElement is Kea's CfgOption toElement for an option-data list.
func (s *Server) optionsElement(raw *kjson.Element, defs *optionDefs) *kjson.Element {
	return s.optionsElementWith(raw, defs, defs)
}

// optionsElementWith is optionsElement for options parsed with the
// definitions parseDefs (a client class's own included) but named with
// nameDefs (the standard and global ones only), as Kea does.
func (s *Server) optionsElementWith(raw *kjson.Element, parseDefs, nameDefs *optionDefs) *kjson.Element {
	l := kjson.NewList()
	if raw == nil {
		return l
	}
	defSpace := "dhcp4"
	if s.Family == 6 {
		defSpace = "dhcp6"
	}
	type opt struct {
		space string
		elt   *kjson.Element
		wire  wireOption
		hex   bool // the data is shown as hexadecimal (no formatted value)
	}
	var opts []opt
	for _, o := range raw.L {
		space := defSpace
		if v := o.Get("space"); v != nil {
			space = v.S
		}
		m := kjson.NewMap()
		if uc := o.Get("user-context"); uc != nil {
			m.Set("user-context", uc.Copy())
		}
		m.Set("space", kjson.NewString(space))
		code, hasCode := 0, false
		if v := o.Get("code"); v != nil {
			code, hasCode = int(v.I), true
		}
		hasDef := false
		if hasCode {
			_, hasDef = parseDefs.nameOf(space, code)
		} else if n := o.Get("name"); n != nil {
			code, hasDef = parseDefs.codeOf(space, n.S)
		}
		m.Set("code", kjson.NewInt(int64(code)))
		if name, ok := nameDefs.nameOf(space, code); ok {
			m.Set("name", kjson.NewString(name))
		}
		data := str(o, "data")
		csv := hasDef
		if v := o.Get("csv-format"); v != nil && !v.B {
			csv = false
		}
		w := wireOption{space: space, code: code}
		switch {
		case !csv:
			w.data, w.ok = optionBinary(data)
		case data == "":
			w.data, w.ok = []byte{}, true
		default:
			if od := parseDefs.runtime(space, code); od != nil {
				w.data, w.ok = encodeCSV(od, s.Family, data)
			}
		}
		if csv && data != "" {
			m.Set("csv-format", kjson.NewBool(true))
			m.Set("data", kjson.NewString(data))
		} else {
			m.Set("csv-format", kjson.NewBool(false))
		}
		always := false
		if v := o.Get("always-send"); v != nil {
			always = v.B
		}
		m.Set("always-send", kjson.NewBool(always))
		opts = append(opts, opt{space: space, elt: m, wire: w, hex: !(csv && data != "")})
	}
	// Options shown as hexadecimal show their wire data: for the options
	// of the top-level spaces, with the sub-options Kea adds to them.
	scope := make([]wireOption, len(opts))
	for i, o := range opts {
		scope[i] = o.wire
	}
	for _, o := range opts {
		if !o.hex {
			continue
		}
		bin := o.wire.data
		if o.space == "dhcp4" || o.space == "dhcp6" {
			if b, ok := s.encodeWithSubs(o.wire, scope, parseDefs, 0); ok {
				bin = b
			}
		}
		if bin == nil {
			bin = []byte{}
		}
		o.elt.Set("data", kjson.NewString(strings.ToUpper(hex.EncodeToString(bin))))
	}
	var spaces []string
	seen := map[string]bool{}
	for _, o := range opts {
		if !seen[o.space] {
			seen[o.space] = true
			spaces = append(spaces, o.space)
		}
	}
	spaceOrder(spaces)
	for _, sp := range spaces {
		for _, o := range opts {
			if o.space == sp {
				l.Add(o.elt)
			}
		}
	}
	return l
}

// optionBinary decodes option data given as a quoted string ('text') or
// as hexadecimal digits (optionally "0x"-prefixed, or in groups separated
// by colons or spaces).
func optionBinary(data string) ([]byte, bool) {
	t := strings.TrimSpace(data)
	if len(t) >= 2 && t[0] == '\'' && t[len(t)-1] == '\'' && len(t) > 2 {
		return []byte(t[1 : len(t)-1]), true
	}
	return decodeHex(data)
}

// decodeHex decodes hexadecimal digits as Kea's formatted hex strings:
// "0x0a0b", "0a0b", "a:b", "0a 0b".
func decodeHex(s string) ([]byte, bool) {
	if s == "" {
		return []byte{}, true
	}
	sep := ""
	switch {
	case strings.Contains(s, ":"):
		sep = ":"
	case strings.Contains(s, " "):
		sep = " "
	}
	if sep != "" {
		var out []byte
		for _, g := range strings.Split(s, sep) {
			if len(g) == 0 || len(g) > 2 {
				return nil, false
			}
			if len(g) == 1 {
				g = "0" + g
			}
			b, err := hex.DecodeString(g)
			if err != nil {
				return nil, false
			}
			out = append(out, b...)
		}
		return out, true
	}
	if strings.HasPrefix(s, "0x") || strings.HasPrefix(s, "0X") {
		s = s[2:]
	}
	if len(s)%2 == 1 {
		s = "0" + s
	}
	b, err := hex.DecodeString(s)
	return b, err == nil
}

// Host identifier types in Kea's order (Host::IdentifierType).
var hostIDTypes = []string{"hw-address", "duid", "circuit-id", "client-id", "flex-id"}

type hostEntry struct {
	subnet int64
	id     []byte
	idType int
	elt    *kjson.Element
}

// hostsBySubnet is Kea's CfgHosts toElement: the reservations of every
// subnet (key: subnet id, 0 for the global ones), each list ordered by
// identifier then identifier type.
func (s *Server) hostsBySubnet(raw *kjson.Element, defs *optionDefs) map[int64]*kjson.Element {
	var hosts []hostEntry
	add := func(subnet int64, l *kjson.Element) {
		if l == nil {
			return
		}
		for _, r := range l.L {
			hosts = append(hosts, s.hostElement(subnet, r, defs))
		}
	}
	for _, sub := range s.Subnets {
		add(int64(sub.ID), sub.Raw.Get("reservations"))
	}
	add(0, raw.Get("reservations"))
	sort.SliceStable(hosts, func(i, j int) bool {
		if c := bytes.Compare(hosts[i].id, hosts[j].id); c != 0 {
			return c < 0
		}
		return hosts[i].idType < hosts[j].idType
	})
	out := map[int64]*kjson.Element{}
	for _, h := range hosts {
		if out[h.subnet] == nil {
			out[h.subnet] = kjson.NewList()
		}
		out[h.subnet].Add(h.elt)
	}
	return out
}

func (s *Server) hostElement(subnet int64, r *kjson.Element, defs *optionDefs) hostEntry {
	h := hostEntry{subnet: subnet}
	m := kjson.NewMap()
	if uc := r.Get("user-context"); uc != nil {
		m.Set("user-context", uc.Copy())
	}
	for i, t := range hostIDTypes {
		v := r.Get(t)
		if v == nil {
			continue
		}
		h.idType = i
		b, _ := optionBinary(v.S)
		h.id = b
		switch t {
		case "hw-address", "duid":
			parts := make([]string, len(b))
			for j, c := range b {
				parts[j] = hex.EncodeToString([]byte{c})
			}
			m.Set(t, kjson.NewString(strings.Join(parts, ":")))
		default:
			m.Set(t, kjson.NewString(strings.ToUpper(hex.EncodeToString(b))))
		}
		break
	}
	classes := kjson.NewList()
	seen := map[string]bool{}
	if cl := r.Get("client-classes"); cl != nil {
		for _, c := range cl.L {
			if !seen[c.S] {
				seen[c.S] = true
				classes.Add(kjson.NewString(c.S))
			}
		}
	}
	m.Set("hostname", kjson.NewString(str(r, "hostname")))
	m.Set("client-classes", classes)
	m.Set("option-data", s.optionsElement(r.Get("option-data"), defs))
	if s.Family == 4 {
		if ip := str(r, "ip-address"); ip != "" {
			if a, err := netip.ParseAddr(ip); err == nil && a != netip.IPv4Unspecified() {
				m.Set("ip-address", kjson.NewString(a.String()))
			}
		}
		ns := "0.0.0.0"
		if v := str(r, "next-server"); v != "" {
			ns = addrText(v)
		}
		m.Set("next-server", kjson.NewString(ns))
		m.Set("server-hostname", kjson.NewString(str(r, "server-hostname")))
		m.Set("boot-file-name", kjson.NewString(str(r, "boot-file-name")))
	} else {
		list := func(key string, prefix bool) *kjson.Element {
			l := kjson.NewList()
			if v := r.Get(key); v != nil {
				for _, a := range v.L {
					t := a.S
					if prefix {
						if p, err := netip.ParsePrefix(t); err == nil {
							t = p.Addr().String() + "/" + strconv.Itoa(p.Bits())
						}
					} else {
						t = addrText(t)
					}
					l.Add(kjson.NewString(t))
				}
			}
			return l
		}
		m.Set("ip-addresses", list("ip-addresses", false))
		m.Set("prefixes", list("prefixes", true))
	}
	h.elt = m
	return h
}

// classesElement is Kea's ClientClassDictionary toElement.
func (s *Server) classesElement(cc *kjson.Element, defs *optionDefs) *kjson.Element {
	l := kjson.NewList()
	for _, c := range cc.L {
		m := kjson.NewMap()
		if uc := c.Get("user-context"); uc != nil {
			m.Set("user-context", uc.Copy())
		}
		m.Set("name", kjson.NewString(str(c, "name")))
		if t := str(c, "test"); t != "" {
			m.Set("test", kjson.NewString(t))
		}
		if v := c.Get("only-if-required"); v != nil && v.B {
			m.Set("only-if-required", kjson.NewBool(true))
		}
		classDefs := optionDefsOf(s.Family, c.Get("option-def"))
		if s.Family == 4 {
			m.Set("option-def", classDefs.element())
		}
		merged := &optionDefs{family: s.Family, list: append(append([]optionDef(nil), defs.list...), classDefs.list...)}
		m.Set("option-data", s.optionsElementWith(c.Get("option-data"), merged, defs))
		if s.Family == 4 {
			ns := "0.0.0.0"
			if v := str(c, "next-server"); v != "" {
				ns = addrText(v)
			}
			m.Set("next-server", kjson.NewString(ns))
			m.Set("server-hostname", kjson.NewString(str(c, "server-hostname")))
			m.Set("boot-file-name", kjson.NewString(str(c, "boot-file-name")))
		} else {
			classLifetime(m, c, "preferred-lifetime")
		}
		classLifetime(m, c, "valid-lifetime")
		l.Add(m)
	}
	return l
}

// classLifetime writes a class's lifetime as Kea does: the value, and
// its bounds only when they differ from it.
func classLifetime(m, c *kjson.Element, name string) {
	t, err := triplet(c, name, nil)
	if err != nil || t.Unspecified() {
		return
	}
	m.Set(name, kjson.NewInt(int64(t.Default)))
	if t.Min < t.Default {
		m.Set("min-"+name, kjson.NewInt(int64(t.Min)))
	}
	if t.Max > t.Default {
		m.Set("max-"+name, kjson.NewInt(int64(t.Max)))
	}
}
