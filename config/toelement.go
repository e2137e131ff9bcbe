package config

import (
	"encoding/hex"
	"net/netip"
	"sort"
	"strconv"
	"strings"

	"github.com/lessor-dhcp/lessor/internal/kjson"
)

// ToElement returns the section as config-get shows it (the map under
// "Dhcp4" or "Dhcp6"): the parsed configuration converted back to JSON
// with every default filled in, in the shapes Kea 2.2 gives them.
func (s *Server) ToElement() *kjson.Element {
	raw := s.Raw
	if raw == nil {
		raw = kjson.NewMap()
	}
	m := s.globalsElement(raw)
	if uc := raw.Get("user-context"); uc != nil {
		m.Set("user-context", uc.Copy())
	}
	if s.Family == 6 {
		if dd := raw.Get("data-directory"); dd != nil {
			m.Set("data-directory", kjson.NewString(dd.S))
		}
	}
	if s.Loggers != nil {
		m.Set("loggers", loggersElement(s.Loggers, raw.Get("loggers")))
	}
	m.Set("dhcp-ddns", d2Element(raw.Get("dhcp-ddns")))
	m.Set("interfaces-config", ifacesElement(raw.Get("interfaces-config")))
	defs := optionDefsOf(s.Family, raw.Get("option-def"))
	m.Set("option-def", defs.element())
	m.Set("option-data", s.optionsElement(raw.Get("option-data"), defs))

	listKey := "subnet4"
	if s.Family == 6 {
		listKey = "subnet6"
	}
	hosts := s.hostsBySubnet(raw, defs)
	// Kea's defaults for plain subnets and shared networks (not for the
	// subnets of shared networks).
	rapidCommit := func(e *kjson.Element) {
		if s.Family == 6 && e.Get("rapid-commit") == nil {
			e.Set("rapid-commit", kjson.NewBool(false))
		}
	}
	subnetList := func(subs []*Subnet, plain bool) *kjson.Element {
		sorted := append([]*Subnet(nil), subs...)
		sort.SliceStable(sorted, func(i, j int) bool { return sorted[i].ID < sorted[j].ID })
		l := kjson.NewList()
		for _, sub := range sorted {
			e := s.subnetElement(sub, defs)
			if plain {
				rapidCommit(e)
			}
			r := hosts[int64(sub.ID)]
			if r == nil {
				r = kjson.NewList()
			}
			e.Set("reservations", r)
			l.Add(e)
		}
		return l
	}
	var plain []*Subnet
	for _, sub := range s.Subnets {
		if sub.SharedNetwork == "" {
			plain = append(plain, sub)
		}
	}
	m.Set(listKey, subnetList(plain, true))
	nets := append([]*SharedNetwork(nil), s.SharedNetworks...)
	sort.SliceStable(nets, func(i, j int) bool { return nets[i].Name < nets[j].Name })
	nl := kjson.NewList()
	for _, sn := range nets {
		e := s.networkElement(sn.Raw, sn.Params, nil, defs)
		if sn.Name != "" {
			e.Set("name", kjson.NewString(sn.Name))
		}
		rapidCommit(e)
		e.Set(listKey, subnetList(sn.Subnets, false))
		nl.Add(e)
	}
	m.Set("shared-networks", nl)
	if g := hosts[0]; g != nil && len(g.L) > 0 {
		m.Set("reservations", g)
	}

	m.Set("expired-leases-processing", withDefaults(nil, raw.Get("expired-leases-processing"), []kv{
		{"reclaim-timer-wait-time", kjson.NewInt(10)},
		{"flush-reclaimed-timer-wait-time", kjson.NewInt(25)},
		{"hold-reclaimed-time", kjson.NewInt(3600)},
		{"max-reclaim-leases", kjson.NewInt(100)},
		{"max-reclaim-time", kjson.NewInt(250)},
		{"unwarned-reclaim-cycles", kjson.NewInt(5)},
	}, true))
	if s.Family == 6 {
		m.Set("server-id", serverIDElement(raw.Get("server-id")))
		m.Set("relay-supplied-options", rsooElement(raw.Get("relay-supplied-options"), defs))
	}
	m.Set("lease-database", dbElement(raw.Get("lease-database"), true))
	hdb := kjson.NewList()
	if h := raw.Get("hosts-database"); h != nil {
		hdb.Add(dbElement(h, false))
	}
	if h := raw.Get("hosts-databases"); h != nil {
		for _, d := range h.L {
			hdb.Add(dbElement(d, false))
		}
	}
	if len(hdb.L) > 0 {
		m.Set("hosts-databases", hdb)
	}
	m.Set("host-reservation-identifiers", hostIDsElement(s.Family, raw.Get("host-reservation-identifiers")))
	if s.Family == 6 {
		m.Set("mac-sources", macSourcesElement(raw.Get("mac-sources")))
	}
	if cs := raw.Get("control-socket"); cs != nil {
		m.Set("control-socket", cs.Copy())
	}
	if cc := raw.Get("client-classes"); cc != nil && len(cc.L) > 0 {
		m.Set("client-classes", s.classesElement(cc, defs))
	}
	hl := kjson.NewList()
	for _, h := range s.Hooks {
		e := kjson.NewMap().Set("library", kjson.NewString(h.Library))
		if h.Parameters != nil && h.Parameters.Kind != kjson.Null {
			e.Set("parameters", h.Parameters.Copy())
		}
		hl.Add(e)
	}
	m.Set("hooks-libraries", hl)
	checks := "warn"
	if lc := raw.Get("sanity-checks").Get("lease-checks"); lc != nil {
		checks = lc.S
	}
	m.Set("sanity-checks", kjson.NewMap().Set("lease-checks", kjson.NewString(checks)))
	if cc := raw.Get("config-control"); cc != nil {
		m.Set("config-control", configControlElement(cc))
	}
	ring := "kea-ring4"
	if s.Family == 6 {
		ring = "kea-ring6"
	}
	m.Set("dhcp-queue-control", withDefaults(raw.Get("dhcp-queue-control"), nil, []kv{
		{"enable-queue", kjson.NewBool(false)},
		{"queue-type", kjson.NewString(ring)},
		{"capacity", kjson.NewInt(64)},
	}, false))
	m.Set("multi-threading", withDefaults(raw.Get("multi-threading"), nil, []kv{
		{"enable-multi-threading", kjson.NewBool(false)},
		{"thread-pool-size", kjson.NewInt(0)},
		{"packet-queue-size", kjson.NewInt(64)},
	}, false))
	return m
}

