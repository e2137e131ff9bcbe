// Command lessorctl sends control commands to lessor (or Kea) over the
// UNIX control socket or the HTTP control API, lists, exports and imports
// leases.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/lessor-dhcp/lessor/internal/ctlclient"
	"github.com/lessor-dhcp/lessor/internal/kjson"
)

// Exit codes.
const (
	exitOK          = 0
	exitError       = 1
	exitUnsupported = 2
	exitEmpty       = 3
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], &env{stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr, tty: isTTY(os.Stderr)})
	stop()
	os.Exit(code)
}

// env is where a run reads and writes; tests replace it.
type env struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	tty            bool // stderr is a terminal: show progress
	now            func() time.Time
}

func isTTY(f *os.File) bool {
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

type globals struct {
	socket, url, service, user, passwordFile, ca, cert, key, args string
	json, help                                                    bool
	timeout                                                       time.Duration
}

func (g *globals) register(fs *flag.FlagSet) {
	fs.StringVar(&g.socket, "socket", os.Getenv("LESSOR_SOCKET"), "UNIX control socket `path` (default $LESSOR_SOCKET)")
	fs.StringVar(&g.url, "url", os.Getenv("LESSOR_URL"), "HTTP control API `URL` (default $LESSOR_URL)")
	fs.StringVar(&g.service, "service", "", "with --url: service to address (dhcp4, dhcp6, agent); default from the command")
	fs.StringVar(&g.user, "user", "", "HTTP basic authentication `user`")
	fs.StringVar(&g.passwordFile, "password-file", "", "`file` whose first line is the password")
	fs.StringVar(&g.ca, "ca", "", "CA certificate `file` to verify an https URL")
	fs.StringVar(&g.cert, "cert", "", "client certificate `file`")
	fs.StringVar(&g.key, "key", "", "client key `file`")
	fs.StringVar(&g.args, "args", "", "command arguments as a JSON map")
	fs.BoolVar(&g.json, "json", false, "print the raw JSON answer")
	fs.DurationVar(&g.timeout, "timeout", 60*time.Second, "time allowed for each command")
	fs.BoolVar(&g.help, "help", false, "show help")
	fs.BoolVar(&g.help, "h", false, "show help")
}

// valueFlags are the flags that take a value (to find the command word
// before parsing).
var valueFlags = map[string]bool{"socket": true, "url": true, "service": true, "user": true, "password-file": true,
	"ca": true, "cert": true, "key": true, "args": true, "timeout": true, "family": true, "subnet": true,
	"state": true, "page-size": true, "format": true}

// words returns the positional words of args, skipping flags.
func words(args []string) []string {
	var out []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			return append(out, args[i+1:]...)
		}
		if strings.HasPrefix(a, "-") && len(a) > 1 {
			name := strings.TrimLeft(a, "-")
			if !strings.Contains(name, "=") && valueFlags[name] {
				i++
			}
			continue
		}
		out = append(out, a)
	}
	return out
}

// parseInterleaved parses flags found anywhere among the words.
func parseInterleaved(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, nil
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}

func run(ctx context.Context, args []string, e *env) int {
	if e.now == nil {
		e.now = time.Now
	}
	w := words(args)
	fs := flag.NewFlagSet("lessorctl", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	g := &globals{}
	g.register(fs)
	var sub string
	if len(w) >= 2 && w[0] == "leases" {
		sub = "leases " + w[1]
	} else if len(w) >= 1 {
		sub = w[0]
	}
	lo := &leaseOpts{}
	if strings.HasPrefix(sub, "leases ") {
		lo.register(fs, sub)
	}
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		fmt.Fprintf(e.stderr, "lessorctl: %v\n(see lessorctl --help)\n", err)
		return exitError
	}
	if g.help || len(pos) == 0 {
		return help(e, fs, pos)
	}
	switch {
	case pos[0] == "completion":
		return completion(e, pos[1:])
	case pos[0] == "help":
		return help(e, fs, pos[1:])
	case pos[0] == "leases":
		if len(pos) < 2 {
			return help(e, fs, pos)
		}
		c, code := client(e, g, "")
		if c == nil {
			return code
		}
		switch pos[1] {
		case "list":
			return leasesList(ctx, e, g, c, lo, pos[2:])
		case "export":
			return leasesExport(ctx, e, c, lo, pos[2:])
		case "import":
			return leasesImport(ctx, e, c, lo, pos[2:])
		}
		fmt.Fprintf(e.stderr, "lessorctl: unknown leases subcommand %q (list, export, import)\n", pos[1])
		return exitError
	}
	return command(ctx, e, g, pos[0], pos[1:])
}

