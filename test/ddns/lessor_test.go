package ddns_test

// End-to-end tests of DNS updates through the lessor binary: lessor is
// started with a dual-stack configuration file (Dhcp4 and Dhcp6, each with
// its own control socket and dhcp-ddns map) and driven through its control
// sockets, as an operator would. Requests go through the real
// kea-dhcp-ddns into a real BIND, or, for the byte comparison, to a UDP
// socket the test reads, next to the real kea-dhcp4/kea-dhcp6 given the
// same configuration sections and the same commands.

import (
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/lessor-dhcp/lessor/internal/ddns"
	"github.com/lessor-dhcp/lessor/internal/kjson"
	"github.com/lessor-dhcp/lessor/lease"
	"github.com/lessor-dhcp/lessor/test/ddns/harness"
)

// Paths of Kea's servers and its lease_cmds hook (the hook entry is
// accepted by lessor too, so both read the same sections).
const (
	kea4Path      = "/usr/sbin/kea-dhcp4"
	kea6Path      = "/usr/sbin/kea-dhcp6"
	leaseCmdsHook = "/usr/lib/x86_64-linux-gnu/kea/hooks/libdhcp_lease_cmds.so"
)

// answerBound is the liveness bound on a command's answer while
// kea-dhcp-ddns is down: lessor must never wait on DNS.
const answerBound = 2 * time.Second

var (
	buildOnce sync.Once
	buildDir  string
	buildBin  string
	buildErr  error
)

func TestMain(m *testing.M) {
	code := m.Run()
	if buildDir != "" {
		os.RemoveAll(buildDir)
	}
	os.Exit(code)
}

