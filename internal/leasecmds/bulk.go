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
	// Kea 2.2 has no "atomic"; only lessor's extensions honour it.
	deleted, leases, atomic, err := bulkArgs(c.Args, h.ext)
	if err != nil {
		return errAnswer(err)
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
				// An address holding no lease of the requested type is
				// "lease not found" (Kea 2.2 deletes a lease of another
				// type at that address and miscounts).
				l, err = h.get6ByAddr(ctx, p)
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
	adds, err := parseAll(h.env, leases, parseLease6)
	if err != nil {
		return errAnswer(err)
	}
	var undo undoLog
	success := 0
	var failedDel, failedAdd *kjson.Element
	for _, d := range dels {
		if d.l == nil {
			if d.p.query == byAddr {
				fail(&failedDel, failedLease(d.p.leaseType, d.p.addr, d.p.duid, control.ResultEmpty, "lease not found"))
			}
			continue
		}
		err := h.env.Store6.DeleteLease6(ctx, d.l)
		switch {
		case err == nil:
			success++
			onDelete(h.env.Stats, sl6(d.l))
			l := d.l
			undo.push(func(ctx context.Context) error {
				if err := h.env.Store6.AddLease6(ctx, l); err != nil {
					return err
				}
				onAdd(h.env.Stats, sl6(l))
				return nil
			})
		case errors.Is(err, store.ErrNotFound):
			fail(&failedDel, failedLease(d.p.leaseType, d.p.addr, d.p.duid, control.ResultEmpty, "lease not found"))
		default:
			fail(&failedDel, failedLease(d.p.leaseType, d.p.addr, d.p.duid, control.ResultError, err.Error()))
		}
	}
	for _, l := range adds {
		prev, err := h.env.Store6.GetLease6(ctx, l.Type, l.Addr)
		if err == nil {
			_, err = h.addOrUpdate6(ctx, l, true)
		}
		if err != nil {
			fail(&failedAdd, failedLease(int(l.Type), l.Addr, l.DUID, control.ResultError, err.Error()))
			continue
		}
		success++
		nl := l
		undo.push(func(ctx context.Context) error {
			if prev == nil {
				if err := h.env.Store6.DeleteLease6(ctx, nl); err != nil {
					return err
				}
				onDelete(h.env.Stats, sl6(nl))
				return nil
			}
			if err := h.env.Store6.UpdateLease6(ctx, prev); err != nil {
				return err
			}
			onUpdate(h.env.Stats, sl6(nl), sl6(prev))
			return nil
		})
	}
	return bulkAnswer(ctx, h, "IPv6", success, failedDel, failedAdd, atomic, &undo)
}
