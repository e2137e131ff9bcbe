// Package lessorproc runs the lessor binary for the crash and abuse tests:
// it builds it once, writes a configuration, starts the process, waits for
// its control sockets and sends commands over them (Kea's protocol: one
// command per connection, read the answer until the server closes).
package lessorproc

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

var (
	buildOnce sync.Once
	buildBin  string
	buildErr  error
)

// Binary builds ./cmd/lessor once per test process and returns its path
// ($LESSOR_BIN, when set, names a binary built beforehand).
func Binary(t testing.TB) string {
	t.Helper()
	if b := os.Getenv("LESSOR_BIN"); b != "" {
		return b
	}
	buildOnce.Do(func() {
		root, err := repoRoot()
		if err != nil {
			buildErr = err
			return
		}
		dir, err := os.MkdirTemp("", "lessorproc-bin-")
		if err != nil {
			buildErr = err
			return
		}
		buildBin = filepath.Join(dir, "lessor")
		cmd := exec.Command("go", "build", "-o", buildBin, "./cmd/lessor")
		cmd.Dir = root
		if out, err := cmd.CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("go build ./cmd/lessor: %w\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return buildBin
}

func repoRoot() (string, error) {
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w", err)
	}
	mod := strings.TrimSpace(string(out))
	if mod == "" || mod == os.DevNull {
		return "", errors.New("not inside the lessor module")
	}
	return filepath.Dir(mod), nil
}

// Options describe the configuration written by WriteConfig.
type Options struct {
	Dir         string // folder for sockets, lease files and the config
	V4, V6      bool   // which sections to write
	LFCInterval int    // lfc-interval of both lease databases (0 = none)
	LeaseDir    string // folder for the lease files ("" = Dir)
	Durable     bool   // lessor option durable (fsync before answering)
	SocketMode  string // lessor option socket-mode ("" = default 0600)
}

// Paths of the files a configuration names.
type Paths struct {
	Config         string
	Sock4, Sock6   string
	Leases4        string
	Leases6        string
	ServerLogFile  string
	configTemplate Options
}

// WriteConfig writes a Kea configuration for the families asked for, with
// subnet 10.0.0.0/8 (id 1) and 2001:db8::/32 (id 1).
func WriteConfig(o Options) (Paths, error) {
	ld := o.LeaseDir
	if ld == "" {
		ld = o.Dir
	}
	p := Paths{
		Config:        filepath.Join(o.Dir, "lessor.conf"),
		Sock4:         filepath.Join(o.Dir, "ctl4.sock"),
		Sock6:         filepath.Join(o.Dir, "ctl6.sock"),
		Leases4:       filepath.Join(ld, "leases4.csv"),
		Leases6:       filepath.Join(ld, "leases6.csv"),
		ServerLogFile: filepath.Join(o.Dir, "lessor.log"),
	}
	if !o.V4 {
		p.Sock4, p.Leases4 = "", ""
	}
	if !o.V6 {
		p.Sock6, p.Leases6 = "", ""
	}
	p.configTemplate = o
	return p, p.Rewrite(o.LFCInterval)
}

// Rewrite writes the configuration again with another lfc-interval (a
// changed lease-database makes a reload reopen the lease store).
func (p Paths) Rewrite(lfc int) error {
	db := func(name string) map[string]any {
		m := map[string]any{"type": "memfile", "name": name}
		if lfc > 0 {
			m["lfc-interval"] = lfc
		}
		return m
	}
	cfg := map[string]any{}
	opts := map[string]any{}
	if p.configTemplate.Durable {
		opts["durable"] = true
	}
	if p.configTemplate.SocketMode != "" {
		opts["socket-mode"] = p.configTemplate.SocketMode
	}
	if p.configTemplate.V4 {
		cfg["Dhcp4"] = map[string]any{
			"interfaces-config": map[string]any{"interfaces": []any{}},
			"control-socket":    map[string]any{"socket-type": "unix", "socket-name": p.Sock4},
			"lease-database":    db(p.Leases4),
			"valid-lifetime":    86400,
			"subnet4":           []any{map[string]any{"id": 1, "subnet": "10.0.0.0/8"}},
		}
		if len(opts) > 0 {
			cfg["Dhcp4"].(map[string]any)["user-context"] = map[string]any{"lessor": opts}
		}
	}
	if p.configTemplate.V6 {
		cfg["Dhcp6"] = map[string]any{
			"interfaces-config":  map[string]any{"interfaces": []any{}},
			"control-socket":     map[string]any{"socket-type": "unix", "socket-name": p.Sock6},
			"lease-database":     db(p.Leases6),
			"preferred-lifetime": 43200,
			"valid-lifetime":     86400,
			"subnet6":            []any{map[string]any{"id": 1, "subnet": "2001:db8::/32"}},
		}
		if len(opts) > 0 {
			cfg["Dhcp6"].(map[string]any)["user-context"] = map[string]any{"lessor": opts}
		}
	}
	b, err := json.MarshalIndent(cfg, "", "  ")
	if err != nil {
		return err
	}
	tmp := p.Config + ".tmp"
	if err := os.WriteFile(tmp, b, 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, p.Config)
}

// Proc is a running lessor.
type Proc struct {
	Paths
	cmd  *exec.Cmd
	done chan struct{}
	err  error // Wait's result, once done is closed
}

// Start runs bin -c p.Config (stderr appended to p.ServerLogFile) and
// waits until every configured socket answers list-commands.
func Start(ctx context.Context, bin string, p Paths) (*Proc, error) {
	logf, err := os.OpenFile(p.ServerLogFile, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, err
	}
	defer logf.Close()
	cmd := exec.Command(bin, "-c", p.Config)
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	pr := &Proc{Paths: p, cmd: cmd, done: make(chan struct{})}
	go func() { pr.err = cmd.Wait(); close(pr.done) }()
	deadline := time.Now().Add(60 * time.Second)
	for _, sock := range []string{p.Sock4, p.Sock6} {
		if sock == "" {
			continue
		}
		for {
			select {
			case <-pr.done:
				return nil, fmt.Errorf("lessor exited while starting: %v (log %s)", pr.err, p.ServerLogFile)
			default:
			}
			cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
			a, err := Do(cctx, sock, []byte(`{"command":"list-commands"}`))
			cancel()
			if err == nil && a.Result == 0 {
				break
			}
			if time.Now().After(deadline) || ctx.Err() != nil {
				pr.Kill()
				return nil, fmt.Errorf("lessor does not answer on %s: %v", sock, err)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	return pr, nil
}

// Pid is the process id.
func (p *Proc) Pid() int { return p.cmd.Process.Pid }

// Alive reports whether the process still runs.
func (p *Proc) Alive() bool {
	select {
	case <-p.done:
		return false
	default:
		return true
	}
}

// Signal sends sig.
func (p *Proc) Signal(sig syscall.Signal) error { return p.cmd.Process.Signal(sig) }

// Kill sends SIGKILL and waits for the process to be gone.
func (p *Proc) Kill() {
	_ = p.cmd.Process.Signal(syscall.SIGKILL)
	<-p.done
}

// Stop sends SIGTERM and waits (SIGKILL after 20 s).
func (p *Proc) Stop() {
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(20 * time.Second):
		p.Kill()
	}
}

// Answer is a control channel answer.
type Answer struct {
	Result    int             `json:"result"`
	Text      string          `json:"text"`
	Arguments json.RawMessage `json:"arguments"`
	Raw       []byte          `json:"-"`
}

// ErrNoAnswer is returned when the connection closed without an answer.
var ErrNoAnswer = errors.New("connection closed without an answer")

// Do sends one command and reads the answer.
func Do(ctx context.Context, sock string, cmd []byte) (*Answer, error) {
	raw, err := DoRaw(ctx, sock, cmd)
	if err != nil {
		return nil, err
	}
	var a Answer
	if err := json.Unmarshal(raw, &a); err != nil {
		return nil, fmt.Errorf("answer is not JSON (%w): %.200q", err, raw)
	}
	a.Raw = raw
	return &a, nil
}

// DoRaw sends one command and returns the answer bytes.
func DoRaw(ctx context.Context, sock string, cmd []byte) ([]byte, error) {
	var d net.Dialer
	c, err := d.DialContext(ctx, "unix", sock)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	if dl, ok := ctx.Deadline(); ok {
		c.SetDeadline(dl)
	}
	stop := context.AfterFunc(ctx, func() { c.SetDeadline(time.Unix(1, 0)) })
	defer stop()
	if _, err := c.Write(cmd); err != nil {
		return nil, fmt.Errorf("write: %w", err)
	}
	var buf bytes.Buffer
	if _, err := buf.ReadFrom(c); err != nil {
		return nil, fmt.Errorf("read: %w", err)
	}
	if buf.Len() == 0 {
		return nil, ErrNoAnswer
	}
	return buf.Bytes(), nil
}

// Command encodes {"command": name, "arguments": args}.
func Command(name string, args any) []byte {
	m := map[string]any{"command": name}
	if args != nil {
		m["arguments"] = args
	}
	b, err := json.Marshal(m)
	if err != nil {
		panic(err)
	}
	return b
}
