package abuse

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/lessor-dhcp/lessor/test/crash/lessorproc"
)

// TestSocketAccess checks the socket's permissions: the socket and its lock
// file are mode 0600, so only the owner (root) may send commands.
func TestSocketAccess(t *testing.T) {
	s := startServer(t)
	for _, f := range []struct {
		path   string
		socket bool
	}{{s.sock, true}, {s.sock + ".lock", false}} {
		fi, err := os.Stat(f.path)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != 0o600 || (fi.Mode()&os.ModeSocket != 0) != f.socket {
			t.Errorf("%s: mode %v, want 0600 (socket %v)", f.path, fi.Mode(), f.socket)
		}
	}
	// Another user cannot connect even where the folder is open to all.
	socat, err := exec.LookPath("socat")
	if err != nil || os.Geteuid() != 0 {
		t.Logf("skipping the other-user check: needs root and socat")
		return
	}
	dir := s.proc.Paths.Config[:strings.LastIndex(s.proc.Paths.Config, "/")]
	for d := dir; d != "/" && d != "/tmp"; d = d[:strings.LastIndex(d, "/")] {
		if err := os.Chmod(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	cmd := exec.Command(socat, "-", "UNIX-CONNECT:"+s.sock)
	cmd.Stdin = strings.NewReader(`{"command":"list-commands"}`)
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
	out, err := cmd.CombinedOutput()
	if err == nil || !bytes.Contains(out, []byte("Permission denied")) {
		t.Errorf("user nobody: err %v, output %s", err, out)
	}
	s.alive(t)
}

// TestSocketModeOption checks lessor's socket-mode option.
func TestSocketModeOption(t *testing.T) {
	p, err := lessorproc.WriteConfig(lessorproc.Options{Dir: t.TempDir(), V4: true, SocketMode: "0660"})
	if err != nil {
		t.Fatal(err)
	}
	proc, err := lessorproc.Start(context.Background(), lessorproc.Binary(t), p)
	if err != nil {
		t.Fatal(err)
	}
	defer proc.Stop()
	fi, err := os.Stat(p.Sock4)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o660 {
		t.Errorf("socket-mode 0660: socket mode %v", fi.Mode())
	}
}

// staleSocket leaves a socket file nobody listens on, as a killed process
// does.
func staleSocket(t *testing.T, path string) {
	t.Helper()
	ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: path, Net: "unix"})
	if err != nil {
		t.Fatal(err)
	}
	ln.SetUnlinkOnClose(false)
	ln.Close()
	if err := os.WriteFile(path+".lock", nil, 0o600); err != nil {
		t.Fatal(err)
	}
}

func TestStaleSocketReplaced(t *testing.T) {
	bin := lessorproc.Binary(t)
	p, err := lessorproc.WriteConfig(lessorproc.Options{Dir: t.TempDir(), V4: true, V6: true})
	if err != nil {
		t.Fatal(err)
	}
	staleSocket(t, p.Sock4)
	staleSocket(t, p.Sock6)
	proc, err := lessorproc.Start(context.Background(), bin, p)
	if err != nil {
		t.Fatalf("start over stale sockets: %v", err)
	}
	proc.Kill() // leaves sockets and locks behind again
	proc, err = lessorproc.Start(context.Background(), bin, p)
	if err != nil {
		t.Fatalf("start after kill -9: %v", err)
	}
	proc.Stop()
	for _, f := range []string{p.Sock4, p.Sock6, p.Sock4 + ".lock"} {
		if _, err := os.Stat(f); !os.IsNotExist(err) {
			t.Errorf("%s left after a clean stop: %v", f, err)
		}
	}
}

func inode(t *testing.T, path string) uint64 {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Sys().(*syscall.Stat_t).Ino
}

// runSecond starts a second lessor and expects it to exit with an error.
func runSecond(t *testing.T, bin, config string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, bin, "-c", config).CombinedOutput()
	if err == nil || ctx.Err() != nil {
		t.Fatalf("second instance was not refused (err %v):\n%s", err, out)
	}
	return string(out)
}

// TestSecondInstanceRefused starts a second lessor on the socket path of a
// running one: it must exit and leave the first one's socket alone.
func TestSecondInstanceRefused(t *testing.T) {
	s := startServer(t)
	before := inode(t, s.sock)
	other, err := lessorproc.WriteConfig(lessorproc.Options{Dir: t.TempDir(), V4: true})
	if err != nil {
		t.Fatal(err)
	}
	other.Sock4 = s.sock
	if err := other.Rewrite(0); err != nil {
		t.Fatal(err)
	}
	out := runSecond(t, lessorproc.Binary(t), other.Config)
	if !strings.Contains(out, "another instance") {
		t.Errorf("second instance's message does not say why: %s", out)
	}
	if inode(t, s.sock) != before {
		t.Errorf("the second instance replaced the first one's socket")
	}
	s.alive(t)
	t.Logf("second instance: %s", strings.TrimSpace(lastLine(out)))
}

// TestSecondInstanceSameConfig starts the same configuration again, many
// times, while the first instance writes leases: every start must be
// refused and the first instance's lease file must stay intact.
func TestSecondInstanceSameConfig(t *testing.T) {
	s := startServer(t)
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	var mu sync.Mutex
	acked := map[string]bool{}
	for w := range 2 {
		wg.Go(func() {
			for i := 0; ctx.Err() == nil; i++ {
				ip := fmt.Sprintf("10.3.%d.%d", w, i%250+1)
				var cmd []byte
				if i/250%2 == 0 {
					cmd = lessorproc.Command("lease4-add", map[string]any{"ip-address": ip, "hw-address": fmt.Sprintf("02:00:00:03:%02x:%02x", w, i%250+1)})
				} else {
					cmd = lessorproc.Command("lease4-del", map[string]any{"ip-address": ip})
				}
				rctx, c := context.WithTimeout(context.Background(), 30*time.Second)
				a, err := lessorproc.Do(rctx, s.sock, cmd)
				c()
				if err != nil || a.Result != 0 {
					t.Errorf("%s: %v %v", cmd, err, a)
					return
				}
				mu.Lock()
				acked[ip] = i/250%2 == 0
				mu.Unlock()
			}
		})
	}
	n := 10
	if long() {
		n = 100
	}
	var out string
	for range n {
		out = runSecond(t, lessorproc.Binary(t), s.proc.Paths.Config)
	}
	cancel()
	wg.Wait()
	t.Logf("second instance with the same configuration: %s", strings.TrimSpace(lastLine(out)))
	s.alive(t)
	s.proc.Kill()
	p2, err := lessorproc.Start(context.Background(), lessorproc.Binary(t), s.proc.Paths)
	if err != nil {
		t.Fatalf("restart: %v", err)
	}
	t.Cleanup(p2.Stop)
	s.proc = p2
	for ip, present := range acked {
		a := s.do(t, lessorproc.Command("lease4-get", map[string]any{"ip-address": ip}))
		if (a.Result == 0) != present {
			t.Errorf("%s: acknowledged present=%v, after restart %s", ip, present, a.Raw)
		}
	}
	if b, err := os.ReadFile(s.proc.Paths.ServerLogFile); err == nil && bytes.Contains(b, []byte("incomplete last row")) {
		t.Errorf("a second instance cut the running one's lease file:\n%s", tailFile(s.proc.Paths.ServerLogFile))
	}
}

func lastLine(s string) string {
	s = strings.TrimRight(s, "\n")
	return s[strings.LastIndex(s, "\n")+1:]
}