// client builds the client for the chosen transport. service "" lets the
// command name choose it.
func client(e *env, g *globals, command string) (*ctlclient.Client, int) {
	switch {
	case g.socket != "" && g.url != "":
		fmt.Fprintln(e.stderr, "lessorctl: give --socket or --url, not both")
		return nil, exitError
	case g.socket != "":
		return &ctlclient.Client{T: &ctlclient.SocketTransport{Path: g.socket, Timeout: g.timeout}}, exitOK
	case g.url != "":
		t, err := ctlclient.NewHTTPTransport(g.url, ctlclient.HTTPOptions{
			User: g.user, PasswordFile: g.passwordFile, CA: g.ca, Cert: g.cert, Key: g.key, Timeout: g.timeout})
		if err != nil {
			fmt.Fprintf(e.stderr, "lessorctl: %v\n", err)
			return nil, exitError
		}
		svc := g.service
		switch svc {
		case "":
			svc = ctlclient.ServiceFor(command)
		case "agent":
			svc = ""
		}
		return &ctlclient.Client{T: t, Service: svc}, exitOK
	}
	fmt.Fprintln(e.stderr, "lessorctl: give --socket PATH or --url URL (or set LESSOR_SOCKET or LESSOR_URL)")
	return nil, exitError
}

// commandArguments builds the arguments map from --args and key=value
// words. Values are JSON when they parse as JSON (numbers, true, maps),
// strings otherwise; identifiers and names are always strings.
func commandArguments(g *globals, kv []string) (*kjson.Element, error) {
	var args *kjson.Element
	if g.args != "" {
		a, err := kjson.ParseString([]byte(g.args))
		if err != nil {
			return nil, fmt.Errorf("--args: %w", err)
		}
		if a.Kind != kjson.Map {
			return nil, errors.New("--args must be a JSON map")
		}
		args = a
	}
	for _, w := range kv {
		k, v, ok := strings.Cut(w, "=")
		if !ok || k == "" {
			return nil, fmt.Errorf("argument %q is not key=value", w)
		}
		if args == nil {
			args = kjson.NewMap()
		}
		if stringArgs[k] {
			args.Set(k, kjson.NewString(v))
			continue
		}
		if e, err := kjson.ParseString([]byte(v)); err == nil {
			args.Set(k, e)
		} else {
			args.Set(k, kjson.NewString(v))
		}
	}
	return args, nil
}

// command sends any command and prints its answer.
func command(ctx context.Context, e *env, g *globals, name string, kv []string) int {
	args, err := commandArguments(g, kv)
	if err != nil {
		fmt.Fprintf(e.stderr, "lessorctl: %v\n", err)
		return exitError
	}
	c, code := client(e, g, name)
	if c == nil {
		return code
	}
	cmd := kjson.NewMap().Set("command", kjson.NewString(name))
	if args != nil {
		cmd.Set("arguments", args)
	}
	if c.Service != "" {
		cmd.Set("service", kjson.NewList(kjson.NewString(c.Service)))
	}
	ctx, cancel := context.WithTimeout(ctx, g.timeout)
	defer cancel()
	raw, err := c.T.RoundTrip(ctx, cmd)
	if err != nil {
		fmt.Fprintf(e.stderr, "lessorctl: %s: %v\n", name, err)
		return exitError
	}
	if g.json {
		fmt.Fprintln(e.stdout, raw.Str())
	}
	answers := []*kjson.Element{raw}
	if raw.Kind == kjson.List {
		answers = raw.L
	}
	var codes []int64
	for _, a := range answers {
		ans, err := ctlclientAnswer(a)
		if err != nil {
			fmt.Fprintf(e.stderr, "lessorctl: %s: %v\n", name, err)
			return exitError
		}
		codes = append(codes, ans.Result)
		if !g.json {
			printAnswer(e, ans)
		}
	}
	return exitCode(codes)
}

func ctlclientAnswer(a *kjson.Element) (*ctlclient.Answer, error) {
	r := a.Get("result")
	if a.Kind != kjson.Map || r == nil || r.Kind != kjson.Int {
		return nil, fmt.Errorf("not an answer: %s", a.Str())
	}
	ans := &ctlclient.Answer{Result: r.I, Arguments: a.Get("arguments"), Raw: a}
	if t := a.Get("text"); t != nil && t.Kind == kjson.String {
		ans.Text = t.S
	}
	return ans, nil
}

// exitCode folds result codes: any error is an error, then unsupported;
// empty only when every answer is empty.
func exitCode(codes []int64) int {
	has := map[int64]bool{}
	for _, c := range codes {
		has[c] = true
	}
	switch {
	case has[ctlclient.ResultError] || has[ctlclient.ResultConflict]:
		return exitError
	case has[ctlclient.ResultUnsupported]:
		return exitUnsupported
	case len(codes) > 0 && len(has) == 1 && has[ctlclient.ResultEmpty]:
		return exitEmpty
	}
	for c := range has {
		if c != 0 && c != ctlclient.ResultEmpty {
			return exitError
		}
	}
	return exitOK
}
