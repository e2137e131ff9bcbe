package httpapi

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/lessor-dhcp/lessor/internal/kjson"
)

// Server is the HTTP control listener.
type Server struct {
	cfg      *Config // as given to New: the listener's settings
	limits   Limits
	local    map[string]Dispatcher // in-process services
	cur      atomic.Pointer[state]
	log      *slog.Logger
	sem      chan struct{}
	metrics  *apiMetrics
	gatherer prometheus.Gatherer
	promh    http.Handler

	version, extended, report string
	configFile                string
	reconfigure               func(ctx context.Context, raw *kjson.Element) *kjson.Element
	shutdown                  func(exitValue int)

	started time.Time
	mu      sync.Mutex
	ln      net.Listener
	stop    context.CancelFunc
}

// state is what Apply may change while the listener runs.
type state struct {
	cfg      *Config
	creds    []credential
	services map[string]Dispatcher
}

// credential is one accepted "Authorization: Basic" value, kept as a hash
// so that the comparison time does not depend on the secret's length.
type credential struct {
	sum  [32]byte
	user string
}

// Option adjusts a Server.
type Option func(*Server)

// WithMetrics serves g on the metrics path and registers the API's own
// counters (commands and latencies per command and service) with r. Either
// may be nil.
func WithMetrics(g prometheus.Gatherer, r prometheus.Registerer) Option {
	return func(s *Server) {
		s.gatherer = g
		if g != nil {
			s.promh = promhttp.HandlerFor(g, promhttp.HandlerOpts{})
		}
		if r != nil {
			s.metrics = newAPIMetrics(r)
		}
	}
}

// WithVersion sets the answers of the agent's version-get and build-report.
func WithVersion(version, extended, buildReport string) Option {
	return func(s *Server) { s.version, s.extended, s.report = version, extended, buildReport }
}

// WithConfigFile names the file config-write writes when no filename is
// given.
func WithConfigFile(path string) Option { return func(s *Server) { s.configFile = path } }

// WithReconfigure makes the agent apply config-set (raw is the new,
// already checked Control-agent map) and config-reload (raw nil: read the
// configuration file again). The function returns Kea's answer. Without
// it, both commands answer an error.
func WithReconfigure(f func(ctx context.Context, raw *kjson.Element) *kjson.Element) Option {
	return func(s *Server) { s.reconfigure = f }
}

// WithShutdown is called by the agent's shutdown command. Without it,
// shutdown stops the HTTP listener only.
func WithShutdown(f func(exitValue int)) Option { return func(s *Server) { s.shutdown = f } }

