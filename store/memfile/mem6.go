package memfile

import (
	"cmp"
	"encoding/binary"
	"math"
	"net/netip"
	"slices"
	"sync"

	"github.com/lessor-dhcp/lessor/lease"
)

// rec6 is an IPv6 lease as the table keeps it.
type rec6 struct {
	cltt     int64
	vd       string // duid | hwaddr | hostname | user context
	hi, lo   uint64 // address
	expSeq   uint32
	valid    uint32
	pref     uint32
	subnet   uint32
	iaid     uint32
	state    uint32
	hwSource uint32
	hwType   uint16
	typ      uint8
	plen     uint8
	flags    uint8
}

func (r *rec6) expKey() (bool, int64) {
	return r.state == uint32(lease.StateExpiredReclaimed), r.cltt + int64(r.valid)
}

type addrEnt6 struct {
	hi, lo uint64
	slot   uint32
}

func cmpAddr6(a, b addrEnt6) int {
	if c := cmp.Compare(a.hi, b.hi); c != 0 {
		return c
	}
	return cmp.Compare(a.lo, b.lo)
}

func split6(a netip.Addr) (uint64, uint64) {
	b := a.As16()
	return binary.BigEndian.Uint64(b[:8]), binary.BigEndian.Uint64(b[8:])
}

func join6(hi, lo uint64) netip.Addr {
	var b [16]byte
	binary.BigEndian.PutUint64(b[:8], hi)
	binary.BigEndian.PutUint64(b[8:], lo)
	return netip.AddrFrom16(b)
}

// iaKey is the key of Kea's DUID+IAID+type index.
type iaKey struct {
	duid string
	iaid uint32
	typ  uint8
}

// table6 is the in-memory IPv6 lease table, indexed as Kea memfile's:
// unique by address, non-unique by (DUID, IAID, type), (reclaimed,
// expire), subnet, DUID and hostname.
type table6 struct {
	recs   []rec6
	free   []uint32
	seq    uint32
	byAddr *sortedList[addrEnt6]
	byExp  *sortedList[uint32]
	ia     *chainIndex[iaKey]
	duid   *chainIndex[string]
	host   *chainIndex[string]
	subnet *chainIndex[uint32]
	counts map[countKey]int64
	// bulk: while loading files, addresses are looked up in bulkAddr and
	// the address and expiration indexes are built at once by endBulk.
	bulk     bool
	bulkAddr map[[2]uint64]uint32
}

func newTable6() *table6 {
	t := &table6{counts: map[countKey]int64{}}
	t.byAddr = newSortedList(cmpAddr6)
	t.byExp = newSortedList(t.cmpExp)
	t.ia = newChainIndex(func(s uint32) iaKey {
		r := &t.recs[s]
		return iaKey{vdField(r.vd, 0, 4), r.iaid, r.typ}
	})
	t.duid = newChainIndex(func(s uint32) string { return vdField(t.recs[s].vd, 0, 4) })
	t.host = newChainIndex(func(s uint32) string { return vdField(t.recs[s].vd, 2, 4) })
	t.subnet = newChainIndex(func(s uint32) uint32 { return t.recs[s].subnet })
	return t
}

