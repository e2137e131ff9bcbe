package leasecmds

import (
	"errors"
	"fmt"

	"github.com/lessor-dhcp/lessor/internal/kjson"
	"github.com/lessor-dhcp/lessor/lease"
)

// optional reads an optional parameter with get when present.
func optional[T any](scope *kjson.Element, name string, get func(*kjson.Element, string) (T, error), dflt T) (T, error) {
	ok, err := has(scope, name)
	if err != nil || !ok {
		return dflt, err
	}
	return get(scope, name)
}

// userContext applies Kea's user-context and comment rules.
func userContext(info *kjson.Element) (*kjson.Element, error) {
	ctx := info.M["user-context"]
	if ctx != nil && ctx.Kind != kjson.Map {
		return nil, fmt.Errorf("Invalid user context '%s' is not a JSON map.", ctx.Str())
	}
	comment := info.M["comment"]
	if comment != nil {
		if ctx != nil && ctx.Contains("comment") {
			return nil, fmt.Errorf("Duplicated comment entry '%s' in user context '%s'", comment.Str(), ctx.Str())
		}
		if ctx != nil {
			ctx = ctx.Copy()
		} else {
			ctx = kjson.NewMap()
		}
		ctx.Set("comment", comment)
	}
	if ctx != nil {
		ctx = stripPos(ctx.Copy())
	}
	return ctx, nil
}

// stripPos drops positions, so that stored user contexts carry none.
func stripPos(e *kjson.Element) *kjson.Element {
	e.Pos = kjson.Pos{}
	for _, v := range e.L {
		stripPos(v)
	}
	for _, v := range e.M {
		stripPos(v)
	}
	return e
}

// common holds the fields both lease parsers read after the subnet.
type common struct {
	validLft uint32
	cltt     int64
	fqdnFwd  bool
	fqdnRev  bool
	hostname string
	state    uint8
}

func parseExpire(env *Env, info *kjson.Element, c *common, addrText string) error {
	ok, err := has(info, "expire")
	if err != nil {
		return err
	}
	if !ok {
		c.cltt = env.now()
		return nil
	}
	exp, err := getInteger(info, "expire")
	if err != nil {
		return err
	}
	if exp <= 0 {
		return fmt.Errorf("expiration time must be positive for address %s", addrText)
	}
	if exp < int64(c.validLft) {
		return fmt.Errorf("expiration time must be greater than valid lifetime for address %s", addrText)
	}
	c.cltt = exp - int64(c.validLft)
	return nil
}

func parseNames(info *kjson.Element, c *common) error {
	var err error
	if c.fqdnFwd, err = optional(info, "fqdn-fwd", getBoolean, false); err != nil {
		return err
	}
	if c.fqdnRev, err = optional(info, "fqdn-rev", getBoolean, false); err != nil {
		return err
	}
	if c.hostname, err = optional(info, "hostname", getString, ""); err != nil {
		return err
	}
	if c.hostname == "" && (c.fqdnFwd || c.fqdnRev) {
		return errors.New("No hostname specified and either forward or reverse fqdn was set to true.")
	}
	c.hostname = asciiLower(c.hostname)
	if c.state, err = optional(info, "state", getUint8, 0); err != nil {
		return err
	}
	if c.state > uint8(lease.StateExpiredReclaimed) {
		return fmt.Errorf("Invalid state value: %d, supported values are: 0 (default), 1 (declined) and 2 (expired-reclaimed)", c.state)
	}
	return nil
}

// parseLease4 is Kea's Lease4Parser::parse.
func parseLease4(env *Env, cfg *Config, info *kjson.Element) (*lease.Lease4, bool, error) {
	if info == nil {
		return nil, false, errors.New("lease information missing")
	}
	addr, err := getAddress(info, "ip-address")
	if err != nil {
		return nil, false, err
	}
	if !is4(addr) {
		return nil, false, fmt.Errorf("Non-IPv4 address specified: %s", addr)
	}
	hwText, err := getString(info, "hw-address")
	if err != nil {
		return nil, false, err
	}
	hw, err := lease.ParseHWAddr(hwText)
	if err != nil {
		return nil, false, err
	}
	subnetID, err := optional(info, "subnet-id", getUint32, 0)
	if err != nil {
		return nil, false, err
	}
	var subnet *Subnet
	if subnetID != 0 {
		subnet = cfg.Subnets4.ByID(subnetID)
		if subnet == nil {
			return nil, false, fmt.Errorf("Invalid subnet-id: No IPv4 subnet with subnet-id=%d currently configured.", subnetID)
		}
		if !subnet.Contains(addr) {
			return nil, false, fmt.Errorf("The address %s does not belong to subnet %s, subnet-id=%d", addr, subnet, subnetID)
		}
	} else {
		subnet = cfg.Subnets4.Select(addr)
		if subnet == nil {
			return nil, false, fmt.Errorf("subnet-id not specified and failed to find a subnet for address %s", addr)
		}
		subnetID = subnet.ID
	}
	var clientID []byte
	if ok, err := has(info, "client-id"); err != nil {
		return nil, false, err
	} else if ok {
		txt, err := getString(info, "client-id")
		if err != nil {
			return nil, false, err
		}
		if clientID, err = lease.ParseClientID(txt); err != nil {
			return nil, false, err
		}
	}
	var c common
	if c.validLft, err = optional(info, "valid-lft", getUint32, subnet.Valid); err != nil {
		return nil, false, err
	}
	if err := parseExpire(env, info, &c, addr.String()); err != nil {
		return nil, false, err
	}
	if err := parseNames(info, &c); err != nil {
		return nil, false, err
	}
	uctx, err := userContext(info)
	if err != nil {
		return nil, false, err
	}
	force, err := optional(info, "force-create", getBoolean, false)
	if err != nil {
		return nil, false, err
	}
	return &lease.Lease4{
		Addr: addr, HWAddr: hw, HWType: lease.HTypeEther, ClientID: clientID,
		ValidLft: c.validLft, CLTT: c.cltt, SubnetID: subnetID,
		FqdnFwd: c.fqdnFwd, FqdnRev: c.fqdnRev, Hostname: c.hostname,
		State: lease.State(c.state), UserContext: uctx,
	}, force, nil
}

