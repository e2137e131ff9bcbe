// Package http_test drives the lessor binary's HTTP control API with the
// clients operators use with Kea's Control Agent: kea-shell and curl.
package http_test

import (
	"bytes"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

func buildLessor(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("LESSOR_BIN"); p != "" {
		return p
	}
	_, file, _, _ := runtime.Caller(0)
	root := filepath.Join(filepath.Dir(file), "..", "..")
	bin := filepath.Join(t.TempDir(), "lessor")
	cmd := exec.Command("go", "build", "-o", bin, "./cmd/lessor")
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

func freePort(t *testing.T) int {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// startLessor runs lessor on a Dhcp4 file and a separate
// kea-ctrl-agent.conf, as an operator's existing pair of files.
func startLessor(t *testing.T) int {
	dir := t.TempDir()
	port := freePort(t)
	dhcp4 := fmt.Sprintf(`// kea-dhcp4.conf
{"Dhcp4": {"interfaces-config": {"interfaces": []},
  "control-socket": {"socket-type": "unix", "socket-name": "%[1]s/kea4.sock"},
  "lease-database": {"type": "memfile", "name": "%[1]s/leases4.csv"},
  "hooks-libraries": [{"library": "/usr/lib/x86_64-linux-gnu/kea/hooks/libdhcp_lease_cmds.so"}],
  "valid-lifetime": 4000,
  "subnet4": [{"id": 1, "subnet": "192.0.2.0/24"}]}}`, dir)
	agent := fmt.Sprintf(`// kea-ctrl-agent.conf
{"Control-agent": {"http-host": "127.0.0.1", "http-port": %d,
  "authentication": {"type": "basic", "realm": "kea", "clients": [{"user": "admin", "password": "1234"}]},
  "control-sockets": {"dhcp4": {"socket-type": "unix", "socket-name": "%s/kea4.sock"}}}}`, port, dir)
	p4, pa := filepath.Join(dir, "kea-dhcp4.conf"), filepath.Join(dir, "kea-ctrl-agent.conf")
	os.WriteFile(p4, []byte(dhcp4), 0o644)
	os.WriteFile(pa, []byte(agent), 0o644)
	cmd := exec.Command(buildLessor(t), "-c", p4, "-c", pa)
	var log bytes.Buffer
	cmd.Stdout, cmd.Stderr = &log, &log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Signal(os.Interrupt)
		cmd.Wait()
		if t.Failed() {
			t.Logf("lessor output:\n%s", log.String())
		}
	})
	for i := 0; i < 100; i++ {
		if c, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", port)); err == nil {
			c.Close()
			return port
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("lessor's HTTP API did not come up:\n%s", log.String())
	return 0
}

func TestKeaShell(t *testing.T) {
	shell, err := exec.LookPath("kea-shell")
	if err != nil {
		if _, err2 := os.Stat("/usr/sbin/kea-shell"); err2 != nil {
			t.Skip("SKIPPED: kea-shell is not installed (Debian package kea-admin)")
		}
		shell = "/usr/sbin/kea-shell"
	}
	port := startLessor(t)
	run := func(command, args string) string {
		cmd := exec.Command(shell, "--host", "127.0.0.1", "--port", fmt.Sprint(port), "--service", "dhcp4",
			"--auth-user", "admin", "--auth-password", "1234", command)
		cmd.Stdin = strings.NewReader(args)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("kea-shell %s: %v\n%s", command, err, out)
		}
		return string(out)
	}
	if out := run("lease4-add", `"ip-address": "192.0.2.9", "hw-address": "1a:1b:1c:1d:1e:1f"`); !strings.Contains(out, `"Lease for address 192.0.2.9, subnet-id 1 added."`) {
		t.Errorf("kea-shell lease4-add: %s", out)
	}
	if out := run("lease4-get", `"ip-address": "192.0.2.9"`); !strings.Contains(out, `"IPv4 lease found."`) {
		t.Errorf("kea-shell lease4-get: %s", out)
	}
	if out := run("list-commands", ""); !strings.Contains(out, `"lease6-bulk-apply"`) {
		t.Errorf("kea-shell list-commands: %s", out)
	}
}

func TestCurl(t *testing.T) {
	curl, err := exec.LookPath("curl")
	if err != nil {
		t.Skip("SKIPPED: curl is not installed")
	}
	port := startLessor(t)
	url := fmt.Sprintf("http://127.0.0.1:%d/", port)
	out, err := exec.Command(curl, "-s", "-u", "admin:1234", "-H", "Content-Type: application/json",
		"-d", `{"command": "lease4-get-all", "service": ["dhcp4"]}`, url).CombinedOutput()
	if err != nil || !strings.Contains(string(out), `"0 IPv4 lease(s) found."`) {
		t.Errorf("curl lease4-get-all: %v %s", err, out)
	}
	out, _ = exec.Command(curl, "-s", "-o", "/dev/null", "-w", "%{http_code}", "-H", "Content-Type: application/json",
		"-d", `{"command": "lease4-get-all", "service": ["dhcp4"]}`, url).CombinedOutput()
	if string(out) != "401" {
		t.Errorf("curl without credentials: HTTP %s, want 401", out)
	}
}
