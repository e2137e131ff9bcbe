package sqltest

import (
	"context"
	"errors"
	"io"
	"net"
	"net/netip"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lessor-dhcp/lessor/store"
)

// Proxy is a TCP relay on loopback between a store and its database
// server; taking it down cuts every connection and refuses new ones, which
// looks to the store like the server going away, without disturbing the
// server other tests use.
type Proxy struct {
	t      testing.TB
	target string
	addr   string

	mu    sync.Mutex
	ln    net.Listener
	conns map[net.Conn]struct{}
}

// NewProxy starts a relay to target (host:port); it is closed at cleanup.
func NewProxy(t testing.TB, target string) *Proxy {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &Proxy{t: t, target: target, addr: ln.Addr().String(), conns: map[net.Conn]struct{}{}}
	p.serve(ln)
	t.Cleanup(p.Down)
	return p
}

// Port is the relay's port.
func (p *Proxy) Port() int { return int(netip.MustParseAddrPort(p.addr).Port()) }

func (p *Proxy) serve(ln net.Listener) {
	p.mu.Lock()
	p.ln = ln
	p.mu.Unlock()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			s, err := net.Dial("tcp", p.target)
			if err != nil {
				c.Close()
				continue
			}
			p.mu.Lock()
			if p.ln != ln {
				p.mu.Unlock()
				c.Close()
				s.Close()
				return
			}
			p.conns[c], p.conns[s] = struct{}{}, struct{}{}
			p.mu.Unlock()
			go func() { io.Copy(s, c); s.Close() }()
			go func() { io.Copy(c, s); c.Close() }()
		}
	}()
}

// Down cuts the connections and stops accepting.
func (p *Proxy) Down() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ln != nil {
		p.ln.Close()
		p.ln = nil
	}
	for c := range p.conns {
		c.Close()
		delete(p.conns, c)
	}
}

