// Package httpapi is lessor's HTTP control API. It speaks the protocol of
// Kea 2.2's Control Agent: a JSON command POSTed to the listener, with a
// "service" list naming the servers it is meant for, answered by a JSON list
// holding one answer per service. It also serves the Kea 2.7+ form, an HTTP
// control socket owned by the server itself, and an optional Prometheus
// /metrics endpoint.
package httpapi

import (
	"fmt"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/lessor-dhcp/lessor/internal/kjson"
)

// Mode says which Kea listener a Config describes.
type Mode uint8

const (
	// ModeAgent is Kea 2.2's Control Agent: commands name their services.
	ModeAgent Mode = iota
	// ModeServer is Kea 2.7's HTTP control socket of one server.
	ModeServer
)

// SocketInfo is one entry of the agent's control-sockets map: where to
// forward commands for a service that lessor does not run in-process.
type SocketInfo struct {
	Type        string // always "unix"
	Name        string // the socket path
	UserContext *kjson.Element
}

// Client is one basic-authentication client.
type Client struct {
	User         string
	Password     string
	UserFile     string
	PasswordFile string
	// PasswordFileOnly is set when the client was given only a
	// password-file holding "user:password".
	PasswordFileOnly bool
	UserContext      *kjson.Element
}

// AuthConfig is the "authentication" map.
type AuthConfig struct {
	Type        string // "basic"
	Realm       string
	Directory   string
	Clients     []Client
	UserContext *kjson.Element

	defaultRealm bool // no realm given (ModeServer): New names the server
}

// Header is an extra HTTP header added to every answer (ModeServer's
// "http-headers").
type Header struct {
	Name  string
	Value string
}

// Limits keep the listener up under abuse. Zero values take the defaults.
type Limits struct {
	MaxBodyBytes   int64         // largest request body accepted
	MaxHeaderBytes int           // largest request header block
	ReadTimeout    time.Duration // to read a whole request (Kea: 10 s)
	WriteTimeout   time.Duration // to answer, command included
	IdleTimeout    time.Duration // keep-alive connections (Kea: 30 s)
	MaxConcurrent  int           // requests served at once; more wait
	MaxConnections int           // connections open at once; more wait in the backlog
	ForwardTimeout time.Duration // forwarding to a UNIX socket (Kea: 60 s)
}

// DefaultLimits are the limits used for fields left zero.
var DefaultLimits = Limits{
	MaxBodyBytes:   16 << 20,
	MaxHeaderBytes: 64 << 10,
	ReadTimeout:    10 * time.Second,
	WriteTimeout:   90 * time.Second,
	IdleTimeout:    30 * time.Second,
	MaxConcurrent:  64,
	MaxConnections: 256,
	ForwardTimeout: 60 * time.Second,
}

func (l Limits) withDefaults() Limits {
	d := DefaultLimits
	if l.MaxBodyBytes > 0 {
		d.MaxBodyBytes = l.MaxBodyBytes
	}
	if l.MaxHeaderBytes > 0 {
		d.MaxHeaderBytes = l.MaxHeaderBytes
	}
	if l.ReadTimeout > 0 {
		d.ReadTimeout = l.ReadTimeout
	}
	if l.WriteTimeout > 0 {
		d.WriteTimeout = l.WriteTimeout
	}
	if l.IdleTimeout > 0 {
		d.IdleTimeout = l.IdleTimeout
	}
	if l.MaxConcurrent > 0 {
		d.MaxConcurrent = l.MaxConcurrent
	}
	if l.MaxConnections > 0 {
		d.MaxConnections = l.MaxConnections
	}
	if l.ForwardTimeout > 0 {
		d.ForwardTimeout = l.ForwardTimeout
	}
	return d
}

// MetricsConfig controls GET /metrics.
type MetricsConfig struct {
	Enabled bool   // serve it (needs a Gatherer given to New)
	Path    string // default "/metrics"
	// Open serves it without authentication even when authentication
	// is configured. Off by default.
	Open bool
}

