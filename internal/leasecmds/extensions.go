package leasecmds

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/lessor-dhcp/lessor/internal/control"
	"github.com/lessor-dhcp/lessor/internal/kjson"
	"github.com/lessor-dhcp/lessor/lease"
)

// Extensions are the lease commands beyond Kea 2.2: some from later Kea
// versions (same names and shapes), some of lessor's own. They are
// registered only when the configuration asks for them
// ("user-context": {"lessor": {"extensions": true}} in Dhcp4/Dhcp6), so that
// a plain Kea 2.2 configuration gets exactly Kea 2.2's command set.
var ExtensionNames = []string{
	"lease4-get-by-state", "lease6-get-by-state", "lease6-get-by-hw-address",
	"lease4-write", "lease6-write", "lease4-bulk-apply",
}

// RegisterExtensions adds the extension commands and turns on the
// extended arguments of the Kea 2.2 commands (get-page filters, atomic
// bulk apply).
func RegisterExtensions(reg *control.Registry, env *Env) {
	h := &handlers{env: env, ext: true}
	wrap := func(f func(context.Context, *control.Command) *kjson.Element) control.Handler {
		return func(ctx context.Context, c *control.Command) (*kjson.Element, error) { return f(ctx, c), nil }
	}
	reg.Register("lease4-get-by-state", wrap(h.getByState))
	reg.Register("lease6-get-by-state", wrap(h.getByState))
	reg.Register("lease6-get-by-hw-address", wrap(h.getByHWAddr6))
	reg.Register("lease4-write", wrap(h.write))
	reg.Register("lease6-write", wrap(h.write))
	reg.Register("lease4-bulk-apply", wrap(h.bulkApply4))
	reg.Register("lease6-bulk-apply", wrap(h.bulkApply6))
	reg.Register("lease4-get-page", wrap(h.getPage))
	reg.Register("lease6-get-page", wrap(h.getPage))
}

var stateNames = map[string]lease.State{
	"default": lease.StateDefault, "assigned": lease.StateDefault,
	"declined": lease.StateDeclined, "expired-reclaimed": lease.StateExpiredReclaimed,
	"released": 3, "registered": 4,
}

func stateText(s uint32) string {
	names := []string{"default", "declined", "expired-reclaimed", "released", "registered"}
	if int(s) < len(names) {
		return names[s] + " (" + strconv.FormatUint(uint64(s), 10) + ")"
	}
	return strconv.FormatUint(uint64(s), 10)
}

// parseState reads a "state" given as a number or a name.
func parseState(e *kjson.Element) (uint32, error) {
	switch e.Kind {
	case kjson.String:
		if e.S == "" {
			return 0, errors.New("'state' parameter is empty")
		}
		st, ok := stateNames[e.S]
		if !ok {
			return 0, fmt.Errorf("'state' parameter value (%s) is not recognized", e.S)
		}
		return uint32(st), nil
	case kjson.Int:
		return uint32(e.I), nil
	}
	return 0, errors.New("'state' parameter must be a number or a string")
}

// walkMatching visits every lease of a family, page by page, keeping those
// match accepts.
func (h *handlers) walkMatching(ctx context.Context, v6 bool, match4 func(*lease.Lease4) bool, match6 func(*lease.Lease6) bool) ([]*kjson.Element, error) {
	var out []*kjson.Element
	const page = 4096
	if v6 {
		after := netip.IPv6Unspecified()
		for {
			ls, err := h.env.Store6.GetLeases6Page(ctx, after, page)
			if err != nil {
				return nil, err
			}
			for _, l := range ls {
				if match6(l) {
					out = append(out, l.ToElement())
				}
			}
			if len(ls) < page {
				return out, nil
			}
			after = ls[len(ls)-1].Addr
		}
	}
	after := netip.IPv4Unspecified()
	for {
		ls, err := h.env.Store4.GetLeases4Page(ctx, after, page)
		if err != nil {
			return nil, err
		}
		for _, l := range ls {
			if match4(l) {
				out = append(out, l.ToElement())
			}
		}
		if len(ls) < page {
			return out, nil
		}
		after = ls[len(ls)-1].Addr
	}
}

