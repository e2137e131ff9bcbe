package config

import (
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lessor-dhcp/lessor/internal/kjson"
)

// configSetCases are config-test arguments (a Dhcp4 map) with lessor's
// answer text ("" = accepted); Kea 2.2 gives the same, checked below when
// kea-dhcp4 is installed.
var configSetCases = []struct{ args, want string }{
	{`{"Dhcp4": {"subnet4": [{"id": 1, "subnet": "10.0.0.0/8", "pools": [{"pool": "10.0.0.1-10.0.0.9"}]}]}}`, ""},
	{`{"Dhcp4": {"foo": 1}}`, "unsupported global configuration parameter: foo (<wire>:0:58)"},
	{`{"Dhcp4": {"subnet4": [{"subnet": "10.0.0.0/8", "bar": 1}]}}`, "spurious 'bar' parameter"},
	{`{"Dhcp4": {"valid-lifetime": "x"}}`, "intValue() called on non-integer Element in (<wire>:0:69)"},
	{`{"Dhcp4": {"lease-database": {"type": "cql"}}}`, "unknown backend database type: cql (<wire>:0:78)"},
	{`{"Dhcp4": {"subnet4": [{"id": 1, "subnet": "10.0.0.0/8"}, {"id": 1, "subnet": "11.0.0.0/8"}]}}`, "ID of the new IPv4 subnet '1' is already in use (<wire>:0:99)"},
	{`{"Dhcp4": {"subnet4": [{"subnet": "10.0.0.0/8", "pools": [{"pool": "10.0.0.1-10.0.0.5", "x": 1}]}]}}`, "spurious 'x' parameter"},
	{`{"Dhcp4": {"subnet4": [{"subnet": "10.0.0.0/8", "valid-lifetime": "x"}]}}`, "'valid-lifetime' parameter is not an integer"},
	{`{"Dhcp4": {"lease-database": {"type": "memfile", "foo": 1}}}`, "invalid value type specified for parameter 'foo' (<wire>:0:96)"},
	{`{"Dhcp4": {"lease-database": {"name": "x"}}}`, "database access parameters must include the keyword 'type' to determine type of database to be accessed (<wire>:0:70)"},
	{`{"Dhcp4": {"subnet4": [{"id": 1}]}}`, "subnet configuration failed: mandatory 'subnet' parameter is missing for a subnet being configured (<wire>:0:64)"},
	{`{"Dhcp4": {"interfaces-config": {"foo": 1}}}`, "unsupported parameter 'foo' (<wire>:0:80)"},
	{`{"Dhcp4": {"subnet4": {}}}`, "listValue() called on non-list Element in (<wire>:0:63)"},
	{`{"Dhcp4": {"hooks-libraries": [{"library": "/x/libdhcp_lease_cmds.so", "foo": 1}]}}`, "unknown hooks library parameter: foo(<wire>:0:72)"},
	{`{"Dhcp4": {"loggers": [{"name": "kea-dhcp4", "foo": 1}]}}`, ""},
	{`{"Dhcp4": {"shared-networks": [{"name": "a", "foo": 1}]}}`, "spurious 'foo' parameter"},
	{`{"Dhcp4": {"subnet4": [{"subnet": "10.0.0.0/8", "user-context": 1}]}}`, "'user-context' parameter is not a map"},
	{`{"Dhcp4": {"subnet4": [{"subnet": "10.0.0.0/8", "pools": [{"pool": "11.0.0.1-11.0.0.5"}]}]}}`,
		"subnet configuration failed: a pool of type V4, with the following address range: 11.0.0.1-11.0.0.5 does not match the prefix of a subnet: 10.0.0.0/8 to which it is being added (<wire>:0:64)"},
	{`{"Dhcp4": {"valid-lifetime": 10, "max-valid-lifetime": 5}}`, "the value of (default) valid-lifetime (10) is not less than max-valid-lifetime (5)"},
}

func configTestText(args string) string {
	return `{"command": "config-test", "arguments": ` + args + `}`
}

func TestConfigSetTexts(t *testing.T) {
	for _, c := range configSetCases {
		cmd, err := kjson.ParseWire([]byte(configTestText(c.args)))
		if err != nil {
			t.Fatal(err)
		}
		got := ""
		if _, err := FromElement(cmd.Get("arguments")); err != nil {
			got = err.Error()
		}
		if got != c.want {
			t.Errorf("%s:\n got: %s\nwant: %s", c.args, got, c.want)
		}
	}
}

// TestConfigSetAgainstKea sends the same config-test commands to a running
// kea-dhcp4.
func TestConfigSetAgainstKea(t *testing.T) {
	const bin = "/usr/sbin/kea-dhcp4"
	if _, err := os.Stat(bin); err != nil || testing.Short() {
		t.Skip("Kea not installed or short mode")
	}
	dir := t.TempDir()
	sock := filepath.Join(dir, "k.sock")
	conf := filepath.Join(dir, "k.json")
	text := `{"Dhcp4": {` + ifaces + `, "control-socket": {"socket-type": "unix", "socket-name": "` + sock +
		`"}, "lease-database": {"type": "memfile", "persist": false}}}`
	if err := os.WriteFile(conf, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "-c", conf)
	cmd.Env = append(os.Environ(), "KEA_PIDFILE_DIR="+dir, "KEA_LOCKFILE_DIR="+dir)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	deadline := time.Now().Add(10 * time.Second)
	for {
		if _, err := os.Stat(sock); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("Kea did not open its control socket")
		}
		time.Sleep(50 * time.Millisecond)
	}
	for _, c := range configSetCases {
		ans, err := keaCommand(sock, configTestText(c.args))
		if err != nil {
			t.Fatal(err)
		}
		want := `{ "result": 1, "text": ` + kjson.Quote(c.want) + ` }`
		if c.want == "" {
			want = `{ "result": 0, "text": "Configuration seems sane. Control-socket, hook-libraries, and D2 configuration were sanity checked, but not applied." }`
		}
		if ans != want {
			t.Errorf("%s:\n kea: %s\nwant: %s", c.args, ans, want)
		}
	}
}

func keaCommand(sock, text string) (string, error) {
	var c net.Conn
	var err error
	// The socket file may appear before Kea listens on it.
	for try := 0; try < 50; try++ {
		if c, err = net.DialTimeout("unix", sock, 5*time.Second); err == nil {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if err != nil {
		return "", err
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.WriteString(c, text); err != nil {
		return "", err
	}
	out, err := io.ReadAll(c)
	if err != nil {
		return "", fmt.Errorf("read: %w", err)
	}
	return strings.TrimSpace(string(out)), nil
}