// Config is a parsed Control-agent map (ModeAgent) or HTTP control-socket
// entry (ModeServer).
type Config struct {
	Mode         Mode
	Host         string
	Port         uint16
	Sockets      map[string]SocketInfo // ModeAgent: control-sockets
	Auth         *AuthConfig           // nil: no authentication
	TrustAnchor  string
	CertFile     string
	KeyFile      string
	CertRequired bool
	HTTPHeaders  []Header       // ModeServer
	Loggers      *kjson.Element // kept for config-get
	Hooks        *kjson.Element // hooks-libraries, kept for config-get
	UserContext  *kjson.Element
	Limits       Limits
	Metrics      MetricsConfig
	// SocketType is a ModeServer listener's "http" or "https".
	SocketType string
	// Service is the service a ModeServer listener answers for ("dhcp4");
	// New fills it from its single service when empty.
	Service string

	// credentials maps base64("user:password") to the user.
	credentials map[string]string
}

// TLS reports whether the listener uses TLS.
func (c *Config) TLS() bool { return c.TrustAnchor != "" || c.CertFile != "" || c.KeyFile != "" }

// Addr is the listen address, "host:port".
func (c *Config) Addr() string { return net.JoinHostPort(c.Host, strconv.Itoa(int(c.Port))) }

// ConfigError is a configuration error, worded as Kea words it.
type ConfigError struct{ Msg string }

func (e *ConfigError) Error() string { return e.Msg }

func cfgErr(format string, args ...any) error {
	return &ConfigError{Msg: fmt.Sprintf(format, args...)}
}

func pos(e *kjson.Element) string { return e.Pos.String() }

// Kea's parser accepts "comment" where it accepts "user-context".
func checkKeys(m *kjson.Element, where string, allowed ...string) error {
	for _, k := range m.Keys() {
		ok := k == "comment" || k == "user-context"
		for _, a := range allowed {
			ok = ok || a == k
		}
		if !ok {
			v := m.Get(k)
			return cfgErr("%s.%d: got unexpected keyword \"%s\" in %s map.", v.Pos.File+":"+strconv.Itoa(v.Pos.Line), v.Pos.Col, k, where)
		}
	}
	return nil
}

func getString(scope *kjson.Element, name, def string) (string, error) {
	v := scope.Get(name)
	if v == nil {
		return def, nil
	}
	if v.Kind != kjson.String {
		return "", cfgErr("invalid type specified for parameter '%s' (%s)", name, pos(v))
	}
	return v.S, nil
}

func getBool(scope *kjson.Element, name string, def bool) (bool, error) {
	v := scope.Get(name)
	if v == nil {
		return def, nil
	}
	if v.Kind != kjson.Bool {
		return false, cfgErr("invalid type specified for parameter '%s' (%s)", name, pos(v))
	}
	return v.B, nil
}

func getPort(scope *kjson.Element, name string, def uint16) (uint16, error) {
	v := scope.Get(name)
	if v == nil {
		return def, nil
	}
	if v.Kind != kjson.Int {
		return 0, cfgErr("invalid type specified for parameter '%s' (%s)", name, pos(v))
	}
	if v.I < 0 || v.I > 65535 {
		return 0, cfgErr("out of range value (%d) specified for parameter '%s' (%s)", v.I, name, pos(v))
	}
	return uint16(v.I), nil
}

func userContext(m *kjson.Element) (*kjson.Element, error) {
	uc := m.Get("user-context")
	if uc != nil && uc.Kind != kjson.Map {
		return nil, cfgErr("user-context must be a map (%s)", pos(uc))
	}
	if c := m.Get("comment"); c != nil {
		if uc == nil {
			uc = kjson.NewMap()
		} else {
			uc = uc.Copy()
		}
		uc.Set("comment", c)
	}
	return uc, nil
}

