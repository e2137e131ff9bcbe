package kjson

import "strings"

// Pretty returns the element's text as Kea's prettyPrint writes it (what
// config-write puts in a file): maps one entry a line, lists of maps or
// lists one item a line, other lists on one line, two spaces a level,
// no final newline.
func (e *Element) Pretty() string {
	var b strings.Builder
	e.WritePretty(&b, 0, 2)
	return b.String()
}

// WritePretty writes the element as Kea's prettyPrint does, with indent
// spaces before each new line and step more a level.
func (e *Element) WritePretty(w Writer, indent, step int) {
	if e == nil {
		e.Write(w)
		return
	}
	switch e.Kind {
	case List:
		if len(e.L) == 0 {
			w.WriteString("[ ]")
			return
		}
		complex := e.L[0] != nil && (e.L[0].Kind == List || e.L[0].Kind == Map)
		if complex {
			w.WriteString("[\n")
		} else {
			w.WriteString("[ ")
		}
		for i, v := range e.L {
			if i > 0 {
				if complex {
					w.WriteString(",\n")
				} else {
					w.WriteString(", ")
				}
			}
			if complex {
				w.WriteString(strings.Repeat(" ", indent+step))
			}
			v.WritePretty(w, indent+step, step)
		}
		if complex {
			w.WriteString("\n" + strings.Repeat(" ", indent))
		} else {
			w.WriteString(" ")
		}
		w.WriteString("]")
	case Map:
		if len(e.M) == 0 {
			w.WriteString("{ }")
			return
		}
		w.WriteString("{\n")
		for i, k := range e.Keys() {
			if i > 0 {
				w.WriteString(",\n")
			}
			w.WriteString(strings.Repeat(" ", indent+step))
			// Kea writes map keys without escaping them.
			w.WriteString("\"" + k + "\": ")
			e.M[k].WritePretty(w, indent+step, step)
		}
		w.WriteString("\n" + strings.Repeat(" ", indent) + "}")
	default:
		e.Write(w)
	}
}
