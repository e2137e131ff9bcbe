package httpapi

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"syscall"
	"time"

	"github.com/lessor-dhcp/lessor/internal/kjson"
)

// Dispatcher runs one control command for a service ("dhcp4"/"dhcp6") and
// returns Kea's answer map ({"result": .., "text": .., "arguments": ..}).
// cmd is the command map as received, without "service".
type Dispatcher interface {
	Dispatch(ctx context.Context, cmd *kjson.Element) *kjson.Element
}

// SocketDispatcher forwards commands to a Kea-style UNIX control socket
// (one JSON command per connection, the answer read until it is complete or
// the server closes), as Kea's Control Agent does. It serves services that
// run in another process.
type SocketDispatcher struct {
	Service string        // for error texts ("dhcp4")
	Path    string        // the socket path
	Timeout time.Duration // whole exchange; 0 means 60 s
}

// answer builds Kea's {"result": code, "text": text} map.
func answer(code int64, text string) *kjson.Element {
	return kjson.NewMap().Set("result", kjson.NewInt(code)).Set("text", kjson.NewString(text))
}

// Dispatch sends cmd and returns the server's answer, or an error answer in
// the agent's words when the server cannot be reached.
func (d *SocketDispatcher) Dispatch(ctx context.Context, cmd *kjson.Element) *kjson.Element {
	a, err := d.Forward(ctx, cmd)
	if err != nil {
		return answer(1, err.Error())
	}
	return a
}

// Forward is Dispatch with the failure as an error (whose text is the
// agent's).
func (d *SocketDispatcher) Forward(ctx context.Context, cmd *kjson.Element) (*kjson.Element, error) {
	timeout := d.Timeout
	if timeout <= 0 {
		timeout = 60 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	offline := func(err error) error {
		return fmt.Errorf("unable to forward command to the %s service: %s. The server is likely to be offline", d.Service, errnoText(err))
	}
	var dialer net.Dialer
	conn, err := dialer.DialContext(ctx, "unix", d.Path)
	if err != nil {
		return nil, offline(err)
	}
	defer conn.Close()
	stop := context.AfterFunc(ctx, func() { conn.SetDeadline(time.Unix(1, 0)) })
	defer stop()
	if _, err := io.WriteString(conn, cmd.Str()); err != nil {
		return nil, offline(err)
	}
	var feed kjson.Feed
	buf := make([]byte, 32<<10)
	for feed.NeedData() {
		n, err := conn.Read(buf)
		if n > 0 {
			feed.Write(buf[:n])
		}
		if err != nil {
			if feed.NeedData() {
				if errors.Is(err, io.EOF) {
					err = syscall.ECONNRESET
					if len(feed.Text()) == 0 {
						err = io.EOF
					}
				}
				return nil, offline(err)
			}
			break
		}
	}
	if !feed.OK() {
		return nil, fmt.Errorf("internal server error: unable to parse server's answer to the forwarded message: %s", feed.Err())
	}
	a, err := kjson.ParseString(feed.Text())
	if err != nil {
		return nil, fmt.Errorf("internal server error: unable to parse server's answer to the forwarded message: %w", err)
	}
	return a, nil
}

// errnoText is the C library's text for the error behind err ("No such
// file or directory"), as Kea prints it.
func errnoText(err error) string {
	var errno syscall.Errno
	switch {
	case errors.Is(err, os.ErrDeadlineExceeded), errors.Is(err, context.DeadlineExceeded):
		return "Connection timed out"
	case errors.Is(err, io.EOF):
		return "End of file"
	case errors.As(err, &errno):
		s := errno.Error()
		if s != "" && s[0] >= 'a' && s[0] <= 'z' {
			s = string(s[0]-'a'+'A') + s[1:]
		}
		return s
	}
	return err.Error()
}