// ParseConfig parses a Control-agent map as Kea 2.2 writes it. raw may also
// be a whole configuration holding a "Control-agent" key. Relative
// user-file and password-file names are read from the authentication
// directory.
func ParseConfig(raw *kjson.Element) (*Config, error) {
	if raw == nil {
		return nil, cfgErr("Mandatory config parameter not provided")
	}
	if raw.Kind == kjson.Map && raw.Contains("Control-agent") {
		raw = raw.Get("Control-agent")
	}
	if raw.Kind != kjson.Map {
		return nil, cfgErr("Control-agent must be a map (%s)", pos(raw))
	}
	if err := checkKeys(raw, "Control-agent", "http-host", "http-port", "trust-anchor", "cert-file",
		"key-file", "cert-required", "authentication", "control-sockets", "hooks-libraries", "loggers"); err != nil {
		return nil, err
	}
	c := &Config{Mode: ModeAgent, Sockets: map[string]SocketInfo{}}
	var err error
	if c.Host, err = getString(raw, "http-host", "127.0.0.1"); err != nil {
		return nil, err
	}
	if c.Port, err = getPort(raw, "http-port", 8000); err != nil {
		return nil, err
	}
	if err := c.parseTLS(raw); err != nil {
		return nil, err
	}
	if cs := raw.Get("control-sockets"); cs != nil {
		if cs.Kind != kjson.Map {
			return nil, cfgErr("control-sockets must be a map (%s)", pos(cs))
		}
		if err := checkKeys(cs, "control-sockets", "dhcp4", "dhcp6", "d2"); err != nil {
			return nil, err
		}
		for _, svc := range cs.Keys() {
			if svc == "comment" || svc == "user-context" {
				continue
			}
			si, err := parseSocket(cs.Get(svc), svc)
			if err != nil {
				return nil, err
			}
			c.Sockets[svc] = si
		}
	}
	if a := raw.Get("authentication"); a != nil {
		if c.Auth, err = parseAuth(a, "kea-control-agent"); err != nil {
			return nil, err
		}
	}
	if h := raw.Get("hooks-libraries"); h != nil {
		if h.Kind != kjson.List {
			return nil, cfgErr("hooks-libraries must be a list (%s)", pos(h))
		}
		if len(h.L) > 0 {
			// An agent hook (RBAC, audit) cannot run in lessor; ignoring it
			// would silently drop the access control it provides.
			return nil, cfgErr("hooks-libraries are not supported by lessor's control agent (%s)", pos(h.L[0]))
		}
		c.Hooks = h
	}
	if l := raw.Get("loggers"); l != nil {
		if l.Kind != kjson.List {
			return nil, cfgErr("loggers must be a list (%s)", pos(l))
		}
		c.Loggers = l
	}
	if c.UserContext, err = userContext(raw); err != nil {
		return nil, err
	}
	if err := c.parseExtensions(); err != nil {
		return nil, err
	}
	if err := c.loadCredentials(); err != nil {
		return nil, err
	}
	return c, nil
}

func parseSocket(s *kjson.Element, svc string) (SocketInfo, error) {
	if s.Kind != kjson.Map {
		return SocketInfo{}, cfgErr("%s must be a map (%s)", svc, pos(s))
	}
	if err := checkKeys(s, svc, "socket-type", "socket-name"); err != nil {
		return SocketInfo{}, err
	}
	si := SocketInfo{}
	var err error
	if si.Type, err = getString(s, "socket-type", "unix"); err != nil {
		return si, err
	}
	if si.Type != "unix" {
		return si, cfgErr("unsupported socket-type '%s', expected 'unix' (%s)", si.Type, pos(s.Get("socket-type")))
	}
	n := s.Get("socket-name")
	if n == nil {
		return si, cfgErr("missing parameter 'socket-name' (%s)", pos(s))
	}
	if si.Name, err = getString(s, "socket-name", ""); err != nil {
		return si, err
	}
	if si.UserContext, err = userContext(s); err != nil {
		return si, err
	}
	return si, nil
}

func (c *Config) parseTLS(raw *kjson.Element) error {
	var err error
	if c.TrustAnchor, err = getString(raw, "trust-anchor", ""); err != nil {
		return err
	}
	if c.CertFile, err = getString(raw, "cert-file", ""); err != nil {
		return err
	}
	if c.KeyFile, err = getString(raw, "key-file", ""); err != nil {
		return err
	}
	if c.CertRequired, err = getBool(raw, "cert-required", true); err != nil {
		return err
	}
	if !c.TLS() {
		return nil
	}
	switch {
	case c.TrustAnchor == "":
		return cfgErr("trust-anchor parameter is missing or empty: all or none of TLS parameters must be set")
	case c.CertFile == "":
		return cfgErr("cert-file parameter is missing or empty: all or none of TLS parameters must be set")
	case c.KeyFile == "":
		return cfgErr("key-file parameter is missing or empty: all or none of TLS parameters must be set")
	}
	return nil
}