// New makes a server for cfg. services are the in-process dispatchers by
// service name; services named in cfg's control-sockets but not in services
// are forwarded to their UNIX socket.
func New(cfg *Config, services map[string]Dispatcher, log *slog.Logger, opts ...Option) (*Server, error) {
	if cfg == nil {
		return nil, errors.New("httpapi: nil config")
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &Server{
		cfg:      cfg,
		limits:   cfg.Limits.withDefaults(),
		local:    map[string]Dispatcher{},
		log:      log,
		version:  "2.2.0",
		extended: "2.2.0\nlessor control agent\n",
		report:   "lessor control agent, Kea 2.2.0 control protocol",
		started:  time.Now(),
	}
	for name, d := range services {
		s.local[name] = d
	}
	for _, o := range opts {
		o(s)
	}
	if cfg.Mode == ModeServer && cfg.Service == "" {
		if len(s.local) != 1 {
			return nil, fmt.Errorf("httpapi: an HTTP control socket needs exactly one service, got %d", len(s.local))
		}
		for name := range s.local {
			cfg.Service = name
		}
	}
	setServerRealm(cfg)
	s.sem = make(chan struct{}, s.limits.MaxConcurrent)
	s.cur.Store(s.newState(cfg))
	return s, nil
}

func (s *Server) newState(cfg *Config) *state {
	st := &state{cfg: cfg, services: map[string]Dispatcher{}}
	for name, d := range s.local {
		st.services[name] = d
	}
	if cfg.Mode == ModeAgent {
		for name, si := range cfg.Sockets {
			if _, ok := st.services[name]; !ok {
				st.services[name] = &SocketDispatcher{Service: name, Path: si.Name, Timeout: s.limits.ForwardTimeout}
			}
		}
	}
	creds := make([]string, 0, len(cfg.credentials))
	for cred := range cfg.credentials {
		creds = append(creds, cred)
	}
	sort.Strings(creds)
	for _, cred := range creds {
		st.creds = append(st.creds, credential{sum: sha256.Sum256([]byte(cred)), user: cfg.credentials[cred]})
	}
	return st
}

// Apply switches a running server to cfg: authentication, control sockets,
// extra headers and metrics settings take effect for the next request.
// A change of address, TLS settings or mode needs a new Server; Apply
// refuses it and keeps the current configuration. Limits keep their
// values until restart.
func (s *Server) Apply(cfg *Config) error {
	old := s.cur.Load().cfg
	switch {
	case cfg.Mode != old.Mode:
		return errors.New("httpapi: the listener's mode cannot change at run time")
	case cfg.Addr() != old.Addr():
		return fmt.Errorf("httpapi: the listen address cannot change at run time (%s to %s)", old.Addr(), cfg.Addr())
	case cfg.TrustAnchor != old.TrustAnchor || cfg.CertFile != old.CertFile || cfg.KeyFile != old.KeyFile || cfg.CertRequired != old.CertRequired:
		return errors.New("httpapi: TLS settings cannot change at run time")
	}
	if cfg.Mode == ModeServer && cfg.Service == "" {
		cfg.Service = old.Service
	}
	setServerRealm(cfg)
	s.cur.Store(s.newState(cfg))
	return nil
}

// setServerRealm gives a ModeServer listener without a configured realm
// its server's default realm, as Kea's servers do.
func setServerRealm(cfg *Config) {
	if cfg.Mode != ModeServer || cfg.Auth == nil || !cfg.Auth.defaultRealm {
		return
	}
	switch cfg.Service {
	case "dhcp4":
		cfg.Auth.Realm = "kea-dhcpv4-server"
	case "dhcp6":
		cfg.Auth.Realm = "kea-dhcpv6-server"
	default:
		cfg.Auth.Realm = "kea-" + cfg.Service + "-server"
	}
}

// basicCredential is the base64 text a client sends for user and password.
func basicCredential(user, password string) string {
	return base64.StdEncoding.EncodeToString([]byte(user + ":" + password))
}

// Listen opens the listening socket (done by Serve when not called before)
// and returns its address.
func (s *Server) Listen() (net.Addr, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ln != nil {
		return s.ln.Addr(), nil
	}
	ln, err := net.Listen("tcp", s.cfg.Addr())
	if err != nil {
		return nil, fmt.Errorf("httpapi: listen on %s: %w", s.cfg.Addr(), err)
	}
	ln = newLimitListener(ln, s.limits.MaxConnections)
	if s.cfg.TLS() {
		tc, err := s.tlsConfig()
		if err != nil {
			ln.Close()
			return nil, err
		}
		ln = tls.NewListener(ln, tc)
	}
	s.ln = ln
	return ln.Addr(), nil
}

func (s *Server) tlsConfig() (*tls.Config, error) {
	cert, err := tls.LoadX509KeyPair(s.cfg.CertFile, s.cfg.KeyFile)
	if err != nil {
		return nil, fmt.Errorf("httpapi: load cert-file and key-file: %w", err)
	}
	pool, err := loadTrustAnchor(s.cfg.TrustAnchor)
	if err != nil {
		return nil, err
	}
	tc := &tls.Config{
		MinVersion:   tls.VersionTLS12,
		Certificates: []tls.Certificate{cert},
		ClientCAs:    pool,
		// As Kea: without cert-required no client certificate is asked
		// for (authentication is then up to basic authentication).
		ClientAuth: tls.NoClientCert,
	}
	if s.cfg.CertRequired {
		tc.ClientAuth = tls.RequireAndVerifyClientCert
	}
	return tc, nil
}

// loadTrustAnchor reads a CA file, or every certificate file of a CA
// directory.
func loadTrustAnchor(path string) (*x509.CertPool, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("httpapi: trust-anchor: %w", err)
	}
	files := []string{path}
	if st.IsDir() {
		ents, err := os.ReadDir(path)
		if err != nil {
			return nil, fmt.Errorf("httpapi: trust-anchor: %w", err)
		}
		files = files[:0]
		for _, e := range ents {
			if e.Type().IsRegular() {
				files = append(files, filepath.Join(path, e.Name()))
			}
		}
	}
	pool := x509.NewCertPool()
	n := 0
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return nil, fmt.Errorf("httpapi: trust-anchor: %w", err)
		}
		if pool.AppendCertsFromPEM(b) {
			n++
		}
	}
	if n == 0 {
		return nil, fmt.Errorf("httpapi: trust-anchor %s holds no PEM certificate", path)
	}
	return pool, nil
}

