package memfile

import (
	"bytes"
	"context"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lessor-dhcp/lessor/lease"
	"github.com/lessor-dhcp/lessor/store"
)

func TestEscape(t *testing.T) {
	cases := []struct{ in, want string }{
		{"", ""},
		{"plain.example.org", "plain.example.org"},
		{"a,b", "a&#x2cb"},
		{"a&b", "a&#x26b"},
		{"&#x2c", "&#x26#x2c"},
		{",,", "&#x2c&#x2c"},
		{"line\nbreak\r", "line&#x0abreak&#x0d"},
		{`{ "a": [ 1, 2 ] }`, `{ "a": [ 1&#x2c 2 ] }`},
	}
	for _, c := range cases {
		if got := string(escape(nil, c.in)); got != c.want {
			t.Errorf("escape(%q) = %q, want %q", c.in, got, c.want)
		}
		if got := unescape([]byte(c.want)); got != c.in {
			t.Errorf("unescape(%q) = %q, want %q", c.want, got, c.in)
		}
	}
}

// TestUnescapeKeaQuirks checks inputs lessor never writes but Kea's
// reader accepts, decoded as Kea decodes them.
func TestUnescapeKeaQuirks(t *testing.T) {
	cases := []struct{ in, want string }{
		{"&#x41&#x42", "AB"},
		{"&#X41", "&#X41"},  // the tag is case-sensitive
		{"&#xZZ", "&#xZZ"},  // not hex: kept as is
		{"&#x4G", "&#x4G"},  // one digit only: kept
		{"&#x2C", ","},      // upper-case digits
		{"a&#x", "a\x00"},   // tag at the very end: Kea yields NUL
		{"a&#x4", "a\x004"}, // one character after the tag: NUL, then it
		{"&&#x26", "&&"},    // ordinary '&' before a tag
		{"x&#x2cy&#x", "x,y\x00"},
	}
	for _, c := range cases {
		if got := unescape([]byte(c.in)); got != c.want {
			t.Errorf("unescape(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestParseNumbers(t *testing.T) {
	cases := []struct {
		in   string
		bits int
		want uint64
		ok   bool
	}{
		{"0", 32, 0, true},
		{"4294967295", 32, 4294967295, true},
		{"4294967296", 32, 0, false},
		{"-1", 32, 4294967295, true}, // boost::lexical_cast wraps
		{"+7", 32, 7, true},
		{"", 32, 0, false},
		{"1a", 32, 0, false},
		{" 1", 32, 0, false},
		{"18446744073709551615", 64, 18446744073709551615, true},
		{"18446744073709551616", 64, 0, false},
	}
	for _, c := range cases {
		got, err := parseUint([]byte(c.in), c.bits)
		if (err == nil) != c.ok || got != c.want {
			t.Errorf("parseUint(%q, %d) = %d, %v", c.in, c.bits, got, err)
		}
	}
	for in, want := range map[string]bool{"0": false, "1": true} {
		if got, err := parseBool([]byte(in)); err != nil || got != want {
			t.Errorf("parseBool(%q) = %v, %v", in, got, err)
		}
	}
	for _, in := range []string{"", "true", "2", "01"} {
		if _, err := parseBool([]byte(in)); err == nil {
			t.Errorf("parseBool(%q) accepted", in)
		}
	}
}

func TestParseHex(t *testing.T) {
	cases := []struct {
		in   string
		want []byte
		ok   bool
	}{
		{"01:02:03", []byte{1, 2, 3}, true},
		{"1:a:FF", []byte{1, 10, 255}, true},
		{"010203", []byte{1, 2, 3}, true},
		{"0x010203", []byte{1, 2, 3}, true},
		{"10203", []byte{1, 2, 3}, true},
		{"01 02 03", []byte{1, 2, 3}, true},
		{"01::02", nil, false},
		{"001:02", nil, false},
		{"zz", nil, false},
		{":01", nil, false},
	}
	for _, c := range cases {
		got, err := parseFormattedHex([]byte(c.in))
		if (err == nil) != c.ok || !bytes.Equal(got, c.want) {
			t.Errorf("parseFormattedHex(%q) = %x, %v", c.in, got, err)
		}
	}
}

func fields(line string) [][]byte {
	var out [][]byte
	for _, f := range strings.Split(line, ",") {
		out = append(out, []byte(f))
	}
	return out
}

func TestParseRow4(t *testing.T) {
	good := "192.0.2.1,01:02:03:04:05:06,01:aa,3600,1700003600,7,1,0,h&#x2cx,0,{ \"a\": 1 }"
	l, err := parseRow4(fields(good))
	if err != nil {
		t.Fatal(err)
	}
	if l.Addr != netip.MustParseAddr("192.0.2.1") || l.CLTT != 1700000000 || l.SubnetID != 7 ||
		!l.FqdnFwd || l.FqdnRev || l.Hostname != "h,x" || l.UserContext.Str() != `{ "a": 1 }` ||
		!bytes.Equal(l.ClientID, []byte{1, 0xaa}) {
		t.Errorf("parsed %+v", l)
	}
	if got := string(appendRow4(nil, l, l.ValidLft)); got != good+"\n" {
		t.Errorf("written back as %q", got)
	}
	bad := []struct{ row, err string }{
		{"192.0.2.300,01:02,,3600,1,1,0,0,,0,", "Failed to convert string to address"},
		{"2001:db8::1,01:02,,3600,1,1,0,0,,0,", "Failed to convert string to address"},
		{"192.0.2.1,,,3600,1700003600,1,0,0,,0,", "Lease4: 192.0.2.1, state: default has neither hardware address or client id"},
		{"192.0.2.1,01:02,01,3600,1700003600,1,0,0,,0,", "client-id is too short (1), at least 2 is required"},
		{"192.0.2.1,01:02,,x,1700003600,1,0,0,,0,", "bad lexical cast"},
		{"192.0.2.1,01:02,,3600,1700003600,1,2,0,,0,", "bad lexical cast"},
		{"192.0.2.1,01:02,,3600,1700003600,1,0,0,,0,[ 1 ]", "user context '[ 1 ]' is not a JSON map"},
		{"192.0.2.1,01:02,,3600,1700003600,1,0,0,,0,{ bad", ""},
		{"192.0.2.1,01:02:03:04:05:06:07:08:09:10:11:12:13:14:15:16:17:18:19:20:21,,3600,1,1,0,0,,0,", "MAX_HWADDR_LEN"},
	}
	for _, c := range bad {
		_, err := parseRow4(fields(c.row))
		if err == nil || !strings.Contains(err.Error(), c.err) {
			t.Errorf("row %q: error %v, want %q", c.row, err, c.err)
		}
	}
	// A declined lease may have no identifiers.
	if _, err := parseRow4(fields("192.0.2.1,,,3600,1700003600,1,0,0,,1,")); err != nil {
		t.Errorf("declined lease without identifiers: %v", err)
	}
}

func TestParseRow6(t *testing.T) {
	good := "2001:db8::1,00:01:02,3600,1700003600,5,1800,2,77,56,0,1,h&#x26,0a:0b,0,,6,4"
	l, err := parseRow6(fields(good))
	if err != nil {
		t.Fatal(err)
	}
	if l.Type != lease.TypePD || l.PrefixLen != 56 || l.IAID != 77 || l.CLTT != 1700000000 ||
		l.Hostname != "h&" || l.HWType != 6 || l.HWAddrSource != 4 || l.PreferredLft != 1800 {
		t.Errorf("parsed %+v", l)
	}
	if got := string(appendRow6(nil, l, l.ValidLft)); got != good+"\n" {
		t.Errorf("written back as %q", got)
	}
	bad := []struct{ row, err string }{
		{"2001:db8::1,,3600,1700003600,5,1800,0,77,128,0,0,,,0,,,", "Empty DUIDs are not allowed"},
		{"2001:db8::1,00,3600,1700003600,5,1800,0,77,128,0,0,,,0,,,", "The Empty DUID is only valid for declined leases"},
		{"192.0.2.1,01:02,3600,1700003600,5,1800,0,77,128,0,0,,,0,,,", "Failed to convert string to address"},
		{"2001:db8::1,01:02,3600,1700003600,5,1800,x,77,128,0,0,,,0,,,", "bad lexical cast"},
	}
	for _, c := range bad {
		_, err := parseRow6(fields(c.row))
		if err == nil || !strings.Contains(err.Error(), c.err) {
			t.Errorf("row %q: error %v, want %q", c.row, err, c.err)
		}
	}
	// A bad hardware address is dropped, not fatal (as Kea does).
	l, err = parseRow6(fields("2001:db8::1,01:02,3600,1700003600,5,1800,0,77,128,0,0,,zz:1,0,,1,0"))
	if err != nil || l.HWAddr != nil {
		t.Errorf("bad hwaddr: %v %+v", err, l)
	}
}

func writeLines(t *testing.T, path string, lines ...string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(strings.Join(lines, "\n")), 0o644); err != nil {
		t.Fatal(err)
	}
}

const header4 = "address,hwaddr,client_id,valid_lifetime,expire,subnet_id,fqdn_fwd,fqdn_rev,hostname,state,user_context"
const header6 = "address,duid,valid_lifetime,expire,subnet_id,pref_lifetime,lease_type,iaid,prefix_len,fqdn_fwd,fqdn_rev,hostname,hwaddr,state,user_context,hwtype,hwaddr_source"

func TestLoadFiles(t *testing.T) {
	cases := []struct {
		name    string
		family  int
		maxErrs int64
		lines   []string
		want    []string // addresses held after Open
		err     string   // Open's error, if it must fail
	}{
		{
			name: "current schema", family: 4,
			lines: []string{header4,
				"192.0.2.1,01:02:03:04:05:06,,3600,1700003600,1,0,0,,0,",
				"192.0.2.2,01:02:03:04:05:07,,3600,1700003600,1,0,0,,0,",
				"192.0.2.1,01:02:03:04:05:06,,0,1700000000,1,0,0,,0,", // delete
				""},
			want: []string{"192.0.2.2"},
		},
		{
			name: "valid lifetime 0 without a lease creates one", family: 4,
			lines: []string{header4, "192.0.2.9,01:02:03:04:05:06,,0,1700000000,1,0,0,,0,", ""},
			want:  []string{"192.0.2.9"},
		},
		{
			name: "blank lines are skipped", family: 4,
			lines: []string{"", header4, "", "192.0.2.1,01:02:03:04:05:06,,3600,1700003600,1,0,0,,0,", "", ""},
			want:  []string{"192.0.2.1"},
		},
		{
			name: "schema 1.0 (no state, no user context)", family: 4,
			lines: []string{"address,hwaddr,client_id,valid_lifetime,expire,subnet_id,fqdn_fwd,fqdn_rev,hostname",
				"192.0.2.1,01:02:03:04:05:06,,3600,1700003600,1,0,0,h", ""},
			want: []string{"192.0.2.1"},
		},
		{
			name: "schema 2.0 (no user context)", family: 4,
			lines: []string{"address,hwaddr,client_id,valid_lifetime,expire,subnet_id,fqdn_fwd,fqdn_rev,hostname,state",
				"192.0.2.1,01:02:03:04:05:06,,3600,1700003600,1,0,0,h,1",
				"192.0.2.2,01:02:03:04:05:06,,3600,1700003600,1,0,0,h", ""}, // too few columns to upgrade
			want: []string{"192.0.2.1"},
		},
		{
			name: "newer schema (extra column)", family: 4,
			lines: []string{header4 + ",pool_id",
				"192.0.2.1,01:02:03:04:05:06,,3600,1700003600,1,0,0,h,0,,5",
				"192.0.2.2,01:02:03:04:05:06,,3600,1700003600,1,0,0,h,0,", ""},
			want: []string{"192.0.2.1", "192.0.2.2"},
		},
		{
			name: "too old a header", family: 4,
			lines: []string{"address,hwaddr,client_id,valid_lifetime,expire,subnet_id,fqdn_fwd,fqdn_rev", ""},
			err:   "header has only 8 valid column(s), it must have at least 9",
		},
		{
			name: "foreign header", family: 4,
			lines: []string{"address,duid,valid_lifetime", ""},
			err:   "header contains an invalid column: 'duid'",
		},
		{
			name: "v6 file for v4", family: 4,
			lines: []string{header6, ""},
			err:   "invalid header",
		},
		{
			name: "bad rows are skipped", family: 4,
			lines: []string{header4,
				"192.0.2.1,01:02:03:04:05:06,,3600,1700003600,1,0,0,,0,",
				"192.0.2.2,garbage",
				"192.0.2.3,01:02:03:04:05:06,,3600,1700003600,1,0,0,,0,,extra",
				"192.0.2.4,01:02:03:04:05:06,,3600,1700003600,1,0,0,,0,", ""},
			want: []string{"192.0.2.1", "192.0.2.4"},
		},
		{
			name: "max-row-errors reached", family: 4, maxErrs: 2,
			lines: []string{header4, "x", "y", "192.0.2.4,01:02:03:04:05:06,,3600,1700003600,1,0,0,,0,", ""},
			want:  []string{"192.0.2.4"},
		},
		{
			name: "max-row-errors exceeded", family: 4, maxErrs: 2,
			lines: []string{header4, "x", "y", "z", ""},
			err:   "exceeded maximum number of failures 2 to read a lease from the lease file",
		},
		{
			name: "torn last row", family: 4,
			lines: []string{header4, "192.0.2.1,01:02:03:04:05:06,,3600,1700003600,1,0,0,,0,", "192.0.2.2,01:02:03:04:05:06,,36"},
			want:  []string{"192.0.2.1"},
		},
		{
			name: "torn header", family: 4,
			lines: []string{"address,hwaddr,cli"},
			want:  nil,
		},
		{
			name: "v6 schema 1.0", family: 6,
			lines: []string{"address,duid,valid_lifetime,expire,subnet_id,pref_lifetime,lease_type,iaid,prefix_len,fqdn_fwd,fqdn_rev,hostname",
				"2001:db8::1,00:01:02,3600,1700003600,1,1800,0,1,128,0,0,h", ""},
			want: []string{"2001:db8::1"},
		},
		{
			name: "v6 schema 3.1 (no hwtype)", family: 6,
			lines: []string{"address,duid,valid_lifetime,expire,subnet_id,pref_lifetime,lease_type,iaid,prefix_len,fqdn_fwd,fqdn_rev,hostname,hwaddr,state,user_context",
				"2001:db8::1,00:01:02,3600,1700003600,1,1800,0,1,128,0,0,h,0a:0b,0,", ""},
			want: []string{"2001:db8::1"},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "leases.csv")
			writeLines(t, path, c.lines...)
			s, err := OpenStore(context.Background(), store.Config{Family: c.family, Name: path, MaxRowErrors: c.maxErrs}, testLogger(t))
			if c.err != "" {
				if err == nil || !strings.Contains(err.Error(), c.err) {
					t.Fatalf("Open: %v, want an error with %q", err, c.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got := addresses(t, s)
			if strings.Join(got, " ") != strings.Join(c.want, " ") {
				t.Fatalf("leases %v, want %v", got, c.want)
			}
			// What was loaded, plus a new lease, survives a reopen, and the
			// file is in the current schema afterwards.
			want := elements(t, s)
			if c.family == 4 {
				l := &lease.Lease4{Addr: netip.MustParseAddr("192.0.2.200"), HWAddr: []byte{1}, ValidLft: 5, CLTT: 1, SubnetID: 1}
				if err := s.AddLease4(context.Background(), l); err != nil {
					t.Fatal(err)
				}
				want = elements(t, s)
			}
			s.Close()
			r := openTest(t, store.Config{Family: c.family, Name: path})
			defer r.Close()
			sameLines(t, "reopened", elements(t, r), want)
			data, _ := os.ReadFile(path)
			first, _, _ := strings.Cut(strings.TrimLeft(string(data), "\n"), "\n")
			if string(headerLine(c.family)) != first+"\n" {
				t.Errorf("lease file header after reopen: %q", first)
			}
		})
	}
}

func addresses(t *testing.T, s *Store) []string {
	t.Helper()
	var out []string
	ctx := context.Background()
	if s.family == 4 {
		ls, _ := s.GetLeases4Page(ctx, netip.IPv4Unspecified(), 1<<30)
		for _, l := range ls {
			out = append(out, l.Addr.String())
		}
		return out
	}
	ls, _ := s.GetLeases6Page(ctx, netip.IPv6Unspecified(), 1<<30)
	for _, l := range ls {
		out = append(out, l.Addr.String())
	}
	return out
}

// FuzzParseRow4 feeds arbitrary rows to the v4 row parser: it must not
// panic, and a row it accepts must be written back as a row that parses
// to the same lease.
func FuzzParseRow4(f *testing.F) {
	f.Add("192.0.2.1,01:02:03:04:05:06,01:aa,3600,1700003600,7,1,0,h&#x2cx,0,{ \"a\": 1 }")
	f.Add("192.0.2.1,,,3600,1700003600,1,0,0,,1,")
	f.Add("192.0.2.1,1:2,0x0102,-1,+5,1,0,0,&#x,2,")
	f.Fuzz(func(t *testing.T, row string) {
		s := &schema{family: 4, columns: columns4, valid: len(columns4), input: len(columns4)}
		fl, err := s.rowFields([]byte(row), nil, "fuzz")
		if err != nil {
			return
		}
		l, err := parseRow4(fl)
		if err != nil {
			return
		}
		out := appendRow4(nil, l, l.ValidLft)
		fl2, err := s.rowFields(out[:len(out)-1], nil, "fuzz")
		if err != nil {
			t.Fatalf("written row %q does not split: %v", out, err)
		}
		l2, err := parseRow4(fl2)
		if err != nil {
			t.Fatalf("written row %q does not parse: %v", out, err)
		}
		if l.ToElement().Str() != l2.ToElement().Str() {
			t.Fatalf("round trip of %q: %s != %s", row, l.ToElement().Str(), l2.ToElement().Str())
		}
	})
}

// FuzzParseRow6 is FuzzParseRow4 for v6 rows.
func FuzzParseRow6(f *testing.F) {
	f.Add("2001:db8::1,00:01:02,3600,1700003600,5,1800,2,77,56,0,1,h&#x26,0a:0b,0,,6,4")
	f.Add("2001:db8::1,00,3600,1700003600,5,1800,0,77,128,0,0,,,1,{ },,")
	f.Fuzz(func(t *testing.T, row string) {
		s := &schema{family: 6, columns: columns6, valid: len(columns6), input: len(columns6)}
		fl, err := s.rowFields([]byte(row), nil, "fuzz")
		if err != nil {
			return
		}
		l, err := parseRow6(fl)
		if err != nil {
			return
		}
		out := appendRow6(nil, l, l.ValidLft)
		fl2, err := s.rowFields(out[:len(out)-1], nil, "fuzz")
		if err != nil {
			t.Fatalf("written row %q does not split: %v", out, err)
		}
		l2, err := parseRow6(fl2)
		if err != nil {
			t.Fatalf("written row %q does not parse: %v", out, err)
		}
		a := l.ToElement().Str() + string(rune(l.HWType)) + string(rune(l.HWAddrSource))
		b := l2.ToElement().Str() + string(rune(l2.HWType)) + string(rune(l2.HWAddrSource))
		if a != b {
			t.Fatalf("round trip of %q: %s != %s", row, a, b)
		}
	})
}

// FuzzUnescape checks that escaping round-trips for any text.
func FuzzUnescape(f *testing.F) {
	f.Add("a,b&c&#x2c")
	f.Fuzz(func(t *testing.T, s string) {
		if got := unescape(escape(nil, s)); got != s {
			t.Fatalf("unescape(escape(%q)) = %q", s, got)
		}
		_ = unescape([]byte(s))
	})
}
