package leasecmds

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/netip"
	"strconv"
	"strings"

	"github.com/lessor-dhcp/lessor/internal/control"
	"github.com/lessor-dhcp/lessor/internal/kjson"
	"github.com/lessor-dhcp/lessor/lease"
	"github.com/lessor-dhcp/lessor/store"
)

// Names lists the commands this package registers, as list-commands shows them.
var Names = []string{
	"lease4-add", "lease4-del", "lease4-get", "lease4-get-all", "lease4-get-by-client-id",
	"lease4-get-by-hostname", "lease4-get-by-hw-address", "lease4-get-page",
	"lease4-resend-ddns", "lease4-update", "lease4-wipe",
	"lease6-add", "lease6-bulk-apply", "lease6-del", "lease6-get", "lease6-get-all",
	"lease6-get-by-duid", "lease6-get-by-hostname", "lease6-get-page",
	"lease6-resend-ddns", "lease6-update", "lease6-wipe",
}

// Register adds the lease commands to a registry.
func Register(reg *control.Registry, env *Env) {
	h := &handlers{env: env}
	wrap := func(f func(context.Context, *control.Command) *kjson.Element) control.Handler {
		return func(ctx context.Context, c *control.Command) (*kjson.Element, error) { return f(ctx, c), nil }
	}
	reg.Register("lease4-add", wrap(h.add))
	reg.Register("lease6-add", wrap(h.add))
	reg.Register("lease4-get", wrap(h.get))
	reg.Register("lease6-get", wrap(h.get))
	reg.Register("lease4-get-all", wrap(h.getAll))
	reg.Register("lease6-get-all", wrap(h.getAll))
	reg.Register("lease4-get-page", wrap(h.getPage))
	reg.Register("lease6-get-page", wrap(h.getPage))
	reg.Register("lease4-get-by-hw-address", wrap(h.getByHWAddr))
	reg.Register("lease4-get-by-client-id", wrap(h.getByClientID))
	reg.Register("lease6-get-by-duid", wrap(h.getByDUID))
	reg.Register("lease4-get-by-hostname", wrap(h.getByHostname))
	reg.Register("lease6-get-by-hostname", wrap(h.getByHostname))
	reg.Register("lease4-del", wrap(h.del4))
	reg.Register("lease6-del", wrap(h.del6))
	reg.Register("lease4-update", wrap(h.update))
	reg.Register("lease6-update", wrap(h.update))
	reg.Register("lease4-wipe", wrap(h.wipe))
	reg.Register("lease6-wipe", wrap(h.wipe))
	reg.Register("lease4-resend-ddns", wrap(h.resendDDNS))
	reg.Register("lease6-resend-ddns", wrap(h.resendDDNS))
	reg.Register("lease6-bulk-apply", wrap(h.bulkApply6))
}

type handlers struct {
	env *Env
	ext bool // lessor's extended arguments are honoured
}

func errAnswer(err error) *kjson.Element { return control.Error(err.Error()) }

func is6Cmd(name string) bool { return strings.HasPrefix(name, "lease6-") }

func familyText(v6 bool) string {
	if v6 {
		return "IPv6"
	}
	return "IPv4"
}

// storeError gives the text of a store failure.
func storeError(err error) error {
	return err
}

func (h *handlers) add(ctx context.Context, c *control.Command) *kjson.Element {
	if c.Args == nil {
		return control.Error("no parameters specified for the command")
	}
	cfg := h.env.Config()
	if !is6Cmd(c.Name) {
		l, _, err := parseLease4(h.env, cfg, c.Args)
		if err != nil {
			return errAnswer(err)
		}
		if err := h.env.Store4.AddLease4(ctx, l); err != nil {
			if errors.Is(err, store.ErrExists) {
				return control.Error("IPv4 lease already exists.")
			}
			return errAnswer(storeError(err))
		}
		onAdd(h.env.Stats, sl4(l))
		return control.Answer(0, fmt.Sprintf("Lease for address %s, subnet-id %d added.", l.Addr, l.SubnetID), nil)
	}
	l, _, err := parseLease6(h.env, cfg, c.Args)
	if err != nil {
		return errAnswer(err)
	}
	if err := h.env.Store6.AddLease6(ctx, l); err != nil {
		if errors.Is(err, store.ErrExists) {
			return control.Error("IPv6 lease already exists.")
		}
		return errAnswer(storeError(err))
	}
	onAdd(h.env.Stats, sl6(l))
	if l.Type == lease.TypeNA {
		return control.Answer(0, fmt.Sprintf("Lease for address %s, subnet-id %d added.", l.Addr, l.SubnetID), nil)
	}
	return control.Answer(0, fmt.Sprintf("Lease for prefix %s/%d, subnet-id %d added.", l.Addr, l.PrefixLen, l.SubnetID), nil)
}