// SetConfiguredGlobal changes a global parameter of the running
// configuration, as Kea's statistic-sample-count-set-all and
// statistic-sample-age-set-all commands change
// statistic-default-sample-count and -age: ToElement (config-get,
// config-write) shows the new value. Safe for concurrent use.
func (s *Server) SetConfiguredGlobal(name string, v *kjson.Element) {
	s.overrideMu.Lock()
	defer s.overrideMu.Unlock()
	if s.overrides == nil {
		s.overrides = map[string]*kjson.Element{}
	}
	s.overrides[name] = v
}

// kv is one default value.
type kv struct {
	key string
	val *kjson.Element
}

// withDefaults returns a copy of keep (all its entries), or of the
// listed keys of only (when onlyKnown), with the defaults added.
func withDefaults(keep, only *kjson.Element, defaults []kv, onlyKnown bool) *kjson.Element {
	out := kjson.NewMap()
	if keep != nil {
		out = keep.Copy()
	}
	for _, d := range defaults {
		if onlyKnown {
			if v := only.Get(d.key); v != nil {
				out.Set(d.key, v.Copy())
				continue
			}
		}
		if out.Get(d.key) == nil {
			out.Set(d.key, d.val)
		}
	}
	return out
}

// Kea's configured globals (CfgGlobals): the global scalars config-get
// lists.
var cfgGlobalNames = []string{
	"valid-lifetime", "min-valid-lifetime", "max-valid-lifetime", "renew-timer", "rebind-timer",
	"decline-probation-period", "dhcp4o6-port", "comment", "server-tag", "reservation-mode",
	"reservations-global", "reservations-in-subnet", "reservations-out-of-pool", "calculate-tee-times",
	"t1-percent", "t2-percent", "hostname-char-set", "hostname-char-replacement", "ddns-send-updates",
	"ddns-override-no-update", "ddns-override-client-update", "ddns-replace-client-name",
	"ddns-generated-prefix", "ddns-qualifying-suffix", "store-extended-info",
	"statistic-default-sample-count", "statistic-default-sample-age", "cache-threshold", "cache-max-age",
	"early-global-reservations-lookup", "ip-reservations-unique", "reservations-lookup-first",
	"ddns-update-on-renew", "ddns-use-conflict-resolution", "parked-packet-limit", "echo-client-id",
	"match-client-id", "authoritative", "next-server", "server-hostname", "boot-file-name",
	"data-directory", "preferred-lifetime", "min-preferred-lifetime", "max-preferred-lifetime",
}

