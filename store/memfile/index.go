package memfile

import (
	"cmp"
	"encoding/binary"
	"hash/maphash"
	"math"
	"math/bits"
	"slices"
)

// noSlot marks an empty hash table cell or an absent slot.
const noSlot = ^uint32(0)

// chunkMax is the largest number of entries a sortedList chunk holds.
const chunkMax = 512

// sortedList is an ordered set kept as a list of sorted chunks of at most
// chunkMax entries: inserts and removals move at most one chunk's entries,
// lookups are two binary searches (the first over a compact array of each
// chunk's last entry), and the memory overhead is a few bytes per entry.
// cmp orders entries and must be a total order over the entries held (no
// two entries compare equal).
type sortedList[T any] struct {
	chunks [][]T
	last   []T // last entry of each chunk
	n      int
	cmp    func(a, b T) int
}

func newSortedList[T any](cmp func(a, b T) int) *sortedList[T] {
	return &sortedList[T]{cmp: cmp}
}

// Len returns the number of entries.
func (s *sortedList[T]) Len() int { return s.n }

// seek returns the position of the first entry e with probe(e) >= 0
// (probe is negative for entries ordered before the target).
func (s *sortedList[T]) seek(probe func(T) int) (int, int) {
	lo, hi := 0, len(s.last)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if probe(s.last[m]) < 0 {
			lo = m + 1
		} else {
			hi = m
		}
	}
	if lo == len(s.chunks) {
		return lo, 0
	}
	c := s.chunks[lo]
	i, j := 0, len(c)
	for i < j {
		m := int(uint(i+j) >> 1)
		if probe(c[m]) < 0 {
			i = m + 1
		} else {
			j = m
		}
	}
	return lo, i
}

// find returns the entry for which probe returns 0.
func (s *sortedList[T]) find(probe func(T) int) (T, bool) {
	ci, i := s.seek(probe)
	if ci < len(s.chunks) && probe(s.chunks[ci][i]) == 0 {
		return s.chunks[ci][i], true
	}
	var zero T
	return zero, false
}

// insert adds v; it reports false if an equal entry is already there.
func (s *sortedList[T]) insert(v T) bool {
	probe := func(e T) int { return s.cmp(e, v) }
	if len(s.chunks) == 0 {
		c := make([]T, 1, 16)
		c[0] = v
		s.chunks = append(s.chunks, c)
		s.last = append(s.last, v)
		s.n++
		return true
	}
	ci, i := s.seek(probe)
	if ci == len(s.chunks) {
		ci = len(s.chunks) - 1
		i = len(s.chunks[ci])
	} else if s.cmp(s.chunks[ci][i], v) == 0 {
		return false
	}
	c := s.chunks[ci]
	if len(c) < chunkMax {
		c = slices.Insert(c, i, v)
		s.chunks[ci] = c
		s.last[ci] = c[len(c)-1]
	} else {
		// Split the full chunk in two halves, then insert.
		half := len(c) / 2
		right := make([]T, len(c)-half, chunkMax)
		copy(right, c[half:])
		left := c[:half:chunkMax]
		clear(c[half:])
		if i <= half {
			left = slices.Insert(left, i, v)
		} else {
			right = slices.Insert(right, i-half, v)
		}
		s.chunks[ci] = left
		s.chunks = slices.Insert(s.chunks, ci+1, right)
		s.last[ci] = left[len(left)-1]
		s.last = slices.Insert(s.last, ci+1, right[len(right)-1])
	}
	s.n++
	return true
}

// remove deletes the entry equal to v; it reports whether it was there.
func (s *sortedList[T]) remove(v T) bool {
	probe := func(e T) int { return s.cmp(e, v) }
	ci, i := s.seek(probe)
	if ci == len(s.chunks) || s.cmp(s.chunks[ci][i], v) != 0 {
		return false
	}
	c := slices.Delete(s.chunks[ci], i, i+1)
	s.n--
	switch {
	case len(c) == 0:
		s.chunks = slices.Delete(s.chunks, ci, ci+1)
		s.last = slices.Delete(s.last, ci, ci+1)
	case ci+1 < len(s.chunks) && len(c)+len(s.chunks[ci+1]) <= chunkMax/2:
		// Merge small neighbours so that chunks stay reasonably full.
		c = append(c, s.chunks[ci+1]...)
		s.chunks[ci] = c
		s.last[ci] = c[len(c)-1]
		s.chunks = slices.Delete(s.chunks, ci+1, ci+2)
		s.last = slices.Delete(s.last, ci+1, ci+2)
	default:
		s.chunks[ci] = c
		s.last[ci] = c[len(c)-1]
	}
	return true
}