// queryType is the kind of lookup lease*-get and lease*-del do.
type queryType int

const (
	byAddr queryType = iota
	byHWAddr
	byDUID
	byClientID
)

// parameters is Kea's LeaseCmdsImpl::Parameters.
type parameters struct {
	addr      netip.Addr
	leaseType int // 0..2 lease.Type, 3 = V4
	subnetID  uint32
	iaid      uint32
	query     queryType
	hw        []byte
	clientID  []byte
	duid      []byte
	updateDNS bool
	// outOfRange: subnet-id or iaid does not fit in 32 bits, so no lease
	// can match (Kea 2.2 truncates the value and matches another lease).
	outOfRange bool
}

func outside32(v int64) bool { return v < 0 || v > 0xffffffff }

var zero6 = netip.IPv6Unspecified()

func getParameters(v6 bool, params *kjson.Element) (*parameters, error) {
	x := &parameters{addr: zero6}
	if params == nil || params.Kind != kjson.Map {
		return nil, errors.New("Parameters missing or are not a map.")
	}
	if t := params.M["update-ddns"]; t != nil {
		if t.Kind != kjson.Bool {
			return nil, errors.New("'update-ddns' is not a boolean")
		}
		x.updateDNS = t.B
	}
	if t := params.M["type"]; t != nil {
		s, err := t.StringValue()
		if err != nil {
			return nil, err
		}
		switch s {
		case "IA_NA", "0":
			x.leaseType = int(lease.TypeNA)
		case "IA_TA", "1":
			x.leaseType = int(lease.TypeTA)
		case "IA_PD", "2":
			x.leaseType = int(lease.TypePD)
		case "V4", "3":
			x.leaseType = 3
		default:
			return nil, fmt.Errorf("Invalid lease type specified: %s, only supported values are: IA_NA, IA_TA, IA_PD and V4", s)
		}
	}
	if t := params.M["ip-address"]; t != nil {
		if t.Kind != kjson.String {
			return nil, errors.New("'ip-address' is not a string.")
		}
		a, err := parseIOAddress(t.S)
		if err != nil {
			return nil, err
		}
		if v6 == is4(a) {
			return nil, fmt.Errorf("Invalid %s address specified: %s", familyText(v6), t.S)
		}
		x.addr = a
		x.query = byAddr
		return x, nil
	}
	t := params.M["subnet-id"]
	if t == nil {
		return nil, errors.New("Mandatory 'subnet-id' parameter missing.")
	}
	if t.Kind != kjson.Int {
		return nil, errors.New("'subnet-id' parameter is not integer.")
	}
	x.subnetID = uint32(t.I)
	x.outOfRange = outside32(t.I)
	if t := params.M["iaid"]; t != nil {
		v, err := t.IntValue()
		if err != nil {
			return nil, err
		}
		x.iaid = uint32(v)
		x.outOfRange = x.outOfRange || outside32(v)
	}
	typ, ident := params.M["identifier-type"], params.M["identifier"]
	if typ == nil || typ.Kind != kjson.String {
		return nil, errors.New("No 'ip-address' provided and 'identifier-type' is either missing or not a string.")
	}
	if ident == nil || ident.Kind != kjson.String {
		return nil, errors.New("No 'ip-address' provided and 'identifier' is either missing or not a string.")
	}
	var err error
	switch typ.S {
	case "address":
		x.query = byAddr
	case "hw-address":
		x.query = byHWAddr
		x.hw, err = lease.ParseHWAddr(ident.S)
	case "duid":
		x.query = byDUID
		x.duid, err = lease.ParseDUID(ident.S)
	case "client-id":
		x.query = byClientID
		x.clientID, err = lease.ParseClientID(ident.S)
	default:
		return nil, fmt.Errorf("Incorrect identifier type: %s, the only supported values are: address, hw-address, duid", typ.S)
	}
	if err != nil {
		return nil, err
	}
	return x, nil
}

