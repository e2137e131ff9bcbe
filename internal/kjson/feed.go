package kjson

// Feed finds where one JSON command ends in a byte stream, as Kea's
// JSONFeed does for the control channel: comments (#, //, /* */) are
// dropped, strings and nesting are followed, and the first complete
// top-level map or list ends the command. Bytes after it are ignored.
type Feed struct {
	state  feedState
	scopes int
	out    []byte
	err    string
}

type feedState uint8

const (
	stStart feedState = iota
	stWSBefore
	stEOLBefore
	stStartCommentBefore
	stCCommentBefore
	stStopCommentBefore
	stInner
	stString
	stEscape
	stEOLComment
	stStartComment
	stCComment
	stStopComment
	stDone
	stFailed
)

// Write feeds bytes; it returns how many were consumed (fewer than len(p)
// once the command is complete or the feed has failed).
func (f *Feed) Write(p []byte) int {
	if f.out == nil {
		f.out = make([]byte, 0, len(p))
	}
	i := 0
	for i < len(p) {
		// Runs of bytes that only get copied are copied at once.
		switch f.state {
		case stDone, stFailed:
			return i
		case stInner:
			j := i
			for j < len(p) && !innerSpecial[p[j]] {
				j++
			}
			f.out = append(f.out, p[i:j]...)
			i = j
		case stString:
			j := i
			for j < len(p) && p[j] != '"' && p[j] != '\\' {
				j++
			}
			f.out = append(f.out, p[i:j]...)
			i = j
		}
		if i == len(p) {
			break
		}
		f.step(p[i])
		i++
	}
	return len(p)
}

// innerSpecial marks the bytes that change the state inside a command.
var innerSpecial = [256]bool{'{': true, '[': true, '}': true, ']': true, '"': true, '#': true, '/': true}

// NeedData reports whether the command is not complete yet.
func (f *Feed) NeedData() bool { return f.state != stDone && f.state != stFailed }

// OK reports whether a complete command was read.
func (f *Feed) OK() bool { return f.state == stDone }

// Err is the failure text ("invalid first character t").
func (f *Feed) Err() string { return f.err }

// Text is the command text kept so far (comments removed).
func (f *Feed) Text() []byte { return f.out }

func (f *Feed) fail(msg string) {
	f.err = msg
	f.state = stFailed
}

func (f *Feed) open(c byte) {
	f.out = append(f.out, c)
	f.scopes++
	f.state = stInner
}

func (f *Feed) step(c byte) {
	switch f.state {
	case stStart, stWSBefore:
		switch c {
		case '\t', '\n', '\r', ' ':
			f.state = stWSBefore
		case '#':
			f.state = stEOLBefore
		case '/':
			f.state = stStartCommentBefore
		case '{', '[':
			f.open(c)
		default:
			if f.state == stStart {
				f.fail("invalid first character " + string([]byte{c}))
			} else {
				f.fail("invalid character " + string([]byte{c}))
			}
		}
	case stEOLBefore:
		if c == '\n' {
			f.state = stWSBefore
		}
	case stStartCommentBefore:
		switch c {
		case '/':
			f.state = stEOLBefore
		case '*':
			f.state = stCCommentBefore
		default:
			f.fail("invalid characters /" + string([]byte{c}))
		}
	case stCCommentBefore:
		if c == '*' {
			f.state = stStopCommentBefore
		}
	case stStopCommentBefore:
		switch c {
		case '/':
			f.state = stWSBefore
		case '*':
		default:
			f.state = stCCommentBefore
		}
	case stInner:
		switch c {
		case '{', '[':
			f.out = append(f.out, c)
			f.scopes++
		case '}', ']':
			f.out = append(f.out, c)
			f.scopes--
			if f.scopes == 0 {
				f.state = stDone
			}
		case '"':
			f.out = append(f.out, c)
			f.state = stString
		case '#':
			f.state = stEOLComment
		case '/':
			f.state = stStartComment
		default:
			f.out = append(f.out, c)
		}
	case stString:
		f.out = append(f.out, c)
		switch c {
		case '"':
			f.state = stInner
		case '\\':
			f.state = stEscape
		}
	case stEscape:
		f.out = append(f.out, c)
		f.state = stString
	case stEOLComment:
		if c == '\n' {
			f.out = append(f.out, c)
			f.state = stInner
		}
	case stStartComment:
		switch c {
		case '/':
			f.state = stEOLComment
		case '*':
			f.state = stCComment
		default:
			f.fail("invalid characters /" + string([]byte{c}))
		}
	case stCComment:
		switch c {
		case '*':
			f.state = stStopComment
		case '\n':
			f.out = append(f.out, c)
		}
	case stStopComment:
		switch c {
		case '/':
			f.state = stInner
		case '*':
		case '\n':
			f.out = append(f.out, c)
			f.state = stCComment
		default:
			f.state = stCComment
		}
	}
}
