package ddns

import (
	"fmt"
	"math"
	"net/netip"
	"strconv"
	"strings"

	"github.com/lessor-dhcp/lessor/internal/kjson"
)

// Config is the "dhcp-ddns" map: how lessor reaches kea-dhcp-ddns.
type Config struct {
	EnableUpdates bool
	ServerIP      netip.Addr
	ServerPort    uint32 // Kea reads ports as 32-bit values; the socket uses the low 16 bits
	SenderIP      netip.Addr
	SenderPort    uint32
	MaxQueueSize  uint32
	NCRProtocol   string // "UDP" (the only protocol Kea supports)
	NCRFormat     string // "JSON" (the only format)
	UserContext   *kjson.Element
}

// Kea's defaults for the dhcp-ddns map.
const (
	DefaultServerPort   = 53001
	DefaultMaxQueueSize = 1024
)

// DefaultConfig is the configuration in force when the dhcp-ddns map is
// absent: updates disabled, Kea's defaults elsewhere.
func DefaultConfig() Config {
	return Config{
		ServerIP:     netip.MustParseAddr("127.0.0.1"),
		ServerPort:   DefaultServerPort,
		SenderIP:     netip.IPv4Unspecified(),
		MaxQueueSize: DefaultMaxQueueSize,
		NCRProtocol:  "UDP",
		NCRFormat:    "JSON",
	}
}

// ConfigError is a dhcp-ddns map Kea would refuse; its text is Kea's,
// position included ("... (kea.conf:12:20)").
type ConfigError struct{ Msg string }

func (e *ConfigError) Error() string { return e.Msg }

func cfgErr(format string, args ...any) error {
	return &ConfigError{Msg: fmt.Sprintf(format, args...)}
}

// defaultPos is where Kea says a default value comes from.
var defaultPos = kjson.Pos{File: "<default-value>"}

// dhcpDdnsDefaults are the values Kea fills in for absent keys.
var dhcpDdnsDefaults = map[string]*kjson.Element{
	"server-ip":      {Kind: kjson.String, S: "127.0.0.1", Pos: defaultPos},
	"server-port":    {Kind: kjson.Int, I: DefaultServerPort, Pos: defaultPos},
	"sender-ip":      {Kind: kjson.String, S: "", Pos: defaultPos},
	"sender-port":    {Kind: kjson.Int, I: 0, Pos: defaultPos},
	"max-queue-size": {Kind: kjson.Int, I: DefaultMaxQueueSize, Pos: defaultPos},
	"ncr-protocol":   {Kind: kjson.String, S: "UDP", Pos: defaultPos},
	"ncr-format":     {Kind: kjson.String, S: "JSON", Pos: defaultPos},
}

// scope looks values up in a dhcp-ddns map with Kea's defaults behind it.
type scope struct{ m *kjson.Element }

func (s scope) get(name string) *kjson.Element {
	if e := s.m.Get(name); e != nil {
		return e
	}
	return dhcpDdnsDefaults[name]
}

// pos is Kea's getPosition: the value's position, else the map's.
func (s scope) pos(name string) kjson.Pos {
	if e := s.get(name); e != nil {
		return e.Pos
	}
	return s.m.Pos
}

func (s scope) value(name string, kind kjson.Kind) (*kjson.Element, error) {
	e := s.get(name)
	if e == nil {
		return nil, cfgErr("missing parameter '%s' (%s)", name, s.m.Pos)
	}
	if e.Kind != kind {
		return nil, cfgErr("invalid type specified for parameter '%s' (%s)", name, e.Pos)
	}
	return e, nil
}

func (s scope) uint32(name string) (uint32, error) {
	e, err := s.value(name, kjson.Int)
	if err != nil {
		return 0, err
	}
	if e.I < 0 || e.I > math.MaxUint32 {
		return 0, cfgErr("out of range value (%d) specified for parameter '%s' (%s)", e.I, name, s.pos(name))
	}
	return uint32(e.I), nil
}

// parseIP reads an address as Kea's IOAddress does.
func parseIP(s string) (netip.Addr, bool) {
	a, err := netip.ParseAddr(s)
	if err != nil || a.Zone() != "" {
		return netip.Addr{}, false
	}
	return a, true
}

func family(a netip.Addr) string {
	if a.Is4() {
		return "IPv4"
	}
	return "IPv6"
}

