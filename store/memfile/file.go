package memfile

import (
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
)

// leaseFile is the lease file open for appending. write is called with the
// store's write lock held, so rows reach the file in the order the changes
// are applied in memory; sync (durable mode) is called without it and
// shares one fsync between all the writers waiting at that moment.
type leaseFile struct {
	path  string
	f     *os.File
	size  int64         // bytes in the file (complete rows only)
	wseq  atomic.Uint64 // rows written
	syncs atomic.Uint64 // fsyncs done (for tests and benchmarks)

	smu     sync.Mutex
	cond    *sync.Cond
	synced  uint64 // rows known to be on stable storage
	syncing bool
	lost    uint64 // rows up to here were written but their fsync failed
	err     error  // that fsync failure
}

func newLeaseFile(path string, f *os.File, size int64) *leaseFile {
	lf := &leaseFile{path: path, f: f, size: size}
	lf.cond = sync.NewCond(&lf.smu)
	return lf
}

// createFile creates (or truncates) path with the header row of family.
func createFile(path string, family int, durable bool) (*os.File, int64, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return nil, 0, fmt.Errorf("unable to open '%s': %w", path, err)
	}
	h := headerLine(family)
	if _, err := f.Write(h); err != nil {
		f.Close()
		return nil, 0, fmt.Errorf("unable to write the header of '%s': %w", path, err)
	}
	if durable {
		if err := f.Sync(); err != nil {
			f.Close()
			return nil, 0, fmt.Errorf("fsync '%s': %w", path, err)
		}
		if err := syncDir(path); err != nil {
			f.Close()
			return nil, 0, err
		}
	}
	return f, int64(len(h)), nil
}

// syncDir fsyncs the directory holding path, so that a file created or
// renamed there survives a power loss.
func syncDir(path string) error {
	d, err := os.Open(filepath.Dir(path))
	if err != nil {
		return fmt.Errorf("open directory of '%s': %w", path, err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("fsync directory of '%s': %w", path, err)
	}
	return nil
}

// write appends rows (complete lines). On failure the file is cut back to
// its previous size, so that no partial row is left behind, and the error
// is returned.
func (lf *leaseFile) write(rows []byte) error {
	n, err := lf.f.WriteAt(rows, lf.size)
	if err == nil && n < len(rows) {
		err = fmt.Errorf("short write (%d of %d bytes)", n, len(rows))
	}
	if err != nil {
		if n > 0 {
			// Best effort: the row is reported as not written either way.
			_ = lf.f.Truncate(lf.size)
		}
		return fmt.Errorf("failed to write a lease to the file '%s': %w", lf.path, err)
	}
	lf.size += int64(n)
	lf.wseq.Add(1)
	return nil
}

// sync returns once every row written up to seq is on stable storage.
// Writers arriving while an fsync runs wait for the next one, which
// covers them all (group commit).
func (lf *leaseFile) sync(seq uint64) error {
	lf.smu.Lock()
	defer lf.smu.Unlock()
	for lf.synced < seq {
		if seq <= lf.lost {
			return lf.err
		}
		if lf.syncing {
			lf.cond.Wait()
			continue
		}
		lf.syncing = true
		target := lf.wseq.Load()
		f := lf.f
		lf.smu.Unlock()
		err := f.Sync()
		lf.syncs.Add(1)
		lf.smu.Lock()
		lf.syncing = false
		lf.cond.Broadcast()
		if err != nil {
			lf.err = fmt.Errorf("fsync '%s': %w", lf.path, err)
			lf.lost = max(lf.lost, target)
			return lf.err
		}
		if target > lf.synced {
			lf.synced = target
		}
	}
	return nil
}

// swap replaces the open file (lease file cleanup moved the old one away).
// The caller holds the store's write lock; pending fsyncs are completed on
// the old file first so that no acknowledged row is left unsynced.
func (lf *leaseFile) swap(f *os.File, size int64, durable bool) error {
	lf.smu.Lock()
	for lf.syncing {
		lf.cond.Wait()
	}
	var err error
	if durable {
		if err = lf.f.Sync(); err == nil {
			lf.synced = lf.wseq.Load()
		} else {
			lf.err = fmt.Errorf("fsync '%s': %w", lf.path, err)
			lf.lost = lf.wseq.Load()
		}
	}
	old := lf.f
	lf.f, lf.size = f, size
	lf.smu.Unlock()
	if cerr := old.Close(); err == nil && cerr != nil {
		err = cerr
	}
	return err
}

func (lf *leaseFile) close() error {
	lf.smu.Lock()
	for lf.syncing {
		lf.cond.Wait()
	}
	lf.smu.Unlock()
	return lf.f.Close()
}
