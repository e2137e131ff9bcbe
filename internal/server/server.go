// Package server wires lessor together: it reads the configuration, opens
// the lease stores, registers the control commands, serves the control
// sockets, and handles reload and shutdown.
package server

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/netip"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/lessor-dhcp/lessor/config"
	"github.com/lessor-dhcp/lessor/internal/control"
	"github.com/lessor-dhcp/lessor/internal/httpapi"
	"github.com/lessor-dhcp/lessor/internal/kjson"
	"github.com/lessor-dhcp/lessor/internal/leasecmds"
	"github.com/lessor-dhcp/lessor/internal/stats"
	"github.com/lessor-dhcp/lessor/store"
)

// Version is lessor's version; version-get reports Kea's API version it
// is compatible with in "text", as management tools compare it.
const (
	Version    = "2.2.0"
	Extended   = "2.2.0\nlessor\nlinked with:\nGo standard library\ndatabase:\nMySQL backend 14.0\nPostgreSQL backend 13.0\nMemfile backend 2.1"
	hookLeases = "libdhcp_lease_cmds.so"
)

// Server is a running lessor process: one family server per Dhcp4/Dhcp6 section.
type Server struct {
	path     string
	log      *slog.Logger
	mu       sync.Mutex
	file     *config.File
	families []*Family
	start    time.Time
	stop     context.CancelFunc
	exitCode atomic.Int32
	logFile  io.Closer
	// dbOverride replaces every section's lease-database (WithLeaseDatabase).
	dbOverride *kjson.Element
	agentPath  string            // a kea-ctrl-agent.conf (WithAgentConfig)
	reloadMu   sync.Mutex        // one reconfiguration at a time
	http       *httpapi.Server   // the Control Agent (Control-agent section)
	httpSocks  []*httpapi.Server // Kea 2.7+ HTTP entries of control-sockets
}

// Family is the DHCPv4 or DHCPv6 server of a lessor process.
type Family struct {
	srv      *Server
	fam      int
	cfg      atomic.Pointer[config.Server]
	lcfg     atomic.Pointer[leasecmds.Config]
	own      store.Store
	other    store.Store
	stats    *stats.Registry
	reg      *control.Registry
	sock     *control.SocketServer
	sockPath string
	reloaded atomic.Int64 // unix time of the last (re)configuration
	dns      *dnsClient
	// storeMu: commands hold it for reading; swapping the store holds it.
	storeMu sync.RWMutex
}

// Option changes how a Server reads its configuration.
type Option func(*Server)

// WithLeaseDatabase replaces the "lease-database" map of every section by
// db (a Kea lease-database map). It lets the same configuration, e.g. a
// conformance scenario's, run on another store.
func WithLeaseDatabase(db *kjson.Element) Option {
	return func(s *Server) { s.dbOverride = db }
}

// load reads the configuration file, applying the options.
func (s *Server) load() (*config.File, error) {
	f, err := config.Load(s.path)
	if err != nil || s.dbOverride == nil {
		return f, err
	}
	top := f.Raw.Copy()
	for _, name := range []string{"Dhcp4", "Dhcp6"} {
		if sec := top.Get(name); sec != nil && sec.Kind == kjson.Map {
			sec.Set("lease-database", s.dbOverride.Copy())
		}
	}
	nf, err := config.FromElement(top)
	if err != nil {
		return nil, fmt.Errorf("%s with the lease database override: %w", s.path, err)
	}
	nf.Path = f.Path
	return nf, nil
}

