package config

import (
	"strconv"
	"strings"

	"github.com/lessor-dhcp/lessor/internal/kjson"
)

// Top-level sections of a lessor configuration file. Dhcp4 and Dhcp6 are
// checked key by key; the others are kept as given.
const (
	sectionDhcp4        = "Dhcp4"
	sectionDhcp6        = "Dhcp6"
	sectionControlAgent = "Control-agent"
	sectionDhcpDdns     = "DhcpDdns"
	sectionLogging      = "Logging"
)

// parser reads the token stream of a configuration file into elements,
// checking each map of the Dhcp4 and Dhcp6 sections against the keys Kea
// accepts there, with the texts of Kea's parser.
type parser struct {
	lx       *lexer
	tok      token
	sch      *schema
	warnings []string
	depth    int
}

// maxDepth bounds the nesting of maps and lists.
const maxDepth = 10000

// enter notes one more level of nesting at the current token.
func (p *parser) enter() error {
	p.depth++
	if p.depth > maxDepth {
		return p.errAt(p.tok.loc, "nesting too deep (more than "+strconv.Itoa(maxDepth)+" levels)")
	}
	return nil
}

func (p *parser) advance() error {
	t, err := p.lx.next()
	if err != nil {
		return err
	}
	p.tok = t
	return nil
}