// build replaces the content with sorted (ascending, no duplicates),
// packing chunks three-quarters full.
func (s *sortedList[T]) build(sorted []T) {
	s.chunks, s.last, s.n = nil, nil, len(sorted)
	const fill = chunkMax * 3 / 4
	for len(sorted) > 0 {
		k := min(fill, len(sorted))
		c := make([]T, k, fill+fill/8)
		copy(c, sorted[:k])
		s.chunks = append(s.chunks, c)
		s.last = append(s.last, c[k-1])
		sorted = sorted[k:]
	}
}

// ascend calls fn for each entry from the first with probe(e) >= 0 (from
// the start if probe is nil), in order, until fn returns false.
func (s *sortedList[T]) ascend(probe func(T) int, fn func(T) bool) {
	ci, i := 0, 0
	if probe != nil {
		ci, i = s.seek(probe)
	}
	for ; ci < len(s.chunks); ci, i = ci+1, 0 {
		c := s.chunks[ci]
		for ; i < len(c); i++ {
			if !fn(c[i]) {
				return
			}
		}
	}
}

// chainIndex is a non-unique secondary index: the slots of the records
// sharing a key form a circular doubly linked chain in the order they took
// that key (a record whose key does not change keeps its place), and an
// open-addressing hash table maps each key to its chain's head. Lookups and
// removals cost O(1) plus the chain walked; memory is two uint32 links per
// record and 5 bytes per table cell (load 0.47 to 0.7) per distinct key.
type chainIndex[K comparable] struct {
	seed maphash.Seed
	// cells of 5 bytes: the chain head's slot (noSlot = empty) and a byte
	// of its key's hash, to skip most key reads while probing.
	table      []byte
	ncell      int
	used       int
	next, prev []uint32 // indexed by slot
	key        func(slot uint32) K

	// While bulk (loading files into an empty index), add and remove only
	// note when each slot took its key (bulkSeq; 0 = not indexed), and
	// endBulk builds the table and chains in hash order, touching memory
	// mostly sequentially instead of at random.
	bulk    bool
	bulkSeq []uint32
	tick    uint32
}

func newChainIndex[K comparable](key func(uint32) K) *chainIndex[K] {
	return &chainIndex[K]{seed: maphash.MakeSeed(), key: key}
}

// grow makes room for slots below n.
func (c *chainIndex[K]) grow(n int) {
	if n <= len(c.next) {
		return
	}
	// Grow as append does (by a quarter for large tables).
	c.next = slices.Grow(c.next, n-len(c.next))
	c.next = c.next[:cap(c.next)]
	c.prev = slices.Grow(c.prev, len(c.next)-len(c.prev))
	c.prev = c.prev[:len(c.next)]
}

func (c *chainIndex[K]) hash(k K) uint64 { return maphash.Comparable(c.seed, k) }

// cell returns the table cell holding k's chain head, or the empty cell
// where it would go.
func (c *chainIndex[K]) cell(k K) int {
	hv := c.hash(k)
	f := uint8(hv)
	for i := c.home(hv); ; i = c.step(i) {
		h, hf := c.at(i)
		if h == noSlot || (hf == f && c.key(h) == k) {
			return i
		}
	}
}

func (c *chainIndex[K]) at(i int) (uint32, uint8) {
	b := c.table[5*i : 5*i+5]
	return binary.LittleEndian.Uint32(b), b[4]
}

func (c *chainIndex[K]) set(i int, slot uint32, f uint8) {
	b := c.table[5*i : 5*i+5]
	binary.LittleEndian.PutUint32(b, slot)
	b[4] = f
}

