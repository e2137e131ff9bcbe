package memfile

import (
	"hash/maphash"
	"math/bits"
	"slices"
)

// noSlot marks an empty hash table cell or an absent slot.
const noSlot = ^uint32(0)

// chunkMax is the largest number of entries a sortedList chunk holds.
const chunkMax = 512

// sortedList is an ordered set kept as a list of sorted chunks of at most
// chunkMax entries: inserts and removals move at most one chunk's entries,
// lookups are two binary searches, and the memory overhead is a few bytes
// per entry. cmp orders entries and must be a total order over the
// entries held (no two entries compare equal).
type sortedList[T any] struct {
	chunks [][]T
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
	lo, hi := 0, len(s.chunks)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		c := s.chunks[m]
		if probe(c[len(c)-1]) < 0 {
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
	if len(c) < cap(c) || len(c) < chunkMax {
		c = append(c, v)
		copy(c[i+1:], c[i:])
		c[i] = v
		s.chunks[ci] = c
	} else {
		// Split the full chunk in two halves, then insert.
		half := len(c) / 2
		right := make([]T, len(c)-half, chunkMax)
		copy(right, c[half:])
		left := c[:half:chunkMax]
		clear(c[half:])
		s.chunks = append(s.chunks, nil)
		copy(s.chunks[ci+2:], s.chunks[ci+1:])
		s.chunks[ci] = left
		s.chunks[ci+1] = right
		if i <= half {
			left = append(left, v)
			copy(left[i+1:], left[i:])
			left[i] = v
			s.chunks[ci] = left
		} else {
			i -= half
			right = append(right, v)
			copy(right[i+1:], right[i:])
			right[i] = v
			s.chunks[ci+1] = right
		}
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
	c := s.chunks[ci]
	copy(c[i:], c[i+1:])
	var zero T
	c[len(c)-1] = zero
	c = c[:len(c)-1]
	s.n--
	switch {
	case len(c) == 0:
		copy(s.chunks[ci:], s.chunks[ci+1:])
		s.chunks[len(s.chunks)-1] = nil
		s.chunks = s.chunks[:len(s.chunks)-1]
	case ci+1 < len(s.chunks) && len(c)+len(s.chunks[ci+1]) <= chunkMax/2:
		// Merge small neighbours so that chunks stay reasonably full.
		c = append(c, s.chunks[ci+1]...)
		s.chunks[ci] = c
		copy(s.chunks[ci+1:], s.chunks[ci+2:])
		s.chunks[len(s.chunks)-1] = nil
		s.chunks = s.chunks[:len(s.chunks)-1]
	default:
		s.chunks[ci] = c
	}
	return true
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
// record and 5 bytes per table cell (load 0.53 to 0.8) per distinct key.
type chainIndex[K comparable] struct {
	seed       maphash.Seed
	table      []uint32 // chain heads; noSlot = empty cell
	fp         []uint8  // top hash byte of each cell's key, to skip most key reads
	used       int
	next, prev []uint32 // indexed by slot
	key        func(slot uint32) K
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
		h := c.table[i]
		if h == noSlot || (c.fp[i] == f && c.key(h) == k) {
			return i
		}
	}
}

// home maps a hash to its cell (the table size need not be a power of 2).
func (c *chainIndex[K]) home(hv uint64) int {
	hi, _ := bits.Mul64(hv, uint64(len(c.table)))
	return int(hi)
}

func (c *chainIndex[K]) step(i int) int {
	if i++; i == len(c.table) {
		return 0
	}
	return i
}

// head returns the first slot of k's chain, or noSlot.
func (c *chainIndex[K]) head(k K) uint32 {
	if c.used == 0 {
		return noSlot
	}
	return c.table[c.cell(k)]
}

func (c *chainIndex[K]) rehash(size int) {
	old, oldFP := c.table, c.fp
	c.table = make([]uint32, size)
	c.fp = make([]uint8, size)
	for i := range c.table {
		c.table[i] = noSlot
	}
	for j, h := range old {
		if h == noSlot {
			continue
		}
		hv := c.hash(c.key(h))
		if uint8(hv) != oldFP[j] {
			panic("memfile: chain index key changed while indexed")
		}
		i := c.home(hv)
		for c.table[i] != noSlot {
			i = c.step(i)
		}
		c.table[i] = h
		c.fp[i] = oldFP[j]
	}
}

// add appends slot (whose record holds its key) to the end of its chain.
func (c *chainIndex[K]) add(slot uint32) {
	c.grow(int(slot) + 1)
	if (c.used+1)*5 > len(c.table)*4 {
		// Keep the load between 0.53 and 0.8.
		c.rehash(max(16, len(c.table)*3/2))
	}
	k := c.key(slot)
	i := c.cell(k)
	h := c.table[i]
	if h == noSlot {
		c.table[i] = slot
		c.fp[i] = uint8(c.hash(k))
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
	i := c.cell(c.key(slot))
	h := c.table[i]
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
		c.table[i] = n
	}
}

// deleteCell empties cell i, shifting later cells of the probe run back.
func (c *chainIndex[K]) deleteCell(i int) {
	c.table[i] = noSlot
	c.used--
	for j := c.step(i); c.table[j] != noSlot; j = c.step(j) {
		home := c.home(c.hash(c.key(c.table[j])))
		// Move table[j] to i if its home is not in the cyclic range (i, j].
		if (j > i && (home <= i || home > j)) || (j < i && home <= i && home > j) {
			c.table[i], c.fp[i] = c.table[j], c.fp[j]
			c.table[j] = noSlot
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
	c.table, c.fp, c.used = nil, nil, 0
	c.next, c.prev = nil, nil
}
