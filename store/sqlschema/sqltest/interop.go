package sqltest

import (
	"context"
	"net/netip"
	"reflect"
	"testing"

	"github.com/lessor-dhcp/lessor/internal/kjson"
	"github.com/lessor-dhcp/lessor/lease"
)

// Raw row queries: every column as text, binary columns in hex.
var rawRows = map[string]map[int]string{
	"postgresql": {
		4: "SELECT address, encode(hwaddr, 'hex'), encode(client_id, 'hex'), valid_lifetime, extract(epoch from expire)::bigint, subnet_id, fqdn_fwd, fqdn_rev, hostname, state, user_context FROM lease4 ORDER BY address",
		6: "SELECT address, encode(duid, 'hex'), valid_lifetime, extract(epoch from expire)::bigint, subnet_id, pref_lifetime, lease_type, iaid, prefix_len, fqdn_fwd, fqdn_rev, hostname, encode(hwaddr, 'hex'), hwtype, hwaddr_source, state, user_context FROM lease6 ORDER BY address",
	},
	"mysql": {
		4: "SELECT address, HEX(hwaddr), HEX(client_id), valid_lifetime, UNIX_TIMESTAMP(expire), subnet_id, fqdn_fwd, fqdn_rev, hostname, state, user_context FROM lease4 ORDER BY address",
		6: "SELECT address, HEX(duid), valid_lifetime, UNIX_TIMESTAMP(expire), subnet_id, pref_lifetime, lease_type, iaid, prefix_len, fqdn_fwd, fqdn_rev, hostname, HEX(hwaddr), hwtype, hwaddr_source, state, user_context FROM lease6 ORDER BY address",
	},
}

var statRows = map[int][]string{
	4: {"SELECT subnet_id, state, leases FROM lease4_stat WHERE leases > 0 ORDER BY subnet_id, state",
		"SELECT client_class, leases FROM lease4_stat_by_client_class WHERE leases > 0 ORDER BY client_class"},
	6: {"SELECT subnet_id, lease_type, state, leases FROM lease6_stat WHERE leases > 0 ORDER BY subnet_id, lease_type, state",
		"SELECT client_class, lease_type, leases FROM lease6_stat_by_client_class WHERE leases > 0 ORDER BY client_class, lease_type"},
}

// Commands4 and Commands6 add leases of every shape Kea's lease commands
// allow (absent and present optional fields, states, infinite lifetime,
// client classes in the user context).
var Commands4 = []string{
	`{"command": "lease4-add", "arguments": {"ip-address": "192.0.2.1", "hw-address": "1a:1b:1c:1d:1e:1f"}}`,
	`{"command": "lease4-add", "arguments": {"ip-address": "192.0.2.2", "hw-address": "00:01", "client-id": "01:0a:0b:0c",
		"valid-lft": 600, "expire": 1900000000, "fqdn-fwd": true, "fqdn-rev": true, "hostname": "host.example.org",
		"user-context": {"comment": "x, y", "num": 1.5, "list": [1, "a", null, true], "ISC": {"client-classes": ["A", "B"]}}}}`,
	`{"command": "lease4-add", "arguments": {"ip-address": "192.0.2.3", "hw-address": "aa:bb:cc:dd:ee:ff", "state": 1}}`,
	`{"command": "lease4-add", "arguments": {"ip-address": "10.1.2.3", "subnet-id": 2, "hw-address": "aa:bb:cc:dd:ee:01", "valid-lft": 4294967295, "state": 2}}`,
}

var Commands6 = []string{
	`{"command": "lease6-add", "arguments": {"ip-address": "2001:db8::1", "duid": "00:01:02:03", "iaid": 1}}`,
	`{"command": "lease6-add", "arguments": {"ip-address": "2001:db8::a", "duid": "0a:0b:0c:0d:0e", "iaid": 4294967295,
		"hw-address": "01:02:03:04:05:06", "preferred-lft": 300, "valid-lft": 600, "expire": 1900000000,
		"fqdn-fwd": true, "hostname": "six.example.org", "state": 1,
		"user-context": {"ISC": {"client-classes": ["C"]}, "s": "q\"uote"}}}`,
	`{"command": "lease6-add", "arguments": {"ip-address": "2001:db8:1:100::", "type": "IA_PD", "prefix-len": 56,
		"subnet-id": 2, "duid": "01:02", "iaid": 7, "valid-lft": 4294967295, "user-context": {"ISC": {"client-classes": ["C", "D"]}}}}`,
	`{"command": "lease6-add", "arguments": {"ip-address": "2001:db8::10", "duid": "00:01:02:03", "iaid": 2, "state": 2}}`,
}