// ParseConfig reads the "dhcp-ddns" map (nil: the map is absent) with Kea
// 2.2's D2ClientConfigParser rules and error texts, after Kea's defaults
// are applied. The deprecated behavioural keys Kea moves to the global
// scope (qualifying-suffix and the like; see ResolveParams) are ignored
// here. Syntax-level checks (unknown keys, value kinds the grammar
// rejects) belong to the configuration file parser.
//
// Note: like "kea-dhcp4 -t", ParseConfig accepts max-queue-size 0; it is
// NewSender that refuses it when updates are enabled.
func ParseConfig(raw *kjson.Element) (Config, error) {
	if raw == nil {
		return DefaultConfig(), nil
	}
	if raw.Kind != kjson.Map {
		return Config{}, cfgErr("moveDdnsParams dhcp-ddns is not a map")
	}
	s := scope{raw}
	var c Config
	e, err := s.value("enable-updates", kjson.Bool)
	if err != nil {
		return Config{}, err
	}
	c.EnableUpdates = e.B

	if e, err = s.value("server-ip", kjson.String); err != nil {
		return Config{}, err
	}
	var ok bool
	if c.ServerIP, ok = parseIP(e.S); !ok {
		return Config{}, cfgErr("Failed to convert '%s' to address: Failed to convert string to address '%s': Invalid argument(%s)", e.S, e.S, s.pos("server-ip"))
	}
	if c.ServerPort, err = s.uint32("server-port"); err != nil {
		return Config{}, err
	}
	senderIP, err := s.value("sender-ip", kjson.String)
	if err != nil {
		return Config{}, err
	}
	if c.SenderPort, err = s.uint32("sender-port"); err != nil {
		return Config{}, err
	}
	if c.MaxQueueSize, err = s.uint32("max-queue-size"); err != nil {
		return Config{}, err
	}
	if e, err = s.value("ncr-protocol", kjson.String); err != nil {
		return Config{}, err
	}
	switch strings.ToUpper(e.S) {
	case "UDP", "TCP":
		c.NCRProtocol = strings.ToUpper(e.S)
	default:
		return Config{}, cfgErr("invalid NameChangeRequest protocol (%s) specified for parameter 'ncr-protocol' (%s)", e.S, s.pos("ncr-protocol"))
	}
	if e, err = s.value("ncr-format", kjson.String); err != nil {
		return Config{}, err
	}
	if !strings.EqualFold(e.S, "JSON") {
		return Config{}, cfgErr("invalid NameChangeRequest format (%s) specified for parameter 'ncr-format' (%s)", e.S, s.pos("ncr-format"))
	}
	c.NCRFormat = "JSON"

	if senderIP.S == "" {
		if c.ServerIP.Is4() {
			c.SenderIP = netip.IPv4Unspecified()
		} else {
			c.SenderIP = netip.IPv6Unspecified()
		}
	} else if c.SenderIP, ok = parseIP(senderIP.S); !ok {
		return Config{}, cfgErr("invalid address (%s) specified for parameter 'sender-ip' (%s)", senderIP.S, s.pos("sender-ip"))
	}

	if c.NCRProtocol != "UDP" {
		return Config{}, cfgErr("D2ClientConfig error: NCR Protocol: %s is not supported. (%s)", c.NCRProtocol, s.pos("ncr-protocol"))
	}
	if c.SenderIP.Is4() != c.ServerIP.Is4() {
		return Config{}, cfgErr("D2ClientConfig error: address family mismatch: server-ip: %s is: %s while sender-ip: %s is: %s (%s)",
			c.ServerIP, family(c.ServerIP), c.SenderIP, family(c.SenderIP), s.pos("sender-ip"))
	}
	if c.ServerIP == c.SenderIP && c.ServerPort == c.SenderPort {
		return Config{}, cfgErr("D2ClientConfig error: server and sender cannot share the exact same IP address/port: %s/%d (%s)",
			c.ServerIP, c.ServerPort, s.pos("sender-ip"))
	}
	if uc := raw.Get("user-context"); uc != nil {
		c.UserContext = uc.Copy()
	}
	return c, nil
}

// ToElement returns the configuration as Kea's config-get shows it
// (D2ClientConfig::toElement).
func (c Config) ToElement() *kjson.Element {
	m := kjson.NewMap()
	if c.UserContext != nil {
		m.Set("user-context", c.UserContext.Copy())
	}
	m.Set("enable-updates", kjson.NewBool(c.EnableUpdates))
	m.Set("server-ip", kjson.NewString(c.ServerIP.String()))
	m.Set("server-port", kjson.NewInt(int64(c.ServerPort)))
	m.Set("sender-ip", kjson.NewString(c.SenderIP.String()))
	m.Set("sender-port", kjson.NewInt(int64(c.SenderPort)))
	m.Set("max-queue-size", kjson.NewInt(int64(c.MaxQueueSize)))
	m.Set("ncr-protocol", kjson.NewString(c.NCRProtocol))
	m.Set("ncr-format", kjson.NewString(c.NCRFormat))
	return m
}

