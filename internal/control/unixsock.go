package control

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/lessor-dhcp/lessor/internal/kjson"
)

// Dispatcher answers a command received as bytes on a control channel.
type Dispatcher interface {
	HandleWire(ctx context.Context, data []byte) *kjson.Element
}

// SocketOptions tune a UNIX control socket.
type SocketOptions struct {
	// IdleTimeout is how long an incomplete command may wait for more
	// bytes (Kea: 10 s).
	IdleTimeout time.Duration
	// MaxCommandSize bounds the bytes of one command (0 = 64 MiB).
	MaxCommandSize int
	// MaxConns bounds the connections served at once (0 = 1024). When
	// all are taken, the connection that has been waiting longest for
	// its command is answered as if its idle timeout had passed, so that
	// idle or slow clients cannot keep others out; if every connection is
	// being answered, further clients wait in the listen queue.
	MaxConns int
	// Mode is the socket file's permission bits (0 = 0600).
	Mode os.FileMode
	// MaxDepth bounds the nesting of maps and lists in one command
	// (0 = 10000). Deeper commands are answered with an error instead of
	// being parsed: the parser is recursive and an unbounded depth would
	// exhaust the stack and end the process.
	MaxDepth int
}

// SocketServer serves Kea's UNIX control socket protocol: one command per
// connection, one answer, then close.
type SocketServer struct {
	path  string
	opts  SocketOptions
	disp  Dispatcher
	log   *slog.Logger
	ln    *net.UnixListener
	lock  *os.File
	wg    sync.WaitGroup
	slots chan struct{}

	mu          sync.Mutex
	conns       map[net.Conn]*connState
	evictions   int       // connections timed out early since evictLogged
	evictLogged time.Time // last log of early timeouts
}

// connState is what the accept loop knows of a connection.
type connState struct {
	since   time.Time   // accepted at
	reading bool        // still waiting for its command (under mu)
	evicted atomic.Bool // cut short to make room for a new connection
}

// Listen creates the socket at path. A stale socket file left by a dead
// process is replaced; a socket held by a running process (its lock file
// <path>.lock is locked) is refused.
func Listen(path string, disp Dispatcher, opts SocketOptions, log *slog.Logger) (*SocketServer, error) {
	if opts.IdleTimeout == 0 {
		opts.IdleTimeout = 10 * time.Second
	}
	if opts.MaxCommandSize == 0 {
		opts.MaxCommandSize = 64 << 20
	}
	if opts.MaxConns == 0 {
		opts.MaxConns = 1024
	}
	if opts.Mode == 0 {
		opts.Mode = 0o600
	}
	if opts.MaxDepth == 0 {
		opts.MaxDepth = 10000
	}
	lock, err := os.OpenFile(path+".lock", os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, fmt.Errorf("cannot create socket lockfile, %s.lock: %w", path, err)
	}
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		lock.Close()
		return nil, fmt.Errorf("cannot lock socket lockfile, %s.lock, another instance is serving %s: %w", path, path, err)
	}
	if fi, err := os.Lstat(path); err == nil && fi.Mode()&os.ModeSocket != 0 {
		os.Remove(path)
	}
	// Create the socket with restrictive permissions from the start.
	old := syscall.Umask(0o777 &^ int(opts.Mode.Perm()))
	ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: path, Net: "unix"})
	syscall.Umask(old)
	if err != nil {
		lock.Close()
		return nil, fmt.Errorf("failed to bind control socket %s: %w", path, err)
	}
	ln.SetUnlinkOnClose(true)
	return &SocketServer{
		path: path, opts: opts, disp: disp, log: log, ln: ln, lock: lock,
		slots: make(chan struct{}, opts.MaxConns),
		conns: map[net.Conn]*connState{},
	}, nil
}

// Path is the socket's file name.
func (s *SocketServer) Path() string { return s.path }

// Serve accepts connections until ctx is done or Close is called.
func (s *SocketServer) Serve(ctx context.Context) error {
	go func() {
		<-ctx.Done()
		s.ln.Close()
	}()
	for {
		c, err := s.ln.AcceptUnix()
		if err != nil {
			if errors.Is(err, net.ErrClosed) || ctx.Err() != nil {
				return nil
			}
			s.log.Warn("control socket accept failed", "socket", s.path, "err", err)
			time.Sleep(10 * time.Millisecond)
			continue
		}
		select {
		case s.slots <- struct{}{}:
		default:
			s.evictOldest()
			select {
			case s.slots <- struct{}{}:
			case <-ctx.Done():
				c.Close()
				return nil
			}
		}
		st := s.track(c)
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			defer func() { <-s.slots }()
			defer s.untrack(c)
			s.serveConn(ctx, c, st)
		}()
	}
}

func (s *SocketServer) track(c net.Conn) *connState {
	st := &connState{since: time.Now(), reading: true}
	s.mu.Lock()
	s.conns[c] = st
	s.mu.Unlock()
	return st
}

