package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
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
			// lessor opens it.
			sqltest.Open(t, cfg)
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
