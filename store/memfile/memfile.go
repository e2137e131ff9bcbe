package memfile

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/lessor-dhcp/lessor/lease"
	"github.com/lessor-dhcp/lessor/store"
)

func init() {
	store.Register("memfile", Open)
}

// DefaultDataDir is where the lease file goes when neither the lease
// database's "name" nor the configuration's data directory says otherwise
// (Kea's default).
const DefaultDataDir = "/var/lib/kea"

// Store is a memfile lease store for one address family.
type Store struct {
	family  int
	path    string // "" when leases are not persisted
	durable bool
	maxErrs int64
	log     *slog.Logger

	mu     sync.RWMutex
	t4     *table4
	t6     *table6
	file   *leaseFile // nil when leases are not persisted
	buf    []byte     // row buffer, used under mu
	closed bool

	lfcMu    sync.Mutex // one lease file cleanup at a time
	stepHook func(step string) error
	stop     chan struct{}
	stopped  sync.WaitGroup
}

var (
	_ store.Store  = (*Store)(nil)
	_ store.Store4 = (*Store)(nil)
	_ store.Store6 = (*Store)(nil)
)

// errClosed is returned by changes made after Close.
var errClosed = errors.New("memfile lease database is closed")

// LeaseFilePath returns the lease file path cfg designates: its name, or
// Kea's default file in the data directory; "" when persist is false.
func LeaseFilePath(cfg store.Config) string {
	if cfg.Persist != nil && !*cfg.Persist {
		return ""
	}
	if cfg.Name != "" {
		return cfg.Name
	}
	dir := cfg.DataDir
	if dir == "" {
		dir = DefaultDataDir
	}
	if cfg.Family == 6 {
		return filepath.Join(dir, "kea-leases6.csv")
	}
	return filepath.Join(dir, "kea-leases4.csv")
}

// Open opens a memfile store for cfg.Family: it loads the lease files (the
// results of an earlier cleanup first, as Kea does), opens the lease file
// for appending and starts the periodic lease file cleanup if
// cfg.LFCInterval is set.
func Open(ctx context.Context, cfg store.Config, log *slog.Logger) (store.Store, error) {
	return OpenStore(ctx, cfg, log)
}