// Interop4 proves that Kea 2.2 and lessor's store for typ, on one
// database (initialized by lessor or by kea-admin), write the same rows and
// statistics and read each other's leases.
func Interop4(t *testing.T, typ string, schema Schema) {
	ctx := context.Background()
	cfg := NewDatabase(t, typ, 4, schema)
	kea := StartKea(t, 4, cfg)
	for _, c := range Commands4 {
		kea.MustSucceed(c)
	}
	keaAll := kea.MustSucceed(`{"command": "lease4-get-all"}`).Get("arguments").Get("leases")
	keaRows := Query(t, cfg, rawRows[typ][4])
	keaStats := [][][]string{Query(t, cfg, statRows[4][0]), Query(t, cfg, statRows[4][1])}

	s := Open(t, cfg).V4()
	var leases []*lease.Lease4
	for _, e := range keaAll.L {
		want := FromElement4(t, e)
		got, err := s.GetLease4(ctx, want.Addr)
		if err != nil {
			t.Fatal(err)
		}
		if got == nil || !got.ToElement().Equal(e) {
			t.Errorf("lessor reads Kea's row as %v, Kea reads it as %s", got, e.Str())
		}
		leases = append(leases, want)
	}
	counts, err := s.CountLeases4(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var fromStat [][]string
	for _, c := range counts {
		if c.State <= 1 {
			fromStat = append(fromStat, []string{itoa(c.SubnetID), itoa(uint32(c.State)), itoa(uint32(c.Count))})
		}
	}
	if !reflect.DeepEqual(fromStat, keaStats[0]) {
		t.Errorf("CountLeases4 %v, lease4_stat %v", counts, keaStats[0])
	}

	Exec(t, cfg, "DELETE FROM lease4")
	for _, l := range leases {
		if err := s.AddLease4(ctx, l); err != nil {
			t.Fatal(err)
		}
	}
	lessorRows := Query(t, cfg, rawRows[typ][4])
	t.Logf("Kea rows: %q", keaRows)
	compareRows(t, "lease4", keaRows, lessorRows)
	for i, q := range statRows[4] {
		if got := Query(t, cfg, q); !reflect.DeepEqual(got, keaStats[i]) {
			t.Errorf("%s: after lessor's adds %v, after Kea's %v", q, got, keaStats[i])
		}
	}
	again := kea.MustSucceed(`{"command": "lease4-get-all"}`).Get("arguments").Get("leases")
	if !again.Equal(keaAll) {
		t.Errorf("Kea reads lessor's rows as\n%s\nits own as\n%s", again.Str(), keaAll.Str())
	}
	// Kea updates and deletes leases lessor wrote (its statements match
	// on address and the expire lessor stored), and sees lessor's wipe.
	kea.MustSucceed(`{"command": "lease4-update", "arguments": {"ip-address": "192.0.2.1", "hw-address": "1a:1b:1c:1d:1e:2f", "hostname": "kea.example"}}`)
	got, err := s.GetLease4(ctx, netip.MustParseAddr("192.0.2.1"))
	if err != nil || got == nil || got.Hostname != "kea.example" || lease.FormatHex(got.HWAddr) != "1a:1b:1c:1d:1e:2f" {
		t.Errorf("lessor reads Kea's update as %+v %v", got, err)
	}
	kea.MustSucceed(`{"command": "lease4-del", "arguments": {"ip-address": "192.0.2.3"}}`)
	if n, err := s.WipeLeases4(ctx, 1); err != nil || n != 2 {
		t.Errorf("wipe after Kea's delete: %d %v", n, err)
	}
	if ans := kea.Command(`{"command": "lease4-get-all", "arguments": {"subnets": [1]}}`); ans.Get("result").I != 3 {
		t.Errorf("Kea after lessor's wipe: %s", ans.Str())
	}
	if got := Query(t, cfg, "SELECT COALESCE(SUM(leases), 0) FROM lease4_stat WHERE subnet_id = 1"); got[0][0] != "0" {
		t.Errorf("lease4_stat of subnet 1 after the wipe: %v", got)
	}
}

// Interop6 is Interop4 for IPv6 leases.
func Interop6(t *testing.T, typ string, schema Schema) {
	ctx := context.Background()
	cfg := NewDatabase(t, typ, 6, schema)
	kea := StartKea(t, 6, cfg)
	for _, c := range Commands6 {
		kea.MustSucceed(c)
	}
	keaAll := kea.MustSucceed(`{"command": "lease6-get-all"}`).Get("arguments").Get("leases")
	keaRows := Query(t, cfg, rawRows[typ][6])
	keaStats := [][][]string{Query(t, cfg, statRows[6][0]), Query(t, cfg, statRows[6][1])}

	s := Open(t, cfg).V6()
	var leases []*lease.Lease6
	for _, e := range keaAll.L {
		want := FromElement6(t, e)
		got, err := s.GetLease6(ctx, want.Type, want.Addr)
		if err != nil {
			t.Fatal(err)
		}
		if got == nil || !got.ToElement().Equal(e) {
			t.Errorf("lessor reads Kea's row as %v, Kea reads it as %s", got, e.Str())
		}
		leases = append(leases, want)
	}
	counts, err := s.CountLeases6(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var fromStat [][]string
	for _, c := range counts {
		if c.State <= 1 {
			fromStat = append(fromStat, []string{itoa(c.SubnetID), itoa(uint32(c.Type)), itoa(uint32(c.State)), itoa(uint32(c.Count))})
		}
	}
	if !reflect.DeepEqual(fromStat, keaStats[0]) {
		t.Errorf("CountLeases6 %v, lease6_stat %v", counts, keaStats[0])
	}

	Exec(t, cfg, "DELETE FROM lease6")
	for _, l := range leases {
		if err := s.AddLease6(ctx, l); err != nil {
			t.Fatal(err)
		}
	}
	compareRows(t, "lease6", keaRows, Query(t, cfg, rawRows[typ][6]))
	for i, q := range statRows[6] {
		if got := Query(t, cfg, q); !reflect.DeepEqual(got, keaStats[i]) {
			t.Errorf("%s: after lessor's adds %v, after Kea's %v", q, got, keaStats[i])
		}
	}
	again := kea.MustSucceed(`{"command": "lease6-get-all"}`).Get("arguments").Get("leases")
	if !sameLeases(again, keaAll) {
		t.Errorf("Kea reads lessor's rows as\n%s\nits own as\n%s", again.Str(), keaAll.Str())
	}
	kea.MustSucceed(`{"command": "lease6-update", "arguments": {"ip-address": "2001:db8::1", "duid": "00:01:02:03", "iaid": 1, "hostname": "kea.example"}}`)
	got, err := s.GetLease6(ctx, lease.TypeNA, netip.MustParseAddr("2001:db8::1"))
	if err != nil || got == nil || got.Hostname != "kea.example" {
		t.Errorf("lessor reads Kea's update as %+v %v", got, err)
	}
	kea.MustSucceed(`{"command": "lease6-del", "arguments": {"ip-address": "2001:db8::a"}}`)
	if n, err := s.WipeLeases6(ctx, 1); err != nil || n != 2 {
		t.Errorf("wipe after Kea's delete: %d %v", n, err)
	}
	if ans := kea.Command(`{"command": "lease6-get-all", "arguments": {"subnets": [1]}}`); ans.Get("result").I != 3 {
		t.Errorf("Kea after lessor's wipe: %s", ans.Str())
	}
}

func sameLeases(a, b *kjson.Element) bool { return a.Equal(b) }

func compareRows(t *testing.T, table string, kea, lessor [][]string) {
	t.Helper()
	if len(kea) != len(lessor) {
		t.Fatalf("%s: Kea wrote %d rows, lessor %d", table, len(kea), len(lessor))
	}
	for i := range kea {
		if !reflect.DeepEqual(kea[i], lessor[i]) {
			t.Errorf("%s row %d:\n Kea:    %q\n lessor: %q", table, i, kea[i], lessor[i])
		}
	}
}

func itoa(v uint32) string {
	return kjson.NewInt(int64(v)).Str()
}