// Up accepts connections again on the same port.
func (p *Proxy) Up() {
	var ln net.Listener
	var err error
	for i := 0; i < 50; i++ {
		if ln, err = net.Listen("tcp", p.addr); err == nil {
			p.serve(ln)
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	p.t.Fatalf("proxy up again on %s: %v", p.addr, err)
}

// lostNotifier is what the SQL stores offer beyond store.Store.
type lostNotifier interface{ Lost() <-chan error }

// FaultChecks takes the database away from a store (through a Proxy) at
// start and in the middle of traffic: methods fail with a wrapped error
// that says the database is unavailable, nothing is half-written, the
// store serves again once the database is back, and on-fail decides
// whether giving up is reported.
func FaultChecks(t *testing.T, typ string) {
	ctx := context.Background()
	base := NewDatabase(t, typ, 4, Lessor)
	proxied := func(t *testing.T) (store.Config, *Proxy) {
		p := NewProxy(t, net.JoinHostPort(base.Host, itoa(uint32(base.Port))))
		cfg := base
		cfg.Host, cfg.Port = "127.0.0.1", p.Port()
		cfg.ConnectTimeout = 2
		return cfg, p
	}

	t.Run("DownAtStart", func(t *testing.T) {
		cfg, p := proxied(t)
		p.Down()
		cfg.MaxReconnectTries, cfg.ReconnectWaitTime = 2, 50
		start := time.Now()
		_, err := store.Open(ctx, cfg, nil)
		if err == nil || !strings.Contains(err.Error(), "cannot connect to the") {
			t.Fatalf("open with the database down: %v", err)
		}
		if time.Since(start) < 100*time.Millisecond {
			t.Errorf("open did not wait between its %d tries", cfg.MaxReconnectTries)
		}
		p.Up()
		cfg.MaxReconnectTries = 0
		Open(t, cfg)
	})

	t.Run("DownInTraffic", func(t *testing.T) {
		cfg, p := proxied(t)
		cfg.MaxReconnectTries, cfg.ReconnectWaitTime = 100, 100
		cfg.OnFail = "serve-retry-continue"
		st := Open(t, cfg)
		s := st.V4()
		if err := s.AddLease4(ctx, Lease4("192.0.2.1", 1)); err != nil {
			t.Fatal(err)
		}
		p.Down()
		var errs []error
		for i, a := range []string{"192.0.2.2", "192.0.2.3", "192.0.2.4"} {
			l := Lease4(a, 1)
			err := s.AddLease4(ctx, l)
			if err == nil {
				t.Fatalf("add %d with the database down succeeded", i)
			}
			errs = append(errs, err)
		}
		if _, err := s.GetLease4(ctx, netip.MustParseAddr("192.0.2.1")); err == nil {
			t.Fatal("get with the database down succeeded")
		} else {
			errs = append(errs, err)
		}
		t.Logf("error during the outage: %v", errs[0])
		for _, err := range errs {
			if !strings.Contains(err.Error(), "lease database unavailable") {
				t.Errorf("error text %q does not say the database is unavailable", err)
			}
			if errors.Is(err, store.ErrExists) || errors.Is(err, store.ErrNotFound) {
				t.Errorf("outage reported as a store answer: %v", err)
			}
		}
		p.Up()
		deadline := time.Now().Add(10 * time.Second)
		for {
			l, err := s.GetLease4(ctx, netip.MustParseAddr("192.0.2.1"))
			if err == nil && l != nil {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("store did not recover: %v", err)
			}
			time.Sleep(100 * time.Millisecond)
		}
		if err := s.AddLease4(ctx, Lease4("192.0.2.2", 1)); err != nil {
			t.Fatalf("add after recovery: %v", err)
		}
		rows := Query(t, base, "SELECT COUNT(*) FROM lease4")
		if rows[0][0] != "2" {
			t.Errorf("rows after the outage: %v, want 2 (no half-written lease)", rows)
		}
		select {
		case err := <-st.(lostNotifier).Lost():
			t.Errorf("serve-retry-continue reported giving up: %v", err)
		default:
		}
	})

	t.Run("GiveUp", func(t *testing.T) {
		for _, onFail := range []string{"", "serve-retry-exit", "serve-retry-continue"} {
			cfg, p := proxied(t)
			cfg.MaxReconnectTries, cfg.ReconnectWaitTime, cfg.OnFail = 2, 50, onFail
			st := Open(t, cfg)
			p.Down()
			if _, err := st.V4().GetLease4(ctx, netip.MustParseAddr("192.0.2.1")); err == nil {
				t.Fatal("get with the database down succeeded")
			}
			select {
			case err := <-st.(lostNotifier).Lost():
				if onFail == "serve-retry-continue" {
					t.Errorf("on-fail %q: reported giving up: %v", onFail, err)
				}
			case <-time.After(3 * time.Second):
				if onFail != "serve-retry-continue" {
					t.Errorf("on-fail %q: giving up not reported", onFail)
				}
			}
		}
	})
}

// ServerOutage stops the real database server for about two seconds in
// the middle of traffic, then starts it again, and checks that the store
// recovers. It disturbs every user of the server, so it runs only when
// LESSOR_TEST_DB_OUTAGE=1; the server is started again before it returns,
// whatever happens.
func ServerOutage(t *testing.T, typ string, stop, start []string) {
	ctx := context.Background()
	cfg := NewDatabase(t, typ, 4, Lessor)
	cfg.MaxReconnectTries, cfg.ReconnectWaitTime = 60, 500
	s := Open(t, cfg).V4()
	if err := s.AddLease4(ctx, Lease4("192.0.2.1", 1)); err != nil {
		t.Fatal(err)
	}
	restart := func() error {
		out, err := exec.Command(start[0], start[1:]...).CombinedOutput()
		if err != nil {
			return errors.New(err.Error() + ": " + string(out))
		}
		return nil
	}
	restarted := false
	defer func() {
		if restarted {
			return
		}
		if err := restart(); err != nil {
			t.Errorf("restarting the server: %v", err)
		}
	}()
	if out, err := exec.Command(stop[0], stop[1:]...).CombinedOutput(); err != nil {
		t.Fatalf("stopping the server: %v %s", err, out)
	}
	down := time.Now()
	err := s.AddLease4(ctx, Lease4("192.0.2.2", 1))
	if err == nil || !strings.Contains(err.Error(), "unavailable") {
		t.Errorf("add with the server stopped: %v", err)
	}
	time.Sleep(2*time.Second - time.Since(down))
	if err := restart(); err != nil {
		t.Fatalf("restarting the server: %v", err)
	}
	restarted = true
	deadline := time.Now().Add(30 * time.Second)
	for {
		err = s.AddLease4(ctx, Lease4("192.0.2.3", 1))
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("store did not recover after the restart: %v", err)
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Logf("outage %v; store serving again", time.Since(down).Round(time.Millisecond))
	if l, _ := s.GetLease4(ctx, netip.MustParseAddr("192.0.2.2")); l != nil {
		t.Errorf("lease refused during the outage is in the database")
	}
}
