package leasecmds

import (
	"github.com/lessor-dhcp/lessor/internal/stats"
	"github.com/lessor-dhcp/lessor/lease"
)

// Statistics effects of the lease commands. They issue the same sequence of
// statistic changes as Kea 2.2 (each change is a sample, and statistic-get
// shows samples), except where Kea miscounts: an update that moves a lease
// into the expired-reclaimed state within its subnet leaves Kea's
// assigned count unchanged; lessor decrements it (docs/compatibility.md).

const (
	assigned4 = "assigned-addresses"
	declined  = "declined-addresses"
)

func assignedName6(t lease.Type) string {
	if t == lease.TypeNA {
		return "assigned-nas"
	}
	return "assigned-pds"
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
	if l.state == lease.StateExpiredReclaimed {
		return
	}
	r.Add(stats.SubnetName(l.subnet, l.assigned), 1)
	if l.state == lease.StateDeclined {
		r.Add(declined, 1)
		r.Add(stats.SubnetName(l.subnet, declined), 1)
	}
}

func onDelete(r *stats.Registry, l statLease) {
	if l.state == lease.StateExpiredReclaimed {
		return
	}
	r.Add(stats.SubnetName(l.subnet, l.assigned), -1)
	if l.state == lease.StateDeclined {
		r.Add(declined, -1)
		r.Add(stats.SubnetName(l.subnet, declined), -1)
	}
}

func onUpdate(r *stats.Registry, old, l statLease) {
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