// New loads the configuration file; nothing is started yet.
func New(path string, log *slog.Logger, opts ...Option) (*Server, error) {
	s := &Server{path: path, log: log, start: time.Now()}
	for _, o := range opts {
		o(s)
	}
	f, err := s.load()
	if err != nil {
		return nil, err
	}
	if f.Dhcp4 == nil && f.Dhcp6 == nil {
		return nil, fmt.Errorf("%s: no Dhcp4 or Dhcp6 section", path)
	}
	for _, sc := range []*config.Server{f.Dhcp4, f.Dhcp6} {
		if err := checkOptions(sc); err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
	}
	s.file = f
	first := f.Dhcp4
	if first == nil {
		first = f.Dhcp6
	}
	s.log, s.logFile = loggerFor(first.Loggers, first.Family, log)
	return s, nil
}

// Families returns the family servers (after Start).
func (s *Server) Families() []*Family { return s.families }

// Start opens stores and sockets for every configured family.
func (s *Server) Start(ctx context.Context) error {
	for _, sc := range []*config.Server{s.file.Dhcp4, s.file.Dhcp6} {
		if sc == nil {
			continue
		}
		f, err := s.startFamily(ctx, sc)
		if err != nil {
			s.Close()
			return err
		}
		s.families = append(s.families, f)
	}
	if err := s.startHTTP(); err != nil {
		s.Close()
		return fmt.Errorf("HTTP control API: %w", err)
	}
	return nil
}

func (s *Server) startFamily(ctx context.Context, sc *config.Server) (*Family, error) {
	f := &Family{srv: s, fam: sc.Family, stats: stats.New(), reg: control.NewRegistry()}
	f.reg.Around(f.guard)
	var err error
	// The control socket is taken first: its lock file tells whether
	// another instance serves it, before this one touches the lease file.
	if name := unixSocketName(sc); name != "" {
		f.sockPath = name
		f.sock, err = control.Listen(f.sockPath, f.reg, control.SocketOptions{Mode: lessorOptions(sc).SocketMode}, s.log)
		if err != nil {
			return nil, err
		}
	}
	own, err := store.Open(ctx, storeConfig(sc), s.log)
	if err != nil {
		f.close()
		return nil, fmt.Errorf("failed to open the lease database: %w", err)
	}
	f.own = own
	s.watchStore(own)
	// The other family's commands act on a store of their own, in memory,
	// as in Kea.
	other := store.Config{Type: "memfile", Family: 10 - sc.Family, Persist: new(bool)}
	if f.other, err = store.Open(ctx, other, slog.New(slog.DiscardHandler)); err != nil {
		f.close()
		return nil, err
	}
	if err := f.apply(ctx, sc); err != nil {
		f.close()
		return nil, err
	}
	if err := initStats(ctx, f.fam, f.stats, sc, f.own, true); err != nil {
		f.close()
		return nil, fmt.Errorf("recounting lease statistics: %w", err)
	}
	f.registerLeaseCmds()
	f.registerServerCommands()
	return f, nil
}

// guard runs every command of the family while the lease store cannot be
// swapped; the commands that reconfigure (and may swap it) run unguarded
// and take the lock themselves.
func (f *Family) guard(ctx context.Context, cmd *control.Command, next control.Handler) (*kjson.Element, error) {
	switch cmd.Name {
	case "config-reload", "config-set", "shutdown":
		return next(ctx, cmd)
	}
	f.storeMu.RLock()
	defer f.storeMu.RUnlock()
	return next(ctx, cmd)
}

// registerLeaseCmds (re)registers the lease commands on the current stores.
func (f *Family) registerLeaseCmds() {
	env := &leasecmds.Env{
		Stats:  f.stats,
		Config: func() *leasecmds.Config { return f.lcfg.Load() },
		Log:    f.srv.log,
	}
	if f.fam == 4 {
		env.Store4, env.Store6 = f.own.V4(), f.other.V6()
	} else {
		env.Store4, env.Store6 = f.other.V4(), f.own.V6()
	}
	leasecmds.Register(f.reg, env)
	if lessorOptions(f.cfg.Load()).Extensions {
		leasecmds.RegisterExtensions(f.reg, env)
	}
}

