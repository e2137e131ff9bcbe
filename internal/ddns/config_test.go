package ddns

import (
	"net/netip"
	"testing"

	"github.com/lessor-dhcp/lessor/internal/kjson"
)

// parseDdns parses a Dhcp4 configuration laid out as the one Kea was run
// with when the expected texts below were recorded: the dhcp-ddns map on
// line 2 of "t.json".
func parseDdns(t *testing.T, ddns string) *kjson.Element {
	t.Helper()
	text := `{"Dhcp4":{"interfaces-config":{"interfaces":[]},"lease-database":{"type":"memfile","persist":false},` + "\n" +
		`"dhcp-ddns":` + ddns + `}}`
	root, err := kjson.ParseNamed([]byte(text), "t.json")
	if err != nil {
		t.Fatal(err)
	}
	return root.Get("Dhcp4").Get("dhcp-ddns")
}

func TestParseConfig(t *testing.T) {
	tests := []struct {
		name string
		in   string
		err  string // Kea 2.2's text ("kea-dhcp4 -t"); "" for success
		want func(c Config) bool
	}{
		{"defaults", `{"enable-updates":true}`, "", func(c Config) bool {
			return c.EnableUpdates && c.ServerIP == netip.MustParseAddr("127.0.0.1") && c.ServerPort == 53001 &&
				c.SenderIP == netip.IPv4Unspecified() && c.SenderPort == 0 && c.MaxQueueSize == 1024 &&
				c.NCRProtocol == "UDP" && c.NCRFormat == "JSON"
		}},
		{"v6 server, default sender", `{"enable-updates":true,"server-ip":"::1"}`, "", func(c Config) bool {
			return c.SenderIP == netip.IPv6Unspecified()
		}},
		{"queue size 0 accepted here", `{"enable-updates":true,"max-queue-size":0}`, "", func(c Config) bool { return c.MaxQueueSize == 0 }},
		{"bad server-ip", `{"enable-updates":true,"server-ip":"1.2.3"}`,
			"Failed to convert '1.2.3' to address: Failed to convert string to address '1.2.3': Invalid argument(t.json:2:48)", nil},
		{"bad sender-ip", `{"enable-updates":true,"sender-ip":"x"}`,
			"invalid address (x) specified for parameter 'sender-ip' (t.json:2:48)", nil},
		{"same address and port", `{"enable-updates":true,"sender-ip":"127.0.0.1","sender-port":53001}`,
			"D2ClientConfig error: server and sender cannot share the exact same IP address/port: 127.0.0.1/53001 (t.json:2:48)", nil},
		{"port too large", `{"enable-updates":true,"server-port":4294967296}`,
			"out of range value (4294967296) specified for parameter 'server-port' (t.json:2:50)", nil},
		{"port negative", `{"enable-updates":true,"server-port":-1}`,
			"out of range value (-1) specified for parameter 'server-port' (t.json:2:50)", nil},
		{"tcp", `{"enable-updates":true,"ncr-protocol":"TCP"}`,
			"D2ClientConfig error: NCR Protocol: TCP is not supported. (t.json:2:51)", nil},
		{"family mismatch", `{"enable-updates":true,"sender-ip":"::1"}`,
			"D2ClientConfig error: address family mismatch: server-ip: 127.0.0.1 is: IPv4 while sender-ip: ::1 is: IPv6 (t.json:2:48)", nil},
		{"family mismatch, default sender", `{"enable-updates":true,"sender-ip":"10.0.0.1","server-ip":"::1"}`,
			"D2ClientConfig error: address family mismatch: server-ip: ::1 is: IPv6 while sender-ip: 10.0.0.1 is: IPv4 (t.json:2:48)", nil},
		// Kea's grammar reports these two before D2ClientConfigParser sees
		// them; the texts here are the parser's (SimpleParser's), with the
		// positions kjson gives.
		{"missing enable-updates", `{"server-port":7}`, "missing parameter 'enable-updates' (t.json:2:14)", nil},
		{"bad protocol", `{"enable-updates":true,"ncr-protocol":"sctp"}`,
			"invalid NameChangeRequest protocol (sctp) specified for parameter 'ncr-protocol' (t.json:2:51)", nil},
		{"bad format", `{"enable-updates":true,"ncr-format":"xml"}`,
			"invalid NameChangeRequest format (xml) specified for parameter 'ncr-format' (t.json:2:49)", nil},
		{"wrong type", `{"enable-updates":"yes"}`, "invalid type specified for parameter 'enable-updates' (t.json:2:31)", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := ParseConfig(parseDdns(t, tt.in))
			checkErr(t, err, tt.err)
			if err == nil && !tt.want(c) {
				t.Errorf("got %+v", c)
			}
		})
	}
}

