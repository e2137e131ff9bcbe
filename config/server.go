package config

import (
	"path"
	"strconv"
	"strings"

	"github.com/lessor-dhcp/lessor/internal/kjson"
	"github.com/lessor-dhcp/lessor/store"
)

// Kea's global defaults (SimpleParser4/6 GLOBAL4_DEFAULTS, GLOBAL6_DEFAULTS)
// for the scalar parameters lessor reads through Param.
var globalDefaults = map[int]map[string]*kjson.Element{
	4: {
		"valid-lifetime":                   kjson.NewInt(7200),
		"decline-probation-period":         kjson.NewInt(86400),
		"dhcp4o6-port":                     kjson.NewInt(0),
		"echo-client-id":                   kjson.NewBool(true),
		"match-client-id":                  kjson.NewBool(true),
		"authoritative":                    kjson.NewBool(false),
		"next-server":                      kjson.NewString("0.0.0.0"),
		"server-hostname":                  kjson.NewString(""),
		"boot-file-name":                   kjson.NewString(""),
		"server-tag":                       kjson.NewString(""),
		"reservations-global":              kjson.NewBool(false),
		"reservations-in-subnet":           kjson.NewBool(true),
		"reservations-out-of-pool":         kjson.NewBool(false),
		"calculate-tee-times":              kjson.NewBool(false),
		"t1-percent":                       kjson.NewReal(.50),
		"t2-percent":                       kjson.NewReal(.875),
		"ddns-send-updates":                kjson.NewBool(true),
		"ddns-override-no-update":          kjson.NewBool(false),
		"ddns-override-client-update":      kjson.NewBool(false),
		"ddns-replace-client-name":         kjson.NewString("never"),
		"ddns-generated-prefix":            kjson.NewString("myhost"),
		"ddns-qualifying-suffix":           kjson.NewString(""),
		"hostname-char-set":                kjson.NewString("[^A-Za-z0-9.-]"),
		"hostname-char-replacement":        kjson.NewString(""),
		"store-extended-info":              kjson.NewBool(false),
		"statistic-default-sample-count":   kjson.NewInt(20),
		"statistic-default-sample-age":     kjson.NewInt(0),
		"early-global-reservations-lookup": kjson.NewBool(false),
		"ip-reservations-unique":           kjson.NewBool(true),
		"reservations-lookup-first":        kjson.NewBool(false),
		"ddns-update-on-renew":             kjson.NewBool(false),
		"ddns-use-conflict-resolution":     kjson.NewBool(true),
		"parked-packet-limit":              kjson.NewInt(256),
	},
	6: {
		"preferred-lifetime":               kjson.NewInt(3600),
		"valid-lifetime":                   kjson.NewInt(7200),
		"decline-probation-period":         kjson.NewInt(86400),
		"dhcp4o6-port":                     kjson.NewInt(0),
		"server-tag":                       kjson.NewString(""),
		"reservations-global":              kjson.NewBool(false),
		"reservations-in-subnet":           kjson.NewBool(true),
		"reservations-out-of-pool":         kjson.NewBool(false),
		"calculate-tee-times":              kjson.NewBool(true),
		"t1-percent":                       kjson.NewReal(.50),
		"t2-percent":                       kjson.NewReal(.80),
		"ddns-send-updates":                kjson.NewBool(true),
		"ddns-override-no-update":          kjson.NewBool(false),
		"ddns-override-client-update":      kjson.NewBool(false),
		"ddns-replace-client-name":         kjson.NewString("never"),
		"ddns-generated-prefix":            kjson.NewString("myhost"),
		"ddns-qualifying-suffix":           kjson.NewString(""),
		"hostname-char-set":                kjson.NewString("[^A-Za-z0-9.-]"),
		"hostname-char-replacement":        kjson.NewString(""),
		"store-extended-info":              kjson.NewBool(false),
		"statistic-default-sample-count":   kjson.NewInt(20),
		"statistic-default-sample-age":     kjson.NewInt(0),
		"early-global-reservations-lookup": kjson.NewBool(false),
		"ip-reservations-unique":           kjson.NewBool(true),
		"reservations-lookup-first":        kjson.NewBool(false),
		"ddns-update-on-renew":             kjson.NewBool(false),
		"ddns-use-conflict-resolution":     kjson.NewBool(true),
		"parked-packet-limit":              kjson.NewInt(256),
	},
}

