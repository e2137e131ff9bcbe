package config

import (
	"bufio"
	"context"
	"encoding/hex"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/lessor-dhcp/lessor/internal/kjson"
)

const leaseCmdsHook = "/usr/lib/x86_64-linux-gnu/kea/hooks/libdhcp_lease_cmds.so"

// toElementCases are sections (the map under Dhcp4/Dhcp6) whose
// config-get answer lessor must give as Kea 2.2 does. The test adds an
// empty interfaces-config, a control socket, a lease file and the
// lease_cmds hook.
var toElementCases = []struct {
	name string
	fam  int
	sec  string
}{
	{"v4 minimal", 4, `{}`},
	{"v4 default scenario", 4, `{"valid-lifetime": 4000, "subnet4": [
		{"id": 44, "subnet": "192.0.2.0/24", "pools": [{"pool": "192.0.2.10-192.0.2.200"}]},
		{"id": 88, "subnet": "192.0.3.0/24"}]}`},
	{"v4 globals and timers", 4, `{"renew-timer": 100, "rebind-timer": 200, "min-valid-lifetime": 50,
		"max-valid-lifetime": 9000, "calculate-tee-times": true, "t1-percent": 0.4, "t2-percent": 0.7,
		"authoritative": true, "next-server": "10.0.0.1", "boot-file-name": "pxe", "match-client-id": false,
		"ddns-send-updates": false, "ddns-qualifying-suffix": "example.org", "store-extended-info": true,
		"cache-threshold": 0.25, "cache-max-age": 60, "statistic-default-sample-count": 5,
		"statistic-default-sample-age": 10, "server-tag": "alpha", "user-context": {"a": 1}, "comment": "hello",
		"reservation-mode": "global",
		"subnet4": [{"subnet": "10.1.2.3/8", "renew-timer": 10, "pools": [{"pool": "10.0.0.0/24"},
		{"pool": "10.1.0.1 - 10.1.0.1"}, {"pool": "10.2.0.0-10.2.0.127", "client-class": "x",
		"require-client-classes": ["a", "b", "a"], "user-context": {"p": true}}],
		"match-client-id": true, "next-server": "", "server-hostname": "sn", "interface": "",
		"client-class": "", "relay": {"ip-address": "10.0.0.9"}, "reservation-mode": "out-of-pool",
		"4o6-subnet": "2001:db8::/64", "4o6-interface": "eth0", "4o6-interface-id": "x1",
		"ddns-replace-client-name": "always", "comment": "sub"}]}`},
	{"v4 shared networks", 4, `{"shared-networks": [
		{"name": "zeta", "relay": {"ip-addresses": ["192.0.2.1"]}, "valid-lifetime": 300, "authoritative": true,
		 "interface": "", "subnet4": [{"id": 9, "subnet": "10.9.0.0/16"}, {"id": 3, "subnet": "10.3.0.0/16", "valid-lifetime": 900}]},
		{"name": "alpha", "subnet4": [{"subnet": "10.5.0.0/16"}], "option-data": [{"name": "routers", "data": "10.5.0.1"}]}],
		"subnet4": [{"id": 20, "subnet": "10.20.0.0/16"}, {"id": 2, "subnet": "10.2.0.0/16"}]}`},
	{"v4 options", 4, `{"option-def": [{"name": "foo", "code": 222, "type": "record", "record-types": "uint8 ,uint16"},
		{"name": "bar", "code": 1, "space": "acme", "type": "string"}],
		"option-data": [{"name": "domain-name-servers", "data": "192.0.2.1, 192.0.2.2"},
		{"code": 3, "data": "192.0.2.9", "always-send": true},
		{"code": 250, "data": "0a:0b:c", "csv-format": false},
		{"code": 251, "data": "'abc'", "csv-format": false},
		{"name": "foo", "data": "1, 2"},
		{"name": "bar", "space": "acme", "data": "x"},
		{"name": "domain-name", "data": "example.org", "user-context": {"u": 1}},
		{"name": "routers", "data": "C0000201", "csv-format": false}],
		"subnet4": [{"id": 1, "subnet": "10.0.0.0/8", "option-data": [{"name": "routers", "data": "10.0.0.1"}],
		"pools": [{"pool": "10.0.0.0/24", "option-data": [{"code": 254, "data": "0x0102"}]}]}]}`},
	{"v4 reservations", 4, `{"reservations": [{"hw-address": "1a:1b:1c:1d:1e:1f", "hostname": "g"}],
		"subnet4": [{"id": 1, "subnet": "10.0.0.0/8", "reservations": [
		{"hw-address": "AA:BB:CC:DD:EE:FF", "ip-address": "10.0.0.5", "hostname": "Host-A",
		 "client-classes": ["c1", "c2"], "option-data": [{"name": "routers", "data": "10.0.0.1"}]},
		{"duid": "01:02:03:04", "ip-address": "10.0.0.6", "next-server": "10.0.0.2", "boot-file-name": "b"},
		{"client-id": "01aabbcc", "ip-address": "10.0.0.7"},
		{"circuit-id": "'foo'", "ip-address": "10.0.0.8"},
		{"flex-id": "0x0a0b", "ip-address": "10.0.0.9", "user-context": {"x": 1}}]}]}`},
	{"v4 other maps", 4, `{"dhcp-ddns": {"enable-updates": false, "server-ip": "::1", "ncr-protocol": "udp",
		"qualifying-suffix": "moved.org", "override-no-update": true},
		"expired-leases-processing": {"reclaim-timer-wait-time": 3, "max-reclaim-leases": 7},
		"multi-threading": {"enable-multi-threading": true, "thread-pool-size": 4},
		"dhcp-queue-control": {"enable-queue": false, "capacity": 9},
		"sanity-checks": {"lease-checks": "fix"},
		"host-reservation-identifiers": ["client-id", "hw-address"],
		"lease-database": {"type": "memfile", "persist": false, "lfc-interval": 3600, "max-row-errors": 5},
		"client-classes": [{"name": "c1", "test": "option[93].hex == 0x0009", "next-server": "10.0.0.1",
		 "option-data": [{"name": "domain-name", "data": "c.org"}]},
		 {"name": "c2", "only-if-required": true, "valid-lifetime": 100, "min-valid-lifetime": 50,
		 "option-def": [{"name": "cfoo", "code": 240, "type": "uint8"}]}],
		"loggers": [{"name": "kea-dhcp4", "severity": "DEBUG", "debuglevel": 50,
		 "output_options": [{"output": "stdout", "pattern": "%m\n"}, {"output": "{D}/log.txt", "flush": false, "maxver": 3}]}]}`},
	{"v6 default scenario", 6, `{"valid-lifetime": 4000, "preferred-lifetime": 3000, "subnet6": [
		{"id": 66, "subnet": "2001:db8:1::/48", "pools": [{"pool": "2001:db8:1::/64"}],
		 "pd-pools": [{"prefix": "2001:db8:1:8000::", "prefix-len": 56, "delegated-len": 64}]},
		{"id": 99, "subnet": "2001:db8:2::/48"}]}`},
	{"v6 everything", 6, `{"preferred-lifetime": 100, "min-preferred-lifetime": 50, "valid-lifetime": 200,
		"server-id": {"type": "EN", "enterprise-id": 2495, "identifier": "0102AB"},
		"relay-supplied-options": ["110", "dns-servers"], "mac-sources": ["rfc6939", "duid"],
		"option-data": [{"name": "dns-servers", "data": "2001:db8::1"}],
		"shared-networks": [{"name": "net", "rapid-commit": true, "interface-id": "ifx",
		 "subnet6": [{"id": 5, "subnet": "2001:db8:5::/64", "rapid-commit": false}]}],
		"subnet6": [{"id": 1, "subnet": "2001:db8:1::/64", "interface-id": "abc", "preferred-lifetime": 80,
		 "pools": [{"pool": "2001:db8:1::10 - 2001:db8:1::ff"}],
		 "pd-pools": [{"prefix": "3000::", "prefix-len": 48, "delegated-len": 64,
		  "excluded-prefix": "3000:0:0:0:1000::", "excluded-prefix-len": 72, "client-class": "k"}],
		 "reservations": [{"duid": "01:02:03", "ip-addresses": ["2001:db8:1::5"], "prefixes": ["3000:1::/64"],
		  "hostname": "h6"}, {"hw-address": "00:01:02:03:04:05", "hostname": "z"}]}]}`},
}