// ddnsMoved lists the dhcp-ddns parameters Kea moves to the global scope
// (when the global scope does not set them).
var ddnsMoved = []struct{ from, to string }{
	{"override-no-update", "ddns-override-no-update"},
	{"override-client-update", "ddns-override-client-update"},
	{"replace-client-name", "ddns-replace-client-name"},
	{"generated-prefix", "ddns-generated-prefix"},
	{"qualifying-suffix", "ddns-qualifying-suffix"},
	{"hostname-char-set", "hostname-char-set"},
	{"hostname-char-replacement", "hostname-char-replacement"},
}

func (s *Server) globalsElement(raw *kjson.Element) *kjson.Element {
	params := map[string]*kjson.Element{}
	for k, v := range s.Params {
		params[k] = v
	}
	d2 := raw.Get("dhcp-ddns")
	for _, mv := range ddnsMoved {
		if v := d2.Get(mv.from); v != nil && raw.Get(mv.to) == nil {
			params[mv.to] = v
		}
	}
	if rm := raw.Get("reservation-mode"); rm != nil {
		delete(params, "reservation-mode")
		for k, v := range reservationFlags(rm.S) {
			params[k] = kjson.NewBool(v)
		}
	}
	s.overrideMu.Lock()
	for k, v := range s.overrides {
		params[k] = v
	}
	s.overrideMu.Unlock()
	m := kjson.NewMap()
	for _, k := range cfgGlobalNames {
		if v := params[k]; v != nil && v.Kind != kjson.Map && v.Kind != kjson.List {
			m.Set(k, v.Copy())
		}
	}
	return m
}

// reservationFlags converts a reservation-mode to the flags Kea sets.
func reservationFlags(mode string) map[string]bool {
	switch mode {
	case "disabled", "off":
		return map[string]bool{"reservations-global": false, "reservations-in-subnet": false}
	case "out-of-pool":
		return map[string]bool{"reservations-global": false, "reservations-in-subnet": true, "reservations-out-of-pool": true}
	case "global":
		return map[string]bool{"reservations-global": true, "reservations-in-subnet": false}
	case "all":
		return map[string]bool{"reservations-global": false, "reservations-in-subnet": true, "reservations-out-of-pool": false}
	}
	return nil
}

func str(e *kjson.Element, key string) string {
	if v := e.Get(key); v != nil && v.Kind == kjson.String {
		return v.S
	}
	return ""
}

// addrText is Kea's text of an address (IOAddress::toText), or the text
// as given when it is not one.
func addrText(s string) string {
	if a, err := netip.ParseAddr(s); err == nil {
		return a.String()
	}
	return s
}