// home maps a hash to its cell (the table size need not be a power of 2).
func (c *chainIndex[K]) home(hv uint64) int {
	hi, _ := bits.Mul64(hv, uint64(c.ncell))
	return int(hi)
}

func (c *chainIndex[K]) step(i int) int {
	if i++; i == c.ncell {
		return 0
	}
	return i
}

// head returns the first slot of k's chain, or noSlot.
func (c *chainIndex[K]) head(k K) uint32 {
	if c.used == 0 {
		return noSlot
	}
	h, _ := c.at(c.cell(k))
	return h
}

func (c *chainIndex[K]) rehash(size int) {
	old, oldN := c.table, c.ncell
	c.table = make([]byte, 5*size)
	c.ncell = size
	for i := 0; i < size; i++ {
		c.set(i, noSlot, 0)
	}
	for j := 0; j < oldN; j++ {
		h := binary.LittleEndian.Uint32(old[5*j:])
		if h == noSlot {
			continue
		}
		f := old[5*j+4]
		hv := c.hash(c.key(h))
		if uint8(hv) != f {
			panic("memfile: chain index key changed while indexed")
		}
		i := c.home(hv)
		for {
			if e, _ := c.at(i); e == noSlot {
				break
			}
			i = c.step(i)
		}
		c.set(i, h, f)
	}
}

// reserve sizes the index for about n records and keys.
func (c *chainIndex[K]) reserve(n int) {
	c.grow(n)
	if cells := n*10/7 + 16; cells > c.ncell {
		c.rehash(cells)
	}
}

// beginBulk starts a bulk load if the index is empty.
func (c *chainIndex[K]) beginBulk() {
	if c.used == 0 {
		c.bulk, c.tick, c.bulkSeq = true, 0, nil
	}
}

// endBulk builds the index from the slots added while bulk.
func (c *chainIndex[K]) endBulk() {
	if !c.bulk {
		return
	}
	c.bulk = false
	// Index the slots by the order they took their keys, with their hash.
	seqSlot := make([]uint32, int(c.tick)+1)
	seqHash := make([]uint64, int(c.tick)+1)
	keys := make([]uint64, 0, len(c.bulkSeq)) // hash top half, then seq
	for slot, seq := range c.bulkSeq {
		if seq != 0 {
			h := c.hash(c.key(uint32(slot)))
			seqSlot[seq], seqHash[seq] = uint32(slot), h
			keys = append(keys, h&^0xffffffff|uint64(seq))
		}
	}
	c.bulkSeq = nil
	radixSort(keys)
	if cells := len(keys)*10/7 + 16; cells > c.ncell {
		c.rehash(cells)
	}
	// Cells are filled in hash order (home is monotonic in the hash), so
	// the table is written almost sequentially.
	for i := 0; i < len(keys); {
		j := i + 1
		for j < len(keys) && keys[j]>>32 == keys[i]>>32 {
			j++
		}
		first := uint32(keys[i])
		h0, s0 := seqHash[first], seqSlot[first]
		same := true
		if j > i+1 {
			k0 := c.key(s0)
			for _, k := range keys[i+1 : j] {
				if seqHash[uint32(k)] != h0 || c.key(seqSlot[uint32(k)]) != k0 {
					same = false
					break
				}
			}
		}
		if !same {
			// Distinct keys sharing the top of their hash: rare.
			for _, k := range keys[i:j] {
				c.add(seqSlot[uint32(k)])
			}
			i = j
			continue
		}
		cell := c.home(h0)
		for {
			if h, _ := c.at(cell); h == noSlot {
				break
			}
			cell = c.step(cell)
		}
		c.set(cell, s0, uint8(h0))
		c.used++
		// Link the chain in the order the slots took the key.
		prev := s0
		for _, k := range keys[i+1 : j] {
			s := seqSlot[uint32(k)]
			c.next[prev], c.prev[s] = s, prev
			prev = s
		}
		c.next[prev], c.prev[s0] = s0, prev
		i = j
	}
}

