package kjson

import (
	"errors"
	"strconv"
	"strings"
)

// whitespace is Kea's set of skipped characters between tokens.
const whitespace = " \b\f\n\r\t"

const eof = -1

// reader walks the input byte by byte, with Kea's line and column counters.
type reader struct {
	data  []byte
	i     int
	file  string
	line  int
	pos   int
	depth int
}

// MaxDepth bounds the nesting of lists and maps the parser accepts, so that
// hostile input cannot exhaust the stack (Kea 2.2 crashes on such input).
const MaxDepth = 10000

func (r *reader) get() int {
	if r.i >= len(r.data) {
		r.i++ // so that a putback after EOF stays consistent
		return eof
	}
	c := int(r.data[r.i])
	r.i++
	return c
}

func (r *reader) peek() int {
	if r.i >= len(r.data) {
		return eof
	}
	return int(r.data[r.i])
}

func (r *reader) putback() { r.i-- }

func (r *reader) ignore() {
	if r.i < len(r.data) {
		r.i++
	}
}

func charIn(c int, chars string) bool {
	return c >= 0 && c != 0 && strings.IndexByte(chars, byte(c)) >= 0
}

func (r *reader) fail(msg string, line, pos int) error {
	return errorAt(msg, r.file, line, pos)
}

func (r *reader) skipChars(chars string) {
	for c := r.peek(); charIn(c, chars); c = r.peek() {
		if c == '\n' {
			r.line++
			r.pos = 1
		} else {
			r.pos++
		}
		r.ignore()
	}
}

func (r *reader) skipTo(chars, maySkip string) (int, error) {
	c := r.get()
	r.pos++
	for c != eof {
		if c == '\n' {
			r.pos = 1
			r.line++
		}
		if charIn(c, maySkip) {
			c = r.get()
			r.pos++
		} else if charIn(c, chars) {
			for p := r.peek(); charIn(p, maySkip); p = r.peek() {
				if p == '\n' {
					r.pos = 1
					r.line++
				} else {
					r.pos++
				}
				r.ignore()
			}
			return c, nil
		} else {
			return 0, r.fail("'"+string([]byte{byte(c)})+"' read, one of \""+chars+"\" expected", r.line, r.pos)
		}
	}
	return 0, r.fail("EOF read, one of \""+chars+"\" expected", r.line, r.pos)
}

func hexVal(d int) (int, bool) {
	switch {
	case d >= '0' && d <= '9':
		return d - '0', true
	case d >= 'A' && d <= 'F':
		return d - 'A' + 10, true
	case d >= 'a' && d <= 'f':
		return d - 'a' + 10, true
	}
	return 0, false
}

func (r *reader) str() (string, error) {
	line := r.line
	c := r.get()
	r.pos++
	if c == '"' {
		c = r.get()
		r.pos++
	} else {
		return "", r.fail("String expected", line, r.pos)
	}
	// Fast path: no escape before the closing quote.
	start := r.i - 1
	if c == eof {
		start = len(r.data)
	}
	for j := start; j < len(r.data); j++ {
		if b := r.data[j]; b == '"' {
			s := internKey(r.data[start:j])
			r.pos += j - start
			r.i = j + 1
			return s, nil
		} else if b == '\\' {
			break
		}
	}
	var sb []byte
	for c != eof && c != '"' {
		if c == '\\' {
			switch r.peek() {
			case '"':
				c = '"'
			case '/':
				c = '/'
			case '\\':
				c = '\\'
			case 'b':
				c = '\b'
			case 'f':
				c = '\f'
			case 'n':
				c = '\n'
			case 'r':
				c = '\r'
			case 't':
				c = '\t'
			case 'u':
				r.ignore()
				r.pos++
				if r.peek() != '0' {
					return "", r.fail("Unsupported unicode escape", line, r.pos)
				}
				r.ignore()
				r.pos++
				if r.peek() != '0' {
					return "", r.fail("Unsupported unicode escape", line, r.pos-2)
				}
				r.ignore()
				r.pos++
				hi, ok := hexVal(r.peek())
				if !ok {
					return "", r.fail("Not hexadecimal in unicode escape", line, r.pos-3)
				}
				r.ignore()
				r.pos++
				lo, ok := hexVal(r.peek())
				if !ok {
					return "", r.fail("Not hexadecimal in unicode escape", line, r.pos-4)
				}
				c = hi<<4 | lo
			default:
				return "", r.fail("Bad escape", line, r.pos)
			}
			r.ignore()
			r.pos++
		}
		sb = append(sb, byte(c))
		c = r.get()
		r.pos++
	}
	if c == eof {
		return "", r.fail("Unterminated string", line, r.pos)
	}
	return string(sb), nil
}