func loggersElement(ls []Logger, raw *kjson.Element) *kjson.Element {
	l := kjson.NewList()
	for i, lg := range ls {
		e := kjson.NewMap()
		var r *kjson.Element
		if raw != nil && i < len(raw.L) {
			r = raw.L[i]
		}
		if uc := r.Get("user-context"); uc != nil {
			e.Set("user-context", uc.Copy())
		}
		e.Set("name", kjson.NewString(lg.Name))
		if len(lg.Outputs) > 0 {
			ol := kjson.NewList()
			for _, o := range lg.Outputs {
				oe := kjson.NewMap()
				oe.Set("output", kjson.NewString(o.Output))
				oe.Set("flush", kjson.NewBool(o.Flush))
				oe.Set("pattern", kjson.NewString(o.Pattern))
				if o.Output != "stdout" && o.Output != "stderr" && o.Output != "syslog" && !strings.Contains(o.Output, "syslog:") {
					oe.Set("maxver", kjson.NewInt(int64(o.MaxVer)))
					oe.Set("maxsize", kjson.NewInt(o.MaxSize))
				}
				ol.Add(oe)
			}
			e.Set("output_options", ol)
		}
		e.Set("severity", kjson.NewString(lg.Severity))
		e.Set("debuglevel", kjson.NewInt(int64(lg.DebugLevel)))
		l.Add(e)
	}
	return l
}

func d2Element(d2 *kjson.Element) *kjson.Element {
	m := kjson.NewMap()
	if uc := d2.Get("user-context"); uc != nil {
		m.Set("user-context", uc.Copy())
	}
	enable := false
	if v := d2.Get("enable-updates"); v != nil {
		enable = v.B
	}
	m.Set("enable-updates", kjson.NewBool(enable))
	serverIP := "127.0.0.1"
	if v := d2.Get("server-ip"); v != nil {
		serverIP = addrText(v.S)
	}
	m.Set("server-ip", kjson.NewString(serverIP))
	num := func(k string, def int64) {
		if v := d2.Get(k); v != nil {
			def = v.I
		}
		m.Set(k, kjson.NewInt(def))
	}
	num("server-port", 53001)
	senderIP := str(d2, "sender-ip")
	if senderIP == "" {
		senderIP = "0.0.0.0"
		if a, err := netip.ParseAddr(serverIP); err == nil && a.Is6() {
			senderIP = "::"
		}
	}
	m.Set("sender-ip", kjson.NewString(addrText(senderIP)))
	num("sender-port", 0)
	num("max-queue-size", 1024)
	proto := "UDP"
	if v := d2.Get("ncr-protocol"); v != nil {
		proto = strings.ToUpper(v.S)
	}
	m.Set("ncr-protocol", kjson.NewString(proto))
	format := "JSON"
	if v := d2.Get("ncr-format"); v != nil {
		format = strings.ToUpper(v.S)
	}
	m.Set("ncr-format", kjson.NewString(format))
	return m
}

