package memfile

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lessor-dhcp/lessor/lease"
	"github.com/lessor-dhcp/lessor/store"
)

func lease4(i int) *lease.Lease4 {
	return &lease.Lease4{
		Addr:     netip.AddrFrom4([4]byte{10, byte(i >> 16), byte(i >> 8), byte(i)}),
		HWAddr:   []byte{0, 1, 2, byte(i >> 16), byte(i >> 8), byte(i)},
		HWType:   lease.HTypeEther,
		ClientID: []byte{1, byte(i >> 8), byte(i)},
		ValidLft: 3600,
		CLTT:     1_700_000_000 + int64(i),
		SubnetID: uint32(i%4 + 1),
		Hostname: fmt.Sprintf("h%d,example", i),
	}
}

// churnErr adds, updates and deletes leases with numbers in [from, to).
func churnErr(s *Store, from, to int) error {
	ctx := context.Background()
	for i := from; i < to; i++ {
		if err := s.AddLease4(ctx, lease4(i)); err != nil {
			return err
		}
	}
	for i := from; i < to; i += 3 {
		l := lease4(i)
		l.ValidLft = 7200
		if i%2 == 0 {
			l.ValidLft = 0 // kept by lessor, written as two rows
		}
		if err := s.UpdateLease4(ctx, l); err != nil {
			return err
		}
	}
	for i := from + 1; i < to; i += 5 {
		if err := s.DeleteLease4(ctx, lease4(i)); err != nil {
			return err
		}
	}
	return nil
}

func churn(t testing.TB, s *Store, from, to int) {
	t.Helper()
	if err := churnErr(s, from, to); err != nil {
		t.Fatal(err)
	}
}

func sleepShort() { time.Sleep(100 * time.Millisecond) }

func fileNames(t *testing.T, dir string) string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	return strings.Join(names, " ")
}

func fileRows(t *testing.T, path string) int {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return strings.Count(string(data), "\n") - 1
}

func TestLFC(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "l.csv")
	s := openTest(t, store.Config{Family: 4, Name: path})
	churn(t, s, 0, 300)
	if err := s.LFC(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := fileNames(t, dir); got != "l.csv l.csv.2" {
		t.Fatalf("files after cleanup: %s", got)
	}
	if n := fileRows(t, path+".2"); n != s.Len() {
		t.Errorf("cleaned file has %d rows for %d leases", n, s.Len())
	}
	if n := fileRows(t, path); n != 0 {
		t.Errorf("new lease file has %d rows", n)
	}
	churn(t, s, 300, 400)
	// Changes to leases held in .2 only.
	ctx := context.Background()
	if err := s.DeleteLease4(ctx, lease4(3)); err != nil {
		t.Fatal(err)
	}
	u := lease4(4)
	u.Hostname = "moved"
	if err := s.UpdateLease4(ctx, u); err != nil {
		t.Fatal(err)
	}
	want := elements(t, s)
	s.Close()
	r := openTest(t, store.Config{Family: 4, Name: path})
	sameLines(t, "after one cleanup", elements(t, r), want)
	if err := r.LFC(ctx); err != nil {
		t.Fatal(err)
	}
	if err := r.LFC(ctx); err != nil { // nothing new: still fine
		t.Fatal(err)
	}
	r.Close()
	r = openTest(t, store.Config{Family: 4, Name: path})
	defer r.Close()
	sameLines(t, "after three cleanups", elements(t, r), want)
	if got := fileNames(t, dir); got != "l.csv l.csv.2" {
		t.Fatalf("files after cleanup: %s", got)
	}
}

