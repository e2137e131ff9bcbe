package leasecmds

import (
	"testing"

	"github.com/lessor-dhcp/lessor/internal/stats"
	"github.com/lessor-dhcp/lessor/lease"
)

func TestStatsEffects(t *testing.T) {
	def, dec, rec := lease.StateDefault, lease.StateDeclined, lease.StateExpiredReclaimed
	l := func(subnet uint32, st lease.State) statLease { return statLease{subnet, st, assigned4} }
	tests := []struct {
		name         string
		do           func(r *stats.Registry)
		assigned1    int64
		assigned2    int64
		declined1    int64
		declinedGlob int64
	}{
		{"add", func(r *stats.Registry) { onAdd(r, l(1, def)) }, 1, 0, 0, 0},
		{"add declined", func(r *stats.Registry) { onAdd(r, l(1, dec)) }, 1, 0, 1, 1},
		{"add reclaimed counts nothing", func(r *stats.Registry) { onAdd(r, l(1, rec)) }, 0, 0, 0, 0},
		{"delete", func(r *stats.Registry) { onAdd(r, l(1, dec)); onDelete(r, l(1, dec)) }, 0, 0, 0, 0},
		{"move subnet", func(r *stats.Registry) { onAdd(r, l(1, def)); onUpdate(r, l(1, def), l(2, def)) }, 0, 1, 0, 0},
		{"declined to default", func(r *stats.Registry) { onAdd(r, l(1, dec)); onUpdate(r, l(1, dec), l(1, def)) }, 1, 0, 0, 0},
		// Kea 2.2 leaves assigned at 1 here; the lease is no longer assigned.
		{"default to reclaimed", func(r *stats.Registry) { onAdd(r, l(1, def)); onUpdate(r, l(1, def), l(1, rec)) }, 0, 0, 0, 0},
		{"reclaimed to default", func(r *stats.Registry) { onAdd(r, l(1, rec)); onUpdate(r, l(1, rec), l(1, def)) }, 1, 0, 0, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := stats.New()
			tc.do(r)
			get := func(n string) int64 { v, _ := r.Value(n); return v }
			if got := get("subnet[1].assigned-addresses"); got != tc.assigned1 {
				t.Errorf("subnet[1] assigned = %d, want %d", got, tc.assigned1)
			}
			if got := get("subnet[2].assigned-addresses"); got != tc.assigned2 {
				t.Errorf("subnet[2] assigned = %d, want %d", got, tc.assigned2)
			}
			if got := get("subnet[1].declined-addresses"); got != tc.declined1 {
				t.Errorf("subnet[1] declined = %d, want %d", got, tc.declined1)
			}
			if got := get("declined-addresses"); got != tc.declinedGlob {
				t.Errorf("declined = %d, want %d", got, tc.declinedGlob)
			}
		})
	}
}

func TestTANotCounted(t *testing.T) {
	r := stats.New()
	ta := &lease.Lease6{Type: lease.TypeTA, SubnetID: 1, State: lease.StateDeclined}
	onAdd(r, sl6(ta))
	if names := r.Names(); len(names) != 0 {
		t.Errorf("an IA_TA lease changed statistics: %v", names)
	}
}
