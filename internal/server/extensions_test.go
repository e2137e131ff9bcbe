package server

import (
	"strings"
	"testing"
)

const confExt = `{"Dhcp4": {
  "interfaces-config": {"interfaces": []},
  "control-socket": {"socket-type": "unix", "socket-name": "@DIR@/ctl.sock"},
  "lease-database": {"type": "memfile", "name": "@DIR@/leases4.csv"},
  "user-context": {"lessor": {"extensions": true}},
  "valid-lifetime": 4000,
  "subnet4": [{"id": 1, "subnet": "192.0.2.0/24"}, {"id": 2, "subnet": "198.51.100.0/24"}]
}}`

// TestExtensionsThroughSocket covers the commands beyond Kea 2.2 through
// the real control socket.
func TestExtensionsThroughSocket(t *testing.T) {
	sock, _ := startServer(t, confExt)
	steps := []struct{ send, want string }{
		{`{"command":"lease4-add","arguments":{"ip-address":"192.0.2.1","hw-address":"01:02:03:04:05:06","state":1}}`, `"result": 0`},
		{`{"command":"lease4-add","arguments":{"ip-address":"198.51.100.1","hw-address":"01:02:03:04:05:07"}}`, `"result": 0`},
		{`{"command":"lease4-get-by-state","arguments":{"state":"declined"}}`, `"text": "1 IPv4 lease(s) found with state declined (1)."`},
		{`{"command":"lease4-get-by-state","arguments":{"state":0,"subnet-id":2}}`, `"text": "1 IPv4 lease(s) found with state default (0) in subnet 2."`},
		{`{"command":"lease4-get-by-state","arguments":{"state":"bogus"}}`, `"text": "'state' parameter value (bogus) is not recognized"`},
		{`{"command":"lease4-get-by-state","arguments":{"state":true}}`, `"text": "'state' parameter must be a number or a string"`},
		{`{"command":"lease4-get-page","arguments":{"from":"start","limit":10,"subnets":[2]}}`, `"ip-address": "198.51.100.1"`},
		{`{"command":"lease4-get-page","arguments":{"from":"start","limit":10,"state":"declined"}}`, `"count": 1`},
		{`{"command":"lease4-get-page","arguments":{"from":"start","limit":10,"subnets":"x"}}`, `"text": "'subnets' parameter must be a list"`},
		// Atomic: the delete of an absent lease fails, so the add is undone.
		{`{"command":"lease4-bulk-apply","arguments":{"atomic":true,"deleted-leases":[{"ip-address":"192.0.2.77"}],"leases":[{"ip-address":"198.51.100.9","hw-address":"aa:bb:cc:dd:ee:ff"}]}}`,
			`"text": "Atomic bulk apply of IPv4 leases failed: no change was applied."`},
		{`{"command":"lease4-get","arguments":{"ip-address":"198.51.100.9"}}`, `"result": 3`},
		// Not atomic: the add stays, the failed delete is reported.
		{`{"command":"lease4-bulk-apply","arguments":{"deleted-leases":[{"ip-address":"192.0.2.77"}],"leases":[{"ip-address":"198.51.100.9","hw-address":"aa:bb:cc:dd:ee:ff"}]}}`,
			`"error-message": "lease not found"`},
		{`{"command":"lease4-get","arguments":{"ip-address":"198.51.100.9"}}`, `"result": 0`},
		{`{"command":"lease4-write","arguments":{"filename":"copy.csv"}}`, `lease database into '`},
		{`{"command":"lease4-write","arguments":{"filename":"/etc/x.csv"}}`, `'filename' parameter is invalid`},
		{`{"command":"lease6-get-by-hw-address","arguments":{"hw-address":""}}`, `"text": "'hw-address' parameter must not be empty"`},
		{`{"command":"list-commands"}`, `"lease4-get-by-state"`},
	}
	for i, st := range steps {
		got := send(t, sock, st.send)
		if !strings.Contains(got, st.want) {
			t.Errorf("step %d %s:\n got %s\nwant it to contain %s", i, st.send, got, st.want)
		}
	}
}

// TestNoExtensionsByDefault: a plain Kea 2.2 file gets Kea 2.2's commands.
func TestNoExtensionsByDefault(t *testing.T) {
	sock, _ := startServer(t, conf4)
	if got := send(t, sock, `{"command":"lease4-get-by-state","arguments":{"state":0}}`); !strings.Contains(got, `"result": 2`) {
		t.Errorf("lease4-get-by-state without extensions: %s", got)
	}
	got := send(t, sock, `{"command":"lease4-get-page","arguments":{"from":"start","limit":5,"subnets":"ignored as Kea does"}}`)
	if !strings.Contains(got, `"result": 3`) {
		t.Errorf("get-page with an unknown argument: %s", got)
	}
}
