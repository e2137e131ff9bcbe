// Package kjson holds Kea's JSON value model: elements that remember where
// they were read (for error texts such as "(<wire>:0:37)"), a parser that
// reproduces Kea 2.2's parser and its error texts, and a writer that
// produces the exact bytes Kea's Element::str() produces.
package kjson

import (
	"bufio"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// Kind is the type of an element, named as Kea names it.
type Kind uint8

// The kinds of element.
const (
	Null Kind = iota
	Int
	Real
	Bool
	String
	List
	Map
	// Lazy is an element whose text is produced when it is written (Gen):
	// lessor streams long answers this way instead of building them.
	Lazy
)

// String returns Kea's name of the kind ("integer", "map", ...).
func (k Kind) String() string {
	switch k {
	case Int:
		return "integer"
	case Real:
		return "real"
	case Bool:
		return "boolean"
	case String:
		return "string"
	case List:
		return "list"
	case Map:
		return "map"
	case Null:
		return "null"
	}
	return "unknown"
}

// Pos is where an element starts in its input.
type Pos struct {
	File string
	Line int
	Col  int
}

// String formats the position as Kea does: "file:line:col".
func (p Pos) String() string {
	return p.File + ":" + strconv.Itoa(p.Line) + ":" + strconv.Itoa(p.Col)
}

// Element is one JSON value. Maps keep their keys sorted on output, as Kea's
// std::map does; a key given twice keeps the last value.
type Element struct {
	Kind Kind
	Pos  Pos
	I    int64
	F    float64
	B    bool
	S    string
	L    []*Element
	M    map[string]*Element
	// Gen writes a Lazy element's JSON text.
	Gen func(w Writer)
}

// Constructors for elements without a position.

// NewInt returns an integer element.
func NewInt(v int64) *Element { return &Element{Kind: Int, I: v} }

// NewReal returns a real element.
func NewReal(v float64) *Element { return &Element{Kind: Real, F: v} }

// NewBool returns a boolean element.
func NewBool(v bool) *Element { return &Element{Kind: Bool, B: v} }

// NewString returns a string element.
func NewString(v string) *Element { return &Element{Kind: String, S: v} }

// NewNull returns a null element.
func NewNull() *Element { return &Element{Kind: Null} }

// NewList returns a list element holding items.
func NewList(items ...*Element) *Element { return &Element{Kind: List, L: items} }

// NewMap returns an empty map element.
func NewMap() *Element { return &Element{Kind: Map, M: map[string]*Element{}} }

// Get returns the value under key in a map, or nil.
func (e *Element) Get(key string) *Element {
	if e == nil || e.Kind != Map {
		return nil
	}
	return e.M[key]
}

// Contains reports whether a map has key.
func (e *Element) Contains(key string) bool { return e.Get(key) != nil }

// Set sets key in a map and returns the map, for chaining.
func (e *Element) Set(key string, v *Element) *Element {
	if e.M == nil {
		e.M = map[string]*Element{}
	}
	e.M[key] = v
	return e
}

// Remove deletes key from a map.
func (e *Element) Remove(key string) { delete(e.M, key) }

// Add appends to a list.
func (e *Element) Add(v *Element) { e.L = append(e.L, v) }

// Size is the number of items of a list or map (0 for scalars).
func (e *Element) Size() int {
	switch e.Kind {
	case List:
		return len(e.L)
	case Map:
		return len(e.M)
	}
	return 0
}

// Keys returns a map's keys in Kea's (sorted) order.
func (e *Element) Keys() []string {
	keys := make([]string, 0, len(e.M))
	for k := range e.M {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// Copy returns a deep copy.
func (e *Element) Copy() *Element {
	if e == nil {
		return nil
	}
	c := *e
	if e.L != nil {
		c.L = make([]*Element, len(e.L))
		for i, v := range e.L {
			c.L[i] = v.Copy()
		}
	}
	if e.M != nil {
		c.M = make(map[string]*Element, len(e.M))
		for k, v := range e.M {
			c.M[k] = v.Copy()
		}
	}
	return &c
}

// Equal compares two elements by value, as Kea's Element::equals does.
func (e *Element) Equal(o *Element) bool {
	if e == nil || o == nil {
		return e == o
	}
	if e.Kind != o.Kind {
		return false
	}
	switch e.Kind {
	case Int:
		return e.I == o.I
	case Real:
		return e.F == o.F
	case Bool:
		return e.B == o.B
	case String:
		return e.S == o.S
	case Null:
		return true
	case List:
		if len(e.L) != len(o.L) {
			return false
		}
		for i := range e.L {
			if !e.L[i].Equal(o.L[i]) {
				return false
			}
		}
		return true
	case Map:
		if len(e.M) != len(o.M) {
			return false
		}
		for k, v := range e.M {
			if !v.Equal(o.M[k]) {
				return false
			}
		}
		return true
	}
	return false
}

// Str returns Kea's compact JSON text of the element (Element::str()):
// "{ "a": 1, "b": [ 2, 3 ] }".
func (e *Element) Str() string {
	var b strings.Builder
	e.Write(&b)
	return b.String()
}

// Writer is what Write needs: strings.Builder and bufio.Writer fit.
type Writer interface {
	WriteString(string) (int, error)
	WriteByte(byte) error
}

// Write writes Kea's compact JSON text of the element to w.
func (e *Element) Write(w Writer) {
	if e == nil {
		w.WriteString("None")
		return
	}
	switch e.Kind {
	case Lazy:
		e.Gen(w)
	case Null:
		w.WriteString("null")
	case Int:
		var buf [24]byte
		WriteBytes(w, strconv.AppendInt(buf[:0], e.I, 10))
	case Real:
		w.WriteString(FormatReal(e.F))
	case Bool:
		if e.B {
			w.WriteString("true")
		} else {
			w.WriteString("false")
		}
	case String:
		WriteString(w, e.S)
	case List:
		w.WriteString("[ ")
		for i, v := range e.L {
			if i > 0 {
				w.WriteString(", ")
			}
			v.Write(w)
		}
		w.WriteString(" ]")
	case Map:
		w.WriteString("{ ")
		var buf [16]string
		keys := buf[:0]
		for k := range e.M {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for i, k := range keys {
			if i > 0 {
				w.WriteString(", ")
			}
			// Kea writes map keys without escaping them.
			w.WriteByte('"')
			w.WriteString(k)
			w.WriteString("\": ")
			e.M[k].Write(w)
		}
		w.WriteString(" }")
	}
}

// WriteBytes writes b to w without allocating: through a bufio.Writer's
// free buffer, or byte by byte.
func WriteBytes(w Writer, b []byte) {
	if bw, ok := w.(*bufio.Writer); ok {
		if bw.Available() >= len(b) {
			bw.Write(append(bw.AvailableBuffer(), b...))
			return
		}
	}
	for _, c := range b {
		w.WriteByte(c)
	}
}

// FormatReal formats a double as Kea does: C++ ostream default formatting
// (6 significant digits, %g style) with ".0" appended when there is no dot.
func FormatReal(f float64) string {
	s := strconv.FormatFloat(f, 'g', 6, 64)
	// C++ writes exponents with at least two digits and a sign, Go too
	// ("1e+06"); Go writes "+Inf"/"NaN" where C++ writes "inf"/"nan".
	switch s {
	case "+Inf":
		s = "inf"
	case "-Inf":
		s = "-inf"
	case "NaN":
		s = "nan"
	}
	if !strings.Contains(s, ".") {
		s += ".0"
	}
	return s
}

const hexDigits = "0123456789abcdef"

// WriteString writes s as a JSON string the way Kea does: the usual short
// escapes, and every byte below 0x20 or from 0x7f up as \u00XX (Kea escapes
// each byte of a UTF-8 sequence on its own).
func WriteString(w Writer, s string) {
	w.WriteByte('"')
	start := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		var esc string
		switch c {
		case '"':
			esc = `\"`
		case '\\':
			esc = `\\`
		case '\b':
			esc = `\b`
		case '\f':
			esc = `\f`
		case '\n':
			esc = `\n`
		case '\r':
			esc = `\r`
		case '\t':
			esc = `\t`
		default:
			if c >= 0x20 && c < 0x7f {
				continue
			}
		}
		if start < i {
			w.WriteString(s[start:i])
		}
		start = i + 1
		if esc != "" {
			w.WriteString(esc)
		} else {
			w.WriteString(`\u00`)
			w.WriteByte(hexDigits[c>>4])
			w.WriteByte(hexDigits[c&15])
		}
	}
	if start < len(s) {
		w.WriteString(s[start:])
	}
	w.WriteByte('"')
}

// Quote returns s as Kea writes a JSON string.
func Quote(s string) string {
	var b strings.Builder
	WriteString(&b, s)
	return b.String()
}

// Error is a JSON syntax error with Kea's text ("... in <wire>:0:27").
type Error struct{ Msg string }

func (e *Error) Error() string { return e.Msg }

func errorAt(msg string, file string, line, col int) error {
	return &Error{Msg: fmt.Sprintf("%s in %s:%d:%d", msg, file, line, col)}
}
