package server

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/lessor-dhcp/lessor/config"
	"github.com/lessor-dhcp/lessor/internal/ddns"
	"github.com/lessor-dhcp/lessor/internal/kjson"
	"github.com/lessor-dhcp/lessor/lease"
)

// shutdownFlush bounds how long a final Stop waits for queued requests to
// reach a reachable kea-dhcp-ddns.
const shutdownFlush = 500 * time.Millisecond

// dnsClient queues NameChangeRequests for the lease commands; it is the
// leasecmds.DNS of a family server. Its sender may outlive it: a
// reconfiguration with an unchanged dhcp-ddns map hands the running
// sender to the next client, and a changed one moves the undelivered
// requests to the next client's sender (see reconfigureDNS).
type dnsClient struct {
	cfg ddns.Config
	log *slog.Logger
	// params are the ddns-* parameters of each configured subnet, by id;
	// a lease whose subnet is not configured gets Kea's fallback (conflict
	// resolution on).
	params map[uint32]ddns.Params

	mu     sync.Mutex
	sender *ddns.Sender // nil when updates are disabled
	cancel context.CancelFunc
	owns   bool // Stop stops the sender (false once handed over)
}

// newDNSClient builds the DNS client of a configuration and starts its
// sender when enable-updates is true.
func newDNSClient(ctx context.Context, sc *config.Server, log *slog.Logger) (*dnsClient, error) {
	return reconfigureDNS(ctx, nil, sc, log)
}

// reconfigureDNS builds the DNS client of a new configuration, taking over
// from prev (nil at start-up) as Kea's D2ClientMgr does on
// reconfiguration:
//   - the dhcp-ddns map is unchanged: the running sender carries on, with
//     its queue and its socket;
//   - it changed and updates stay enabled: prev's sender is stopped (which
//     frees a fixed sender-port) and the new sender adopts its undelivered
//     requests;
//   - updates are now disabled: prev is left alone; the caller stops it
//     (its Stop delivers what it can for a short while).
//
// On error prev stays in force: a new sender that cannot start gives its
// requests back to a restarted sender with prev's configuration.
func reconfigureDNS(ctx context.Context, prev *dnsClient, sc *config.Server, log *slog.Logger) (*dnsClient, error) {
	cfg := ddns.DefaultConfig()
	if sc.DhcpDDNS != nil {
		var err error
		if cfg, err = ddns.ParseConfig(sc.DhcpDDNS); err != nil {
			return nil, err
		}
	}
	d := &dnsClient{cfg: cfg, log: log, params: subnetParams(sc)}
	if !cfg.EnableUpdates {
		return d, nil
	}
	s, err := ddns.NewSender(cfg, log, ddns.SenderOptions{})
	if err != nil {
		return nil, err
	}
	if prev != nil {
		prev.mu.Lock()
		defer prev.mu.Unlock()
	}
	if prev != nil && prev.owns && sameDDNS(prev.cfg, cfg) {
		d.sender, d.cancel, d.owns = prev.sender, prev.cancel, true
		prev.owns = false
		return d, nil
	}
	if prev != nil && prev.owns {
		prev.sender.Stop()
		if err := s.Adopt(prev.sender); err != nil {
			log.Error("queued DHCP-DDNS requests dropped on reconfiguration", "err", err, "dropped", prev.sender.Stats().QueueSize)
		}
	}
	sctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	if err := s.Start(sctx); err != nil {
		cancel()
		if prev != nil && prev.owns {
			prev.restart(ctx, s)
		}
		return nil, err
	}
	if prev != nil && prev.owns {
		// Commands still holding prev (until the caller swaps the
		// configuration in) queue to the new sender.
		prev.cancel()
		prev.sender, prev.cancel, prev.owns = s, nil, false
	}
	d.sender, d.cancel, d.owns = s, cancel, true
	return d, nil
}