func (t *table6) cmpExp(a, b uint32) int {
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

func (t *table6) len() int {
	if t.bulk {
		return len(t.bulkAddr)
	}
	return t.byAddr.Len()
}

func (t *table6) lookup(a netip.Addr) uint32 {
	hi, lo := split6(a)
	if t.bulk {
		if s, ok := t.bulkAddr[[2]uint64{hi, lo}]; ok {
			return s
		}
		return noSlot
	}
	k := addrEnt6{hi: hi, lo: lo}
	e, ok := t.byAddr.find(func(e addrEnt6) int { return cmpAddr6(e, k) })
	if !ok {
		return noSlot
	}
	return e.slot
}

func makeRec6(l *lease.Lease6) rec6 {
	hi, lo := split6(l.Addr)
	r := rec6{
		cltt:   l.CLTT,
		hi:     hi,
		lo:     lo,
		valid:  l.ValidLft,
		pref:   l.PreferredLft,
		subnet: l.SubnetID,
		iaid:   l.IAID,
		state:  uint32(l.State),
		typ:    uint8(l.Type),
		plen:   l.PrefixLen,
		flags:  flagUsed,
		vd:     packVD3(l.DUID, l.HWAddr, l.Hostname, l.UserContext),
	}
	if l.HWAddr != nil {
		r.hwType, r.hwSource = l.HWType, l.HWAddrSource
		r.flags |= flagHWPresent
	}
	if l.FqdnFwd {
		r.flags |= flagFqdnFwd
	}
	if l.FqdnRev {
		r.flags |= flagFqdnRev
	}
	return r
}

func (t *table6) count(r *rec6, d int64) {
	k := countKey{subnet: r.subnet, typ: lease.Type(r.typ), state: r.state}
	if n := t.counts[k] + d; n != 0 {
		t.counts[k] = n
	} else {
		delete(t.counts, k)
	}
}

func (t *table6) insert(l *lease.Lease6) {
	var slot uint32
	if n := len(t.free); n > 0 {
		slot = t.free[n-1]
		t.free = t.free[:n-1]
	} else {
		slot = uint32(len(t.recs))
		t.recs = append(t.recs, rec6{})
	}
	t.recs[slot] = makeRec6(l)
	t.recs[slot].expSeq = t.nextSeq()
	r := &t.recs[slot]
	if t.bulk {
		t.bulkAddr[[2]uint64{r.hi, r.lo}] = slot
	} else {
		t.byAddr.insert(addrEnt6{r.hi, r.lo, slot})
	}
	if !t.bulk {
		t.byExp.insert(slot)
	}
	t.ia.add(slot)
	t.duid.add(slot)
	t.host.add(slot)
	t.subnet.add(slot)
	t.count(r, 1)
}

func (t *table6) remove(slot uint32) {
	r := &t.recs[slot]
	if t.bulk {
		delete(t.bulkAddr, [2]uint64{r.hi, r.lo})
	} else {
		t.byAddr.remove(addrEnt6{r.hi, r.lo, slot})
	}
	if !t.bulk {
		t.byExp.remove(slot)
	}
	t.ia.remove(slot)
	t.duid.remove(slot)
	t.host.remove(slot)
	t.subnet.remove(slot)
	t.count(r, -1)
	t.recs[slot] = rec6{}
	t.free = append(t.free, slot)
}

// replace overwrites the lease in slot (same address), keeping its place
// in each index whose key is unchanged, as table4.replace does.
func (t *table6) replace(slot uint32, l *lease.Lease6) {
	old := t.recs[slot]
	nr := makeRec6(l)
	oc, oe := old.expKey()
	nc, ne := nr.expKey()
	oduid, nduid := vdField(old.vd, 0, 4), vdField(nr.vd, 0, 4)
	expMoved := oc != nc || oe != ne
	expIdx := expMoved && !t.bulk
	iaMoved := oduid != nduid || old.iaid != nr.iaid || old.typ != nr.typ
	duidMoved := oduid != nduid
	hostMoved := vdField(old.vd, 2, 4) != vdField(nr.vd, 2, 4)
	subMoved := old.subnet != nr.subnet
	if expIdx {
		t.byExp.remove(slot)
	}
	if iaMoved {
		t.ia.remove(slot)
	}
	if duidMoved {
		t.duid.remove(slot)
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
	if iaMoved {
		t.ia.add(slot)
	}
	if duidMoved {
		t.duid.add(slot)
	}
	if hostMoved {
		t.host.add(slot)
	}
	if subMoved {
		t.subnet.add(slot)
	}
	t.count(&nr, 1)
}

func (t *table6) get(slot uint32) *lease.Lease6 {
	r := &t.recs[slot]
	return &lease.Lease6{
		Addr:         join6(r.hi, r.lo),
		Type:         lease.Type(r.typ),
		PrefixLen:    r.plen,
		IAID:         r.iaid,
		DUID:         bytesOf(vdField(r.vd, 0, 4)),
		PreferredLft: r.pref,
		ValidLft:     r.valid,
		CLTT:         r.cltt,
		SubnetID:     r.subnet,
		FqdnFwd:      r.flags&flagFqdnFwd != 0,
		FqdnRev:      r.flags&flagFqdnRev != 0,
		Hostname:     vdField(r.vd, 2, 4),
		HWAddr:       hwOf(vdField(r.vd, 1, 4), r.flags&flagHWPresent != 0),
		HWType:       r.hwType,
		HWAddrSource: r.hwSource,
		State:        lease.State(r.state),
		UserContext:  parseCtx(vdField(r.vd, 3, 4)),
	}
}

func (t *table6) leases(slots []uint32) []*lease.Lease6 {
	out := make([]*lease.Lease6, len(slots))
	for i, s := range slots {
		out[i] = t.get(s)
	}
	return out
}

func collectChain[K comparable](idx *chainIndex[K], key K, keep func(uint32) bool) []uint32 {
	var out []uint32
	idx.each(key, func(s uint32) bool {
		if keep == nil || keep(s) {
			out = append(out, s)
		}
		return true
	})
	return out
}

func (t *table6) page(after netip.Addr, limit int) []uint32 {
	if limit <= 0 {
		return nil
	}
	hi, lo := split6(after)
	k := addrEnt6{hi: hi, lo: lo}
	var out []uint32
	t.byAddr.ascend(func(e addrEnt6) int {
		if cmpAddr6(e, k) <= 0 {
			return -1
		}
		return 1
	}, func(e addrEnt6) bool {
		out = append(out, e.slot)
		return len(out) < limit
	})
	return out
}

func (t *table6) expired(now int64, limit int) []uint32 {
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

func (t *table6) reclaimedBefore(t0 int64) []uint32 {
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

func (t *table6) all(fn func(slot uint32) bool) {
	t.byAddr.ascend(nil, func(e addrEnt6) bool { return fn(e.slot) })
}

// hwOf returns a stored hardware address: nil when absent, empty but not
// nil when present and empty (Kea shows "hw-address": "" then).
func hwOf(s string, present bool) []byte {
	if !present {
		return nil
	}
	return []byte(s)
}

// nextSeq returns the next expiration-index sequence number. When the
// 32-bit counter runs out, the leases in the index are renumbered in their
// current order.
func (t *table6) nextSeq() uint32 {
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
func (t *table6) reserve(n int) {
	t.recs = slices.Grow(t.recs, n-len(t.recs))
	t.ia.reserve(n)
	t.duid.reserve(n)
	t.host.reserve(n)
	t.subnet.reserve(n)
}

// beginBulk switches to bulk loading (see table6.bulk) until endBulk.
func (t *table6) beginBulk() {
	t.bulk = true
	t.ia.beginBulk()
	t.duid.beginBulk()
	t.host.beginBulk()
	t.subnet.beginBulk()
	t.bulkAddr = make(map[[2]uint64]uint32, t.byAddr.Len())
	t.all(func(s uint32) bool {
		t.bulkAddr[[2]uint64{t.recs[s].hi, t.recs[s].lo}] = s
		return true
	})
}

// endBulk builds the expiration index from the leases held.
func (t *table6) endBulk() {
	buildAddr := func() {
		addrs := make([]addrEnt6, 0, len(t.bulkAddr))
		for a, s := range t.bulkAddr {
			addrs = append(addrs, addrEnt6{a[0], a[1], s})
		}
		slices.SortFunc(addrs, cmpAddr6)
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
	for _, build := range []func(){buildAddr, buildExp, t.ia.endBulk, t.duid.endBulk, t.host.endBulk, t.subnet.endBulk} {
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