// Serve answers requests until ctx is done (or the agent's shutdown
// command), then shuts down gracefully.
func (s *Server) Serve(ctx context.Context) error {
	if _, err := s.Listen(); err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(ctx)
	s.mu.Lock()
	s.stop = cancel
	ln := s.ln
	s.mu.Unlock()
	defer cancel()
	hs := &http.Server{
		Handler:           s,
		ReadHeaderTimeout: s.limits.ReadTimeout,
		ReadTimeout:       s.limits.ReadTimeout,
		WriteTimeout:      s.limits.WriteTimeout,
		IdleTimeout:       s.limits.IdleTimeout,
		MaxHeaderBytes:    s.limits.MaxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelDebug),
		BaseContext:       func(net.Listener) context.Context { return ctx },
	}
	s.log.Info("HTTP control API listening", "addr", ln.Addr().String(), "tls", s.cfg.TLS())
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("httpapi: serve: %w", err)
	case <-ctx.Done():
	}
	sctx, scancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer scancel()
	err := hs.Shutdown(sctx)
	if errors.Is(err, context.DeadlineExceeded) {
		err = hs.Close()
	}
	<-errc
	if err != nil {
		return fmt.Errorf("httpapi: shutdown: %w", err)
	}
	return nil
}

// Stock answers, as Kea's HTTP layer words them.
var statusText = map[int]string{
	http.StatusBadRequest:            "Bad Request",
	http.StatusUnauthorized:          "Unauthorized",
	http.StatusRequestEntityTooLarge: "Payload Too Large",
	http.StatusInternalServerError:   "Internal Server Error",
	http.StatusServiceUnavailable:    "Service Unavailable",
}

func (s *Server) writeJSON(w http.ResponseWriter, status int, body string) {
	h := w.Header()
	for _, x := range s.cur.Load().cfg.HTTPHeaders {
		h[x.Name] = []string{x.Value}
	}
	h["Content-Type"] = []string{"application/json"}
	h["Content-Length"] = []string{strconv.Itoa(len(body))}
	w.WriteHeader(status)
	io.WriteString(w, body)
}

func (s *Server) writeStock(w http.ResponseWriter, status int) {
	m := kjson.NewMap().Set("result", kjson.NewInt(int64(status))).Set("text", kjson.NewString(statusText[status]))
	s.writeJSON(w, status, m.Str())
}

func (s *Server) unauthorized(w http.ResponseWriter) {
	realm := ""
	if a := s.cur.Load().cfg.Auth; a != nil {
		realm = a.Realm
	}
	w.Header()["WWW-Authenticate"] = []string{`Basic realm="` + realm + `"`}
	s.writeStock(w, http.StatusUnauthorized)
}

