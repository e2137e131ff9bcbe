package config

import (
	"net/netip"
	"sort"
	"strconv"
	"strings"

	"github.com/lessor-dhcp/lessor/internal/kjson"
)

// noBlanks removes the spaces and tabs Kea ignores in subnet and pool
// texts.
var noBlanks = strings.NewReplacer(" ", "", "\t", "")

// maxSubnetID is the largest subnet id Kea accepts.
const maxSubnetID = 4294967294

// buildSubnets reads shared-networks then subnet4/subnet6, in Kea's order;
// subnets without an id (or with id 0) get the next number of a counter
// that starts at 1, as Kea 2.2 numbers them (an id given explicitly may
// then clash, which is an error).
func (s *Server) buildSubnets(sec *kjson.Element) error {
	listKey := "subnet4"
	if s.Family == 6 {
		listKey = "subnet6"
	}
	nextID := uint32(1)
	seenPrefix := map[string]bool{}
	// Kea derives some parameters (lifetimes, timers, ...) from the
	// global scope (defaults included) into shared networks and subnets,
	// and from shared networks into their subnets, before parsing them.
	derive := func(from, to map[string]*kjson.Element, raw *kjson.Element) {
		for _, k := range inheritToSubnet[s.Family] {
			if raw.Get(k) == nil && from[k] != nil {
				to[k] = from[k]
			}
		}
	}
	parse := func(raw *kjson.Element, sn *SharedNetwork) (*Subnet, error) {
		params := scalars(raw)
		if sn != nil {
			derive(sn.Params, params, raw)
		} else {
			derive(s.Params, params, raw)
		}
		sub, err := s.parseSubnet(raw, params, &nextID)
		if err != nil {
			return nil, err
		}
		if cc := raw.Get("client-class"); cc != nil && cc.S != "" {
			sub.classRestricted = true
		}
		if sn != nil {
			sub.SharedNetwork = sn.Name
			if cc := sn.Raw.Get("client-class"); cc != nil && cc.S != "" {
				sub.classRestricted = true
			}
		}
		return sub, nil
	}
	// register adds a subnet to the server's set, refusing a second use
	// of an id or prefix; at tells where (nil for no position).
	register := func(sub *Subnet, at *kjson.Element) error {
		if s.byID[sub.ID] != nil {
			return cfgErr("ID of the new IPv"+strconv.Itoa(s.Family)+" subnet '"+strconv.FormatUint(uint64(sub.ID), 10)+"' is already in use", at)
		}
		if seenPrefix[sub.Prefix.String()] {
			return cfgErr("subnet with the prefix of '"+sub.Prefix.String()+"' already exists", at)
		}
		seenPrefix[sub.Prefix.String()] = true
		s.byID[sub.ID] = sub
		s.idOrder = append(s.idOrder, sub)
		s.Subnets = append(s.Subnets, sub)
		return nil
	}
	if nets := sec.Get("shared-networks"); nets != nil {
		names := map[string]bool{}
		for _, n := range nets.L {
			sn, err := s.parseNetwork(n, listKey, derive, parse)
			if err != nil {
				if s.Family == 6 {
					// Kea's IPv6 shared network parser adds the
					// network's position to every error.
					err = cfgErr(err.Error(), n)
				}
				return err
			}
			if names[sn.Name] {
				return cfgErr("duplicate network '"+sn.Name+"' found in the configuration", nets)
			}
			names[sn.Name] = true
			s.SharedNetworks = append(s.SharedNetworks, sn)
		}
		// Then their subnets join the server's (no position in errors).
		for _, sn := range s.SharedNetworks {
			for _, sub := range sn.Subnets {
				if err := register(sub, nil); err != nil {
					return err
				}
			}
		}
	}
	if l := sec.Get(listKey); l != nil {
		for _, raw := range l.L {
			sub, err := parse(raw, nil)
			if err != nil {
				return err
			}
			if err := register(sub, raw); err != nil {
				return err
			}
		}
	}
	sort.Slice(s.idOrder, func(i, j int) bool { return s.idOrder[i].ID < s.idOrder[j].ID })
	return nil
}

