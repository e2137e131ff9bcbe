package ddns

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"sync"
	"time"

	"github.com/lessor-dhcp/lessor/lease"
)

// Errors from Queue. Their texts are Kea's where Kea has one.
var (
	// ErrQueueFull: max-queue-size requests are waiting; the request is
	// dropped and updates are suspended until the backlog drains.
	ErrQueueFull = errors.New("send queue has reached maximum capacity")
	// ErrSuspended: updates are suspended after the queue filled up.
	ErrSuspended = errors.New("DDNS updating is suspended: send queue backlog")
	// ErrDisabled: enable-updates is false.
	ErrDisabled = errors.New("DDNS updating is not enabled")
	// ErrStopped: the sender has been stopped.
	ErrStopped = errors.New("sender is not ready to send")
)

// SenderOptions tune delivery; zero fields take the defaults.
type SenderOptions struct {
	// ConfirmDelay is how long a sent request waits for an ICMP error
	// before it counts as delivered (default 200ms). kea-dhcp-ddns never
	// answers over UDP; a port-unreachable error is the only sign that it
	// is down.
	ConfirmDelay time.Duration
	// RetryMin and RetryMax bound the back-off between attempts while
	// kea-dhcp-ddns is unreachable (defaults 250ms and 10s).
	RetryMin, RetryMax time.Duration
	// MaxRate caps the datagrams sent per second (default 2000), with
	// bursts of up to 64: UDP has no flow control, and a burst larger
	// than kea-dhcp-ddns's socket buffer is lost without a trace.
	// Negative means no cap.
	MaxRate int
}

// Stats are a sender's counters since it was created.
type Stats struct {
	Queued     uint64 // requests accepted by Queue
	Sent       uint64 // datagrams written, resends included
	Delivered  uint64 // requests sent with no error within ConfirmDelay
	Resent     uint64 // requests sent again after a failure
	SendErrors uint64 // failures seen (write errors and ICMP errors)
	QueueFull  uint64 // requests dropped because the queue was full
	Rejected   uint64 // requests refused while suspended, disabled or stopped
	QueueSize  int    // requests waiting or awaiting confirmation
	MaxQueue   int    // max-queue-size
	Suspended  bool   // updates suspended after the queue filled up
	Reachable  bool   // no failure since the last delivery
}

// sendBatch is the most requests written in one round of the loop.
const sendBatch = 64

type inflight struct {
	ncr  *NCR
	sent time.Time
}

// Sender delivers NameChangeRequests to kea-dhcp-ddns over UDP from its own
// goroutine. Queue never blocks. Requests wait in a queue of at most
// max-queue-size entries (counting those sent but not yet confirmed); when
// kea-dhcp-ddns is unreachable they stay queued and are retried with
// back-off, in order, until it is back or the sender is stopped.
//
// As Kea documents for max-queue-size, a request arriving at a full queue
// is dropped and DDNS updating is turned off until the backlog has been
// reduced; lessor resumes when the queue is down to half its maximum.
// (Kea 2.2's code suspends until the next reconfiguration; lessor follows
// the documented behaviour.)
//
// kea-dhcp-ddns never acknowledges a request. The sender's socket is
// connected, so an ICMP port-unreachable (kea-dhcp-ddns not listening)
// shows as an error; a request that drew none within ConfirmDelay counts
// as delivered. Where ICMP errors are filtered a lost request goes
// unnoticed, as it does with Kea. After a failure requests are re-sent
// from the oldest unconfirmed one, so kea-dhcp-ddns may see a request
// twice; a repeated add or remove leaves DNS as one would.
type Sender struct {
	cfg  Config
	log  *slog.Logger
	opts SenderOptions
	max  int

	mu        sync.Mutex
	queue     []*NCR // not yet sent (or to be sent again), oldest first
	inflight  []inflight
	suspended bool
	started   bool
	stopped   bool
	resend    map[*NCR]bool
	stats     Stats
	changed   chan struct{} // closed and replaced on every state change
	wake      chan struct{}

	conn   *net.UDPConn
	cancel context.CancelFunc
	done   chan struct{}
}

