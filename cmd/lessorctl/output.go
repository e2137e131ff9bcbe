package main

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/lessor-dhcp/lessor/internal/ctlclient"
	"github.com/lessor-dhcp/lessor/internal/kjson"
)

// resultWord names a result code for the summary line.
func resultWord(r int64) string {
	switch r {
	case ctlclient.ResultSuccess:
		return "ok"
	case ctlclient.ResultError:
		return "error"
	case ctlclient.ResultUnsupported:
		return "unsupported"
	case ctlclient.ResultEmpty:
		return "empty"
	case ctlclient.ResultConflict:
		return "conflict"
	}
	return fmt.Sprintf("result %d", r)
}

// isLease reports whether e is a lease as the lease commands show one.
func isLease(e *kjson.Element) bool {
	return e != nil && e.Kind == kjson.Map && e.Contains("ip-address") && (e.Contains("hw-address") || e.Contains("duid"))
}

// printAnswer prints an answer for people: leases as a table, a list of
// names one per line, other arguments as indented JSON, then a one-line
// summary.
func printAnswer(e *env, a *ctlclient.Answer) {
	args := a.Arguments
	switch {
	case args == nil:
	case isLease(args):
		t := newTable(e.stdout, e.now())
		t.add(args)
	case args.Kind == kjson.Map && args.Get("leases") != nil && args.Get("leases").Kind == kjson.List:
		t := newTable(e.stdout, e.now())
		for _, l := range args.Get("leases").L {
			t.add(l)
		}
		rest := args.Copy()
		rest.Remove("leases")
		rest.Remove("count")
		if rest.Size() > 0 {
			fmt.Fprintln(e.stdout, indent(rest))
		}
	case args.Kind == kjson.List && allStrings(args):
		for _, s := range args.L {
			fmt.Fprintln(e.stdout, s.S)
		}
	default:
		fmt.Fprintln(e.stdout, indent(args))
	}
	if a.Text == "" {
		fmt.Fprintln(e.stdout, resultWord(a.Result))
		return
	}
	fmt.Fprintf(e.stdout, "%s: %s\n", resultWord(a.Result), a.Text)
}

func allStrings(l *kjson.Element) bool {
	for _, s := range l.L {
		if s.Kind != kjson.String {
			return false
		}
	}
	return true
}

// indent formats an element as indented JSON.
func indent(e *kjson.Element) string {
	var b strings.Builder
	writeIndented(&b, e, 0)
	return b.String()
}

func writeIndented(b *strings.Builder, e *kjson.Element, depth int) {
	pad := func(d int) { b.WriteString(strings.Repeat("  ", d)) }
	switch {
	case e.Kind == kjson.Map && e.Size() > 0:
		b.WriteString("{\n")
		for i, k := range e.Keys() {
			pad(depth + 1)
			b.WriteString(kjson.Quote(k) + ": ")
			writeIndented(b, e.Get(k), depth+1)
			if i < e.Size()-1 {
				b.WriteByte(',')
			}
			b.WriteByte('\n')
		}
		pad(depth)
		b.WriteByte('}')
	case e.Kind == kjson.List && len(e.L) > 0:
		b.WriteString("[\n")
		for i, v := range e.L {
			pad(depth + 1)
			writeIndented(b, v, depth+1)
			if i < len(e.L)-1 {
				b.WriteByte(',')
			}
			b.WriteByte('\n')
		}
		pad(depth)
		b.WriteByte(']')
	default:
		b.WriteString(e.Str())
	}
}

// table streams lease rows with fixed column widths, so that rows can be
// printed as pages arrive.
type table struct {
	w       io.Writer
	now     time.Time
	widths  []int
	started bool
	rows    int
}

func newTable(w io.Writer, now time.Time) *table {
	return &table{w: w, now: now}
}

func (t *table) line(r ctlclient.Row) {
	cells := []string{r.Address, r.Identifier, r.Hostname, r.Subnet, r.State, r.Expires}
	var b strings.Builder
	for i, c := range cells {
		if i == len(cells)-1 {
			b.WriteString(c)
			break
		}
		b.WriteString(c)
		n := t.widths[i] - len(c)
		if n < 0 {
			n = 0
		}
		b.WriteString(strings.Repeat(" ", n+2))
	}
	fmt.Fprintln(t.w, strings.TrimRight(b.String(), " "))
}

func (t *table) add(l *kjson.Element) {
	r := ctlclient.RowOf(l, t.now)
	if !t.started {
		t.started = true
		// IPv4 rows are narrow, IPv6 rows wide.
		t.widths = []int{15, 17, 20, 6, 8}
		if l.Contains("duid") {
			t.widths = []int{24, 29, 20, 6, 8}
		}
		t.line(ctlclient.Columns)
	}
	t.line(r)
	t.rows++
}