// internKey returns b as a string, without allocating for the names that
// commands use most.
func internKey(b []byte) string {
	switch string(b) {
	case "command":
		return "command"
	case "arguments":
		return "arguments"
	case "ip-address":
		return "ip-address"
	case "hw-address":
		return "hw-address"
	case "subnet-id":
		return "subnet-id"
	case "identifier-type":
		return "identifier-type"
	case "identifier":
		return "identifier"
	case "hostname":
		return "hostname"
	case "valid-lft":
		return "valid-lft"
	case "duid":
		return "duid"
	case "iaid":
		return "iaid"
	case "type":
		return "type"
	case "IA_NA":
		return "IA_NA"
	case "client-id":
		return "client-id"
	case "fqdn-fwd":
		return "fqdn-fwd"
	case "fqdn-rev":
		return "fqdn-rev"
	case "cltt":
		return "cltt"
	case "expire":
		return "expire"
	case "state":
		return "state"
	case "user-context":
		return "user-context"
	case "force-create":
		return "force-create"
	case "from":
		return "from"
	case "limit":
		return "limit"
	case "start":
		return "start"
	case "subnets":
		return "subnets"
	case "preferred-lft":
		return "preferred-lft"
	case "prefix-len":
		return "prefix-len"
	}
	return string(b)
}