// inheritToSubnet lists the shared network parameters Kea copies into the
// subnets of the network that do not set them (INHERIT_TO_SUBNET4/6).
var inheritToSubnet = map[int][]string{
	4: {"rebind-timer", "relay", "renew-timer", "valid-lifetime", "min-valid-lifetime", "max-valid-lifetime",
		"calculate-tee-times", "t1-percent", "t2-percent", "store-extended-info", "cache-threshold", "cache-max-age"},
	6: {"preferred-lifetime", "min-preferred-lifetime", "max-preferred-lifetime", "rebind-timer", "relay",
		"renew-timer", "valid-lifetime", "min-valid-lifetime", "max-valid-lifetime", "calculate-tee-times",
		"t1-percent", "t2-percent", "store-extended-info", "cache-threshold", "cache-max-age"},
}

// Hook libraries lessor provides itself (any folder).
var knownHooks = map[string]bool{
	"libdhcp_lease_cmds.so": true,
	"libdhcp_stat_cmds.so":  true,
}

func cfgErr(msg string, e *kjson.Element) error {
	if e != nil {
		msg += " (" + e.Pos.String() + ")"
	}
	return &Error{Msg: msg}
}

// scalars returns the scalar entries of a map.
func scalars(m *kjson.Element) map[string]*kjson.Element {
	out := map[string]*kjson.Element{}
	for k, v := range m.M {
		if v.Kind != kjson.Map && v.Kind != kjson.List {
			out[k] = v
		}
	}
	return out
}

func buildServer(fam int, sec *kjson.Element) (*Server, error) {
	s := &Server{Family: fam, Raw: sec, byID: map[uint32]*Subnet{}}
	s.Params = scalars(sec)
	for k, v := range globalDefaults[fam] {
		if s.Params[k] == nil {
			s.Params[k] = v
		}
	}
	// Kea's order: option-data, control-socket, hooks-libraries,
	// dhcp-ddns, lease-database, shared-networks, subnets, then the
	// globals.
	if err := checkOptionData(sec); err != nil {
		return nil, err
	}
	if err := checkMultiThreading(sec.Get("multi-threading")); err != nil {
		return nil, err
	}
	if err := checkExpiration(sec.Get("expired-leases-processing")); err != nil {
		return nil, err
	}
	if cs := sec.Get("control-socket"); cs != nil {
		c, err := parseControlSocket(cs)
		if err != nil {
			return nil, err
		}
		s.ControlSocket = c
	}
	if hl := sec.Get("hooks-libraries"); hl != nil {
		var bad []string
		for _, h := range hl.L {
			lib := h.Get("library")
			if lib == nil {
				return nil, cfgErr("hooks library configuration error: one or more hooks-libraries elements are missing the name of the library", h)
			}
			if strings.TrimSpace(lib.S) == "" {
				return nil, cfgErr("hooks library configuration error: value of 'library' element must not be blank", lib)
			}
			if !knownHooks[path.Base(lib.S)] {
				bad = append(bad, lib.S)
			}
			s.Hooks = append(s.Hooks, Hook{Library: lib.S, Parameters: h.Get("parameters")})
		}
		if len(bad) > 0 {
			return nil, cfgErr("hooks libraries failed to validate - library or libraries in error are: "+strings.Join(bad, ", "), hl)
		}
	}
	s.DhcpDDNS = sec.Get("dhcp-ddns")
	db, err := parseLeaseDatabase(fam, sec.Get("lease-database"))
	if err != nil {
		return nil, err
	}
	s.LeaseDatabase = db
	if dd := sec.Get("data-directory"); dd != nil {
		s.DataDirectory = dd.S
		s.LeaseDatabase.DataDir = dd.S
	}
	if err := s.buildSubnets(sec); err != nil {
		return nil, err
	}
	if lg := sec.Get("loggers"); lg != nil {
		s.Loggers = parseLoggers(lg)
	}
	for _, g := range []struct {
		name string
		max  int64
	}{{"decline-probation-period", 1<<32 - 1}, {"dhcp4o6-port", 65535}} {
		if v := sec.Get(g.name); v != nil && (v.I < 0 || v.I > g.max) {
			return nil, cfgErr("out of range value ("+strconv.FormatInt(v.I, 10)+") specified for parameter '"+g.name+"'", v)
		}
	}
	// Global lifetimes, checked after the subnets as Kea does.
	if fam == 6 {
		s.PreferredLifetime, err = triplet(sec, "preferred-lifetime", s.Params)
		if err != nil {
			return nil, err
		}
	}
	s.ValidLifetime, err = triplet(sec, "valid-lifetime", s.Params)
	if err != nil {
		return nil, err
	}
	if err := s.sharedNetworkChecks(); err != nil {
		return nil, err
	}
	for _, sub := range s.Subnets {
		sub.ValidLifetime = s.resolveTriplet(sub, "valid-lifetime")
		if fam == 6 {
			sub.PreferredLifetime = s.resolveTriplet(sub, "preferred-lifetime")
		}
	}
	return s, nil
}