// parseNetwork reads one shared network and its subnets, with Kea's
// checks in Kea's order.
func (s *Server) parseNetwork(n *kjson.Element, listKey string,
	derive func(from, to map[string]*kjson.Element, raw *kjson.Element),
	parse func(raw *kjson.Element, sn *SharedNetwork) (*Subnet, error)) (*SharedNetwork, error) {
	name := n.Get("name")
	if name == nil {
		return nil, cfgErr("missing parameter 'name'", n)
	}
	sn := &SharedNetwork{Name: name.S, Params: scalars(n), Raw: n}
	derive(s.Params, sn.Params, n)
	if err := checkTimers(sn.Params); err != nil {
		return nil, err
	}
	if _, err := tripletAt(sn.Params, "valid-lifetime", n.Pos); err != nil {
		return nil, err
	}
	if s.Family == 6 {
		if _, err := tripletAt(sn.Params, "preferred-lifetime", n.Pos); err != nil {
			return nil, err
		}
	}
	if err := checkOptionData(n); err != nil {
		return nil, err
	}
	if l := n.Get(listKey); l != nil {
		ids := map[uint32]bool{}
		prefixes := map[string]bool{}
		for _, raw := range l.L {
			sub, err := parse(raw, sn)
			if err != nil {
				return nil, err
			}
			if ids[sub.ID] || prefixes[sub.Prefix.String()] {
				return nil, cfgErr("can't store subnet because of conflict", raw)
			}
			ids[sub.ID], prefixes[sub.Prefix.String()] = true, true
			sn.Subnets = append(sn.Subnets, sub)
		}
	}
	if err := s.checkRelay(n.Get("relay")); err != nil {
		return nil, err
	}
	if err := checkNetworkParams(sn.Params); err != nil {
		return nil, err
	}
	return sn, nil
}

// parseAddr parses an address as Kea (inet_pton) does: no zones.
func parseAddr(s string) (netip.Addr, bool) {
	a, err := netip.ParseAddr(s)
	if err != nil || a.Zone() != "" {
		return netip.Addr{}, false
	}
	return a, true
}