// parseLease6 is Kea's Lease6Parser::parse.
func parseLease6(env *Env, cfg *Config, info *kjson.Element) (*lease.Lease6, bool, error) {
	if info == nil {
		return nil, false, errors.New("lease information missing")
	}
	addr, err := getAddress(info, "ip-address")
	if err != nil {
		return nil, false, err
	}
	if is4(addr) {
		return nil, false, fmt.Errorf("Non-IPv6 address specified: %s", addr)
	}
	duidText, err := getString(info, "duid")
	if err != nil {
		return nil, false, err
	}
	duid, err := lease.ParseDUID(duidText)
	if err != nil {
		return nil, false, err
	}
	typ := lease.TypeNA
	prefixLen := uint8(128)
	if ok, err := has(info, "type"); err != nil {
		return nil, false, err
	} else if ok {
		txt, err := getString(info, "type")
		if err != nil {
			return nil, false, err
		}
		switch txt {
		case "IA_NA":
		case "IA_TA":
			typ = lease.TypeTA
		case "IA_PD":
			typ = lease.TypePD
			if prefixLen, err = getUint8(info, "prefix-len"); err != nil {
				return nil, false, err
			}
		default:
			return nil, false, fmt.Errorf("Incorrect lease type: %s, the only supported values are: na, ta and pd", txt)
		}
	}
	subnetID, err := optional(info, "subnet-id", getUint32, 0)
	if err != nil {
		return nil, false, err
	}
	var subnet *Subnet
	if subnetID != 0 {
		subnet = cfg.Subnets6.ByID(subnetID)
		if subnet == nil {
			return nil, false, fmt.Errorf("Invalid subnet-id: No IPv6 subnet with subnet-id=%d currently configured.", subnetID)
		}
		if typ == lease.TypeNA && !subnet.Contains(addr) {
			return nil, false, fmt.Errorf("The address %s does not belong to subnet %s, subnet-id=%d", addr, subnet, subnetID)
		}
	} else {
		if typ != lease.TypeNA {
			return nil, false, errors.New("Subnet-id is 0 or not specified. This is allowed for address leases only, not prefix leases.")
		}
		subnet = cfg.Subnets6.Select(addr)
		if subnet == nil {
			return nil, false, fmt.Errorf("subnet-id not specified and failed to find a subnet for address %s", addr)
		}
		subnetID = subnet.ID
	}
	iaid, err := getUint32(info, "iaid")
	if err != nil {
		return nil, false, err
	}
	var hw []byte
	if ok, err := has(info, "hw-address"); err != nil {
		return nil, false, err
	} else if ok {
		txt, err := getString(info, "hw-address")
		if err != nil {
			return nil, false, err
		}
		if hw, err = lease.ParseHWAddr(txt); err != nil {
			return nil, false, err
		}
		if hw == nil {
			hw = []byte{}
		}
	}
	var c common
	if c.validLft, err = optional(info, "valid-lft", getUint32, subnet.Valid); err != nil {
		return nil, false, err
	}
	// Kea 2.2 defaults the preferred lifetime to the subnet's valid lifetime.
	pref, err := optional(info, "preferred-lft", getUint32, subnet.Valid)
	if err != nil {
		return nil, false, err
	}
	if err := parseExpire(env, info, &c, addr.String()); err != nil {
		return nil, false, err
	}
	if err := parseNames(info, &c); err != nil {
		return nil, false, err
	}
	if lease.State(c.state) == lease.StateDeclined && typ == lease.TypePD {
		return nil, false, errors.New("Invalid declined state for PD prefix.")
	}
	uctx, err := userContext(info)
	if err != nil {
		return nil, false, err
	}
	force, err := optional(info, "force-create", getBoolean, false)
	if err != nil {
		return nil, false, err
	}
	l := &lease.Lease6{
		Addr: addr, Type: typ, PrefixLen: prefixLen, IAID: iaid, DUID: duid,
		PreferredLft: pref, ValidLft: c.validLft, CLTT: c.cltt, SubnetID: subnetID,
		FqdnFwd: c.fqdnFwd, FqdnRev: c.fqdnRev, Hostname: c.hostname,
		HWAddr: hw, State: lease.State(c.state), UserContext: uctx,
	}
	if hw != nil {
		l.HWType = lease.HTypeEther
	}
	return l, force, nil
}

// asciiLower lower-cases ASCII letters only, as Kea's boost::to_lower in
// the C locale does (UTF-8 bytes are left alone).
func asciiLower(s string) string {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= 'A' && c <= 'Z' {
			b := []byte(s)
			for j := i; j < len(b); j++ {
				if b[j] >= 'A' && b[j] <= 'Z' {
					b[j] += 'a' - 'A'
				}
			}
			return string(b)
		}
	}
	return s
}