// authorized checks the Authorization header as Kea does: the scheme
// "basic" in any case, then the base64 text exactly as configured. Every
// configured credential is compared, in constant time.
func (s *Server) authorized(r *http.Request, st *state) (user string, ok bool) {
	if st.cfg.Auth == nil || len(st.creds) == 0 {
		return "", true
	}
	v := strings.TrimSpace(r.Header.Get("Authorization"))
	if len(v) < 8 || !strings.EqualFold(v[:5], "basic") {
		return "", false
	}
	sum := sha256.Sum256([]byte(strings.TrimSpace(v[5:])))
	for _, c := range st.creds {
		if subtle.ConstantTimeCompare(sum[:], c.sum[:]) == 1 {
			user, ok = c.user, true
		}
	}
	return user, ok
}

// ServeHTTP answers one request.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	select {
	case s.sem <- struct{}{}:
		defer func() { <-s.sem }()
	default:
		t := time.NewTimer(s.limits.ReadTimeout)
		select {
		case s.sem <- struct{}{}:
			t.Stop()
			defer func() { <-s.sem }()
		case <-t.C:
			s.log.Warn("HTTP control API busy, request refused", "remote", r.RemoteAddr)
			s.writeStock(w, http.StatusServiceUnavailable)
			return
		case <-r.Context().Done():
			t.Stop()
			return
		}
	}
	st := s.cur.Load()
	cfg := st.cfg
	if s.gatherer != nil && cfg.Metrics.Enabled && r.Method == http.MethodGet && r.URL.Path == metricsPath(cfg) {
		if !cfg.Metrics.Open {
			if _, ok := s.authorized(r, st); !ok {
				s.log.Info("HTTP control API: request not authorized", "remote", r.RemoteAddr, "path", r.URL.Path)
				s.unauthorized(w)
				return
			}
		}
		s.promh.ServeHTTP(w, r)
		return
	}
	// The request must be what Kea's parser accepts: POST, a
	// Content-Length, "Content-Type: application/json", a JSON body.
	if r.Method != http.MethodPost || r.ContentLength < 0 || len(r.TransferEncoding) > 0 {
		s.writeStock(w, http.StatusBadRequest)
		return
	}
	ct := r.Header.Values("Content-Type")
	if len(ct) == 0 || !strings.EqualFold(strings.TrimSpace(ct[len(ct)-1]), "application/json") {
		s.writeStock(w, http.StatusBadRequest)
		return
	}
	if r.ContentLength > s.limits.MaxBodyBytes {
		s.writeStock(w, http.StatusRequestEntityTooLarge)
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, s.limits.MaxBodyBytes))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			s.writeStock(w, http.StatusRequestEntityTooLarge)
			return
		}
		s.writeStock(w, http.StatusBadRequest)
		return
	}
	var cmd *kjson.Element
	if len(body) > 0 {
		if cmd, err = kjson.ParseString(body); err != nil {
			s.log.Debug("HTTP control API: bad JSON body", "remote", r.RemoteAddr, "error", err)
			s.writeStock(w, http.StatusBadRequest)
			return
		}
	}
	user, ok := s.authorized(r, st)
	if !ok {
		s.log.Info("HTTP control API: request not authorized", "remote", r.RemoteAddr)
		s.unauthorized(w)
		return
	}
	var ans *kjson.Element
	if cfg.Mode == ModeServer {
		ans = s.processServer(r.Context(), cmd)
	} else {
		ans = s.processAgent(r.Context(), cmd, user, r.RemoteAddr)
	}
	s.writeJSON(w, http.StatusOK, ans.Str())
}

func metricsPath(cfg *Config) string {
	if cfg.Metrics.Path == "" {
		return "/metrics"
	}
	return cfg.Metrics.Path
}

// parseCommand checks a command as Kea's command managers do and returns
// its name, or the error text.
func parseCommand(cmd *kjson.Element) (string, string) {
	if cmd.Kind != kjson.Map {
		return "", "Invalid command Element specified, expected map"
	}
	if !cmd.Contains("command") {
		return "", "Invalid answer specified, does not contain mandatory 'command'"
	}
	for _, k := range cmd.Keys() {
		switch k {
		case "command", "arguments", "service", "remote-address":
		default:
			return "", "Received command contains unsupported parameter '" + k + "'"
		}
	}
	c := cmd.Get("command")
	if c.Kind != kjson.String {
		return "", "'command' element in command message is not a string"
	}
	return c.S, ""
}

