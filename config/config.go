// Package config reads lessor's configuration: Kea 2.2's configuration
// file format (JSON with "#", "//" and "/* */" comments and
// `<?include "file"?>` directives) with its Dhcp4 and Dhcp6 sections. Every
// key Kea 2.2 accepts is accepted (and kept in the raw elements); unknown
// keys, wrong types and the cross-checks Kea makes (subnet prefixes, pools,
// subnet ids, lifetime bounds) are refused with Kea's error texts.
//
// A file may hold Dhcp4 and Dhcp6 together (lessor serves both from one
// process), plus Control-agent, DhcpDdns and Logging sections, which are
// kept as given.
package config

import (
	"errors"
	"net/netip"
	"os"
	"sync"

	"github.com/lessor-dhcp/lessor/internal/kjson"
	"github.com/lessor-dhcp/lessor/store"
)

// File is a loaded configuration.
type File struct {
	Dhcp4        *Server        // nil when absent
	Dhcp6        *Server        // nil when absent
	ControlAgent *kjson.Element // raw "Control-agent" map, or nil
	Raw          *kjson.Element // the whole file as parsed (top-level map)
	Path         string
	// Warnings are Kea's syntax warnings (extra commas), "file:line.col: text".
	Warnings []string
}

// Server is one Dhcp4 or Dhcp6 section.
type Server struct {
	Family int            // 4 or 6
	Raw    *kjson.Element // this section's map as given

	// Subnets holds all subnets, those of shared networks included, in
	// configuration order (subnets of shared networks first, as Kea
	// builds them).
	Subnets        []*Subnet
	SharedNetworks []*SharedNetwork

	// Global lifetimes, with Kea's defaults (valid 7200, preferred 3600).
	ValidLifetime, PreferredLifetime Triplet

	LeaseDatabase store.Config // Family set; Type defaulted to "memfile"
	ControlSocket *ControlSocket
	Hooks         []Hook
	Loggers       []Logger
	DhcpDDNS      *kjson.Element // raw "dhcp-ddns" map or nil
	DataDirectory string         // "data-directory" (Dhcp6), "" when unset

	// Params holds the global scalar parameters (ddns-*, timers, ...),
	// with Kea's global defaults filled in where they are not given.
	Params map[string]*kjson.Element

	byID    map[uint32]*Subnet
	idOrder []*Subnet // subnets by ascending id, for SelectSubnet

	// Globals changed at run time (SetConfiguredGlobal).
	overrideMu sync.Mutex
	overrides  map[string]*kjson.Element
}

// Triplet is a lifetime with its bounds, as Kea's Triplet: when only some
// of default, min and max are given, the others take their values.
type Triplet struct {
	Default, Min, Max   uint32
	Set, MinSet, MaxSet bool
}

// Unspecified reports whether no value was given at all.
func (t Triplet) Unspecified() bool { return !t.Set && !t.MinSet && !t.MaxSet }

// Subnet is one subnet4 or subnet6 entry.
type Subnet struct {
	ID      uint32
	Prefix  netip.Prefix // as written (the address may have host bits)
	Pools   []Pool
	PDPools []PDPool

	// Lifetimes resolved with inheritance: subnet, then shared network,
	// then global.
	ValidLifetime, PreferredLifetime Triplet

	SharedNetwork string // name of its shared network, "" if none
	UserContext   *kjson.Element
	// Params holds the subnet's raw entries (after inheritance of the
	// shared network entries Kea copies into subnets).
	Params map[string]*kjson.Element
	Raw    *kjson.Element

	masked          netip.Prefix
	classRestricted bool // the subnet or its network names a client-class
}

// SharedNetwork is one shared-networks entry.
type SharedNetwork struct {
	Name    string
	Subnets []*Subnet
	Params  map[string]*kjson.Element
	Raw     *kjson.Element
}

// Pool is an address range (inclusive).
type Pool struct{ First, Last netip.Addr }

// PDPool is a pool of delegated prefixes: Prefix is the pool's prefix,
// DelegatedLen the length of each delegated prefix.
type PDPool struct {
	Prefix         netip.Prefix
	DelegatedLen   int
	ExcludedPrefix netip.Prefix // zero (not IsValid) when absent
}

