package memfile

import (
	"cmp"
	"math"
	"net/netip"
	"slices"
	"sync"

	"github.com/lessor-dhcp/lessor/lease"
	"github.com/lessor-dhcp/lessor/store"
)

const (
	flagFqdnFwd = 1 << iota
	flagFqdnRev
	flagUsed
	flagHWPresent // an IPv6 lease whose hardware address is present, maybe empty
)

// rec4 is an IPv4 lease as the table keeps it (48 bytes plus its packed
// variable data).
type rec4 struct {
	cltt   int64
	vd     string // hwaddr | client-id | hostname | user context
	expSeq uint32 // order of entering its expiration-index key
	addr   uint32
	valid  uint32
	subnet uint32
	state  uint32
	flags  uint8
}

func (r *rec4) expKey() (bool, int64) {
	return r.state == uint32(lease.StateExpiredReclaimed), r.cltt + int64(r.valid)
}

type addrEnt4 struct{ addr, slot uint32 }

type countKey struct {
	subnet uint32
	typ    lease.Type
	state  uint32
}

// table4 is the in-memory IPv4 lease table and its indexes, following Kea
// memfile's: unique by address, non-unique by (hw-address, subnet),
// (client-id, subnet), (reclaimed, expire), subnet and hostname.
type table4 struct {
	recs   []rec4
	free   []uint32
	seq    uint32
	byAddr *sortedList[addrEnt4]
	byExp  *sortedList[uint32]
	hw     *chainIndex[string]
	cid    *chainIndex[string]
	host   *chainIndex[string]
	subnet *chainIndex[uint32]
	counts map[countKey]int64
	// bulk: while loading files, addresses are looked up in bulkAddr and
	// the address and expiration indexes are built at once by endBulk.
	bulk     bool
	bulkAddr *addrTable
}

func newTable4() *table4 {
	t := &table4{counts: map[countKey]int64{}}
	t.byAddr = newSortedList(func(a, b addrEnt4) int { return cmp.Compare(a.addr, b.addr) })
	t.byExp = newSortedList(t.cmpExp)
	t.hw = newChainIndex(func(s uint32) string { return vdField(t.recs[s].vd, 0, 4) })
	t.cid = newChainIndex(func(s uint32) string { return vdField(t.recs[s].vd, 1, 4) })
	t.host = newChainIndex(func(s uint32) string { return vdField(t.recs[s].vd, 2, 4) })
	t.subnet = newChainIndex(func(s uint32) uint32 { return t.recs[s].subnet })
	return t
}

func (t *table4) cmpExp(a, b uint32) int {
	ra, rb := &t.recs[a], &t.recs[b]
	ca, ea := ra.expKey()
	cb, eb := rb.expKey()
	if ca != cb {
		if cb {
			return -1
		}
		return 1
	}
	if c := cmp.Compare(ea, eb); c != 0 {
		return c
	}
	return cmp.Compare(ra.expSeq, rb.expSeq)
}

func (t *table4) len() int {
	if t.bulk {
		return t.bulkAddr.n
	}
	return t.byAddr.Len()
}

func addr4(a netip.Addr) uint32 {
	b := a.As4()
	return uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
}

func fromAddr4(v uint32) netip.Addr {
	return netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)})
}

// lookup returns the slot holding addr, or noSlot.
func (t *table4) lookup(addr uint32) uint32 {
	if t.bulk {
		return t.bulkAddr.get(addr)
	}
	e, ok := t.byAddr.find(func(e addrEnt4) int { return cmp.Compare(e.addr, addr) })
	if !ok {
		return noSlot
	}
	return e.slot
}

func makeRec4(l *lease.Lease4) rec4 {
	r := rec4{
		cltt:   l.CLTT,
		addr:   addr4(l.Addr),
		valid:  l.ValidLft,
		subnet: l.SubnetID,
		state:  uint32(l.State),
		flags:  flagUsed,
		vd:     packVD3(l.HWAddr, l.ClientID, l.Hostname, l.UserContext),
	}
	if l.FqdnFwd {
		r.flags |= flagFqdnFwd
	}
	if l.FqdnRev {
		r.flags |= flagFqdnRev
	}
	return r
}

func (t *table4) count(r *rec4, d int64) {
	k := countKey{subnet: r.subnet, state: r.state}
	if n := t.counts[k] + d; n != 0 {
		t.counts[k] = n
	} else {
		delete(t.counts, k)
	}
}

