package sqltest

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/lessor-dhcp/lessor/internal/kjson"
	"github.com/lessor-dhcp/lessor/lease"
	"github.com/lessor-dhcp/lessor/store"
)

// edgeContext is a user context whose keys and values hold bytes that are
// not valid UTF-8 (as Kea's parser makes of "\u00e9") or are UTF-8, and a
// control byte. (Keys with a quote or backslash round-trip too, see
// sqlstore's tests, but Kea's own answers would show them unescaped.)
func edgeContext() *kjson.Element {
	m := kjson.NewMap()
	m.Set("k\xe9y", kjson.NewString("v\xe9"))
	inner := kjson.NewMap()
	inner.Set("\xc3\xa9t\xc9", kjson.NewList(kjson.NewString("\x01"), kjson.NewNull()))
	m.Set("ISC", inner)
	return m
}

// asciiOnly tells whether a column text is printable ASCII.
func asciiOnly(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] >= 0x7f {
			return false
		}
	}
	return true
}

// Edges4 checks the lease4 cases where the SQL store answers as Kea's
// memfile does although the columns make it less direct: a lease without
// hardware address and client-id is refused in memfile's words (a declined
// one is kept), user-context keys that are not printable ASCII round-trip
// and Kea reads them, and a hostname that is not valid UTF-8 is refused
// with nothing written (and found nowhere).
func Edges4(t *testing.T, typ string) {
	ctx := context.Background()
	cfg := NewDatabase(t, typ, 4, Lessor)
	s := Open(t, cfg).V4()

	t.Run("no identifiers", func(t *testing.T) {
		for _, hw := range [][]byte{nil, {}} {
			l := Lease4("192.0.2.50", 1)
			l.HWAddr, l.ClientID = hw, nil
			err := s.AddLease4(ctx, l)
			want := "Lease4: 192.0.2.50, state: default has neither hardware address or client id"
			if err == nil || err.Error() != want {
				t.Errorf("add with hw-address %#v: %v, want %q", hw, err, want)
			}
			if got, _ := s.GetLease4(ctx, l.Addr); got != nil {
				t.Errorf("refused add stored %+v", got)
			}
		}
		l := Lease4("192.0.2.51", 1)
		if err := s.AddLease4(ctx, l); err != nil {
			t.Fatal(err)
		}
		u := *l
		u.HWAddr, u.ClientID, u.State = []byte{}, nil, lease.StateExpiredReclaimed
		err := s.UpdateLease4(ctx, &u)
		if want := "Lease4: 192.0.2.51, state: expired-reclaimed has neither hardware address or client id"; err == nil || err.Error() != want {
			t.Errorf("update: %v, want %q", err, want)
		}
		if got, _ := s.GetLease4(ctx, l.Addr); !Equal4(got, l) {
			t.Errorf("refused update changed the lease to %+v", got)
		}
		d := Lease4("192.0.2.52", 1)
		d.HWAddr, d.ClientID, d.State = []byte{}, nil, lease.StateDeclined
		if err := s.AddLease4(ctx, d); err != nil {
			t.Errorf("declined lease without identifiers: %v", err)
		}
	})

	t.Run("user context keys", func(t *testing.T) {
		l := Lease4("192.0.2.60", 1)
		l.UserContext = edgeContext()
		if err := s.AddLease4(ctx, l); err != nil {
			t.Fatal(err)
		}
		got, err := s.GetLease4(ctx, l.Addr)
		if err != nil || !Equal4(got, l) {
			t.Fatalf("read back %+v %v, want %+v", got, err, l)
		}
		rows := Query(t, cfg, "SELECT user_context FROM lease4 WHERE address = 3221226044")
		if len(rows) != 1 || !asciiOnly(rows[0][0]) {
			t.Errorf("user_context column %q is not printable ASCII", rows)
		}
		kea := StartKea(t, 4, cfg)
		ans := kea.MustSucceed(`{"command": "lease4-get", "arguments": {"ip-address": "192.0.2.60"}}`)
		if uc := ans.Get("arguments").Get("user-context"); uc == nil || !uc.Equal(l.UserContext) {
			t.Errorf("Kea reads the user context as %s, want %s", uc.Str(), l.UserContext.Str())
		}
	})

	t.Run("hostname not UTF-8", func(t *testing.T) {
		l := Lease4("192.0.2.70", 1)
		l.Hostname = "caf\xe9"
		err := s.AddLease4(ctx, l)
		if err == nil || !strings.Contains(err.Error(), `hostname "caf\u00e9" is not valid UTF-8`) {
			t.Errorf("add: %v", err)
		}
		if got, _ := s.GetLease4(ctx, l.Addr); got != nil {
			t.Errorf("refused add stored %+v", got)
		}
		ok := Lease4("192.0.2.71", 1)
		ok.Hostname = "caf\xc3\xa9"
		if err := s.AddLease4(ctx, ok); err != nil {
			t.Fatal(err)
		}
		u := *ok
		u.Hostname = "\xe9t\xc9"
		if err := s.UpdateLease4(ctx, &u); err == nil {
			t.Error("update to a hostname that is not UTF-8 accepted")
		}
		if got, _ := s.GetLease4(ctx, ok.Addr); !Equal4(got, ok) {
			t.Errorf("refused update changed the lease to %+v", got)
		}
		for _, h := range []string{"caf\xe9", "\xe9t\xc9"} {
			if ls, err := s.GetLeases4ByHostname(ctx, h); err != nil || len(ls) != 0 {
				t.Errorf("by hostname %q: %v %v", h, addrs4(ls), err)
			}
		}
		if ls, err := s.GetLeases4ByHostname(ctx, "caf\xc3\xa9"); err != nil || len(ls) != 1 {
			t.Errorf("by hostname café: %v %v", addrs4(ls), err)
		}
	})
}

