package abuse

import (
	"bufio"
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// fuzzTarget is a FuzzX function and the package folder holding it.
type fuzzTarget struct{ dir, name string }

var fuzzFunc = regexp.MustCompile(`^func (Fuzz\w*)\(f \*testing\.F\)`)

// fuzzTargets lists every fuzz target of the module.
func fuzzTargets(root string) ([]fuzzTarget, error) {
	var out []fuzzTarget
	err := filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (strings.HasPrefix(d.Name(), ".") || d.Name() == "testdata") && path != root {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := os.Open(path)
		if err != nil {
			return err
		}
		defer f.Close()
		sc := bufio.NewScanner(f)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			if m := fuzzFunc.FindStringSubmatch(sc.Text()); m != nil {
				rel, _ := filepath.Rel(root, filepath.Dir(path))
				out = append(out, fuzzTarget{"./" + rel, m[1]})
			}
		}
		return sc.Err()
	})
	return out, err
}

var execsRe = regexp.MustCompile(`execs: (\d+)`)

// TestFuzzAll runs every fuzz target of the module for LESSOR_FUZZ_TIME
// (default 10s) each, one worker, when LESSOR_FUZZ=1, and logs the inputs
// tried per target. A failing input is left by go test in the target
// package's testdata/fuzz folder.
//
//	LESSOR_FUZZ=1 LESSOR_FUZZ_TIME=60s go test -run TestFuzzAll -timeout 0 -v ./test/abuse/
func TestFuzzAll(t *testing.T) {
	if os.Getenv("LESSOR_FUZZ") != "1" {
		t.Skip("set LESSOR_FUZZ=1 to run every fuzz target")
	}
	fuzzTime := os.Getenv("LESSOR_FUZZ_TIME")
	if fuzzTime == "" {
		fuzzTime = "10s"
	}
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	targets, err := fuzzTargets(root)
	if err != nil {
		t.Fatal(err)
	}
	if only := os.Getenv("LESSOR_FUZZ_ONLY"); only != "" {
		var keep []fuzzTarget
		for _, tg := range targets {
			if strings.Contains(tg.dir+"."+tg.name, only) {
				keep = append(keep, tg)
			}
		}
		targets = keep
	}
	t.Logf("%d fuzz targets, %s each", len(targets), fuzzTime)
	for _, tg := range targets {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Minute)
		cmd := exec.CommandContext(ctx, "go", "test", "-run=^$", "-fuzz=^"+tg.name+"$", "-fuzztime="+fuzzTime,
			"-fuzzminimizetime=5s", "-parallel=1", tg.dir)
		cmd.Dir = root
		t0 := time.Now()
		out, err := cmd.CombinedOutput()
		cancel()
		execs := "?"
		if m := execsRe.FindAllSubmatch(out, -1); len(m) > 0 {
			execs = string(m[len(m)-1][1])
		}
		status := "ok"
		switch {
		case err == nil:
		case !bytes.Contains(out, []byte("Failing input written to")) && bytes.Contains(out, []byte("context deadline exceeded")):
			// go test's fuzzing engine reports the end of -fuzztime
			// reached while it minimizes an input as a failure; no
			// input failed.
			status = "ok (engine: context deadline exceeded)"
		default:
			status = "FAIL"
			s := string(out)
			t.Errorf("%s %s: %v\n%s", tg.dir, tg.name, err, s[max(0, len(s)-3000):])
		}
		t.Logf("FUZZ | %s | %s | %s | %s | %v |", tg.dir, tg.name, execs, status, time.Since(t0).Round(time.Second))
	}
}

func TestFuzzTargetsFound(t *testing.T) {
	targets, err := fuzzTargets("../..")
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]bool{}
	for _, tg := range targets {
		names[tg.name] = true
	}
	for _, want := range []string{"FuzzControlSocket", "FuzzLeaseFileLoad", "FuzzIdentifiers"} {
		if !names[want] {
			t.Errorf("%s not found among %d targets", want, len(targets))
		}
	}
}