// get6ByIAID is Kea's LeaseMgr::getLease6(type, duid, iaid, subnet).
func (h *handlers) get6ByIAID(ctx context.Context, p *parameters) (*lease.Lease6, error) {
	if p.leaseType > int(lease.TypePD) || p.outOfRange {
		return nil, nil
	}
	ls, err := h.env.Store6.GetLeases6ByIAID(ctx, lease.Type(p.leaseType), p.duid, p.iaid, p.subnetID)
	if err != nil {
		return nil, err
	}
	if len(ls) > 1 {
		return nil, fmt.Errorf("More than one lease found for type %d, duid %s, iaid %d and subnet-id %d",
			p.leaseType, lease.FormatHex(p.duid), p.iaid, p.subnetID)
	}
	if len(ls) == 0 {
		return nil, nil
	}
	return ls[0], nil
}

func (h *handlers) get4ByHW(ctx context.Context, p *parameters) (*lease.Lease4, error) {
	if p.outOfRange {
		return nil, nil
	}
	return h.env.Store4.GetLease4ByHWAddr(ctx, p.hw, p.subnetID)
}

func (h *handlers) get4ByClientID(ctx context.Context, p *parameters) (*lease.Lease4, error) {
	if p.outOfRange {
		return nil, nil
	}
	return h.env.Store4.GetLease4ByClientID(ctx, p.clientID, p.subnetID)
}

func (h *handlers) get6ByAddr(ctx context.Context, p *parameters) (*lease.Lease6, error) {
	if p.leaseType > int(lease.TypePD) || p.addr.Is4() {
		return nil, nil
	}
	return h.env.Store6.GetLease6(ctx, lease.Type(p.leaseType), p.addr)
}

func (h *handlers) get4ByAddr(ctx context.Context, a netip.Addr) (*lease.Lease4, error) {
	if !a.Is4() {
		return nil, nil
	}
	return h.env.Store4.GetLease4(ctx, a)
}

func (h *handlers) get(ctx context.Context, c *control.Command) *kjson.Element {
	v6 := is6Cmd(c.Name)
	p, err := getParameters(v6, c.Args)
	if err != nil {
		return errAnswer(err)
	}
	var l4 *lease.Lease4
	var l6 *lease.Lease6
	switch p.query {
	case byAddr:
		if v6 {
			l6, err = h.get6ByAddr(ctx, p)
		} else {
			l4, err = h.get4ByAddr(ctx, p.addr)
		}
	case byHWAddr:
		if v6 {
			return control.Error("Query by hw-address is not allowed in v6.")
		}
		l4, err = h.get4ByHW(ctx, p)
	case byDUID:
		if !v6 {
			return control.Error("Query by duid is not allowed in v4.")
		}
		l6, err = h.get6ByIAID(ctx, p)
	case byClientID:
		if v6 {
			return control.Error("Query by client-id is not allowed in v6.")
		}
		l4, err = h.get4ByClientID(ctx, p)
	}
	if err != nil {
		return errAnswer(storeError(err))
	}
	switch {
	case !v6 && l4 != nil:
		return control.Answer(0, "IPv4 lease found.", l4.JSONElement())
	case v6 && l6 != nil:
		return control.Answer(0, "IPv6 lease found.", l6.JSONElement())
	}
	return control.Answer(control.ResultEmpty, "Lease not found.", nil)
}

// leaseList builds the answer of the commands that return lease lists.
func leaseList(v6 bool, items []*kjson.Element, withCount bool) *kjson.Element {
	args := kjson.NewMap()
	args.Set("leases", kjson.NewList(items...))
	if withCount {
		args.Set("count", kjson.NewInt(int64(len(items))))
	}
	res := control.ResultSuccess
	if len(items) == 0 {
		res = control.ResultEmpty
	}
	return control.Answer(res, strconv.Itoa(len(items))+" "+familyText(v6)+" lease(s) found.", args)
}

