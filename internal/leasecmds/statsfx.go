package leasecmds

import (
	"github.com/lessor-dhcp/lessor/internal/stats"
	"github.com/lessor-dhcp/lessor/lease"
)

// Statistics effects of the lease commands. They issue the same sequence of
// statistic changes as Kea 2.2 (each change is a sample, and statistic-get
// shows samples), except where Kea miscounts: an update that moves a lease
// into the expired-reclaimed state within its subnet leaves Kea's
// assigned count unchanged; lessor decrements it. Kea also counts IA_TA
// leases as assigned prefixes (and declined addresses); lessor does not
// count them (docs/compatibility.md).

const (
	assigned4 = "assigned-addresses"
	declined  = "declined-addresses"
)

// assignedName6 names the assigned statistic of a lease type. Kea 2.2
// counts IA_TA leases as prefixes at run time but not in its start-up
// recount; lessor counts them nowhere, as the recount does ("").
func assignedName6(t lease.Type) string {
	switch t {
	case lease.TypeNA:
		return "assigned-nas"
	case lease.TypePD:
		return "assigned-pds"
	}
	return ""
}

type statLease struct {
	subnet   uint32
	state    lease.State
	assigned string // name of the subnet's assigned statistic
}

func sl4(l *lease.Lease4) statLease {
	return statLease{l.SubnetID, l.State, assigned4}
}

func sl6(l *lease.Lease6) statLease {
	return statLease{l.SubnetID, l.State, assignedName6(l.Type)}
}

func onAdd(r *stats.Registry, l statLease) {
	if l.state == lease.StateExpiredReclaimed || l.assigned == "" {
		return
	}
	r.Add(stats.SubnetName(l.subnet, l.assigned), 1)
	if l.state == lease.StateDeclined {
		r.Add(declined, 1)
		r.Add(stats.SubnetName(l.subnet, declined), 1)
	}
}

func onDelete(r *stats.Registry, l statLease) {
	if l.state == lease.StateExpiredReclaimed || l.assigned == "" {
		return
	}
	r.Add(stats.SubnetName(l.subnet, l.assigned), -1)
	if l.state == lease.StateDeclined {
		r.Add(declined, -1)
		r.Add(stats.SubnetName(l.subnet, declined), -1)
	}
}

func onUpdate(r *stats.Registry, old, l statLease) {
	if l.assigned == "" {
		return
	}
	if old.state == lease.StateExpiredReclaimed {
		onAdd(r, l)
		return
	}
	moved := old.subnet != l.subnet
	if moved {
		r.Add(stats.SubnetName(old.subnet, l.assigned), -1)
	}
	if old.state == lease.StateDeclined {
		r.Add(declined, -1)
		r.Add(stats.SubnetName(old.subnet, declined), -1)
	}
	if l.state != lease.StateExpiredReclaimed {
		if moved {
			r.Add(stats.SubnetName(l.subnet, l.assigned), 1)
		}
		if l.state == lease.StateDeclined {
			r.Add(declined, 1)
			r.Add(stats.SubnetName(l.subnet, declined), 1)
		}
	} else if !moved {
		// Kea 2.2 forgets this one.
		r.Add(stats.SubnetName(old.subnet, l.assigned), -1)
	}
}
