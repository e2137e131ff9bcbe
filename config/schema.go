package config

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"sort"
)

// The key schemas of the Dhcp4 and Dhcp6 sections: which keys each map
// takes and the shape of their values, as Kea 2.2's configuration parser
// accepts them. They are derived from Kea's grammar by
// internal/gen/yy2schema.py (see its header for how to run it).
//
//go:generate sh -c "python3 internal/gen/yy2schema.py $KEA_SRC/src/bin/dhcp4/dhcp4_parser.yy $KEA_SRC/src/bin/dhcp4/parser_context.cc > schema4.json"
//go:generate sh -c "python3 internal/gen/yy2schema.py $KEA_SRC/src/bin/dhcp6/dhcp6_parser.yy $KEA_SRC/src/bin/dhcp6/parser_context.cc > schema6.json"

//go:embed schema4.json
var schema4JSON []byte

//go:embed schema6.json
var schema6JSON []byte

// shape is what a value may be.
type shape struct {
	Types    []string `json:"t"`     // integer, real, boolean, string, null, kw, any, anymap, anylist, map, list
	Keywords []string `json:"kw"`    // accepted keyword strings (for "kw")
	MapID    string   `json:"map"`   // schema of a "map" value
	Elem     *shape   `json:"elem"`  // element shape of a "list" value
	Empty    bool     `json:"empty"` // a "list" may be empty

	m *mapSchema
}

func (s *shape) has(t string) bool {
	for _, x := range s.Types {
		if x == t {
			return true
		}
	}
	return false
}

func (s *shape) hasKeyword(w string) bool {
	for _, x := range s.Keywords {
		if x == w {
			return true
		}
	}
	return false
}

// mapSchema is one map of the grammar.
type mapSchema struct {
	Name     string            `json:"name"`     // context name in error texts
	Keys     map[string]*shape `json:"keys"`     // known keys
	Empty    bool              `json:"empty"`    // may be {}
	Unknown  string            `json:"unknown"`  // unknown keys: "error" (unexpected keyword), "any" (kept), "syntax"
	Required []string          `json:"required"` // keys that must be present
	Single   bool              `json:"single"`   // holds exactly one entry

	keyTokens []string // Keys as token names, in Kea's order
}

type schema struct {
	Tokens  []string              `json:"tokens"`
	Top     string                `json:"top"`
	Section string                `json:"section"`
	Maps    map[string]*mapSchema `json:"maps"`

	top   *mapSchema
	order map[string]int // token name -> declaration order
}

func loadSchema(data []byte) *schema {
	var s schema
	if err := json.Unmarshal(data, &s); err != nil {
		panic(fmt.Sprintf("config: bad embedded schema: %v", err))
	}
	s.order = map[string]int{}
	for i, t := range s.Tokens {
		if _, dup := s.order[t]; !dup {
			s.order[t] = i
		}
	}
	var link func(sh *shape)
	link = func(sh *shape) {
		if sh == nil {
			return
		}
		if sh.MapID != "" {
			sh.m = s.Maps[sh.MapID]
			if sh.m == nil {
				panic("config: schema names an unknown map " + sh.MapID)
			}
		}
		link(sh.Elem)
	}
	for _, m := range s.Maps {
		for _, sh := range m.Keys {
			link(sh)
		}
	}
	for _, m := range s.Maps {
		m.keyTokens = s.computeKeyTokens(m)
	}
	s.top = s.Maps[s.Top]
	// Kea 2.7+ configures control channels as a "control-sockets" list
	// (UNIX and HTTP entries). lessor accepts it in Dhcp4/Dhcp6 too; it is
	// added after the token lists so that Kea 2.2's syntax error texts
	// (their "expecting" lists) stay unchanged.
	if s.top != nil && s.top.Keys["control-sockets"] == nil {
		s.top.Keys["control-sockets"] = &shape{Types: []string{"anylist"}, Empty: true}
	}
	return &s
}

var (
	schema4 = loadSchema(schema4JSON)
	schema6 = loadSchema(schema6JSON)
)

// expecting returns the names of the tokens a shape accepts, in Kea's
// token order.
func (s *schema) expecting(sh *shape) []string {
	var names []string
	for _, t := range sh.Types {
		switch t {
		case "integer", "boolean", "null":
			names = append(names, t)
		case "real":
			names = append(names, "floating point")
		case "string":
			names = append(names, "constant string")
		case "kw":
			names = append(names, sh.Keywords...)
		case "anymap", "map":
			names = append(names, "{")
		case "anylist", "list":
			names = append(names, "[")
		case "any":
			return nil // too many to list
		}
	}
	s.sortTokens(names)
	return names
}

func (s *schema) sortTokens(names []string) {
	sort.SliceStable(names, func(i, j int) bool { return s.order[names[i]] < s.order[names[j]] })
}

// keyTokens returns the keys of a map as token names, in Kea's order.
func (s *schema) keyTokens(m *mapSchema) []string { return m.keyTokens }

func (s *schema) computeKeyTokens(m *mapSchema) []string {
	names := make([]string, 0, len(m.Keys)+1)
	for k := range m.Keys {
		names = append(names, k)
	}
	if m.Unknown != "syntax" {
		names = append(names, "constant string")
	}
	s.sortTokens(names)
	return names
}