func elems4(ls []*lease.Lease4, out []*kjson.Element) []*kjson.Element {
	for _, l := range ls {
		out = append(out, l.JSONElement())
	}
	return out
}

func elems6(ls []*lease.Lease6, out []*kjson.Element) []*kjson.Element {
	for _, l := range ls {
		out = append(out, l.JSONElement())
	}
	return out
}

func (h *handlers) getAll(ctx context.Context, c *control.Command) *kjson.Element {
	v6 := is6Cmd(c.Name)
	var items []*kjson.Element
	if c.Args != nil {
		subnets, err := c.Args.MapGet("subnets")
		if err != nil {
			return errAnswer(err)
		}
		if subnets == nil {
			return control.Error("'subnets' parameter not specified")
		}
		if subnets.Kind != kjson.List {
			return control.Error("'subnets' parameter must be a list")
		}
		for _, id := range subnets.L {
			if id.Kind != kjson.Int {
				return control.Error("listed subnet identifiers must be numbers")
			}
			if outside32(id.I) {
				continue // no subnet has this id (Kea 2.2 truncates it)
			}
			if v6 {
				ls, err := h.env.Store6.GetLeases6BySubnet(ctx, uint32(id.I))
				if err != nil {
					return errAnswer(storeError(err))
				}
				items = elems6(ls, items)
			} else {
				ls, err := h.env.Store4.GetLeases4BySubnet(ctx, uint32(id.I))
				if err != nil {
					return errAnswer(storeError(err))
				}
				items = elems4(ls, items)
			}
		}
		return leaseList(v6, items, false)
	}
	return h.streamAll(ctx, v6)
}

// streamAll answers leaseN-get-all without arguments. The leases are
// written to the client as they are read, page by page, so the server's
// memory does not grow with the lease count; the answer's bytes are the
// ones leaseList would build (result and text come after the list in
// Kea's key order, so they are known when written).
func (h *handlers) streamAll(ctx context.Context, v6 bool) *kjson.Element {
	count := 0
	leases := &kjson.Element{Kind: kjson.Lazy, Gen: func(w kjson.Writer) {
		w.WriteString("[ ")
		err := h.walkAll(ctx, v6, func(e *kjson.Element) {
			if count > 0 {
				w.WriteString(", ")
			}
			e.Write(w)
			count++
		})
		if err != nil && h.env.Log != nil {
			h.env.Log.Error("listing all leases failed part way", "err", err)
		}
		w.WriteString(" ]")
	}}
	result := &kjson.Element{Kind: kjson.Lazy, Gen: func(w kjson.Writer) {
		if count > 0 {
			w.WriteString("0")
		} else {
			w.WriteString("3")
		}
	}}
	text := &kjson.Element{Kind: kjson.Lazy, Gen: func(w kjson.Writer) {
		kjson.WriteString(w, strconv.Itoa(count)+" "+familyText(v6)+" lease(s) found.")
	}}
	ans := kjson.NewMap()
	ans.Set("arguments", kjson.NewMap().Set("leases", leases))
	ans.Set("result", result)
	ans.Set("text", text)
	return ans
}

// walkAll visits every lease of a family in address order, page by page.
func (h *handlers) walkAll(ctx context.Context, v6 bool, fn func(*kjson.Element)) error {
	const page = 4096
	if v6 {
		after := netip.IPv6Unspecified()
		first := true
		for {
			ls, err := h.env.Store6.GetLeases6Page(ctx, after, page)
			if err != nil {
				return err
			}
			if first {
				// "::" itself may hold a lease; a page starts after it.
				first = false
				if l, err := h.env.Store6.GetLease6(ctx, lease.TypeNA, after); err == nil && l != nil {
					fn(l.JSONElement())
				}
			}
			for _, l := range ls {
				fn(l.JSONElement())
			}
			if len(ls) < page {
				return nil
			}
			after = ls[len(ls)-1].Addr
		}
	}
	after := netip.IPv4Unspecified()
	first := true
	for {
		ls, err := h.env.Store4.GetLeases4Page(ctx, after, page)
		if err != nil {
			return err
		}
		if first {
			first = false
			if l, err := h.env.Store4.GetLease4(ctx, after); err == nil && l != nil {
				fn(l.JSONElement())
			}
		}
		for _, l := range ls {
			fn(l.JSONElement())
		}
		if len(ls) < page {
			return nil
		}
		after = ls[len(ls)-1].Addr
	}
}