func parseAuth(a *kjson.Element, defRealm string) (*AuthConfig, error) {
	if a.Kind != kjson.Map {
		return nil, cfgErr("authentication must be a map (%s)", pos(a))
	}
	if err := checkKeys(a, "authentication", "type", "realm", "directory", "clients"); err != nil {
		return nil, err
	}
	ac := &AuthConfig{}
	t := a.Get("type")
	if t == nil {
		return nil, cfgErr("type is required in authentication (%s)", pos(a))
	}
	if t.Kind != kjson.String {
		return nil, cfgErr("type must be a string (%s)", pos(t))
	}
	if t.S != "basic" {
		return nil, cfgErr("only basic HTTP authentication is supported: type is '%s' not 'basic' (%s)", t.S, pos(t))
	}
	ac.Type = t.S
	ac.Realm = defRealm
	if r := a.Get("realm"); r != nil {
		if r.Kind != kjson.String {
			return nil, cfgErr("realm must be a string (%s)", pos(r))
		}
		ac.Realm = r.S
	}
	if d := a.Get("directory"); d != nil {
		if d.Kind != kjson.String {
			return nil, cfgErr("directory must be a string (%s)", pos(d))
		}
		ac.Directory = d.S
	}
	var err error
	if ac.UserContext, err = userContext(a); err != nil {
		return nil, err
	}
	cl := a.Get("clients")
	if cl == nil {
		return ac, nil
	}
	if cl.Kind != kjson.List {
		return nil, cfgErr("clients must be a list (%s)", pos(cl))
	}
	for _, ce := range cl.L {
		cli, err := parseClient(ce)
		if err != nil {
			return nil, err
		}
		ac.Clients = append(ac.Clients, cli)
	}
	return ac, nil
}

func parseClient(ce *kjson.Element) (Client, error) {
	var cli Client
	if ce.Kind != kjson.Map {
		return cli, cfgErr("clients items must be maps (%s)", pos(ce))
	}
	if err := checkKeys(ce, "clients", "user", "password", "user-file", "password-file"); err != nil {
		return cli, err
	}
	pw, pwf := ce.Get("password"), ce.Get("password-file")
	if pw != nil {
		if pw.Kind != kjson.String {
			return cli, cfgErr("password must be a string (%s)", pos(pw))
		}
		cli.Password = pw.S
	}
	if pwf != nil {
		if pw != nil {
			return cli, cfgErr("password (%s) and password-file (%s) are mutually exclusive", pos(pw), pos(pwf))
		}
		if pwf.Kind != kjson.String {
			return cli, cfgErr("password-file must be a string (%s)", pos(pwf))
		}
		cli.PasswordFile = pwf.S
	}
	u, uf := ce.Get("user"), ce.Get("user-file")
	if u == nil && uf == nil {
		if pwf == nil {
			return cli, cfgErr("user is required in clients items (%s)", pos(ce))
		}
		cli.PasswordFileOnly = true
	}
	if u != nil {
		if uf != nil {
			return cli, cfgErr("user (%s) and user-file (%s) are mutually exclusive", pos(u), pos(uf))
		}
		if u.Kind != kjson.String {
			return cli, cfgErr("user must be a string (%s)", pos(u))
		}
		if u.S == "" {
			return cli, cfgErr("user must not be empty (%s)", pos(u))
		}
		if strings.Contains(u.S, ":") {
			return cli, cfgErr("user must not contain a ':': '%s' (%s)", u.S, pos(u))
		}
		cli.User = u.S
	}
	if uf != nil {
		if uf.Kind != kjson.String {
			return cli, cfgErr("user-file must be a string (%s)", pos(uf))
		}
		cli.UserFile = uf.S
	}
	var err error
	cli.UserContext, err = userContext(ce)
	return cli, err
}

// fileContent reads a credential file as Kea does: relative to directory,
// the whole content, no trimming.
func fileContent(dir, name string) (string, error) {
	p := dir
	if p == "" || !strings.HasSuffix(p, "/") {
		p += "/"
	}
	p += strings.TrimPrefix(name, "/")
	st, err := os.Stat(p)
	if err != nil {
		return "", cfgErr("can't open file '%s': %s", p, errnoText(err))
	}
	if !st.Mode().IsRegular() {
		return "", cfgErr("'%s' must be a regular file", p)
	}
	b, err := os.ReadFile(filepath.Clean(p))
	if err != nil {
		return "", cfgErr("can't read file '%s': %s", p, errnoText(err))
	}
	return string(b), nil
}