func withoutService(cmd *kjson.Element) *kjson.Element {
	if !cmd.Contains("service") {
		return cmd
	}
	c := &kjson.Element{Kind: kjson.Map, Pos: cmd.Pos, M: make(map[string]*kjson.Element, len(cmd.M))}
	for k, v := range cmd.M {
		if k != "service" {
			c.M[k] = v
		}
	}
	return c
}

func (s *Server) dispatch(ctx context.Context, service, name string, d Dispatcher, cmd *kjson.Element) *kjson.Element {
	start := time.Now()
	a := d.Dispatch(ctx, cmd)
	if a == nil {
		a = answer(1, "internal server error: empty answer")
	}
	s.metrics.observe(name, service, a, time.Since(start))
	return a
}

// processAgent answers a command as Kea 2.2's Control Agent does.
func (s *Server) processAgent(ctx context.Context, cmd *kjson.Element, user, remote string) *kjson.Element {
	if cmd == nil {
		return kjson.NewList(answer(1, "Command processing failed: NULL command parameter"))
	}
	name, perr := parseCommand(cmd)
	if perr != "" {
		return kjson.NewList(answer(1, "Error during command processing: "+perr))
	}
	s.log.Info("HTTP control API: command received", "command", name, "remote", remote, "user", user)
	services := cmd.Get("service")
	if services != nil && services.Kind != kjson.List {
		return kjson.NewList(answer(1, "service value must be a list"))
	}
	if services == nil || len(services.L) == 0 {
		start := time.Now()
		a := s.agentCommand(ctx, name, cmd.Get("arguments"))
		s.metrics.observe(name, "", a, time.Since(start))
		if a.Kind == kjson.List {
			return a
		}
		return kjson.NewList(a)
	}
	out := kjson.NewList()
	fwd := withoutService(cmd)
	for _, svc := range services.L {
		if svc.Kind != kjson.String {
			return kjson.NewList(answer(1, "Error during command processing: stringValue() called on non-string Element in ("+svc.Pos.String()+")"))
		}
		d, ok := s.cur.Load().services[svc.S]
		if !ok {
			out.Add(answer(1, "forwarding socket is not configured for the server type "+svc.S))
			continue
		}
		out.Add(s.dispatch(ctx, svc.S, name, d, fwd))
	}
	return out
}

// processServer answers a command as a Kea 2.7+ server's own HTTP control
// socket does: the answer of the one service, in a list.
func (s *Server) processServer(ctx context.Context, cmd *kjson.Element) *kjson.Element {
	if cmd == nil {
		return kjson.NewList(answer(1, "Command processing failed: NULL command parameter"))
	}
	if cmd.Kind == kjson.Map {
		if services := cmd.Get("service"); services != nil {
			switch {
			case services.Kind != kjson.List:
				return kjson.NewList(answer(1, "service value must be a list"))
			case len(services.L) > 1:
				return kjson.NewList(answer(1, "service value has more than one item"))
			case len(services.L) == 1 && services.L[0].Kind != kjson.String:
				return kjson.NewList(answer(1, "service name must be a string"))
			case len(services.L) == 1 && services.L[0].S != "" && services.L[0].S != s.cfg.Service:
				return kjson.NewList(answer(1, "unsupported service '"+services.L[0].S+"', expected '"+s.cfg.Service+"'"))
			}
		}
	}
	name, perr := parseCommand(cmd)
	if perr != "" {
		return kjson.NewList(answer(1, "Error during command processing: "+perr))
	}
	a := s.dispatch(ctx, s.cfg.Service, name, s.local[s.cfg.Service], withoutService(cmd))
	if a.Kind == kjson.List {
		return a
	}
	return kjson.NewList(a)
}