func (h *handlers) getPage(ctx context.Context, c *control.Command) *kjson.Element {
	v6 := is6Cmd(c.Name)
	if c.Args == nil {
		return control.Error("no parameters specified for the " + c.Name + " command")
	}
	from, err := c.Args.MapGet("from")
	if err != nil {
		return errAnswer(err)
	}
	if from == nil {
		return control.Error("'from' parameter not specified")
	}
	if from.Kind != kjson.String {
		return control.Error("'from' parameter must be a string")
	}
	var addr netip.Addr
	if from.S == "start" {
		if v6 {
			addr = netip.IPv6Unspecified()
		} else {
			addr = netip.IPv4Unspecified()
		}
	} else if addr, err = parseIOAddress(from.S); err != nil {
		return control.Error(fmt.Sprintf("'from' parameter value is neither 'start' keyword nor a valid %s address", familyText(v6)))
	}
	if !v6 && !addr.Is4() {
		return control.Error(fmt.Sprintf("'from' parameter value %s is not an IPv4 address", addr))
	} else if v6 && addr.Is4() {
		return control.Error(fmt.Sprintf("'from' parameter value %s is not an IPv6 address", addr))
	}
	limit := c.Args.M["limit"]
	if limit == nil {
		return control.Error("'limit' parameter not specified")
	}
	if limit.Kind != kjson.Int {
		return control.Error("'limit' parameter must be a number")
	}
	// Kea converts the limit to size_t: a negative number becomes huge.
	size := uint64(limit.I)
	if size == 0 {
		return control.Error("page size of retrieved leases must not be 0")
	}
	if size > math.MaxUint32 {
		return control.Error(fmt.Sprintf("page size of retrieved leases must not be greater than %d", uint64(math.MaxUint32)))
	}
	var f *pageFilter
	if h.ext {
		if f, err = parsePageFilter(c.Args); err != nil {
			return errAnswer(err)
		}
	}
	var items []*kjson.Element
	if f != nil {
		if items, err = h.filteredPage(ctx, v6, addr, int(size), f); err != nil {
			return errAnswer(storeError(err))
		}
		return leaseList(v6, items, true)
	}
	if v6 {
		ls, err := h.env.Store6.GetLeases6Page(ctx, addr, int(size))
		if err != nil {
			return errAnswer(storeError(err))
		}
		items = elems6(ls, nil)
	} else {
		ls, err := h.env.Store4.GetLeases4Page(ctx, addr, int(size))
		if err != nil {
			return errAnswer(storeError(err))
		}
		items = elems4(ls, nil)
	}
	return leaseList(v6, items, true)
}

// byParam reads the single string parameter of the get-by-* commands.
func byParam(c *control.Command, name string) (string, error) {
	if c.Args == nil || c.Args.Kind != kjson.Map {
		return "", errors.New("Command arguments missing or a not a map.")
	}
	v := c.Args.M[name]
	if v == nil {
		return "", fmt.Errorf("'%s' parameter not specified", name)
	}
	if v.Kind != kjson.String {
		return "", fmt.Errorf("'%s' parameter must be a string", name)
	}
	return v.S, nil
}

// getByIdentifier answers the get-by-* commands that take one identifier:
// the argument is read and parsed with Kea's texts, then every lease
// holding that identifier is listed.
func getByIdentifier(c *control.Command, param string, parse func(string) ([]byte, error), list func([]byte) ([]*kjson.Element, error), v6 bool) *kjson.Element {
	txt, err := byParam(c, param)
	if err != nil {
		return errAnswer(err)
	}
	id, err := parse(txt)
	if err != nil {
		return errAnswer(err)
	}
	items, err := list(id)
	if err != nil {
		return errAnswer(storeError(err))
	}
	return leaseList(v6, items, false)
}