// getByState is leaseN-get-by-state (Kea 3.1): leases of one state,
// optionally of one subnet.
func (h *handlers) getByState(ctx context.Context, c *control.Command) *kjson.Element {
	v6 := is6Cmd(c.Name)
	if c.Args == nil || c.Args.Kind != kjson.Map {
		return control.Error("Command arguments missing or a not a map.")
	}
	st := c.Args.M["state"]
	if st == nil {
		return control.Error("'state' parameter not specified")
	}
	state, err := parseState(st)
	if err != nil {
		return errAnswer(err)
	}
	var subnet uint32
	if sn := c.Args.M["subnet-id"]; sn != nil {
		if sn.Kind != kjson.Int {
			return control.Error("'subnet-id' parameter must be a number")
		}
		if sn.I < 0 || sn.I > 0xffffffff {
			return control.Error("'subnet-id' parameter must be a 32 bit unsigned integer")
		}
		subnet = uint32(sn.I)
	}
	items, err := h.walkMatching(ctx, v6,
		func(l *lease.Lease4) bool { return uint32(l.State) == state && (subnet == 0 || l.SubnetID == subnet) },
		func(l *lease.Lease6) bool { return uint32(l.State) == state && (subnet == 0 || l.SubnetID == subnet) })
	if err != nil {
		return errAnswer(err)
	}
	text := fmt.Sprintf("%d %s lease(s) found with state %s", len(items), familyText(v6), stateText(state))
	if subnet != 0 {
		text += fmt.Sprintf(" in subnet %d", subnet)
	}
	res := control.ResultSuccess
	if len(items) == 0 {
		res = control.ResultEmpty
	}
	return control.Answer(res, text+".", kjson.NewMap().Set("leases", kjson.NewList(items...)))
}

// getByHWAddr6 is lease6-get-by-hw-address (Kea 2.4).
func (h *handlers) getByHWAddr6(ctx context.Context, c *control.Command) *kjson.Element {
	txt, err := byParam(c, "hw-address")
	if err != nil {
		return errAnswer(err)
	}
	if txt == "" {
		return control.Error("'hw-address' parameter must not be empty")
	}
	hw, err := lease.ParseHWAddr(txt)
	if err != nil {
		return control.Error("bad 'hw-address' parameter: " + err.Error())
	}
	items, err := h.walkMatching(ctx, true, nil, func(l *lease.Lease6) bool {
		return l.HWAddr != nil && string(l.HWAddr) == string(hw)
	})
	if err != nil {
		return errAnswer(err)
	}
	return leaseList(true, items, false)
}

// leaseFileWriter is what a store offers to lease4-write / lease6-write.
type leaseFileWriter interface {
	Path() string
	WriteLeases(ctx context.Context, path string) error
}

// write is leaseN-write: the leases in memory are written to a CSV file in
// Kea's format. The file must be in the lease file's folder (as Kea
// requires since its fix of CVE-2025-32801).
func (h *handlers) write(ctx context.Context, c *control.Command) *kjson.Element {
	v6 := is6Cmd(c.Name)
	if c.Args == nil {
		return control.Error("no parameters specified for the command")
	}
	f, err := c.Args.MapGet("filename")
	if err != nil {
		return errAnswer(err)
	}
	if f == nil {
		return control.Error("'filename' parameter not specified")
	}
	if f.Kind != kjson.String {
		return control.Error("'filename' parameter must be a string")
	}
	var st any = h.env.Store4
	if v6 {
		st = h.env.Store6
	}
	w, ok := st.(leaseFileWriter)
	if !ok || w.Path() == "" {
		return control.Error("lease database is not a persistent memfile: " + c.Name + " is supported only by the memfile backend")
	}
	dir := filepath.Dir(w.Path())
	name := f.S
	if !strings.Contains(name, "/") {
		name = filepath.Join(dir, name)
	}
	if filepath.Dir(filepath.Clean(name)) != filepath.Clean(dir) {
		return control.Error(fmt.Sprintf("'filename' parameter is invalid: invalid path specified: '%s', supported path is '%s'", filepath.Dir(filepath.Clean(name)), dir))
	}
	if err := w.WriteLeases(ctx, name); err != nil {
		return errAnswer(err)
	}
	return control.Answer(0, fmt.Sprintf("%s lease database into '%s'.", familyText(v6), name), nil)
}