// apply makes a configuration the one in force (start-up and reload).
func (f *Family) apply(ctx context.Context, sc *config.Server) error {
	lc := &leasecmds.Config{}
	subs := newSubnets(sc)
	if sc.Family == 4 {
		lc.Subnets4, lc.Subnets6 = subs, leasecmds.StaticSubnets(nil)
	} else {
		lc.Subnets4, lc.Subnets6 = leasecmds.StaticSubnets(nil), subs
	}
	dns, err := reconfigureDNS(ctx, f.dns, sc, f.srv.log)
	if err != nil {
		return err
	}
	if f.dns != nil {
		f.dns.Stop()
	}
	f.dns = dns
	lc.DNS = dns
	f.cfg.Store(sc)
	f.lcfg.Store(lc)
	f.reloaded.Store(time.Now().Unix())
	return nil
}

func (f *Family) close() {
	if f.sock != nil {
		f.sock.Close()
	}
	if f.dns != nil {
		f.dns.Stop()
	}
	if f.own != nil {
		f.own.Close()
	}
	if f.other != nil {
		f.other.Close()
	}
}

// Serve runs the control sockets until ctx is done or a shutdown command.
func (s *Server) Serve(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	s.mu.Lock()
	s.stop = cancel
	s.mu.Unlock()
	var wg sync.WaitGroup
	for _, f := range s.families {
		if f.sock == nil {
			continue
		}
		wg.Add(1)
		go func(f *Family) {
			defer wg.Done()
			f.sock.Serve(ctx)
		}(f)
	}
	for _, api := range s.httpAPIs() {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := api.Serve(ctx); err != nil {
				s.log.Error("HTTP control API stopped", "err", err)
			}
		}()
	}
	<-ctx.Done()
	wg.Wait()
	return nil
}

// Shutdown asks Serve to return.
func (s *Server) Shutdown(code int) {
	s.exitCode.Store(int32(code))
	s.mu.Lock()
	stop := s.stop
	s.mu.Unlock()
	if stop != nil {
		stop()
	}
}

// ExitCode is the exit value a shutdown command asked for.
func (s *Server) ExitCode() int { return int(s.exitCode.Load()) }

// Close releases everything.
func (s *Server) Close() {
	for _, f := range s.families {
		f.close()
	}
	if s.logFile != nil {
		s.logFile.Close()
	}
}

// Reload re-reads the configuration file (SIGHUP, config-reload). On error
// the running configuration stays in force.
func (s *Server) Reload(ctx context.Context) error {
	s.reloadMu.Lock()
	defer s.reloadMu.Unlock()
	nf, err := s.load()
	if err != nil {
		return err
	}
	for _, f := range s.families {
		sc := nf.Dhcp4
		if f.fam == 6 {
			sc = nf.Dhcp6
		}
		if sc == nil {
			return fmt.Errorf("the Dhcp%d section is gone from %s", f.fam, s.path)
		}
		if err := f.reconfigure(ctx, sc); err != nil {
			return err
		}
	}
	s.mu.Lock()
	s.file = nf
	s.mu.Unlock()
	return nil
}

// reconfigure applies a new configuration for a family: subnets, DNS and
// statistics; the lease store stays open when its settings are unchanged.
func (f *Family) reconfigure(ctx context.Context, sc *config.Server) error {
	old := f.cfg.Load()
	newDB, oldDB := storeConfig(sc), storeConfig(old)
	if !sameDB(oldDB, newDB) {
		// No command runs while the store is swapped, and the old store is
		// closed (its writes done) before the new one reads the file: the
		// two never write the same file at once.
		f.storeMu.Lock()
		err := f.swapStore(ctx, oldDB, newDB)
		f.storeMu.Unlock()
		if err != nil {
			return err
		}
	}
	if err := f.apply(ctx, sc); err != nil {
		return err
	}
	removeSubnetStats(f.fam, f.stats, old.Subnets)
	return initStats(ctx, f.fam, f.stats, sc, f.own, false)
}