func (h *handlers) getByHWAddr(ctx context.Context, c *control.Command) *kjson.Element {
	return getByIdentifier(c, "hw-address", lease.ParseHWAddr, func(hw []byte) ([]*kjson.Element, error) {
		ls, err := h.env.Store4.GetLeases4ByHWAddr(ctx, hw)
		return elems4(ls, nil), err
	}, false)
}

func (h *handlers) getByClientID(ctx context.Context, c *control.Command) *kjson.Element {
	return getByIdentifier(c, "client-id", lease.ParseClientID, func(cid []byte) ([]*kjson.Element, error) {
		ls, err := h.env.Store4.GetLeases4ByClientID(ctx, cid)
		return elems4(ls, nil), err
	}, false)
}

func (h *handlers) getByDUID(ctx context.Context, c *control.Command) *kjson.Element {
	return getByIdentifier(c, "duid", lease.ParseDUID, func(duid []byte) ([]*kjson.Element, error) {
		ls, err := h.env.Store6.GetLeases6ByDUID(ctx, duid)
		return elems6(ls, nil), err
	}, true)
}

func (h *handlers) getByHostname(ctx context.Context, c *control.Command) *kjson.Element {
	v6 := is6Cmd(c.Name)
	name, err := byParam(c, "hostname")
	if err != nil {
		return errAnswer(err)
	}
	if name == "" {
		return control.Error("'hostname' parameter is empty")
	}
	name = asciiLower(name)
	var items []*kjson.Element
	if v6 {
		ls, err := h.env.Store6.GetLeases6ByHostname(ctx, name)
		if err != nil {
			return errAnswer(storeError(err))
		}
		items = elems6(ls, nil)
	} else {
		ls, err := h.env.Store4.GetLeases4ByHostname(ctx, name)
		if err != nil {
			return errAnswer(storeError(err))
		}
		items = elems4(ls, nil)
	}
	return leaseList(v6, items, false)
}

func (h *handlers) del4(ctx context.Context, c *control.Command) *kjson.Element {
	p, err := getParameters(false, c.Args)
	if err != nil {
		return errAnswer(err)
	}
	var l *lease.Lease4
	switch p.query {
	case byAddr:
		l, err = h.get4ByAddr(ctx, p.addr)
	case byHWAddr:
		l, err = h.get4ByHW(ctx, p)
	case byClientID:
		l, err = h.get4ByClientID(ctx, p)
	case byDUID:
		return control.Error("Delete by duid is not allowed in v4.")
	}
	if err != nil {
		return errAnswer(storeError(err))
	}
	if l == nil {
		return control.Answer(control.ResultEmpty, "IPv4 lease not found.", nil)
	}
	var ans *kjson.Element
	if err := h.env.Store4.DeleteLease4(ctx, l); err != nil {
		if !errors.Is(err, store.ErrNotFound) {
			return errAnswer(storeError(err))
		}
		ans = control.Answer(control.ResultEmpty, "IPv4 lease not found.", nil)
	} else {
		ans = control.Answer(0, "IPv4 lease deleted.", nil)
		onDelete(h.env.Stats, sl4(l))
	}
	if p.updateDNS {
		h.env.Config().DNS.Queue4(l, false)
	}
	return ans
}

func (h *handlers) del6(ctx context.Context, c *control.Command) *kjson.Element {
	p, err := getParameters(true, c.Args)
	if err != nil {
		return errAnswer(err)
	}
	var l *lease.Lease6
	switch p.query {
	case byAddr:
		l, err = h.get6ByAddr(ctx, p)
	case byHWAddr:
		return control.Error("Delete by hw-address is not allowed in v6.")
	case byDUID:
		l, err = h.get6ByIAID(ctx, p)
	case byClientID:
		return control.Error(fmt.Sprintf("Unknown query type: %d", int(byClientID)))
	}
	if err != nil {
		return errAnswer(storeError(err))
	}
	if l == nil {
		return control.Answer(control.ResultEmpty, "IPv6 lease not found.", nil)
	}
	var ans *kjson.Element
	if err := h.env.Store6.DeleteLease6(ctx, l); err != nil {
		if !errors.Is(err, store.ErrNotFound) {
			return errAnswer(storeError(err))
		}
		ans = control.Answer(control.ResultEmpty, "IPv6 lease not found.", nil)
	} else {
		ans = control.Answer(0, "IPv6 lease deleted.", nil)
		onDelete(h.env.Stats, sl6(l))
	}
	if p.updateDNS {
		h.env.Config().DNS.Queue6(l, false)
	}
	return ans
}