// lessorBinary returns the lessor binary: $LESSOR_BIN when set, else one
// built once from this module.
func lessorBinary(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("LESSOR_BIN"); p != "" {
		return p
	}
	buildOnce.Do(func() {
		buildDir, buildErr = os.MkdirTemp("", "lessor-bin")
		if buildErr != nil {
			return
		}
		buildBin = filepath.Join(buildDir, "lessor")
		gobin := filepath.Join(runtime.GOROOT(), "bin", "go")
		if _, err := os.Stat(gobin); err != nil {
			gobin = "go"
		}
		out, err := exec.Command(gobin, "build", "-o", buildBin, "github.com/lessor-dhcp/lessor/cmd/lessor").CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build ./cmd/lessor: %w\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return buildBin
}

// requireKea skips the test when Kea's servers or its hook are missing.
func requireKea(t *testing.T) {
	t.Helper()
	for _, p := range []string{kea4Path, kea6Path, leaseCmdsHook} {
		if _, err := os.Stat(p); err != nil {
			t.Skipf("%s is not installed (Debian packages kea-dhcp4-server, kea-dhcp6-server): skipping the comparison with Kea", p)
		}
	}
}

// daemon is a process the test started; it is killed when the test ends
// and its output is shown if the test failed.
type daemon struct {
	name string
	cmd  *exec.Cmd
	out  string
	done chan struct{}
}

func (d *daemon) log() string {
	b, _ := os.ReadFile(d.out)
	return string(b)
}

// startDaemon runs bin with args and waits until every control socket in
// socks accepts connections.
func startDaemon(t *testing.T, name, dir, bin string, args []string, socks ...string) *daemon {
	t.Helper()
	d := &daemon{name: name, out: filepath.Join(dir, name+".out"), done: make(chan struct{})}
	out, err := os.Create(d.out)
	if err != nil {
		t.Fatal(err)
	}
	d.cmd = exec.Command(bin, args...)
	d.cmd.Env = append(os.Environ(), "KEA_PIDFILE_DIR="+dir, "KEA_LOCKFILE_DIR="+dir)
	d.cmd.Stdout, d.cmd.Stderr = out, out
	if err := d.cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", name, err)
	}
	go func() { d.cmd.Wait(); out.Close(); close(d.done) }()
	t.Cleanup(func() {
		d.cmd.Process.Kill()
		<-d.done
		if t.Failed() {
			t.Logf("%s output:\n%s", name, d.log())
		}
	})
	deadline := time.Now().Add(15 * time.Second)
	for _, s := range socks {
		for {
			c, err := net.Dial("unix", s)
			if err == nil {
				c.Close()
				break
			}
			select {
			case <-d.done:
				t.Fatalf("%s exited:\n%s", name, d.log())
			default:
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s did not open %s:\n%s", name, s, d.log())
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	return d
}

// answer is a command's answer: the bytes as sent and their parse.
type answer struct {
	raw string
	e   *kjson.Element
}

func (a answer) result() int64 { return a.e.Get("result").I }
func (a answer) text() string  { return a.e.Get("text").S }

// command sends one command on a control socket.
func command(t *testing.T, sock, text string) answer {
	t.Helper()
	c, err := net.Dial("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.WriteString(c, text); err != nil {
		t.Fatal(err)
	}
	var buf []byte
	b := make([]byte, 4096)
	for {
		n, err := c.Read(b)
		buf = append(buf, b[:n]...)
		if e, perr := kjson.ParseString(buf); perr == nil {
			return answer{string(buf), e}
		}
		if err != nil {
			t.Fatalf("answer to %s: %q (%v)", text, buf, err)
		}
	}
}

// mustSucceed sends a command whose answer must be result 0.
func mustSucceed(t *testing.T, sock, text string) answer {
	t.Helper()
	a := command(t, sock, text)
	if a.result() != 0 {
		t.Fatalf("%s: %s", text, a.raw)
	}
	return a
}

// Configuration sections shared by lessor and Kea. Subnet 1 uses the
// global ddns-use-conflict-resolution (true); the shared network turns it
// off for its subnet 2, and its subnet 3 turns it back on.
const section4 = `{
  "interfaces-config": {"interfaces": []},
  "control-socket": {"socket-type": "unix", "socket-name": %q},
  "lease-database": {"type": "memfile", "persist": false},
  "hooks-libraries": [{"library": %q}],
  "dhcp-ddns": %s,
  "valid-lifetime": 3600,
  "shared-networks": [{
    "name": "no-conflict-resolution",
    "ddns-use-conflict-resolution": false,
    "subnet4": [
      {"id": 2, "subnet": "198.51.100.0/24"},
      {"id": 3, "subnet": "203.0.113.0/24", "ddns-use-conflict-resolution": true}
    ]
  }],
  "subnet4": [{"id": 1, "subnet": "192.0.2.0/24"}]
}`

const section6 = `{
  "interfaces-config": {"interfaces": []},
  "control-socket": {"socket-type": "unix", "socket-name": %q},
  "lease-database": {"type": "memfile", "persist": false},
  "hooks-libraries": [{"library": %q}],
  "server-id": {"type": "EN", "enterprise-id": 2495, "identifier": "0102", "persist": false},
  "dhcp-ddns": %s,
  "valid-lifetime": 3600,
  "preferred-lifetime": 1800,
  "shared-networks": [{
    "name": "no-conflict-resolution",
    "ddns-use-conflict-resolution": false,
    "subnet6": [
      {"id": 2, "subnet": "2001:db8:2::/64"},
      {"id": 3, "subnet": "2001:db8:3::/64", "ddns-use-conflict-resolution": true}
    ]
  }],
  "subnet6": [{"id": 1, "subnet": "2001:db8:1::/64", "pd-pools": [{"prefix": "2001:db8:8::", "prefix-len": 48, "delegated-len": 56}]}]
}`

// ddnsMap is a dhcp-ddns map sending to 127.0.0.1:port.
func ddnsMap(enabled bool, port int) string {
	return fmt.Sprintf(`{"enable-updates": %t, "server-ip": "127.0.0.1", "server-port": %d}`, enabled, port)
}

// server is lessor or Kea as the tests drive it.
type server struct {
	sock4, sock6 string
	proc         *daemon
}

// startLessor runs the lessor binary on one dual-stack configuration file.
func startLessor(t *testing.T, ddns4, ddns6 string) *server {
	t.Helper()
	bin := lessorBinary(t)
	dir := shortTempDir(t, "lessor-e2e")
	s := &server{sock4: filepath.Join(dir, "ctl4.sock"), sock6: filepath.Join(dir, "ctl6.sock")}
	conf := fmt.Sprintf("{\n\"Dhcp4\": %s,\n\"Dhcp6\": %s\n}\n",
		fmt.Sprintf(section4, s.sock4, leaseCmdsHook, ddns4),
		fmt.Sprintf(section6, s.sock6, leaseCmdsHook, ddns6))
	path := filepath.Join(dir, "lessor.conf")
	if err := os.WriteFile(path, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	s.proc = startDaemon(t, "lessor", dir, bin, []string{"-c", path}, s.sock4, s.sock6)
	return s
}

// startKea runs kea-dhcp4 or kea-dhcp6 on the same section lessor reads
// (Kea 2.2 takes one server section per file).
func startKea(t *testing.T, family int, ddnsMap string) *server {
	t.Helper()
	requireKea(t)
	dir := shortTempDir(t, "kea-e2e")
	s := &server{}
	var conf, bin, sock string
	if family == 4 {
		s.sock4 = filepath.Join(dir, "ctl4.sock")
		sock, bin = s.sock4, kea4Path
		conf = fmt.Sprintf("{\"Dhcp4\": %s}\n", fmt.Sprintf(section4, sock, leaseCmdsHook, ddnsMap))
	} else {
		s.sock6 = filepath.Join(dir, "ctl6.sock")
		sock, bin = s.sock6, kea6Path
		conf = fmt.Sprintf("{\"Dhcp6\": %s}\n", fmt.Sprintf(section6, sock, leaseCmdsHook, ddnsMap))
	}
	path := filepath.Join(dir, "kea.conf")
	if err := os.WriteFile(path, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	s.proc = startDaemon(t, fmt.Sprintf("kea-dhcp%d", family), dir, bin, []string{"-c", path}, sock)
	return s
}

func (s *server) sock(family int) string {
	if family == 4 {
		return s.sock4
	}
	return s.sock6
}

// shortTempDir is a temporary directory with a short path (UNIX socket
// paths are limited to 108 bytes), removed when the test passed.
func shortTempDir(t *testing.T, prefix string) string {
	t.Helper()
	dir, err := os.MkdirTemp("", prefix)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if !t.Failed() {
			os.RemoveAll(dir)
		}
	})
	return dir
}

func rev(t *testing.T, addr string) string {
	t.Helper()
	r, err := dns.ReverseAddr(addr)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// timed sends a command and fails the test when lessor takes longer than
// answerBound to answer.
func timed(t *testing.T, sock, text string) answer {
	t.Helper()
	start := time.Now()
	a := command(t, sock, text)
	d := time.Since(start)
	if d > answerBound {
		t.Errorf("%s took %v (bound %v)", text, d, answerBound)
	}
	t.Logf("answered in %v: %s", d.Round(time.Microsecond), text)
	return a
}

func wantAnswer(t *testing.T, a answer, result int64, text string) {
	t.Helper()
	if a.result() != result || a.text() != text {
		t.Errorf("answer %s, want result %d text %q", a.raw, result, text)
	}
}

// dhcid4 is the DHCID record data lessor's lease should give, computed
// from the lease as lessor reports it.
func dhcid4(t *testing.T, sock, addr string) string {
	t.Helper()
	e := mustSucceed(t, sock, `{"command": "lease4-get", "arguments": {"ip-address": "`+addr+`"}}`).e.Get("arguments")
	l := &lease.Lease4{
		Addr: netip.MustParseAddr(addr), HWAddr: hexBytes(t, e.Get("hw-address")), HWType: lease.HTypeEther,
		ClientID: hexBytes(t, e.Get("client-id")), Hostname: e.Get("hostname").S,
		FqdnFwd: e.Get("fqdn-fwd").B, FqdnRev: e.Get("fqdn-rev").B, ValidLft: uint32(e.Get("valid-lft").I), CLTT: e.Get("cltt").I,
	}
	n, err := ddns.NewNCR4(l, ddns.ChangeAdd, ddns.DefaultParams())
	if err != nil {
		t.Fatal(err)
	}
	return dhcidBase64(n)
}

func dhcid6(t *testing.T, sock, addr string) string {
	t.Helper()
	e := mustSucceed(t, sock, `{"command": "lease6-get", "arguments": {"ip-address": "`+addr+`"}}`).e.Get("arguments")
	l := &lease.Lease6{
		Addr: netip.MustParseAddr(addr), Type: lease.TypeNA, DUID: hexBytes(t, e.Get("duid")), IAID: uint32(e.Get("iaid").I),
		Hostname: e.Get("hostname").S, FqdnFwd: e.Get("fqdn-fwd").B, FqdnRev: e.Get("fqdn-rev").B,
		ValidLft: uint32(e.Get("valid-lft").I), CLTT: e.Get("cltt").I,
	}
	n, err := ddns.NewNCR6(l, ddns.ChangeAdd, ddns.DefaultParams())
	if err != nil {
		t.Fatal(err)
	}
	return dhcidBase64(n)
}

func hexBytes(t *testing.T, e *kjson.Element) []byte {
	t.Helper()
	if e == nil || e.S == "" {
		return nil
	}
	var out []byte
	for _, part := range strings.Split(e.S, ":") {
		var b byte
		if _, err := fmt.Sscanf(part, "%02x", &b); err != nil {
			t.Fatalf("hex %q: %v", e.S, err)
		}
		out = append(out, b)
	}
	return out
}

// TestLessorUpdatesDNS: leases added through lessor's control sockets get
// their A/AAAA and PTR records from lease*-resend-ddns, through the real
// kea-dhcp-ddns into BIND, and lose them on lease*-del with update-ddns.
// Whether kea-dhcp-ddns may take a name from another client follows each
// subnet's ddns-use-conflict-resolution (subnet, shared network, global).
func TestLessorUpdatesDNS(t *testing.T) {
	stack := harness.StartStack(t)
	bind := stack.BIND
	l := startLessor(t, stack.DhcpDdnsConfig(), stack.DhcpDdnsConfig())

	t.Run("v4", func(t *testing.T) {
		mustSucceed(t, l.sock4, `{"command": "lease4-add", "arguments": {"ip-address": "192.0.2.50", "hw-address": "00:00:5e:00:53:50", "hostname": "lessor4.example.com", "fqdn-fwd": true, "fqdn-rev": true}}`)
		time.Sleep(300 * time.Millisecond)
		bind.WaitFor(t, "lessor4.example.com.", dns.TypeA, "", time.Second) // lease4-add alone updates nothing

		a := command(t, l.sock4, `{"command": "lease4-resend-ddns", "arguments": {"ip-address": "192.0.2.50"}}`)
		wantAnswer(t, a, 0, "NCR generated for: 192.0.2.50, hostname: lessor4.example.com")
		bind.WaitFor(t, "lessor4.example.com.", dns.TypeA, "192.0.2.50", settle)
		bind.WaitFor(t, rev(t, "192.0.2.50"), dns.TypePTR, "lessor4.example.com.", settle)
		bind.WaitFor(t, "lessor4.example.com.", dns.TypeDHCID, dhcid4(t, l.sock4, "192.0.2.50"), settle)

		a = command(t, l.sock4, `{"command": "lease4-del", "arguments": {"ip-address": "192.0.2.50", "update-ddns": true}}`)
		wantAnswer(t, a, 0, "IPv4 lease deleted.")
		bind.WaitFor(t, "lessor4.example.com.", dns.TypeA, "", settle)
		bind.WaitFor(t, "lessor4.example.com.", dns.TypeDHCID, "", settle)
		bind.WaitFor(t, rev(t, "192.0.2.50"), dns.TypePTR, "", settle)
	})

	// The name is held by a lease of subnet 1 (conflict resolution on).
	// A client of subnet 3 (on again by its own setting) cannot take it;
	// a client of subnet 2 (off, inherited from the shared network) can:
	// kea-dhcp-ddns replaces the records only when lessor's request says
	// use-conflict-resolution false.
	t.Run("v4 conflict resolution per subnet", func(t *testing.T) {
		mustSucceed(t, l.sock4, `{"command": "lease4-add", "arguments": {"ip-address": "192.0.2.61", "hw-address": "00:00:5e:00:53:61", "hostname": "taken.example.com", "fqdn-fwd": true, "fqdn-rev": true}}`)
		mustSucceed(t, l.sock4, `{"command": "lease4-resend-ddns", "arguments": {"ip-address": "192.0.2.61"}}`)
		bind.WaitFor(t, "taken.example.com.", dns.TypeA, "192.0.2.61", settle)

		mustSucceed(t, l.sock4, `{"command": "lease4-add", "arguments": {"ip-address": "203.0.113.61", "hw-address": "00:00:5e:00:53:62", "hostname": "taken.example.com", "fqdn-fwd": true, "fqdn-rev": false}}`)
		mustSucceed(t, l.sock4, `{"command": "lease4-resend-ddns", "arguments": {"ip-address": "203.0.113.61"}}`)
		time.Sleep(time.Second) // kea-dhcp-ddns tries and gives up
		bind.WaitFor(t, "taken.example.com.", dns.TypeA, "192.0.2.61", settle)

		mustSucceed(t, l.sock4, `{"command": "lease4-add", "arguments": {"ip-address": "198.51.100.60", "hw-address": "00:00:5e:00:53:63", "hostname": "taken.example.com", "fqdn-fwd": true, "fqdn-rev": true}}`)
		mustSucceed(t, l.sock4, `{"command": "lease4-resend-ddns", "arguments": {"ip-address": "198.51.100.60"}}`)
		bind.WaitFor(t, "taken.example.com.", dns.TypeA, "198.51.100.60", settle)
		bind.WaitFor(t, rev(t, "198.51.100.60"), dns.TypePTR, "taken.example.com.", settle)

		mustSucceed(t, l.sock4, `{"command": "lease4-del", "arguments": {"ip-address": "198.51.100.60", "update-ddns": true}}`)
		bind.WaitFor(t, "taken.example.com.", dns.TypeA, "", settle)
		bind.WaitFor(t, rev(t, "198.51.100.60"), dns.TypePTR, "", settle)
	})

	t.Run("v6", func(t *testing.T) {
		mustSucceed(t, l.sock6, `{"command": "lease6-add", "arguments": {"ip-address": "2001:db8:1::50", "duid": "00:03:00:01:00:00:5e:00:53:50", "iaid": 1, "hostname": "lessor6.example.com", "fqdn-fwd": true, "fqdn-rev": true}}`)
		a := command(t, l.sock6, `{"command": "lease6-resend-ddns", "arguments": {"ip-address": "2001:db8:1::50"}}`)
		wantAnswer(t, a, 0, "NCR generated for: 2001:db8:1::50, hostname: lessor6.example.com")
		bind.WaitFor(t, "lessor6.example.com.", dns.TypeAAAA, "2001:db8:1::50", settle)
		bind.WaitFor(t, rev(t, "2001:db8:1::50"), dns.TypePTR, "lessor6.example.com.", settle)
		bind.WaitFor(t, "lessor6.example.com.", dns.TypeDHCID, dhcid6(t, l.sock6, "2001:db8:1::50"), settle)

		a = command(t, l.sock6, `{"command": "lease6-del", "arguments": {"ip-address": "2001:db8:1::50", "update-ddns": true}}`)
		wantAnswer(t, a, 0, "IPv6 lease deleted.")
		bind.WaitFor(t, "lessor6.example.com.", dns.TypeAAAA, "", settle)
		bind.WaitFor(t, "lessor6.example.com.", dns.TypeDHCID, "", settle)
		bind.WaitFor(t, rev(t, "2001:db8:1::50"), dns.TypePTR, "", settle)
	})
}

// TestLessorQueuesWhileD2Down: with kea-dhcp-ddns not running, the
// commands still answer at once and their requests wait in lessor's
// queue; when kea-dhcp-ddns starts they are delivered and DNS follows,
// removals included, in order.
func TestLessorQueuesWhileD2Down(t *testing.T) {
	harness.Require(t)
	bind := harness.StartBIND(t, harness.DefaultZones())
	port := harness.FreeUDPPort(t)
	m := ddnsMap(true, port)
	l := startLessor(t, m, m)

	adds := []struct {
		sock, add, addr string
	}{
		{l.sock4, `{"command": "lease4-add", "arguments": {"ip-address": "192.0.2.70", "hw-address": "00:00:5e:00:53:70", "hostname": "down1.example.com", "fqdn-fwd": true, "fqdn-rev": true}}`, "192.0.2.70"},
		{l.sock4, `{"command": "lease4-add", "arguments": {"ip-address": "192.0.2.71", "client-id": "01:00:00:5e:00:53:71", "hw-address": "00:00:5e:00:53:71", "hostname": "down2.example.com", "fqdn-fwd": true, "fqdn-rev": true}}`, "192.0.2.71"},
		{l.sock4, `{"command": "lease4-add", "arguments": {"ip-address": "192.0.2.72", "hw-address": "00:00:5e:00:53:72", "hostname": "gone.example.com", "fqdn-fwd": true, "fqdn-rev": true}}`, "192.0.2.72"},
		{l.sock6, `{"command": "lease6-add", "arguments": {"ip-address": "2001:db8:1::70", "duid": "00:03:00:01:00:00:5e:00:53:70", "iaid": 7, "hostname": "down6.example.com", "fqdn-fwd": true, "fqdn-rev": true}}`, "2001:db8:1::70"},
	}
	for _, a := range adds {
		mustSucceed(t, a.sock, a.add)
		cmd := "lease4-resend-ddns"
		if a.sock == l.sock6 {
			cmd = "lease6-resend-ddns"
		}
		ans := timed(t, a.sock, `{"command": "`+cmd+`", "arguments": {"ip-address": "`+a.addr+`"}}`)
		if ans.result() != 0 {
			t.Fatalf("%s %s: %s", cmd, a.addr, ans.raw)
		}
	}
	// Added then removed while kea-dhcp-ddns is down: the remove follows
	// the add in the queue, so the name ends up absent.
	ans := timed(t, l.sock4, `{"command": "lease4-del", "arguments": {"ip-address": "192.0.2.72", "update-ddns": true}}`)
	wantAnswer(t, ans, 0, "IPv4 lease deleted.")
	// Give the senders time to see that nobody listens (and back off).
	time.Sleep(time.Second)
	for i := range 5 {
		timed(t, l.sock4, fmt.Sprintf(`{"command": "lease4-resend-ddns", "arguments": {"ip-address": "192.0.2.7%d"}}`, i%2))
	}
	if got, err := bind.Values("down1.example.com.", dns.TypeA); err != nil || len(got) != 0 {
		t.Fatalf("records before kea-dhcp-ddns runs: %q %v", got, err)
	}

	harness.StartD2(t, bind, port)
	const late = 30 * time.Second // covers the senders' back-off (10 s at most)
	bind.WaitFor(t, "down1.example.com.", dns.TypeA, "192.0.2.70", late)
	bind.WaitFor(t, rev(t, "192.0.2.70"), dns.TypePTR, "down1.example.com.", late)
	bind.WaitFor(t, "down2.example.com.", dns.TypeA, "192.0.2.71", late)
	bind.WaitFor(t, rev(t, "192.0.2.71"), dns.TypePTR, "down2.example.com.", late)
	bind.WaitFor(t, "down6.example.com.", dns.TypeAAAA, "2001:db8:1::70", late)
	bind.WaitFor(t, rev(t, "2001:db8:1::70"), dns.TypePTR, "down6.example.com.", late)
	bind.WaitFor(t, "gone.example.com.", dns.TypeA, "", late)
	bind.WaitFor(t, rev(t, "192.0.2.72"), dns.TypePTR, "", late)
}

// ncrSink is a UDP socket standing in for kea-dhcp-ddns.
type ncrSink struct {
	port int
	ch   chan []byte
}

func newSink(t *testing.T) *ncrSink {
	t.Helper()
	c, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	s := &ncrSink{port: c.LocalAddr().(*net.UDPAddr).Port, ch: make(chan []byte, 64)}
	go func() {
		buf := make([]byte, 65536)
		for {
			n, err := c.Read(buf)
			if err != nil {
				return
			}
			s.ch <- append([]byte(nil), buf[:n]...)
		}
	}()
	return s
}

// next returns the next datagram, or nil when none comes within wait.
func (s *ncrSink) next(wait time.Duration) []byte {
	select {
	case d := <-s.ch:
		return d
	case <-time.After(wait):
		return nil
	}
}

// wireCase is one lease and what the test sends for it.
type wireCase struct {
	name   string
	args   string // lease*-add arguments, without "expire"
	addr   string
	delArg string // extra lease*-del arguments
	sends  bool   // a DNS update is due (hostname, a flag, not a prefix)
}

// TestLessorMatchesKeaWire runs kea-dhcp4/kea-dhcp6 and lessor on the same
// configuration sections and the same leases (with an explicit "expire",
// so that both have the same cltt), sends both the same
// lease*-resend-ddns and lease*-del with update-ddns, and requires the
// same answers and the same datagrams, byte for byte.
func TestLessorMatchesKeaWire(t *testing.T) {
	requireKea(t)
	expire := time.Now().Unix() + 3600
	lessorSink := newSink(t)
	l := startLessor(t, ddnsMap(true, lessorSink.port), ddnsMap(true, lessorSink.port))

	v4 := []wireCase{
		{"hw-address", `"ip-address": "192.0.2.10", "hw-address": "1a:1b:1c:1d:1e:1f", "hostname": "host-a.example.com", "fqdn-fwd": true, "fqdn-rev": true, "valid-lft": 3600`, "192.0.2.10", "", true},
		{"client-id, forward only, short lifetime", `"ip-address": "192.0.2.11", "hw-address": "00:01:02:03:04:06", "client-id": "01:00:01:02:03:04:06", "hostname": "Mixed.Example.ORG.", "fqdn-fwd": true, "fqdn-rev": false, "valid-lft": 100`, "192.0.2.11", "", true},
		{"shared network, no conflict resolution", `"ip-address": "198.51.100.5", "hw-address": "00:01:02:03:04:07", "client-id": "ff:00:00:00:01:00:03:00:01:00:01:02:03:04:07", "hostname": "duid.example.net", "fqdn-fwd": false, "fqdn-rev": true, "valid-lft": 86400`, "198.51.100.5", "", true},
		{"shared network, subnet override", `"ip-address": "203.0.113.5", "hw-address": "00:01:02:03:04:08", "hostname": "override.example.com", "fqdn-fwd": true, "fqdn-rev": true, "valid-lft": 7200`, "203.0.113.5", "", true},
		{"no hostname", `"ip-address": "192.0.2.12", "hw-address": "00:01:02:03:04:09", "valid-lft": 3600`, "192.0.2.12", "", false},
		{"no flags", `"ip-address": "192.0.2.13", "hw-address": "00:01:02:03:04:0a", "hostname": "noflags.example.com", "valid-lft": 3600`, "192.0.2.13", "", false},
	}
	v6 := []wireCase{
		{"address", `"ip-address": "2001:db8:1::10", "duid": "00:03:00:01:1a:1b:1c:1d:1e:1f", "iaid": 1, "hostname": "v6host.example.com", "fqdn-fwd": true, "fqdn-rev": true, "valid-lft": 3600`, "2001:db8:1::10", "", true},
		{"shared network, no conflict resolution", `"ip-address": "2001:db8:2::abcd", "duid": "00:01:00:01:29:00:00:01:00:0c:01:02:03:04", "iaid": 7, "hostname": "Upper.Example.Com", "fqdn-fwd": true, "fqdn-rev": false, "valid-lft": 1000`, "2001:db8:2::abcd", "", true},
		{"shared network, subnet override", `"ip-address": "2001:db8:3::11", "duid": "00:02:00:00:09:bf:01", "iaid": 2, "hostname": "rev.example.com.", "fqdn-fwd": false, "fqdn-rev": true, "valid-lft": 90000`, "2001:db8:3::11", "", true},
		{"prefix", `"ip-address": "2001:db8:8:100::", "type": "IA_PD", "prefix-len": 56, "subnet-id": 1, "duid": "00:03:00:01:1a:1b:1c:1d:1e:20", "iaid": 3, "hostname": "pd.example.com", "fqdn-fwd": true, "fqdn-rev": true, "valid-lft": 3600`, "2001:db8:8:100::", `, "type": "IA_PD"`, false},
		{"no hostname", `"ip-address": "2001:db8:1::12", "duid": "00:03:00:01:1a:1b:1c:1d:1e:21", "iaid": 4, "valid-lft": 3600`, "2001:db8:1::12", "", false},
		{"no flags", `"ip-address": "2001:db8:1::13", "duid": "00:03:00:01:1a:1b:1c:1d:1e:22", "iaid": 5, "hostname": "noflags.example.com", "valid-lft": 3600`, "2001:db8:1::13", "", false},
	}
	for _, fam := range []struct {
		family int
		cases  []wireCase
		absent string // an address with no lease
	}{{4, v4, "192.0.2.99"}, {6, v6, "2001:db8:1::99"}} {
		t.Run(fmt.Sprintf("v%d", fam.family), func(t *testing.T) {
			keaSink := newSink(t)
			k := startKea(t, fam.family, ddnsMap(true, keaSink.port))
			pre := fmt.Sprintf("lease%d-", fam.family)
			both := func(text string) (kea, les answer) {
				return command(t, k.sock(fam.family), text), command(t, l.sock(fam.family), text)
			}
			datagrams := func(what string, due bool) {
				t.Helper()
				wait := 300 * time.Millisecond
				if due {
					wait = 5 * time.Second
				}
				kd, ld := keaSink.next(wait), lessorSink.next(wait)
				switch {
				case due && kd == nil:
					t.Errorf("%s: Kea sent no request", what)
				case string(kd) != string(ld):
					t.Errorf("%s: datagrams differ\n Kea    %q\n lessor %q", what, kd, ld)
				}
			}
			sameAnswer := func(what string, kea, les answer) {
				t.Helper()
				if kea.raw != les.raw {
					t.Errorf("%s: answers differ\n Kea    %s\n lessor %s", what, kea.raw, les.raw)
				}
			}
			for _, c := range fam.cases {
				t.Run(c.name, func(t *testing.T) {
					add := fmt.Sprintf(`{"command": "%sadd", "arguments": {%s, "expire": %d}}`, pre, c.args, expire)
					mustSucceed(t, k.sock(fam.family), add)
					mustSucceed(t, l.sock(fam.family), add)
					kea, les := both(`{"command": "` + pre + `resend-ddns", "arguments": {"ip-address": "` + c.addr + `"}}`)
					sameAnswer("resend-ddns", kea, les)
					datagrams("resend-ddns", c.sends)
					kea, les = both(`{"command": "` + pre + `del", "arguments": {"ip-address": "` + c.addr + `"` + c.delArg + `, "update-ddns": true}}`)
					sameAnswer("del", kea, les)
					datagrams("del with update-ddns", c.sends)
				})
			}
			kea, les := both(`{"command": "` + pre + `resend-ddns", "arguments": {"ip-address": "` + fam.absent + `"}}`)
			sameAnswer("resend-ddns without a lease", kea, les)
			if kea.result() != 3 {
				t.Errorf("Kea's answer without a lease: %s", kea.raw)
			}
			datagrams("nothing more", false)
		})
	}
}

// TestLessorResendAnswersMatchKea compares the answers of
// lease*-resend-ddns with Kea's for each outcome: updates disabled, bad
// arguments, no lease, no hostname, no fqdn flag, success.
func TestLessorResendAnswersMatchKea(t *testing.T) {
	requireKea(t)
	sink := newSink(t)
	for _, enabled := range []bool{false, true} {
		t.Run(fmt.Sprintf("enable-updates %t", enabled), func(t *testing.T) {
			m := ddnsMap(enabled, sink.port)
			l := startLessor(t, m, m)
			for _, fam := range []struct {
				family   int
				adds     []string
				commands []resendCase
			}{
				{4, []string{
					`{"ip-address": "192.0.2.20", "hw-address": "00:00:5e:00:53:20", "hostname": "ok.example.com", "fqdn-fwd": true, "fqdn-rev": false}`,
					`{"ip-address": "192.0.2.21", "hw-address": "00:00:5e:00:53:21"}`,
					`{"ip-address": "192.0.2.22", "hw-address": "00:00:5e:00:53:22", "hostname": "noflags.example.com"}`,
				}, []resendCase{
					{`{"ip-address": "192.0.2.20"}`, false, "NCR generated for: 192.0.2.20, hostname: ok.example.com"},
					{`{"ip-address": "192.0.2.21"}`, false, "Lease for: 192.0.2.21, has no hostname, nothing to update"},
					{`{"ip-address": "192.0.2.22"}`, false, "Neither forward nor reverse updates enabled for lease for: 192.0.2.22"},
					{`{"ip-address": "192.0.2.23"}`, false, "No lease found for: 192.0.2.23"},
					{`{"ip-address": "2001:db8:1::1"}`, true, "Invalid IPv4 address specified: 2001:db8:1::1"},
					{`{"ip-address": "bogus"}`, true, "'bogus' is not a valid IP address."},
					{`{"ip-address": 5}`, true, "'ip-address' is not a string."},
					{`{}`, true, "'ip-address' parameter is missing."},
				}},
				{6, []string{
					`{"ip-address": "2001:db8:1::20", "duid": "00:03:00:01:00:00:5e:00:53:20", "iaid": 1, "hostname": "ok.example.com", "fqdn-fwd": false, "fqdn-rev": true}`,
					`{"ip-address": "2001:db8:1::21", "duid": "00:03:00:01:00:00:5e:00:53:21", "iaid": 1}`,
					`{"ip-address": "2001:db8:1::22", "duid": "00:03:00:01:00:00:5e:00:53:22", "iaid": 1, "hostname": "noflags.example.com"}`,
				}, []resendCase{
					{`{"ip-address": "2001:db8:1::20"}`, false, "NCR generated for: 2001:db8:1::20, hostname: ok.example.com"},
					{`{"ip-address": "2001:db8:1::21"}`, false, "Lease for: 2001:db8:1::21, has no hostname, nothing to update"},
					{`{"ip-address": "2001:db8:1::22"}`, false, "Neither forward nor reverse updates enabled for lease for: 2001:db8:1::22"},
					{`{"ip-address": "2001:db8:1::23"}`, false, "No lease found for: 2001:db8:1::23"},
					{`{"ip-address": "192.0.2.1"}`, true, "Invalid IPv6 address specified: 192.0.2.1"},
					{`{"ip-address": "bogus"}`, true, "'bogus' is not a valid IP address."},
					{`{"ip-address": 5}`, true, "'ip-address' is not a string."},
					{`{}`, true, "'ip-address' parameter is missing."},
				}},
			} {
				k := startKea(t, fam.family, m)
				pre := fmt.Sprintf("lease%d-", fam.family)
				for _, a := range fam.adds {
					add := `{"command": "` + pre + `add", "arguments": ` + a + `}`
					mustSucceed(t, k.sock(fam.family), add)
					mustSucceed(t, l.sock(fam.family), add)
				}
				for _, c := range fam.commands {
					cmd := `{"command": "` + pre + `resend-ddns", "arguments": ` + c.args + `}`
					kea := command(t, k.sock(fam.family), cmd)
					les := command(t, l.sock(fam.family), cmd)
					if kea.raw != les.raw {
						t.Errorf("%s:\n Kea    %s\n lessor %s", cmd, kea.raw, les.raw)
					}
					// The case covers the outcome it is meant to.
					want := c.text
					if !enabled && !c.argErr {
						want = "DDNS updating is not enabled"
					}
					if kea.text() != want {
						t.Errorf("%s: Kea answers %s, the test expects %q", cmd, kea.raw, want)
					}
				}
			}
		})
	}
}

// resendCase is one lease*-resend-ddns and Kea's text with updates on.
type resendCase struct {
	args   string
	argErr bool // refused before updates are looked at
	text   string
}