func ifacesElement(ic *kjson.Element) *kjson.Element {
	m := kjson.NewMap()
	if uc := ic.Get("user-context"); uc != nil {
		m.Set("user-context", uc.Copy())
	}
	wildcard := false
	names := map[string]bool{}
	type addrSpec struct{ name, addr string }
	var addrs []addrSpec
	if l := ic.Get("interfaces"); l != nil {
		for _, e := range l.L {
			spec := strings.TrimSpace(e.S)
			if spec == "*" {
				wildcard = true
				continue
			}
			if i := strings.IndexByte(spec, '/'); i >= 0 {
				addrs = append(addrs, addrSpec{spec[:i], addrText(spec[i+1:])})
				continue
			}
			names[spec] = true
		}
	}
	l := kjson.NewList()
	if wildcard {
		l.Add(kjson.NewString("*"))
	}
	sorted := make([]string, 0, len(names))
	for n := range names {
		sorted = append(sorted, n)
	}
	sort.Strings(sorted)
	for _, n := range sorted {
		l.Add(kjson.NewString(n))
	}
	sort.SliceStable(addrs, func(i, j int) bool { return addrs[i].name < addrs[j].name })
	for _, a := range addrs {
		l.Add(kjson.NewString(a.name + "/" + a.addr))
	}
	m.Set("interfaces", l)
	if str(ic, "dhcp-socket-type") == "udp" {
		m.Set("dhcp-socket-type", kjson.NewString("udp"))
	}
	if o := str(ic, "outbound-interface"); o == "use-routing" {
		m.Set("outbound-interface", kjson.NewString(o))
	}
	redetect := true
	if v := ic.Get("re-detect"); v != nil {
		redetect = v.B
	}
	m.Set("re-detect", kjson.NewBool(redetect))
	if v := ic.Get("service-sockets-require-all"); v != nil && v.B {
		m.Set("service-sockets-require-all", kjson.NewBool(true))
	}
	if v := ic.Get("service-sockets-max-retries"); v != nil && v.I != 0 {
		m.Set("service-sockets-max-retries", kjson.NewInt(v.I))
		wait := int64(5000)
		if w := ic.Get("service-sockets-retry-wait-time"); w != nil {
			wait = w.I
		}
		m.Set("service-sockets-retry-wait-time", kjson.NewInt(wait))
	}
	return m
}

// dbElement is Kea's view of a database map: its access string read
// back, so only the parameters Kea knows, with their types.
func dbElement(db *kjson.Element, lease bool) *kjson.Element {
	m := kjson.NewMap()
	if db == nil {
		if lease {
			m.Set("type", kjson.NewString("memfile"))
		}
		return m
	}
	for _, k := range db.Keys() {
		v := db.M[k]
		switch k {
		case "lfc-interval", "connect-timeout", "reconnect-wait-time", "max-reconnect-tries", "port", "max-row-errors":
			m.Set(k, kjson.NewInt(v.I))
		case "persist", "readonly":
			m.Set(k, kjson.NewBool(v.B))
		case "type", "user", "password", "host", "name", "on-fail", "trust-anchor", "cert-file", "key-file", "cipher-list":
			if v.S != "" {
				m.Set(k, kjson.NewString(v.S))
			}
		}
	}
	return m
}

func serverIDElement(sid *kjson.Element) *kjson.Element {
	m := kjson.NewMap()
	if uc := sid.Get("user-context"); uc != nil {
		m.Set("user-context", uc.Copy())
	}
	typ := "LLT"
	if t := str(sid, "type"); t != "" {
		typ = t
	}
	m.Set("type", kjson.NewString(typ))
	id := ""
	if v := sid.Get("identifier"); v != nil {
		if b, ok := decodeHex(v.S); ok {
			id = strings.ToUpper(hex.EncodeToString(b))
		}
	}
	m.Set("identifier", kjson.NewString(id))
	num := func(k string) {
		var n int64
		if v := sid.Get(k); v != nil {
			n = v.I
		}
		m.Set(k, kjson.NewInt(n))
	}
	num("htype")
	num("time")
	num("enterprise-id")
	persist := true
	if v := sid.Get("persist"); v != nil {
		persist = v.B
	}
	m.Set("persist", kjson.NewBool(persist))
	return m
}

func rsooElement(r *kjson.Element, defs *optionDefs) *kjson.Element {
	codes := map[int]bool{65: true}
	if r != nil {
		for _, e := range r.L {
			t := strings.TrimSpace(e.S)
			if n, err := strconv.Atoi(t); err == nil {
				codes[n] = true
			} else if c, ok := defs.codeOf("dhcp6", t); ok {
				codes[c] = true
			}
		}
	}
	sorted := make([]int, 0, len(codes))
	for c := range codes {
		sorted = append(sorted, c)
	}
	sort.Ints(sorted)
	l := kjson.NewList()
	for _, c := range sorted {
		l.Add(kjson.NewString(strconv.Itoa(c)))
	}
	return l
}

