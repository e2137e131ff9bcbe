package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/lessor-dhcp/lessor/internal/ctlclient"
	"github.com/lessor-dhcp/lessor/internal/kjson"
)

type leaseOpts struct {
	family   int
	subnet   int64
	state    string
	pageSize int
	format   string
	replace  bool
}

func (o *leaseOpts) register(fs *flag.FlagSet, sub string) {
	fs.IntVar(&o.family, "family", 0, "address family, 4 or 6 (import: detected from the file)")
	switch sub {
	case "leases list":
		fs.Int64Var(&o.subnet, "subnet", 0, "only leases of this subnet `id`")
		fs.StringVar(&o.state, "state", "", "only leases in this `state` (default, declined, expired-reclaimed)")
		fs.IntVar(&o.pageSize, "page-size", ctlclient.DefaultPageSize, "leases per lease*-get-page command")
	case "leases export":
		fs.StringVar(&o.format, "format", "csv", "csv (Kea memfile format) or json")
		fs.IntVar(&o.pageSize, "page-size", ctlclient.DefaultPageSize, "leases per lease*-get-page command")
	case "leases import":
		fs.BoolVar(&o.replace, "replace", false, "overwrite existing leases (lease*-update with force-create)")
	}
}

func (o *leaseOpts) fam() int {
	if o.family == 0 {
		return 4
	}
	return o.family
}

// progress writes a one-line indicator on a terminal's stderr.
type progress struct {
	e     *env
	shown bool
}

func (p *progress) set(format string, args ...any) {
	if !p.e.tty {
		return
	}
	p.shown = true
	fmt.Fprintf(p.e.stderr, "\r\033[K"+format, args...)
}

func (p *progress) done() {
	if p.shown {
		fmt.Fprint(p.e.stderr, "\r\033[K")
	}
}

func bar(done, total int) string {
	const width = 30
	n := width
	if total > 0 {
		n = done * width / total
	}
	return "[" + strings.Repeat("#", n) + strings.Repeat("-", width-n) + "]"
}

func checkFamily(e *env, o *leaseOpts) bool {
	if o.family == 0 || o.family == 4 || o.family == 6 {
		return true
	}
	fmt.Fprintf(e.stderr, "lessorctl: --family must be 4 or 6, not %d\n", o.family)
	return false
}

func walkError(e *env, err error) int {
	var ce *ctlclient.CommandError
	if errors.As(err, &ce) {
		fmt.Fprintf(e.stderr, "lessorctl: %v\n", err)
		return exitCode([]int64{ce.Answer.Result})
	}
	fmt.Fprintf(e.stderr, "lessorctl: %v\n", err)
	return exitError
}

func leasesList(ctx context.Context, e *env, g *globals, c *ctlclient.Client, o *leaseOpts, extra []string) int {
	if len(extra) > 0 {
		fmt.Fprintf(e.stderr, "lessorctl: leases list takes no words, got %q\n", extra)
		return exitError
	}
	if !checkFamily(e, o) {
		return exitError
	}
	f := ctlclient.Filter{Subnet: o.subnet}
	if o.state != "" {
		s, err := ctlclient.ParseState(o.state)
		if err != nil {
			fmt.Fprintf(e.stderr, "lessorctl: %v\n", err)
			return exitError
		}
		f.State, f.HasState = s, true
	}
	t := newTable(e.stdout, e.now())
	p := &progress{e: e}
	seen := 0
	err := c.WalkLeases(ctx, o.fam(), o.pageSize, func(l *kjson.Element) error {
		seen++
		if seen%o.pageSize == 0 {
			p.set("%d leases read…", seen)
		}
		if !f.Match(l) {
			return nil
		}
		if g.json {
			fmt.Fprintln(e.stdout, l.Str())
			t.rows++
			return nil
		}
		t.add(l)
		return nil
	})
	p.done()
	if err != nil {
		return walkError(e, err)
	}
	if !g.json {
		fmt.Fprintf(e.stdout, "%d IPv%d lease(s) shown of %d.\n", t.rows, o.fam(), seen)
	}
	if t.rows == 0 {
		return exitEmpty
	}
	return exitOK
}

type leaseWriter interface {
	Write(*kjson.Element) error
	Flush() error
}

func leasesExport(ctx context.Context, e *env, c *ctlclient.Client, o *leaseOpts, extra []string) int {
	if len(extra) > 0 {
		fmt.Fprintf(e.stderr, "lessorctl: leases export writes to stdout and takes no words, got %q\n", extra)
		return exitError
	}
	if !checkFamily(e, o) {
		return exitError
	}
	var w leaseWriter
	switch o.format {
	case "csv":
		w = ctlclient.NewCSVWriter(e.stdout, o.fam())
	case "json":
		w = ctlclient.NewJSONWriter(e.stdout)
	default:
		fmt.Fprintf(e.stderr, "lessorctl: --format must be csv or json, not %q\n", o.format)
		return exitError
	}
	p := &progress{e: e}
	n := 0
	err := c.WalkLeases(ctx, o.fam(), o.pageSize, func(l *kjson.Element) error {
		n++
		if n%o.pageSize == 0 {
			p.set("%d leases exported…", n)
		}
		return w.Write(l)
	})
	p.done()
	if ferr := w.Flush(); err == nil && ferr != nil {
		err = ferr
	}
	if err != nil {
		return walkError(e, err)
	}
	fmt.Fprintf(e.stderr, "exported %d IPv%d lease(s)\n", n, o.fam())
	if n == 0 {
		return exitEmpty
	}
	return exitOK
}

func leasesImport(ctx context.Context, e *env, c *ctlclient.Client, o *leaseOpts, extra []string) int {
	if len(extra) != 1 {
		fmt.Fprintln(e.stderr, "lessorctl: leases import takes one FILE (- for stdin)")
		return exitError
	}
	if !checkFamily(e, o) {
		return exitError
	}
	var data []byte
	var err error
	if extra[0] == "-" {
		data, err = io.ReadAll(e.stdin)
	} else {
		data, err = os.ReadFile(extra[0])
	}
	if err != nil {
		fmt.Fprintf(e.stderr, "lessorctl: %v\n", err)
		return exitError
	}
	recs, family, err := ctlclient.ReadLeaseFile(data, o.family)
	if err != nil {
		fmt.Fprintf(e.stderr, "lessorctl: %s: %v\n", extra[0], err)
		return exitError
	}
	if len(recs) == 0 {
		fmt.Fprintf(e.stderr, "lessorctl: %s holds no lease\n", extra[0])
		return exitEmpty
	}
	p := &progress{e: e}
	res, err := c.Import(ctx, family, recs, ctlclient.ImportOptions{
		Replace:  o.replace,
		Progress: func(done, total int) { p.set("%s %d/%d", bar(done, total), done, total) },
	})
	p.done()
	out := e.stdout
	fmt.Fprintf(out, "imported %d, skipped %d (already present), failed %d, of %d IPv%d lease(s)\n",
		res.Imported, res.Skipped, res.Failed, len(recs), family)
	for _, r := range ctlclient.Reasons(res.Failures) {
		fmt.Fprintf(out, "  failed: %s\n", r)
	}
	const show = 10
	for i, f := range res.Failures {
		if i == show {
			fmt.Fprintf(out, "  … %d more\n", len(res.Failures)-show)
			break
		}
		fmt.Fprintf(out, "  %s %s: %s\n", f.Where, f.Address, f.Reason)
	}
	if err != nil {
		fmt.Fprintf(e.stderr, "lessorctl: import stopped: %v\n", err)
		return exitError
	}
	if res.Failed > 0 {
		return exitError
	}
	return exitOK
}