// parseSubnet reads one subnet map, with Kea's checks in Kea's order:
// pools, prefix, id, lifetimes, then pools against the subnet.
func (s *Server) parseSubnet(raw *kjson.Element, params map[string]*kjson.Element, nextID *uint32) (*Subnet, error) {
	sub := &Subnet{Raw: raw, Params: params, UserContext: raw.Get("user-context")}
	type rawPool struct {
		p   Pool
		elt *kjson.Element
	}
	var pools []rawPool
	if pl := raw.Get("pools"); pl != nil {
		for _, pe := range pl.L {
			if err := checkOptionData(pe); err != nil {
				return nil, err
			}
			p, err := s.parsePool(pe)
			if err != nil {
				return nil, err
			}
			pools = append(pools, rawPool{p, pe})
		}
	}
	if pd := raw.Get("pd-pools"); pd != nil {
		for _, pe := range pd.L {
			p, err := parsePDPool(pe)
			if err != nil {
				return nil, err
			}
			sub.PDPools = append(sub.PDPools, p)
		}
	}
	if err := checkOptionData(raw); err != nil {
		return nil, err
	}
	if err := s.checkRelay(raw.Get("relay")); err != nil {
		return nil, err
	}
	failed := func(err error) error {
		return &Error{Msg: "subnet configuration failed: " + err.Error()}
	}
	se := raw.Get("subnet")
	if se == nil {
		return nil, failed(cfgErr("mandatory 'subnet' parameter is missing for a subnet being configured", raw))
	}
	txt := noBlanks.Replace(se.S)
	slash := strings.IndexByte(txt, '/')
	if slash < 0 {
		return nil, failed(cfgErr("Invalid subnet syntax (prefix/len expected):"+txt, se))
	}
	addr, ok := parseAddr(txt[:slash])
	if !ok {
		return nil, failed(&Error{Msg: "Failed to convert string to address '" + txt[:slash] + "': Invalid argument"})
	}
	lenTxt := txt[slash+1:]
	plen, err := parseCUnsigned(lenTxt)
	if err != nil {
		return nil, failed(cfgErr("prefix length: '"+lenTxt+"' is not an integer", se))
	}
	if (addr.Is4() && plen > 32) || (addr.Is6() && plen > 128) {
		return nil, failed(cfgErr("Invalid prefix length specified for subnet: "+strconv.FormatUint(uint64(plen), 10), se))
	}
	var id int64
	if ie := raw.Get("id"); ie != nil {
		id = ie.I
	}
	if id < 0 || id > maxSubnetID {
		return nil, failed(&Error{Msg: "The 'id' value (" + strconv.FormatInt(id, 10) + ") is not within expected range: (0 - 4294967294)"})
	}
	if s.Family == 4 && !addr.Is4() {
		return nil, failed(&Error{Msg: "Non IPv4 prefix " + addr.String() + " specified in subnet4"})
	}
	if s.Family == 6 && !addr.Is6() {
		return nil, failed(&Error{Msg: "Non IPv6 prefix " + addr.String() + " specified in subnet6"})
	}
	sub.Prefix = netip.PrefixFrom(addr, int(plen))
	sub.masked = sub.Prefix.Masked()
	if err := checkTimers(params); err != nil {
		return nil, failed(err)
	}
	if _, err := tripletAt(params, "valid-lifetime", raw.Pos); err != nil {
		return nil, failed(err)
	}
	if s.Family == 6 {
		if _, err := tripletAt(params, "preferred-lifetime", raw.Pos); err != nil {
			return nil, failed(err)
		}
	}
	if err := checkNetworkParams(params); err != nil {
		return nil, failed(err)
	}
	if id == 0 {
		id = int64(*nextID)
		*nextID++
		if *nextID > maxSubnetID {
			*nextID = 1
		}
	}
	sub.ID = uint32(id)
	typ := "V4"
	if s.Family == 6 {
		typ = "IA_NA"
	}
	// Pools are added to the subnet in order (address pools, then prefix
	// pools); each must lie in the subnet (prefix pools excepted) and not
	// overlap one added before it (of any type, for IPv6).
	type added struct{ first, last netip.Addr }
	var done []added
	masked := sub.Prefix.Masked()
	check := func(typ string, first, last netip.Addr, inSubnet bool) error {
		rangeText := first.String() + "-" + last.String()
		if inSubnet && (!masked.Contains(first) || !masked.Contains(last)) {
			return failed(cfgErr("a pool of type "+typ+", with the following address range: "+rangeText+
				" does not match the prefix of a subnet: "+sub.Prefix.String()+" to which it is being added", raw))
		}
		for _, q := range done {
			if first.Compare(q.last) <= 0 && q.first.Compare(last) <= 0 {
				return failed(cfgErr("a pool of type "+typ+", with the following address range: "+rangeText+
					" overlaps with an existing pool in the subnet: "+sub.Prefix.String()+" to which it is being added", raw))
			}
		}
		done = append(done, added{first, last})
		return nil
	}
	for _, rp := range pools {
		if err := check(typ, rp.p.First, rp.p.Last, true); err != nil {
			return nil, err
		}
		sub.Pools = append(sub.Pools, rp.p)
	}
	for _, p := range sub.PDPools {
		if err := check("IA_PD", p.Prefix.Addr(), lastAddr(p.Prefix), false); err != nil {
			return nil, err
		}
	}
	if err := s.checkReservations(sub); err != nil {
		return nil, err
	}
	return sub, nil
}

