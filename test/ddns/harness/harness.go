// Package harness starts the DNS side of lessor's end-to-end DNS tests: a
// BIND 9 name server with forward and reverse zones open to dynamic
// updates, and ISC's kea-dhcp-ddns (D2) pointed at it. Both run
// unprivileged on 127.0.0.1 with unused ports and temporary directories,
// and stop when the test ends. Tests in any package can use it:
//
//	harness.Require(t)                  // skips when named or kea-dhcp-ddns is missing
//	bind := harness.StartBIND(t, harness.DefaultZones())
//	d2 := harness.StartD2(t, bind, harness.FreeUDPPort(t))
//	// point lessor's dhcp-ddns at 127.0.0.1:d2.Port, then:
//	bind.WaitFor(t, "host.example.com.", dns.TypeA, "192.0.2.10", 5*time.Second)
//
// Debian packages: bind9 and bind9-dnsutils (named and dig), kea-dhcp-ddns
// (part of kea).
package harness

import (
	"bytes"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/miekg/dns"
)

// Paths of the programs the harness runs.
var (
	NamedPath = "/usr/sbin/named"
	D2Path    = "/usr/sbin/kea-dhcp-ddns"
)

// Require skips the test, saying why, when named or kea-dhcp-ddns is not
// installed.
func Require(t testing.TB) {
	t.Helper()
	for _, p := range []struct{ path, pkg string }{{NamedPath, "bind9"}, {D2Path, "kea-dhcp-ddns (kea)"}} {
		if _, err := os.Stat(p.path); err != nil {
			t.Skipf("%s is not installed (Debian package %s): skipping the end-to-end DNS test", p.path, p.pkg)
		}
	}
}

// FreeUDPPort returns a UDP port on 127.0.0.1 that nothing listens on at
// the time of the call.
func FreeUDPPort(t testing.TB) int {
	t.Helper()
	c, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	return c.LocalAddr().(*net.UDPAddr).Port
}

// freeTCPUDPPort returns a port free for both TCP and UDP (named listens
// on both).
func freeTCPUDPPort(t testing.TB) int {
	t.Helper()
	for range 50 {
		l, err := net.ListenTCP("tcp4", &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1)})
		if err != nil {
			t.Fatal(err)
		}
		port := l.Addr().(*net.TCPAddr).Port
		u, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: port})
		l.Close()
		if err == nil {
			u.Close()
			return port
		}
	}
	t.Fatal("no free port for named")
	return 0
}

// Zones are the zones BIND serves, all open to dynamic updates.
type Zones struct {
	Forward []string // e.g. "example.com."
	Reverse []string // e.g. "2.0.192.in-addr.arpa."
}

// DefaultZones: example.com., 2.0.192.in-addr.arpa. (192.0.2.0/24),
// 100.51.198.in-addr.arpa. (198.51.100.0/24) and the ip6.arpa zone of
// 2001:db8:1::/64.
func DefaultZones() Zones {
	return Zones{
		Forward: []string{"example.com."},
		Reverse: []string{
			"2.0.192.in-addr.arpa.",
			"100.51.198.in-addr.arpa.",
			ReverseZone6("2001:db8:1::", 64),
		},
	}
}

// ReverseZone6 returns the ip6.arpa zone of an IPv6 prefix whose length is
// a multiple of 4.
func ReverseZone6(prefix string, bits int) string {
	full, err := dns.ReverseAddr(prefix) // 32 nibbles + "ip6.arpa."
	if err != nil {
		panic(err)
	}
	skip := (128 - bits) / 4
	return full[skip*2:]
}

// TSIG is the key both servers share; D2 signs its updates with it and
// BIND accepts only signed updates.
const (
	TSIGName   = "lessor-test-key."
	TSIGSecret = "bGVzc29yIGVuZC10by1lbmQgRE5TIHRlc3Qga2V5IDAx" // base64
)

// BIND is a running named.
type BIND struct {
	Addr  string // "127.0.0.1:port"
	Port  int
	Dir   string
	Zones Zones
	cmd   *exec.Cmd
}

type syncBuffer struct {
	mu sync.Mutex
	bytes.Buffer
}