func updateFailed(a netip.Addr) error {
	return fmt.Errorf("failed to update the lease with address %s either because the lease has been deleted or it has changed in the database, in both cases a retry might succeed", a)
}

// addOrUpdate4 is Kea's LeaseCmdsImpl::addOrUpdate4; true when added.
func (h *handlers) addOrUpdate4(ctx context.Context, l *lease.Lease4, force bool) (bool, error) {
	existing, err := h.env.Store4.GetLease4(ctx, l.Addr)
	if err != nil {
		return false, err
	}
	if force && existing == nil {
		if err := h.env.Store4.AddLease4(ctx, l); err != nil {
			if errors.Is(err, store.ErrExists) {
				return false, errors.New("lost race between calls to get and add")
			}
			return false, err
		}
		onAdd(h.env.Stats, sl4(l))
		return true, nil
	}
	if existing == nil {
		return false, updateFailed(l.Addr)
	}
	if err := h.env.Store4.UpdateLease4(ctx, l); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return false, updateFailed(l.Addr)
		}
		return false, err
	}
	onUpdate(h.env.Stats, sl4(existing), sl4(l))
	return false, nil
}

// addOrUpdate6 is Kea's LeaseCmdsImpl::addOrUpdate6; true when added.
func (h *handlers) addOrUpdate6(ctx context.Context, l *lease.Lease6, force bool) (bool, error) {
	existing, err := h.env.Store6.GetLease6(ctx, l.Type, l.Addr)
	if err != nil {
		return false, err
	}
	if force && existing == nil {
		if err := h.env.Store6.AddLease6(ctx, l); err != nil {
			if errors.Is(err, store.ErrExists) {
				return false, errors.New("lost race between calls to get and add")
			}
			return false, err
		}
		onAdd(h.env.Stats, sl6(l))
		return true, nil
	}
	if existing == nil {
		return false, updateFailed(l.Addr)
	}
	if err := h.env.Store6.UpdateLease6(ctx, l); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return false, updateFailed(l.Addr)
		}
		return false, err
	}
	onUpdate(h.env.Stats, sl6(existing), sl6(l))
	return false, nil
}

func (h *handlers) update(ctx context.Context, c *control.Command) *kjson.Element {
	v6 := is6Cmd(c.Name)
	if c.Args == nil {
		return control.Error("no parameters specified for " + c.Name + " command")
	}
	cfg := h.env.Config()
	var added bool
	if v6 {
		l, force, err := parseLease6(h.env, cfg, c.Args)
		if err != nil {
			return errAnswer(err)
		}
		if added, err = h.addOrUpdate6(ctx, l, force); err != nil {
			return errAnswer(err)
		}
	} else {
		l, force, err := parseLease4(h.env, cfg, c.Args)
		if err != nil {
			return errAnswer(err)
		}
		if added, err = h.addOrUpdate4(ctx, l, force); err != nil {
			return errAnswer(err)
		}
	}
	if added {
		return control.Answer(0, familyText(v6)+" lease added.", nil)
	}
	return control.Answer(0, familyText(v6)+" lease updated.", nil)
}