// storeConfig is the store configuration of a section, with Kea's
// defaults: memfile, the data directory, and a lease file cleanup every
// 3600 s when lfc-interval is not given.
func storeConfig(sc *config.Server) store.Config {
	c := sc.LeaseDatabase
	c.Family = sc.Family
	c.Durable = lessorOptions(sc).Durable
	if c.Type == "" {
		c.Type = "memfile"
	}
	if c.DataDir == "" {
		c.DataDir = sc.DataDirectory
	}
	if c.Type == "memfile" && sc.Raw.Get("lease-database").Get("lfc-interval") == nil {
		c.LFCInterval = 3600
	}
	return c
}

// swapStore replaces the family's store; on failure the previous one is
// opened again.
func (f *Family) swapStore(ctx context.Context, oldDB, newDB store.Config) error {
	if err := f.own.Close(); err != nil {
		f.srv.log.Warn("closing the lease database", "err", err)
	}
	st, err := store.Open(ctx, newDB, f.srv.log)
	if err != nil {
		back, berr := store.Open(ctx, oldDB, f.srv.log)
		if berr != nil {
			return fmt.Errorf("failed to open the lease database: %w; reopening the previous one failed too: %v", err, berr)
		}
		f.own = back
		f.srv.watchStore(back)
		f.registerLeaseCmds()
		return fmt.Errorf("failed to open the lease database: %w", err)
	}
	f.own = st
	f.srv.watchStore(st)
	f.registerLeaseCmds()
	return nil
}

func sameDB(a, b store.Config) bool {
	pa, pb := a.Persist == nil || *a.Persist, b.Persist == nil || *b.Persist
	a.Persist, b.Persist = nil, nil
	return a == b && pa == pb
}

// absPath resolves a path relative to the configuration file's folder.
func absPath(base, p string) string {
	if p == "" || filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(filepath.Dir(base), p)
}

// Logger returns the logger configured by the file's "loggers" (or the
// one given to New).
func (s *Server) Logger() *slog.Logger { return s.log }

// subnets is the lease commands' view of a section's subnets: lookups by
// id and Kea's subnet selection (config.Server.SelectSubnet), and the
// subnets in Kea's order for wipe.
type subnets struct {
	sc   *config.Server
	byID map[uint32]*leasecmds.Subnet
	all  []*leasecmds.Subnet
}

func newSubnets(sc *config.Server) *subnets {
	s := &subnets{sc: sc, byID: make(map[uint32]*leasecmds.Subnet, len(sc.Subnets))}
	for _, sn := range sc.Subnets {
		ls := &leasecmds.Subnet{
			ID: sn.ID, Prefix: sn.Prefix,
			Valid: sn.ValidLifetime.Default, Preferred: sn.PreferredLifetime.Default,
		}
		s.byID[sn.ID] = ls
		s.all = append(s.all, ls)
	}
	return s
}

// ByID implements leasecmds.Subnets.
func (s *subnets) ByID(id uint32) *leasecmds.Subnet { return s.byID[id] }

// Select implements leasecmds.Subnets.
func (s *subnets) Select(a netip.Addr) *leasecmds.Subnet {
	sn := s.sc.SelectSubnet(a)
	if sn == nil {
		return nil
	}
	return s.byID[sn.ID]
}

// All implements leasecmds.Subnets.
func (s *subnets) All() []*leasecmds.Subnet { return s.all }

// watchStore stops the server when a store reports its database lost for
// good (a SQL store whose reconnection attempts ran out, with on-fail
// stop-retry-exit or serve-retry-exit), as Kea exits then.
func (s *Server) watchStore(st store.Store) {
	l, ok := st.(interface{ Lost() <-chan error })
	if !ok {
		return
	}
	go func() {
		if err, ok := <-l.Lost(); ok && err != nil {
			s.log.Error("lease database lost, shutting down", "err", err)
			s.Shutdown(1)
		}
	}()
}