func hostIDsElement(fam int, ids *kjson.Element) *kjson.Element {
	l := kjson.NewList()
	if ids == nil {
		names := []string{"hw-address", "duid", "circuit-id", "client-id"}
		if fam == 6 {
			names = names[:2]
		}
		for _, n := range names {
			l.Add(kjson.NewString(n))
		}
		return l
	}
	for _, e := range ids.L {
		if e.S == "auto" {
			names := []string{"hw-address", "duid", "circuit-id", "client-id", "flex-id"}
			if fam == 6 {
				names = []string{"hw-address", "duid", "flex-id"}
			}
			for _, n := range names {
				l.Add(kjson.NewString(n))
			}
			continue
		}
		l.Add(kjson.NewString(e.S))
	}
	return l
}

func macSourcesElement(ms *kjson.Element) *kjson.Element {
	l := kjson.NewList()
	if ms == nil {
		l.Add(kjson.NewString("any"))
		return l
	}
	alias := map[string]string{
		"rfc6939": "client-link-addr-option", "rfc4649": "remote-id", "rfc4580": "subscriber-id",
		"client-link-addr-option": "client-link-addr-option", "remote-id": "remote-id",
		"subscriber-id": "subscriber-id",
	}
	for _, e := range ms.L {
		n := e.S
		if a, ok := alias[n]; ok {
			n = a
		}
		l.Add(kjson.NewString(n))
	}
	return l
}

func configControlElement(cc *kjson.Element) *kjson.Element {
	m := kjson.NewMap()
	l := kjson.NewList()
	if dbs := cc.Get("config-databases"); dbs != nil {
		for _, d := range dbs.L {
			l.Add(dbElement(d, false))
		}
	}
	m.Set("config-databases", l)
	if v := cc.Get("config-fetch-wait-time"); v != nil {
		m.Set("config-fetch-wait-time", kjson.NewInt(int64(int32(v.I))))
	}
	return m
}