var toElementMoreCases = []struct {
	name string
	fam  int
	sec  string
}{
	{"v4 odd values", 4, `{"decline-probation-period": 10, "echo-client-id": false, "dhcp4o6-port": 6767,
		"max-valid-lifetime": 9000, "ddns-replace-client-name": "when-present", "hostname-char-set": "",
		"option-data": [{"code": 80, "csv-format": false}, {"name": "domain-search", "data": "a.org, b.org"}],
		"interfaces-config": {"dhcp-socket-type": "udp", "outbound-interface": "use-routing", "re-detect": false,
		 "service-sockets-max-retries": 3, "service-sockets-require-all": true, "user-context": {"i": 1}},
		"dhcp-ddns": {"enable-updates": true, "server-ip": "127.0.0.1", "sender-ip": "127.0.0.1", "ncr-format": "json",
		 "user-context": {"d": 2}},
		"control-socket": {"socket-type": "unix", "socket-name": "x", "user-context": {"c": 3}},
		"hooks-libraries": [{"library": "/usr/lib/x86_64-linux-gnu/kea/hooks/libdhcp_lease_cmds.so", "parameters": {"p": [1]}}],
		"subnet4": [{"id": 1, "subnet": "10.0.0.0/8", "min-valid-lifetime": 100, "interface": "",
		 "reservations": [{"hw-address": "0a:0b:0c:0d:0e:0f", "ip-address": "10.0.0.3", "comment": "r"},
		 {"hw-address": "01:0b:0c:0d:0e:0f", "ip-address": "10.0.0.2"},
		 {"client-id": "01:0b:0c", "ip-address": "10.0.0.4"}],
		 "pools": [{"pool": "10.0.0.0/24", "comment": "pool"}], "ddns-replace-client-name": "when-not-present"}]}`},
	{"v6 classes and vendor options", 6, `{"option-def": [{"name": "vfoo", "code": 7, "space": "vendor-4491", "type": "uint16"}],
		"option-data": [{"name": "rapid-commit"}, {"code": 7, "space": "vendor-4491", "data": "5"},
		 {"name": "dns-servers", "data": "2001:db8::1, 2001:db8::2", "always-send": true},
		 {"code": 1000, "data": "ab", "csv-format": false}],
		"client-classes": [{"name": "k1", "test": "member('ALL')", "preferred-lifetime": 100, "max-preferred-lifetime": 200,
		 "option-data": [{"name": "domain-search", "data": "x.org"}]}, {"name": "k2", "user-context": {"k": 1}}],
		"reservations": [{"duid": "02:02", "hostname": "g2"}, {"duid": "01:02", "hostname": "g1", "ip-addresses": ["2001:db8:9::1"]}],
		"reservation-mode": "disabled",
		"server-id": {"type": "LL", "htype": 1, "identifier": "0a0B0c0d0e0f", "persist": false},
		"subnet6": [{"id": 1, "subnet": "2001:db8:9::/64", "interface": "", "interface-id": "", "client-class": "k1",
		 "require-client-classes": ["k2"], "min-preferred-lifetime": 1000, "max-preferred-lifetime": 5000,
		 "pools": [{"pool": "2001:db8:9::/120", "require-client-classes": ["k1"]}]}]}`},
	{"v4 orders", 4, `{"interfaces-config": {"interfaces": ["lo", "*"]},
		"option-data": [{"name": "routers", "data": "10.0.0.1"}, {"name": "routers", "data": "10.0.0.2"},
		 {"code": 200, "space": "zz", "data": "01", "csv-format": false}, {"code": 200, "space": "aa", "data": "02", "csv-format": false}],
		"reservations": [{"flex-id": "'ab'", "hostname": "f"}, {"hw-address": "61:62", "hostname": "h"},
		 {"circuit-id": "6162", "hostname": "c"}, {"hw-address": "00:62", "hostname": "h0"}],
		"subnet4": [{"id": 1, "subnet": "10.0.0.0/8", "reservations-global": true, "reservations-in-subnet": false,
		 "cache-threshold": 0.5, "cache-max-age": 10, "t1-percent": 0.3, "calculate-tee-times": true,
		 "pools": [{"pool": "10.2.0.0/16"}, {"pool": "10.1.0.0/16"}, {"pool": "10.0.0.5-10.0.0.9"}]}]}`},
	{"v6 orders", 6, `{"shared-networks": [{"name": "B", "relay": {"ip-addresses": ["2001:db8::1", "2001:DB8::2"]},
		 "subnet6": [{"id": 3, "subnet": "2001:db8:3::/64", "relay": {"ip-address": "2001:db8::9"}},
		 {"id": 2, "subnet": "2001:db8:2::/64", "reservations": [{"hw-address": "aa:bb", "hostname": "UP",
		  "option-data": [{"name": "dns-servers", "data": "2001:db8::5"}], "client-classes": ["a", "b"]}]}]},
		 {"name": "A", "subnet6": [], "rapid-commit": false, "interface-id": ""}],
		"subnet6": [{"id": 1, "subnet": "2001:db8:1::/48",
		 "pools": [{"pool": "2001:db8:1::9000-2001:db8:1::ffff"}, {"pool": "2001:db8:1::100-2001:db8:1::1ff"}],
		 "pd-pools": [{"prefix": "3001::", "prefix-len": 48, "delegated-len": 56},
		  {"prefix": "3000::", "prefix-len": 48, "delegated-len": 56}]}]}`},
	{"v4 identifier formats", 4, `{"subnet4": [{"id": 1, "subnet": "10.0.0.0/8", "reservations": [{"hw-address": "aabbccddeeff", "hostname": "a"},
		  {"hw-address": "1:2:3:4:5:6", "hostname": "b"}, {"duid": "0x0102", "hostname": "c"}, {"client-id": "'cid'", "hostname": "d"},
		  {"hw-address": "a1 b2 c3 d4 e5 f6", "hostname": "e"}]}]}`},
	{"v6 identifier formats", 6, `{"subnet6": [{"id": 1, "subnet": "2001:db8::/64", "reservations": [{"duid": "000102030405", "hostname": "a"},
		  {"flex-id": "'abc'", "hostname": "b"}, {"hw-address": "0a:0b:0c:0d:0e:0f", "ip-addresses": ["2001:db8::0:1"], "hostname": "HoSt"}]}]}`},
	{"v4 encapsulated options (vendor-encapsulated-options, custom space)", 4, `{"option-def": [{"name": "pxe-disc", "code": 6, "space": "vendor-encapsulated-options-space", "type": "uint8"},
		  {"name": "boot-server", "code": 8, "space": "vendor-encapsulated-options-space", "type": "record", "record-types": "uint16, uint8, ipv4-address"},
		  {"name": "menu", "code": 10, "space": "vendor-encapsulated-options-space", "type": "string"},
		  {"name": "enc", "code": 224, "type": "empty", "encapsulate": "foo"}, {"name": "sub", "code": 1, "space": "foo", "type": "string"},
		  {"name": "sub2", "code": 2, "space": "foo", "type": "ipv4-address", "array": true},
		  {"name": "bsub", "code": 3, "space": "foo", "type": "boolean"}],
		 "option-data": [{"name": "vendor-encapsulated-options"},
		  {"name": "menu", "space": "vendor-encapsulated-options-space", "data": "boot\\, me"},
		  {"name": "pxe-disc", "space": "vendor-encapsulated-options-space", "data": "3"},
		  {"name": "boot-server", "space": "vendor-encapsulated-options-space", "data": "32768, 1, 192.0.2.1"},
		  {"code": 9, "space": "vendor-encapsulated-options-space", "data": "0a0b", "csv-format": false},
		  {"name": "enc"}, {"name": "sub2", "space": "foo", "data": "10.0.0.1, 10.0.0.2"}, {"name": "sub", "space": "foo", "data": "abc"},
		  {"name": "bsub", "space": "foo", "data": "true"}],
		 "subnet4": [{"id": 1, "subnet": "10.0.0.0/8", "option-data": [{"name": "enc"}]}]}`},
	{"v6 encapsulated options", 6, `{"option-def": [{"name": "enc6", "code": 1000, "type": "empty", "encapsulate": "bar"}, {"name": "s", "code": 1, "space": "bar", "type": "uint32"},
		  {"name": "a6", "code": 2, "space": "bar", "type": "ipv6-address"}],
		 "option-data": [{"name": "enc6"}, {"name": "s", "space": "bar", "data": "70000"}, {"name": "a6", "space": "bar", "data": "2001:db8::1"}]}`},
	{"v4 interfaces, encapsulation, classes with their own definitions", 4, `{"shared-networks": [{"name": "n", "interface": "lo", "subnet4": [{"id": 2, "subnet": "10.2.0.0/16", "interface": "lo"}]}],
		 "subnet4": [{"id": 1, "subnet": "10.1.0.0/16", "interface": "lo"}],
		 "option-def": [{"name": "enc", "code": 224, "type": "empty", "encapsulate": "foo"}, {"name": "arr", "code": 225, "type": "uint16", "array": true},
		   {"name": "sub", "code": 1, "space": "foo", "type": "string"}],
		 "option-data": [{"name": "domain-search", "data": "a\\,b.org, c.org"}, {"name": "arr", "data": "1,2,3"}, {"name": "sub", "space": "foo", "data": "abc"}],
		 "t1-percent": 0.333333333, "t2-percent": 0.9, "valid-lifetime": 0,
		 "host-reservation-identifiers": ["flex-id", "hw-address"],
		 "expired-leases-processing": {"reclaim-timer-wait-time": 1, "flush-reclaimed-timer-wait-time": 2, "hold-reclaimed-time": 3, "max-reclaim-leases": 4, "max-reclaim-time": 5, "unwarned-reclaim-cycles": 6},
		 "dhcp-queue-control": {"enable-queue": false, "queue-type": "kea-ring4", "capacity": 10, "extra": [1]},
		 "config-control": {"config-fetch-wait-time": 20},
		 "client-classes": [{"name": "cls", "option-def": [{"name": "cdef", "code": 240, "type": "string"}], "option-data": [{"name": "cdef", "data": "x"}]}]}`},
	{"v6 global reservations and class lifetimes", 6, `{"data-directory": "{D}", "reservations": [{"duid": "0a:0b", "prefixes": ["3000:1::/64", "3000:2::/64"], "ip-addresses": ["2001:db8::1", "2001:db8::2"]}],
		 "subnet6": [{"id": 1, "subnet": "2001:db8::/64", "interface": "lo"}], "shared-networks": [{"name": "x", "interface": "lo", "subnet6": [{"id": 2, "subnet": "2001:db8:2::/64"}]}],
		 "client-classes": [{"name": "a", "valid-lifetime": 100, "max-valid-lifetime": 200, "min-valid-lifetime": 50}]}`},
	{"v4 DOCSIS options", 4, `{"option-data": [{"name": "tftp-servers", "space": "vendor-4491", "data": "10.0.0.1"},
		{"code": 1, "space": "vendor-4491", "data": "2"}, {"name": "vivso-suboptions", "data": "4491"}]}`},
	{"v6 DOCSIS options", 6, `{"option-data": [{"code": 32, "space": "vendor-4491", "data": "2001:db8::1"},
		{"name": "config-file", "space": "vendor-4491", "data": "f.cfg"}, {"name": "vendor-opts", "data": "4491"}]}`},
	{"v4 address interfaces and IPv6 D2", 4, `{"interfaces-config": {"interfaces": ["lo/127.0.0.1"]}, "dhcp-ddns": {"enable-updates": true, "server-ip": "::1", "server-port": 5300}}`},
	{"v6 address interfaces, RSOO and MAC sources", 6, `{"interfaces-config": {"interfaces": ["lo/::1"]}, "relay-supplied-options": ["65", "16", "vendor-opts"], "mac-sources": ["any", "raw", "remote-id", "ipv6-link-local", "docsis-cmts"]}`},
	{"v4 loggers without output, syslog and stderr", 4, `{"loggers": [{"name": "kea-dhcp4", "severity": "WARN"}, {"name": "kea-dhcp4.x", "severity": "INFO", "output_options": [{"output": "syslog:x"}, {"output": "stderr", "maxsize": 5}]}]}`},
}

