// Package ctlclient sends control commands to lessor (or Kea) over the
// UNIX control socket or the HTTP control API, and walks, exports and
// imports leases with the lease commands.
package ctlclient

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/lessor-dhcp/lessor/internal/kjson"
)

// Result codes of Kea's control channel.
const (
	ResultSuccess     = 0
	ResultError       = 1
	ResultUnsupported = 2
	ResultEmpty       = 3
	ResultConflict    = 4
)

// Answer is one server's answer to a command.
type Answer struct {
	Result    int64
	Text      string
	Arguments *kjson.Element // nil when absent
	Raw       *kjson.Element // the answer map as received
}

func parseAnswer(e *kjson.Element) (*Answer, error) {
	if e == nil || e.Kind != kjson.Map {
		return nil, fmt.Errorf("answer is not a map: %s", e.Str())
	}
	r := e.Get("result")
	if r == nil || r.Kind != kjson.Int {
		return nil, fmt.Errorf("answer has no integer result: %s", e.Str())
	}
	a := &Answer{Result: r.I, Arguments: e.Get("arguments"), Raw: e}
	if t := e.Get("text"); t != nil && t.Kind == kjson.String {
		a.Text = t.S
	}
	return a, nil
}

// Transport carries one command and returns the raw answer: a map from a
// UNIX socket, a list (one map per service) from the HTTP API.
type Transport interface {
	RoundTrip(ctx context.Context, cmd *kjson.Element) (*kjson.Element, error)
}

// Client sends commands through a Transport.
type Client struct {
	T Transport
	// Service is put in the command's "service" list when set (the HTTP
	// agent needs it to forward; a UNIX socket ignores it).
	Service string
}

// Command sends name with args (nil for none) and returns the answer.
func (c *Client) Command(ctx context.Context, name string, args *kjson.Element) (*Answer, error) {
	return c.CommandFor(ctx, c.Service, name, args)
}

// CommandFor is Command for an explicit service ("" for none).
func (c *Client) CommandFor(ctx context.Context, service, name string, args *kjson.Element) (*Answer, error) {
	cmd := kjson.NewMap().Set("command", kjson.NewString(name))
	if args != nil {
		cmd.Set("arguments", args)
	}
	if service != "" {
		cmd.Set("service", kjson.NewList(kjson.NewString(service)))
	}
	raw, err := c.T.RoundTrip(ctx, cmd)
	if err != nil {
		return nil, err
	}
	if raw.Kind == kjson.List {
		if len(raw.L) == 0 {
			return nil, errors.New("empty answer list")
		}
		raw = raw.L[0]
	}
	return parseAnswer(raw)
}

// SocketTransport talks to a UNIX control socket: one command per
// connection, the answer read until complete.
type SocketTransport struct {
	Path    string
	Timeout time.Duration // whole exchange; 0 means 60 s
}

// RoundTrip implements Transport.
func (s *SocketTransport) RoundTrip(ctx context.Context, cmd *kjson.Element) (*kjson.Element, error) {
	timeout := s.Timeout
	if timeout <= 0 {
		timeout = 60 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var d net.Dialer
	conn, err := d.DialContext(ctx, "unix", s.Path)
	if err != nil {
		return nil, fmt.Errorf("connect to %s: %w", s.Path, err)
	}
	defer conn.Close()
	stop := context.AfterFunc(ctx, func() { conn.SetDeadline(time.Unix(1, 0)) })
	defer stop()
	if _, err := io.WriteString(conn, cmd.Str()); err != nil {
		return nil, fmt.Errorf("send to %s: %w", s.Path, err)
	}
	var feed kjson.Feed
	buf := make([]byte, 64<<10)
	for feed.NeedData() {
		n, err := conn.Read(buf)
		feed.Write(buf[:n])
		if err != nil {
			if feed.NeedData() {
				if ctx.Err() != nil {
					return nil, fmt.Errorf("read from %s: %w", s.Path, ctx.Err())
				}
				return nil, fmt.Errorf("read from %s: incomplete answer: %w", s.Path, err)
			}
			break
		}
	}
	if !feed.OK() {
		return nil, fmt.Errorf("answer from %s: %s", s.Path, feed.Err())
	}
	a, err := kjson.ParseString(feed.Text())
	if err != nil {
		return nil, fmt.Errorf("answer from %s: %w", s.Path, err)
	}
	return a, nil
}

// HTTPTransport talks to the HTTP control API (lessor's or Kea's agent).
type HTTPTransport struct {
	URL      string
	User     string
	Password string
	Client   *http.Client
}

// HTTPOptions configure NewHTTPTransport.
type HTTPOptions struct {
	User         string
	PasswordFile string // the password is the file's first line
	CA           string // trust anchor for https
	Cert, Key    string // client certificate
	Timeout      time.Duration
}

// NewHTTPTransport makes a transport for url.
func NewHTTPTransport(url string, o HTTPOptions) (*HTTPTransport, error) {
	t := &HTTPTransport{URL: url, User: o.User}
	if o.PasswordFile != "" {
		b, err := os.ReadFile(o.PasswordFile)
		if err != nil {
			return nil, fmt.Errorf("password file: %w", err)
		}
		t.Password, _, _ = strings.Cut(string(b), "\n")
		t.Password = strings.TrimSuffix(t.Password, "\r")
	}
	tc := &tls.Config{MinVersion: tls.VersionTLS12}
	if o.CA != "" {
		pem, err := os.ReadFile(o.CA)
		if err != nil {
			return nil, fmt.Errorf("CA file: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("CA file %s holds no PEM certificate", o.CA)
		}
		tc.RootCAs = pool
	}
	if o.Cert != "" || o.Key != "" {
		pair, err := tls.LoadX509KeyPair(o.Cert, o.Key)
		if err != nil {
			return nil, fmt.Errorf("client certificate: %w", err)
		}
		tc.Certificates = []tls.Certificate{pair}
	}
	timeout := o.Timeout
	if timeout <= 0 {
		timeout = 60 * time.Second
	}
	t.Client = &http.Client{Timeout: timeout, Transport: &http.Transport{TLSClientConfig: tc, MaxIdleConnsPerHost: 2}}
	return t, nil
}

// HTTPError is a non-200 HTTP answer.
type HTTPError struct {
	Status int
	Body   string
}

func (e *HTTPError) Error() string {
	return fmt.Sprintf("HTTP %d %s: %s", e.Status, http.StatusText(e.Status), strings.TrimSpace(e.Body))
}

// RoundTrip implements Transport.
func (t *HTTPTransport) RoundTrip(ctx context.Context, cmd *kjson.Element) (*kjson.Element, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, t.URL, bytes.NewReader([]byte(cmd.Str())))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	if t.User != "" {
		req.SetBasicAuth(t.User, t.Password)
	}
	resp, err := t.Client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<30))
	if err != nil {
		return nil, fmt.Errorf("read answer: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, &HTTPError{Status: resp.StatusCode, Body: string(body)}
	}
	a, err := kjson.ParseString(body)
	if err != nil {
		return nil, fmt.Errorf("answer: %w", err)
	}
	return a, nil
}