// OpenStore is Open returning the concrete type, for the server's
// memfile-specific needs (lease file path, cleanup, lease4-write).
func OpenStore(ctx context.Context, cfg store.Config, log *slog.Logger) (*Store, error) {
	if cfg.Family != 4 && cfg.Family != 6 {
		return nil, fmt.Errorf("memfile: invalid address family %d", cfg.Family)
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &Store{
		family:  cfg.Family,
		path:    LeaseFilePath(cfg),
		durable: cfg.Durable,
		maxErrs: cfg.MaxRowErrors,
		log:     log,
		stop:    make(chan struct{}),
	}
	s.resetTables()
	if s.path == "" {
		log.Warn("running in non-persistent mode, leases will be lost after restart")
		return s, nil
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	convert, err := s.load()
	if err != nil {
		return nil, err
	}
	if convert {
		log.Warn("running LFC now to convert lease files to the current schema")
		// A leftover cleanup may hold the older file; a second pass then
		// converts the main file.
		for range 2 {
			if err := s.LFC(ctx); err != nil {
				s.file.close()
				return nil, err
			}
		}
	}
	if cfg.LFCInterval > 0 {
		s.stopped.Add(1)
		go s.lfcLoop(time.Duration(cfg.LFCInterval) * time.Second)
	}
	return s, nil
}

func (s *Store) resetTables() {
	if s.family == 4 {
		s.t4 = newTable4()
	} else {
		s.t6 = newTable6()
	}
}

// beginBulk prepares the tables for loading up to n leases.
func (s *Store) beginBulk(n int) {
	if s.family == 4 {
		s.t4.reserve(n)
		s.t4.beginBulk()
	} else {
		s.t6.reserve(n)
		s.t6.beginBulk()
	}
}

func (s *Store) endBulk() {
	if s.family == 4 {
		s.t4.endBulk()
	} else {
		s.t6.endBulk()
	}
}

// countRows returns the number of lines in the files (an upper bound on
// the leases they hold), so that the tables are sized once.
func countRows(paths ...string) int {
	n := 0
	buf := make([]byte, 1<<20)
	for _, p := range paths {
		f, err := os.Open(p)
		if err != nil {
			continue
		}
		for {
			k, err := f.Read(buf)
			n += bytes.Count(buf[:k], []byte{'\n'})
			if err != nil {
				break
			}
		}
		f.Close()
	}
	return n
}

// load reads the lease files in Kea's order (<name>.completed alone if a
// cleanup finished its output, else <name>.2 then <name>.1; then <name>)
// and opens <name> for appending. It reports whether a file's schema
// differs from the current one.
func (s *Store) load() (bool, error) {
	convert := false
	var inputs []string
	if exists(s.path + ".completed") {
		inputs = []string{s.path + ".completed"}
	} else {
		inputs = []string{s.path + ".2", s.path + ".1"}
	}
	s.beginBulk(countRows(append(inputs, s.path)...))
	defer s.endBulk()
	for _, p := range inputs {
		info, err := s.loadFile(p)
		if err != nil {
			return false, err
		}
		if info.schema != nil && info.schema.needsConversion() {
			convert = true
		}
	}
	info, err := s.loadFile(s.path)
	if err != nil {
		return false, err
	}
	var f *os.File
	size := info.good
	if info.schema == nil {
		// Missing, empty, or nothing but an incomplete header: start anew.
		f, size, err = createFile(s.path, s.family, s.durable)
		if err != nil {
			return false, err
		}
	} else {
		if info.schema.needsConversion() {
			convert = true
		}
		f, err = os.OpenFile(s.path, os.O_RDWR, 0)
		if err != nil {
			return false, fmt.Errorf("unable to open '%s': %w", s.path, err)
		}
		if info.torn {
			// Cut the incomplete row so that new rows start on a line.
			if err := f.Truncate(size); err != nil {
				f.Close()
				return false, fmt.Errorf("unable to truncate '%s': %w", s.path, err)
			}
		}
	}
	s.file = newLeaseFile(s.path, f, size)
	return convert, nil
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

func (s *Store) lfcLoop(every time.Duration) {
	defer s.stopped.Done()
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-s.stop:
			return
		case <-t.C:
			ctx, cancel := context.WithCancel(context.Background())
			go func() {
				select {
				case <-s.stop:
					cancel()
				case <-ctx.Done():
				}
			}()
			if err := s.LFC(ctx); err != nil {
				s.log.Error("lease file cleanup failed", "file", s.path, "error", err)
			}
			cancel()
		}
	}
}

// V4 returns the IPv4 store, or nil if the store holds IPv6 leases.
func (s *Store) V4() store.Store4 {
	if s.family == 4 {
		return s
	}
	return nil
}

// V6 returns the IPv6 store, or nil if the store holds IPv4 leases.
func (s *Store) V6() store.Store6 {
	if s.family == 6 {
		return s
	}
	return nil
}

// Describe names the store and its lease file.
func (s *Store) Describe() string {
	if s.path == "" {
		return "memfile (not persisted)"
	}
	return "memfile " + s.path
}

// Path returns the lease file path ("" when leases are not persisted).
func (s *Store) Path() string { return s.path }

// Len returns the number of leases held.
func (s *Store) Len() int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.family == 4 {
		return s.t4.len()
	}
	return s.t6.len()
}

// Close stops the lease file cleanup and closes the lease file.
func (s *Store) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	close(s.stop)
	s.mu.Unlock()
	s.stopped.Wait()
	s.lfcMu.Lock()
	defer s.lfcMu.Unlock()
	if s.file != nil {
		return s.file.close()
	}
	return nil
}

// commit writes rows (if leases are persisted) and then applies the
// change; it is called with mu held. It returns the row sequence number to
// sync on (0 = nothing to sync).
func (s *Store) commit(ctx context.Context, rows []byte, apply func()) (uint64, error) {
	if s.closed {
		return 0, errClosed
	}
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	if s.file != nil && len(rows) > 0 {
		if err := s.file.write(rows); err != nil {
			return 0, err
		}
		apply()
		if s.durable {
			return s.file.wseq.Load(), nil
		}
		return 0, nil
	}
	apply()
	return 0, nil
}

// finish waits for durability of the rows up to seq, outside the lock.
func (s *Store) finish(seq uint64, err error) error {
	if err != nil || seq == 0 {
		return err
	}
	return s.file.sync(seq)
}

