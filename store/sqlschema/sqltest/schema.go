package sqltest

import (
	"context"
	"errors"
	"net/netip"
	"strings"
	"testing"

	"github.com/lessor-dhcp/lessor/internal/kjson"
	"github.com/lessor-dhcp/lessor/store"
)

// SchemaChecks covers opening: a kea-admin database is accepted (and gets
// lessor's lease6 address key), a wrong schema version or an empty
// database is refused with a clear message, and a read-only store writes
// nothing.
func SchemaChecks(t *testing.T, typ string, major, minor int) {
	ctx := context.Background()
	t.Run("KeaAdminDatabase", func(t *testing.T) {
		cfg := NewDatabase(t, typ, 6, KeaAdmin)
		s := Open(t, cfg).V6()
		for _, a := range []string{"2001:db8::10", "2001:db8::9", "2001:db8::1:0"} {
			if err := s.AddLease6(ctx, Lease6(a, 1)); err != nil {
				t.Fatal(err)
			}
		}
		page, err := s.GetLeases6Page(ctx, netip.IPv6Unspecified(), 10)
		if err != nil {
			t.Fatal(err)
		}
		if got := addrs6(page); strings.Join(got, " ") != "2001:db8::9 2001:db8::10 2001:db8::1:0" {
			t.Errorf("page on a kea-admin database: %v", got)
		}
	})
	t.Run("KeaAdminDatabaseReadOnly", func(t *testing.T) {
		// Without lessor's additions, pages are still in numeric order
		// (by sorting) and lookups in key, address order.
		cfg := NewDatabase(t, typ, 6, KeaAdmin)
		Populate(t, cfg, 6, 20)
		cfg.ReadOnly = true
		s := Open(t, cfg).V6()
		var got []netip.Addr
		after := netip.IPv6Unspecified()
		for {
			page, err := s.GetLeases6Page(ctx, after, 7)
			if err != nil {
				t.Fatal(err)
			}
			if len(page) == 0 {
				break
			}
			for _, l := range page {
				got = append(got, l.Addr)
			}
			after = page[len(page)-1].Addr
		}
		if len(got) != 20 {
			t.Fatalf("walk saw %d leases", len(got))
		}
		for i, a := range got {
			if a != AddrN6(i) {
				t.Fatalf("lease %d of the walk is %s, want %s", i, a, AddrN6(i))
			}
		}
		ls, err := s.GetLeases6BySubnet(ctx, 1)
		if err != nil || len(ls) != 20 || ls[9].Addr != AddrN6(9) {
			t.Errorf("by subnet on a read-only kea-admin database: %d leases, %v", len(ls), err)
		}
	})
	t.Run("VersionMismatch", func(t *testing.T) {
		cfg := NewDatabase(t, typ, 4, Lessor)
		Exec(t, cfg, "UPDATE schema_version SET version = 12, minor = 1")
		_, err := store.Open(ctx, cfg, nil)
		if err == nil {
			t.Fatal("wrong schema version accepted")
		}
		want := "schema version mismatch: need version: " + itoa(uint32(major)) + "." + itoa(uint32(minor)) + " found version: 12.1"
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	})
	t.Run("NotInitialized", func(t *testing.T) {
		cfg := NewDatabase(t, typ, 4, Empty)
		_, err := store.Open(ctx, cfg, nil)
		if err == nil || !strings.Contains(err.Error(), "db-init") {
			t.Errorf("empty database: %v", err)
		}
	})
	t.Run("Unreachable", func(t *testing.T) {
		cfg := Server(typ, "nothing")
		cfg.Port = 1 // nothing listens there
		cfg.ConnectTimeout = 1
		cfg.MaxReconnectTries = 1
		cfg.ReconnectWaitTime = 10
		_, err := store.Open(ctx, cfg, nil)
		if err == nil || !strings.Contains(err.Error(), "cannot connect to the") {
			t.Errorf("unreachable server: %v", err)
		}
	})
	t.Run("ReadOnly", func(t *testing.T) {
		cfg := NewDatabase(t, typ, 4, Lessor)
		s := Open(t, cfg).V4()
		if err := s.AddLease4(ctx, Lease4("192.0.2.1", 1)); err != nil {
			t.Fatal(err)
		}
		cfg.ReadOnly = true
		ro := Open(t, cfg).V4()
		if l, err := ro.GetLease4(ctx, netip.MustParseAddr("192.0.2.1")); err != nil || l == nil {
			t.Fatalf("read-only get: %v %v", l, err)
		}
		if err := ro.AddLease4(ctx, Lease4("192.0.2.2", 1)); !errors.Is(err, store.ErrReadOnly) {
			t.Errorf("read-only add: %v", err)
		}
		if _, err := ro.WipeLeases4(ctx, 1); !errors.Is(err, store.ErrReadOnly) {
			t.Errorf("read-only wipe: %v", err)
		}
	})
	t.Run("UserContextText", func(t *testing.T) {
		cfg := NewDatabase(t, typ, 4, Lessor)
		s := Open(t, cfg).V4()
		l := Lease4("192.0.2.1", 1)
		l.ClientID = nil
		if err := s.AddLease4(ctx, l); err != nil {
			t.Fatal(err)
		}
		l2 := Lease4("192.0.2.2", 1)
		l2.UserContext = kjson.MustParse(`{"b":[1,{"c":"d"}],"a":1.0}`)
		if err := s.AddLease4(ctx, l2); err != nil {
			t.Fatal(err)
		}
		rows := Query(t, cfg, "SELECT client_id IS NULL, user_context IS NULL, hostname IS NULL, user_context FROM lease4 ORDER BY address")
		// PostgreSQL: absent values are '' (IS NULL false); MySQL: NULL.
		// The hostname is never NULL.
		absent := map[string]string{"postgresql": "false", "mysql": "1"}[typ]
		notNull := map[string]string{"postgresql": "false", "mysql": "0"}[typ]
		if rows[0][0] != absent || rows[0][1] != absent || rows[0][2] != notNull {
			t.Errorf("absent client-id/user-context/hostname written as %v", rows[0])
		}
		if want := `{ "a": 1.0, "b": [ 1, { "c": "d" } ] }`; rows[1][3] != want {
			t.Errorf("user context text %q, want Kea's %q", rows[1][3], want)
		}
	})
}