// NewSender returns a sender for cfg; it sends nothing until Start. A
// max-queue-size of 0 with updates enabled is refused with Kea's text.
func NewSender(cfg Config, log *slog.Logger, opts SenderOptions) (*Sender, error) {
	if cfg.EnableUpdates && cfg.MaxQueueSize == 0 {
		return nil, errors.New("NameChangeSender: queue size must be greater than zero")
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if opts.ConfirmDelay <= 0 {
		opts.ConfirmDelay = 200 * time.Millisecond
	}
	if opts.RetryMin <= 0 {
		opts.RetryMin = 250 * time.Millisecond
	}
	if opts.RetryMax < opts.RetryMin {
		opts.RetryMax = max(10*time.Second, opts.RetryMin)
	}
	if opts.MaxRate == 0 {
		opts.MaxRate = 2000
	}
	s := &Sender{
		cfg:     cfg,
		log:     log,
		opts:    opts,
		max:     int(cfg.MaxQueueSize),
		resend:  map[*NCR]bool{},
		changed: make(chan struct{}),
		wake:    make(chan struct{}, 1),
		done:    make(chan struct{}),
	}
	s.stats.MaxQueue = s.max
	s.stats.Reachable = true
	return s, nil
}

// Config returns the configuration the sender was made with.
func (s *Sender) Config() Config { return s.cfg }

// A nil *Sender stands for "no dhcp-ddns configuration": Enabled is false
// and Queue, QueueLease4 and QueueLease6 return ErrDisabled.

// Enabled reports whether DNS updates are on: enable-updates is true and
// updates are not suspended by a full queue. This is Kea's ddnsEnabled,
// which decides the "DDNS updating is not enabled" answers.
func (s *Sender) Enabled() bool {
	if s == nil || !s.cfg.EnableUpdates {
		return false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return !s.suspended && !s.stopped
}

// Start opens the UDP socket (bound to sender-ip:sender-port) and starts
// delivering. With updates disabled it does nothing. The error of a
// failed bind is Kea's "Open failed: ...". The sender runs until Stop or
// until ctx ends.
func (s *Sender) Start(ctx context.Context) error {
	if !s.cfg.EnableUpdates {
		return nil
	}
	s.mu.Lock()
	if s.stopped {
		s.mu.Unlock()
		return ErrStopped
	}
	if s.started {
		s.mu.Unlock()
		return errors.New("NameChangeSender is already sending")
	}
	s.started = true
	s.mu.Unlock()

	laddr := net.UDPAddrFromAddrPort(netip.AddrPortFrom(s.cfg.SenderIP, uint16(s.cfg.SenderPort)))
	raddr := net.UDPAddrFromAddrPort(netip.AddrPortFrom(s.cfg.ServerIP, uint16(s.cfg.ServerPort)))
	network := "udp4"
	if !s.cfg.ServerIP.Is4() {
		network = "udp6"
	}
	conn, err := net.DialUDP(network, laddr, raddr)
	if err != nil {
		s.mu.Lock()
		s.started = false
		s.mu.Unlock()
		return fmt.Errorf("Open failed: %w", err)
	}
	s.conn = conn
	ctx, cancel := context.WithCancel(ctx)
	s.mu.Lock()
	if s.stopped { // Stop came while the socket was opening
		s.mu.Unlock()
		cancel()
		conn.Close()
		return ErrStopped
	}
	s.cancel = cancel
	s.mu.Unlock()
	errs := make(chan error, 1)
	go s.readErrors(errs)
	go s.run(ctx, errs)
	s.log.Info("DHCP-DDNS sender started", "config", s.cfg.String(), "local", conn.LocalAddr().String())
	return nil
}

// Stop stops delivery and closes the socket; it returns when the sender's
// goroutines have ended. Requests not yet delivered stay in the sender
// (see Adopt); Queue fails from now on. Stop may be called more than once.
func (s *Sender) Stop() {
	s.mu.Lock()
	s.stopped = true
	cancel := s.cancel
	s.notifyLocked()
	s.mu.Unlock()
	if cancel != nil {
		cancel()
		<-s.done
	}
}

// Adopt moves the undelivered requests of a stopped sender to the front
// of this one's queue (Kea's assumeQueue, used on reconfiguration).
func (s *Sender) Adopt(old *Sender) error {
	old.mu.Lock()
	if !old.stopped {
		old.mu.Unlock()
		return errors.New("Cannot assume queue: source sender is actively sending")
	}
	pending := make([]*NCR, 0, len(old.inflight)+len(old.queue))
	for _, f := range old.inflight {
		pending = append(pending, f.ncr)
	}
	pending = append(pending, old.queue...)
	old.mu.Unlock()

	s.mu.Lock()
	defer s.mu.Unlock()
	if len(pending) > s.max {
		return errors.New("Cannot assume queue: source queue count exceeds target queue max")
	}
	if s.pendingLocked() > 0 {
		return errors.New("Cannot assume queue: target queue is not empty")
	}
	s.queue = append(pending, s.queue...)
	old.mu.Lock()
	old.queue, old.inflight = nil, nil
	old.notifyLocked()
	old.mu.Unlock()
	s.notifyLocked()
	return nil
}

// Queue hands a request to the sender and returns at once. It fails with
// ErrDisabled, ErrStopped, ErrSuspended, or ErrQueueFull (wrapped with
// Kea's text "send queue has reached maximum capacity: N"), and the
// request is then dropped.
func (s *Sender) Queue(n *NCR) error {
	if s == nil {
		return ErrDisabled
	}
	if n == nil {
		return errors.New("request to send is empty")
	}
	if !s.cfg.EnableUpdates {
		s.count(func(st *Stats) { st.Rejected++ })
		return ErrDisabled
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case s.stopped:
		s.stats.Rejected++
		return ErrStopped
	case s.suspended:
		s.stats.Rejected++
		return ErrSuspended
	case s.pendingLocked() >= s.max:
		s.stats.QueueFull++
		s.suspended = true
		s.log.Error("DHCP-DDNS request rejected; updates suspended until the queue drains",
			"error", fmt.Sprintf("send queue has reached maximum capacity: %d", s.max), "ncr", n.String())
		s.notifyLocked()
		return fmt.Errorf("%w: %d", ErrQueueFull, s.max)
	}
	s.queue = append(s.queue, n)
	s.stats.Queued++
	s.notifyLocked()
	select {
	case s.wake <- struct{}{}:
	default:
	}
	return nil
}

// Flush waits until every queued request has been delivered, or ctx ends.
func (s *Sender) Flush(ctx context.Context) error {
	for {
		s.mu.Lock()
		if s.pendingLocked() == 0 {
			s.mu.Unlock()
			return nil
		}
		ch := s.changed
		s.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// Stats returns the counters and the current queue state.
func (s *Sender) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.stats
	st.QueueSize = s.pendingLocked()
	st.Suspended = s.suspended
	return st
}

func (s *Sender) count(f func(*Stats)) {
	s.mu.Lock()
	f(&s.stats)
	s.mu.Unlock()
}

func (s *Sender) pendingLocked() int { return len(s.queue) + len(s.inflight) }

func (s *Sender) notifyLocked() {
	close(s.changed)
	s.changed = make(chan struct{})
}

// readErrors reads the connected socket: kea-dhcp-ddns sends nothing, so
// a read returns only when an ICMP error (connection refused) arrives.
func (s *Sender) readErrors(errs chan<- error) {
	buf := make([]byte, 512)
	for {
		_, err := s.conn.Read(buf)
		if err == nil {
			continue // not from kea-dhcp-ddns's protocol; ignore
		}
		if errors.Is(err, net.ErrClosed) {
			return
		}
		select {
		case errs <- err:
		default:
		}
	}
}

// run is the delivery loop.
func (s *Sender) run(ctx context.Context, errs <-chan error) {
	defer close(s.done)
	defer func() {
		s.conn.Close()
		s.mu.Lock()
		s.stopped = true
		pending := s.pendingLocked()
		s.notifyLocked()
		s.mu.Unlock()
		s.log.Info("DHCP-DDNS sender stopped", "pending", pending)
	}()
	var (
		backoff    time.Duration // zero while kea-dhcp-ddns is reachable
		retryAt    time.Time
		timer      = time.NewTimer(time.Hour)
		outageSeen bool
		tokens     = float64(sendBatch) // rate limit: datagrams that may go now
		lastFill   = time.Now()
	)
	defer timer.Stop()
	for {
		now := time.Now()
		s.mu.Lock()
		// Confirm requests that drew no error within the window.
		confirmed := 0
		for len(s.inflight) > 0 && now.Sub(s.inflight[0].sent) >= s.opts.ConfirmDelay {
			delete(s.resend, s.inflight[0].ncr)
			s.inflight = s.inflight[1:]
			confirmed++
		}
		if confirmed > 0 {
			s.stats.Delivered += uint64(confirmed)
			if backoff > 0 {
				s.log.Info("DHCP-DDNS server reachable again; delivering queued requests",
					"server", s.serverText(), "queued", s.pendingLocked())
				backoff = 0
				outageSeen = false
			}
			s.stats.Reachable = true
			if s.suspended && s.pendingLocked() <= s.max/2 {
				s.suspended = false
				s.log.Info("DHCP-DDNS updates resumed; send queue drained", "queued", s.pendingLocked())
			}
			s.notifyLocked()
		}
		// Take what may be sent now: up to a batch when reachable; one
		// probe at a time when recovering from a failure. The requests
		// move to the in-flight list before they are written, so that a
		// failure puts them back in order.
		if s.opts.MaxRate > 0 {
			tokens = min(tokens+now.Sub(lastFill).Seconds()*float64(s.opts.MaxRate), sendBatch)
		} else {
			tokens = sendBatch
		}
		lastFill = now
		var batch []*NCR
		if backoff == 0 {
			batch = append(batch, s.queue[:min(len(s.queue), int(tokens))]...)
		} else if len(s.queue) > 0 && !now.Before(retryAt) && len(s.inflight) == 0 {
			batch = append(batch, s.queue[0])
		}
		s.queue = s.queue[len(batch):]
		tokens -= float64(len(batch))
		for _, n := range batch {
			s.inflight = append(s.inflight, inflight{n, now})
		}
		s.mu.Unlock()

		// Write without the lock: Queue never waits on the network.
		var failure error
		written := 0
		for _, n := range batch {
			if _, err := s.conn.Write(n.Wire()); err != nil {
				failure = err
				break
			}
			written++
		}

		s.mu.Lock()
		s.stats.Sent += uint64(written)
		for _, n := range batch[:written] {
			if s.resend[n] {
				s.stats.Resent++
			}
		}
		// Work out when to look again.
		var next time.Time
		if len(s.queue) > 0 && backoff == 0 {
			next = now // more to send, when the rate allows
			if tokens < 1 && s.opts.MaxRate > 0 {
				next = now.Add(time.Duration((1 - tokens) / float64(s.opts.MaxRate) * float64(time.Second)))
			}
		}
		if len(s.inflight) > 0 && (next.IsZero() || s.inflight[0].sent.Add(s.opts.ConfirmDelay).Before(next)) {
			next = s.inflight[0].sent.Add(s.opts.ConfirmDelay)
		}
		if backoff > 0 && len(s.queue) > 0 && len(s.inflight) == 0 && (next.IsZero() || retryAt.Before(next)) {
			next = retryAt
		}
		s.mu.Unlock()

		if failure == nil {
			wait := time.Hour
			if !next.IsZero() {
				wait = max(time.Until(next), 0)
			}
			timer.Reset(wait)
			select {
			case <-ctx.Done():
				return
			case <-s.wake:
				continue
			case <-timer.C:
				continue
			case failure = <-errs:
			}
		}
		// A failure: every unconfirmed request goes back to the queue.
		s.mu.Lock()
		requeue := make([]*NCR, 0, len(s.inflight)+len(s.queue))
		unwritten := len(batch) - written // at the tail of the in-flight list
		for i, f := range s.inflight {
			requeue = append(requeue, f.ncr)
			if i < len(s.inflight)-unwritten {
				s.resend[f.ncr] = true
			}
		}
		s.queue = append(requeue, s.queue...)
		s.inflight = s.inflight[:0]
		s.stats.SendErrors++
		s.stats.Reachable = false
		if backoff == 0 {
			backoff = s.opts.RetryMin
		} else {
			backoff = min(2*backoff, s.opts.RetryMax)
		}
		retryAt = time.Now().Add(backoff)
		if !outageSeen {
			s.log.Warn("DHCP-DDNS server unreachable; requests stay queued and are retried",
				"server", s.serverText(), "error", failure.Error(), "queued", s.pendingLocked())
			outageSeen = true
		} else {
			s.log.Debug("DHCP-DDNS send failed", "error", failure.Error(), "retry_in", backoff.String())
		}
		s.notifyLocked()
		s.mu.Unlock()
	}
}

func (s *Sender) serverText() string {
	return netip.AddrPortFrom(s.cfg.ServerIP, uint16(s.cfg.ServerPort)).String()
}

// QueueLease4 does what Kea's queueNCR does for an IPv4 lease, for the
// lease commands (lease4-resend-ddns with ChangeAdd, lease4-del with
// update-ddns with ChangeRemove): when updates are enabled and the lease
// has a hostname and an fqdn flag, it builds the request and queues it.
// It never blocks. A lease needing no update gives ErrNotNeeded (logged
// at debug level); a failure to build or queue is logged at error level,
// as Kea logs it, and returned. None of these change a command's answer
// in Kea.
func (s *Sender) QueueLease4(l *lease.Lease4, change ChangeType, p Params) error {
	if !s.Enabled() {
		return ErrDisabled
	}
	n, err := NewNCR4(l, change, p)
	return s.queueBuilt(n, err, change, l.Addr, l.Hostname)
}

// QueueLease6 is QueueLease4 for an IPv6 lease (prefix delegations and
// leases without a DUID give ErrNotNeeded, as Kea skips them).
func (s *Sender) QueueLease6(l *lease.Lease6, change ChangeType, p Params) error {
	if !s.Enabled() {
		return ErrDisabled
	}
	n, err := NewNCR6(l, change, p)
	return s.queueBuilt(n, err, change, l.Addr, l.Hostname)
}

func (s *Sender) queueBuilt(n *NCR, err error, change ChangeType, addr netip.Addr, hostname string) error {
	switch {
	case errors.Is(err, ErrNotNeeded):
		s.log.Debug("DHCP-DDNS request skipped: no hostname or no fqdn flag", "address", addr.String())
		return err
	case err != nil:
		s.log.Error("queueing DHCP-DDNS request failed", "change", change.String(),
			"address", addr.String(), "hostname", hostname, "error", err.Error())
		return err
	}
	if err := s.Queue(n); err != nil {
		s.log.Error("DHCP-DDNS request rejected", "change", change.String(), "ncr", n.String(), "error", err.Error())
		return err
	}
	s.log.Debug("DHCP-DDNS request queued", "ncr", n.String())
	return nil
}
