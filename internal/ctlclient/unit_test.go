package ctlclient

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/lessor-dhcp/lessor/internal/kjson"
)

func TestEscapeCSV(t *testing.T) {
	cases := map[string]string{
		"":               "",
		"plain":          "plain",
		"a,b":            "a&#x2cb",
		"a&b":            "a&#x26b",
		"&#x2c":          "&#x26#x2c",
		`{ "a": "x,y" }`: `{ "a": "x&#x2cy" }`,
	}
	for in, want := range cases {
		if got := escapeCSV(in); got != want {
			t.Errorf("escape %q = %q, want %q", in, got, want)
		}
		if back := unescapeCSV(want); back != in {
			t.Errorf("unescape %q = %q, want %q", want, back, in)
		}
	}
	if got := unescapeCSV("&#x4"); got != "&#x4" {
		t.Errorf("short escape: %q", got)
	}
}

func TestRelative(t *testing.T) {
	now := time.Unix(1000000, 0)
	cases := []struct {
		d    time.Duration
		want string
	}{
		{30 * time.Second, "in 30s"},
		{59 * time.Minute, "in 59m"},
		{2*time.Hour + 5*time.Minute, "in 2h05m"},
		{3 * time.Hour, "in 3h"},
		{-(3*24*time.Hour + 4*time.Hour), "3d4h ago"},
		{-200 * 24 * time.Hour, "200d ago"},
	}
	for _, c := range cases {
		if got := Relative(now.Add(c.d), now); got != c.want {
			t.Errorf("%v: %q, want %q", c.d, got, c.want)
		}
	}
	l := kjson.MustParse(`{"ip-address":"2001:db8::","type":"IA_PD","prefix-len":56,"duid":"01:02","subnet-id":2,"cltt":1000000,"valid-lft":4294967295,"state":1}`)
	r := RowOf(l, now)
	if r != (Row{"2001:db8::/56", "01:02", "", "2", "declined", "never"}) {
		t.Errorf("row %+v", r)
	}
}

const header4 = "address,hwaddr,client_id,valid_lifetime,expire,subnet_id,fqdn_fwd,fqdn_rev,hostname,state,user_context\n"

func TestReadLeaseFileErrors(t *testing.T) {
	cases := []struct{ name, file, want string }{
		{"empty", "  \n", "the file is empty"},
		{"bad header", "a,b,c\n1,2,3\n", "not a Kea lease file header"},
		{"field count", header4 + "192.0.2.1,00:01\n", "line 2: 2 fields, the header has 11"},
		{"bad number", header4 + "192.0.2.1,00:01,,x,2000000000,1,0,0,,0,\n", `valid_lifetime "x" is not a number`},
		{"bad flag", header4 + "192.0.2.1,00:01,,1,2000000000,1,2,0,,0,\n", `fqdn_fwd "2" is not 0 or 1`},
		{"v6 address", header4 + "2001:db8::1,00:01,,1,2000000000,1,0,0,,0,\n", "Non-IPv4 address specified: 2001:db8::1"},
		{"state", header4 + "192.0.2.1,00:01,,1,2000000000,1,0,0,,7,\n", "Invalid state value: 7"},
		{"fqdn without name", header4 + "192.0.2.1,00:01,,1,2000000000,1,1,0,,0,\n", "No hostname specified"},
		{"expire", header4 + "192.0.2.1,00:01,,3600,10,1,0,0,,0,\n", "expiration time must be greater than valid lifetime"},
		{"user context", header4 + "192.0.2.1,00:01,,1,2000000000,1,0,0,,0,[1]\n", "Invalid user context '[ 1 ]' is not a JSON map."},
		{"duplicate", header4 + "192.0.2.1,00:01,,1,2000000000,1,0,0,,0,\n192.0.2.1,00:02,,1,2000000000,1,0,0,,0,\n", "line 3: address 192.0.2.1 already given at line 2"},
		{"wrong family", header4, "the file holds IPv4 leases, not IPv6"},
		{"json shape", `{"x":1}`, `expected a list of leases or a map with "leases"`},
		{"json unknown", `[{"ip-address":"192.0.2.1","hw-address":"01","color":"red"}]`, "lease 1: unknown parameter(s) color"},
		{"json mixed", `[{"ip-address":"192.0.2.1","hw-address":"01"},{"ip-address":"2001:db8::1","duid":"01","iaid":1}]`, "lease 2: an IPv6 lease among IPv4 leases"},
		{"json pd", `[{"ip-address":"2001:db8::","duid":"01","iaid":1,"type":"IA_PD"}]`, "'prefix-len' must be given"},
		{"json type", `[{"ip-address":"2001:db8::","duid":"01","iaid":1,"type":"NA"}]`, "Incorrect lease type: NA"},
		{"json syntax", `[{"ip-address":}]`, "<file>"},
	}
	for _, c := range cases {
		family := 0
		if c.name == "wrong family" {
			family = 6
		}
		_, _, err := ReadLeaseFile([]byte(c.file), family)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: got %v, want %q", c.name, err, c.want)
		}
	}
	var ve *ValidationError
	_, _, err := ReadLeaseFile([]byte(header4+strings.Repeat("bad,00:01,,1,2000000000,1,0,0,,0,\n", 30)), 0)
	if !errors.As(err, &ve) || len(ve.Problems) != 30 || !strings.Contains(err.Error(), "(and 10 more)") {
		t.Errorf("many problems: %v", err)
	}
}

func FuzzReadLeaseFile(f *testing.F) {
	f.Add([]byte(header4 + "192.0.2.1,00:01,01:02,3600,2000000000,1,1,0,a&#x2cb,0,{ \"a\": 1 }\n"))
	f.Add([]byte(`{"leases":[{"ip-address":"2001:db8::","duid":"01","iaid":1,"type":"IA_PD","prefix-len":64,"cltt":5,"valid-lft":9}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		recs, family, err := ReadLeaseFile(data, 0)
		if err != nil {
			return
		}
		for _, r := range recs {
			if err := checkLease(r.Args, family); err != nil {
				t.Fatalf("accepted a lease that does not check: %v", err)
			}
		}
	})
}
