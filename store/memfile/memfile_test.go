package memfile

import (
	"context"
	"errors"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/lessor-dhcp/lessor/lease"
	"github.com/lessor-dhcp/lessor/store"
)

func TestLeaseFilePath(t *testing.T) {
	cases := []struct {
		cfg  store.Config
		want string
	}{
		{store.Config{Family: 4}, "/var/lib/kea/kea-leases4.csv"},
		{store.Config{Family: 6}, "/var/lib/kea/kea-leases6.csv"},
		{store.Config{Family: 4, DataDir: "/srv/d"}, "/srv/d/kea-leases4.csv"},
		{store.Config{Family: 6, DataDir: "/srv/d", Name: "/x/y.csv"}, "/x/y.csv"},
		{store.Config{Family: 4, Name: "/x/y.csv", Persist: boolPtr(false)}, ""},
		{store.Config{Family: 4, Persist: boolPtr(true)}, "/var/lib/kea/kea-leases4.csv"},
	}
	for _, c := range cases {
		if got := LeaseFilePath(c.cfg); got != c.want {
			t.Errorf("LeaseFilePath(%+v) = %q, want %q", c.cfg, got, c.want)
		}
	}
	dir := t.TempDir()
	s := openTest(t, store.Config{Family: 6, DataDir: dir})
	defer s.Close()
	if s.Path() != filepath.Join(dir, "kea-leases6.csv") || !exists(s.Path()) {
		t.Errorf("Path() = %q", s.Path())
	}
	if s.Describe() != "memfile "+s.Path() {
		t.Errorf("Describe() = %q", s.Describe())
	}
}

// TestRowsWritten checks the exact rows lessor appends, including the
// delete row and the two rows of an update to valid lifetime 0.
func TestRowsWritten(t *testing.T) {
	path := filepath.Join(t.TempDir(), "l.csv")
	s := openTest(t, store.Config{Family: 4, Name: path})
	ctx := context.Background()
	l := &lease.Lease4{Addr: netip.MustParseAddr("192.0.2.1"), HWAddr: []byte{1, 2, 3, 4, 5, 6},
		ValidLft: 100, CLTT: 1000, SubnetID: 3, Hostname: "a,b"}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(s.AddLease4(ctx, l))
	l.ValidLft = 0
	must(s.UpdateLease4(ctx, l))
	must(s.DeleteLease4(ctx, l))
	s.Close()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	want := header4 + "\n" +
		"192.0.2.1,01:02:03:04:05:06,,100,1100,3,0,0,a&#x2cb,0,\n" +
		"192.0.2.1,01:02:03:04:05:06,,0,1000,3,0,0,a&#x2cb,0,\n" +
		"192.0.2.1,01:02:03:04:05:06,,0,1000,3,0,0,a&#x2cb,0,\n" +
		"192.0.2.1,01:02:03:04:05:06,,0,1000,3,0,0,a&#x2cb,0,\n"
	if string(data) != want {
		t.Errorf("lease file:\n%s\nwant:\n%s", data, want)
	}
}

// TestWriteFailure: when the lease file cannot be written, the change is
// refused and memory is left as it was.
func TestWriteFailure(t *testing.T) {
	path := filepath.Join(t.TempDir(), "l.csv")
	s := openTest(t, store.Config{Family: 4, Name: path})
	defer s.Close()
	ctx := context.Background()
	keep := lease4(1)
	if err := s.AddLease4(ctx, keep); err != nil {
		t.Fatal(err)
	}
	ro, err := os.Open(path) // a read-only handle makes every write fail
	if err != nil {
		t.Fatal(err)
	}
	s.mu.Lock()
	good := s.file.f
	s.file.f = ro
	s.mu.Unlock()
	before := elements(t, s)
	changed := keep.Clone()
	changed.Hostname = "changed"
	for name, op := range map[string]func() error{
		"add":    func() error { return s.AddLease4(ctx, lease4(2)) },
		"update": func() error { return s.UpdateLease4(ctx, changed) },
		"delete": func() error { return s.DeleteLease4(ctx, keep) },
		"wipe": func() error {
			_, err := s.WipeLeases4(ctx, keep.SubnetID)
			return err
		},
	} {
		if err := op(); err == nil || !strings.Contains(err.Error(), "failed to write a lease to the file") {
			t.Errorf("%s with a failing file: %v", name, err)
		}
		sameLines(t, name+" with a failing file", elements(t, s), before)
	}
	s.mu.Lock()
	s.file.f = good
	s.mu.Unlock()
	ro.Close()
	if err := s.AddLease4(ctx, lease4(2)); err != nil {
		t.Fatal(err)
	}
	want := elements(t, s)
	s.Close()
	r := openTest(t, store.Config{Family: 4, Name: path})
	defer r.Close()
	sameLines(t, "reopened", elements(t, r), want)
}