func (h *handlers) wipe(ctx context.Context, c *control.Command) *kjson.Element {
	v6 := is6Cmd(c.Name)
	var id uint32
	if c.Args != nil {
		ok, err := c.Args.MapContains("subnet-id")
		if err != nil {
			return control.Error(err.Error())
		}
		if ok {
			if id, err = getUint32(c.Args, "subnet-id"); err != nil {
				return errAnswer(err)
			}
		}
	}
	st := h.env.Stats
	cfg := h.env.Config()
	wipeOne := func(id uint32) (int, error) {
		if v6 {
			return h.env.Store6.WipeLeases6(ctx, id)
		}
		return h.env.Store4.WipeLeases4(ctx, id)
	}
	zeroStats := func(id uint32) {
		if v6 {
			st.Set(statsName(id, "assigned-nas"), 0)
			st.Set(statsName(id, "assigned-pds"), 0)
		} else {
			st.Set(statsName(id, assigned4), 0)
		}
		st.Set(statsName(id, declined), 0)
	}
	num := 0
	var ids strings.Builder
	if id != 0 {
		n, err := wipeOne(id)
		if err != nil {
			return errAnswer(storeError(err))
		}
		num = n
		ids.WriteString(" " + strconv.FormatUint(uint64(id), 10))
		prev, _ := st.Value(statsName(id, declined))
		zeroStats(id)
		st.Add(declined, -prev)
	} else {
		subs := cfg.Subnets4
		if v6 {
			subs = cfg.Subnets6
		}
		for _, sn := range subs.All() {
			n, err := wipeOne(sn.ID)
			if err != nil {
				return errAnswer(storeError(err))
			}
			num += n
			ids.WriteString(" " + strconv.FormatUint(uint64(sn.ID), 10))
			zeroStats(sn.ID)
		}
		st.Set(declined, 0)
	}
	res := control.ResultSuccess
	if num == 0 {
		res = control.ResultEmpty
	}
	return control.Answer(res, fmt.Sprintf("Deleted %d %s lease(s) from subnet(s)%s", num, familyText(v6), ids.String()), nil)
}

func (h *handlers) resendDDNS(ctx context.Context, c *control.Command) *kjson.Element {
	v6 := is6Cmd(c.Name)
	args := c.Args
	if args == nil {
		// Kea 2.2 aborts here; lessor answers as for a missing address.
		return control.Error("'ip-address' parameter is missing.")
	}
	param, err := args.MapGet("ip-address")
	if err != nil {
		return errAnswer(err)
	}
	if param == nil {
		return control.Error("'ip-address' parameter is missing.")
	}
	if param.Kind != kjson.String {
		return control.Error("'ip-address' is not a string.")
	}
	addr, err := parseIOAddress(param.S)
	if err != nil {
		return control.Error("'" + param.S + "' is not a valid IP address.")
	}
	if addr.Is4() == v6 {
		return control.Error(fmt.Sprintf("Invalid %s address specified: %s", familyText(v6), param.S))
	}
	dns := h.env.Config().DNS
	if !dns.Enabled() {
		return control.Error("DDNS updating is not enabled")
	}
	var hostname string
	var fwd, rev bool
	var l4 *lease.Lease4
	var l6 *lease.Lease6
	if v6 {
		l6, err = h.env.Store6.GetLease6(ctx, lease.TypeNA, addr)
		if l6 != nil {
			hostname, fwd, rev = l6.Hostname, l6.FqdnFwd, l6.FqdnRev
		}
	} else {
		l4, err = h.env.Store4.GetLease4(ctx, addr)
		if l4 != nil {
			hostname, fwd, rev = l4.Hostname, l4.FqdnFwd, l4.FqdnRev
		}
	}
	switch {
	case err != nil:
		return errAnswer(storeError(err))
	case l4 == nil && l6 == nil:
		return control.Answer(control.ResultEmpty, "No lease found for: "+addr.String(), nil)
	case hostname == "":
		return control.Error("Lease for: " + addr.String() + ", has no hostname, nothing to update")
	case !fwd && !rev:
		return control.Error("Neither forward nor reverse updates enabled for lease for: " + addr.String())
	}
	if v6 {
		dns.Queue6(l6, true)
	} else {
		dns.Queue4(l4, true)
	}
	return control.Answer(0, "NCR generated for: "+addr.String()+", hostname: "+hostname, nil)
}

func statsName(id uint32, name string) string {
	return "subnet[" + strconv.FormatUint(uint64(id), 10) + "]." + name
}
