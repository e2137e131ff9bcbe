// Package conformance plays the conformance scenarios (conformance/ and the
// shared public ones) against Kea 2.2 and against the lessor binary with
// keadiff, and fails on any difference that is not a marked deviation.
package conformance

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

func repoRoot(t *testing.T) string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Clean(filepath.Join(filepath.Dir(file), "..", ".."))
}

func keaPresent() bool {
	for _, p := range []string{"/usr/sbin/kea-dhcp4", "/usr/sbin/kea-dhcp6"} {
		if _, err := os.Stat(p); err != nil {
			return false
		}
	}
	return true
}

func build(t *testing.T, dir, out, pkg string) {
	t.Helper()
	cmd := exec.Command("go", "build", "-o", out, pkg)
	cmd.Dir = dir
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("building %s: %v\n%s", pkg, err, b)
	}
}

func TestConformance(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("conformance scenarios skipped in -short mode")
	}
	if !keaPresent() {
		t.Skip("SKIPPED: Kea 2.2 (kea-dhcp4, kea-dhcp6) is not installed; the conformance scenarios need it as the reference (.ci/run installs it)")
	}
	root := repoRoot(t)
	shared := filepath.Join(root, "..", "shared")
	keadiffSrc := filepath.Join(shared, "tools", "keadiff")
	if _, err := os.Stat(keadiffSrc); err != nil {
		t.Skipf("SKIPPED: keadiff sources not found at %s", keadiffSrc)
	}
	tmp := t.TempDir()
	lessor := filepath.Join(tmp, "lessor")
	build(t, root, lessor, "./cmd/lessor")
	keadiff := filepath.Join(tmp, "keadiff")
	build(t, keadiffSrc, keadiff, ".")

	dirs := []string{filepath.Join(root, "conformance")}
	if pub := filepath.Join(shared, "conformance", "public"); exists(pub) {
		dirs = append(dirs, pub)
	}
	var scen []string
	for _, d := range dirs {
		for _, sub := range []string{"", "v4", "v6", "server", "random"} {
			p := filepath.Join(d, sub)
			if sub == "" {
				matches, _ := filepath.Glob(filepath.Join(d, "*.json"))
				scen = append(scen, matches...)
				continue
			}
			if exists(p) {
				scen = append(scen, p)
			}
		}
	}
	args := append([]string{"-target", lessor + " -c {config}"}, scen...)
	cmd := exec.Command(keadiff, args...)
	cmd.Dir = tmp
	out, err := cmd.CombinedOutput()
	text := string(out)
	summary := text
	if i := strings.LastIndex(text, "passed, "); i > 0 {
		if j := strings.LastIndex(text[:i], "\n"); j >= 0 {
			summary = text[j+1:]
		}
	}
	t.Logf("keadiff summary:\n%s", summary)
	if err != nil {
		t.Errorf("keadiff reported differences: %v\n%s", err, failures(text))
	}
}

// failures keeps the FAIL blocks of keadiff's output.
func failures(text string) string {
	var b strings.Builder
	keep := false
	for _, line := range strings.Split(text, "\n") {
		switch {
		case strings.HasPrefix(line, "FAIL"), strings.HasPrefix(line, "ERROR"):
			keep = true
		case strings.HasPrefix(line, "PASS"), strings.HasPrefix(line, "DEVIATION"):
			keep = false
		}
		if keep {
			b.WriteString(line + "\n")
		}
	}
	return b.String()
}

func exists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// sqlBackends are the SQL stores the scenarios also run on.
var sqlBackends = []struct {
	name, admin string
	ping        []string // a client command that answers when the server is up
	create      string   // shell that creates database $name if missing
	leaseDB     string   // -lease-database map, %s = database name
}{
	{"postgresql", "pgsql", []string{"psql", "-h", "127.0.0.1", "-U", "postgres", "-c", "select 1", "postgres"},
		`psql -h 127.0.0.1 -U postgres -tAc "select 1 from pg_database where datname='$name'" postgres | grep -q 1 || { psql -h 127.0.0.1 -U postgres -qc "create database $name" postgres >/dev/null && "$ADMIN" db-init pgsql -h 127.0.0.1 -u postgres -p "" -n $name >/dev/null; }`,
		`{"type":"postgresql","name":"%s","host":"127.0.0.1","user":"postgres"}`},
	{"mysql", "mysql", []string{"mariadb", "-h", "127.0.0.1", "-u", "root", "-e", "select 1"},
		`mariadb -h 127.0.0.1 -u root -e "create database if not exists $name" && { mariadb -h 127.0.0.1 -u root $name -e 'select 1 from schema_version' >/dev/null 2>&1 || "$ADMIN" db-init mysql -h 127.0.0.1 -u root -p "" -n $name >/dev/null; }`,
		`{"type":"mysql","name":"%s","host":"127.0.0.1","user":"root"}`},
}