// ControlSocket is the "control-socket" map.
type ControlSocket struct{ Type, Name string }

// Hook is one hooks-libraries entry.
type Hook struct {
	Library    string
	Parameters *kjson.Element
}

// Logger is one loggers entry.
type Logger struct {
	Name, Severity string
	DebugLevel     int
	Outputs        []LoggerOutput
}

// LoggerOutput is one output_options (or output-options) entry.
type LoggerOutput struct {
	Output  string // file path, or stdout, stderr, syslog, syslog:name
	Flush   bool
	MaxSize int64
	MaxVer  int
	Pattern string
}

// Load reads a configuration file (comments, includes), validates it and
// returns it. Included files are opened with the path written in the
// directive, as Kea does (a relative path is relative to the working
// directory).
func Load(path string) (*File, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, &openError{path: path, err: err}
	}
	return parse(data, path, os.ReadFile)
}

// openError is Kea's text for a configuration file it cannot open; the
// system's error is kept for errors.Is.
type openError struct {
	path string
	err  error
}

func (e *openError) Error() string { return "Unable to open file " + e.path }
func (e *openError) Unwrap() error { return e.err }

// Parse reads a configuration from data; name is used in positions.
func Parse(data []byte, name string) (*File, error) {
	return parse(data, name, os.ReadFile)
}

// ParseWith is Parse with a chosen reader for included files.
func ParseWith(data []byte, name string, readFile ReadFileFunc) (*File, error) {
	return parse(data, name, readFile)
}

func parse(data []byte, name string, rf ReadFileFunc) (*File, error) {
	p := &parser{lx: newLexer(data, name, rf)}
	top, err := p.parseTop()
	if err != nil {
		return nil, err
	}
	f, err := build(top)
	if err != nil {
		return nil, err
	}
	f.Path = name
	f.Warnings = p.warnings
	return f, nil
}

// FromElement builds a configuration from an already parsed top-level map
// (the argument of config-set and config-test: {"Dhcp4": {...}}). The
// elements are checked against the keys and types Kea accepts, with the
// texts Kea's configuration parsers give.
func FromElement(top *kjson.Element) (*File, error) {
	if top == nil || top.Kind != kjson.Map {
		return nil, errors.New("Can't parse NULL config")
	}
	if top.Get(sectionDhcp4) == nil && top.Get(sectionDhcp6) == nil {
		return nil, &Error{Msg: "Missing mandatory 'Dhcp4' or 'Dhcp6' parameter."}
	}
	for _, k := range top.Keys() {
		var sch *schema
		switch k {
		case sectionDhcp4:
			sch = schema4
		case sectionDhcp6:
			sch = schema6
		case sectionControlAgent, sectionDhcpDdns, sectionLogging:
			continue
		default:
			return nil, &Error{Msg: "unsupported top-level parameter: " + k + " (" + top.M[k].Pos.String() + ")"}
		}
		sec := top.M[k]
		if sec.Kind != kjson.Map {
			return nil, &Error{Msg: "'" + k + "' parameter expected to be a map."}
		}
		if err := checkSection(sch.top, sec); err != nil {
			return nil, err
		}
	}
	return build(top)
}

func build(top *kjson.Element) (*File, error) {
	f := &File{Raw: top, ControlAgent: top.Get(sectionControlAgent)}
	for _, fam := range []int{4, 6} {
		name := sectionDhcp4
		if fam == 6 {
			name = sectionDhcp6
		}
		sec := top.Get(name)
		if sec == nil {
			continue
		}
		s, err := buildServer(fam, sec)
		if err != nil {
			return nil, err
		}
		// The obsolete top-level Logging section applies to servers
		// that have no loggers of their own.
		if lg := top.Get(sectionLogging).Get("loggers"); lg != nil && lg.Kind == kjson.List && s.Loggers == nil {
			s.Loggers = parseLoggers(lg)
		}
		if fam == 4 {
			f.Dhcp4 = s
		} else {
			f.Dhcp6 = s
		}
	}
	return f, nil
}