// Edges6 checks the lease6 cases: a present but empty hardware address
// round-trips apart from an absent one (with Kea's column conventions),
// user-context keys that are not printable ASCII round-trip and Kea reads
// them, and a hostname that is not valid UTF-8 is refused.
func Edges6(t *testing.T, typ string) {
	ctx := context.Background()
	cfg := NewDatabase(t, typ, 6, Lessor)
	s := Open(t, cfg).V6()

	t.Run("empty hardware address", func(t *testing.T) {
		absent := Lease6("2001:db8::19", 1)
		empty := Lease6("2001:db8::1a", 1)
		empty.HWAddr, empty.HWType = []byte{}, lease.HTypeEther
		for _, l := range []*lease.Lease6{absent, empty} {
			if err := s.AddLease6(ctx, l); err != nil {
				t.Fatal(err)
			}
		}
		got, err := s.GetLease6(ctx, lease.TypeNA, absent.Addr)
		if err != nil || got == nil || got.HWAddr != nil {
			t.Errorf("absent hardware address read back as %+v %v", got, err)
		}
		got, err = s.GetLease6(ctx, lease.TypeNA, empty.Addr)
		if err != nil || got == nil || got.HWAddr == nil || len(got.HWAddr) != 0 || got.HWType != lease.HTypeEther {
			t.Errorf("empty hardware address read back as %+v %v", got, err)
		}
		if e := got.ToElement().Get("hw-address"); e == nil || e.S != "" {
			t.Errorf("lease6-get of the empty hardware address shows %s", got.ToElement().Str())
		}
		want := map[string]string{
			"postgresql": "[[2001:db8::19  0 0] [2001:db8::1a  1 0]]",
			"mysql":      "[[2001:db8::19 NULL NULL NULL] [2001:db8::1a  1 0]]",
		}[typ]
		rows := Query(t, cfg, "SELECT address, hwaddr, hwtype, hwaddr_source FROM lease6 ORDER BY address")
		if Fmt(rows) != want {
			t.Errorf("rows %s, want %s (Kea's conventions)", Fmt(rows), want)
		}
		// Kea reads both rows; it shows no hardware address for the
		// empty one on PostgreSQL, as for its own rows.
		kea := StartKea(t, 6, cfg)
		kea.MustSucceed(`{"command": "lease6-get", "arguments": {"ip-address": "2001:db8::1a"}}`)
		kea.MustSucceed(`{"command": "lease6-update", "arguments": {"ip-address": "2001:db8::1a", "duid": "00:01:00:01:00:1a", "iaid": 26, "hw-address": "", "subnet-id": 1}}`)
		got, err = s.GetLease6(ctx, lease.TypeNA, empty.Addr)
		if err != nil || got == nil || got.HWAddr == nil || len(got.HWAddr) != 0 {
			t.Errorf("Kea's empty hardware address read back as %+v %v", got, err)
		}
	})

	t.Run("user context keys", func(t *testing.T) {
		l := Lease6("2001:db8::3", 1)
		l.UserContext = edgeContext()
		if err := s.AddLease6(ctx, l); err != nil {
			t.Fatal(err)
		}
		got, err := s.GetLease6(ctx, lease.TypeNA, l.Addr)
		if err != nil || !Equal6(got, l) {
			t.Fatalf("read back %+v %v, want %+v", got, err, l)
		}
		rows := Query(t, cfg, "SELECT user_context FROM lease6 WHERE address = '2001:db8::3'")
		if len(rows) != 1 || !asciiOnly(rows[0][0]) {
			t.Errorf("user_context column %q is not printable ASCII", rows)
		}
		kea := StartKea(t, 6, cfg)
		ans := kea.MustSucceed(`{"command": "lease6-get", "arguments": {"ip-address": "2001:db8::3"}}`)
		if uc := ans.Get("arguments").Get("user-context"); uc == nil || !uc.Equal(l.UserContext) {
			t.Errorf("Kea reads the user context as %s, want %s", uc.Str(), l.UserContext.Str())
		}
	})

	t.Run("hostname not UTF-8", func(t *testing.T) {
		l := Lease6("2001:db8::4", 1)
		l.Hostname = "caf\xe9"
		if err := s.AddLease6(ctx, l); err == nil || !strings.Contains(err.Error(), "is not valid UTF-8") {
			t.Errorf("add: %v", err)
		}
		if got, _ := s.GetLease6(ctx, lease.TypeNA, l.Addr); got != nil {
			t.Errorf("refused add stored %+v", got)
		}
		if ls, err := s.GetLeases6ByHostname(ctx, "caf\xe9"); err != nil || len(ls) != 0 {
			t.Errorf("by hostname: %v %v", addrs6(ls), err)
		}
		l.Hostname = "caf\xc3\xa9"
		if err := s.AddLease6(ctx, l); err != nil {
			t.Fatal(err)
		}
		if got, err := s.GetLease6(ctx, lease.TypeNA, l.Addr); err != nil || !Equal6(got, l) {
			t.Errorf("UTF-8 hostname read back as %+v %v", got, err)
		}
		if err := s.DeleteLease6(ctx, l); err != nil && !errors.Is(err, store.ErrNotFound) {
			t.Fatal(err)
		}
	})
}
