package crash

import (
	"context"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lessor-dhcp/lessor/test/crash/lessorproc"
)

// smallFS mounts a 256 KiB tmpfs and returns its folder; the test is
// skipped where mounting is not permitted.
func smallFS(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "small")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if os.Geteuid() != 0 {
		t.Skip("mounting a small tmpfs needs root")
	}
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", dir).CombinedOutput(); err != nil {
		t.Skipf("cannot mount a small tmpfs here (%v: %s); the disk-full tests need it", err, strings.TrimSpace(string(out)))
	}
	t.Cleanup(func() {
		if out, err := exec.Command("umount", "-l", dir).CombinedOutput(); err != nil {
			t.Errorf("umount %s: %v %s", dir, err, out)
		}
	})
	return dir
}

// fsTest drives lease4 commands and keeps the acknowledged state.
type fsTest struct {
	t     *testing.T
	sock  string
	acked map[string]string // address -> hostname of leases acknowledged present
	seq   int
	texts map[string]int // error texts seen
}

func (f *fsTest) lease(ip string) map[string]any {
	f.seq++
	return map[string]any{
		"ip-address": ip, "subnet-id": 1, "hw-address": "02:00:00:00:00:01",
		"hostname":     fmt.Sprintf("host-%d.example.org", f.seq),
		"user-context": map[string]any{"pad": strings.Repeat("x", 1500)},
	}
}

// send runs one command; on success the model follows, on failure it must
// be result 1 with a text.
func (f *fsTest) send(name string, args map[string]any) bool {
	f.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	a, err := lessorproc.Do(ctx, f.sock, lessorproc.Command(name, args))
	if err != nil {
		f.t.Fatalf("%s: no answer: %v", name, err)
	}
	ip := args["ip-address"].(string)
	if a.Result == 0 {
		if name == "lease4-del" {
			delete(f.acked, ip)
		} else {
			f.acked[ip] = args["hostname"].(string)
		}
		return true
	}
	if a.Result != 1 || a.Text == "" {
		f.t.Errorf("%s %s: result %d %q, want 1 with a text", name, ip, a.Result, a.Text)
	}
	f.texts[name+": "+a.Text]++
	return false
}

// check compares lease4-get-all with the acknowledged state.
func (f *fsTest) check(when string) {
	f.t.Helper()
	got, err := getAll(context.Background(), f.sock, "lease4-get-all")
	if err != nil {
		f.t.Fatalf("%s: %v", when, err)
	}
	want := map[string]string{}
	for ip, h := range f.acked {
		want[ip] = h
	}
	have := map[string]string{}
	for a, h := range got {
		have[a.String()] = h
	}
	if !maps.Equal(have, want) {
		f.t.Errorf("%s: server holds %d leases, %d acknowledged; they differ", when, len(have), len(want))
		for ip, h := range want {
			if have[ip] != h {
				f.t.Errorf("  %s: have %q, acknowledged %q", ip, have[ip], h)
			}
		}
		for ip := range have {
			if _, ok := want[ip]; !ok {
				f.t.Errorf("  %s: present, never acknowledged", ip)
			}
		}
	}
}

// fill adds, updates and deletes leases until writes fail; it returns how
// many commands failed.
func (f *fsTest) fill(from int) (next, failed int) {
	i := from
	for ; failed < 20 && i < from+2000; i++ {
		ip := fmt.Sprintf("10.4.%d.%d", i/250, i%250+1)
		if !f.send("lease4-add", f.lease(ip)) {
			failed++
		}
		// Updates and deletes of existing leases need room too.
		for old := range f.acked {
			if i%3 == 0 && !f.send("lease4-update", f.lease(old)) {
				failed++
			}
			if i%7 == 0 && !f.send("lease4-del", map[string]any{"ip-address": old}) {
				failed++
			}
			break
		}
	}
	return i, failed
}