// StartBIND starts named on 127.0.0.1 with an unused port, serving zones
// that accept updates signed with the TSIG key, and waits until it
// answers. It stops when the test ends; its log is printed if the test
// failed.
func StartBIND(t testing.TB, zones Zones) *BIND {
	t.Helper()
	Require(t)
	dir := tempDir(t, "lessor-bind")
	port := freeTCPUDPPort(t)
	var conf strings.Builder
	fmt.Fprintf(&conf, `options {
	directory %q;
	pid-file %q;
	session-keyfile %q;
	managed-keys-directory %q;
	listen-on port %d { 127.0.0.1; };
	listen-on-v6 { none; };
	recursion no;
	dnssec-validation no;
	notify no;
};
controls { };
key %q { algorithm hmac-sha256; secret %q; };
`, dir, filepath.Join(dir, "named.pid"), filepath.Join(dir, "session.key"), dir, port, TSIGName, TSIGSecret)
	for _, z := range append(append([]string{}, zones.Forward...), zones.Reverse...) {
		file := strings.TrimSuffix(z, ".") + ".zone"
		soa := fmt.Sprintf("$TTL 300\n@ IN SOA ns.%s hostmaster.%s 1 3600 600 86400 300\n@ IN NS ns.%s\nns IN A 127.0.0.1\n", z, z, z)
		if err := os.WriteFile(filepath.Join(dir, file), []byte(soa), 0o644); err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&conf, "zone %q { type primary; file %q; allow-update { key %q; }; };\n", z, file, TSIGName)
	}
	confFile := filepath.Join(dir, "named.conf")
	if err := os.WriteFile(confFile, []byte(conf.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	b := &BIND{Addr: fmt.Sprintf("127.0.0.1:%d", port), Port: port, Dir: dir, Zones: zones}
	logBuf := &syncBuffer{}
	// -g: foreground, logs to stderr; -4: IPv4 only.
	b.cmd = exec.Command(NamedPath, "-g", "-4", "-c", confFile)
	b.cmd.Stdout, b.cmd.Stderr = logBuf, logBuf
	if err := b.cmd.Start(); err != nil {
		t.Fatalf("start named: %v", err)
	}
	exited := make(chan struct{})
	go func() { b.cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		b.cmd.Process.Kill()
		<-exited
		if t.Failed() {
			logBuf.mu.Lock()
			t.Logf("named log:\n%s", logBuf.String())
			logBuf.mu.Unlock()
		}
	})
	deadline := time.Now().Add(15 * time.Second)
	for {
		if _, err := b.Query(zones.Forward[0], dns.TypeSOA); err == nil {
			return b
		}
		select {
		case <-exited:
			logBuf.mu.Lock()
			defer logBuf.mu.Unlock()
			t.Fatalf("named exited:\n%s", logBuf.String())
		default:
		}
		if time.Now().After(deadline) {
			logBuf.mu.Lock()
			defer logBuf.mu.Unlock()
			t.Fatalf("named does not answer on %s:\n%s", b.Addr, logBuf.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Query asks BIND for name/qtype and returns the answer records.
func (b *BIND) Query(name string, qtype uint16) ([]dns.RR, error) {
	m := new(dns.Msg)
	m.SetQuestion(dns.Fqdn(name), qtype)
	c := &dns.Client{Timeout: time.Second}
	r, _, err := c.Exchange(m, b.Addr)
	if err != nil {
		return nil, err
	}
	if r.Rcode != dns.RcodeSuccess && r.Rcode != dns.RcodeNameError {
		return nil, fmt.Errorf("%s %s: rcode %s", name, dns.TypeToString[qtype], dns.RcodeToString[r.Rcode])
	}
	return r.Answer, nil
}

// Values returns the data of the answer records of name/qtype: addresses
// for A/AAAA, names for PTR, the base64 digest for DHCID.
func (b *BIND) Values(name string, qtype uint16) ([]string, error) {
	rrs, err := b.Query(name, qtype)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, rr := range rrs {
		if rr.Header().Rrtype != qtype {
			continue
		}
		switch v := rr.(type) {
		case *dns.A:
			out = append(out, v.A.String())
		case *dns.AAAA:
			out = append(out, v.AAAA.String())
		case *dns.PTR:
			out = append(out, v.Ptr)
		case *dns.DHCID:
			out = append(out, v.Digest)
		default:
			out = append(out, strings.TrimPrefix(rr.String(), rr.Header().String()))
		}
	}
	return out, nil
}

// WaitFor waits until name/qtype holds exactly the value want, or, with
// want "", holds nothing; it fails the test at the timeout.
func (b *BIND) WaitFor(t testing.TB, name string, qtype uint16, want string, timeout time.Duration) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		got, err := b.Values(name, qtype)
		if err == nil && ((want == "" && len(got) == 0) || (len(got) == 1 && strings.EqualFold(got[0], want))) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s %s: got %q (err %v), want %q", name, dns.TypeToString[qtype], got, err, want)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// D2 is a running kea-dhcp-ddns.
type D2 struct {
	Port int // where it listens for NameChangeRequests (UDP, 127.0.0.1)
	Dir  string
	cmd  *exec.Cmd
	done chan struct{}
	t    testing.TB
}

// StartD2 starts kea-dhcp-ddns listening on 127.0.0.1:port, sending the
// updates of bind's zones to bind, signed with the TSIG key, and waits
// until its control socket answers. It stops when the test ends (or at
// Stop); its log is printed if the test failed.
func StartD2(t testing.TB, bind *BIND, port int) *D2 {
	t.Helper()
	Require(t)
	dir := tempDir(t, "lessor-d2")
	server := fmt.Sprintf(`[{"ip-address": "127.0.0.1", "port": %d}]`, bind.Port)
	domains := func(zones []string) string {
		var parts []string
		for _, z := range zones {
			parts = append(parts, fmt.Sprintf(`{"name": %q, "key-name": %q, "dns-servers": %s}`, z, TSIGName, server))
		}
		return "[" + strings.Join(parts, ", ") + "]"
	}
	sock := filepath.Join(dir, "d2.sock")
	conf := fmt.Sprintf(`{"DhcpDdns": {
  "ip-address": "127.0.0.1",
  "port": %d,
  "dns-server-timeout": 1000,
  "control-socket": {"socket-type": "unix", "socket-name": %q},
  "tsig-keys": [{"name": %q, "algorithm": "HMAC-SHA256", "secret": %q}],
  "forward-ddns": {"ddns-domains": %s},
  "reverse-ddns": {"ddns-domains": %s},
  "loggers": [{"name": "kea-dhcp-ddns", "output_options": [{"output": %q}], "severity": "DEBUG", "debuglevel": 40}]
}}`, port, sock, TSIGName, TSIGSecret, domains(bind.Zones.Forward), domains(bind.Zones.Reverse), filepath.Join(dir, "d2.log"))
	confFile := filepath.Join(dir, "d2.json")
	if err := os.WriteFile(confFile, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	d := &D2{Port: port, Dir: dir, done: make(chan struct{}), t: t}
	d.cmd = exec.Command(D2Path, "-c", confFile)
	d.cmd.Env = append(os.Environ(), "KEA_PIDFILE_DIR="+dir, "KEA_LOCKFILE_DIR="+dir)
	out, err := os.Create(filepath.Join(dir, "d2.out"))
	if err != nil {
		t.Fatal(err)
	}
	d.cmd.Stdout, d.cmd.Stderr = out, out
	if err := d.cmd.Start(); err != nil {
		t.Fatalf("start kea-dhcp-ddns: %v", err)
	}
	go func() { d.cmd.Wait(); out.Close(); close(d.done) }()
	t.Cleanup(func() {
		d.Stop()
		if t.Failed() {
			t.Logf("kea-dhcp-ddns log:\n%s", d.Log())
		}
	})
	deadline := time.Now().Add(15 * time.Second)
	for {
		if c, err := net.Dial("unix", sock); err == nil {
			c.Close()
			return d
		}
		select {
		case <-d.done:
			t.Fatalf("kea-dhcp-ddns exited:\n%s", d.Log())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("kea-dhcp-ddns did not start:\n%s", d.Log())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Stop stops kea-dhcp-ddns (it is also stopped when the test ends).
func (d *D2) Stop() {
	select {
	case <-d.done:
		return
	default:
	}
	d.cmd.Process.Kill()
	<-d.done
}

// Log returns kea-dhcp-ddns's output and log file.
func (d *D2) Log() string {
	out, _ := os.ReadFile(filepath.Join(d.Dir, "d2.out"))
	log, _ := os.ReadFile(filepath.Join(d.Dir, "d2.log"))
	return string(out) + string(log)
}

// tempDir makes a short-named directory (UNIX socket paths are limited to
// 108 bytes) removed when the test ends, unless it failed.
func tempDir(t testing.TB, prefix string) string {
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

// Stack is BIND with kea-dhcp-ddns in front of it: point lessor's
// dhcp-ddns map at 127.0.0.1:D2.Port and look records up in BIND.
type Stack struct {
	BIND *BIND
	D2   *D2
}

// StartStack starts BIND with DefaultZones and kea-dhcp-ddns on an unused
// port (skipping the test when either is not installed).
func StartStack(t testing.TB) *Stack {
	t.Helper()
	Require(t)
	b := StartBIND(t, DefaultZones())
	return &Stack{BIND: b, D2: StartD2(t, b, FreeUDPPort(t))}
}

// DhcpDdnsConfig returns the "dhcp-ddns" map that sends requests to this
// stack's kea-dhcp-ddns, as it goes into a Dhcp4 or Dhcp6 configuration.
func (s *Stack) DhcpDdnsConfig() string {
	return fmt.Sprintf(`{"enable-updates": true, "server-ip": "127.0.0.1", "server-port": %d}`, s.D2.Port)
}
