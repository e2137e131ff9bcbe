package store

import (
	"context"
	"fmt"
	"log/slog"
	"sort"
	"sync"
)

// Config is a parsed "lease-database" map of a Dhcp4 or Dhcp6 section.
// Zero values mean "not set"; each backend applies Kea's defaults.
type Config struct {
	Family int    // 4 or 6: which leases the store holds
	Type   string // "memfile", "postgresql", "mysql"

	// memfile
	Name         string // lease file path (memfile) or database name (SQL)
	Persist      *bool  // nil = default (true)
	LFCInterval  int64  // seconds; 0 = no lease file cleanup
	MaxRowErrors int64  // 0 = unlimited
	DataDir      string // where the default lease file goes ("" = Kea's default)
	// Durable makes memfile fsync each change before it is acknowledged
	// (lessor's power-loss durability option; Kea never does).
	Durable bool

	// SQL
	Host              string
	Port              int
	User              string
	Password          string
	ConnectTimeout    int64 // seconds
	MaxReconnectTries int64
	ReconnectWaitTime int64 // milliseconds
	OnFail            string
	ReadOnly          bool
}

// Opener opens a backend.
type Opener func(ctx context.Context, cfg Config, log *slog.Logger) (Store, error)

var (
	mu       sync.Mutex
	backends = map[string]Opener{}
)

// Register makes a backend available under its lease-database type. It is
// meant to be called from a backend package's init.
func Register(typ string, open Opener) {
	mu.Lock()
	defer mu.Unlock()
	if _, dup := backends[typ]; dup {
		panic("store: backend registered twice: " + typ)
	}
	backends[typ] = open
}

// Types lists the registered backends.
func Types() []string {
	mu.Lock()
	defer mu.Unlock()
	var out []string
	for t := range backends {
		out = append(out, t)
	}
	sort.Strings(out)
	return out
}

// Open opens the store the configuration names.
func Open(ctx context.Context, cfg Config, log *slog.Logger) (Store, error) {
	mu.Lock()
	open := backends[cfg.Type]
	mu.Unlock()
	if open == nil {
		return nil, fmt.Errorf("unknown lease database type %q", cfg.Type)
	}
	return open(ctx, cfg, log)
}
