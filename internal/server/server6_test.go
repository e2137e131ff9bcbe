package server

import (
	"strings"
	"testing"
)

const conf6 = `{"Dhcp6": {
  "interfaces-config": {"interfaces": []},
  "control-socket": {"socket-type": "unix", "socket-name": "@DIR@/ctl.sock"},
  "lease-database": {"type": "memfile", "name": "@DIR@/leases6.csv", "lfc-interval": 0},
  "data-directory": "@DIR@",
  "preferred-lifetime": 3000, "valid-lifetime": 4000,
  "subnet6": [{"id": 66, "subnet": "2001:db8:1::/48", "pools": [{"pool": "2001:db8:1::/64"}],
               "pd-pools": [{"prefix": "2001:db8:1:8000::", "prefix-len": 56, "delegated-len": 64}]},
              {"id": 99, "subnet": "2001:db8:2::/48"}]
}}`

// TestCommands6ThroughSocket sends every lease6 command through the real
// control socket of a DHCPv6 server; the texts are Kea 2.2's.
func TestCommands6ThroughSocket(t *testing.T) {
	sock, _ := startServer(t, conf6)
	steps := []struct{ send, want string }{
		{`{"command":"lease6-add","arguments":{"ip-address":"2001:db8:1::100","duid":"1a:1b:1c:1d:1e:1f:20:21:22","iaid":1234,"hostname":"na.example.org"}}`,
			`{ "result": 0, "text": "Lease for address 2001:db8:1::100, subnet-id 66 added." }`},
		{`{"command":"lease6-add","arguments":{"subnet-id":66,"type":"IA_PD","ip-address":"2001:db8:1:8001::","prefix-len":64,"duid":"1a:1b:1c:1d:1e:1f:20:21:22","iaid":5678}}`,
			`{ "result": 0, "text": "Lease for prefix 2001:db8:1:8001::/64, subnet-id 66 added." }`},
		{`{"command":"lease6-add","arguments":{"type":"IA_PD","ip-address":"2001:db8:1:8002::","prefix-len":64,"duid":"01:02","iaid":1}}`,
			`{ "result": 1, "text": "Subnet-id is 0 or not specified. This is allowed for address leases only, not prefix leases." }`},
		{`{"command":"lease6-add","arguments":{"ip-address":"2001:db8:1::100","duid":"0a:0b:0c","iaid":1}}`,
			`{ "result": 1, "text": "IPv6 lease already exists." }`},
		{`{"command":"lease6-get","arguments":{"type":"IA_PD","ip-address":"2001:db8:1:8001::"}}`, `"prefix-len": 64`},
		{`{"command":"lease6-get","arguments":{"identifier-type":"duid","identifier":"1a:1b:1c:1d:1e:1f:20:21:22","iaid":1234,"subnet-id":66}}`, `"text": "IPv6 lease found."`},
		{`{"command":"lease6-get-page","arguments":{"from":"start","limit":1}}`, `"count": 1`},
		{`{"command":"lease6-get-page","arguments":{"from":"192.0.2.1","limit":2}}`, `"text": "'from' parameter value 192.0.2.1 is not an IPv6 address"`},
		{`{"command":"lease6-get-by-duid","arguments":{"duid":"1a:1b:1c:1d:1e:1f:20:21:22"}}`, `"text": "2 IPv6 lease(s) found."`},
		{`{"command":"lease6-get-by-hostname","arguments":{"hostname":"NA.example.org"}}`, `"text": "1 IPv6 lease(s) found."`},
		{`{"command":"lease6-get-all","arguments":{"subnets":[99]}}`, `{ "arguments": { "leases": [  ] }, "result": 3, "text": "0 IPv6 lease(s) found." }`},
		{`{"command":"lease6-update","arguments":{"ip-address":"2001:db8:1::100","duid":"1a:1b:1c:1d:1e:1f:20:21:22","iaid":1234,"hostname":"renamed.example.org"}}`,
			`{ "result": 0, "text": "IPv6 lease updated." }`},
		{`{"command":"lease6-bulk-apply","arguments":{"deleted-leases":[{"ip-address":"2001:db8:1::100","type":"IA_NA"},{"ip-address":"2001:db8:1::999","type":"IA_NA"}],"leases":[{"subnet-id":66,"ip-address":"2001:db8:1::200","duid":"01:02:03","iaid":7}]}}`,
			`"text": "Bulk apply of 2 IPv6 leases completed."`},
		{`{"command":"lease6-bulk-apply","arguments":{"leases":[{"ip-address":"2001:db8:1::201"}]}}`, `"text": "missing parameter 'duid'`},
		{`{"command":"lease6-del","arguments":{"type":"IA_PD","ip-address":"2001:db8:1:8001::"}}`, `{ "result": 0, "text": "IPv6 lease deleted." }`},
		{`{"command":"lease6-del","arguments":{"identifier-type":"hw-address","identifier":"01:02","subnet-id":66}}`, `"text": "Delete by hw-address is not allowed in v6."`},
		{`{"command":"lease6-resend-ddns","arguments":{"ip-address":"2001:db8:1::200"}}`, `{ "result": 1, "text": "DDNS updating is not enabled" }`},
		{`{"command":"lease6-wipe","arguments":{"subnet-id":66}}`, `{ "result": 0, "text": "Deleted 1 IPv6 lease(s) from subnet(s) 66" }`},
		{`{"command":"lease6-wipe"}`, `{ "result": 3, "text": "Deleted 0 IPv6 lease(s) from subnet(s) 66 99" }`},
		{`{"command":"statistic-get","arguments":{"name":"subnet[66].total-pds"}}`, `[ [ 256, "`},
		{`{"command":"lease4-get","arguments":{"ip-address":"192.0.2.1"}}`, `{ "result": 3, "text": "Lease not found." }`},
	}
	for i, st := range steps {
		got := send(t, sock, st.send)
		if !strings.Contains(got, st.want) {
			t.Errorf("step %d %s:\n got %s\nwant it to contain %s", i, st.send, got, st.want)
		}
	}
}
