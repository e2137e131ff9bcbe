package server

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestDualStack runs Dhcp4 and Dhcp6 from one file: each family has its
// own control socket, lease file and statistics.
func TestDualStack(t *testing.T) {
	c4 := strings.TrimSuffix(strings.TrimPrefix(conf4, "{"), "}")
	c6 := strings.TrimSuffix(strings.TrimPrefix(conf6, "{"), "}")
	c6 = strings.Replace(c6, "@DIR@/ctl.sock", "@DIR@/ctl6.sock", 1)
	sock4, srv := startServer(t, "{"+c4+", "+c6+"}")
	sock6 := filepath.Join(filepath.Dir(sock4), "ctl6.sock")
	if got := send(t, sock4, `{"command":"lease4-add","arguments":{"ip-address":"192.0.2.20","hw-address":"1a:1b:1c:1d:1e:1f"}}`); !strings.Contains(got, `"result": 0`) {
		t.Fatalf("lease4-add on the v4 socket: %s", got)
	}
	if got := send(t, sock6, `{"command":"lease6-add","arguments":{"ip-address":"2001:db8:1::100","duid":"01:02:03","iaid":1}}`); !strings.Contains(got, `"result": 0`) {
		t.Fatalf("lease6-add on the v6 socket: %s", got)
	}
	// Each socket serves its own family's leases, as two Kea processes do.
	if got := send(t, sock4, `{"command":"lease6-get-all"}`); !strings.Contains(got, `"result": 3`) {
		t.Errorf("lease6-get-all on the v4 socket: %s", got)
	}
	if got := send(t, sock6, `{"command":"lease6-get-all"}`); !strings.Contains(got, `"1 IPv6 lease(s) found."`) {
		t.Errorf("lease6-get-all on the v6 socket: %s", got)
	}
	if got := send(t, sock4, `{"command":"statistic-get","arguments":{"name":"subnet[66].assigned-nas"}}`); got != `{ "arguments": {  }, "result": 0 }` {
		t.Errorf("the v4 server has v6 statistics: %s", got)
	}
	if len(srv.Families()) != 2 {
		t.Fatalf("families = %d", len(srv.Families()))
	}
	dir := filepath.Dir(sock4)
	for _, f := range []string{"leases4.csv", "leases6.csv"} {
		b, err := os.ReadFile(filepath.Join(dir, f))
		if err != nil || strings.Count(string(b), "\n") != 2 {
			t.Errorf("%s: %v\n%s", f, err, b)
		}
	}
}
