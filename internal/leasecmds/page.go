package leasecmds

import (
	"context"
	"errors"
	"net/netip"

	"github.com/lessor-dhcp/lessor/internal/kjson"
	"github.com/lessor-dhcp/lessor/lease"
)

// pageFilter is lessor's optional filter of leaseN-get-page: "subnets" (a
// list of subnet ids) and "state" (a number or a name). Paging keeps Kea's
// contract: leases after "from" in address order, at most "limit".
type pageFilter struct {
	subnets map[uint32]bool // nil: any subnet
	state   *uint32
}

func parsePageFilter(args *kjson.Element) (*pageFilter, error) {
	sub, st := args.M["subnets"], args.M["state"]
	if sub == nil && st == nil {
		return nil, nil
	}
	f := &pageFilter{}
	if sub != nil {
		if sub.Kind != kjson.List {
			return nil, errors.New("'subnets' parameter must be a list")
		}
		f.subnets = map[uint32]bool{}
		for _, id := range sub.L {
			if id.Kind != kjson.Int {
				return nil, errors.New("listed subnet identifiers must be numbers")
			}
			if !outside32(id.I) {
				f.subnets[uint32(id.I)] = true
			}
		}
	}
	if st != nil {
		v, err := parseState(st)
		if err != nil {
			return nil, err
		}
		f.state = &v
	}
	return f, nil
}

func (f *pageFilter) match(subnet uint32, state lease.State) bool {
	if f.subnets != nil && !f.subnets[subnet] {
		return false
	}
	return f.state == nil || uint32(state) == *f.state
}

// filteredPage reads store pages after from until limit matching leases
// are found or the leases run out.
func (h *handlers) filteredPage(ctx context.Context, v6 bool, from netip.Addr, limit int, f *pageFilter) ([]*kjson.Element, error) {
	var out []*kjson.Element
	chunk := max(limit, 256)
	for len(out) < limit {
		if v6 {
			ls, err := h.env.Store6.GetLeases6Page(ctx, from, chunk)
			if err != nil {
				return nil, err
			}
			for _, l := range ls {
				if len(out) < limit && f.match(l.SubnetID, l.State) {
					out = append(out, l.JSONElement())
				}
			}
			if len(ls) < chunk {
				break
			}
			from = ls[len(ls)-1].Addr
			continue
		}
		ls, err := h.env.Store4.GetLeases4Page(ctx, from, chunk)
		if err != nil {
			return nil, err
		}
		for _, l := range ls {
			if len(out) < limit && f.match(l.SubnetID, l.State) {
				out = append(out, l.JSONElement())
			}
		}
		if len(ls) < chunk {
			break
		}
		from = ls[len(ls)-1].Addr
	}
	return out, nil
}