func parseControlSocket(cs *kjson.Element) (*ControlSocket, error) {
	t := cs.Get("socket-type")
	if t == nil {
		return nil, &Error{Msg: "Mandatory 'socket-type' parameter missing"}
	}
	if t.S != "unix" {
		return nil, &Error{Msg: "Invalid 'socket-type' parameter value " + t.S}
	}
	n := cs.Get("socket-name")
	if n == nil {
		return nil, &Error{Msg: "Mandatory 'socket-name' parameter missing"}
	}
	return &ControlSocket{Type: t.S, Name: n.S}, nil
}

func parseLeaseDatabase(fam int, db *kjson.Element) (store.Config, error) {
	c := store.Config{Family: fam, Type: "memfile"}
	if db == nil {
		return c, nil
	}
	if t := db.Get("type"); t != nil {
		c.Type = t.S
	}
	str := func(k string) string {
		if v := db.Get(k); v != nil {
			return v.S
		}
		return ""
	}
	c.Name, c.Host, c.User, c.Password, c.OnFail = str("name"), str("host"), str("user"), str("password"), str("on-fail")
	if v := db.Get("persist"); v != nil {
		b := v.B
		c.Persist = &b
	}
	if v := db.Get("readonly"); v != nil {
		c.ReadOnly = v.B
	}
	rng := func(k string, max int64, text func(v int64) string) (int64, error) {
		v := db.Get(k)
		if v == nil {
			return 0, nil
		}
		if v.I < 0 || v.I > max {
			return 0, cfgErr(text(v.I), v)
		}
		return v.I, nil
	}
	outOfRange := func(k string, max int64) func(int64) string {
		return func(v int64) string {
			return k + " value: " + strconv.FormatInt(v, 10) + " is out of range, expected value: 0.." + strconv.FormatInt(max, 10)
		}
	}
	const u32 = 1<<32 - 1
	var err error
	if c.LFCInterval, err = rng("lfc-interval", u32, outOfRange("lfc-interval", u32)); err != nil {
		return c, err
	}
	if c.ConnectTimeout, err = rng("connect-timeout", u32, outOfRange("connect-timeout", u32)); err != nil {
		return c, err
	}
	port, err := rng("port", 65535, outOfRange("port", 65535))
	if err != nil {
		return c, err
	}
	c.Port = int(port)
	if c.MaxRowErrors, err = rng("max-row-errors", u32, outOfRange("max-row-errors", u32)); err != nil {
		return c, err
	}
	if v := db.Get("max-reconnect-tries"); v != nil {
		if v.I < 0 {
			return c, &Error{Msg: "max-reconnect-tries cannot be less than zero: (" + v.Pos.String() + ")"}
		}
		c.MaxReconnectTries = v.I
	}
	if v := db.Get("reconnect-wait-time"); v != nil {
		if v.I < 0 || v.I > u32 {
			return c, &Error{Msg: "reconnect-wait-time " + strconv.FormatInt(v.I, 10) +
				" must be in range 0...MAX_UINT32 (4294967295) (" + v.Pos.String() + ")"}
		}
		c.ReconnectWaitTime = v.I
	}
	return c, nil
}

