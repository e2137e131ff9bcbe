package config

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/lessor-dhcp/lessor/internal/kjson"
)

// tokKind is the kind of a lexical token of the configuration file.
type tokKind uint8

const (
	tEOF tokKind = iota
	tComma
	tColon
	tLSquare
	tRSquare
	tLCurly
	tRCurly
	tNull
	tString
	tInt
	tFloat
	tBool
)

// display is how Kea's parser names a token kind in "unexpected ..." texts.
func (k tokKind) display() string {
	switch k {
	case tEOF:
		return "end of file"
	case tComma:
		return `","`
	case tColon:
		return ":"
	case tLSquare:
		return "["
	case tRSquare:
		return "]"
	case tLCurly:
		return "{"
	case tRCurly:
		return "}"
	case tNull:
		return "null"
	case tString:
		return "constant string"
	case tInt:
		return "integer"
	case tFloat:
		return "floating point"
	case tBool:
		return "boolean"
	}
	return "?"
}

// loc is a token's span, as Kea's parser locations: a file, a start line
// and column, and an end column one past the last byte (on the end line).
type loc struct {
	file               string
	line, col          int
	endLine, endColumn int
}

// String formats the span as Kea does: "f:1.12-16", "f:1.12", "f:1.3-2.4".
func (l loc) String() string {
	endCol := l.endColumn - 1
	if endCol < 0 {
		endCol = 0
	}
	s := l.file + ":" + strconv.Itoa(l.line) + "." + strconv.Itoa(l.col)
	switch {
	case l.line < l.endLine:
		s += "-" + strconv.Itoa(l.endLine) + "." + strconv.Itoa(endCol)
	case l.col < endCol:
		s += "-" + strconv.Itoa(endCol)
	}
	return s
}

// pos is the element position of the span's start ("f:1:12").
func (l loc) pos() kjson.Pos { return kjson.Pos{File: l.file, Line: l.line, Col: l.col} }

type token struct {
	kind tokKind
	loc  loc
	s    string // string value
	i    int64
	f    float64
	b    bool
}

// Error is a configuration error: its text is the message lessor gives,
// in Kea's words, with the file position where one applies.
type Error struct{ Msg string }

func (e *Error) Error() string { return e.Msg }

func errf(format string, args ...any) error { return &Error{Msg: fmt.Sprintf(format, args...)} }

// maxIncludeDepth is how deep includes may nest (Kea refuses the 12th level).
const maxIncludeDepth = 10

// ReadFileFunc reads an included file. Paths are used as written, so a
// relative path is relative to the working directory, as in Kea.
type ReadFileFunc func(name string) ([]byte, error)

type source struct {
	data      []byte
	i         int
	file      string
	line, col int
}

type lexState uint8

const (
	stInitial lexState = iota
	stDirExit
)

// lexer turns the configuration file text into tokens, following Kea's
// lexer: comments ("#", "//", "/* */"), include directives, JSON tokens.
type lexer struct {
	src      source
	stack    []source // including files, innermost last
	state    lexState
	readFile ReadFileFunc
}

func newLexer(data []byte, name string, rf ReadFileFunc) *lexer {
	return &lexer{src: source{data: data, file: name, line: 1, col: 1}, readFile: rf}
}

func (lx *lexer) here(n int) loc {
	return loc{file: lx.src.file, line: lx.src.line, col: lx.src.col, endLine: lx.src.line, endColumn: lx.src.col + n}
}

// advance moves over n bytes that hold no newline.
func (lx *lexer) advance(n int) {
	lx.src.i += n
	lx.src.col += n
}

func (lx *lexer) errAt(l loc, msg string) error { return &Error{Msg: l.String() + ": " + msg} }

func (lx *lexer) errNear(l loc, near int, msg string) error {
	return &Error{Msg: l.String() + " (near " + strconv.Itoa(near) + "): " + msg}
}

// skipSpace skips blanks and newlines (valid in every state).
func (lx *lexer) skipSpace() {
	d := lx.src.data
	for lx.src.i < len(d) {
		switch d[lx.src.i] {
		case ' ', '\t', '\r':
			lx.advance(1)
		case '\n':
			lx.src.i++
			lx.src.line++
			lx.src.col = 1
		default:
			return
		}
	}
}