// add appends slot (whose record holds its key) to the end of its chain.
func (c *chainIndex[K]) add(slot uint32) {
	c.grow(int(slot) + 1)
	if c.bulk && c.tick == math.MaxUint32-1 {
		c.endBulk() // out of sequence numbers: carry on without bulk
	}
	if c.bulk {
		if int(slot) >= len(c.bulkSeq) {
			c.bulkSeq = append(c.bulkSeq, make([]uint32, len(c.next)-len(c.bulkSeq))...)
		}
		c.tick++
		c.bulkSeq[slot] = c.tick
		return
	}
	if (c.used+1)*10 > c.ncell*7 {
		// Keep the load between 0.47 and 0.7 (linear probing slows down
		// quickly beyond).
		c.rehash(max(16, c.ncell*3/2))
	}
	k := c.key(slot)
	i := c.cell(k)
	h, _ := c.at(i)
	if h == noSlot {
		c.set(i, slot, uint8(c.hash(k)))
		c.used++
		c.next[slot], c.prev[slot] = slot, slot
		return
	}
	t := c.prev[h]
	c.next[t] = slot
	c.prev[slot] = t
	c.next[slot] = h
	c.prev[h] = slot
}

// remove takes slot (whose record still holds its key) out of its chain.
func (c *chainIndex[K]) remove(slot uint32) {
	if c.bulk {
		c.bulkSeq[slot] = 0
		return
	}
	i := c.cell(c.key(slot))
	h, hf := c.at(i)
	if h == noSlot {
		return
	}
	n, p := c.next[slot], c.prev[slot]
	if n == slot {
		c.deleteCell(i)
		return
	}
	c.next[p] = n
	c.prev[n] = p
	if h == slot {
		c.set(i, n, hf)
	}
}

// deleteCell empties cell i, shifting later cells of the probe run back.
func (c *chainIndex[K]) deleteCell(i int) {
	c.set(i, noSlot, 0)
	c.used--
	for j := c.step(i); ; j = c.step(j) {
		hj, fj := c.at(j)
		if hj == noSlot {
			return
		}
		home := c.home(c.hash(c.key(hj)))
		// Move table[j] to i if its home is not in the cyclic range (i, j].
		if (j > i && (home <= i || home > j)) || (j < i && home <= i && home > j) {
			c.set(i, hj, fj)
			c.set(j, noSlot, 0)
			i = j
		}
	}
}

// each calls fn for the slots of k's chain in order until fn returns false.
func (c *chainIndex[K]) each(k K, fn func(slot uint32) bool) {
	h := c.head(k)
	if h == noSlot {
		return
	}
	for s := h; ; {
		n := c.next[s]
		if !fn(s) {
			return
		}
		if n == h {
			return
		}
		s = n
	}
}

// reset empties the index.
func (c *chainIndex[K]) reset() {
	c.table, c.ncell, c.used = nil, 0, 0
	c.next, c.prev = nil, nil
}

// addrTable maps IPv4 addresses to slots with open addressing (cells hold
// addr<<32|slot); it stands in for the address index while files load.
type addrTable struct {
	cells []uint64
	shift uint
	n     int
}

const emptyCell = ^uint64(0) // slot noSlot: never a real entry

func newAddrTable(n int) *addrTable {
	t := &addrTable{}
	t.resize(max(16, n*2))
	return t
}

func (t *addrTable) resize(n int) {
	size := 16
	for size < n {
		size *= 2
	}
	old := t.cells
	t.cells = make([]uint64, size)
	for i := range t.cells {
		t.cells[i] = emptyCell
	}
	t.shift = uint(64 - bits.TrailingZeros(uint(size)))
	t.n = 0
	for _, c := range old {
		if uint32(c) != noSlot {
			t.set(uint32(c>>32), uint32(c))
		}
	}
}

func (t *addrTable) home(a uint32) int {
	return int((uint64(a) * 0x9E3779B97F4A7C15) >> t.shift)
}

// find returns the cell holding a, or the empty cell where it would go.
func (t *addrTable) find(a uint32) int {
	mask := len(t.cells) - 1
	for i := t.home(a); ; i = (i + 1) & mask {
		c := t.cells[i]
		if uint32(c) == noSlot || uint32(c>>32) == a {
			return i
		}
	}
}