// TestConformanceSQL plays the scenarios with lessor on PostgreSQL and on
// MySQL (one database per scenario, kept across its restarts), against
// Kea 2.2 on memfile: every answer must be the memfile one.
func TestConformanceSQL(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("conformance scenarios skipped in -short mode")
	}
	if !keaPresent() {
		t.Skip("SKIPPED: Kea 2.2 is not installed; the conformance scenarios need it as the reference")
	}
	root := repoRoot(t)
	shared := filepath.Join(root, "..", "shared")
	keadiffSrc := filepath.Join(shared, "tools", "keadiff")
	if !exists(keadiffSrc) {
		t.Skipf("SKIPPED: keadiff sources not found at %s", keadiffSrc)
	}
	tmp := t.TempDir()
	lessor, admin, keadiff := filepath.Join(tmp, "lessor"), filepath.Join(tmp, "lessor-admin"), filepath.Join(tmp, "keadiff")
	build(t, root, lessor, "./cmd/lessor")
	build(t, root, admin, "./cmd/lessor-admin")
	build(t, keadiffSrc, keadiff, ".")
	scen := sqlScenarios(t, root)
	for _, b := range sqlBackends {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			if err := exec.Command(b.ping[0], b.ping[1:]...).Run(); err != nil {
				t.Skipf("SKIPPED: %s is not reachable on 127.0.0.1 (%v); .ci/run starts it", b.name, err)
			}
			script := filepath.Join(tmp, "target-"+b.admin+".sh")
			body := "#!/bin/sh\n# keadiff target: lessor on " + b.name + ", one database per scenario\n" +
				"cfg=$1\nname=lessor_cf_$(printf %s \"$cfg\" | md5sum | cut -c1-12)\nADMIN=" + admin + "\n" +
				b.create + " || exit 1\n" +
				"exec " + lessor + " -c \"$cfg\" -lease-database '" + fmt.Sprintf(b.leaseDB, "'\"$name\"'") + "'\n"
			if err := os.WriteFile(script, []byte(body), 0o755); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { dropDatabases(b.admin) })
			args := append([]string{"-no-lease-file", "-target", script + " {config}"}, scen...)
			cmd := exec.Command(keadiff, args...)
			cmd.Dir = tmp
			out, err := cmd.CombinedOutput()
			text := string(out)
			if i := strings.LastIndex(text, "passed, "); i > 0 {
				if j := strings.LastIndex(text[:i], "\n"); j >= 0 {
					t.Logf("keadiff summary (%s):\n%s", b.name, text[j+1:])
				}
			}
			if err != nil {
				t.Errorf("keadiff reported differences on %s: %v\n%s", b.name, err, failures(text))
			}
		})
	}
}

// sqlScenarios lists the scenario files to play on SQL: all of
// conformance/ and the public ones, less conformance/sql-skip.txt.
func sqlScenarios(t *testing.T, root string) []string {
	skip := map[string]bool{}
	if data, err := os.ReadFile(filepath.Join(root, "conformance", "sql-skip.txt")); err == nil {
		for _, line := range strings.Split(string(data), "\n") {
			if f := strings.Fields(line); len(f) > 0 && !strings.HasPrefix(f[0], "#") {
				skip[f[0]] = true
			}
		}
	}
	var out []string
	for _, dir := range []string{"v4", "v6", "server", "random"} {
		files, _ := filepath.Glob(filepath.Join(root, "conformance", dir, "*.json"))
		for _, f := range files {
			if !skip[dir+"/"+filepath.Base(f)] {
				out = append(out, f)
			}
		}
	}
	pub, _ := filepath.Glob(filepath.Join(root, "..", "shared", "conformance", "public", "*.json"))
	return append(out, pub...)
}

// dropDatabases removes the per-scenario databases of one backend.
func dropDatabases(backend string) {
	var list *exec.Cmd
	if backend == "pgsql" {
		list = exec.Command("psql", "-h", "127.0.0.1", "-U", "postgres", "-tAc", "select datname from pg_database where datname like 'lessor_cf_%'", "postgres")
	} else {
		list = exec.Command("mariadb", "-h", "127.0.0.1", "-u", "root", "-N", "-e", "show databases like 'lessor_cf_%'")
	}
	out, err := list.Output()
	if err != nil {
		return
	}
	for _, name := range strings.Fields(string(out)) {
		if backend == "pgsql" {
			exec.Command("psql", "-h", "127.0.0.1", "-U", "postgres", "-qc", "drop database if exists "+name, "postgres").Run()
		} else {
			exec.Command("mariadb", "-h", "127.0.0.1", "-u", "root", "-e", "drop database if exists "+name).Run()
		}
	}
}
