package leasecmds

import (
	"context"
	"errors"
	"fmt"

	"github.com/lessor-dhcp/lessor/internal/control"
	"github.com/lessor-dhcp/lessor/internal/kjson"
	"github.com/lessor-dhcp/lessor/lease"
	"github.com/lessor-dhcp/lessor/store"
)

// bulkArgs checks the shape common to both bulk-apply commands.
func bulkArgs(args *kjson.Element, ext bool) (deleted, leases *kjson.Element, atomic bool, err error) {
	if args == nil || args.Kind != kjson.Map {
		return nil, nil, false, errors.New("Command arguments missing or a not a map.")
	}
	deleted, leases = args.M["deleted-leases"], args.M["leases"]
	if deleted == nil && leases == nil {
		return nil, nil, false, errors.New("neither 'deleted-leases' nor 'leases' parameter specified")
	}
	if deleted != nil && deleted.Kind != kjson.List {
		return nil, nil, false, errors.New("the 'deleted-leases' parameter must be a list")
	}
	if leases != nil && leases.Kind != kjson.List {
		return nil, nil, false, errors.New("the 'leases' parameter must be a list")
	}
	if a := args.M["atomic"]; a != nil && ext {
		if a.Kind != kjson.Bool {
			return nil, nil, false, errors.New("'atomic' parameter must be a boolean")
		}
		atomic = a.B
	}
	return deleted, leases, atomic, nil
}

type deletion4 struct {
	p *parameters
	l *lease.Lease4
}

// bulkApply4 is lessor's lease4-bulk-apply, the IPv4 twin of
// lease6-bulk-apply: the whole request is parsed and checked first, then
// deletions and additions/updates are applied; per-lease failures are
// listed. With "atomic": true, any failure undoes every change made.
func (h *handlers) bulkApply4(ctx context.Context, c *control.Command) *kjson.Element {
	deleted, leases, atomic, err := bulkArgs(c.Args, h.ext)
	if err != nil {
		return errAnswer(err)
	}
	var dels []deletion4
	if deleted != nil {
		for _, e := range deleted.L {
			p, err := getParameters(false, e)
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
				err = errors.New("Delete by duid is not allowed in v4.")
			}
			if err != nil {
				return errAnswer(err)
			}
			dels = append(dels, deletion4{p, l})
		}
	}
	adds, err := parseAll(h.env, leases, parseLease4)
	if err != nil {
		return errAnswer(err)
	}
	var undo undoLog
	success := 0
	var failedDel, failedAdd *kjson.Element
	failed4 := func(addr string, ident string, result int, msg string) *kjson.Element {
		m := kjson.NewMap()
		m.Set("type", kjson.NewString("V4"))
		if addr != "" {
			m.Set("ip-address", kjson.NewString(addr))
		} else if ident != "" {
			m.Set("identifier", kjson.NewString(ident))
		}
		m.Set("result", kjson.NewInt(int64(result)))
		m.Set("error-message", kjson.NewString(msg))
		return m
	}
	for _, d := range dels {
		addr, ident := "", ""
		if d.p.query == byAddr {
			addr = d.p.addr.String()
		} else if d.p.hw != nil {
			ident = lease.FormatHex(d.p.hw)
		} else {
			ident = lease.FormatHex(d.p.clientID)
		}
		if d.l == nil {
			fail(&failedDel, failed4(addr, ident, control.ResultEmpty, "lease not found"))
			continue
		}
		err := h.env.Store4.DeleteLease4(ctx, d.l)
		switch {
		case err == nil:
			success++
			onDelete(h.env.Stats, sl4(d.l))
			l := d.l
			undo.push(func(ctx context.Context) error {
				if err := h.env.Store4.AddLease4(ctx, l); err != nil {
					return err
				}
				onAdd(h.env.Stats, sl4(l))
				return nil
			})
		case errors.Is(err, store.ErrNotFound):
			fail(&failedDel, failed4(d.l.Addr.String(), "", control.ResultEmpty, "lease not found"))
		default:
			fail(&failedDel, failed4(d.l.Addr.String(), "", control.ResultError, err.Error()))
		}
	}
	for _, l := range adds {
		prev, err := h.env.Store4.GetLease4(ctx, l.Addr)
		if err == nil {
			_, err = h.addOrUpdate4(ctx, l, true)
		}
		if err != nil {
			fail(&failedAdd, failed4(l.Addr.String(), "", control.ResultError, err.Error()))
			continue
		}
		success++
		nl := l
		undo.push(func(ctx context.Context) error {
			if prev == nil {
				if err := h.env.Store4.DeleteLease4(ctx, nl); err != nil {
					return err
				}
				onDelete(h.env.Stats, sl4(nl))
				return nil
			}
			if err := h.env.Store4.UpdateLease4(ctx, prev); err != nil {
				return err
			}
			onUpdate(h.env.Stats, sl4(nl), sl4(prev))
			return nil
		})
	}
	return bulkAnswer(ctx, h, "IPv4", success, failedDel, failedAdd, atomic, &undo)
}

// parseAll parses every entry of a bulk request's "leases" list (nil: none)
// before anything is applied; the first malformed entry is the answer.
func parseAll[L any](env *Env, leases *kjson.Element, parse func(*Env, *Config, *kjson.Element) (L, bool, error)) ([]L, error) {
	if leases == nil {
		return nil, nil
	}
	cfg := env.Config()
	out := make([]L, 0, len(leases.L))
	for _, e := range leases.L {
		l, _, err := parse(env, cfg, e)
		if err != nil {
			return nil, err
		}
		out = append(out, l)
	}
	return out, nil
}

// fail appends a failure entry to a bulk answer's list, creating it.
func fail(list **kjson.Element, m *kjson.Element) {
	if *list == nil {
		*list = kjson.NewList()
	}
	(*list).Add(m)
}

// undoLog records how to take back the changes of an atomic bulk apply.
type undoLog struct{ steps []func(context.Context) error }

func (u *undoLog) push(f func(context.Context) error) { u.steps = append(u.steps, f) }

// rollback undoes the recorded changes, newest first.
func (u *undoLog) rollback(ctx context.Context) error {
	var first error
	for i := len(u.steps) - 1; i >= 0; i-- {
		if err := u.steps[i](ctx); err != nil && first == nil {
			first = err
		}
	}
	u.steps = nil
	return first
}

func bulkAnswer(ctx context.Context, h *handlers, fam string, success int, failedDel, failedAdd *kjson.Element, atomic bool, undo *undoLog) *kjson.Element {
	var out *kjson.Element
	if failedDel != nil || failedAdd != nil {
		out = kjson.NewMap()
		if failedDel != nil {
			out.Set("failed-deleted-leases", failedDel)
		}
		if failedAdd != nil {
			out.Set("failed-leases", failedAdd)
		}
		if atomic {
			if err := undo.rollback(ctx); err != nil {
				if h.env.Log != nil {
					h.env.Log.Error("undoing an atomic bulk apply failed", "err", err)
				}
				return control.Answer(control.ResultError, fmt.Sprintf("Atomic bulk apply of %s leases failed and could not be fully undone: %v", fam, err), out)
			}
			return control.Answer(control.ResultError, fmt.Sprintf("Atomic bulk apply of %s leases failed: no change was applied.", fam), out)
		}
	}
	res := control.ResultSuccess
	if success == 0 {
		res = control.ResultEmpty
	}
	return control.Answer(res, fmt.Sprintf("Bulk apply of %d %s leases completed.", success, fam), out)
}