// restart replaces d's stopped sender by a new one with d's configuration
// that takes the requests of failed (a sender that did not start). d.mu
// is held.
func (d *dnsClient) restart(ctx context.Context, failed *ddns.Sender) {
	failed.Stop()
	s, err := ddns.NewSender(d.cfg, d.log, ddns.SenderOptions{})
	if err == nil {
		if aerr := s.Adopt(failed); aerr != nil {
			d.log.Error("queued DHCP-DDNS requests dropped", "err", aerr)
		}
		sctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
		if err = s.Start(sctx); err == nil {
			d.cancel()
			d.sender, d.cancel = s, cancel
			return
		}
		cancel()
	}
	d.log.Error("DHCP-DDNS sender could not be restarted; updates are off until the next reconfiguration", "err", err)
}

// sameDDNS reports whether two dhcp-ddns configurations send the same way
// (Kea keeps its sender when the configuration is unchanged; the
// user-context does not matter to sending).
func sameDDNS(a, b ddns.Config) bool {
	a.UserContext, b.UserContext = nil, nil
	return a == b
}

// subnetParams resolves the ddns-* parameters of every subnet with Kea's
// inheritance: subnet, shared network, global (the Dhcp4/Dhcp6 map as
// written, whose dhcp-ddns map may hold the deprecated names), defaults.
func subnetParams(sc *config.Server) map[uint32]ddns.Params {
	nets := map[string]*kjson.Element{}
	for _, n := range sc.SharedNetworks {
		nets[n.Name] = toMap(n.Params)
	}
	out := make(map[uint32]ddns.Params, len(sc.Subnets))
	for _, sn := range sc.Subnets {
		out[sn.ID] = ddns.ResolveParams(toMap(sn.Params), nets[sn.SharedNetwork], sc.Raw)
	}
	return out
}

func toMap(params map[string]*kjson.Element) *kjson.Element {
	m := kjson.NewMap()
	for k, v := range params {
		m.Set(k, v)
	}
	return m
}

// paramsFor returns the parameters of a lease's subnet; a subnet that is
// not configured gets Kea's defaults with conflict resolution on (Kea's
// queueNCR: "something hinky is going on").
func (d *dnsClient) paramsFor(id uint32) ddns.Params {
	if p, ok := d.params[id]; ok {
		return p
	}
	return ddns.DefaultParams()
}

func (d *dnsClient) current() *ddns.Sender {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.sender
}

// Enabled implements leasecmds.DNS: Kea's ddnsEnabled, false when
// enable-updates is off and while updates are suspended after the queue
// filled up.
func (d *dnsClient) Enabled() bool { return d.current().Enabled() }

// Queue4 implements leasecmds.DNS. It never blocks; a lease needing no
// update is skipped, and a failure to build or queue is logged by the
// sender, as Kea logs it: neither changes a command's answer.
func (d *dnsClient) Queue4(l *lease.Lease4, add bool) {
	s := d.current()
	if s == nil {
		return
	}
	_ = s.QueueLease4(l, changeType(add), d.paramsFor(l.SubnetID))
}

// Queue6 implements leasecmds.DNS.
func (d *dnsClient) Queue6(l *lease.Lease6, add bool) {
	s := d.current()
	if s == nil {
		return
	}
	_ = s.QueueLease6(l, changeType(add), d.paramsFor(l.SubnetID))
}

func changeType(add bool) ddns.ChangeType {
	if add {
		return ddns.ChangeAdd
	}
	return ddns.ChangeRemove
}

// Stop stops the sender unless it was handed to a newer client. While
// kea-dhcp-ddns is reachable, queued requests are given a short while
// (shutdownFlush) to go out first; the rest are dropped, as Kea drops
// them at shutdown.
func (d *dnsClient) Stop() {
	if d == nil {
		return
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if !d.owns || d.sender == nil {
		return
	}
	d.owns = false
	if st := d.sender.Stats(); st.Reachable && st.QueueSize > 0 {
		ctx, cancel := context.WithTimeout(context.Background(), shutdownFlush)
		if err := d.sender.Flush(ctx); err != nil && !errors.Is(err, context.DeadlineExceeded) {
			d.log.Debug("DHCP-DDNS flush at stop", "err", err)
		}
		cancel()
	}
	if st := d.sender.Stats(); st.QueueSize > 0 {
		d.log.Warn("DHCP-DDNS requests not delivered at stop", "dropped", st.QueueSize)
	}
	d.sender.Stop()
	if d.cancel != nil {
		d.cancel()
	}
}
