package sqlstore

import (
	"net/netip"
	"strings"
	"testing"

	"github.com/lessor-dhcp/lessor/internal/kjson"
	"github.com/lessor-dhcp/lessor/lease"
)

func TestExpire(t *testing.T) {
	for _, c := range []struct {
		cltt        int64
		valid       uint32
		want, cltt2 int64
	}{
		{1000, 3600, 4600, 1000},
		{1000, 0, 1000, 1000},
		{1000, lease.InfiniteLifetime, 1000, 1000}, // Kea: expire = cltt
		{0, 4294967294, 4294967294, 0},
	} {
		if got := Expire(c.cltt, c.valid); got != c.want {
			t.Errorf("Expire(%d, %d) = %d, want %d", c.cltt, c.valid, got, c.want)
		}
		if got := cltt(c.want, c.valid); got != c.cltt2 {
			t.Errorf("cltt(%d, %d) = %d, want %d", c.want, c.valid, got, c.cltt2)
		}
	}
}

func TestWithOrder(t *testing.T) {
	q := Queries{Get4HW: "SELECT 1 ORDER BY subnet_id, {seq}address", Page4: "SELECT 2"}
	if got := q.WithOrder(true).Get4HW; got != "SELECT 1 ORDER BY subnet_id, lessor_seq, address" {
		t.Errorf("with order column: %q", got)
	}
	if got := q.WithOrder(false).Get4HW; got != "SELECT 1 ORDER BY subnet_id, address" {
		t.Errorf("without order column: %q", got)
	}
	if q.Get4HW != "SELECT 1 ORDER BY subnet_id, {seq}address" {
		t.Error("WithOrder changed its receiver")
	}
}

func TestChecks(t *testing.T) {
	l4 := func(f func(l *lease.Lease4)) *lease.Lease4 {
		l := &lease.Lease4{Addr: netip.MustParseAddr("192.0.2.1"), HWAddr: []byte{1}}
		f(l)
		return l
	}
	l6 := func(f func(l *lease.Lease6)) *lease.Lease6 {
		l := &lease.Lease6{Addr: netip.MustParseAddr("2001:db8::1"), DUID: []byte{1}}
		f(l)
		return l
	}
	for _, c := range []struct {
		name string
		err  error
		want string
	}{
		{"v4 ok", Check4(l4(func(*lease.Lease4) {}), 128), ""},
		{"v4 hw 21", Check4(l4(func(l *lease.Lease4) { l.HWAddr = make([]byte, 21) }), 128), "Hardware address length : 21 exceeds maximum allowed of: 20"},
		{"v4 client-id", Check4(l4(func(l *lease.Lease4) { l.ClientID = make([]byte, 129) }), 128), "client-id length 129"},
		{"v4 hostname", Check4(l4(func(l *lease.Lease4) { l.Hostname = strings.Repeat("é", 256) }), 128), "hostname length 256"},
		{"v4 hostname 255 runes", Check4(l4(func(l *lease.Lease4) { l.Hostname = strings.Repeat("é", 255) }), 128), ""},
		{"v4 v6 address", Check4(l4(func(l *lease.Lease4) { l.Addr = netip.MustParseAddr("::1") }), 128), "invalid IPv4 address"},
		{"v6 ok", Check6(l6(func(*lease.Lease6) {})), ""},
		{"v6 no duid", Check6(l6(func(l *lease.Lease6) { l.DUID = nil })), "empty DUID"},
		{"v6 duid 129", Check6(l6(func(l *lease.Lease6) { l.DUID = make([]byte, 129) })), "DUID length 129"},
		{"v6 type", Check6(l6(func(l *lease.Lease6) { l.Type = 3 })), "invalid lease type 3"},
		{"v6 zone", Check6(l6(func(l *lease.Lease6) { l.Addr = netip.MustParseAddr("fe80::1%eth0") })), "invalid IPv6 address"},
	} {
		got := ""
		if c.err != nil {
			got = c.err.Error()
		}
		if (c.want == "") != (got == "") || !strings.Contains(got, c.want) {
			t.Errorf("%s: %q, want %q", c.name, got, c.want)
		}
	}
}

func TestUserContext(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{`{"b": [1, {"c": null}], "a": "x"}`, `{ "a": "x", "b": [ 1, { "c": null } ] }`},
		{`{"k\u00e9y": "v\u00e9"}`, `{ "k\u00e9y": "v\u00e9" }`},
		{`{"q\"u\\o\te": {"\u0001": 1.5}}`, `{ "q\"u\\o\te": { "\u0001": 1.5 } }`},
		{"{\"caf\xc3\xa9\": true}", `{ "caf\u00c3\u00a9": true }`},
		{`{}`, `{  }`},
	} {
		e, err := kjson.ParseString([]byte(c.in))
		if err != nil {
			t.Fatal(err)
		}
		got := UserContext(e)
		if got != c.want {
			t.Errorf("UserContext(%s) = %s, want %s", c.in, got, c.want)
		}
		back, err := kjson.ParseString([]byte(got))
		if err != nil || !back.Equal(e) {
			t.Errorf("%s reads back as %v %v", got, back, err)
		}
		if plain := !strings.Contains(c.in, "\\") && strings.IndexFunc(c.in, func(r rune) bool { return r >= 0x7f }) < 0; plain && got != e.Str() {
			t.Errorf("plain keys: %s differs from Kea's text %s", got, e.Str())
		}
	}
	if UserContext(nil) != "" {
		t.Error("absent user context is not empty")
	}
}

func TestCheckHostname(t *testing.T) {
	for _, c := range []struct {
		h, err string
	}{
		{"host.example.org", ""},
		{"caf\xc3\xa9", ""},
		{strings.Repeat("\xc3\xa9", MaxHostnameLen), ""},
		{strings.Repeat("a", MaxHostnameLen+1), "hostname length 256 exceeds maximum allowed of: 255"},
		{"caf\xe9", `hostname "caf\u00e9" is not valid UTF-8, which the hostname column cannot hold`},
	} {
		err := checkHostname(c.h)
		if (err == nil) != (c.err == "") || (err != nil && err.Error() != c.err) {
			t.Errorf("checkHostname(%q) = %v, want %q", c.h, err, c.err)
		}
	}
}

func TestCheckIdentifiers4(t *testing.T) {
	a := netip.MustParseAddr("192.0.2.50")
	for _, c := range []struct {
		l   lease.Lease4
		err string
	}{
		{lease.Lease4{Addr: a, HWAddr: []byte{}}, "Lease4: 192.0.2.50, state: default has neither hardware address or client id"},
		{lease.Lease4{Addr: a, State: lease.StateExpiredReclaimed}, "Lease4: 192.0.2.50, state: expired-reclaimed has neither hardware address or client id"},
		{lease.Lease4{Addr: a, State: 7}, "Lease4: 192.0.2.50, state: unknown (7) has neither hardware address or client id"},
		{lease.Lease4{Addr: a, State: lease.StateDeclined}, ""},
		{lease.Lease4{Addr: a, HWAddr: []byte{1}}, ""},
		{lease.Lease4{Addr: a, ClientID: []byte{1, 2}}, ""},
	} {
		err := checkIdentifiers4(&c.l)
		if (err == nil) != (c.err == "") || (err != nil && err.Error() != c.err) {
			t.Errorf("checkIdentifiers4(%+v) = %v, want %q", c.l, err, c.err)
		}
	}
}