func parseLoggers(lg *kjson.Element) []Logger {
	var out []Logger
	for _, l := range lg.L {
		lo := Logger{Severity: "INFO"}
		if v := l.Get("name"); v != nil {
			lo.Name = v.S
		}
		if v := l.Get("severity"); v != nil {
			lo.Severity = v.S
		}
		if v := l.Get("debuglevel"); v != nil {
			lo.DebugLevel = int(v.I)
		}
		opts := l.Get("output_options")
		if opts == nil {
			opts = l.Get("output-options")
		}
		if opts != nil {
			for _, o := range opts.L {
				out := LoggerOutput{Output: "stdout", MaxSize: 10240000, MaxVer: 1}
				if v := o.Get("output"); v != nil {
					out.Output = v.S
				}
				if v := o.Get("flush"); v != nil {
					out.Flush = v.B
				} else {
					out.Flush = true
				}
				if v := o.Get("maxsize"); v != nil {
					out.MaxSize = v.I
				}
				if v := o.Get("maxver"); v != nil {
					out.MaxVer = int(v.I)
				}
				if v := o.Get("pattern"); v != nil {
					out.Pattern = v.S
				}
				lo.Outputs = append(lo.Outputs, out)
			}
		}
		out = append(out, lo)
	}
	return out
}

// triplet reads name, min-name and max-name of a scope with Kea's rules
// (SimpleParser::parseIntTriplet). fallback supplies the default value
// when the scope has no name (the global defaults).
func triplet(scope *kjson.Element, name string, fallback map[string]*kjson.Element) (Triplet, error) {
	var t Triplet
	get := func(k string) (uint32, bool) {
		v := scope.Get(k)
		if v == nil && k == name && fallback != nil {
			v = fallback[k]
		}
		if v == nil {
			return 0, false
		}
		// Kea reads an integer and keeps its low 32 bits.
		return uint32(v.I), true
	}
	value, hasValue := get(name)
	minV, hasMin := get("min-" + name)
	maxV, hasMax := get("max-" + name)
	if !hasValue && !hasMin && !hasMax {
		return t, nil
	}
	switch {
	case hasValue:
		if !hasMin {
			minV = value
		}
		if !hasMax {
			maxV = value
		}
	case hasMin:
		if hasMax {
			return t, &Error{Msg: "have min-" + name + " and max-" + name + " but no " + name + " (default) in " + scope.Pos.String()}
		}
		value, maxV = minV, minV
	default:
		minV, value = maxV, maxV
	}
	u := func(v uint32) string { return strconv.FormatUint(uint64(v), 10) }
	if minV > maxV {
		switch {
		case hasMin && hasMax:
			return t, &Error{Msg: "the value of min-" + name + " (" + u(minV) + ") is not less than max-" + name + " (" + u(maxV) + ")"}
		case hasMin:
			return t, &Error{Msg: "the value of min-" + name + " (" + u(minV) + ") is not less than (default) " + name + " (" + u(value) + ")"}
		default:
			return t, &Error{Msg: "the value of (default) " + name + " (" + u(value) + ") is not less than max-" + name + " (" + u(maxV) + ")"}
		}
	}
	if value < minV || value > maxV {
		return t, &Error{Msg: "the value of (default) " + name + " (" + u(value) + ") is not between min-" + name +
			" (" + u(minV) + ") and max-" + name + " (" + u(maxV) + ")"}
	}
	return Triplet{Default: value, Min: minV, Max: maxV, Set: true, MinSet: hasMin, MaxSet: hasMax}, nil
}

// resolveTriplet returns the subnet's lifetime: its own, or what Kea
// derived into it from its shared network or the global scope.
func (s *Server) resolveTriplet(sub *Subnet, name string) Triplet {
	if t, _ := tripletOf(sub.Params, name); !t.Unspecified() {
		return t
	}
	if name == "preferred-lifetime" {
		return s.PreferredLifetime
	}
	return s.ValidLifetime
}

func tripletOf(params map[string]*kjson.Element, name string) (Triplet, error) {
	return tripletAt(params, name, kjson.Pos{})
}

func tripletAt(params map[string]*kjson.Element, name string, pos kjson.Pos) (Triplet, error) {
	m := &kjson.Element{Kind: kjson.Map, Pos: pos, M: map[string]*kjson.Element{}}
	for _, k := range []string{name, "min-" + name, "max-" + name} {
		if v := params[k]; v != nil {
			m.M[k] = v
		}
	}
	return triplet(m, name, nil)
}

func (s *Server) network(name string) *SharedNetwork {
	if name == "" {
		return nil
	}
	for _, sn := range s.SharedNetworks {
		if sn.Name == name {
			return sn
		}
	}
	return nil
}

