package memfile

import (
	"cmp"
	"math/rand/v2"
	"slices"
	"testing"
)

// TestSortedListRandom checks the sorted chunks against a sorted slice
// through random inserts and removals.
func TestSortedListRandom(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	l := newSortedList(cmp.Compare[uint32])
	ref := map[uint32]bool{}
	for i := 0; i < 200_000; i++ {
		v := r.Uint32N(20_000)
		if r.IntN(3) == 0 {
			if l.remove(v) != ref[v] {
				t.Fatalf("remove(%d) disagrees", v)
			}
			delete(ref, v)
		} else {
			if l.insert(v) == ref[v] {
				t.Fatalf("insert(%d) disagrees", v)
			}
			ref[v] = true
		}
	}
	var want []uint32
	for v := range ref {
		want = append(want, v)
	}
	slices.Sort(want)
	var got []uint32
	l.ascend(nil, func(v uint32) bool { got = append(got, v); return true })
	if !slices.Equal(got, want) || l.Len() != len(want) {
		t.Fatalf("list holds %d entries, want %d", len(got), len(want))
	}
	for _, c := range l.chunks {
		if len(c) == 0 || len(c) > chunkMax {
			t.Fatalf("chunk of %d entries", len(c))
		}
	}
	// Seeks land on the first entry not below the target.
	for i := 0; i < 1000; i++ {
		x := r.Uint32N(21_000)
		var first uint32
		found := false
		l.ascend(func(v uint32) int { return cmp.Compare(v, x) }, func(v uint32) bool {
			first, found = v, true
			return false
		})
		k, _ := slices.BinarySearch(want, x)
		if found != (k < len(want)) || (found && first != want[k]) {
			t.Fatalf("seek %d: %d %v", x, first, found)
		}
	}
}

// TestChainIndexRandom checks chains and the hash table (including
// deletions that shift probe runs) against a reference.
func TestChainIndexRandom(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	const slots = 5000
	keys := make([]uint32, slots)
	in := make([]bool, slots)
	idx := newChainIndex(func(s uint32) uint32 { return keys[s] })
	ref := map[uint32][]uint32{} // key -> slots in chain order
	for i := 0; i < 100_000; i++ {
		s := r.Uint32N(slots)
		if in[s] {
			idx.remove(s)
			k := keys[s]
			ref[k] = slices.DeleteFunc(ref[k], func(x uint32) bool { return x == s })
			if len(ref[k]) == 0 {
				delete(ref, k)
			}
			in[s] = false
		} else {
			keys[s] = r.Uint32N(2000)
			idx.add(s)
			ref[keys[s]] = append(ref[keys[s]], s)
			in[s] = true
		}
	}
	if idx.used != len(ref) {
		t.Fatalf("table holds %d keys, want %d", idx.used, len(ref))
	}
	for k := uint32(0); k < 2100; k++ {
		var got []uint32
		idx.each(k, func(s uint32) bool { got = append(got, s); return true })
		if !slices.Equal(got, ref[k]) {
			t.Fatalf("chain of key %d: %v, want %v", k, got, ref[k])
		}
	}
}

func TestAddrTableRandom(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	tab := newAddrTable(10)
	ref := map[uint32]uint32{}
	for i := 0; i < 200_000; i++ {
		a := r.Uint32N(5000) * 256 // clustered keys
		switch r.IntN(3) {
		case 0:
			tab.remove(a)
			delete(ref, a)
		default:
			s := r.Uint32N(1 << 20)
			tab.set(a, s)
			ref[a] = s
		}
		if i%1000 == 0 {
			if got, want := tab.get(a), ref[a]; (want == 0 && got != noSlot && got != 0) || (want != 0 && got != want) {
				t.Fatalf("get(%d) = %d, want %d", a, got, want)
			}
		}
	}
	if tab.n != len(ref) {
		t.Fatalf("%d entries, want %d", tab.n, len(ref))
	}
	for a, s := range ref {
		if tab.get(a) != s {
			t.Fatalf("get(%d) = %d, want %d", a, tab.get(a), s)
		}
	}
	prev := int64(-1)
	for _, c := range tab.sorted() {
		if int64(c>>32) <= prev || ref[uint32(c>>32)] != uint32(c) {
			t.Fatalf("sorted entry %x out of order or wrong", c)
		}
		prev = int64(c >> 32)
	}
}

func TestRadixSort(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	for _, n := range []int{0, 1, 100, 300, 5000, 100_000} {
		keys := make([]uint64, n)
		for i := range keys {
			switch i % 3 {
			case 0:
				keys[i] = r.Uint64()
			case 1:
				keys[i] = r.Uint64() & 0xffff
			default:
				keys[i] = 1<<63 | r.Uint64()>>40
			}
		}
		want := slices.Clone(keys)
		slices.Sort(want)
		radixSort(keys)
		if !slices.Equal(keys, want) {
			t.Fatalf("radixSort of %d keys differs", n)
		}
	}
}

// TestChainIndexBulk checks that an index built in bulk has the same
// chains as one maintained entry by entry, through adds, removals and key
// changes, with enough keys that some share the top half of their hash.
func TestChainIndexBulk(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 10))
	const slots = 300_000
	keys := make([]uint32, slots)
	in := make([]bool, slots)
	plain := newChainIndex(func(s uint32) uint32 { return keys[s] })
	bulk := newChainIndex(func(s uint32) uint32 { return keys[s] })
	bulk.seed = plain.seed
	bulk.beginBulk()
	for i := 0; i < 600_000; i++ {
		s := r.Uint32N(slots)
		if in[s] {
			plain.remove(s)
			bulk.remove(s)
			in[s] = false
			continue
		}
		if r.IntN(4) == 0 {
			keys[s] = r.Uint32N(50) // shared keys: long chains
		} else {
			keys[s] = r.Uint32() // mostly distinct keys
		}
		plain.add(s)
		bulk.add(s)
		in[s] = true
	}
	bulk.endBulk()
	if bulk.used != plain.used {
		t.Fatalf("bulk index holds %d keys, want %d", bulk.used, plain.used)
	}
	seen := map[uint32]bool{}
	for s := range uint32(slots) {
		if !in[s] || seen[keys[s]] {
			continue
		}
		seen[keys[s]] = true
		var a, b []uint32
		plain.each(keys[s], func(x uint32) bool { a = append(a, x); return true })
		bulk.each(keys[s], func(x uint32) bool { b = append(b, x); return true })
		if !slices.Equal(a, b) {
			t.Fatalf("key %d: bulk chain %v, want %v", keys[s], b, a)
		}
	}
	// The bulk-built index keeps working entry by entry.
	for s := range uint32(slots) {
		if in[s] {
			bulk.remove(s)
		}
	}
	if bulk.used != 0 {
		t.Fatalf("%d keys left after removing everything", bulk.used)
	}
}
