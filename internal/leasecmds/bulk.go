package leasecmds

import (
	"context"
	"errors"
	"fmt"
	"net/netip"

	"github.com/lessor-dhcp/lessor/internal/control"
	"github.com/lessor-dhcp/lessor/internal/kjson"
	"github.com/lessor-dhcp/lessor/lease"
	"github.com/lessor-dhcp/lessor/store"
)

func typeText(t int) string {
	if t == 3 {
		return "V4"
	}
	return lease.Type(t).String()
}

// failedLease is Kea's createFailedLeaseMap.
func failedLease(typ int, addr netip.Addr, duid []byte, result int, msg string) *kjson.Element {
	m := kjson.NewMap()
	m.Set("type", kjson.NewString(typeText(typ)))
	if addr.IsValid() && addr != zero6 {
		m.Set("ip-address", kjson.NewString(addr.String()))
	} else if duid != nil {
		m.Set("duid", kjson.NewString(lease.FormatHex(duid)))
	}
	m.Set("result", kjson.NewInt(int64(result)))
	m.Set("error-message", kjson.NewString(msg))
	return m
}

type deletion struct {
	p *parameters
	l *lease.Lease6 // nil: nothing to delete (an identifier matching no lease)
}

// bulkApply6 is lease6-bulk-apply: every entry is parsed and checked first;
// only then are the deletions and the additions/updates applied.
func (h *handlers) bulkApply6(ctx context.Context, c *control.Command) *kjson.Element {
	args := c.Args
	if args == nil || args.Kind != kjson.Map {
		return control.Error("Command arguments missing or a not a map.")
	}
	deleted, leases := args.M["deleted-leases"], args.M["leases"]
	if deleted == nil && leases == nil {
		return control.Error("neither 'deleted-leases' nor 'leases' parameter specified")
	}
	if deleted != nil && deleted.Kind != kjson.List {
		return control.Error("the 'deleted-leases' parameter must be a list")
	}
	if leases != nil && leases.Kind != kjson.List {
		return control.Error("the 'leases' parameter must be a list")
	}
	var dels []deletion
	if deleted != nil {
		for _, e := range deleted.L {
			p, err := getParameters(true, e)
			if err != nil {
				return errAnswer(err)
			}
			var l *lease.Lease6
			switch p.query {
			case byAddr:
				l, err = h.get6ByAddr(ctx, p)
				if err == nil && l == nil {
					// Kea deletes a blank lease at that address: not found.
					l = &lease.Lease6{Addr: p.addr}
				}
			case byHWAddr:
				err = errors.New("Delete by hw-address is not allowed in v6.")
			case byDUID:
				l, err = h.get6ByIAID(ctx, p)
			default:
				err = fmt.Errorf("Unknown query type: %d", int(p.query))
			}
			if err != nil {
				return errAnswer(err)
			}
			dels = append(dels, deletion{p, l})
		}
	}
	var adds []*lease.Lease6
	if leases != nil {
		cfg := h.env.Config()
		for _, e := range leases.L {
			l, _, err := parseLease6(h.env, cfg, e)
			if err != nil {
				return errAnswer(err)
			}
			adds = append(adds, l)
		}
	}
	success := 0
	var failedDel, failedAdd *kjson.Element
	for _, d := range dels {
		if d.l == nil {
			continue
		}
		err := h.env.Store6.DeleteLease6(ctx, d.l)
		switch {
		case err == nil:
			success++
			if d.l.DUID != nil {
				onDelete(h.env.Stats, sl6(d.l))
			}
		case errors.Is(err, store.ErrNotFound):
			if failedDel == nil {
				failedDel = kjson.NewList()
			}
			failedDel.Add(failedLease(d.p.leaseType, d.p.addr, d.p.duid, control.ResultEmpty, "lease not found"))
		default:
			if failedDel == nil {
				failedDel = kjson.NewList()
			}
			failedDel.Add(failedLease(d.p.leaseType, d.p.addr, d.p.duid, control.ResultError, err.Error()))
		}
	}
	for _, l := range adds {
		if _, err := h.addOrUpdate6(ctx, l, true); err != nil {
			if failedAdd == nil {
				failedAdd = kjson.NewList()
			}
			failedAdd.Add(failedLease(int(l.Type), l.Addr, l.DUID, control.ResultError, err.Error()))
			continue
		}
		success++
	}
	var out *kjson.Element
	if failedDel != nil || failedAdd != nil {
		out = kjson.NewMap()
		if failedDel != nil {
			out.Set("failed-deleted-leases", failedDel)
		}
		if failedAdd != nil {
			out.Set("failed-leases", failedAdd)
		}
	}
	res := control.ResultSuccess
	if success == 0 {
		res = control.ResultEmpty
	}
	return control.Answer(res, fmt.Sprintf("Bulk apply of %d IPv6 leases completed.", success), out)
}