// parseCUnsigned converts as the C++ conversion to unsigned int Kea uses
// does: digits with an optional sign, a minus wrapping around.
func parseCUnsigned(s string) (uint32, error) {
	neg := false
	t := s
	if strings.HasPrefix(t, "-") || strings.HasPrefix(t, "+") {
		neg = t[0] == '-'
		t = t[1:]
	}
	v, err := strconv.ParseUint(t, 10, 32)
	if err != nil || t == "" {
		return 0, &Error{Msg: "not an integer"}
	}
	if neg {
		return uint32(-int64(v)), nil
	}
	return uint32(v), nil
}

// lastAddr is the last address of a prefix.
func lastAddr(p netip.Prefix) netip.Addr {
	a := p.Masked().Addr().AsSlice()
	bits := p.Bits()
	for i := range a {
		for b := 0; b < 8; b++ {
			if i*8+b >= bits {
				a[i] |= 0x80 >> b
			}
		}
	}
	out, _ := netip.AddrFromSlice(a)
	return out
}

// parsePool reads a "pool" entry: "first - last" or "prefix/len".
func (s *Server) parsePool(pe *kjson.Element) (Pool, error) {
	tp := pe.Get("pool")
	if tp == nil {
		return Pool{}, &Error{Msg: "Mandatory 'pool' entry missing in definition: (" + pe.Pos.String() + ")"}
	}
	txt := noBlanks.Replace(tp.S)
	parseFail := func() error { return cfgErr("Failed to parse pool definition: "+txt, tp) }
	createFail := func() error { return cfgErr("Failed to create pool defined by: "+txt, tp) }
	want4 := s.Family == 4
	if slash := strings.IndexByte(txt, '/'); slash >= 0 {
		addr, ok := parseAddr(txt[:slash])
		if !ok {
			return Pool{}, parseFail()
		}
		n, err := strconv.ParseInt(strings.TrimPrefix(txt[slash+1:], "+"), 10, 32)
		if err != nil || n < 0 || n > 255 {
			return Pool{}, parseFail()
		}
		if addr.Is4() != want4 || n == 0 || (want4 && n > 32) || (!want4 && n > 128) {
			return Pool{}, createFail()
		}
		p := netip.PrefixFrom(addr, int(n))
		return Pool{First: p.Masked().Addr(), Last: lastAddr(p)}, nil
	}
	if dash := strings.IndexByte(txt, '-'); dash >= 0 {
		first, ok1 := parseAddr(txt[:dash])
		last, ok2 := parseAddr(txt[dash+1:])
		if !ok1 || !ok2 {
			return Pool{}, parseFail()
		}
		if first.Is4() != want4 || last.Is4() != want4 || last.Less(first) {
			return Pool{}, createFail()
		}
		return Pool{First: first, Last: last}, nil
	}
	return Pool{}, cfgErr("invalid pool definition: "+tp.S+
		". There are two acceptable formats <min address-max address> or <prefix/len>", tp)
}

