package config

import (
	"github.com/lessor-dhcp/lessor/internal/kjson"
)

// The checks below apply to configurations given as elements (the
// arguments of config-set and config-test), which Kea does not run
// through its file grammar: its configuration parsers check them, each
// in its own way and words. lessor checks what they check, with their
// texts.

// valueCalls are the texts of Kea's element accessors called on an
// element of another type.
var valueCalls = map[string]string{
	"integer": "intValue() called on non-integer Element",
	"real":    "doubleValue() called on non-double Element",
	"boolean": "boolValue() called on non-Bool Element",
	"string":  "stringValue() called on non-string Element",
	"kw":      "stringValue() called on non-string Element",
	"list":    "listValue() called on non-list Element",
	"map":     "mapValue() called on non-map Element",
	"anylist": "listValue() called on non-list Element",
	"anymap":  "mapValue() called on non-map Element",
}

// kindName is Kea's name of an element type, with its article.
func kindName(t string) string {
	switch t {
	case "integer":
		return "an integer"
	case "real":
		return "a real"
	case "boolean":
		return "a boolean"
	case "string", "kw":
		return "a string"
	case "map", "anymap":
		return "a map"
	case "list", "anylist":
		return "a list"
	case "null":
		return "a null"
	}
	return "a " + t
}

// kindFits reports whether an element has a type the shape accepts
// (keyword values are not checked here: Kea's parsers check those they
// use).
func kindFits(sh *shape, e *kjson.Element) bool {
	for _, t := range sh.Types {
		switch t {
		case "any":
			return true
		case "integer":
			if e.Kind == kjson.Int {
				return true
			}
		case "real":
			if e.Kind == kjson.Real {
				return true
			}
		case "boolean":
			if e.Kind == kjson.Bool {
				return true
			}
		case "null":
			if e.Kind == kjson.Null {
				return true
			}
		case "string", "kw":
			if e.Kind == kjson.String {
				return true
			}
		case "map", "anymap":
			if e.Kind == kjson.Map {
				return true
			}
		case "list", "anylist":
			if e.Kind == kjson.List {
				return true
			}
		}
	}
	return false
}

func typeError(sh *shape, e *kjson.Element) error {
	return &Error{Msg: valueCalls[sh.Types[0]] + " in (" + e.Pos.String() + ")"}
}

// keywordChecked lists the maps whose keys Kea's parsers check with
// SimpleParser::checkKeywords ("spurious 'x' parameter").
var keywordChecked = map[string]bool{
	"subnet4": true, "subnet6": true, "shared-networks": true, "pools": true,
	"pd-pools": true, "option-data": true, "option-def": true,
}

// checkSection checks a Dhcp4 or Dhcp6 map given as elements.
func checkSection(m *mapSchema, sec *kjson.Element) error {
	for _, k := range sec.Keys() {
		v := sec.M[k]
		sh := m.Keys[k]
		if sh == nil {
			continue
		}
		if !kindFits(sh, v) {
			return typeError(sh, v)
		}
		if err := checkValue(k, sh, v); err != nil {
			return err
		}
	}
	for _, k := range sec.Keys() {
		if m.Keys[k] == nil {
			return cfgErr("unsupported global configuration parameter: "+k, sec.M[k])
		}
	}
	return nil
}

// checkValue checks the inside of a map or list value of key k.
func checkValue(k string, sh *shape, v *kjson.Element) error {
	switch {
	case v.Kind == kjson.Map && sh.m != nil:
		return checkMap(sh.m, v)
	case v.Kind == kjson.List && sh.Elem != nil:
		for _, it := range v.L {
			if sh.Elem.m != nil && it.Kind != kjson.Map {
				if sh.Elem.m.Name == "hooks-libraries" {
					return cfgErr("hooks library configuration error: one or more entries in the hooks-libraries list is not a map", it)
				}
				return typeError(&shape{Types: []string{"map"}}, it)
			}
			if it.Kind == kjson.Map && sh.Elem.m != nil {
				if err := checkMap(sh.Elem.m, it); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

func checkMap(m *mapSchema, e *kjson.Element) error {
	switch {
	case keywordChecked[m.Name]:
		// SimpleParser::checkKeywords: a type error first, then the
		// first spurious key.
		spurious := ""
		for _, k := range e.Keys() {
			sh := m.Keys[k]
			if sh == nil {
				if spurious == "" {
					spurious = k
				}
				continue
			}
			if !kindFits(sh, e.M[k]) {
				return &Error{Msg: "'" + k + "' parameter is not " + kindName(sh.Types[0])}
			}
		}
		if spurious != "" {
			return &Error{Msg: "spurious '" + spurious + "' parameter"}
		}
	case m.Name == "lease-database" || m.Name == "hosts-database" || m.Name == "config-database":
		for _, k := range e.Keys() {
			v := e.M[k]
			sh := m.Keys[k]
			want := "string"
			if sh != nil {
				want = sh.Types[0]
			}
			ok := v.Kind == kjson.String
			switch want {
			case "integer":
				ok = v.Kind == kjson.Int
			case "boolean":
				ok = v.Kind == kjson.Bool
			}
			if !ok {
				return cfgErr("invalid value type specified for parameter '"+k+"'", v)
			}
		}
		t := e.Get("type")
		if t == nil {
			return cfgErr("database access parameters must include the keyword 'type' to determine type of database to be accessed", e)
		}
		switch t.S {
		case "memfile", "mysql", "postgresql":
		default:
			return cfgErr("unknown backend database type: "+t.S, t)
		}
		return nil
	case m.Name == "interfaces-config":
		for _, k := range e.Keys() {
			if m.Keys[k] == nil {
				return cfgErr("unsupported parameter '"+k+"'", e.M[k])
			}
		}
	case m.Name == "hooks-libraries":
		for _, k := range e.Keys() {
			if m.Keys[k] == nil {
				return &Error{Msg: "unknown hooks library parameter: " + k + "(" + e.Pos.String() + ")"}
			}
		}
		lib := e.Get("library")
		if lib == nil {
			return cfgErr("hooks library configuration error: one or more hooks-libraries elements are missing the name of the library", e)
		}
		if lib.Kind != kjson.String {
			return cfgErr("hooks library configuration error: value of 'library' element is not a string giving the path to a hooks library", lib)
		}
	}
	for _, k := range e.Keys() {
		sh := m.Keys[k]
		v := e.M[k]
		if sh == nil || !kindFits(sh, v) {
			continue
		}
		if err := checkValue(k, sh, v); err != nil {
			return err
		}
	}
	return nil
}