// insert adds a lease whose address is not in the table.
func (t *table4) insert(l *lease.Lease4) {
	var slot uint32
	if n := len(t.free); n > 0 {
		slot = t.free[n-1]
		t.free = t.free[:n-1]
	} else {
		slot = uint32(len(t.recs))
		t.recs = append(t.recs, rec4{})
	}
	t.recs[slot] = makeRec4(l)
	t.recs[slot].expSeq = t.nextSeq()
	r := &t.recs[slot]
	if t.bulk {
		t.bulkAddr.set(r.addr, slot)
	} else {
		t.byAddr.insert(addrEnt4{r.addr, slot})
	}
	if !t.bulk {
		t.byExp.insert(slot)
	}
	t.hw.add(slot)
	t.cid.add(slot)
	t.host.add(slot)
	t.subnet.add(slot)
	t.count(r, 1)
}

// remove deletes the lease in slot.
func (t *table4) remove(slot uint32) {
	r := &t.recs[slot]
	if t.bulk {
		t.bulkAddr.remove(r.addr)
	} else {
		t.byAddr.remove(addrEnt4{r.addr, slot})
	}
	if !t.bulk {
		t.byExp.remove(slot)
	}
	t.hw.remove(slot)
	t.cid.remove(slot)
	t.host.remove(slot)
	t.subnet.remove(slot)
	t.count(r, -1)
	t.recs[slot] = rec4{}
	t.free = append(t.free, slot)
}

// replace overwrites the lease in slot with l (same address). An index
// whose key is unchanged keeps the lease's place; one whose key changes
// moves it to the end of its new key's group, as Kea memfile's replace does.
func (t *table4) replace(slot uint32, l *lease.Lease4) {
	old := t.recs[slot]
	nr := makeRec4(l)
	oc, oe := old.expKey()
	nc, ne := nr.expKey()
	expMoved := oc != nc || oe != ne
	expIdx := expMoved && !t.bulk
	hwMoved := vdField(old.vd, 0, 4) != vdField(nr.vd, 0, 4) || old.subnet != nr.subnet
	cidMoved := vdField(old.vd, 1, 4) != vdField(nr.vd, 1, 4) || old.subnet != nr.subnet
	hostMoved := vdField(old.vd, 2, 4) != vdField(nr.vd, 2, 4)
	subMoved := old.subnet != nr.subnet
	if expIdx {
		t.byExp.remove(slot)
	}
	if hwMoved {
		t.hw.remove(slot)
	}
	if cidMoved {
		t.cid.remove(slot)
	}
	if hostMoved {
		t.host.remove(slot)
	}
	if subMoved {
		t.subnet.remove(slot)
	}
	t.count(&old, -1)
	nr.expSeq = old.expSeq
	if expMoved {
		nr.expSeq = t.nextSeq()
	}
	t.recs[slot] = nr
	if expIdx {
		t.byExp.insert(slot)
	}
	if hwMoved {
		t.hw.add(slot)
	}
	if cidMoved {
		t.cid.add(slot)
	}
	if hostMoved {
		t.host.add(slot)
	}
	if subMoved {
		t.subnet.add(slot)
	}
	t.count(&nr, 1)
}

// get returns a copy of the lease in slot.
func (t *table4) get(slot uint32) *lease.Lease4 {
	r := &t.recs[slot]
	return &lease.Lease4{
		Addr:        fromAddr4(r.addr),
		HWAddr:      bytesOf(vdField(r.vd, 0, 4)),
		HWType:      lease.HTypeEther,
		ClientID:    bytesOf(vdField(r.vd, 1, 4)),
		ValidLft:    r.valid,
		CLTT:        r.cltt,
		SubnetID:    r.subnet,
		FqdnFwd:     r.flags&flagFqdnFwd != 0,
		FqdnRev:     r.flags&flagFqdnRev != 0,
		Hostname:    vdField(r.vd, 2, 4),
		State:       lease.State(r.state),
		UserContext: parseCtx(vdField(r.vd, 3, 4)),
	}
}

// bySubnetOrder returns the slots of a (key, subnet) chain ordered by
// subnet, then by chain order: Kea's order for its composite indexes.
func (t *table4) bySubnetOrder(slots []uint32) []uint32 {
	slices.SortStableFunc(slots, func(a, b uint32) int {
		return cmp.Compare(t.recs[a].subnet, t.recs[b].subnet)
	})
	return slots
}

func (t *table4) collect(idx *chainIndex[string], key string) []uint32 {
	var out []uint32
	idx.each(key, func(s uint32) bool {
		out = append(out, s)
		return true
	})
	return out
}

// firstInSubnet returns the first slot of key's chain in subnet.
func (t *table4) firstInSubnet(idx *chainIndex[string], key string, subnet uint32) uint32 {
	found := noSlot
	idx.each(key, func(s uint32) bool {
		if t.recs[s].subnet == subnet {
			found = s
			return false
		}
		return true
	})
	return found
}

func (t *table4) leases(slots []uint32) []*lease.Lease4 {
	out := make([]*lease.Lease4, len(slots))
	for i, s := range slots {
		out[i] = t.get(s)
	}
	return out
}