// parsePDPool reads a "pd-pools" entry.
func parsePDPool(pe *kjson.Element) (PDPool, error) {
	fail := func(msg string) error { return cfgErr(msg, pe) }
	u8 := func(k string) (int, error) {
		v := pe.Get(k)
		if v == nil {
			return 0, nil
		}
		if v.I < 0 || v.I > 255 {
			return 0, cfgErr("out of range value ("+strconv.FormatInt(v.I, 10)+") specified for parameter '"+k+"'", v)
		}
		return int(v.I), nil
	}
	plen, err := u8("prefix-len")
	if err != nil {
		return PDPool{}, err
	}
	dlen, err := u8("delegated-len")
	if err != nil {
		return PDPool{}, err
	}
	xlen, err := u8("excluded-prefix-len")
	if err != nil {
		return PDPool{}, err
	}
	var ps string
	if v := pe.Get("prefix"); v != nil {
		ps = v.S
	}
	addr, ok := parseAddr(ps)
	if !ok {
		return PDPool{}, fail("Failed to convert string to address '" + ps + "': Invalid argument")
	}
	if !addr.Is6() {
		return PDPool{}, fail("Invalid Pool6 address boundaries: not IPv6")
	}
	if plen == 0 || plen > 128 {
		return PDPool{}, fail("Invalid prefix length: " + strconv.Itoa(plen))
	}
	if plen > dlen {
		return PDPool{}, fail("Delegated length (" + strconv.Itoa(dlen) + ") must be longer than or equal to prefix length (" + strconv.Itoa(plen) + ")")
	}
	if xlen != 0 && xlen < dlen {
		return PDPool{}, fail("Excluded prefix (" + strconv.Itoa(xlen) + ") must be longer than or equal to the delegated prefix length (" + strconv.Itoa(dlen) + ")")
	}
	out := PDPool{Prefix: netip.PrefixFrom(addr, plen), DelegatedLen: dlen}
	xs := "::"
	if v := pe.Get("excluded-prefix"); v != nil {
		xs = v.S
	}
	xaddr, ok := parseAddr(xs)
	if !ok {
		return PDPool{}, fail("Failed to convert string to address '" + xs + "': Invalid argument")
	}
	if !xaddr.Is6() {
		return PDPool{}, fail("excluded prefix must be an IPv6 prefix")
	}
	zero := xaddr == netip.IPv6Unspecified()
	if (zero && xlen != 0) || (!zero && xlen == 0) {
		return PDPool{}, fail("invalid excluded prefix " + xaddr.String() + "/" + strconv.Itoa(xlen))
	}
	if !zero {
		if xlen > 128 {
			return PDPool{}, fail("excluded prefix length " + strconv.Itoa(xlen) + " must not be greater than 128")
		}
		if xlen <= dlen {
			return PDPool{}, fail("excluded prefix length " + strconv.Itoa(xlen) + " must be lower than the delegated prefix length " + strconv.Itoa(dlen))
		}
		out.ExcludedPrefix = netip.PrefixFrom(xaddr, xlen)
	}
	return out, nil
}

// SubnetByID returns the subnet with this id, or nil.
func (s *Server) SubnetByID(id uint32) *Subnet { return s.byID[id] }

// SelectSubnet returns the subnet whose prefix holds addr, as Kea selects
// a subnet for a lease given without subnet-id: subnets are tried in
// ascending id order (the order of Kea's subnet container) and the first
// match wins; a subnet restricted to a client class (by its own
// "client-class" or its shared network's) is never selected, since the
// lease commands select with no client classes. Nil if none.
func (s *Server) SelectSubnet(addr netip.Addr) *Subnet {
	for _, sub := range s.idOrder {
		if !sub.classRestricted && sub.masked.Contains(addr) {
			return sub
		}
	}
	return nil
}

// Param resolves a parameter such as "ddns-send-updates" with Kea's
// inheritance: subnet, then shared network, then global (globals include
// Kea's defaults). Nil if unset everywhere. sub may be nil (global only).
func (s *Server) Param(sub *Subnet, name string) *kjson.Element {
	if sub != nil {
		if v := sub.Params[name]; v != nil {
			return v
		}
		if sn := s.network(sub.SharedNetwork); sn != nil {
			if v := sn.Params[name]; v != nil {
				return v
			}
		}
	}
	return s.Params[name]
}

// InPool reports whether addr lies in one of the subnet's address pools,
// or in one of its prefix delegation pools.
func (sub *Subnet) InPool(addr netip.Addr) bool {
	for _, p := range sub.Pools {
		if p.First.Compare(addr) <= 0 && addr.Compare(p.Last) <= 0 {
			return true
		}
	}
	for _, p := range sub.PDPools {
		if p.Prefix.Masked().Contains(addr) {
			return true
		}
	}
	return false
}

// InPDPool reports whether the delegated prefix lies in one of the
// subnet's prefix delegation pools.
func (sub *Subnet) InPDPool(prefix netip.Prefix) bool {
	for _, p := range sub.PDPools {
		if p.Prefix.Masked().Contains(prefix.Addr()) {
			return true
		}
	}
	return false
}