func (t *addrTable) get(a uint32) uint32 {
	c := t.cells[t.find(a)]
	if uint32(c) == noSlot {
		return noSlot
	}
	return uint32(c)
}

func (t *addrTable) set(a, slot uint32) {
	if (t.n+1)*10 > len(t.cells)*7 {
		t.resize(len(t.cells) * 2)
	}
	i := t.find(a)
	if uint32(t.cells[i]) == noSlot {
		t.n++
	}
	t.cells[i] = uint64(a)<<32 | uint64(slot)
}

func (t *addrTable) remove(a uint32) {
	i := t.find(a)
	if uint32(t.cells[i]) == noSlot {
		return
	}
	t.n--
	mask := len(t.cells) - 1
	t.cells[i] = emptyCell
	for j := (i + 1) & mask; uint32(t.cells[j]) != noSlot; j = (j + 1) & mask {
		h := t.home(uint32(t.cells[j] >> 32))
		if (j > i && (h <= i || h > j)) || (j < i && h <= i && h > j) {
			t.cells[i] = t.cells[j]
			t.cells[j] = emptyCell
			i = j
		}
	}
}

// sorted returns the entries as addr<<32|slot, in address order.
func (t *addrTable) sorted() []uint64 {
	out := make([]uint64, 0, t.n)
	for _, c := range t.cells {
		if uint32(c) != noSlot {
			out = append(out, c)
		}
	}
	radixSort(out)
	return out
}

// expEnt is a lease's key in the expiration index.
type expEnt struct {
	reclaimed bool
	expire    int64
	seq       uint32
	slot      uint32
}

// sortExp returns the slots of ents in expiration-index order (not
// reclaimed first, then by expiration, then by seq; seqs are unique and at
// most maxSeq). When the expirations span less than 68 years, the keys are
// packed in integers and sorted without a comparison function.
func sortExp(ents []expEnt, maxSeq uint32) []uint32 {
	slots := make([]uint32, len(ents))
	if len(ents) == 0 {
		return slots
	}
	lo, hi := ents[0].expire, ents[0].expire
	for _, e := range ents {
		lo, hi = min(lo, e.expire), max(hi, e.expire)
	}
	if hi-lo < 1<<31 {
		bySeq := make([]uint32, int(maxSeq)+1)
		keys := make([]uint64, len(ents))
		for i, e := range ents {
			k := uint64(e.expire-lo)<<32 | uint64(e.seq)
			if e.reclaimed {
				k |= 1 << 63
			}
			keys[i] = k
			bySeq[e.seq] = e.slot
		}
		radixSort(keys)
		for i, k := range keys {
			slots[i] = bySeq[uint32(k)]
		}
		return slots
	}
	slices.SortFunc(ents, func(a, b expEnt) int {
		if a.reclaimed != b.reclaimed {
			if b.reclaimed {
				return -1
			}
			return 1
		}
		if c := cmp.Compare(a.expire, b.expire); c != 0 {
			return c
		}
		return cmp.Compare(a.seq, b.seq)
	})
	for i, e := range ents {
		slots[i] = e.slot
	}
	return slots
}

// radixSort sorts keys in place (LSD radix sort, 11-bit digits; passes
// whose digit is the same in every key are skipped).
func radixSort(keys []uint64) {
	if len(keys) < 256 {
		slices.Sort(keys)
		return
	}
	const bitsPer = 11
	const buckets = 1 << bitsPer
	tmp := make([]uint64, len(keys))
	src, dst := keys, tmp
	var count [buckets]int
	for shift := uint(0); shift < 64; shift += bitsPer {
		clear(count[:])
		for _, k := range src {
			count[(k>>shift)&(buckets-1)]++
		}
		if count[(src[0]>>shift)&(buckets-1)] == len(src) {
			continue // every key has this digit
		}
		pos := 0
		for i, c := range count {
			count[i] = pos
			pos += c
		}
		for _, k := range src {
			d := (k >> shift) & (buckets - 1)
			dst[count[d]] = k
			count[d]++
		}
		src, dst = dst, src
	}
	if &src[0] != &keys[0] {
		copy(keys, src)
	}
}