// subnetElement is Kea's Subnet4/Subnet6 toElement (without the
// reservations, which the caller adds).
func (s *Server) subnetElement(sub *Subnet, defs *optionDefs) *kjson.Element {
	var netRaw *kjson.Element
	if sn := s.network(sub.SharedNetwork); sn != nil {
		netRaw = sn.Raw
	}
	m := s.networkElement(sub.Raw, sub.Params, netRaw, defs)
	m.Set("id", kjson.NewInt(int64(sub.ID)))
	m.Set("subnet", kjson.NewString(sub.Prefix.Addr().String()+"/"+strconv.Itoa(sub.Prefix.Bits())))
	if s.Family == 4 {
		m.Set("4o6-interface", kjson.NewString(str(sub.Raw, "4o6-interface")))
		m.Set("4o6-interface-id", kjson.NewString(str(sub.Raw, "4o6-interface-id")))
		sub4o6 := ""
		if t := str(sub.Raw, "4o6-subnet"); t != "" {
			if i := strings.IndexByte(t, '/'); i >= 0 {
				sub4o6 = addrText(t[:i]) + "/" + t[i+1:]
				if n, err := strconv.Atoi(t[i+1:]); err == nil {
					sub4o6 = addrText(t[:i]) + "/" + strconv.Itoa(int(uint8(n)))
				}
			}
		}
		m.Set("4o6-subnet", kjson.NewString(sub4o6))
	}
	// Kea keeps a subnet's pools sorted by their first address.
	type poolAt struct {
		first netip.Addr
		elt   *kjson.Element
	}
	sorted := func(ps []poolAt) *kjson.Element {
		sort.SliceStable(ps, func(i, j int) bool { return ps[i].first.Less(ps[j].first) })
		l := kjson.NewList()
		for _, p := range ps {
			l.Add(p.elt)
		}
		return l
	}
	var poolsRaw []*kjson.Element
	if pl := sub.Raw.Get("pools"); pl != nil {
		poolsRaw = pl.L
	}
	var ps []poolAt
	for i, p := range sub.Pools {
		var pr *kjson.Element
		if i < len(poolsRaw) {
			pr = poolsRaw[i]
		}
		e := s.poolCommon(pr, defs)
		text := p.First.String() + "-" + p.Last.String()
		if n := prefixLenFromRange(p.First, p.Last); n >= 0 {
			text = p.First.String() + "/" + strconv.Itoa(n)
		}
		e.Set("pool", kjson.NewString(text))
		ps = append(ps, poolAt{p.First, e})
	}
	pools := sorted(ps)
	m.Set("pools", pools)
	if s.Family == 6 {
		var pdRaw []*kjson.Element
		if pl := sub.Raw.Get("pd-pools"); pl != nil {
			pdRaw = pl.L
		}
		var pdl []poolAt
		for i, p := range sub.PDPools {
			var pr *kjson.Element
			if i < len(pdRaw) {
				pr = pdRaw[i]
			}
			e := s.poolCommon(pr, defs)
			first := p.Prefix.Masked().Addr()
			e.Set("prefix", kjson.NewString(first.String()))
			e.Set("prefix-len", kjson.NewInt(int64(p.Prefix.Bits())))
			e.Set("delegated-len", kjson.NewInt(int64(p.DelegatedLen)))
			if p.ExcludedPrefix.IsValid() {
				e.Set("excluded-prefix", kjson.NewString(p.ExcludedPrefix.Masked().Addr().String()))
				e.Set("excluded-prefix-len", kjson.NewInt(int64(p.ExcludedPrefix.Bits())))
			}
			pdl = append(pdl, poolAt{first, e})
		}
		pds := sorted(pdl)
		m.Set("pd-pools", pds)
	}
	return m
}

// poolCommon is Kea's Pool::toElement part common to every pool type.
func (s *Server) poolCommon(pr *kjson.Element, defs *optionDefs) *kjson.Element {
	e := kjson.NewMap()
	if uc := pr.Get("user-context"); uc != nil {
		e.Set("user-context", uc.Copy())
	}
	e.Set("option-data", s.optionsElement(pr.Get("option-data"), defs))
	if cc := str(pr, "client-class"); cc != "" {
		e.Set("client-class", kjson.NewString(cc))
	}
	if rc := classList(pr.Get("require-client-classes")); rc != nil {
		e.Set("require-client-classes", rc)
	}
	return e
}

// classList returns a require-client-classes list without repeats, or
// nil when empty.
func classList(l *kjson.Element) *kjson.Element {
	if l == nil || len(l.L) == 0 {
		return nil
	}
	out := kjson.NewList()
	seen := map[string]bool{}
	for _, c := range l.L {
		if !seen[c.S] {
			seen[c.S] = true
			out.Add(kjson.NewString(c.S))
		}
	}
	return out
}