// rowBuf returns the reusable row buffer, emptied; called with mu held.
func (s *Store) rowBuf() []byte {
	if cap(s.buf) > 1<<20 {
		s.buf = nil
	}
	return s.buf[:0]
}

// check4 refuses leases that cannot be written to and read back from a
// lease file, with Kea's texts where Kea has one.
func (s *Store) check4(l *lease.Lease4) error {
	if !l.Addr.Is4() {
		return fmt.Errorf("invalid IPv4 lease address %s", l.Addr)
	}
	if len(l.HWAddr) > maxHWAddrLen {
		return errors.New("address vector size exceeds MAX_HWADDR_LEN")
	}
	if n := len(l.ClientID); n > 0 && n < minClientIDLen {
		return fmt.Errorf("client-id is too short (%d), at least 2 is required", n)
	}
	if n := len(l.ClientID); n > maxDUIDLen {
		return fmt.Errorf("DUID size is %d bytes, exceeds maximum of %d", n, maxDUIDLen)
	}
	if s.path != "" && len(l.HWAddr) == 0 && len(l.ClientID) == 0 && l.State != lease.StateDeclined {
		return fmt.Errorf("Lease4: %s, state: %s has neither hardware address or client id", l.Addr, stateText(l.State))
	}
	return nil
}

// norm4 returns the lease as the store keeps it: client-id empty means
// none, the hardware type is Ethernet (a lease file does not record it).
func norm4(l *lease.Lease4) *lease.Lease4 {
	c := *l
	if len(c.ClientID) == 0 {
		c.ClientID = nil
	}
	if len(c.HWAddr) == 0 {
		c.HWAddr = nil
	}
	c.HWType = lease.HTypeEther
	return &c
}

// AddLease4 stores a new lease; ErrExists if its address is taken.
func (s *Store) AddLease4(ctx context.Context, l *lease.Lease4) error {
	if err := s.check4(l); err != nil {
		return err
	}
	l = norm4(l)
	s.mu.Lock()
	if s.t4.lookup(addr4(l.Addr)) != noSlot {
		s.mu.Unlock()
		return store.ErrExists
	}
	s.buf = appendRow4(s.rowBuf(), l, l.ValidLft)
	seq, err := s.commit(ctx, s.buf, func() { s.t4.insert(l) })
	s.mu.Unlock()
	return s.finish(seq, err)
}

// UpdateLease4 replaces the lease with the same address; ErrNotFound if
// none. A lease with valid lifetime 0 is written as two rows (the first
// deletes the old lease on reload, the second re-creates it).
func (s *Store) UpdateLease4(ctx context.Context, l *lease.Lease4) error {
	if err := s.check4(l); err != nil {
		return err
	}
	l = norm4(l)
	s.mu.Lock()
	slot := s.t4.lookup(addr4(l.Addr))
	if slot == noSlot {
		s.mu.Unlock()
		return store.ErrNotFound
	}
	s.buf = appendRow4(s.rowBuf(), l, l.ValidLft)
	if l.ValidLft == 0 {
		s.buf = appendRow4(s.buf, l, 0)
	}
	seq, err := s.commit(ctx, s.buf, func() { s.t4.replace(slot, l) })
	s.mu.Unlock()
	return s.finish(seq, err)
}

// DeleteLease4 removes the lease with l's address; ErrNotFound if none.
func (s *Store) DeleteLease4(ctx context.Context, l *lease.Lease4) error {
	if !l.Addr.Is4() {
		return store.ErrNotFound
	}
	s.mu.Lock()
	slot := s.t4.lookup(addr4(l.Addr))
	if slot == noSlot {
		s.mu.Unlock()
		return store.ErrNotFound
	}
	seq, err := s.removeSlots4(ctx, []uint32{slot}, l)
	s.mu.Unlock()
	return s.finish(seq, err)
}

