package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/lessor-dhcp/lessor/store/sqlschema/sqltest"
)

func TestInitAndVersion(t *testing.T) {
	for _, tc := range []struct{ backend, typ, version string }{
		{"pgsql", "postgresql", "13.0"},
		{"mysql", "mysql", "14.0"},
	} {
		t.Run(tc.backend, func(t *testing.T) {
			cfg := sqltest.NewDatabase(t, tc.typ, 4, sqltest.Empty)
			flags := []string{"-h", cfg.Host, "-P", strconv.Itoa(cfg.Port), "-u", cfg.User, "-p", cfg.Password, "-n", cfg.Name}
			ctx := context.Background()
			var out, errb bytes.Buffer
			if rc := run(ctx, append([]string{"db-init", tc.backend}, flags...), &out, &errb); rc != 0 {
				t.Fatalf("db-init: %d %s", rc, errb.String())
			}
			if want := "Database version reported after initialization: " + tc.version + "\n"; out.String() != want {
				t.Errorf("db-init said %q", out.String())
			}
			out.Reset()
			if rc := run(ctx, append([]string{"db-version", tc.backend}, flags...), &out, &errb); rc != 0 || out.String() != tc.version+"\n" {
				t.Errorf("db-version: %d %q %s", rc, out.String(), errb.String())
			}
			errb.Reset()
			if rc := run(ctx, append([]string{"db-init", tc.backend}, flags...), &out, &errb); rc == 0 || !strings.Contains(errb.String(), "not empty") {
				t.Errorf("second db-init: %d %s", rc, errb.String())
			}
			// kea-admin reads the same version from a lessor-initialized database.
			if _, err := os.Stat("/usr/sbin/kea-admin"); err == nil {
				kout, err := exec.Command("/usr/sbin/kea-admin", append([]string{"db-version", tc.backend}, flags...)...).Output()
				if err != nil || strings.TrimSpace(string(kout)) != tc.version {
					t.Errorf("kea-admin db-version: %q %v", kout, err)
				}
			}
			// lessor opens it, and kea-admin dumps what lessor wrote.
			st := sqltest.Open(t, cfg)
			if err := st.V4().AddLease4(ctx, sqltest.Lease4("192.0.2.1", 1)); err != nil {
				t.Fatal(err)
			}
			if _, err := os.Stat("/usr/sbin/kea-admin"); err == nil {
				dump := filepath.Join(t.TempDir(), "dump.csv")
				kout, err := exec.Command("/usr/sbin/kea-admin", append([]string{"lease-dump", tc.backend, "-4", "-o", dump, "-y"}, flags...)...).CombinedOutput()
				if err != nil {
					t.Fatalf("kea-admin lease-dump: %v %s", err, kout)
				}
				data, _ := os.ReadFile(dump)
				want := "address,hwaddr,client_id,valid_lifetime,expire,subnet_id,fqdn_fwd,fqdn_rev,hostname,state,user_context\n" +
					"192.0.2.1,08:00:2b:00:02:01,01:01,3600,1700003600,1,0,0,host-192.0.2.1,0,\n"
				if string(data) != want {
					t.Errorf("kea-admin lease-dump:\n%s\nwant\n%s", data, want)
				}
			}
		})
	}
}

func TestUsageErrors(t *testing.T) {
	for _, args := range [][]string{{}, {"db-init"}, {"db-init", "memfile"}, {"db-frob", "pgsql", "-h", "127.0.0.1", "-P", "1", "-t", "1"}, {"db-init", "pgsql", "-x"}} {
		var out, errb bytes.Buffer
		if rc := run(context.Background(), args, &out, &errb); rc != 1 || errb.Len() == 0 {
			t.Errorf("%v: rc %d, stderr %q", args, rc, errb.String())
		}
	}
}