// checkTimers applies Kea's checks of renew-timer and rebind-timer in a
// subnet or shared network (derived values included).
func checkTimers(params map[string]*kjson.Element) error {
	renew, rebind := params["renew-timer"], params["rebind-timer"]
	for _, t := range []struct {
		name string
		e    *kjson.Element
	}{{"renew-timer", renew}, {"rebind-timer", rebind}} {
		if t.e != nil && t.e.I < 0 {
			return &Error{Msg: "the value of " + t.name + " (" + strconv.FormatInt(t.e.I, 10) + ") must be a positive number"}
		}
	}
	if renew != nil && rebind != nil && renew.I > rebind.I {
		return &Error{Msg: "the value of renew-timer (" + strconv.FormatInt(renew.I, 10) +
			") is greater than the value of rebind-timer (" + strconv.FormatInt(rebind.I, 10) + ")"}
	}
	return nil
}

// checkOptionData applies Kea's first check of option-data entries: each
// names its option by code or name.
func checkOptionData(scope *kjson.Element) error {
	od := scope.Get("option-data")
	if od == nil {
		return nil
	}
	for _, o := range od.L {
		if o.Get("code") == nil && o.Get("name") == nil {
			return cfgErr("option data configuration requires one of 'code' or 'name' parameters to be specified", o)
		}
	}
	return nil
}

// checkRelay applies Kea's checks of a "relay" map.
func (s *Server) checkRelay(relay *kjson.Element) error {
	if relay == nil {
		return nil
	}
	one, list := relay.Get("ip-address"), relay.Get("ip-addresses")
	if one != nil && list != nil {
		return &Error{Msg: "specify either ip-address or ip-addresses, not both"}
	}
	if one == nil && list == nil {
		return &Error{Msg: "ip-addresses is required"}
	}
	fam := "IPv4"
	if s.Family == 6 {
		fam = "IPv6"
	}
	check := func(text string, at *kjson.Element, seen map[netip.Addr]bool) error {
		a, ok := parseAddr(text)
		if !ok {
			return cfgErr("address "+text+" is not a valid: "+fam+"address", at)
		}
		if a.Is4() != (s.Family == 4) {
			return cfgErr("address "+text+" is not a: "+fam+"address", at)
		}
		if seen[a] {
			return cfgErr("cannot add address: "+text+" to relay info: RelayInfo already contains address: "+a.String(), at)
		}
		seen[a] = true
		return nil
	}
	seen := map[netip.Addr]bool{}
	if one != nil {
		return check(one.S, one, seen)
	}
	for _, a := range list.L {
		if err := check(a.S, list, seen); err != nil {
			return err
		}
	}
	return nil
}

// checkReservations applies Kea's check that reserved addresses lie in
// their subnet (other reservation checks are not made: lessor does not
// serve reservations).
func (s *Server) checkReservations(sub *Subnet) error {
	rs := sub.Raw.Get("reservations")
	if rs == nil {
		return nil
	}
	masked := sub.Prefix.Masked()
	outside := func(text string) error {
		a, ok := parseAddr(text)
		if !ok || masked.Contains(a) || (s.Family == 4 && a == netip.IPv4Unspecified()) {
			return nil
		}
		return &Error{Msg: "specified reservation '" + a.String() + "' is not within the IPv" +
			strconv.Itoa(s.Family) + " subnet '" + sub.Prefix.String() + "'"}
	}
	for _, r := range rs.L {
		if s.Family == 4 {
			if ip := r.Get("ip-address"); ip != nil {
				if err := outside(ip.S); err != nil {
					return err
				}
			}
			continue
		}
		if ips := r.Get("ip-addresses"); ips != nil {
			for _, ip := range ips.L {
				if err := outside(ip.S); err != nil {
					return err
				}
			}
		}
	}
	return nil
}
