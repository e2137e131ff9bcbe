package memfile

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// Lease file cleanup (LFC) follows Kea's protocol and file names, so that
// either server can pick up what the other left:
//
//  1. unless <name>.completed or <name>.1 is left from an interrupted
//     cleanup, <name> is renamed <name>.1 and a new <name> is started
//     (under the store's write lock; appends go on in the new file);
//  2. unless <name>.completed exists, <name>.2 (the previous cleanup's
//     result) and <name>.1 are replayed into a scratch table, written
//     to <name>.output, fsynced, and renamed <name>.completed;
//  3. <name>.2 and <name>.1 are removed and <name>.completed is renamed
//     <name>.2.
//
// Open loads <name>.completed alone if it exists, else <name>.2 then
// <name>.1, then <name>: at every point of the sequence these files hold
// every lease, so an interrupted cleanup loses nothing, and the next
// cleanup (or Open) carries on from the files it finds.

// lfcStep calls the test hook after each step of the cleanup; an error
// stops the cleanup there, as a crash would.
func (s *Store) lfcStep(step string) error {
	if s.stepHook != nil {
		return s.stepHook(step)
	}
	return nil
}

// LFC runs a lease file cleanup now. It returns once the cleanup is done;
// the store keeps serving meanwhile (it is locked only while the lease
// file is switched).
func (s *Store) LFC(ctx context.Context) error {
	s.lfcMu.Lock()
	defer s.lfcMu.Unlock()
	if s.file == nil {
		return nil
	}
	s.log.Info("starting Lease File Cleanup")
	base := s.path
	input, prev, output, finish := base+".1", base+".2", base+".output", base+".completed"

	if !exists(finish) && !exists(input) {
		if err := s.rotate(input); err != nil {
			return err
		}
	}
	if err := s.lfcStep("rotated"); err != nil {
		return err
	}
	if !exists(finish) {
		if err := s.compact(ctx, []string{prev, input}, output); err != nil {
			return err
		}
		if err := s.lfcStep("output"); err != nil {
			return err
		}
		if err := os.Rename(output, finish); err != nil {
			return fmt.Errorf("Unable to move output (%s) to complete (%s) error: %w", output, finish, err)
		}
		if err := syncDir(finish); err != nil {
			return err
		}
	}
	if err := s.lfcStep("completed"); err != nil {
		return err
	}
	if err := os.Remove(prev); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("Unable to delete previous file '%s' error: %w", prev, err)
	}
	if err := s.lfcStep("removed-previous"); err != nil {
		return err
	}
	if err := os.Remove(input); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("Unable to delete copy file '%s' error: %w", input, err)
	}
	if err := s.lfcStep("removed-copy"); err != nil {
		return err
	}
	if err := os.Rename(finish, prev); err != nil {
		return fmt.Errorf("Unable to move finish (%s) to previous (%s) error: %w", finish, prev, err)
	}
	if err := syncDir(prev); err != nil {
		return err
	}
	s.log.Info("lease file cleanup finished", "file", base)
	return nil
}

// rotate renames the lease file to input and starts a new lease file.
func (s *Store) rotate(input string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return errClosed
	}
	if err := os.Rename(s.path, input); err != nil {
		return fmt.Errorf("failed to copy the current lease file %s to %s: %w", s.path, input, err)
	}
	f, size, err := createFile(s.path, s.family, s.durable)
	if err != nil {
		// Put the file back: the open handle still refers to it.
		if rerr := os.Rename(input, s.path); rerr != nil {
			return fmt.Errorf("%w (and restoring %s failed: %v)", err, s.path, rerr)
		}
		return err
	}
	if err := s.file.swap(f, size, s.durable); err != nil {
		return err
	}
	return nil
}

// compact replays inputs into a scratch table and writes the result, one
// row per lease in address order, to output (fsynced).
func (s *Store) compact(ctx context.Context, inputs []string, output string) error {
	scratch := &Store{family: s.family, log: s.log, maxErrs: s.maxErrs}
	scratch.resetTables()
	scratch.beginBulk(countRows(inputs...))
	for _, p := range inputs {
		if err := ctx.Err(); err != nil {
			return err
		}
		if _, err := scratch.loadFile(p); err != nil {
			return err
		}
	}
	scratch.endBulk()
	if err := ctx.Err(); err != nil {
		return err
	}
	return scratch.writeAll(output)
}

// writeAll writes the held leases as a fresh lease file at path (created
// or truncated, fsynced). Called with mu held for reading, or on a store
// nobody else uses.
func (s *Store) writeAll(path string) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return fmt.Errorf("unable to open '%s': %w", path, err)
	}
	w := bufio.NewWriterSize(f, 1<<20)
	w.Write(headerLine(s.family))
	var buf []byte
	if s.family == 4 {
		s.t4.all(func(slot uint32) bool {
			l := s.t4.get(slot)
			buf = appendRow4(buf[:0], l, l.ValidLft)
			_, err = w.Write(buf)
			return err == nil
		})
	} else {
		s.t6.all(func(slot uint32) bool {
			l := s.t6.get(slot)
			buf = appendRow6(buf[:0], l, l.ValidLft)
			_, err = w.Write(buf)
			return err == nil
		})
	}
	if err == nil {
		err = w.Flush()
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("failed to write leases to '%s': %w", path, err)
	}
	return nil
}

// WriteLeases writes the current leases as a fresh Kea lease file at path
// (for lease4-write / lease6-write). The store is read-locked meanwhile.
func (s *Store) WriteLeases(ctx context.Context, path string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if s.path != "" {
		abs, _ := filepath.Abs(path)
		for _, p := range []string{s.path, s.path + ".1", s.path + ".2", s.path + ".output", s.path + ".completed"} {
			if pa, _ := filepath.Abs(p); pa == abs {
				return fmt.Errorf("refusing to overwrite the lease file %s", p)
			}
		}
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.writeAll(path)
}
