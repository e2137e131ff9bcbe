package server

import (
	"context"
	"time"

	"github.com/lessor-dhcp/lessor/internal/kjson"

	"math/big"
	"net/netip"

	"github.com/lessor-dhcp/lessor/config"
	"github.com/lessor-dhcp/lessor/internal/stats"
	"github.com/lessor-dhcp/lessor/lease"
	"github.com/lessor-dhcp/lessor/store"
)

var global4 = []string{
	"pkt4-ack-received", "pkt4-ack-sent", "pkt4-decline-received", "pkt4-discover-received",
	"pkt4-inform-received", "pkt4-nak-received", "pkt4-nak-sent", "pkt4-offer-received",
	"pkt4-offer-sent", "pkt4-parse-failed", "pkt4-receive-drop", "pkt4-received",
	"pkt4-release-received", "pkt4-request-received", "pkt4-sent", "pkt4-unknown-received",
	"v4-allocation-fail", "v4-allocation-fail-classes", "v4-allocation-fail-no-pools",
	"v4-allocation-fail-shared-network", "v4-allocation-fail-subnet", "v4-reservation-conflicts",
}

var global6 = []string{
	"pkt6-advertise-received", "pkt6-advertise-sent", "pkt6-decline-received",
	"pkt6-dhcpv4-query-received", "pkt6-dhcpv4-response-received", "pkt6-dhcpv4-response-sent",
	"pkt6-infrequest-received", "pkt6-parse-failed", "pkt6-rebind-received", "pkt6-receive-drop",
	"pkt6-received", "pkt6-release-received", "pkt6-renew-received", "pkt6-reply-received",
	"pkt6-reply-sent", "pkt6-request-received", "pkt6-sent", "pkt6-solicit-received",
	"pkt6-unknown-received", "v6-allocation-fail", "v6-allocation-fail-classes",
	"v6-allocation-fail-no-pools", "v6-allocation-fail-shared-network", "v6-allocation-fail-subnet",
}

// capacity is the number of addresses in [first, last], capped as Kea caps
// it (to the largest uint64), then read as Kea's int64 statistic.
func capacity(first, last netip.Addr) *big.Int {
	a := new(big.Int).SetBytes(first.AsSlice())
	b := new(big.Int).SetBytes(last.AsSlice())
	n := new(big.Int).Sub(b, a)
	return n.Add(n, big.NewInt(1))
}

func capInt64(n *big.Int) int64 {
	if !n.IsUint64() {
		return -1 // math.MaxUint64 read as int64
	}
	return int64(n.Uint64())
}

func poolTotal(sn *config.Subnet) int64 {
	sum := new(big.Int)
	for _, p := range sn.Pools {
		sum.Add(sum, capacity(p.First, p.Last))
	}
	return capInt64(sum)
}

func pdTotal(sn *config.Subnet) int64 {
	sum := new(big.Int)
	for _, p := range sn.PDPools {
		bits := p.DelegatedLen - p.Prefix.Bits()
		if bits < 0 {
			continue
		}
		sum.Add(sum, new(big.Int).Lsh(big.NewInt(1), uint(bits)))
	}
	return capInt64(sum)
}

