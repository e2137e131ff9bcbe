package memfile

import (
	"log/slog"

	"github.com/lessor-dhcp/lessor/lease"
)

// Loading a lease file runs in two goroutines: one reads and parses rows
// into batches, the other applies them to the tables, so that on a
// multi-core machine parsing costs no wall time.

const batchSize = 1024

type batch[L any] struct {
	items []L
	arena []byte // identifiers and hostnames of items
}

// pipeline reads path with readLeaseFile, parsing rows with parse (in a
// second goroutine) and applying them, in file order, with apply.
func pipeline[L any](path string, family int, maxErrs int64, log *slog.Logger,
	parse func(f [][]byte, dst *L, arena []byte) ([]byte, error), apply func(*L)) (fileInfo, error) {
	const inFlight = 6
	full := make(chan *batch[L], inFlight)
	free := make(chan *batch[L], inFlight)
	for range inFlight {
		free <- &batch[L]{items: make([]L, 0, batchSize)}
	}
	var (
		info fileInfo
		err  error
		done = make(chan struct{})
	)
	go func() {
		defer close(done)
		defer close(full)
		cur := <-free
		info, err = readLeaseFile(path, family, maxErrs, log, func(f [][]byte) error {
			var zero L
			cur.items = append(cur.items, zero)
			arena, perr := parse(f, &cur.items[len(cur.items)-1], cur.arena)
			if perr != nil {
				cur.items = cur.items[:len(cur.items)-1]
				return perr
			}
			cur.arena = arena
			if len(cur.items) == batchSize {
				full <- cur
				cur = <-free
				cur.items, cur.arena = cur.items[:0], cur.arena[:0]
			}
			return nil
		})
		if len(cur.items) > 0 {
			full <- cur
		}
	}()
	for b := range full {
		for i := range b.items {
			apply(&b.items[i])
		}
		free <- b
	}
	<-done
	return info, err
}

// own copies b to the end of arena and returns the copy (nil for empty).
func own(arena *[]byte, b []byte) []byte {
	if len(b) == 0 {
		return nil
	}
	start := len(*arena)
	*arena = append(*arena, b...)
	return (*arena)[start:len(*arena):len(*arena)]
}

// parser4 returns a row parser for pipeline that keeps each lease's
// identifiers and hostname in the batch's arena.
func parser4() func([][]byte, *lease.Lease4, []byte) ([]byte, error) {
	var sc rowScratch
	return func(f [][]byte, l *lease.Lease4, arena []byte) ([]byte, error) {
		if err := parseRow4To(f, l, &sc); err != nil {
			return arena, err
		}
		l.HWAddr = own(&arena, l.HWAddr)
		l.ClientID = own(&arena, l.ClientID)
		l.Hostname = borrow(own(&arena, sc.host))
		return arena, nil
	}
}

func parser6() func([][]byte, *lease.Lease6, []byte) ([]byte, error) {
	var sc rowScratch
	return func(f [][]byte, l *lease.Lease6, arena []byte) ([]byte, error) {
		if err := parseRow6To(f, l, &sc); err != nil {
			return arena, err
		}
		l.DUID = own(&arena, l.DUID)
		l.HWAddr = own(&arena, l.HWAddr)
		l.Hostname = borrow(own(&arena, sc.host))
		return arena, nil
	}
}

// replay applies one lease file row to the tables with lessor's rule: a
// row with valid lifetime 0 deletes the lease at its address if there is
// one and otherwise creates a lease with valid lifetime 0; any other row
// creates or replaces the lease at its address.
func replay4(t *table4) func(*lease.Lease4) {
	return func(l *lease.Lease4) {
		slot := t.lookup(addr4(l.Addr))
		switch {
		case slot == noSlot:
			t.insert(l)
		case l.ValidLft == 0:
			t.remove(slot)
		default:
			t.replace(slot, l)
		}
	}
}

func replay6(t *table6) func(*lease.Lease6) {
	return func(l *lease.Lease6) {
		slot := t.lookup(l.Addr)
		switch {
		case slot == noSlot:
			t.insert(l)
		case l.ValidLft == 0:
			t.remove(slot)
		default:
			t.replace(slot, l)
		}
	}
}

// loadFile replays one lease file into the store's tables.
func (s *Store) loadFile(path string) (fileInfo, error) {
	if s.family == 4 {
		return pipeline(path, 4, s.maxErrs, s.log, parser4(), replay4(s.t4))
	}
	return pipeline(path, 6, s.maxErrs, s.log, parser6(), replay6(s.t6))
}
