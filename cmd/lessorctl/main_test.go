package main

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/lessor-dhcp/lessor/internal/httpapi"
	"github.com/lessor-dhcp/lessor/internal/kjson"
)

const leaseHook = "/usr/lib/x86_64-linux-gnu/kea/hooks/libdhcp_lease_cmds.so"

// startServer returns the control socket of a DHCPv4 server with the lease
// commands: $LESSOR_TEST_SOCKET4 when set (lessor, leases wiped first),
// else a kea-dhcp4 started for the test (skipped when Kea is absent).
func startServer(t *testing.T) string {
	t.Helper()
	if s := os.Getenv("LESSOR_TEST_SOCKET4"); s != "" {
		for _, id := range []string{"1", "2"} {
			ctl(t, "--socket", s, "lease4-wipe", "subnet-id="+id)
		}
		return s
	}
	for _, p := range []string{"/usr/sbin/kea-dhcp4", leaseHook} {
		if _, err := os.Stat(p); err != nil {
			t.Skipf("%s is not installed", p)
		}
	}
	dir := t.TempDir()
	sock := filepath.Join(dir, "d4.sock")
	cfg := fmt.Sprintf(`{"Dhcp4":{"interfaces-config":{"interfaces":[]},
"control-socket":{"socket-type":"unix","socket-name":%q},
"lease-database":{"type":"memfile","persist":false},
"hooks-libraries":[{"library":%q}],
"subnet4":[{"id":1,"subnet":"192.0.2.0/24"},{"id":2,"subnet":"198.51.100.0/24"}],
"loggers":[{"name":"kea-dhcp4","severity":"WARN","output_options":[{"output":"stderr"}]}]}}`, sock, leaseHook)
	path := filepath.Join(dir, "kea.json")
	os.WriteFile(path, []byte(cfg), 0o600)
	var out bytes.Buffer
	cmd := exec.Command("/usr/sbin/kea-dhcp4", "-c", path)
	cmd.Env = append(os.Environ(), "KEA_PIDFILE_DIR="+dir, "KEA_LOCKFILE_DIR="+dir)
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	for i := 0; i < 100; i++ {
		if c, err := net.Dial("unix", sock); err == nil {
			c.Close()
			return sock
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("kea-dhcp4 did not start: %s", out.String())
	return ""
}

type result struct {
	code           int
	stdout, stderr string
}

func ctlEnv(t *testing.T, tty bool, stdin string, args ...string) result {
	t.Helper()
	var out, errb bytes.Buffer
	e := &env{stdin: strings.NewReader(stdin), stdout: &out, stderr: &errb, tty: tty,
		now: func() time.Time { return time.Unix(2000000000-3600, 0) }}
	code := run(context.Background(), args, e)
	return result{code, out.String(), errb.String()}
}

func ctl(t *testing.T, args ...string) result { t.Helper(); return ctlEnv(t, false, "", args...) }

func expect(t *testing.T, r result, code int, stdout ...string) {
	t.Helper()
	if r.code != code {
		t.Errorf("exit %d, want %d\nstdout: %s\nstderr: %s", r.code, code, r.stdout, r.stderr)
	}
	for _, s := range stdout {
		if !strings.Contains(r.stdout, s) {
			t.Errorf("stdout lacks %q:\n%s\nstderr: %s", s, r.stdout, r.stderr)
		}
	}
}

func TestCommands(t *testing.T) {
	s := startServer(t)
	expect(t, ctl(t, "--socket", s, "lease4-add", "ip-address=192.0.2.10", "hw-address=1a:1b:1c:1d:1e:1f",
		"hostname=a.example.org", "valid-lft=3600", "expire=2000000000", "client-id=0102"),
		0, "ok: Lease for address 192.0.2.10, subnet-id 1 added.\n")
	expect(t, ctl(t, "lease4-get", "--socket", s, "ip-address=192.0.2.10"), 0,
		"ADDRESS          IDENTIFIER         HOSTNAME              SUBNET  STATE     EXPIRES\n"+
			"192.0.2.10       1a:1b:1c:1d:1e:1f  a.example.org         1       default   in 1h\n",
		"ok: IPv4 lease found.")
	expect(t, ctl(t, "--socket", s, "lease4-get", "--args", `{"ip-address":"192.0.2.99"}`), 3, "empty: Lease not found.")
	expect(t, ctl(t, "--socket", s, "lease4-get", "ip-address=nope"), 1, "error: Failed to convert string to address 'nope'")
	expect(t, ctl(t, "--socket", s, "no-such-command"), 2, "unsupported: 'no-such-command' command not supported.")
	r := ctl(t, "--socket", s, "--json", "lease4-get", "ip-address=192.0.2.10")
	expect(t, r, 0)
	if e, err := kjson.ParseString([]byte(r.stdout)); err != nil || e.Get("arguments").Get("client-id").S != "01:02" {
		t.Errorf("--json: %v %s", err, r.stdout)
	}
	expect(t, ctl(t, "--socket", s, "list-commands"), 0, "lease4-get-page\n")
	expect(t, ctl(t, "--socket", s, "lease4-get", "oops"), 1)
	expect(t, ctl(t, "--socket", s, "--url", "http://x/", "list-commands"), 1)
	expect(t, ctl(t, "list-commands"), 1)
	expect(t, ctl(t, "--socket", filepath.Join(t.TempDir(), "none"), "list-commands"), 1)
}

func TestLeases(t *testing.T) {
	s := startServer(t)
	for i := 0; i < 12; i++ {
		args := []string{"--socket", s, "lease4-add", fmt.Sprintf("ip-address=192.0.2.%d", 20+i),
			fmt.Sprintf("hw-address=02:00:00:00:00:%02x", i), "valid-lft=3600", fmt.Sprintf("expire=%d", 2000000000+60*i)}
		if i%4 == 3 {
			args = append(args, "state=1", fmt.Sprintf("ip-address=198.51.100.%d", i), "subnet-id=2")
		}
		if i == 5 {
			args = append(args, "hostname=comma,host", `user-context={"a":"b,c"}`)
		}
		expect(t, ctl(t, args...), 0)
	}
	r := ctl(t, "--socket", s, "leases", "list", "--page-size", "5")
	expect(t, r, 0, "192.0.2.20       02:00:00:00:00:00", "comma,host", "12 IPv4 lease(s) shown of 12.")
	if n := strings.Count(r.stdout, "\n"); n != 14 {
		t.Errorf("%d lines:\n%s", n, r.stdout)
	}
	expect(t, ctl(t, "--socket", s, "leases", "list", "--subnet", "2", "--page-size", "2"), 0,
		"198.51.100.3", "declined", "3 IPv4 lease(s) shown of 12.")
	expect(t, ctl(t, "leases", "--socket", s, "list", "--state", "declined"), 0, "3 IPv4 lease(s) shown of 12.")
	expect(t, ctl(t, "--socket", s, "leases", "list", "--subnet", "9"), 3, "0 IPv4 lease(s) shown of 12.")
	expect(t, ctl(t, "--socket", s, "leases", "list", "--state", "bogus"), 1)
	r = ctl(t, "--socket", s, "leases", "list", "--json")
	if n := strings.Count(r.stdout, `"ip-address"`); n != 12 {
		t.Errorf("--json: %d leases:\n%s", n, r.stdout)
	}
	// Progress goes to a terminal's stderr only.
	if r := ctlEnv(t, true, "", "--socket", s, "leases", "list", "--page-size", "4"); !strings.Contains(r.stderr, "\r") {
		t.Errorf("no progress on a terminal: %q", r.stderr)
	}
	if r.stderr != "" {
		t.Errorf("progress without a terminal: %q", r.stderr)
	}

	dir := t.TempDir()
	for _, format := range []string{"csv", "json"} {
		exp := ctl(t, "--socket", s, "leases", "export", "--format", format, "--page-size", "5")
		expect(t, exp, 0)
		if format == "csv" && !strings.HasPrefix(exp.stdout, "address,hwaddr,client_id,valid_lifetime,expire,subnet_id,fqdn_fwd,fqdn_rev,hostname,state,user_context\n") {
			t.Errorf("CSV header:\n%s", exp.stdout)
		}
		if format == "csv" && !strings.Contains(exp.stdout, `comma&#x2chost,0,{ "a": "b&#x2cc" }`) {
			t.Errorf("CSV escaping:\n%s", exp.stdout)
		}
		file := filepath.Join(dir, "leases."+format)
		os.WriteFile(file, []byte(exp.stdout), 0o600)
		before := ctl(t, "--socket", s, "leases", "list").stdout
		for _, id := range []string{"1", "2"} {
			expect(t, ctl(t, "--socket", s, "lease4-wipe", "subnet-id="+id), 0)
		}
		expect(t, ctl(t, "--socket", s, "leases", "list"), 3)
		r := ctlEnv(t, true, "", "--socket", s, "leases", "import", file)
		expect(t, r, 0, "imported 12, skipped 0 (already present), failed 0, of 12 IPv4 lease(s)")
		if !strings.Contains(r.stderr, "[##############################] 12/12") {
			t.Errorf("no progress bar: %q", r.stderr)
		}
		if after := ctl(t, "--socket", s, "leases", "list").stdout; after != before {
			t.Errorf("%s round trip changed the leases:\n%s\n---\n%s", format, before, after)
		}
		expect(t, ctl(t, "--socket", s, "leases", "import", file), 0, "imported 0, skipped 12 (already present), failed 0")
		expect(t, ctl(t, "--socket", s, "leases", "import", "--replace", file), 0, "imported 12, skipped 0")
	}
	// One bad lease: nothing is sent.
	bad := "address,hwaddr,client_id,valid_lifetime,expire,subnet_id,fqdn_fwd,fqdn_rev,hostname,state,user_context\n" +
		"192.0.2.200,02:00:00:00:01:00,,3600,2000000000,1,0,0,,0,\n" +
		"192.0.2.201,02:00:00:00:01:01,,3600,2000000000,1,1,0,,0,\n"
	r = ctlEnv(t, false, bad, "--socket", s, "leases", "import", "-")
	if r.code != 1 || !strings.Contains(r.stderr, "1 invalid lease(s), nothing was sent:\nline 3: No hostname specified") {
		t.Errorf("bad file: %+v", r)
	}
	expect(t, ctl(t, "--socket", s, "lease4-get", "ip-address=192.0.2.200"), 3)
	// A lease the server refuses is reported with its reason.
	refused := strings.Replace(bad, ",1,0,,0,\n", ",0,0,,0,\n", 1) + "203.0.113.9,02:00:00:00:01:02,,3600,2000000000,1,0,0,,0,\n"
	r = ctlEnv(t, false, refused, "--socket", s, "leases", "import", "-")
	expect(t, r, 1, "imported 2, skipped 0 (already present), failed 1, of 3 IPv4 lease(s)",
		"  line 4 203.0.113.9: The address 203.0.113.9 does not belong to subnet 192.0.2.0/24, subnet-id=1")
}

func TestHTTP(t *testing.T) {
	s := startServer(t)
	cfg, err := httpapi.ParseConfig(kjson.MustParse(fmt.Sprintf(`{"control-sockets":{"dhcp4":{"socket-name":%q}},
"authentication":{"type":"basic","clients":[{"user":"admin","password":"secret"}]}}`, s)))
	if err != nil {
		t.Fatal(err)
	}
	cfg.Port = 0
	srv, err := httpapi.New(cfg, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	addr, err := srv.Listen()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go srv.Serve(ctx)
	url := "http://" + addr.String() + "/"
	pw := filepath.Join(t.TempDir(), "pw")
	os.WriteFile(pw, []byte("secret\n"), 0o600)
	auth := []string{"--url", url, "--user", "admin", "--password-file", pw}
	expect(t, ctl(t, append(auth, "lease4-add", "ip-address=192.0.2.30", "hw-address=00:01:02:03:04:05")...), 0, "ok: Lease for address 192.0.2.30")
	expect(t, ctl(t, append(auth, "leases", "list", "--page-size", "1")...), 0, "192.0.2.30", "1 IPv4 lease(s) shown of 1.")
	expect(t, ctl(t, append(auth, "version-get", "--service", "agent")...), 0)
	expect(t, ctl(t, append(auth, "lease6-get-page", "from=start", "limit=1")...), 1, "error: forwarding socket is not configured for the server type dhcp6")
	r := ctl(t, "--url", url, "list-commands")
	if r.code != 1 || !strings.Contains(r.stderr, "HTTP 401 Unauthorized") {
		t.Errorf("without credentials: %+v", r)
	}
}

func TestHelpAndCompletion(t *testing.T) {
	for _, args := range [][]string{{"--help"}, {"leases", "list", "--help"}, {"leases", "export", "-h"},
		{"leases", "import", "--help"}, {"completion", "--help"}, {"lease4-get", "--help"}, {"help", "commands"}, {}} {
		r := ctl(t, args...)
		if r.code != 0 || !(strings.Contains(r.stdout, "Example") || strings.Contains(r.stdout, "lease6-get-page")) {
			t.Errorf("%v: %+v", args, r)
		}
	}
	if r := ctl(t, "lease4-get", "--help"); !strings.Contains(r.stdout, "Arguments: ip-address, identifier-type, identifier, subnet-id") {
		t.Errorf("command help: %s", r.stdout)
	}
	expect(t, ctl(t, "completion", "fish"), 1)
	if _, err := exec.LookPath("bash"); err != nil {
		t.Skip("bash is not installed")
	}
	script := filepath.Join(t.TempDir(), "c.bash")
	os.WriteFile(script, []byte(ctl(t, "completion", "bash").stdout), 0o600)
	// Complete a few lines with the script and check the candidates.
	cases := []struct {
		line []string
		want string
	}{
		{[]string{"lessorctl", "lease4-get-by"}, "lease4-get-by-client-id lease4-get-by-hostname lease4-get-by-hw-address"},
		{[]string{"lessorctl", "--socket", "/x", "lease4-del", "ip"}, "ip-address="},
		{[]string{"lessorctl", "leases", ""}, "export import list"},
		{[]string{"lessorctl", "leases", "list", "--fam"}, "--family"},
		{[]string{"lessorctl", "leases", "list", "--state", "de"}, "declined default"},
		{[]string{"lessorctl", "completion", ""}, "bash zsh"},
	}
	for _, c := range cases {
		words := "(" + strings.Join(quoteAll(c.line), " ") + ")"
		prog := fmt.Sprintf(`source %s; COMP_WORDS=%s; COMP_CWORD=%d; _lessorctl; printf '%%s\n' "${COMPREPLY[@]}" | sort | tr '\n' ' '`,
			script, words, len(c.line)-1)
		out, err := exec.Command("bash", "-c", prog).CombinedOutput()
		if err != nil || strings.TrimSpace(string(out)) != c.want {
			t.Errorf("%v: got %q (%v), want %q", c.line, out, err, c.want)
		}
	}
	if zsh, err := exec.LookPath("zsh"); err == nil {
		f := filepath.Join(t.TempDir(), "_lessorctl")
		os.WriteFile(f, []byte(ctl(t, "completion", "zsh").stdout), 0o600)
		if out, err := exec.Command(zsh, "-n", f).CombinedOutput(); err != nil {
			t.Errorf("zsh script: %v %s", err, out)
		}
	}
	if !regexp.MustCompile(`lease6-update\) args=\(ip-address .* force-create\)`).MatchString(ctl(t, "completion", "zsh").stdout) {
		t.Errorf("zsh script lacks argument names")
	}
}

func quoteAll(ws []string) []string {
	out := make([]string, len(ws))
	for i, w := range ws {
		out[i] = "'" + w + "'"
	}
	return out
}
