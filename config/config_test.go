package config

import (
	"errors"
	"io/fs"
	"net/netip"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lessor-dhcp/lessor/internal/kjson"
)

const keaExamples = "/work/kea-src/doc/examples"

// TestKeaExamples loads every example file shipped with Kea 2.2. Those
// naming hook libraries other than lease_cmds and stat_cmds are refused
// with Kea's text; every other one loads.
func TestKeaExamples(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join(keaExamples, "kea[46]", "*.json"))
	if len(files) == 0 {
		t.Skip("Kea sources not present")
	}
	refused := map[string]string{
		"kea4/config-backend.json":            "libdhcp_mysql_cb.so",
		"kea4/ha-load-balancing-primary.json": "libdhcp_ha.so",
		"kea4/hooks-radius.json":              "libdhcp_radius.so",
		"kea4/hooks.json":                     "/opt/lib/security.so, /opt/lib/charging.so",
		"kea6/config-backend.json":            "libdhcp_mysql_cb.so",
		"kea6/ha-hot-standby.json":            "libdhcp_ha.so",
		"kea6/hooks.json":                     "/opt/lib/security.so, /opt/lib/charging.so",
	}
	for _, path := range files {
		rel, _ := filepath.Rel(keaExamples, path)
		t.Run(rel, func(t *testing.T) {
			f, err := Load(path)
			if lib, ok := refused[rel]; ok {
				if err == nil || !strings.Contains(err.Error(), "hooks libraries failed to validate - library or libraries in error are: ") ||
					!strings.Contains(err.Error(), lib) {
					t.Fatalf("want a hooks error naming %s, got %v", lib, err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if f.Dhcp4 == nil && f.Dhcp6 == nil {
				t.Fatal("no server section")
			}
			// The same configuration given to config-set is accepted.
			if _, err := FromElement(f.Raw); err != nil {
				t.Fatalf("FromElement: %v", err)
			}
		})
	}
}

func mustParse(t *testing.T, text string) *File {
	t.Helper()
	f, err := Parse([]byte(text), "t.json")
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func TestServerModel(t *testing.T) {
	f := mustParse(t, `{
  "Dhcp4": {
    "valid-lifetime": 4000, "min-valid-lifetime": 3000, "max-valid-lifetime": 5000,
    "ddns-send-updates": false,
    "ddns-qualifying-suffix": "global.example.",
    "lease-database": {"type": "postgresql", "name": "kea", "host": "127.0.0.1", "port": 5432,
                       "user": "kea", "password": "pw", "connect-timeout": 10, "max-reconnect-tries": 3,
                       "reconnect-wait-time": 500, "on-fail": "stop-retry-exit", "readonly": true},
    "control-socket": {"socket-type": "unix", "socket-name": "/tmp/kea4.sock"},
    "hooks-libraries": [{"library": "/usr/lib/x86_64-linux-gnu/kea/hooks/libdhcp_lease_cmds.so"},
                        {"library": "libdhcp_stat_cmds.so", "parameters": {"a": 1}}],
    "loggers": [{"name": "kea-dhcp4", "severity": "DEBUG", "debuglevel": 99,
                 "output_options": [{"output": "/var/log/kea.log", "flush": false, "maxsize": 2048, "maxver": 4, "pattern": "%m\n"}]}],
    "dhcp-ddns": {"enable-updates": true},
    "shared-networks": [{
      "name": "net", "valid-lifetime": 3500, "ddns-qualifying-suffix": "net.example.",
      "subnet4": [{"subnet": "10.1.0.0/16", "pools": [{"pool": "10.1.0.10 - 10.1.0.20"}],
                   "ddns-send-updates": true},
                  {"id": 7, "subnet": "10.2.0.0/16", "valid-lifetime": 4500, "user-context": {"k": "v"}}]
    }],
    "subnet4": [
      {"subnet": "192.0.2.0/24", "pools": [{"pool": "192.0.2.0/28"}, {"pool": "192.0.2.100-192.0.2.110"}]},
      {"id": 3, "subnet": "192.0.2.0/25"}
    ]
  }
}`)
	s := f.Dhcp4
	if s == nil || f.Dhcp6 != nil || s.Family != 4 {
		t.Fatalf("sections: %+v", f)
	}
	// Ids: the shared network's subnet first (1), then 192.0.2.0/24 (2).
	var ids []uint32
	for _, sub := range s.Subnets {
		ids = append(ids, sub.ID)
	}
	if want := []uint32{1, 7, 2, 3}; !equalIDs(ids, want) {
		t.Errorf("ids %v, want %v", ids, want)
	}
	if got := s.ValidLifetime; got != (Triplet{Default: 4000, Min: 3000, Max: 5000, Set: true, MinSet: true, MaxSet: true}) {
		t.Errorf("global lifetime %+v", got)
	}
	sub1 := s.SubnetByID(1)
	if sub1 == nil || sub1.SharedNetwork != "net" || sub1.Prefix != netip.MustParsePrefix("10.1.0.0/16") {
		t.Fatalf("subnet 1: %+v", sub1)
	}
	// valid-lifetime 3500 comes from the network; min and max from the
	// global scope.
	if got := sub1.ValidLifetime; got.Default != 3500 || got.Min != 3000 || got.Max != 5000 {
		t.Errorf("subnet 1 lifetime %+v", got)
	}
	if got := s.SubnetByID(7).ValidLifetime.Default; got != 4500 {
		t.Errorf("subnet 7 lifetime %d", got)
	}
	if got := s.SubnetByID(2).ValidLifetime.Default; got != 4000 {
		t.Errorf("subnet 2 lifetime %d", got)
	}
	if uc := s.SubnetByID(7).UserContext; uc == nil || uc.Get("k").S != "v" {
		t.Errorf("user-context %v", uc)
	}
	if s.SubnetByID(99) != nil {
		t.Error("subnet 99 found")
	}
	// Param inheritance.
	for _, tc := range []struct {
		sub  *Subnet
		name string
		want string
	}{
		{sub1, "ddns-send-updates", "true"},
		{s.SubnetByID(7), "ddns-send-updates", "false"},
		{s.SubnetByID(7), "ddns-qualifying-suffix", `"net.example."`},
		{s.SubnetByID(2), "ddns-qualifying-suffix", `"global.example."`},
		{s.SubnetByID(2), "ddns-generated-prefix", `"myhost"`},
		{nil, "ddns-replace-client-name", `"never"`},
		{s.SubnetByID(2), "no-such-parameter", "None"},
	} {
		if got := s.Param(tc.sub, tc.name).Str(); got != tc.want {
			t.Errorf("Param(%v, %s) = %s, want %s", tc.sub != nil, tc.name, got, tc.want)
		}
	}
	// Selection: the lowest id whose prefix holds the address.
	for _, tc := range []struct {
		addr string
		id   uint32
	}{
		{"192.0.2.5", 2}, {"192.0.2.200", 2}, {"10.1.2.3", 1}, {"10.2.0.1", 7}, {"172.16.0.1", 0},
	} {
		sub := s.SelectSubnet(netip.MustParseAddr(tc.addr))
		var id uint32
		if sub != nil {
			id = sub.ID
		}
		if id != tc.id {
			t.Errorf("SelectSubnet(%s) = %d, want %d", tc.addr, id, tc.id)
		}
	}
	// Pools.
	sub2 := s.SubnetByID(2)
	for _, tc := range []struct {
		addr string
		in   bool
	}{
		{"192.0.2.0", true}, {"192.0.2.15", true}, {"192.0.2.16", false}, {"192.0.2.100", true}, {"192.0.2.110", true}, {"192.0.2.111", false},
	} {
		if got := sub2.InPool(netip.MustParseAddr(tc.addr)); got != tc.in {
			t.Errorf("InPool(%s) = %v", tc.addr, got)
		}
	}
	db := s.LeaseDatabase
	if db.Family != 4 || db.Type != "postgresql" || db.Name != "kea" || db.Host != "127.0.0.1" || db.Port != 5432 ||
		db.User != "kea" || db.Password != "pw" || db.ConnectTimeout != 10 || db.MaxReconnectTries != 3 ||
		db.ReconnectWaitTime != 500 || db.OnFail != "stop-retry-exit" || !db.ReadOnly {
		t.Errorf("lease-database %+v", db)
	}
	if cs := s.ControlSocket; cs == nil || *cs != (ControlSocket{Type: "unix", Name: "/tmp/kea4.sock"}) {
		t.Errorf("control-socket %+v", cs)
	}
	if len(s.Hooks) != 2 || s.Hooks[1].Parameters.Str() != `{ "a": 1 }` {
		t.Errorf("hooks %+v", s.Hooks)
	}
	wantLog := Logger{Name: "kea-dhcp4", Severity: "DEBUG", DebugLevel: 99, Outputs: []LoggerOutput{
		{Output: "/var/log/kea.log", Flush: false, MaxSize: 2048, MaxVer: 4, Pattern: "%m\n"}}}
	if len(s.Loggers) != 1 || s.Loggers[0].Name != wantLog.Name || s.Loggers[0].Outputs[0] != wantLog.Outputs[0] ||
		s.Loggers[0].DebugLevel != 99 || s.Loggers[0].Severity != "DEBUG" {
		t.Errorf("loggers %+v", s.Loggers)
	}
	if s.DhcpDDNS.Get("enable-updates").Str() != "true" {
		t.Errorf("dhcp-ddns %v", s.DhcpDDNS)
	}
	if len(s.SharedNetworks) != 1 || len(s.SharedNetworks[0].Subnets) != 2 {
		t.Errorf("shared networks %+v", s.SharedNetworks)
	}
}

func equalIDs(a, b []uint32) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestDhcp6Model(t *testing.T) {
	f := mustParse(t, `{
  "Dhcp6": {
    "data-directory": "/var/lib/lessor",
    "preferred-lifetime": 3000, "valid-lifetime": 4000,
    "server-id": {"type": "EN", "enterprise-id": 2495, "identifier": "0123"},
    "subnet6": [{
      "id": 5, "subnet": "2001:db8:1::/64", "interface": "eth0", "rapid-commit": true,
      "preferred-lifetime": 2000, "min-preferred-lifetime": 1000,
      "pools": [{"pool": "2001:db8:1::10 - 2001:db8:1::ff"}],
      "pd-pools": [{"prefix": "2001:db8:8::", "prefix-len": 56, "delegated-len": 64,
                    "excluded-prefix": "2001:db8:8:0:80::", "excluded-prefix-len": 72}]
    }]
  },
  "Dhcp4": {"subnet4": [{"id": 5, "subnet": "10.0.0.0/8"}]},
  "Control-agent": {"http-host": "127.0.0.1", "http-port": 8000},
  "DhcpDdns": {"ip-address": "127.0.0.1"},
  "Logging": {"loggers": [{"name": "kea-dhcp6", "severity": "WARN"}]}
}`)
	s := f.Dhcp6
	if s == nil || f.Dhcp4 == nil || f.ControlAgent.Get("http-port").I != 8000 || s.Family != 6 {
		t.Fatalf("sections: %+v", f)
	}
	if s.DataDirectory != "/var/lib/lessor" || s.LeaseDatabase.DataDir != "/var/lib/lessor" || s.LeaseDatabase.Type != "memfile" || s.LeaseDatabase.Family != 6 {
		t.Errorf("data directory / lease database: %q %+v", s.DataDirectory, s.LeaseDatabase)
	}
	sub := s.SubnetByID(5)
	if got := sub.PreferredLifetime; got.Default != 2000 || got.Min != 1000 || got.Max != 2000 {
		t.Errorf("preferred %+v", got)
	}
	if got := sub.ValidLifetime; got.Default != 4000 {
		t.Errorf("valid %+v", got)
	}
	if len(sub.PDPools) != 1 || sub.PDPools[0].DelegatedLen != 64 || sub.PDPools[0].Prefix != netip.MustParsePrefix("2001:db8:8::/56") {
		t.Errorf("pd-pools %+v", sub.PDPools)
	}
	for _, tc := range []struct {
		addr string
		in   bool
	}{{"2001:db8:1::10", true}, {"2001:db8:1::100", false}, {"2001:db8:8:ff::", true}, {"2001:db8:9::", false}} {
		if got := sub.InPool(netip.MustParseAddr(tc.addr)); got != tc.in {
			t.Errorf("InPool(%s) = %v", tc.addr, got)
		}
	}
	if !sub.InPDPool(netip.MustParsePrefix("2001:db8:8:1::/64")) {
		t.Error("InPDPool")
	}
	if s.Param(sub, "rapid-commit").Str() != "true" || s.Param(sub, "interface").S != "eth0" {
		t.Error("subnet params")
	}
	if f.Raw.Get("DhcpDdns") == nil || f.Raw.Get("Logging") == nil {
		t.Error("raw sections")
	}
	if len(s.Loggers) != 1 || s.Loggers[0].Severity != "WARN" || len(f.Dhcp4.Loggers) != 1 {
		t.Errorf("loggers from the Logging section: %+v", s.Loggers)
	}
}

func TestFromElementSections(t *testing.T) {
	for _, tc := range []struct{ conf, want string }{
		{`{"Control-agent": {}}`, "Missing mandatory 'Dhcp4' or 'Dhcp6' parameter."},
		{`{"Dhcp4": 1}`, "'Dhcp4' parameter expected to be a map."},
		{`{"Dhcp4": {}, "Foo": 1}`, "unsupported top-level parameter: Foo (<wire>:0:20)"},
		{`{"Dhcp6": {"subnet6": [{"subnet": "2001:db8::/64", "pd-pools": [{"prefix": "2001:db8:1::", "prefix-len": 48, "delegated-len": 64, "x": 1}]}]}}`, "spurious 'x' parameter"},
		{`{"Dhcp4": {}, "Dhcp6": {}}`, ""},
	} {
		e, err := kjson.ParseWire([]byte(tc.conf))
		if err != nil {
			t.Fatal(err)
		}
		got := ""
		if _, err := FromElement(e); err != nil {
			got = err.Error()
		}
		if got != tc.want {
			t.Errorf("%s: got %q, want %q", tc.conf, got, tc.want)
		}
	}
}

func TestParseErrorsChangeNothing(t *testing.T) {
	if _, err := Parse([]byte(`{"Dhcp4": {"valid-lifetime": 1}} x`), "t.json"); err == nil ||
		err.Error() != "t.json:1.34: Invalid character: x" {
		t.Errorf("got %v", err)
	}
	if _, err := Parse([]byte(`{"Dhcp4": {"valid-lifetime": 1}} {}`), "t.json"); err == nil ||
		err.Error() != "t.json:1.34: syntax error, unexpected {, expecting end of file" {
		t.Errorf("got %v", err)
	}
	missing := filepath.Join(t.TempDir(), "none.json")
	if _, err := Load(missing); err == nil || err.Error() != "Unable to open file "+missing || !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("got %v", err)
	}
}

func TestWarnings(t *testing.T) {
	f := mustParse(t, `{"Dhcp4": {"valid-lifetime": 1,, "renew-timer": 1,},}`)
	want := []string{
		"t.json:1.31: Extraneous comma. A piece of configuration may have been omitted.",
		"t.json:1.50: Extraneous comma. A piece of configuration may have been omitted.",
		"t.json:1.52: Extraneous comma. A piece of configuration may have been omitted.",
	}
	if strings.Join(f.Warnings, "\n") != strings.Join(want, "\n") {
		t.Errorf("warnings:\n%s", strings.Join(f.Warnings, "\n"))
	}
}

// TestSelectSubnetClasses: Kea's lease commands never select a subnet
// restricted to a client class (checked against kea-dhcp4's lease4-add).
func TestSelectSubnetClasses(t *testing.T) {
	f := mustParse(t, `{"Dhcp4": {
 "shared-networks": [{"name": "n", "client-class": "foo", "subnet4": [{"id": 5, "subnet": "192.0.3.0/24"}]}],
 "subnet4": [{"id": 1, "subnet": "192.0.2.0/24", "client-class": "bar"}, {"id": 2, "subnet": "192.0.2.0/25"},
             {"id": 3, "subnet": "192.0.4.0/24", "client-class": ""}]}}`)
	for addr, want := range map[string]uint32{"192.0.2.5": 2, "192.0.2.200": 0, "192.0.3.5": 0, "192.0.4.5": 3} {
		var got uint32
		if sub := f.Dhcp4.SelectSubnet(netip.MustParseAddr(addr)); sub != nil {
			got = sub.ID
		}
		if got != want {
			t.Errorf("SelectSubnet(%s) = %d, want %d", addr, got, want)
		}
	}
}