// initStats creates the statistics Kea creates at start-up and recounts the
// lease statistics from the store, in Kea's order (each change is a sample).
func initStats(ctx context.Context, fam int, r *stats.Registry, sc *config.Server, st store.Store, first bool) error {
	subnets := sc.Subnets
	applySampleLimits(r, sc)
	if first {
		names := global4
		if fam == 6 {
			names = global6
		}
		for _, n := range names {
			r.Set(n, 0)
		}
	}
	setIfMissing := func(n string) {
		if _, ok := r.Value(n); !ok {
			r.Set(n, 0)
		}
	}
	for _, sn := range subnets {
		if fam == 4 {
			r.Set(stats.SubnetName(sn.ID, "total-addresses"), poolTotal(sn))
			setIfMissing(stats.SubnetName(sn.ID, "cumulative-assigned-addresses"))
			setIfMissing(stats.SubnetName(sn.ID, "v4-reservation-conflicts"))
		} else {
			r.Set(stats.SubnetName(sn.ID, "total-nas"), poolTotal(sn))
			r.Set(stats.SubnetName(sn.ID, "total-pds"), pdTotal(sn))
			setIfMissing(stats.SubnetName(sn.ID, "cumulative-assigned-nas"))
			setIfMissing(stats.SubnetName(sn.ID, "cumulative-assigned-pds"))
		}
	}
	r.Set("declined-addresses", 0)
	for _, n := range []string{"reclaimed-declined-addresses", "reclaimed-leases"} {
		if _, ok := r.Value(n); !ok {
			r.Set(n, 0)
		}
	}
	cumulative := []string{"cumulative-assigned-addresses"}
	assigned := []string{"assigned-addresses"}
	if fam == 6 {
		cumulative = []string{"cumulative-assigned-nas", "cumulative-assigned-pds"}
		assigned = []string{"assigned-nas", "assigned-pds"}
	}
	for _, n := range cumulative {
		if _, ok := r.Value(n); !ok {
			r.Set(n, 0)
		}
	}
	for _, sn := range subnets {
		for _, n := range assigned {
			r.Set(stats.SubnetName(sn.ID, n), 0)
		}
		r.Set(stats.SubnetName(sn.ID, "declined-addresses"), 0)
		for _, n := range []string{"reclaimed-declined-addresses", "reclaimed-leases"} {
			if _, ok := r.Value(stats.SubnetName(sn.ID, n)); !ok {
				r.Set(stats.SubnetName(sn.ID, n), 0)
			}
		}
	}
	var rows []store.StateCount
	var err error
	if fam == 4 {
		rows, err = st.V4().CountLeases4(ctx)
	} else {
		rows, err = st.V6().CountLeases6(ctx)
	}
	if err != nil {
		return err
	}
	sortCounts(rows)
	for _, row := range rows {
		if row.Count <= 0 {
			continue
		}
		if fam == 4 {
			switch row.State {
			case lease.StateDefault:
				r.Add(stats.SubnetName(row.SubnetID, "assigned-addresses"), row.Count)
			case lease.StateDeclined:
				r.Set(stats.SubnetName(row.SubnetID, "declined-addresses"), row.Count)
				r.Add("declined-addresses", row.Count)
				r.Add(stats.SubnetName(row.SubnetID, "assigned-addresses"), row.Count)
			}
			continue
		}
		// Kea counts addresses (default and declined) and prefixes
		// (default only, set rather than added); IA_TA leases are not counted.
		switch {
		case row.Type == lease.TypeNA && row.State == lease.StateDefault:
			r.Add(stats.SubnetName(row.SubnetID, "assigned-nas"), row.Count)
		case row.Type == lease.TypeNA && row.State == lease.StateDeclined:
			r.Set(stats.SubnetName(row.SubnetID, "declined-addresses"), row.Count)
			r.Add("declined-addresses", row.Count)
			r.Add(stats.SubnetName(row.SubnetID, "assigned-nas"), row.Count)
		case row.Type == lease.TypePD && row.State == lease.StateDefault:
			r.Set(stats.SubnetName(row.SubnetID, "assigned-pds"), row.Count)
		}
	}
	return nil
}

// applySampleLimits applies statistic-default-sample-count/-age as Kea
// does when a configuration is committed.
func applySampleLimits(r *stats.Registry, sc *config.Server) {
	maxSamples := int64(0)
	if v := sc.Raw.Get("statistic-default-sample-count"); v != nil && v.Kind == kjson.Int {
		maxSamples = int64(uint32(v.I))
		r.SetDefaultCount(int(maxSamples))
		if maxSamples != 0 {
			r.SetMaxCountAll(int(maxSamples))
		}
	}
	if v := sc.Raw.Get("statistic-default-sample-age"); v != nil && v.Kind == kjson.Int {
		age := time.Duration(v.I) * time.Second
		r.SetDefaultAge(age)
		if maxSamples == 0 {
			r.SetMaxAgeAll(age)
		}
	}
}

// removeSubnetStats deletes the per-subnet statistics of a configuration
// being replaced, as Kea does before it applies a new one.
func removeSubnetStats(fam int, r *stats.Registry, subnets []*config.Subnet) {
	names := []string{"total-addresses", "assigned-addresses", "cumulative-assigned-addresses",
		"declined-addresses", "reclaimed-declined-addresses", "reclaimed-leases"}
	if fam == 6 {
		names = []string{"total-nas", "assigned-nas", "cumulative-assigned-nas", "total-pds",
			"assigned-pds", "cumulative-assigned-pds", "declined-addresses",
			"reclaimed-declined-addresses", "reclaimed-leases"}
	}
	for _, sn := range subnets {
		for _, n := range names {
			r.Remove(stats.SubnetName(sn.ID, n))
		}
	}
}

func sortCounts(rows []store.StateCount) {
	less := func(a, b store.StateCount) bool {
		if a.SubnetID != b.SubnetID {
			return a.SubnetID < b.SubnetID
		}
		if a.Type != b.Type {
			return a.Type < b.Type
		}
		return a.State < b.State
	}
	for i := 1; i < len(rows); i++ {
		for j := i; j > 0 && less(rows[j], rows[j-1]); j-- {
			rows[j], rows[j-1] = rows[j-1], rows[j]
		}
	}
}