func (t *table4) page(after uint32, afterSet bool, limit int) []uint32 {
	var out []uint32
	if limit <= 0 {
		return nil
	}
	var probe func(addrEnt4) int
	if afterSet {
		probe = func(e addrEnt4) int {
			if e.addr <= after {
				return -1
			}
			return 1
		}
	}
	t.byAddr.ascend(probe, func(e addrEnt4) bool {
		out = append(out, e.slot)
		return len(out) < limit
	})
	return out
}

// expired returns up to limit (0 = all) slots of leases that are not
// reclaimed and expired at or before now, oldest first (Kea memfile's
// upper_bound on (false, now)).
func (t *table4) expired(now int64, limit int) []uint32 {
	var out []uint32
	t.byExp.ascend(nil, func(s uint32) bool {
		rc, e := t.recs[s].expKey()
		if rc || e > now {
			return false
		}
		out = append(out, s)
		return limit == 0 || len(out) < limit
	})
	return out
}

// reclaimedBefore returns the slots of reclaimed leases that expired at or
// before t0, in expiration order.
func (t *table4) reclaimedBefore(t0 int64) []uint32 {
	var out []uint32
	probe := func(s uint32) int {
		if rc, _ := t.recs[s].expKey(); !rc {
			return -1
		}
		return 1
	}
	t.byExp.ascend(probe, func(s uint32) bool {
		if _, e := t.recs[s].expKey(); e > t0 {
			return false
		}
		out = append(out, s)
		return true
	})
	return out
}

func (t *table4) subnetSlots(subnet uint32) []uint32 {
	var out []uint32
	t.subnet.each(subnet, func(s uint32) bool {
		out = append(out, s)
		return true
	})
	return out
}

func countsOf(m map[countKey]int64) []store.StateCount {
	out := make([]store.StateCount, 0, len(m))
	for k, n := range m {
		out = append(out, store.StateCount{SubnetID: k.subnet, Type: k.typ, State: lease.State(k.state), Count: n})
	}
	slices.SortFunc(out, func(a, b store.StateCount) int {
		if c := cmp.Compare(a.SubnetID, b.SubnetID); c != 0 {
			return c
		}
		if c := cmp.Compare(a.Type, b.Type); c != 0 {
			return c
		}
		return cmp.Compare(a.State, b.State)
	})
	return out
}

// all calls fn for every lease slot in address order.
func (t *table4) all(fn func(slot uint32) bool) {
	t.byAddr.ascend(nil, func(e addrEnt4) bool { return fn(e.slot) })
}

// nextSeq returns the next expiration-index sequence number. When the
// 32-bit counter runs out, the leases in the index are renumbered in their
// current order.
func (t *table4) nextSeq() uint32 {
	if t.seq == math.MaxUint32 {
		if t.bulk {
			t.endBulk() // renumber in the index's order
			defer t.beginBulk()
		}
		t.seq = 0
		t.byExp.ascend(nil, func(s uint32) bool {
			t.seq++
			t.recs[s].expSeq = t.seq
			return true
		})
	}
	t.seq++
	return t.seq
}

// reserve makes room for about n leases.
func (t *table4) reserve(n int) {
	t.recs = slices.Grow(t.recs, n-len(t.recs))
	t.hw.reserve(n)
	t.cid.reserve(n)
	t.host.reserve(n)
	t.subnet.reserve(n)
}

// beginBulk switches to bulk loading (see table4.bulk) until endBulk.
func (t *table4) beginBulk() {
	t.bulk = true
	t.hw.beginBulk()
	t.cid.beginBulk()
	t.host.beginBulk()
	t.subnet.beginBulk()
	t.bulkAddr = newAddrTable(max(t.byAddr.Len(), cap(t.recs)))
	t.all(func(s uint32) bool {
		t.bulkAddr.set(t.recs[s].addr, s)
		return true
	})
}

// endBulk builds the expiration index from the leases held.
func (t *table4) endBulk() {
	buildAddr := func() {
		sorted := t.bulkAddr.sorted()
		addrs := make([]addrEnt4, len(sorted))
		for i, c := range sorted {
			addrs[i] = addrEnt4{uint32(c >> 32), uint32(c)}
		}
		t.byAddr.build(addrs)
	}
	buildExp := func() {
		ents := make([]expEnt, 0, len(t.recs))
		for s := range t.recs {
			r := &t.recs[s]
			if r.flags&flagUsed != 0 {
				rc, e := r.expKey()
				ents = append(ents, expEnt{rc, e, r.expSeq, uint32(s)})
			}
		}
		t.byExp.build(sortExp(ents, t.seq))
	}
	// The indexes are independent: build them side by side.
	var wg sync.WaitGroup
	for _, build := range []func(){buildAddr, buildExp, t.hw.endBulk, t.cid.endBulk, t.host.endBulk, t.subnet.endBulk} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			build()
		}()
	}
	wg.Wait()
	t.bulkAddr = nil
	t.bulk = false
}