// displayName is a token name as Kea's parser prints it: without its
// quotes unless it holds a comma, quote or backslash.
func displayName(n string) string {
	if strings.ContainsAny(n, `,'\`) {
		return `"` + n + `"`
	}
	return n
}

// unexpected is a syntax error at t, listing up to four expected tokens
// as Kea's parser does (none when there are more).
func (p *parser) unexpected(t token, m *mapSchema, expected []string) error {
	name := t.kind.display()
	if t.kind == tString && m != nil {
		if _, ok := m.Keys[t.s]; ok {
			name = displayName(t.s)
		}
	}
	msg := t.loc.String() + ": syntax error, unexpected " + name
	if len(expected) > 0 && len(expected) <= 4 {
		names := make([]string, len(expected))
		for i, e := range expected {
			names[i] = displayName(e)
		}
		msg += ", expecting " + strings.Join(names, " or ")
	}
	return &Error{Msg: msg}
}

func (p *parser) warnComma(t token) {
	p.warnings = append(p.warnings, t.loc.String()+": Extraneous comma. A piece of configuration may have been omitted.")
}

func (p *parser) errAt(l loc, msg string) error { return &Error{Msg: l.String() + ": " + msg} }

// Each parsing method starts with p.tok on the first token of what it
// reads and returns with p.tok on its last token.

// parseTop reads the whole file: one map of sections.
func (p *parser) parseTop() (*kjson.Element, error) {
	if err := p.advance(); err != nil {
		return nil, err
	}
	open := p.tok
	if open.kind != tLCurly {
		return nil, p.unexpected(open, nil, []string{"{"})
	}
	top := &kjson.Element{Kind: kjson.Map, Pos: open.loc.pos(), M: map[string]*kjson.Element{}}
	expectKey := []string{sectionDhcp4, sectionDhcp6}
	closing, err := p.entries(nil, tRCurly, false, expectKey, isKey, func(key token) error {
		return p.topEntry(top, key)
	})
	if err != nil {
		return nil, err
	}
	if err := p.advance(); err != nil {
		return nil, err
	}
	if p.tok.kind != tEOF {
		return nil, p.unexpected(p.tok, nil, []string{"end of file"})
	}
	if top.Get(sectionDhcp4) == nil && top.Get(sectionDhcp6) == nil {
		return nil, &Error{Msg: "missing parameter 'Dhcp4' or 'Dhcp6' (" + top.Pos.String() +
			") [toplevel map between " + open.loc.pos().String() + " and " + closing.loc.pos().String() + "]"}
	}
	return top, nil
}

// entries reads the entries of a map (keys) or a list (values) after the
// opening bracket: each is handed to entry with p.tok on its first token.
// It returns the closing token. expectFirst names the tokens an entry may
// start with and starts tells whether a token may start one, for error
// texts: like Kea's parser, a container that may be empty reports only
// its closing bracket as expected, one that may not reports the entry's
// first tokens at its start and "," or the closing bracket later.
func (p *parser) entries(m *mapSchema, closing tokKind, mayBeEmpty bool, expectFirst []string, starts func(token) bool, entry func(first token) error) (token, error) {
	return p.entriesIn(m, m, closing, mayBeEmpty, expectFirst, starts, entry)
}

// entriesIn is entries where the keywords of ctx name unexpected strings
// (the lexer's context, which for a list is not the list's own map).
func (p *parser) entriesIn(m, ctx *mapSchema, closing tokKind, mayBeEmpty bool, expectFirst []string, starts func(token) bool, entry func(first token) error) (token, error) {
	if err := p.enter(); err != nil {
		return token{}, err
	}
	defer func() { p.depth-- }()
	later := []string{",", closing.display()}
	if mayBeEmpty {
		expectFirst = []string{closing.display()}
		later = expectFirst
	}
	if err := p.advance(); err != nil {
		return token{}, err
	}
	if p.tok.kind == closing {
		if mayBeEmpty {
			return p.tok, nil
		}
		return token{}, p.unexpected(p.tok, ctx, expectFirst)
	}
	if !starts(p.tok) {
		return token{}, p.unexpected(p.tok, ctx, expectFirst)
	}
	for {
		if err := entry(p.tok); err != nil {
			return token{}, err
		}
		if err := p.advance(); err != nil {
			return token{}, err
		}
		if p.tok.kind == closing {
			return p.tok, nil
		}
		if m != nil && m.Single {
			return token{}, p.unexpected(p.tok, ctx, []string{closing.display()})
		}
		if p.tok.kind != tComma {
			return token{}, p.unexpected(p.tok, ctx, later)
		}
		comma := p.tok
		if err := p.advance(); err != nil {
			return token{}, err
		}
		for p.tok.kind == tComma {
			p.warnComma(comma)
			comma = p.tok
			if err := p.advance(); err != nil {
				return token{}, err
			}
		}
		if p.tok.kind == closing {
			p.warnComma(comma)
			return p.tok, nil
		}
		if !starts(p.tok) {
			return token{}, p.unexpected(p.tok, ctx, later)
		}
	}
}

func isKey(t token) bool { return t.kind == tString }

func startsValue(t token) bool {
	switch t.kind {
	case tInt, tFloat, tBool, tNull, tString, tLCurly, tLSquare:
		return true
	}
	return false
}

// startsShape tells whether a token may start a value of the shape.
func startsShape(sh *shape) func(token) bool {
	return func(t token) bool {
		for _, ty := range sh.Types {
			switch ty {
			case "any":
				return startsValue(t)
			case "integer":
				if t.kind == tInt {
					return true
				}
			case "real":
				if t.kind == tFloat {
					return true
				}
			case "boolean":
				if t.kind == tBool {
					return true
				}
			case "null":
				if t.kind == tNull {
					return true
				}
			case "string", "kw":
				if t.kind == tString {
					return true
				}
			case "map", "anymap":
				if t.kind == tLCurly {
					return true
				}
			case "list", "anylist":
				if t.kind == tLSquare {
					return true
				}
			}
		}
		return false
	}
}

func (p *parser) topEntry(top *kjson.Element, key token) error {
	var sch *schema
	switch key.s {
	case sectionDhcp4:
		sch = schema4
	case sectionDhcp6:
		sch = schema6
	case sectionControlAgent, sectionDhcpDdns, sectionLogging:
	default:
		return p.errAt(key.loc, `got unexpected keyword "`+key.s+`" in toplevel map.`)
	}
	if old := top.Get(key.s); old != nil {
		return &Error{Msg: key.loc.pos().String() + ": duplicate " + key.s + " entries in toplevel map (previous at " + old.Pos.String() + ")"}
	}
	if err := p.expectColon(nil); err != nil {
		return err
	}
	if sch == nil {
		v, err := p.value()
		if err != nil {
			return err
		}
		top.Set(key.s, v)
		return nil
	}
	p.sch = sch
	if p.tok.kind != tLCurly {
		return p.unexpected(p.tok, nil, []string{"{"})
	}
	m := &kjson.Element{Kind: kjson.Map, Pos: key.loc.pos(), M: map[string]*kjson.Element{}}
	top.Set(key.s, m)
	return p.schemaMap(p.sch.top, m)
}

// expectColon reads the ":" after a key and moves to the token after it.
func (p *parser) expectColon(m *mapSchema) error {
	if err := p.advance(); err != nil {
		return err
	}
	if p.tok.kind != tColon {
		return p.unexpected(p.tok, m, []string{":"})
	}
	return p.advance()
}

// value reads any JSON value (Kea's generic JSON, where keys are free).
func (p *parser) value() (*kjson.Element, error) {
	t := p.tok
	pos := t.loc.pos()
	switch t.kind {
	case tInt:
		return &kjson.Element{Kind: kjson.Int, Pos: pos, I: t.i}, nil
	case tFloat:
		return &kjson.Element{Kind: kjson.Real, Pos: pos, F: t.f}, nil
	case tBool:
		return &kjson.Element{Kind: kjson.Bool, Pos: pos, B: t.b}, nil
	case tString:
		return &kjson.Element{Kind: kjson.String, Pos: pos, S: t.s}, nil
	case tNull:
		return &kjson.Element{Kind: kjson.Null, Pos: pos}, nil
	case tLCurly:
		return p.genericMap()
	case tLSquare:
		return p.genericList()
	}
	return nil, p.unexpected(t, nil, nil)
}

func (p *parser) genericMap() (*kjson.Element, error) {
	m := &kjson.Element{Kind: kjson.Map, Pos: p.tok.loc.pos(), M: map[string]*kjson.Element{}}
	_, err := p.entries(nil, tRCurly, true, nil, isKey, func(key token) error {
		if err := p.expectColon(nil); err != nil {
			return err
		}
		v, err := p.value()
		if err != nil {
			return err
		}
		if old := m.M[key.s]; old != nil {
			return &Error{Msg: key.loc.pos().String() + ": duplicate " + key.s + " entries in JSON map (previous at " + old.Pos.String() + ")"}
		}
		m.M[key.s] = v
		return nil
	})
	return m, err
}

func (p *parser) genericList() (*kjson.Element, error) {
	l := &kjson.Element{Kind: kjson.List, Pos: p.tok.loc.pos()}
	_, err := p.entries(nil, tRSquare, true, nil, startsValue, func(token) error {
		v, err := p.value()
		if err != nil {
			return err
		}
		l.L = append(l.L, v)
		return nil
	})
	return l, err
}

// schemaMap reads a map whose keys the schema m knows; p.tok is its "{".
func (p *parser) schemaMap(m *mapSchema, into *kjson.Element) error {
	open := p.tok
	starts := isKey
	first := true
	switch m.Unknown {
	case "syntax":
		starts = func(t token) bool { return t.kind == tString && m.Keys[t.s] != nil }
	case "error-first":
		starts = func(t token) bool { return t.kind == tString && (first || m.Keys[t.s] != nil) }
	}
	closing, err := p.entries(m, tRCurly, m.Empty, p.sch.keyTokens(m), starts, func(key token) error {
		first = false
		return p.schemaEntry(m, into, key)
	})
	if err != nil {
		return err
	}
	for _, r := range m.Required {
		if into.Get(r) == nil {
			return &Error{Msg: "missing parameter '" + r + "' (" + into.Pos.String() + ") [" + m.Name +
				" map between " + open.loc.pos().String() + " and " + closing.loc.pos().String() + "]"}
		}
	}
	return nil
}

func (p *parser) duplicate(m *mapSchema, into *kjson.Element, key token) error {
	if old := into.M[key.s]; old != nil {
		return &Error{Msg: key.loc.pos().String() + ": duplicate " + key.s + " entries in " + m.Name +
			" map (previous at " + old.Pos.String() + ")"}
	}
	return nil
}

func (p *parser) schemaEntry(m *mapSchema, into *kjson.Element, key token) error {
	sh := m.Keys[key.s]
	if sh == nil {
		switch m.Unknown {
		case "error", "error-first":
			return p.errAt(key.loc, `got unexpected keyword "`+key.s+`" in `+m.Name+` map.`)
		case "any":
			if err := p.duplicate(m, into, key); err != nil {
				return err
			}
			if err := p.expectColon(nil); err != nil {
				return err
			}
			v, err := p.value()
			if err != nil {
				return err
			}
			into.M[key.s] = v
			return nil
		}
		return p.unexpected(key, m, p.sch.keyTokens(m))
	}
	switch key.s {
	case "user-context":
		return p.userContext(m, into, key)
	case "comment":
		return p.comment(m, into, key)
	}
	if sh.has("map") || sh.has("list") {
		if err := p.duplicate(m, into, key); err != nil {
			return err
		}
	}
	if err := p.expectColon(m); err != nil {
		return err
	}
	v, err := p.shaped(m, sh, key)
	if err != nil {
		return err
	}
	if err := p.duplicate(m, into, key); err != nil {
		return err
	}
	if err := p.check(key, v); err != nil {
		return err
	}
	into.M[key.s] = v
	return nil
}

// check applies the value checks Kea's parser makes on some keys.
func (p *parser) check(key token, v *kjson.Element) error {
	switch key.s {
	case "lease-checks":
		switch v.S {
		case "none", "warn", "fix", "fix-del", "del":
			return nil
		}
		return p.errAt(p.tok.loc, "Unsupported 'lease-checks value: "+v.S+", supported values are: none, warn, fix, fix-del, del")
	}
	return nil
}

// shaped reads a value of the given shape; key is the key it belongs to
// (maps and lists of keyed entries take its position, as in Kea).
func (p *parser) shaped(m *mapSchema, sh *shape, key token) (*kjson.Element, error) {
	t := p.tok
	pos := t.loc.pos()
	switch t.kind {
	case tInt:
		if sh.has("integer") {
			return &kjson.Element{Kind: kjson.Int, Pos: pos, I: t.i}, nil
		}
	case tFloat:
		if sh.has("real") {
			return &kjson.Element{Kind: kjson.Real, Pos: pos, F: t.f}, nil
		}
	case tBool:
		if sh.has("boolean") {
			if key.s == "ddns-replace-client-name" {
				return nil, p.errAt(t.loc, "boolean values for the replace-client-name are no longer supported")
			}
			return &kjson.Element{Kind: kjson.Bool, Pos: pos, B: t.b}, nil
		}
	case tNull:
		if sh.has("null") {
			return &kjson.Element{Kind: kjson.Null, Pos: pos}, nil
		}
	case tString:
		if sh.has("kw") {
			if v, ok := matchKeyword(key.s, sh, t.s); ok {
				return &kjson.Element{Kind: kjson.String, Pos: pos, S: v}, nil
			}
		}
		if sh.has("string") {
			return &kjson.Element{Kind: kjson.String, Pos: pos, S: t.s}, nil
		}
	case tLCurly:
		switch {
		case sh.has("anymap"):
			return p.genericMap()
		case sh.has("map"):
			e := &kjson.Element{Kind: kjson.Map, Pos: key.loc.pos(), M: map[string]*kjson.Element{}}
			return e, p.schemaMap(sh.m, e)
		}
	case tLSquare:
		switch {
		case sh.has("anylist"):
			return p.genericList()
		case sh.has("list"):
			return p.schemaList(m, sh, key)
		}
	}
	if sh.has("any") {
		return p.value()
	}
	if t.kind == tString && sh.hasKeyword(t.s) {
		return nil, p.unexpected(t, nil, p.sch.expecting(sh))
	}
	if sh.has("kw") {
		m = nil // the value's own context, where only its words are keywords
	}
	return nil, p.unexpected(t, m, p.sch.expecting(sh))
}

// schemaList reads a list of a keyword rule; p.tok is its "[".
func (p *parser) schemaList(m *mapSchema, sh *shape, key token) (*kjson.Element, error) {
	l := &kjson.Element{Kind: kjson.List, Pos: key.loc.pos()}
	elem := sh.Elem
	first := p.sch.expecting(elem)
	if sh.Empty {
		first = append(first, "]")
		p.sch.sortTokens(first)
	}
	// The lexer's context in a list of maps is the maps'; lists of
	// scalars are read without keywords.
	ctx := elem.m
	_, err := p.entriesIn(nil, ctx, tRSquare, sh.Empty, first, startsShape(elem), func(t token) error {
		var v *kjson.Element
		var err error
		if elem.has("map") && t.kind == tLCurly {
			v = &kjson.Element{Kind: kjson.Map, Pos: t.loc.pos(), M: map[string]*kjson.Element{}}
			err = p.schemaMap(elem.m, v)
		} else {
			v, err = p.shaped(elem.m, elem, t)
		}
		if err != nil {
			return err
		}
		l.L = append(l.L, v)
		return nil
	})
	return l, err
}

// userContext reads "user-context", merging a "comment" given before it.
func (p *parser) userContext(m *mapSchema, into *kjson.Element, key token) error {
	if err := p.expectColon(nil); err != nil {
		return err
	}
	if p.tok.kind != tLCurly {
		return p.unexpected(p.tok, nil, []string{"{"})
	}
	v, err := p.genericMap()
	if err != nil {
		return err
	}
	if old := into.M["user-context"]; old != nil {
		if old.Size() != 1 || !old.Contains("comment") {
			return p.errAt(key.loc, "duplicate user-context entries (previous at "+old.Pos.String()+")")
		}
		v.M["comment"] = old.M["comment"]
	}
	into.M["user-context"] = v
	return nil
}

// comment reads "comment", which Kea keeps as user-context's "comment".
func (p *parser) comment(m *mapSchema, into *kjson.Element, key token) error {
	if err := p.expectColon(nil); err != nil {
		return err
	}
	if p.tok.kind != tString {
		return p.unexpected(p.tok, nil, []string{"constant string"})
	}
	uc := &kjson.Element{Kind: kjson.Map, Pos: key.loc.pos(), M: map[string]*kjson.Element{}}
	uc.M["comment"] = &kjson.Element{Kind: kjson.String, Pos: p.tok.loc.pos(), S: p.tok.s}
	if old := into.M["user-context"]; old != nil {
		if old.Contains("comment") {
			return p.errAt(key.loc, "duplicate user-context/comment entries (previous at "+old.Pos.String()+")")
		}
		for k, v := range old.M {
			uc.M[k] = v
		}
	}
	into.M["user-context"] = uc
	return nil
}

// matchKeyword reports whether s is one of the keyword values a shape
// takes and returns the value Kea stores for it. Kea's lexer takes the
// dhcp-ddns words in any case, and "true"/"false" for
// ddns-replace-client-name as "when-present"/"never".
func matchKeyword(key string, sh *shape, s string) (string, bool) {
	switch key {
	case "ncr-protocol", "ncr-format":
		for _, k := range sh.Keywords {
			if strings.EqualFold(k, s) {
				return strings.ToUpper(k), true
			}
		}
		return "", false
	case "ddns-replace-client-name":
		switch strings.ToLower(s) {
		case "true":
			return "when-present", true
		case "false":
			return "never", true
		}
		for _, k := range sh.Keywords {
			if strings.EqualFold(k, s) {
				return k, true
			}
		}
		return "", false
	}
	if sh.hasKeyword(s) {
		return s, true
	}
	return "", false
}