// removeSlots4 writes delete rows for the leases in slots and removes
// them. A delete row is the lease with valid lifetime 0, as Kea writes it:
// the lease the caller passed when there is one (Kea writes the object it
// was given, e.g. with the hostname a reclamation cleared), else the
// stored lease.
func (s *Store) removeSlots4(ctx context.Context, slots []uint32, given ...*lease.Lease4) (uint64, error) {
	if len(slots) == 0 {
		return 0, nil
	}
	buf := s.rowBuf()
	if s.file != nil {
		for i, slot := range slots {
			l := s.t4.get(slot)
			if i < len(given) && given[i] != nil && (given[i].HWAddr != nil || given[i].ClientID != nil) {
				l = given[i]
			}
			buf = appendRow4(buf, l, 0)
		}
	}
	s.buf = buf
	return s.commit(ctx, buf, func() {
		for _, slot := range slots {
			s.t4.remove(slot)
		}
	})
}

// GetLease4 returns the lease of addr, or nil.
func (s *Store) GetLease4(_ context.Context, addr netip.Addr) (*lease.Lease4, error) {
	if !addr.Is4() {
		return nil, nil
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	if slot := s.t4.lookup(addr4(addr)); slot != noSlot {
		return s.t4.get(slot), nil
	}
	return nil, nil
}

// GetLease4ByHWAddr returns the first lease with hw in subnetID.
func (s *Store) GetLease4ByHWAddr(_ context.Context, hw []byte, subnetID uint32) (*lease.Lease4, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if slot := s.t4.firstInSubnet(s.t4.hw, string(hw), subnetID); slot != noSlot {
		return s.t4.get(slot), nil
	}
	return nil, nil
}

// GetLease4ByClientID returns the first lease with clientID in subnetID.
func (s *Store) GetLease4ByClientID(_ context.Context, clientID []byte, subnetID uint32) (*lease.Lease4, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if slot := s.t4.firstInSubnet(s.t4.cid, string(clientID), subnetID); slot != noSlot {
		return s.t4.get(slot), nil
	}
	return nil, nil
}

// GetLeases4ByHWAddr returns the leases with hw, by subnet, then in the
// order they took this hardware address and subnet.
func (s *Store) GetLeases4ByHWAddr(_ context.Context, hw []byte) ([]*lease.Lease4, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.t4.leases(s.t4.bySubnetOrder(s.t4.collect(s.t4.hw, string(hw)))), nil
}

// GetLeases4ByClientID returns the leases with clientID, ordered as
// GetLeases4ByHWAddr's.
func (s *Store) GetLeases4ByClientID(_ context.Context, clientID []byte) ([]*lease.Lease4, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.t4.leases(s.t4.bySubnetOrder(s.t4.collect(s.t4.cid, string(clientID)))), nil
}

// GetLeases4ByHostname returns the leases with hostname.
func (s *Store) GetLeases4ByHostname(_ context.Context, hostname string) ([]*lease.Lease4, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.t4.leases(s.t4.collect(s.t4.host, hostname)), nil
}

// GetLeases4BySubnet returns the leases of subnetID.
func (s *Store) GetLeases4BySubnet(_ context.Context, subnetID uint32) ([]*lease.Lease4, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.t4.leases(s.t4.subnetSlots(subnetID)), nil
}

// GetLeases4Page returns up to limit leases with addresses above after.
func (s *Store) GetLeases4Page(_ context.Context, after netip.Addr, limit int) ([]*lease.Lease4, error) {
	if !after.Is4() {
		return nil, fmt.Errorf("expected IPv4 address while retrieving leases from the lease database, got %s", after)
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.t4.leases(s.t4.page(addr4(after), true, limit)), nil
}

// GetExpiredLeases4 returns up to limit (0 = all) leases, not reclaimed,
// that expired at or before now, oldest first.
func (s *Store) GetExpiredLeases4(_ context.Context, now int64, limit int) ([]*lease.Lease4, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.t4.leases(s.t4.expired(now, limit)), nil
}

// WipeLeases4 removes the leases of subnetID and returns how many.
func (s *Store) WipeLeases4(ctx context.Context, subnetID uint32) (int, error) {
	s.mu.Lock()
	slots := s.t4.subnetSlots(subnetID)
	seq, err := s.removeSlots4(ctx, slots)
	s.mu.Unlock()
	if err := s.finish(seq, err); err != nil {
		return 0, err
	}
	return len(slots), nil
}

// DeleteExpiredReclaimedLeases4 removes reclaimed leases that expired at or
// before olderThan and returns how many.
func (s *Store) DeleteExpiredReclaimedLeases4(ctx context.Context, olderThan int64) (int, error) {
	s.mu.Lock()
	slots := s.t4.reclaimedBefore(olderThan)
	seq, err := s.removeSlots4(ctx, slots)
	s.mu.Unlock()
	if err := s.finish(seq, err); err != nil {
		return 0, err
	}
	return len(slots), nil
}

// CountLeases4 returns lease counts by subnet and state.
func (s *Store) CountLeases4(context.Context) ([]store.StateCount, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return countsOf(s.t4.counts), nil
}

// check6 refuses leases that cannot be written to and read back from a
// lease file, with Kea's texts where Kea has one.
func (s *Store) check6(l *lease.Lease6) error {
	if !l.Addr.Is6() || l.Addr.Zone() != "" {
		return fmt.Errorf("invalid IPv6 lease address %s", l.Addr)
	}
	if l.Type > lease.TypePD {
		return fmt.Errorf("invalid lease type %d", l.Type)
	}
	if len(l.HWAddr) > maxHWAddrLen {
		return errors.New("address vector size exceeds MAX_HWADDR_LEN")
	}
	if n := len(l.DUID); n > maxDUIDLen {
		return fmt.Errorf("DUID size is %d bytes, exceeds maximum of %d", n, maxDUIDLen)
	}
	empty := len(l.DUID) == 0 || (len(l.DUID) == 1 && l.DUID[0] == 0)
	if s.path != "" && empty && l.State != lease.StateDeclined {
		return fmt.Errorf("Lease6: %s, state: %s, has no DUID", l.Addr, stateText(l.State))
	}
	return nil
}

// norm6 returns the lease as the store keeps it: no hardware address
// means no hardware type or source either; a declined lease without DUID
// gets Kea's empty DUID (00) when leases are persisted.
func (s *Store) norm6(l *lease.Lease6) *lease.Lease6 {
	c := *l
	if c.HWAddr == nil {
		c.HWType, c.HWAddrSource = 0, 0
	}
	if len(c.DUID) == 0 {
		c.DUID = nil
		if s.path != "" {
			c.DUID = []byte{0}
		}
	}
	return &c
}

// AddLease6 stores a new lease; ErrExists if its address holds a lease of
// any type.
func (s *Store) AddLease6(ctx context.Context, l *lease.Lease6) error {
	if err := s.check6(l); err != nil {
		return err
	}
	l = s.norm6(l)
	s.mu.Lock()
	if s.t6.lookup(l.Addr) != noSlot {
		s.mu.Unlock()
		return store.ErrExists
	}
	s.buf = appendRow6(s.rowBuf(), l, l.ValidLft)
	seq, err := s.commit(ctx, s.buf, func() { s.t6.insert(l) })
	s.mu.Unlock()
	return s.finish(seq, err)
}

// UpdateLease6 replaces the lease with the same address; ErrNotFound if
// none. Valid lifetime 0 is written as two rows, as UpdateLease4 does.
func (s *Store) UpdateLease6(ctx context.Context, l *lease.Lease6) error {
	if err := s.check6(l); err != nil {
		return err
	}
	l = s.norm6(l)
	s.mu.Lock()
	slot := s.t6.lookup(l.Addr)
	if slot == noSlot {
		s.mu.Unlock()
		return store.ErrNotFound
	}
	s.buf = appendRow6(s.rowBuf(), l, l.ValidLft)
	if l.ValidLft == 0 {
		s.buf = appendRow6(s.buf, l, 0)
	}
	seq, err := s.commit(ctx, s.buf, func() { s.t6.replace(slot, l) })
	s.mu.Unlock()
	return s.finish(seq, err)
}

// DeleteLease6 removes the lease with l's address; ErrNotFound if none.
func (s *Store) DeleteLease6(ctx context.Context, l *lease.Lease6) error {
	if !l.Addr.Is6() {
		return store.ErrNotFound
	}
	s.mu.Lock()
	slot := s.t6.lookup(l.Addr)
	if slot == noSlot {
		s.mu.Unlock()
		return store.ErrNotFound
	}
	seq, err := s.removeSlots6(ctx, []uint32{slot}, l)
	s.mu.Unlock()
	return s.finish(seq, err)
}

func (s *Store) removeSlots6(ctx context.Context, slots []uint32, given ...*lease.Lease6) (uint64, error) {
	if len(slots) == 0 {
		return 0, nil
	}
	buf := s.rowBuf()
	if s.file != nil {
		for i, slot := range slots {
			// Kea's delete row has valid and preferred lifetimes 0.
			d := *s.t6.get(slot)
			if i < len(given) && given[i] != nil && given[i].DUID != nil {
				d = *s.norm6(given[i])
			}
			d.PreferredLft = 0
			buf = appendRow6(buf, &d, 0)
		}
	}
	s.buf = buf
	return s.commit(ctx, buf, func() {
		for _, slot := range slots {
			s.t6.remove(slot)
		}
	})
}

// GetLease6 returns the lease of this type and address, or nil.
func (s *Store) GetLease6(_ context.Context, typ lease.Type, addr netip.Addr) (*lease.Lease6, error) {
	if !addr.Is6() {
		return nil, nil
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	slot := s.t6.lookup(addr)
	if slot == noSlot || s.t6.recs[slot].typ != uint8(typ) {
		return nil, nil
	}
	return s.t6.get(slot), nil
}

// GetLeases6ByIAID returns the leases of this type, DUID, IAID and subnet.
func (s *Store) GetLeases6ByIAID(_ context.Context, typ lease.Type, duid []byte, iaid uint32, subnetID uint32) ([]*lease.Lease6, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	slots := collectChain(s.t6.ia, iaKey{string(duid), iaid, uint8(typ)}, func(slot uint32) bool {
		return s.t6.recs[slot].subnet == subnetID
	})
	return s.t6.leases(slots), nil
}

// GetLeases6ByDUID returns the leases with this DUID.
func (s *Store) GetLeases6ByDUID(_ context.Context, duid []byte) ([]*lease.Lease6, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.t6.leases(collectChain(s.t6.duid, string(duid), nil)), nil
}

// GetLeases6ByHostname returns the leases with this hostname.
func (s *Store) GetLeases6ByHostname(_ context.Context, hostname string) ([]*lease.Lease6, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.t6.leases(collectChain(s.t6.host, hostname, nil)), nil
}

// GetLeases6BySubnet returns the leases of subnetID.
func (s *Store) GetLeases6BySubnet(_ context.Context, subnetID uint32) ([]*lease.Lease6, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.t6.leases(collectChain(s.t6.subnet, subnetID, nil)), nil
}

// GetLeases6Page returns up to limit leases with addresses above after.
func (s *Store) GetLeases6Page(_ context.Context, after netip.Addr, limit int) ([]*lease.Lease6, error) {
	if !after.Is6() {
		return nil, fmt.Errorf("expected IPv6 address while retrieving leases from the lease database, got %s", after)
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.t6.leases(s.t6.page(after, limit)), nil
}

// GetExpiredLeases6 returns up to limit (0 = all) leases, not reclaimed,
// that expired at or before now, oldest first.
func (s *Store) GetExpiredLeases6(_ context.Context, now int64, limit int) ([]*lease.Lease6, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.t6.leases(s.t6.expired(now, limit)), nil
}

// WipeLeases6 removes the leases of subnetID and returns how many.
func (s *Store) WipeLeases6(ctx context.Context, subnetID uint32) (int, error) {
	s.mu.Lock()
	slots := collectChain(s.t6.subnet, subnetID, nil)
	seq, err := s.removeSlots6(ctx, slots)
	s.mu.Unlock()
	if err := s.finish(seq, err); err != nil {
		return 0, err
	}
	return len(slots), nil
}

// DeleteExpiredReclaimedLeases6 removes reclaimed leases that expired at or
// before olderThan and returns how many.
func (s *Store) DeleteExpiredReclaimedLeases6(ctx context.Context, olderThan int64) (int, error) {
	s.mu.Lock()
	slots := s.t6.reclaimedBefore(olderThan)
	seq, err := s.removeSlots6(ctx, slots)
	s.mu.Unlock()
	if err := s.finish(seq, err); err != nil {
		return 0, err
	}
	return len(slots), nil
}

// CountLeases6 returns lease counts by subnet, type and state.
func (s *Store) CountLeases6(context.Context) ([]store.StateCount, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return countsOf(s.t6.counts), nil
}