// sharedNetworkChecks applies Kea's final checks of shared networks: the
// subnets of one network name the same interface (or none), and every
// network has a name.
func (s *Server) sharedNetworkChecks() error {
	str := func(m map[string]*kjson.Element, k string) string {
		if v := m[k]; v != nil {
			return v.S
		}
		return ""
	}
	for _, sn := range s.SharedNetworks {
		iface := str(sn.Params, "interface")
		txt := ""
		for _, sub := range sn.Subnets {
			si := str(sub.Params, "interface")
			if si == "" {
				si = str(sn.Params, "interface")
			}
			if iface == "" {
				iface = si
				continue
			}
			if si == "" {
				continue
			}
			if si != iface {
				return &Error{Msg: "Subnet " + sub.Prefix.String() + " has specified interface " + si +
					", but earlier subnet in the same shared-network or the shared-network itself used " + iface}
			}
			txt += sub.Prefix.String() + " "
		}
		if sn.Name == "" {
			return &Error{Msg: "Shared-network with subnets " + txt + " is missing mandatory 'name' parameter"}
		}
	}
	return nil
}

// checkMultiThreading applies Kea's checks of the multi-threading map.
func checkMultiThreading(mt *kjson.Element) error {
	if mt == nil {
		return nil
	}
	for _, p := range []struct{ key, what string }{{"thread-pool-size", "thread pool size"}, {"packet-queue-size", "packet queue size"}} {
		v := mt.Get(p.key)
		if v == nil {
			continue
		}
		if v.I < 0 {
			return cfgErr(p.what+" code must not be negative", v)
		}
		if v.I > 65535 {
			return cfgErr("invalid "+p.what+" '"+strconv.FormatInt(v.I, 10)+"', it must not be greater than '65535'", v)
		}
	}
	return nil
}

// checkExpiration applies Kea's range checks of expired-leases-processing.
func checkExpiration(e *kjson.Element) error {
	if e == nil {
		return nil
	}
	for _, p := range []struct {
		key string
		max int64
	}{
		{"reclaim-timer-wait-time", 65535}, {"flush-reclaimed-timer-wait-time", 65535},
		{"hold-reclaimed-time", 1<<32 - 1}, {"max-reclaim-leases", 1<<32 - 1},
		{"max-reclaim-time", 10000}, {"unwarned-reclaim-cycles", 65535},
	} {
		v := e.Get(p.key)
		if v == nil {
			continue
		}
		if v.I < 0 {
			return cfgErr("value for configuration parameter '"+p.key+"' must not be negative", v)
		}
		if v.I > p.max {
			return cfgErr("out range value '"+strconv.FormatInt(v.I, 10)+"' for configuration parameter '"+p.key+
				"', expected maximum value of '"+strconv.FormatInt(p.max, 10)+"'", v)
		}
	}
	return nil
}

// formatDouble formats a number as C++ streams do by default.
func formatDouble(f float64) string { return strconv.FormatFloat(f, 'g', 6, 64) }

// checkNetworkParams applies Kea's checks of a subnet's or shared
// network's T1/T2 percentages (when it calculates them) and cache
// threshold; params holds derived values too.
func checkNetworkParams(params map[string]*kjson.Element) error {
	if ct := params["calculate-tee-times"]; ct != nil && ct.B {
		t1, t2 := params["t1-percent"], params["t2-percent"]
		if t2 != nil && (t2.F <= 0 || t2.F >= 1) {
			return &Error{Msg: "t2-percent:  " + formatDouble(t2.F) + " is invalid, it must be greater than 0.0 and less than 1.0"}
		}
		if t1 != nil && (t1.F <= 0 || t1.F >= 1) {
			return &Error{Msg: "t1-percent:  " + formatDouble(t1.F) + " is invalid it must be greater than 0.0 and less than 1.0"}
		}
		if t1 != nil && t2 != nil && t1.F >= t2.F {
			return &Error{Msg: "t1-percent:  " + formatDouble(t1.F) + " is invalid, it must be less than t2-percent: " + formatDouble(t2.F)}
		}
	}
	if c := params["cache-threshold"]; c != nil && (c.F <= 0 || c.F >= 1) {
		return &Error{Msg: "cache-threshold: " + formatDouble(c.F) + " is invalid, it must be greater than 0.0 and less than 1.0"}
	}
	return nil
}