func (lx *lexer) invalidChar() error {
	c := lx.src.data[lx.src.i]
	text := string([]byte{c})
	if c == 0 {
		text = "" // Kea's text is a C string: it ends there
	}
	return lx.errAt(lx.here(1), "Invalid character: "+text)
}

// next returns the next token.
func (lx *lexer) next() (token, error) {
	for {
		lx.skipSpace()
		d := lx.src.data
		if lx.src.i >= len(d) {
			if lx.state == stDirExit {
				return token{}, errf("Directive not closed.")
			}
			if len(lx.stack) == 0 {
				return token{kind: tEOF, loc: lx.here(0)}, nil
			}
			lx.src = lx.stack[len(lx.stack)-1]
			lx.stack = lx.stack[:len(lx.stack)-1]
			lx.state = stDirExit
			continue
		}
		if lx.state == stDirExit {
			if d[lx.src.i] == '?' && lx.src.i+1 < len(d) && d[lx.src.i+1] == '>' {
				lx.advance(2)
				lx.state = stInitial
				continue
			}
			return token{}, lx.invalidChar()
		}
		rest := d[lx.src.i:]
		switch {
		case rest[0] == '#' || (rest[0] == '/' && len(rest) > 1 && rest[1] == '/'):
			n := indexByte(rest, '\n')
			lx.advance(n)
			continue
		case rest[0] == '/' && len(rest) > 1 && rest[1] == '*':
			if err := lx.blockComment(); err != nil {
				return token{}, err
			}
			continue
		case rest[0] == '<' && len(rest) > 1 && rest[1] == '?':
			if err := lx.directive(); err != nil {
				return token{}, err
			}
			continue
		}
		return lx.token()
	}
}

func indexByte(b []byte, c byte) int {
	for i, x := range b {
		if x == c {
			return i
		}
	}
	return len(b)
}

func (lx *lexer) blockComment() error {
	startLine := lx.src.line
	lx.advance(2)
	d := lx.src.data
	for {
		if lx.src.i >= len(d) {
			return errf("Comment not closed. (/* in line %d", startLine)
		}
		switch {
		case d[lx.src.i] == '*' && lx.src.i+1 < len(d) && d[lx.src.i+1] == '/':
			lx.advance(2)
			return nil
		case d[lx.src.i] == '\n':
			lx.src.i++
			lx.src.line++
			lx.src.col = 1
		default:
			lx.advance(1)
		}
	}
}

// directive reads `<?include "file"?>`: the included file's tokens come
// next, then the "?>" that closes the directive.
func (lx *lexer) directive() error {
	lx.advance(2)
	lx.skipSpace()
	d := lx.src.data
	if lx.src.i >= len(d) {
		return errf("Directive not closed.")
	}
	if !strings.HasPrefix(string(d[lx.src.i:min(len(d), lx.src.i+7)]), "include") {
		return lx.invalidChar()
	}
	lx.advance(7)
	lx.skipSpace()
	if lx.src.i >= len(d) {
		return errf("Directive not closed.")
	}
	if d[lx.src.i] != '"' {
		return lx.invalidChar()
	}
	j := lx.src.i + 1
	for j < len(d) && d[j] != '"' && d[j] != '\n' {
		j++
	}
	if j >= len(d) || d[j] != '"' || j == lx.src.i+1 {
		return lx.invalidChar()
	}
	name := string(d[lx.src.i+1 : j])
	lx.advance(j + 1 - lx.src.i)
	if len(lx.stack) > maxIncludeDepth {
		return errf("Too many nested include.")
	}
	data, err := lx.readFile(name)
	if err != nil {
		return &includeError{name: name, err: err}
	}
	lx.stack = append(lx.stack, lx.src)
	lx.src = source{data: data, file: name, line: 1, col: 1}
	return nil
}

type includeError struct {
	name string
	err  error
}

func (e *includeError) Error() string { return "Can't open include file " + e.name }
func (e *includeError) Unwrap() error { return e.err }