func TestParseConfigAbsent(t *testing.T) {
	c, err := ParseConfig(nil)
	if err != nil || c.EnableUpdates || c.String() != "enable_updates: no" {
		t.Fatalf("%+v %v", c, err)
	}
	want := `{ "enable-updates": false, "max-queue-size": 1024, "ncr-format": "JSON", "ncr-protocol": "UDP", "sender-ip": "0.0.0.0", "sender-port": 0, "server-ip": "127.0.0.1", "server-port": 53001 }`
	if got := c.ToElement().Str(); got != want {
		t.Errorf("ToElement\n got %s\nwant %s", got, want)
	}
}

func TestResolveParams(t *testing.T) {
	global := kjson.MustParse(`{"ddns-qualifying-suffix":"g.example.","dhcp-ddns":{"enable-updates":true,"qualifying-suffix":"old.","generated-prefix":"legacy"},"ddns-use-conflict-resolution":false}`)
	network := kjson.MustParse(`{"ddns-send-updates":false}`)
	subnet := kjson.MustParse(`{"ddns-use-conflict-resolution":true,"ddns-qualifying-suffix":"s.example."}`)
	tests := []struct {
		name                    string
		subnet, network, global *kjson.Element
		want                    Params
	}{
		{"defaults", nil, nil, nil, DefaultParams()},
		{"global and legacy", nil, nil, global, func() Params {
			p := DefaultParams()
			p.QualifyingSuffix, p.GeneratedPrefix, p.UseConflictResolution = "g.example.", "legacy", false
			return p
		}()},
		{"all levels", subnet, network, global, func() Params {
			p := DefaultParams()
			p.QualifyingSuffix, p.GeneratedPrefix, p.SendUpdates = "s.example.", "legacy", false
			return p
		}()},
	}
	for _, tt := range tests {
		if got := ResolveParams(tt.subnet, tt.network, tt.global); got != tt.want {
			t.Errorf("%s: got %+v, want %+v", tt.name, got, tt.want)
		}
	}
}

func FuzzParseConfig(f *testing.F) {
	for _, s := range []string{
		`{"enable-updates":true}`,
		`{"enable-updates":true,"server-ip":"::1","sender-ip":"::","server-port":1,"sender-port":1,"max-queue-size":5,"ncr-protocol":"udp","ncr-format":"json"}`,
		`{"enable-updates":false,"sender-ip":"10.0.0.1"}`,
		`[]`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		raw, err := kjson.ParseString([]byte(text))
		if err != nil {
			return
		}
		c, err := ParseConfig(raw)
		if err != nil {
			return
		}
		// An accepted configuration reads back from its own config-get form.
		back, err := ParseConfig(c.ToElement())
		if err != nil {
			t.Fatalf("config-get form of %s refused: %v", text, err)
		}
		if back.ToElement().Str() != c.ToElement().Str() {
			t.Fatalf("not stable: %s vs %s", back.ToElement().Str(), c.ToElement().Str())
		}
	})
}

func FuzzParseDatagram(f *testing.F) {
	f.Add(testNCR(1).Wire())
	f.Add([]byte{0, 3, '{', '}', 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		n, err := ParseDatagram(b)
		if err != nil {
			return
		}
		if len(n.DHCID) == 0 || (!n.Forward && !n.Reverse) {
			t.Fatalf("accepted an invalid request: %+v", n)
		}
	})
}
