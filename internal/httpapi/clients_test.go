package httpapi

import (
	"bytes"
	"fmt"
	"net/url"
	"os/exec"
	"strings"
	"testing"
)

// run runs a client program and returns its output (stdout, then stderr
// after a marker when not empty) and exit status.
func run(t *testing.T, stdin string, name string, args ...string) string {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Stdin = strings.NewReader(stdin)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	s := out.String()
	if errb.Len() > 0 {
		s += "\n--- stderr:\n" + errb.String()
	}
	if err != nil {
		s += "\n--- " + err.Error()
	}
	return s
}

func hostPort(t *testing.T, base string) (string, string) {
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	return u.Hostname(), u.Port()
}

// TestRealClients drives Kea's agent and lessor's with kea-shell and curl,
// and compares what the clients print.
func TestRealClients(t *testing.T) {
	needFile(t, keaAgent)
	dir, dir2 := t.TempDir(), t.TempDir()
	sock := startKeaDhcp4(t, dir)
	sock2 := startKeaDhcp4(t, dir2)
	conf := func(port int, sock string) string {
		return fmt.Sprintf(`{"Control-agent":{"http-host":"127.0.0.1","http-port":%d,
"control-sockets":{"dhcp4":{"socket-type":"unix","socket-name":%q}},
"authentication":{"type":"basic","realm":"kea-realm","clients":[{"user":"admin","password":"secret"}]}}}`, port, sock)
	}
	port := freePort(t)
	startKea(t, dir, keaAgent, "ca", conf(port, sock), tcpReady(port))
	kea := fmt.Sprintf("http://127.0.0.1:%d", port)
	lessor := startLessor(t, conf(0, sock2))

	type client struct {
		name  string
		stdin string
		bin   string
		args  func(host, port, base string) []string
	}
	shell := func(service string, extra ...string) func(host, port, base string) []string {
		return func(host, port, base string) []string {
			a := []string{"--host", host, "--port", port, "--auth-user", "admin", "--auth-password", "secret"}
			if service != "" {
				a = append(a, "--service", service)
			}
			return append(a, extra...)
		}
	}
	curl := func(body string, extra ...string) func(host, port, base string) []string {
		return func(host, port, base string) []string {
			a := []string{"-s", "-X", "POST", "-H", "Content-Type: application/json", "-d", body}
			a = append(a, extra...)
			return append(a, base+"/")
		}
	}
	clients := []client{
		{name: "kea-shell list-commands dhcp4", bin: keaShell, args: shell("dhcp4", "list-commands")},
		{name: "kea-shell list-commands agent", bin: keaShell, args: shell("", "list-commands")},
		{name: "kea-shell lease4-add", bin: keaShell, stdin: `"ip-address": "192.0.2.20", "hw-address": "aa:bb:cc:dd:ee:ff", "hostname": "h.example.org", "valid-lft": 3600, "expire": 2000000000`,
			args: shell("dhcp4", "lease4-add")},
		{name: "kea-shell lease4-get-by-hostname", bin: keaShell, stdin: `"hostname": "h.example.org"`,
			args: shell("dhcp4", "lease4-get-by-hostname")},
		{name: "kea-shell bad args", bin: keaShell, stdin: `"ip-address": "nope"`, args: shell("dhcp4", "lease4-get")},
		{name: "kea-shell unknown service", bin: keaShell, args: shell("dhcp6", "list-commands")},
		{name: "kea-shell wrong password", bin: keaShell, args: func(host, port, base string) []string {
			return []string{"--host", host, "--port", port, "--auth-user", "admin", "--auth-password", "nope", "--service", "dhcp4", "list-commands"}
		}},
		{name: "curl lease4-del", bin: curlBinary, args: curl(`{"command":"lease4-del","service":["dhcp4"],"arguments":{"ip-address":"192.0.2.20"}}`, "-u", "admin:secret")},
		{name: "curl config-test", bin: curlBinary, args: curl(`{"command":"config-test","arguments":{"Control-agent":{"http-port":"x"}}}`, "-u", "admin:secret")},
		{name: "curl no credentials", bin: curlBinary, args: curl(`{"command":"list-commands"}`, "-i")},
		{name: "curl bad JSON", bin: curlBinary, args: curl(`{"command"`, "-u", "admin:secret", "-w", " %{http_code} %{content_type}")},
	}
	for _, c := range clients {
		t.Run(c.name, func(t *testing.T) {
			needFile(t, c.bin)
			kh, kp := hostPort(t, kea)
			lh, lp := hostPort(t, lessor)
			k := run(t, c.stdin, c.bin, c.args(kh, kp, kea)...)
			l := run(t, c.stdin, c.bin, c.args(lh, lp, lessor)...)
			k, l = dropDate(k), dropDate(l)
			if k != l {
				t.Errorf("output differs:\nkea:\n%s\nlessor:\n%s", k, l)
			}
			if strings.TrimSpace(l) == "" {
				t.Errorf("no output")
			}
		})
	}
}

// dropDate removes the Date header line that curl -i prints.
func dropDate(s string) string {
	var out []string
	for _, line := range strings.Split(s, "\n") {
		if !strings.HasPrefix(strings.ToLower(line), "date:") {
			out = append(out, line)
		}
	}
	return strings.Join(out, "\n")
}