// TestKeaRules checks the leases Kea's lease file cannot hold are refused
// with Kea's texts, and that nothing is changed.
func TestKeaRules(t *testing.T) {
	path := filepath.Join(t.TempDir(), "l.csv")
	s := openTest(t, store.Config{Family: 4, Name: path})
	defer s.Close()
	ctx := context.Background()
	bad := &lease.Lease4{Addr: netip.MustParseAddr("192.0.2.1"), ValidLft: 1, SubnetID: 1}
	err := s.AddLease4(ctx, bad)
	if err == nil || err.Error() != "Lease4: 192.0.2.1, state: default has neither hardware address or client id" {
		t.Errorf("lease without identifiers: %v", err)
	}
	bad.ClientID = []byte{1}
	if err := s.AddLease4(ctx, bad); err == nil || err.Error() != "client-id is too short (1), at least 2 is required" {
		t.Errorf("1-byte client-id: %v", err)
	}
	if s.Len() != 0 {
		t.Errorf("refused leases were stored")
	}
	s6 := openTest(t, store.Config{Family: 6, Name: filepath.Join(t.TempDir(), "l6.csv")})
	defer s6.Close()
	err = s6.AddLease6(ctx, &lease.Lease6{Addr: netip.MustParseAddr("2001:db8::1"), ValidLft: 1})
	if err == nil || err.Error() != "Lease6: 2001:db8::1, state: default, has no DUID" {
		t.Errorf("lease without DUID: %v", err)
	}
	// Without a lease file these leases are kept, as Kea keeps them.
	m := openTest(t, store.Config{Family: 4, Persist: boolPtr(false)})
	defer m.Close()
	bad.ClientID = nil
	if err := m.AddLease4(ctx, bad); err != nil {
		t.Errorf("non-persistent store refused a lease without identifiers: %v", err)
	}
}

// TestDurable: with Durable, concurrent writers all succeed (sharing
// fsyncs) and everything is in the file.
func TestDurable(t *testing.T) {
	path := filepath.Join(t.TempDir(), "l.csv")
	s := openTest(t, store.Config{Family: 4, Name: path, Durable: true})
	var wg sync.WaitGroup
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			if err := churnErr(s, w*1000, w*1000+100); err != nil {
				t.Error(err)
			}
		}(w)
	}
	wg.Wait()
	if s.file.synced != s.file.wseq.Load() {
		t.Errorf("synced %d of %d rows", s.file.synced, s.file.wseq.Load())
	}
	want := elements(t, s)
	s.Close()
	r := openTest(t, store.Config{Family: 4, Name: path})
	defer r.Close()
	sameLines(t, "reopened", elements(t, r), want)
}

// TestCrashLeftovers: files as a crash can leave them load to every
// acknowledged lease: the lease file renamed away without its successor,
// a row cut in the middle.
func TestCrashLeftovers(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "l.csv")
	s := openTest(t, store.Config{Family: 4, Name: path})
	churn(t, s, 0, 40)
	want := elements(t, s)
	s.Close()
	// Killed between renaming the lease file and creating the new one.
	if err := os.Rename(path, path+".1"); err != nil {
		t.Fatal(err)
	}
	r := openTest(t, store.Config{Family: 4, Name: path})
	sameLines(t, "lease file renamed away", elements(t, r), want)
	r.Close()
	// Killed in the middle of a row.
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString("10.9.9.9,01:02:03:04:0")
	f.Close()
	r = openTest(t, store.Config{Family: 4, Name: path})
	sameLines(t, "torn row", elements(t, r), want)
	if err := r.AddLease4(context.Background(), lease4(5000)); err != nil {
		t.Fatal(err)
	}
	want = elements(t, r)
	r.Close()
	r = openTest(t, store.Config{Family: 4, Name: path})
	defer r.Close()
	sameLines(t, "after appending past a torn row", elements(t, r), want)
}

func TestClosed(t *testing.T) {
	s := openTest(t, store.Config{Family: 4, Persist: boolPtr(false)})
	s.Close()
	if err := s.AddLease4(context.Background(), lease4(1)); !errors.Is(err, errClosed) {
		t.Errorf("add after close: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Errorf("second close: %v", err)
	}
}

func TestWriteLeasesRefusesLeaseFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "l.csv")
	s := openTest(t, store.Config{Family: 4, Name: path})
	defer s.Close()
	for _, p := range []string{path, path + ".2"} {
		if err := s.WriteLeases(context.Background(), p); err == nil {
			t.Errorf("WriteLeases(%s) overwrote a lease file", p)
		}
	}
}