func isAlpha(c int) bool { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') }

func isNumberChar(c int) bool {
	return (c >= '0' && c <= '9') || c == '+' || c == '-' || c == '.' || c == 'e' || c == 'E'
}

func (r *reader) word(accept func(int) bool) string {
	start := r.i
	for accept(r.peek()) {
		r.i++
	}
	w := string(r.data[start:r.i])
	r.pos += len(w)
	return w
}

func (r *reader) number() (*Element, error) {
	start := r.pos
	num := r.word(isNumberChar)
	pos := Pos{r.file, r.line, start}
	if strings.ContainsAny(num, ".eE") {
		f, err := parseCDouble(num)
		if err != nil {
			return nil, r.fail("Number overflow: "+num, r.line, start)
		}
		return &Element{Kind: Real, F: f, Pos: pos}, nil
	}
	v, err := strconv.ParseInt(num, 10, 64)
	if err != nil {
		return nil, r.fail("Number overflow: "+num, r.line, start)
	}
	return &Element{Kind: Int, I: v, Pos: pos}, nil
}

// parseCDouble accepts what boost::lexical_cast<double> accepts from the
// characters a number may hold (digits, sign, dot, exponent).
func parseCDouble(s string) (float64, error) {
	if s == "" || strings.Count(s, "e")+strings.Count(s, "E") > 1 {
		return 0, errors.New("bad number")
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return 0, err
	}
	return f, nil
}

func (r *reader) value() (*Element, error) {
	r.skipChars(whitespace)
	for {
		c := r.get()
		r.pos++
		switch {
		case (c >= '0' && c <= '9') || c == '-' || c == '+' || c == '.':
			r.putback()
			r.pos--
			return r.number()
		case c == 't' || c == 'f':
			r.putback()
			r.pos--
			start := r.pos
			w := r.word(isAlpha)
			switch w {
			case "true":
				return &Element{Kind: Bool, B: true, Pos: Pos{r.file, r.line, start}}, nil
			case "false":
				return &Element{Kind: Bool, B: false, Pos: Pos{r.file, r.line, start}}, nil
			}
			return nil, r.fail("Bad boolean value: "+w, r.line, start)
		case c == 'n':
			r.putback()
			r.pos--
			start := r.pos
			w := r.word(isAlpha)
			if w == "null" {
				return &Element{Kind: Null, Pos: Pos{r.file, r.line, start}}, nil
			}
			return nil, r.fail("Bad null value: "+w, r.line, start)
		case c == '"':
			r.putback()
			r.pos--
			start, line := r.pos, r.line
			s, err := r.str()
			if err != nil {
				return nil, err
			}
			return &Element{Kind: String, S: s, Pos: Pos{r.file, line, start}}, nil
		case c == '[' || c == '{':
			if r.depth >= MaxDepth {
				return nil, r.fail("maximum nesting depth of "+strconv.Itoa(MaxDepth)+" exceeded", r.line, r.pos)
			}
			r.depth++
			defer func() { r.depth-- }()
			if c == '[' {
				return r.list()
			}
			return r.object()
		case c == eof:
			return nil, &Error{Msg: "nothing read"}
		default:
			return nil, r.fail("error: unexpected character "+string([]byte{byte(c)}), r.line, r.pos)
		}
	}
}

func (r *reader) list() (*Element, error) {
	l := &Element{Kind: List, Pos: Pos{r.file, r.line, r.pos}}
	r.skipChars(whitespace)
	c := 0
	for c != eof && c != ']' {
		if r.peek() != ']' {
			v, err := r.value()
			if err != nil {
				return nil, err
			}
			l.L = append(l.L, v)
			if c, err = r.skipTo(",]", whitespace); err != nil {
				return nil, err
			}
		} else {
			c = r.get()
			r.pos++
		}
	}
	return l, nil
}

func (r *reader) object() (*Element, error) {
	m := &Element{Kind: Map, Pos: Pos{r.file, r.line, r.pos}, M: map[string]*Element{}}
	r.skipChars(whitespace)
	c := r.peek()
	switch c {
	case eof:
		return nil, r.fail("Unterminated map, <string> or } expected", r.line, r.pos)
	case '}':
		r.ignore()
		return m, nil
	}
	for c != eof && c != '}' {
		key, err := r.str()
		if err != nil {
			return nil, err
		}
		if _, err := r.skipTo(":", whitespace); err != nil {
			return nil, err
		}
		v, err := r.value()
		if err != nil {
			return nil, err
		}
		m.M[key] = v
		if c, err = r.skipTo(",}", whitespace); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// ParseWire parses a command received on a control channel, as Kea's
// Element::fromWire does: positions are "<wire>:0:N" and trailing data is
// ignored.
func ParseWire(data []byte) (*Element, error) {
	r := &reader{data: data, file: "<wire>"}
	return r.value()
}

// ParseString parses a complete JSON text as Kea's Element::fromJSON(string)
// does: positions start at "<string>:1:1" and trailing data is an error.
func ParseString(data []byte) (*Element, error) {
	return ParseNamed(data, "<string>")
}

// ParseNamed is ParseString with positions naming file.
func ParseNamed(data []byte, file string) (*Element, error) {
	r := &reader{data: data, file: file, line: 1, pos: 1}
	e, err := r.value()
	if err != nil {
		return nil, err
	}
	r.skipChars(whitespace)
	if r.peek() != eof {
		return nil, r.fail("Extra data", r.line, r.pos)
	}
	return e, nil
}

// MustParse parses s and panics on error; for tests and constants.
func MustParse(s string) *Element {
	e, err := ParseString([]byte(s))
	if err != nil {
		panic(err)
	}
	return e
}
