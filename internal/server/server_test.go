package server

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	_ "github.com/lessor-dhcp/lessor/store/memfile"
)

// startServer runs a lessor server on a configuration written to a temp dir
// and returns its control socket path.
func startServer(t *testing.T, conf string) (string, *Server) {
	t.Helper()
	dir := t.TempDir()
	sock := filepath.Join(dir, "ctl.sock")
	conf = strings.ReplaceAll(conf, "@DIR@", dir)
	path := filepath.Join(dir, "kea.conf")
	if err := os.WriteFile(path, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	srv, err := New(path, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	if err := srv.Start(ctx); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { srv.Serve(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done; srv.Close() })
	return sock, srv
}

func send(t *testing.T, sock, cmd string) string {
	t.Helper()
	c, err := net.Dial("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(15 * time.Second))
	if _, err := io.WriteString(c, cmd); err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(c)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

const conf4 = `{"Dhcp4": {
  "interfaces-config": {"interfaces": []},
  "control-socket": {"socket-type": "unix", "socket-name": "@DIR@/ctl.sock"},
  "lease-database": {"type": "memfile", "name": "@DIR@/leases4.csv", "lfc-interval": 0},
  "hooks-libraries": [{"library": "/usr/lib/x86_64-linux-gnu/kea/hooks/libdhcp_lease_cmds.so"}],
  "valid-lifetime": 4000,
  "subnet4": [{"id": 44, "subnet": "192.0.2.0/24", "pools": [{"pool": "192.0.2.10-192.0.2.200"}]},
              {"id": 88, "subnet": "192.0.3.0/24"}]
}}`

var clttRe = regexp.MustCompile(`"cltt": [0-9]+`)

// TestCommandsThroughSocket sends commands through the real control socket
// and compares the answers with the ones Kea 2.2 gives (conformance/reference).
func TestCommandsThroughSocket(t *testing.T) {
	sock, _ := startServer(t, conf4)
	steps := []struct{ send, want string }{
		{`{"command":"lease4-add","arguments":{"ip-address":"192.0.2.20","hw-address":"1a:1b:1c:1d:1e:1f","hostname":"host20.example.org"}}`,
			`{ "result": 0, "text": "Lease for address 192.0.2.20, subnet-id 44 added." }`},
		{`{"command":"lease4-add","arguments":{"ip-address":"192.0.2.20","hw-address":"1a:1b:1c:1d:1e:1f"}}`,
			`{ "result": 1, "text": "IPv4 lease already exists." }`},
		{`{"command":"lease4-add","arguments":{"ip-address":"192.0.2.30"}}`,
			`{ "result": 1, "text": "missing parameter 'hw-address' (<wire>:0:37)" }`},
		{`{"command":"lease4-add","arguments":{"ip-address":"10.0.0.1","hw-address":"1a:1b:1c:1d:1e:1f"}}`,
			`{ "result": 1, "text": "subnet-id not specified and failed to find a subnet for address 10.0.0.1" }`},
		{`{"command":"lease4-get","arguments":{"ip-address":"192.0.2.20"}}`,
			`{ "arguments": { "cltt": X, "fqdn-fwd": false, "fqdn-rev": false, "hostname": "host20.example.org", "hw-address": "1a:1b:1c:1d:1e:1f", "ip-address": "192.0.2.20", "state": 0, "subnet-id": 44, "valid-lft": 4000 }, "result": 0, "text": "IPv4 lease found." }`},
		{`{"command":"lease4-get","arguments":{"ip-address":"192.0.2.999"}}`,
			`{ "result": 1, "text": "Failed to convert string to address '192.0.2.999': Invalid argument" }`},
		{`{"command":"lease4-get-page","arguments":{"from":"start","limit":0}}`,
			`{ "result": 1, "text": "page size of retrieved leases must not be 0" }`},
		{`{"command":"statistic-get","arguments":{"name":"subnet[44].assigned-addresses"}}`, ""},
		{`{"command":"lease4-update","arguments":{"ip-address":"192.0.2.99","hw-address":"1a:1b:1c:1d:1e:1f"}}`,
			`{ "result": 1, "text": "failed to update the lease with address 192.0.2.99 either because the lease has been deleted or it has changed in the database, in both cases a retry might succeed" }`},
		{`{"command":"lease4-del","arguments":{"ip-address":"192.0.2.20"}}`, `{ "result": 0, "text": "IPv4 lease deleted." }`},
		{`{"command":"lease4-del","arguments":{"ip-address":"192.0.2.20"}}`, `{ "result": 3, "text": "IPv4 lease not found." }`},
		{`{"command":"lease4-nonexistent"}`, `{ "result": 2, "text": "'lease4-nonexistent' command not supported." }`},
		{`this is not json}`, `{ "result": 1, "text": "invalid first character t" }`},
		{`{"command": 42}`, `{ "result": 1, "text": "Error during command processing: 'command' element in command message is not a string" }`},
		{`[1, 2]`, `{ "result": 1, "text": "Error during command processing: Invalid command Element specified, expected map" }`},
		{`{"command":"lease4-resend-ddns"}`, `{ "result": 1, "text": "'ip-address' parameter is missing." }`},
		{`{"command":"lease4-wipe","arguments":{"subnet-id":44}}`, `{ "result": 3, "text": "Deleted 0 IPv4 lease(s) from subnet(s) 44" }`},
	}
	for i, st := range steps {
		got := clttRe.ReplaceAllString(send(t, sock, st.send), `"cltt": X`)
		if st.want != "" && got != st.want {
			t.Errorf("step %d %s:\n got %s\nwant %s", i, st.send, got, st.want)
		}
	}
	got := send(t, sock, `{"command":"statistic-get","arguments":{"name":"subnet[44].assigned-addresses"}}`)
	if !strings.HasPrefix(got, `{ "arguments": { "subnet[44].assigned-addresses": [ [ 0, `) || strings.Count(got, "[ ") != 5 {
		t.Errorf("assigned-addresses after add and delete: %s", got)
	}
}

func TestTimeoutOnIncompleteCommand(t *testing.T) {
	if testing.Short() {
		t.Skip("waits for the 10 s control channel timeout")
	}
	sock, _ := startServer(t, conf4)
	c, err := net.Dial("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	io.WriteString(c, `{"command": "list-`)
	// A well-behaved client is answered meanwhile.
	if got := send(t, sock, `{"command":"lease4-get-all"}`); !strings.Contains(got, `"result": 3`) {
		t.Errorf("lease4-get-all while another client is silent: %s", got)
	}
	c.SetDeadline(time.Now().Add(15 * time.Second))
	b, _ := io.ReadAll(c)
	want := fmt.Sprintf(`{ "result": 1, "text": "Connection over control channel timed out, discarded partial command of %d bytes" }`, len(`{"command": "list-`))
	if string(b) != want {
		t.Errorf("got %s, want %s", b, want)
	}
}
