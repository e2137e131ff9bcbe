package sqltest

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lessor-dhcp/lessor/internal/kjson"
	"github.com/lessor-dhcp/lessor/lease"
	"github.com/lessor-dhcp/lessor/store"
)

// Kea is a running Kea 2.2 server (kea-dhcp4 or kea-dhcp6 with the
// lease_cmds hook) whose lease database is a test database.
type Kea struct {
	t    testing.TB
	sock string
	cmd  *exec.Cmd
	log  string
}

const leaseCmdsHook = "/usr/lib/x86_64-linux-gnu/kea/hooks/libdhcp_lease_cmds.so"

// StartKea starts Kea on the database of cfg, or skips the test when Kea
// 2.2 is not installed. It is stopped at cleanup.
func StartKea(t testing.TB, family int, cfg store.Config) *Kea {
	t.Helper()
	bin := fmt.Sprintf("/usr/sbin/kea-dhcp%d", family)
	for _, f := range []string{bin, leaseCmdsHook} {
		if _, err := os.Stat(f); err != nil {
			t.Skipf("Kea 2.2 not installed (%s): %v", f, err)
		}
	}
	dir, err := os.MkdirTemp("", "lessor-kea")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	sock := filepath.Join(dir, "kea.sock")
	db := map[string]any{"type": cfg.Type, "name": cfg.Name, "host": cfg.Host, "port": cfg.Port, "user": cfg.User}
	if cfg.Password != "" {
		db["password"] = cfg.Password
	}
	subnets := []any{
		map[string]any{"id": 1, "subnet": "192.0.2.0/24"},
		map[string]any{"id": 2, "subnet": "10.0.0.0/8"},
	}
	if family == 6 {
		subnets = []any{
			map[string]any{"id": 1, "subnet": "2001:db8::/64"},
			map[string]any{"id": 2, "subnet": "2001:db8:1::/48"},
		}
	}
	top := fmt.Sprintf("Dhcp%d", family)
	section := map[string]any{
		"interfaces-config":             map[string]any{"interfaces": []any{}},
		"control-socket":                map[string]any{"socket-type": "unix", "socket-name": sock},
		"lease-database":                db,
		"hooks-libraries":               []any{map[string]any{"library": leaseCmdsHook}},
		fmt.Sprintf("subnet%d", family): subnets,
		"loggers": []any{map[string]any{"name": fmt.Sprintf("kea-dhcp%d", family),
			"output_options": []any{map[string]any{"output": filepath.Join(dir, "kea.log")}}, "severity": "INFO"}},
	}
	if family == 6 {
		section["data-directory"] = dir
	}
	conf := map[string]any{top: section}
	data, _ := json.Marshal(conf)
	confPath := filepath.Join(dir, "kea.json")
	if err := os.WriteFile(confPath, data, 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "-c", confPath)
	cmd.Env = append(os.Environ(), "KEA_PIDFILE_DIR="+dir, "KEA_LOCKFILE_DIR="+dir)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	k := &Kea{t: t, sock: sock, cmd: cmd, log: filepath.Join(dir, "kea.log")}
	t.Cleanup(func() {
		cmd.Process.Signal(os.Interrupt)
		done := make(chan struct{})
		go func() { cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			cmd.Process.Kill()
			<-done
		}
	})
	for i := 0; i < 100; i++ {
		if c, err := net.Dial("unix", sock); err == nil {
			c.Close()
			return k
		}
		if cmd.ProcessState != nil {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	logText, _ := os.ReadFile(k.log)
	t.Fatalf("Kea did not start:\n%s\n%s", out.String(), logText)
	return nil
}

// Command sends a command and returns Kea's answer.
func (k *Kea) Command(text string) *kjson.Element {
	k.t.Helper()
	c, err := net.Dial("unix", k.sock)
	if err != nil {
		k.t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(20 * time.Second))
	if _, err := c.Write([]byte(text)); err != nil {
		k.t.Fatal(err)
	}
	var buf []byte
	tmp := make([]byte, 65536)
	for {
		n, err := c.Read(tmp)
		buf = append(buf, tmp[:n]...)
		if e, perr := kjson.ParseWire(buf); perr == nil {
			return e
		}
		if err != nil {
			k.t.Fatalf("reading Kea's answer to %s: %v (got %q)", text, err, buf)
		}
	}
}

// MustSucceed sends a command and fails the test unless the result is 0
// (or 3, "empty", when allowEmpty).
func (k *Kea) MustSucceed(text string) *kjson.Element {
	k.t.Helper()
	ans := k.Command(text)
	if r := ans.Get("result"); r == nil || r.I != 0 {
		k.t.Fatalf("Kea: %s -> %s", text, ans.Str())
	}
	return ans
}

func hexBytes(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.ReplaceAll(s, ":", ""))
	if err != nil {
		t.Fatalf("bad hex %q", s)
	}
	return b
}

// FromElement4 builds the lease that a Kea lease4 element describes.
func FromElement4(t testing.TB, e *kjson.Element) *lease.Lease4 {
	l := &lease.Lease4{
		Addr:     netip.MustParseAddr(e.Get("ip-address").S),
		HWAddr:   hexBytes(t, e.Get("hw-address").S),
		HWType:   lease.HTypeEther,
		ValidLft: uint32(e.Get("valid-lft").I),
		CLTT:     e.Get("cltt").I,
		SubnetID: uint32(e.Get("subnet-id").I),
		FqdnFwd:  e.Get("fqdn-fwd").B,
		FqdnRev:  e.Get("fqdn-rev").B,
		Hostname: e.Get("hostname").S,
		State:    lease.State(e.Get("state").I),
	}
	if len(l.HWAddr) == 0 {
		l.HWAddr = nil
	}
	if c := e.Get("client-id"); c != nil {
		l.ClientID = hexBytes(t, c.S)
	}
	if u := e.Get("user-context"); u != nil {
		l.UserContext = u.Copy()
	}
	return l
}

// FromElement6 builds the lease that a Kea lease6 element describes (a
// hardware address gets Kea's lease6-add type and source: 1 and 0).
func FromElement6(t testing.TB, e *kjson.Element) *lease.Lease6 {
	types := map[string]lease.Type{"IA_NA": lease.TypeNA, "IA_TA": lease.TypeTA, "IA_PD": lease.TypePD}
	l := &lease.Lease6{
		Addr:         netip.MustParseAddr(e.Get("ip-address").S),
		Type:         types[e.Get("type").S],
		PrefixLen:    128,
		IAID:         uint32(e.Get("iaid").I),
		DUID:         hexBytes(t, e.Get("duid").S),
		PreferredLft: uint32(e.Get("preferred-lft").I),
		ValidLft:     uint32(e.Get("valid-lft").I),
		CLTT:         e.Get("cltt").I,
		SubnetID:     uint32(e.Get("subnet-id").I),
		FqdnFwd:      e.Get("fqdn-fwd").B,
		FqdnRev:      e.Get("fqdn-rev").B,
		Hostname:     e.Get("hostname").S,
		State:        lease.State(e.Get("state").I),
	}
	if p := e.Get("prefix-len"); p != nil {
		l.PrefixLen = uint8(p.I)
	}
	if h := e.Get("hw-address"); h != nil {
		l.HWAddr, l.HWType = hexBytes(t, h.S), lease.HTypeEther
	}
	if u := e.Get("user-context"); u != nil {
		l.UserContext = u.Copy()
	}
	return l
}
