// Package conformance plays the conformance scenarios (conformance/ and the
// shared public ones) against Kea 2.2 and against the lessor binary with
// keadiff, and fails on any difference that is not a marked deviation.
package conformance

import (
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
		for _, sub := range []string{"", "v4", "v6", "server"} {
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