// loadCredentials resolves user-file and password-file and builds the
// table of accepted credentials.
func (c *Config) loadCredentials() error {
	c.credentials = map[string]string{}
	if c.Auth == nil {
		return nil
	}
	for i := range c.Auth.Clients {
		cli := &c.Auth.Clients[i]
		user, password := cli.User, cli.Password
		if cli.UserFile != "" {
			s, err := fileContent(c.Auth.Directory, cli.UserFile)
			if err != nil {
				return err
			}
			if s == "" {
				return cfgErr("user must not be empty from user-file '%s'", cli.UserFile)
			}
			if strings.Contains(s, ":") {
				return cfgErr("user must not contain a ':' from user-file '%s'", cli.UserFile)
			}
			user = s
		}
		if cli.PasswordFile != "" {
			s, err := fileContent(c.Auth.Directory, cli.PasswordFile)
			if err != nil {
				return err
			}
			if cli.PasswordFileOnly {
				i := strings.IndexByte(s, ':')
				if i < 0 {
					return cfgErr("can't find the user id part in password-file '%s'", cli.PasswordFile)
				}
				user, password = s[:i], s[i+1:]
			} else {
				password = s
			}
		}
		c.credentials[basicCredential(user, password)] = user
	}
	return nil
}

// ParseServerSocket parses one entry of a server's own control-sockets list
// in the Kea 2.7+ form: {"socket-type": "http"|"https", "socket-address",
// "socket-port", "authentication", "trust-anchor", "cert-file", "key-file",
// "cert-required", "http-headers"}.
func ParseServerSocket(raw *kjson.Element) (*Config, error) {
	if raw == nil || raw.Kind != kjson.Map {
		return nil, cfgErr("control-socket entry must be a map")
	}
	if err := checkKeys(raw, "control-socket", "socket-type", "socket-name", "socket-address", "socket-port",
		"authentication", "trust-anchor", "cert-file", "key-file", "cert-required", "http-headers"); err != nil {
		return nil, err
	}
	c := &Config{Mode: ModeServer, Sockets: map[string]SocketInfo{}}
	typ := "http"
	if t := raw.Get("socket-type"); t != nil {
		if t.Kind != kjson.String {
			// (sic) Kea names the parameter so in this message.
			return nil, cfgErr("invalid type specified for parameter 'socket_type' (%s)", pos(t))
		}
		typ = t.S
	}
	if typ != "http" && typ != "https" {
		return nil, cfgErr("unsupported 'socket-type' '%s' not 'http' or 'https'", typ)
	}
	c.SocketType = typ
	c.Host = "127.0.0.1"
	addrKey := "socket-address"
	addr := raw.Get("socket-address")
	if n := raw.Get("socket-name"); n != nil {
		// socket-name is an alias of socket-address.
		if addr != nil {
			return nil, cfgErr("specify both 'socket-name' and 'socket-address' is forbidden")
		}
		addr, addrKey = n, "socket-name"
	}
	if addr != nil {
		if addr.Kind != kjson.String {
			return nil, cfgErr("invalid type specified for parameter '%s' (%s)", addrKey, pos(addr))
		}
		ip, err := netip.ParseAddr(addr.S)
		if err != nil {
			return nil, cfgErr("failed to convert '%s' to address: Failed to convert string to address '%s': Invalid argument (%s)", addr.S, addr.S, pos(addr))
		}
		c.Host = ip.String()
	}
	if p := raw.Get("socket-port"); p != nil {
		if p.Kind != kjson.Int {
			return nil, cfgErr("invalid type specified for parameter 'socket-port' (%s)", pos(p))
		}
		if p.I < 0 || p.I > 65535 {
			return nil, cfgErr("out of range value %d specified for parameter 'socket-port' (%s)", p.I, pos(p))
		}
		c.Port = uint16(p.I)
	} else {
		c.Port = 8000
	}
	var err error
	if err := c.parseTLS(raw); err != nil {
		return nil, err
	}
	if typ == "https" && !c.TLS() {
		return nil, cfgErr("no TLS setup for a HTTPS control socket")
	}
	if a := raw.Get("authentication"); a != nil {
		if a.Kind != kjson.Map {
			return nil, cfgErr("invalid type specified for parameter 'authentication' (%s)", pos(a))
		}
		if !a.Contains("type") {
			// The type defaults to basic here.
			a = a.Copy()
			a.Set("type", kjson.NewString("basic"))
		}
		if c.Auth, err = parseAuth(a, ""); err != nil {
			return nil, err
		}
		// New sets the server's default realm ("kea-dhcpv4-server").
		c.Auth.defaultRealm = !a.Contains("realm")
	}
	if hh := raw.Get("http-headers"); hh != nil {
		if hh.Kind != kjson.List {
			return nil, cfgErr("http-headers must be a list (%s)", pos(hh))
		}
		for _, h := range hh.L {
			if h.Kind != kjson.Map {
				return nil, cfgErr("http-headers items must be maps (%s)", pos(h))
			}
			name, err := getString(h, "name", "")
			if err != nil {
				return nil, err
			}
			value, err := getString(h, "value", "")
			if err != nil {
				return nil, err
			}
			if name == "" {
				return nil, cfgErr("missing parameter 'name' (%s)", pos(h))
			}
			c.HTTPHeaders = append(c.HTTPHeaders, Header{Name: name, Value: value})
		}
	}
	if c.UserContext, err = userContext(raw); err != nil {
		return nil, err
	}
	if err := c.parseExtensions(); err != nil {
		return nil, err
	}
	if err := c.loadCredentials(); err != nil {
		return nil, err
	}
	return c, nil
}