// keaConfigGet runs Kea with the configuration and returns its
// config-get section and the file its config-write writes, or skips when
// Kea is not installed.
func keaConfigGet(t *testing.T, fam int, conf []byte, dir string) (*kjson.Element, []byte) {
	t.Helper()
	bin := "/usr/sbin/kea-dhcp" + strconv.Itoa(fam)
	if _, err := os.Stat(bin); err != nil {
		t.Skip("Kea not installed")
	}
	path := filepath.Join(dir, "kea.json")
	if err := os.WriteFile(path, conf, 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "-c", path)
	cmd.Env = append(os.Environ(), "KEA_PIDFILE_DIR="+dir, "KEA_LOCKFILE_DIR="+dir)
	out, _ := os.Create(filepath.Join(dir, "kea.out"))
	defer out.Close()
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	}()
	sock := filepath.Join(dir, "sock")
	var ans *kjson.Element
	for i := 0; i < 100; i++ {
		var err error
		if ans, err = keaElementCommand(sock, `{"command":"config-get"}`); err == nil {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if ans == nil {
		log, _ := os.ReadFile(filepath.Join(dir, "kea.out"))
		t.Fatalf("Kea did not start: %s", log)
	}
	sec := ans.Get("arguments").Get("Dhcp" + strconv.Itoa(fam))
	if sec == nil {
		t.Fatalf("Kea's answer has no section: %s", ans.Str())
	}
	written := filepath.Join(dir, "written.json")
	wa, err := keaElementCommand(sock, `{"command":"config-write","arguments":{"filename":"`+written+`"}}`)
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(written)
	if err != nil {
		t.Fatalf("config-write: %v (%s)", err, wa.Str())
	}
	if size := wa.Get("arguments").Get("size"); size == nil || size.I != int64(len(data)) {
		t.Fatalf("Kea's config-write size %s, file has %d bytes", size.Str(), len(data))
	}
	return sec, data
}

// keaElementCommand sends one command to a control socket and reads the
// answer.
func keaElementCommand(sock, cmd string) (*kjson.Element, error) {
	conn, err := net.Dial("unix", sock)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	if _, err := conn.Write([]byte(cmd)); err != nil {
		return nil, err
	}
	_ = conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	var sb strings.Builder
	r := bufio.NewReader(conn)
	buf := make([]byte, 65536)
	for {
		n, err := r.Read(buf)
		sb.Write(buf[:n])
		if _, perr := kjson.ParseWire([]byte(sb.String())); perr == nil || err != nil {
			break
		}
	}
	return kjson.ParseWire([]byte(sb.String()))
}

// testConfig completes a section with the runner's settings and returns
// the file text.
func testConfig(t *testing.T, fam int, sec, dir string) []byte {
	t.Helper()
	s, err := kjson.ParseString([]byte(strings.ReplaceAll(sec, "{D}", dir)))
	if err != nil {
		t.Fatal(err)
	}
	if s.Get("interfaces-config") == nil {
		s.Set("interfaces-config", kjson.NewMap().Set("interfaces", kjson.NewList()))
	}
	s.Set("control-socket", kjson.NewMap().Set("socket-type", kjson.NewString("unix")).
		Set("socket-name", kjson.NewString(filepath.Join(dir, "sock"))))
	db := s.Get("lease-database")
	if db == nil {
		db = kjson.NewMap().Set("type", kjson.NewString("memfile"))
		s.Set("lease-database", db)
	}
	if str(db, "type") == "memfile" {
		db.Set("name", kjson.NewString(filepath.Join(dir, "leases.csv")))
	}
	if fam == 6 && s.Get("data-directory") == nil {
		s.Set("data-directory", kjson.NewString(dir))
	}
	s.Set("hooks-libraries", kjson.NewList(kjson.NewMap().Set("library", kjson.NewString(leaseCmdsHook))))
	return []byte(kjson.NewMap().Set("Dhcp"+strconv.Itoa(fam), s).Str())
}

// diffElements lists the paths where two elements differ.
func diffElements(path string, a, b *kjson.Element, out *[]string) {
	if a == nil || b == nil || a.Kind != b.Kind {
		*out = append(*out, path+": "+a.Str()+" != "+b.Str())
		return
	}
	switch a.Kind {
	case kjson.Map:
		keys := map[string]bool{}
		for k := range a.M {
			keys[k] = true
		}
		for k := range b.M {
			keys[k] = true
		}
		sorted := make([]string, 0, len(keys))
		for k := range keys {
			sorted = append(sorted, k)
		}
		sort.Strings(sorted)
		for _, k := range sorted {
			diffElements(path+"."+k, a.M[k], b.M[k], out)
		}
	case kjson.List:
		if len(a.L) != len(b.L) {
			*out = append(*out, path+": "+a.Str()+" != "+b.Str())
			return
		}
		for i := range a.L {
			diffElements(path+"["+strconv.Itoa(i)+"]", a.L[i], b.L[i], out)
		}
	default:
		if a.Str() != b.Str() {
			*out = append(*out, path+": "+a.Str()+" != "+b.Str())
		}
	}
}

func TestToElementMatchesKea(t *testing.T) {
	if testing.Short() {
		t.Skip("short mode")
	}
	for _, c := range append(toElementCases, toElementMoreCases...) {
		t.Run(c.name, func(t *testing.T) { compareWithKea(t, c.fam, c.sec) })
	}
}

// TestToElementRepositoryConfigs compares the sections of the example
// files and of the conformance scenarios' configurations.
func TestToElementRepositoryConfigs(t *testing.T) {
	if testing.Short() {
		t.Skip("short mode")
	}
	files, _ := filepath.Glob("../examples/*.conf")
	for _, path := range files {
		f, err := Load(path)
		if err != nil {
			continue // not a server's file (kea-ctrl-agent.conf)
		}
		for fam, srv := range map[int]*Server{4: f.Dhcp4, 6: f.Dhcp6} {
			if srv != nil {
				t.Run(filepath.Base(path)+"/"+strconv.Itoa(fam), func(t *testing.T) { compareWithKea(t, fam, srv.Raw.Str()) })
			}
		}
	}
	scenarios, _ := filepath.Glob("../conformance/*/*.json")
	for _, path := range scenarios {
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		sc, err := kjson.ParseString(data)
		if err != nil || sc.Get("config") == nil {
			continue
		}
		for fam := 4; fam <= 6; fam += 2 {
			if sec := sc.Get("config").Get("Dhcp" + strconv.Itoa(fam)); sec != nil {
				t.Run(filepath.Base(path), func(t *testing.T) { compareWithKea(t, fam, sec.Str()) })
			}
		}
	}
}

// compareWithKea checks that ToElement gives the section Kea's
// config-get gives, and that its pretty form is the file Kea's
// config-write writes.
func compareWithKea(t *testing.T, fam int, sec string) {
	t.Helper()
	dir := t.TempDir()
	conf := testConfig(t, fam, sec, dir)
	f, err := Parse(conf, "test.json")
	if err != nil {
		t.Fatalf("lessor refuses the configuration: %v", err)
	}
	srv := f.Dhcp4
	if fam == 6 {
		srv = f.Dhcp6
	}
	got := srv.ToElement()
	want, written := keaConfigGet(t, fam, conf, dir)
	if got.Str() != want.Str() {
		var diffs []string
		diffElements("", got, want, &diffs)
		t.Errorf("config-get differs from Kea's (lessor != Kea):\n%s", strings.Join(diffs, "\n"))
		return
	}
	// config-write: the same, pretty-printed as Kea writes it.
	file := kjson.NewMap().Set("Dhcp"+strconv.Itoa(fam), got).Pretty()
	if file != string(written) {
		t.Errorf("config-write file differs from Kea's:\nlessor:\n%s\nKea:\n%s", file, written)
	}
}

func TestPrefixLenFromRange(t *testing.T) {
	cases := []struct {
		first, last string
		want        int
	}{
		{"10.0.0.0", "10.0.0.255", 24},
		{"10.0.0.1", "10.0.0.1", 32},
		{"0.0.0.0", "255.255.255.255", 0},
		{"10.0.0.1", "10.0.0.2", -1},
		{"10.0.0.0", "10.0.1.127", -1},
		{"10.0.0.128", "10.0.0.255", 25},
		{"2001:db8::", "2001:db8::ffff:ffff:ffff:ffff", 64},
		{"2001:db8::10", "2001:db8::ff", -1},
		{"2001:db8::1", "2001:db8::1", 128},
	}
	for _, c := range cases {
		got := prefixLenFromRange(netip.MustParseAddr(c.first), netip.MustParseAddr(c.last))
		if got != c.want {
			t.Errorf("%s-%s: got %d, want %d", c.first, c.last, got, c.want)
		}
	}
}

func TestDecodeHex(t *testing.T) {
	cases := []struct {
		in   string
		want string // hex, "!" for an error
	}{
		{"", ""}, {"0a0b", "0a0b"}, {"0x0A0b", "0a0b"}, {"a:b:cc", "0a0bcc"},
		{"1 2 ff", "0102ff"}, {"abc", "0abc"}, {"zz", "!"}, {"a::b", "!"}, {"123:4", "!"},
	}
	for _, c := range cases {
		b, ok := decodeHex(c.in)
		got := "!"
		if ok {
			got = hex.EncodeToString(b)
		}
		if got != c.want {
			t.Errorf("%q: got %s, want %s", c.in, got, c.want)
		}
	}
}

func TestSetConfiguredGlobal(t *testing.T) {
	f, err := Parse([]byte(`{"Dhcp4": {"statistic-default-sample-count": 3}}`), "t.json")
	if err != nil {
		t.Fatal(err)
	}
	if got := f.Dhcp4.ToElement().Get("statistic-default-sample-count"); got.Str() != "3" {
		t.Fatalf("before: %s", got.Str())
	}
	f.Dhcp4.SetConfiguredGlobal("statistic-default-sample-count", kjson.NewInt(4))
	if got := f.Dhcp4.ToElement().Get("statistic-default-sample-count"); got.Str() != "4" {
		t.Fatalf("after: %s", got.Str())
	}
	if got := f.Dhcp4.ToElement().Get("statistic-default-sample-age"); got.Str() != "0" {
		t.Fatalf("age: %s", got.Str())
	}
}

// FuzzToElement checks that every configuration lessor accepts (from a
// file or as config-set's argument) converts back without panicking, to
// a map that converts back the same way twice (pretty form included).
func FuzzToElement(f *testing.F) {
	for _, c := range append(toElementCases, toElementMoreCases...) {
		f.Add("{\"Dhcp" + strconv.Itoa(c.fam) + "\": " + c.sec + "}")
	}
	f.Fuzz(func(t *testing.T, text string) {
		file, err := Parse([]byte(text), "fuzz.json")
		if err != nil {
			return
		}
		for _, srv := range []*Server{file.Dhcp4, file.Dhcp6} {
			if srv == nil {
				continue
			}
			a, b := srv.ToElement(), srv.ToElement()
			if a.Str() != b.Str() || a.Pretty() != b.Pretty() {
				t.Fatalf("ToElement is not stable: %s / %s", a.Str(), b.Str())
			}
			again, err := kjson.ParseString([]byte(a.Pretty()))
			if err != nil {
				t.Fatalf("pretty form does not parse: %v\n%s", err, a.Pretty())
			}
			if again.Str() != a.Str() {
				t.Fatalf("pretty form reads back differently:\n%s\n%s", again.Str(), a.Str())
			}
		}
	})
}

func TestCSVTokens(t *testing.T) {
	cases := []struct {
		in   string
		want []string
	}{
		{"", nil},
		{"a,b", []string{"a", "b"}},
		{",,a,,b,", []string{"a", "b"}},
		{`a\,b,c`, []string{"a,b", "c"}},
		{`a\\,b`, []string{`a\`, "b"}},
		{`a\b`, []string{`a\b`}},
		{`a\`, []string{`a\`}},
		{" a , b ", []string{" a ", " b "}},
	}
	for _, c := range cases {
		got := csvTokens(c.in)
		if strings.Join(got, "|") != strings.Join(c.want, "|") || len(got) != len(c.want) {
			t.Errorf("%q: got %q, want %q", c.in, got, c.want)
		}
	}
}