// TestLFCInterrupted stops the cleanup after each of its steps (as a crash
// would), goes on changing leases, and checks that reopening gives back
// every lease, and that the next cleanup finishes the job.
func TestLFCInterrupted(t *testing.T) {
	steps := []string{"rotated", "output", "completed", "removed-previous", "removed-copy"}
	for _, step := range steps {
		for _, withPrevious := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/previous=%v", step, withPrevious), func(t *testing.T) {
				dir := t.TempDir()
				path := filepath.Join(dir, "l.csv")
				ctx := context.Background()
				s := openTest(t, store.Config{Family: 4, Name: path})
				churn(t, s, 0, 100)
				if withPrevious {
					if err := s.LFC(ctx); err != nil {
						t.Fatal(err)
					}
					churn(t, s, 100, 200)
				}
				crash := errors.New("crash")
				s.stepHook = func(st string) error {
					if st == step {
						return crash
					}
					return nil
				}
				if err := s.LFC(ctx); !errors.Is(err, crash) {
					t.Fatalf("LFC: %v", err)
				}
				s.stepHook = nil
				churn(t, s, 200, 250)
				if err := s.DeleteLease4(ctx, lease4(10)); err != nil {
					t.Fatal(err)
				}
				want := elements(t, s)
				s.Close()

				r := openTest(t, store.Config{Family: 4, Name: path})
				sameLines(t, "reopened after the interruption", elements(t, r), want)
				churn(t, r, 250, 260)
				want = elements(t, r)
				if err := r.LFC(ctx); err != nil {
					t.Fatal(err)
				}
				// A second cleanup when the first finished a leftover one.
				if err := r.LFC(ctx); err != nil {
					t.Fatal(err)
				}
				r.Close()
				if got := fileNames(t, dir); got != "l.csv l.csv.2" {
					t.Errorf("files after the next cleanup: %s", got)
				}
				r = openTest(t, store.Config{Family: 4, Name: path})
				defer r.Close()
				sameLines(t, "reopened after the next cleanup", elements(t, r), want)
			})
		}
	}
}

// TestLFCLeftoverOutput: a cleanup killed while writing its output leaves
// a partial <name>.output, which loading ignores and the next cleanup
// overwrites.
func TestLFCLeftoverOutput(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "l.csv")
	s := openTest(t, store.Config{Family: 4, Name: path})
	churn(t, s, 0, 50)
	want := elements(t, s)
	s.Close()
	writeLines(t, path+".output", header4, "10.0.0.99,01:02,,3600,1700003600,1,0,0,,0,", "10.0.0.98,0")
	r := openTest(t, store.Config{Family: 4, Name: path})
	sameLines(t, "with a leftover output", elements(t, r), want)
	if err := r.LFC(context.Background()); err != nil {
		t.Fatal(err)
	}
	r.Close()
	r = openTest(t, store.Config{Family: 4, Name: path})
	defer r.Close()
	sameLines(t, "after cleanup", elements(t, r), want)
}

// TestLFCConcurrentWriters runs cleanups while leases change.
func TestLFCConcurrentWriters(t *testing.T) {
	path := filepath.Join(t.TempDir(), "l.csv")
	s := openTest(t, store.Config{Family: 4, Name: path, Durable: true})
	var wg sync.WaitGroup
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			if err := churnErr(s, w*1000, w*1000+300); err != nil {
				t.Error(err)
			}
		}(w)
	}
	for i := 0; i < 5; i++ {
		if err := s.LFC(context.Background()); err != nil {
			t.Error(err)
		}
	}
	wg.Wait()
	want := elements(t, s)
	s.Close()
	r := openTest(t, store.Config{Family: 4, Name: path})
	defer r.Close()
	sameLines(t, "reopened", elements(t, r), want)
}

// TestLFCInterval: the periodic cleanup runs by itself.
func TestLFCInterval(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "l.csv")
	s := openTest(t, store.Config{Family: 4, Name: path, LFCInterval: 1})
	defer s.Close()
	churn(t, s, 0, 20)
	for i := 0; i < 60 && !exists(path+".2"); i++ {
		sleepShort()
	}
	if !exists(path + ".2") {
		t.Fatalf("no cleanup ran: %s", fileNames(t, dir))
	}
}

// TestLFCKeaReads: Kea loads what lessor's cleanup leaves (<name>.2 and
// <name>) to the same leases.
func TestLFCKeaReads(t *testing.T) {
	if _, err := os.Stat(keaDhcp4); err != nil {
		t.Skipf("Kea 2.2 is not installed (%s missing); skipping the Kea interoperability test", keaDhcp4)
	}
	path := filepath.Join(t.TempDir(), "l.csv")
	s := openTest(t, store.Config{Family: 4, Name: path})
	ctx := context.Background()
	for i := 1; i < 40; i++ {
		l := lease4(i)
		l.Addr = netip.AddrFrom4([4]byte{192, 0, 2, byte(i)})
		l.SubnetID = 1
		if err := s.AddLease4(ctx, l); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.LFC(ctx); err != nil {
		t.Fatal(err)
	}
	for i := 1; i < 40; i += 4 {
		l := lease4(i)
		l.Addr = netip.AddrFrom4([4]byte{192, 0, 2, byte(i)})
		if err := s.DeleteLease4(ctx, l); err != nil {
			t.Fatal(err)
		}
	}
	want := elements(t, s)
	s.Close()
	k := startKea(t, 4, path)
	sameLines(t, "Kea's view after lessor's cleanup", k.leases(t, 4), want)
}