// networkElement is Kea's Network4/Network6 toElement for a subnet or a
// shared network: raw is its map as given, params its scalars with the
// derived values, netRaw the map of its shared network (nil if none).
func (s *Server) networkElement(raw *kjson.Element, params map[string]*kjson.Element, netRaw *kjson.Element, defs *optionDefs) *kjson.Element {
	m := kjson.NewMap()
	p := map[string]*kjson.Element{}
	for k, v := range params {
		p[k] = v
	}
	if rm := p["reservation-mode"]; rm != nil {
		delete(p, "reservation-mode")
		for k, v := range reservationFlags(rm.S) {
			p[k] = kjson.NewBool(v)
		}
	}
	if uc := raw.Get("user-context"); uc != nil {
		m.Set("user-context", uc.Copy())
	}
	if v := p["interface"]; v != nil && v.S != "" {
		m.Set("interface", kjson.NewString(v.S))
	}
	relay := raw.Get("relay")
	if relay == nil {
		relay = netRaw.Get("relay")
	}
	addrs := kjson.NewList()
	if relay != nil {
		if one := relay.Get("ip-address"); one != nil {
			addrs.Add(kjson.NewString(addrText(one.S)))
		}
		if l := relay.Get("ip-addresses"); l != nil {
			for _, a := range l.L {
				addrs.Add(kjson.NewString(addrText(a.S)))
			}
		}
	}
	m.Set("relay", kjson.NewMap().Set("ip-addresses", addrs))
	if v := p["client-class"]; v != nil && v.S != "" {
		m.Set("client-class", kjson.NewString(v.S))
	}
	if rc := classList(raw.Get("require-client-classes")); rc != nil {
		m.Set("require-client-classes", rc)
	}
	copyKeys := func(keys ...string) {
		for _, k := range keys {
			if v := p[k]; v != nil {
				m.Set(k, v.Copy())
			}
		}
	}
	copyKeys("renew-timer", "rebind-timer")
	lifetime := func(name string) {
		t, err := tripletOf(p, name)
		if err != nil || t.Unspecified() {
			return
		}
		m.Set(name, kjson.NewInt(int64(t.Default)))
		m.Set("min-"+name, kjson.NewInt(int64(t.Min)))
		m.Set("max-"+name, kjson.NewInt(int64(t.Max)))
	}
	lifetime("valid-lifetime")
	copyKeys("reservations-global", "reservations-in-subnet", "reservations-out-of-pool")
	m.Set("option-data", s.optionsElement(raw.Get("option-data"), defs))
	copyKeys("calculate-tee-times")
	for _, k := range []string{"t1-percent", "t2-percent", "cache-threshold"} {
		if v := p[k]; v != nil {
			f := v.F
			if v.Kind == kjson.Int {
				f = float64(v.I)
			}
			m.Set(k, kjson.NewReal(f))
		}
	}
	copyKeys("ddns-send-updates", "ddns-override-no-update", "ddns-override-client-update",
		"ddns-replace-client-name", "ddns-generated-prefix", "ddns-qualifying-suffix",
		"hostname-char-set", "hostname-char-replacement", "store-extended-info", "cache-max-age",
		"ddns-update-on-renew", "ddns-use-conflict-resolution")
	if s.Family == 4 {
		copyKeys("match-client-id", "authoritative")
		if v := p["next-server"]; v != nil && v.S != "" {
			m.Set("next-server", kjson.NewString(addrText(v.S)))
		}
		for _, k := range []string{"server-hostname", "boot-file-name"} {
			if v := p[k]; v != nil && v.S != "" {
				m.Set(k, kjson.NewString(v.S))
			}
		}
	} else {
		lifetime("preferred-lifetime")
		if v := p["interface-id"]; v != nil && v.S != "" {
			m.Set("interface-id", kjson.NewString(v.S))
		}
		copyKeys("rapid-commit")
	}
	return m
}

// prefixLenFromRange returns the prefix length of the range first-last
// when it is exactly one prefix, or -1 (Kea's prefixLengthFromRange).
func prefixLenFromRange(first, last netip.Addr) int {
	a, b := first.AsSlice(), last.AsSlice()
	if len(a) != len(b) {
		return -1
	}
	n := -1
	for i := range a {
		x := a[i] ^ b[i]
		if a[i]&x != 0 {
			return -1
		}
		if n < 0 {
			if x == 0 {
				continue
			}
			// x must be 0..01..1.
			if x&(x+1) != 0 {
				return -1
			}
			bits := 0
			for y := x; y != 0; y >>= 1 {
				bits++
			}
			n = i*8 + 8 - bits
			continue
		}
		if x != 0xff {
			return -1
		}
	}
	if n < 0 {
		return len(a) * 8
	}
	return n
}
