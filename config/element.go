package config

import (
	"github.com/lessor-dhcp/lessor/internal/kjson"
)

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

// accepts reports whether an element fits a shape (its type; keyword
// values must be among the accepted words).
func accepts(key string, sh *shape, e *kjson.Element) bool {
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
		case "string":
			if e.Kind == kjson.String {
				return true
			}
		case "kw":
			if e.Kind == kjson.String {
				if _, ok := matchKeyword(key, sh, e.S); ok {
					return true
				}
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

// checkElement checks an element tree built elsewhere (a config-set
// argument) against a map schema, with the texts of Kea's configuration
// parsers: "unsupported global configuration parameter: k (pos)" at the
// top of a section, "spurious 'k' parameter" below it, and
// "'k' parameter is not an integer" for type errors.
func checkElement(sch *schema, m *mapSchema, e *kjson.Element, global bool) error {
	for _, k := range e.Keys() {
		v := e.M[k]
		sh := m.Keys[k]
		if sh == nil {
			if m.Unknown == "any" {
				continue
			}
			if global {
				return cfgErr("unsupported global configuration parameter: "+k, v)
			}
			return &Error{Msg: "spurious '" + k + "' parameter"}
		}
		if !accepts(k, sh, v) {
			if sh.has("kw") && v.Kind == kjson.String {
				return cfgErr("unsupported value '"+v.S+"' for parameter '"+k+"'", v)
			}
			return &Error{Msg: "'" + k + "' parameter is not " + kindName(sh.Types[0])}
		}
		switch {
		case v.Kind == kjson.Map && sh.m != nil:
			if err := checkMap(sch, sh.m, v); err != nil {
				return err
			}
		case v.Kind == kjson.List && sh.Elem != nil:
			for _, it := range v.L {
				if !accepts(k, sh.Elem, it) {
					return &Error{Msg: "'" + k + "' parameter is not " + kindName(sh.Elem.Types[0]) + " list"}
				}
				if it.Kind == kjson.Map && sh.Elem.m != nil {
					if err := checkMap(sch, sh.Elem.m, it); err != nil {
						return err
					}
				}
			}
		}
	}
	return nil
}

func checkMap(sch *schema, m *mapSchema, e *kjson.Element) error {
	if err := checkElement(sch, m, e, false); err != nil {
		return err
	}
	for _, r := range m.Required {
		if e.Get(r) == nil {
			return cfgErr("missing parameter '"+r+"'", e)
		}
	}
	return nil
}