func punct(c byte) (tokKind, bool) {
	switch c {
	case '[':
		return tLSquare, true
	case ']':
		return tRSquare, true
	case '{':
		return tLCurly, true
	case '}':
		return tRCurly, true
	case ',':
		return tComma, true
	case ':':
		return tColon, true
	}
	return 0, false
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func isHex(c byte) bool {
	return isDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')
}

// token reads one JSON token at the current position.
func (lx *lexer) token() (token, error) {
	d := lx.src.data[lx.src.i:]
	if k, ok := punct(d[0]); ok {
		t := token{kind: k, loc: lx.here(1)}
		lx.advance(1)
		return t, nil
	}
	if d[0] == '"' {
		return lx.str()
	}
	// Numbers: Kea's lexer knows integers (-?[0-9]+) and floating point
	// numbers ([-+]?[0-9]*\.?[0-9]*([eE][-+]?[0-9]+)?); the longest match wins,
	// an integer on a tie.
	intLen := 0
	if d[0] == '-' {
		intLen = 1
	}
	k := intLen
	for k < len(d) && isDigit(d[k]) {
		k++
	}
	if k == intLen {
		intLen = 0
	} else {
		intLen = k
	}
	fl := 0
	if d[0] == '-' || d[0] == '+' {
		fl = 1
	}
	for fl < len(d) && isDigit(d[fl]) {
		fl++
	}
	if fl < len(d) && d[fl] == '.' {
		fl++
	}
	for fl < len(d) && isDigit(d[fl]) {
		fl++
	}
	if fl < len(d) && (d[fl] == 'e' || d[fl] == 'E') {
		e := fl + 1
		if e < len(d) && (d[e] == '-' || d[e] == '+') {
			e++
		}
		s := e
		for e < len(d) && isDigit(d[e]) {
			e++
		}
		if e > s {
			fl = e
		}
	}
	// Words: true, false, null (and their wrongly cased forms).
	wordLen, word := 0, ""
	for _, w := range []string{"true", "false", "null"} {
		if len(d) >= len(w) && strings.EqualFold(string(d[:len(w)]), w) {
			wordLen, word = len(w), string(d[:len(w)])
		}
	}
	switch {
	case intLen > 0 && intLen >= fl && intLen >= wordLen:
		text := string(d[:intLen])
		l := lx.here(intLen)
		lx.advance(intLen)
		v, err := strconv.ParseInt(text, 10, 64)
		if err != nil {
			return token{}, lx.errAt(l, "Failed to convert "+text+" to an integer.")
		}
		return token{kind: tInt, loc: l, i: v}, nil
	case fl > 0 && fl >= wordLen:
		text := string(d[:fl])
		l := lx.here(fl)
		lx.advance(fl)
		v, err := parseCDouble(text)
		if err != nil {
			return token{}, lx.errAt(l, "Failed to convert "+text+" to a floating point.")
		}
		return token{kind: tFloat, loc: l, f: v}, nil
	case wordLen > 0:
		l := lx.here(wordLen)
		lx.advance(wordLen)
		switch word {
		case "true", "false":
			return token{kind: tBool, loc: l, b: word == "true"}, nil
		case "null":
			return token{kind: tNull, loc: l}, nil
		}
		return token{}, lx.errAt(l, "JSON "+strings.ToLower(word)+" reserved keyword is lower case only")
	}
	return token{}, lx.invalidChar()
}

// parseCDouble converts a floating point literal as the C++ conversion
// Kea uses does: the whole text must be a number, with digits.
func parseCDouble(s string) (float64, error) {
	digits := false
	for i := 0; i < len(s); i++ {
		if s[i] == 'e' || s[i] == 'E' {
			break
		}
		if isDigit(s[i]) {
			digits = true
		}
	}
	if !digits {
		return 0, errors.New("no digits")
	}
	return strconv.ParseFloat(s, 64)
}

// validEscape reports whether b (after a backslash) starts a valid JSON
// escape, and its length.
func validEscape(b []byte) (int, bool) {
	if len(b) == 0 {
		return 0, false
	}
	switch b[0] {
	case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
		return 1, true
	case 'u':
		if len(b) >= 5 && isHex(b[1]) && isHex(b[2]) && isHex(b[3]) && isHex(b[4]) {
			return 5, true
		}
	}
	return 0, false
}

// str reads a string token, with the error texts of Kea's lexer for
// strings holding control characters or bad escapes.
func (lx *lexer) str() (token, error) {
	d := lx.src.data[lx.src.i:]
	// p: end of the longest run of valid string characters after the quote.
	p := 1
	lastEscQuote := -1 // index of the backslash of the last \" escape
	for p < len(d) {
		c := d[p]
		if c == '"' || c < 0x20 {
			break
		}
		if c == '\\' {
			n, ok := validEscape(d[p+1:])
			if !ok {
				break
			}
			if d[p+1] == '"' {
				lastEscQuote = p
			}
			p += 1 + n
			continue
		}
		p++
	}
	matchLen := 0
	kind := ""
	if p < len(d) {
		switch c := d[p]; {
		case c == '"':
			matchLen, kind = p+1, "ok"
		case c < 0x20:
			j := p + 1
			for j < len(d) {
				if d[j] == '"' {
					matchLen, kind = j+1, "control"
					break
				}
				if d[j] == '\\' {
					if j+1 < len(d) && strings.IndexByte(`"\/bfnrtu`, d[j+1]) >= 0 {
						j += 2
						continue
					}
					break
				}
				j++
			}
		case c == '\\':
			j := p + 1
			if j < len(d) && d[j] == 'u' {
				h := j + 1
				for h < len(d) && h < j+4 && isHex(d[h]) {
					h++
				}
				if h < len(d) && d[h] == '"' {
					matchLen, kind = h+1, "openunicode"
				} else if h < len(d) {
					if q := indexByte(d[h+1:], '"'); h+1+q < len(d) {
						matchLen, kind = h+1+q+1, "badescape"
					}
				}
			} else if j < len(d) {
				if q := indexByte(d[j+1:], '"'); j+1+q < len(d) {
					matchLen, kind = j+1+q+1, "badescape"
				}
			}
		}
	}
	if kind == "" && lastEscQuote > 0 {
		matchLen, kind = lastEscQuote+2, "openescape"
	}
	if kind == "" {
		return token{}, lx.invalidChar()
	}
	text := string(d[:matchLen])
	l := lx.here(matchLen)
	// Multi-line tokens (a newline inside a bad string): Kea's lexer only
	// moves the column, so the line count stays.
	lx.advance(matchLen)
	raw := text[1 : len(text)-1]
	switch kind {
	case "control":
		pos := 0
		for pos < len(raw) && raw[pos] >= 0x20 {
			pos++
		}
		return token{}, lx.errNear(l, pos+1, "Invalid control in "+text)
	case "badescape":
		pos, found := 0, false
		for ; pos < len(raw); pos++ {
			if found {
				break
			}
			if raw[pos] == '\\' {
				pos++
				if pos >= len(raw) {
					break
				}
				switch raw[pos] {
				case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				case 'u':
					if pos+4 > len(raw) || !isHex(raw[pos+1]) || !isHex(raw[pos+2]) || !isHex(raw[pos+3]) || !isHex(raw[pos+4]) {
						found = true
					}
				default:
					found = true
				}
			}
		}
		trailer := ""
		if len(raw) > 0 && raw[len(raw)-1] == '\\' {
			trailer = "..."
		}
		return token{}, lx.errNear(l, pos, "Bad escape in "+text+trailer)
	case "openescape":
		return token{}, lx.errNear(l, len(text), "Overflow escape in "+text)
	case "openunicode":
		r := text[1:]
		pos := len(r) - 1
		for ; pos > 0; pos-- {
			if r[pos] == 'u' {
				break
			}
		}
		return token{}, lx.errNear(l, pos+1, "Overflow unicode escape in "+text)
	}
	// A valid string: decode it; Kea supports \u0000 to \u00ff only.
	var b strings.Builder
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		if c != '\\' {
			b.WriteByte(c)
			continue
		}
		i++
		switch raw[i] {
		case '"', '\\', '/':
			b.WriteByte(raw[i])
		case 'b':
			b.WriteByte('\b')
		case 'f':
			b.WriteByte('\f')
		case 'n':
			b.WriteByte('\n')
		case 'r':
			b.WriteByte('\r')
		case 't':
			b.WriteByte('\t')
		case 'u':
			i++
			if raw[i] != '0' || raw[i+1] != '0' {
				return token{}, lx.errNear(l, i+1, `Unsupported unicode escape in "`+raw+`"`)
			}
			v, _ := strconv.ParseUint(raw[i+2:i+4], 16, 8)
			b.WriteByte(byte(v))
			i += 3
		}
	}
	return token{kind: tString, loc: l, s: b.String()}, nil
}