func (s *SocketServer) untrack(c net.Conn) {
	s.mu.Lock()
	delete(s.conns, c)
	s.mu.Unlock()
}

func (s *SocketServer) doneReading(st *connState) {
	s.mu.Lock()
	st.reading = false
	s.mu.Unlock()
}

// evictOldest ends the wait of the connection that has waited longest for
// its command (all connections are taken and a new one is pending). It
// is answered as a timed-out connection.
func (s *SocketServer) evictOldest() {
	s.mu.Lock()
	defer s.mu.Unlock()
	var oldest net.Conn
	var ost *connState
	for c, st := range s.conns {
		if st.reading && !st.evicted.Load() && (ost == nil || st.since.Before(ost.since)) {
			oldest, ost = c, st
		}
	}
	if oldest == nil {
		return
	}
	// Logged at most once a second: a flood of connections must not
	// flood the log as well.
	s.evictions++
	if now := time.Now(); now.Sub(s.evictLogged) >= time.Second {
		s.log.Warn("control socket connections exhausted, timing out the longest waiting ones",
			"socket", s.path, "max-connections", s.opts.MaxConns, "timed-out", s.evictions,
			"waited", now.Sub(ost.since).Round(time.Millisecond))
		s.evictions, s.evictLogged = 0, now
	}
	// The flag first, then the deadline: serveConn sets its deadline and
	// then checks the flag, so one of the two sees the other.
	ost.evicted.Store(true)
	oldest.SetReadDeadline(time.Unix(1, 0))
}

// Close stops accepting, waits for the connections being answered and
// removes the socket file.
func (s *SocketServer) Close() error {
	err := s.ln.Close()
	done := make(chan struct{})
	go func() { s.wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		s.mu.Lock()
		for c := range s.conns {
			c.Close()
		}
		s.mu.Unlock()
		<-done
	}
	os.Remove(s.path)
	os.Remove(s.path + ".lock")
	s.lock.Close()
	if errors.Is(err, net.ErrClosed) {
		err = nil
	}
	return err
}

var (
	bufPool    = sync.Pool{New: func() any { b := make([]byte, 32<<10); return &b }}
	writerPool = sync.Pool{New: func() any { return bufio.NewWriterSize(nil, 32<<10) }}
)

func (s *SocketServer) serveConn(ctx context.Context, c *net.UnixConn, st *connState) {
	defer c.Close()
	bp := bufPool.Get().(*[]byte)
	defer bufPool.Put(bp)
	buf := *bp
	var feed kjson.Feed
	var answer *kjson.Element
	for feed.NeedData() {
		c.SetReadDeadline(time.Now().Add(s.opts.IdleTimeout))
		if st.evicted.Load() {
			c.SetReadDeadline(time.Unix(1, 0))
		}
		n, err := c.Read(buf)
		if n > 0 {
			feed.Write(buf[:n])
			if len(feed.Text()) > s.opts.MaxCommandSize {
				answer = Error("Command exceeds the maximum size of " + strconv.Itoa(s.opts.MaxCommandSize) + " bytes")
				break
			}
		}
		if err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				text := "Connection over control channel timed out"
				if len(feed.Text()) > 0 {
					text += ", discarded partial command of " + strconv.Itoa(len(feed.Text())) + " bytes"
				}
				answer = Error(text)
				break
			}
			if err != io.EOF {
				s.log.Debug("control socket read failed", "err", err)
			}
			return // client went away: nothing to answer
		}
	}
	s.doneReading(st)
	if answer == nil {
		if feed.OK() {
			if nestingDepth(feed.Text()) > s.opts.MaxDepth {
				answer = Error("Command exceeds the maximum nesting depth of " + strconv.Itoa(s.opts.MaxDepth))
			} else {
				answer = s.disp.HandleWire(ctx, feed.Text())
			}
		} else {
			answer = Error(feed.Err())
		}
	}
	c.SetWriteDeadline(time.Now().Add(time.Minute))
	w := writerPool.Get().(*bufio.Writer)
	w.Reset(c)
	answer.Write(w)
	if err := w.Flush(); err != nil {
		s.log.Debug("control socket write failed", "err", err)
	}
	w.Reset(nil)
	writerPool.Put(w)
}

// nestingDepth is the deepest nesting of maps and lists in a command text
// as the feed keeps it (comments removed; brackets inside strings do not
// count).
func nestingDepth(text []byte) int {
	depth, deepest := 0, 0
	inString, escaped := false, false
	for _, c := range text {
		switch {
		case inString:
			switch {
			case escaped:
				escaped = false
			case c == '\\':
				escaped = true
			case c == '"':
				inString = false
			}
		case c == '"':
			inString = true
		case c == '{' || c == '[':
			depth++
			deepest = max(deepest, depth)
		case c == '}' || c == ']':
			depth--
		}
	}
	return deepest
}