func TestDiskFullAndReadOnly(t *testing.T) {
	small := smallFS(t)
	bin := lessorproc.Binary(t)
	p, err := lessorproc.WriteConfig(lessorproc.Options{Dir: t.TempDir(), V4: true, LeaseDir: small, LFCInterval: 1})
	if err != nil {
		t.Fatal(err)
	}
	// Room that can be given back later.
	filler := filepath.Join(small, "filler")
	if err := os.WriteFile(filler, make([]byte, 96<<10), 0o644); err != nil {
		t.Fatal(err)
	}
	proc, err := lessorproc.Start(context.Background(), bin, p)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { proc.Stop() }()
	f := &fsTest{t: t, sock: p.Sock4, acked: map[string]string{}, texts: map[string]int{}}

	// 1. Disk full: commands fail with a text, memory stays what the
	// file holds.
	next, failed := f.fill(0)
	if failed == 0 {
		t.Fatalf("the lease file never filled the file system (%d leases)", len(f.acked))
	}
	full := len(f.acked)
	f.check("disk full")
	time.Sleep(1500 * time.Millisecond) // lease file cleanup runs (and fails) on a full disk
	f.check("disk full, after a cleanup attempt")
	if !proc.Alive() {
		t.Fatalf("lessor died on a full disk:\n%s", tail(p.ServerLogFile))
	}

	// 2. Room returns: writes succeed again without a restart.
	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	if !f.send("lease4-add", f.lease("10.5.0.1")) {
		t.Errorf("writes still fail after space was freed: %v", f.texts)
	}
	f.check("space freed")

	// 3. Restart: the file holds exactly what was acknowledged.
	proc.Kill()
	if proc, err = lessorproc.Start(context.Background(), bin, p); err != nil {
		t.Fatalf("restart after a full disk refused: %v\n%s", err, tail(p.ServerLogFile))
	}
	f.check("restart after disk full")

	// 4. Read-only file system. The kernel refuses to remount read-only
	// while lessor holds the lease file open for writing (EBUSY); if it
	// does remount, writes must fail cleanly.
	roFailed := 0
	if out, err := exec.Command("mount", "-o", "remount,ro", small).CombinedOutput(); err != nil {
		t.Logf("remount read-only under a running lessor refused: %s", strings.TrimSpace(string(out)))
	} else {
		_, roFailed = f.fill(next)
		if roFailed == 0 {
			t.Errorf("writes succeeded on a read-only file system")
		}
		f.check("read-only")
		if out, err := exec.Command("mount", "-o", "remount,rw", small).CombinedOutput(); err != nil {
			t.Fatalf("remount rw: %v %s", err, out)
		}
	}
	// Read-only at start: lessor refuses to start, with a clear message,
	// and starts with every lease once the file system is writable.
	proc.Stop()
	if out, err := exec.Command("mount", "-o", "remount,ro", small).CombinedOutput(); err != nil {
		t.Fatalf("remount ro with lessor stopped: %v %s", err, out)
	}
	if p2, err := lessorproc.Start(context.Background(), bin, p); err == nil {
		p2.Stop()
		t.Errorf("lessor started with its lease file on a read-only file system")
	} else {
		t.Logf("start on a read-only file system: %s", lastLogLine(p.ServerLogFile))
	}
	if out, err := exec.Command("mount", "-o", "remount,rw", small).CombinedOutput(); err != nil {
		t.Fatalf("remount rw: %v %s", err, out)
	}
	if proc, err = lessorproc.Start(context.Background(), bin, p); err != nil {
		t.Fatalf("restart after read-only refused: %v\n%s", err, tail(p.ServerLogFile))
	}
	f.check("restart after read-only")
	if !f.send("lease4-add", f.lease("10.5.0.2")) {
		t.Errorf("writes fail after the file system became writable again")
	}
	for text, n := range f.texts {
		t.Logf("%4d x %s", n, text)
	}
	t.Logf("%d leases filled 256 KiB; %d failed commands when full, %d when read-only", full, failed, roFailed)
	if b, err := os.ReadFile(p.ServerLogFile); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if strings.Contains(line, "level=ERROR") && strings.Contains(line, "leanup") {
				t.Logf("lease file cleanup on a full disk: %s", line)
				break
			}
		}
	}
}

func lastLogLine(path string) string {
	b, _ := os.ReadFile(path)
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	return lines[len(lines)-1]
}
