// Package lessorctl_test moves leases between lessor servers on different
// stores with the lessorctl binary: export from memfile, import into
// PostgreSQL, and back.
package lessorctl_test

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"
	"time"
)

func root() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..")
}

func build(t *testing.T, pkg, out string) {
	t.Helper()
	cmd := exec.Command("go", "build", "-o", out, pkg)
	cmd.Dir = root()
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build %s: %v\n%s", pkg, err, b)
	}
}

type server struct {
	sock string
	cmd  *exec.Cmd
}

func start(t *testing.T, lessor, dir, name, leaseDB string) *server {
	t.Helper()
	sock := filepath.Join(dir, name+".sock")
	conf := fmt.Sprintf(`{"Dhcp4": {"interfaces-config": {"interfaces": []},
  "control-socket": {"socket-type": "unix", "socket-name": %q},
  "lease-database": %s, "valid-lifetime": 4000,
  "subnet4": [{"id": 1, "subnet": "192.0.2.0/24"}, {"id": 2, "subnet": "198.51.100.0/24"}]}}`, sock, leaseDB)
	path := filepath.Join(dir, name+".json")
	os.WriteFile(path, []byte(conf), 0o644)
	cmd := exec.Command(lessor, "-c", path)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Signal(os.Interrupt); cmd.Wait() })
	for i := 0; i < 100; i++ {
		if _, err := os.Stat(sock); err == nil {
			return &server{sock: sock, cmd: cmd}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("%s did not start:\n%s", name, out.String())
	return nil
}

func ctl(t *testing.T, bin string, s *server, args ...string) string {
	t.Helper()
	out, err := exec.Command(bin, append([]string{"--socket", s.sock}, args...)...).CombinedOutput()
	if err != nil {
		if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() == 1 {
			t.Fatalf("lessorctl %v: %v\n%s", args, err, out)
		}
	}
	return string(out)
}

var cltt = regexp.MustCompile(`"cltt": [0-9]+`)

func TestExportImportAcrossStores(t *testing.T) {
	if err := exec.Command("psql", "-h", "127.0.0.1", "-U", "postgres", "-c", "select 1", "postgres").Run(); err != nil {
		t.Skipf("SKIPPED: PostgreSQL is not reachable on 127.0.0.1 (%v)", err)
	}
	dir := t.TempDir()
	lessor, ctlBin, admin := filepath.Join(dir, "lessor"), filepath.Join(dir, "lessorctl"), filepath.Join(dir, "lessor-admin")
	build(t, "./cmd/lessor", lessor)
	build(t, "./cmd/lessorctl", ctlBin)
	build(t, "./cmd/lessor-admin", admin)
	db := fmt.Sprintf("lessor_ctl_%d", time.Now().UnixNano()%1e9)
	psql := func(sql string) {
		if out, err := exec.Command("psql", "-h", "127.0.0.1", "-U", "postgres", "-qc", sql, "postgres").CombinedOutput(); err != nil {
			t.Fatalf("psql %s: %v\n%s", sql, err, out)
		}
	}
	psql("create database " + db)
	t.Cleanup(func() {
		exec.Command("psql", "-h", "127.0.0.1", "-U", "postgres", "-qc", "drop database if exists "+db, "postgres").Run()
	})
	if out, err := exec.Command(admin, "db-init", "pgsql", "-h", "127.0.0.1", "-u", "postgres", "-p", "", "-n", db).CombinedOutput(); err != nil {
		t.Fatalf("lessor-admin db-init: %v\n%s", err, out)
	}

	mem := start(t, lessor, dir, "memfile", fmt.Sprintf(`{"type": "memfile", "name": %q}`, filepath.Join(dir, "leases4.csv")))
	pg := start(t, lessor, dir, "pgsql", fmt.Sprintf(`{"type": "postgresql", "name": %q, "host": "127.0.0.1", "user": "postgres"}`, db))
	for i := 1; i <= 30; i++ {
		args := []string{"lease4-add", fmt.Sprintf("ip-address=192.0.2.%d", i), fmt.Sprintf("hw-address=1a:1b:1c:1d:1e:%02x", i),
			fmt.Sprintf("hostname=host%d.example.org", i), "expire=2000000000"}
		if i%3 == 0 {
			args = append(args, "state=1", "client-id=01:02:03")
		}
		if i%5 == 0 {
			args = append(args, `user-context={"note": "kept, with a comma"}`)
		}
		if out := ctl(t, ctlBin, mem, args...); !strings.Contains(out, "added") {
			t.Fatalf("lease4-add: %s", out)
		}
	}
	for _, format := range []string{"csv", "json"} {
		t.Run(format, func(t *testing.T) {
			ctl(t, ctlBin, pg, "lease4-wipe")
			export := filepath.Join(dir, "export."+format)
			out, err := exec.Command(ctlBin, "--socket", mem.sock, "leases", "export", "--format", format).Output()
			if err != nil {
				t.Fatalf("export: %v", err)
			}
			os.WriteFile(export, out, 0o644)
			if sum := ctl(t, ctlBin, pg, "leases", "import", export); !strings.Contains(sum, "30") {
				t.Errorf("import summary: %s", sum)
			}
			a := cltt.ReplaceAllString(ctl(t, ctlBin, mem, "--json", "lease4-get-all"), "")
			b := cltt.ReplaceAllString(ctl(t, ctlBin, pg, "--json", "lease4-get-all"), "")
			if a != b {
				t.Errorf("leases differ after the move:\nmemfile:    %s\npostgresql: %s", a, b)
			}
			stats := `{"name": "subnet[1].declined-addresses"}`
			sa := ctl(t, ctlBin, mem, "--json", "statistic-get", "--args", stats)
			sb := ctl(t, ctlBin, pg, "--json", "statistic-get", "--args", stats)
			if !strings.Contains(sa, "[ [ 10,") || !strings.Contains(sb, "[ [ 10,") {
				t.Errorf("declined counts: memfile %s, postgresql %s", sa, sb)
			}
		})
	}
}