// parseExtensions reads lessor's own settings from user-context "lessor",
// where Kea ignores them:
//
//	"user-context": {"lessor": {"max-body-size": 1048576, "read-timeout": 10,
//	  "write-timeout": 90, "idle-timeout": 30, "max-concurrent-requests": 64,
//	  "max-connections": 256, "forward-timeout": 60,
//	  "metrics": true, "metrics-path": "/metrics", "metrics-open": false}}
//
// Timeouts are in seconds.
func (c *Config) parseExtensions() error {
	c.Metrics = MetricsConfig{Enabled: true, Path: "/metrics"}
	ext := c.UserContext.Get("lessor")
	if ext == nil {
		return nil
	}
	if ext.Kind != kjson.Map {
		return cfgErr("user-context lessor must be a map (%s)", pos(ext))
	}
	ints := map[string]func(int64){
		"max-body-size":           func(v int64) { c.Limits.MaxBodyBytes = v },
		"read-timeout":            func(v int64) { c.Limits.ReadTimeout = time.Duration(v) * time.Second },
		"write-timeout":           func(v int64) { c.Limits.WriteTimeout = time.Duration(v) * time.Second },
		"idle-timeout":            func(v int64) { c.Limits.IdleTimeout = time.Duration(v) * time.Second },
		"forward-timeout":         func(v int64) { c.Limits.ForwardTimeout = time.Duration(v) * time.Second },
		"max-concurrent-requests": func(v int64) { c.Limits.MaxConcurrent = int(v) },
		"max-connections":         func(v int64) { c.Limits.MaxConnections = int(v) },
	}
	keys := ext.Keys()
	sort.Strings(keys)
	for _, k := range keys {
		v := ext.Get(k)
		if set, ok := ints[k]; ok {
			if v.Kind != kjson.Int || v.I <= 0 || v.I > 1<<40 {
				return cfgErr("'%s' must be a positive integer (%s)", k, pos(v))
			}
			set(v.I)
			continue
		}
		var err error
		switch k {
		case "metrics":
			c.Metrics.Enabled, err = getBool(ext, k, true)
		case "metrics-open":
			c.Metrics.Open, err = getBool(ext, k, false)
		case "metrics-path":
			c.Metrics.Path, err = getString(ext, k, "/metrics")
			if err == nil && !strings.HasPrefix(c.Metrics.Path, "/") {
				err = cfgErr("'metrics-path' must start with '/' (%s)", pos(v))
			}
		default:
			err = cfgErr("unknown lessor parameter '%s' (%s)", k, pos(v))
		}
		if err != nil {
			return err
		}
	}
	return nil
}
