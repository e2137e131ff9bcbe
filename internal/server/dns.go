package server

import (
	"context"
	"log/slog"
	"sync"

	"github.com/lessor-dhcp/lessor/config"
	"github.com/lessor-dhcp/lessor/internal/ddns"
	"github.com/lessor-dhcp/lessor/internal/kjson"
	"github.com/lessor-dhcp/lessor/lease"
)

// dnsClient queues NameChangeRequests for the lease commands; it is the
// leasecmds.DNS of a family server.
type dnsClient struct {
	cfg     ddns.Config
	sender  *ddns.Sender
	log     *slog.Logger
	mu      sync.Mutex
	params  map[uint32]ddns.Params
	dflt    ddns.Params
	cancel  context.CancelFunc
	started bool
}

func newDNSClient(ctx context.Context, sc *config.Server, log *slog.Logger) (*dnsClient, error) {
	cfg := ddns.DefaultConfig()
	if sc.DhcpDDNS != nil {
		var err error
		if cfg, err = ddns.ParseConfig(sc.DhcpDDNS); err != nil {
			return nil, err
		}
	}
	d := &dnsClient{cfg: cfg, log: log, params: map[uint32]ddns.Params{}}
	d.dflt = ddns.ResolveParams(nil, nil, sc.Raw)
	for _, sn := range sc.Subnets {
		sub := kjson.NewMap()
		for k, v := range sn.Params {
			sub.Set(k, v)
		}
		d.params[sn.ID] = ddns.ResolveParams(sub, nil, sc.Raw)
	}
	if !cfg.EnableUpdates {
		return d, nil
	}
	s, err := ddns.NewSender(cfg, log, ddns.SenderOptions{})
	if err != nil {
		return nil, err
	}
	sctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	if err := s.Start(sctx); err != nil {
		cancel()
		return nil, err
	}
	d.sender, d.cancel, d.started = s, cancel, true
	return d, nil
}

func (d *dnsClient) paramsFor(id uint32) ddns.Params {
	if p, ok := d.params[id]; ok {
		return p
	}
	p := d.dflt
	p.UseConflictResolution = true
	return p
}

// Enabled implements leasecmds.DNS.
func (d *dnsClient) Enabled() bool { return d.cfg.EnableUpdates }

// Queue4 implements leasecmds.DNS.
func (d *dnsClient) Queue4(l *lease.Lease4, add bool) {
	if !d.Enabled() || !ddns.Needed(l.Hostname, l.FqdnFwd, l.FqdnRev) {
		return
	}
	ncr, err := ddns.NewNCR4(l, changeType(add), d.paramsFor(l.SubnetID))
	d.queue(ncr, err, l.Addr.String())
}

// Queue6 implements leasecmds.DNS.
func (d *dnsClient) Queue6(l *lease.Lease6, add bool) {
	if !d.Enabled() || l.Type == lease.TypePD || !ddns.Needed(l.Hostname, l.FqdnFwd, l.FqdnRev) {
		return
	}
	ncr, err := ddns.NewNCR6(l, changeType(add), d.paramsFor(l.SubnetID))
	d.queue(ncr, err, l.Addr.String())
}

func changeType(add bool) ddns.ChangeType {
	if add {
		return ddns.ChangeAdd
	}
	return ddns.ChangeRemove
}

func (d *dnsClient) queue(ncr *ddns.NCR, err error, addr string) {
	if err == nil && d.sender != nil {
		err = d.sender.Queue(ncr)
	}
	if err != nil {
		d.log.Error("queueing a DNS update failed", "address", addr, "err", err)
	}
}

// Stop stops the sender (its queue is flushed for a short while first).
func (d *dnsClient) Stop() {
	if d == nil || d.sender == nil {
		return
	}
	d.sender.Stop()
	if d.cancel != nil {
		d.cancel()
	}
}