// String is Kea's D2ClientConfig::toText, as its log messages show it.
func (c Config) String() string {
	if !c.EnableUpdates {
		return "enable_updates: no"
	}
	return "enable_updates: yes, server-ip: " + c.ServerIP.String() +
		", server-port: " + strconv.FormatUint(uint64(c.ServerPort), 10) +
		", sender-ip: " + c.SenderIP.String() +
		", sender-port: " + strconv.FormatUint(uint64(c.SenderPort), 10) +
		", max-queue-size: " + strconv.FormatUint(uint64(c.MaxQueueSize), 10) +
		", ncr-protocol: " + c.NCRProtocol + ", ncr-format: " + c.NCRFormat
}

// Params are the ddns-* behavioural parameters in force for a subnet.
// Of these, Kea 2.2's lease commands use only UseConflictResolution (and
// use true when the lease's subnet is not configured); the others are
// resolved for whoever needs them.
type Params struct {
	SendUpdates             bool
	OverrideNoUpdate        bool
	OverrideClientUpdate    bool
	ReplaceClientName       string
	GeneratedPrefix         string
	QualifyingSuffix        string
	HostnameCharSet         string
	HostnameCharReplacement string
	UpdateOnRenew           bool
	UseConflictResolution   bool
}

// DefaultParams are Kea's global defaults.
func DefaultParams() Params {
	return Params{
		SendUpdates:           true,
		ReplaceClientName:     "never",
		GeneratedPrefix:       "myhost",
		HostnameCharSet:       "[^A-Za-z0-9.-]",
		UseConflictResolution: true,
	}
}

// legacyNames maps the behavioural keys Kea still accepts inside the
// dhcp-ddns map to the global names they stand for; a global value wins.
var legacyNames = map[string]string{
	"override-no-update":        "ddns-override-no-update",
	"override-client-update":    "ddns-override-client-update",
	"replace-client-name":       "ddns-replace-client-name",
	"generated-prefix":          "ddns-generated-prefix",
	"qualifying-suffix":         "ddns-qualifying-suffix",
	"hostname-char-set":         "hostname-char-set",
	"hostname-char-replacement": "hostname-char-replacement",
}

// ResolveParams resolves the parameters for one subnet with Kea's
// inheritance: the subnet's own value, else its shared network's, else
// the global one (the Dhcp4/Dhcp6 map, whose "dhcp-ddns" map may still hold
// the deprecated un-prefixed names), else Kea's default. Any of the maps
// may be nil; values of the wrong kind are passed over (the configuration
// parser has rejected them already).
func ResolveParams(subnet, network, global *kjson.Element) Params {
	var legacy *kjson.Element
	if d := global.Get("dhcp-ddns"); d != nil && d.Kind == kjson.Map {
		legacy = kjson.NewMap()
		for old, name := range legacyNames {
			if v := d.Get(old); v != nil {
				legacy.Set(name, v)
			}
		}
	}
	scopes := []*kjson.Element{subnet, network, global, legacy}
	find := func(name string, kind kjson.Kind) *kjson.Element {
		for _, s := range scopes {
			if v := s.Get(name); v != nil && v.Kind == kind {
				return v
			}
		}
		return nil
	}
	p := DefaultParams()
	bools := []struct {
		name string
		dst  *bool
	}{
		{"ddns-send-updates", &p.SendUpdates},
		{"ddns-override-no-update", &p.OverrideNoUpdate},
		{"ddns-override-client-update", &p.OverrideClientUpdate},
		{"ddns-update-on-renew", &p.UpdateOnRenew},
		{"ddns-use-conflict-resolution", &p.UseConflictResolution},
	}
	for _, b := range bools {
		if v := find(b.name, kjson.Bool); v != nil {
			*b.dst = v.B
		}
	}
	strs := []struct {
		name string
		dst  *string
	}{
		{"ddns-replace-client-name", &p.ReplaceClientName},
		{"ddns-generated-prefix", &p.GeneratedPrefix},
		{"ddns-qualifying-suffix", &p.QualifyingSuffix},
		{"hostname-char-set", &p.HostnameCharSet},
		{"hostname-char-replacement", &p.HostnameCharReplacement},
	}
	for _, s := range strs {
		if v := find(s.name, kjson.String); v != nil {
			*s.dst = v.S
		}
	}
	return p
}
