// Package crash kills a running lessor with SIGKILL at random moments —
// under concurrent lease changes, during lease file cleanup (LFC) and
// during configuration reloads — restarts it and checks that no
// acknowledged change was lost and that nothing unacknowledged is half
// present.
//
//	go test ./test/crash/                                  short run (CI)
//	LESSOR_CRASH_ITERATIONS=5000 go test -timeout 0 ./test/crash/
package crash

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/lessor-dhcp/lessor/test/crash/lessorproc"
)

// envInt reads a positive integer from the environment.
func envInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return def
}

// state is what one address holds: present or not, and which version of
// the lease (the hostname carries a unique version tag).
type state struct {
	present bool
	host    string
}

func (s state) String() string {
	if !s.present {
		return "absent"
	}
	return s.host
}

// slot is the model of one address: the acknowledged state and the
// outcomes of changes sent but not answered (each may or may not have
// been applied).
type slot struct {
	acked state
	doubt []state
}

func (s *slot) allowed(got state) bool {
	if got == s.acked {
		return true
	}
	for _, d := range s.doubt {
		if got == d {
			return true
		}
	}
	return false
}

// model is the expected content of both lease stores.
type model struct {
	mu     sync.Mutex
	v4, v6 map[netip.Addr]*slot
	static map[netip.Addr]string // preloaded leases, never changed
}

// counters summarize a run.
type counters struct {
	acked, doubtful, refused, errAnswers, reloads, sighups atomic.Int64
	killsInLFC, tornRows, reopens                          atomic.Int64
	// tolerate error answers (counted, and the change taken as not
	// applied) instead of failing at once.
	tolerate bool
}

const (
	staticHW   = "02:ff"
	staticDUID = "00:03:00:01:02:ff"
)

// writeStatic writes lease files holding n4/n6 leases that the workers
// never touch; every restart must find all of them.
func writeStatic(p lessorproc.Paths, m *model, n4, n6 int) error {
	exp := time.Now().Add(48 * time.Hour).Unix()
	var b strings.Builder
	b.WriteString("address,hwaddr,client_id,valid_lifetime,expire,subnet_id,fqdn_fwd,fqdn_rev,hostname,state,user_context\n")
	a := netip.MustParseAddr("10.200.0.0")
	for i := range n4 {
		a = a.Next()
		h := fmt.Sprintf("static4-%d.example.org", i)
		fmt.Fprintf(&b, "%s,%s:%02x:%02x:%02x:%02x,,86400,%d,1,0,0,%s,0,\n", a, staticHW, byte(i>>24), byte(i>>16), byte(i>>8), byte(i), exp, h)
		m.static[a] = h
	}
	if err := os.WriteFile(p.Leases4, []byte(b.String()), 0o644); err != nil {
		return err
	}
	b.Reset()
	b.WriteString("address,duid,valid_lifetime,expire,subnet_id,pref_lifetime,lease_type,iaid,prefix_len,fqdn_fwd,fqdn_rev,hostname,hwaddr,state,user_context,hwtype,hwaddr_source\n")
	a = netip.MustParseAddr("2001:db8:ff::")
	for i := range n6 {
		a = a.Next()
		h := fmt.Sprintf("static6-%d.example.org", i)
		fmt.Fprintf(&b, "%s,%s:%02x:%02x:%02x:%02x,86400,%d,1,43200,0,%d,128,0,0,%s,,0,,,\n", a, staticDUID, byte(i>>24), byte(i>>16), byte(i>>8), byte(i), exp, i+1, h)
		m.static[a] = h
	}
	return os.WriteFile(p.Leases6, []byte(b.String()), 0o644)
}

type leaseJSON struct {
	IP       string `json:"ip-address"`
	Hostname string `json:"hostname"`
}

func getAll(ctx context.Context, sock, cmd string) (map[netip.Addr]string, error) {
	ctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	a, err := lessorproc.Do(ctx, sock, lessorproc.Command(cmd, nil))
	if err != nil {
		return nil, err
	}
	if a.Result != 0 && a.Result != 3 {
		return nil, fmt.Errorf("%s: result %d %q", cmd, a.Result, a.Text)
	}
	var args struct{ Leases []leaseJSON }
	if len(a.Arguments) > 0 {
		if err := json.Unmarshal(a.Arguments, &args); err != nil {
			return nil, err
		}
	}
	out := make(map[netip.Addr]string, len(args.Leases))
	for _, l := range args.Leases {
		ad, err := netip.ParseAddr(l.IP)
		if err != nil {
			return nil, err
		}
		out[ad] = l.Hostname
	}
	return out, nil
}

// verify compares what the server holds with the model and resolves the
// doubtful changes to what was found.
func (m *model) verify(ctx context.Context, p lessorproc.Paths) []string {
	var bad []string
	for _, fam := range []struct {
		sock, cmd string
		slots     map[netip.Addr]*slot
	}{{p.Sock4, "lease4-get-all", m.v4}, {p.Sock6, "lease6-get-all", m.v6}} {
		got, err := getAll(ctx, fam.sock, fam.cmd)
		if err != nil {
			return append(bad, fmt.Sprintf("%s: %v", fam.cmd, err))
		}
		for a, h := range got {
			if _, ok := fam.slots[a]; ok {
				continue
			}
			if want, ok := m.static[a]; ok {
				if h != want {
					bad = append(bad, fmt.Sprintf("static lease %s: hostname %q, want %q", a, h, want))
				}
				continue
			}
			bad = append(bad, fmt.Sprintf("%s: lease %s (%q) was never sent", fam.cmd, a, h))
		}
		for a, want := range m.static {
			if a.Is4() == (fam.cmd == "lease4-get-all") {
				if _, ok := got[a]; !ok {
					bad = append(bad, fmt.Sprintf("static lease %s (%s) is gone", a, want))
				}
			}
		}
		for a, s := range fam.slots {
			h, ok := got[a]
			st := state{present: ok, host: h}
			if !s.allowed(st) {
				bad = append(bad, fmt.Sprintf("%s: found %v, acknowledged %v, in doubt %v", a, st, s.acked, s.doubt))
			}
			s.acked, s.doubt = st, nil
		}
	}
	return bad
}

// worker4 changes the leases of its own addresses with lease4-add,
// lease4-update and lease4-del until a command gets no answer.
func worker4(ctx context.Context, sock string, id int, addrs []netip.Addr, m *model, c *counters, rng *rand.Rand, seq *atomic.Int64) error {
	for ctx.Err() == nil {
		a := addrs[rng.IntN(len(addrs))]
		m.mu.Lock()
		s := m.v4[a]
		cur := s.acked
		m.mu.Unlock()
		next := state{present: true, host: fmt.Sprintf("w%d-%d.example.org", id, seq.Add(1))}
		var cmd []byte
		b := a.As4()
		lease := map[string]any{
			"ip-address": a.String(), "subnet-id": 1, "hostname": next.host,
			"hw-address": fmt.Sprintf("02:00:%02x:%02x:%02x:%02x", b[0], b[1], b[2], b[3]),
		}
		switch {
		case !cur.present:
			cmd = lessorproc.Command("lease4-add", lease)
		case rng.IntN(10) < 7:
			cmd = lessorproc.Command("lease4-update", lease)
		default:
			next = state{}
			cmd = lessorproc.Command("lease4-del", map[string]any{"ip-address": a.String()})
		}
		rctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		ans, err := lessorproc.Do(rctx, sock, cmd)
		cancel()
		m.mu.Lock()
		switch {
		case err != nil:
			s.doubt = append(s.doubt, next)
			c.doubtful.Add(1)
		case ans.Result == 0:
			s.acked = next
			c.acked.Add(1)
		default:
			// An error answer: the change must not have been applied.
			c.errAnswers.Add(1)
		}
		m.mu.Unlock()
		if err != nil {
			return err
		}
		if ans.Result != 0 && ctx.Err() == nil && !c.tolerate {
			return fmt.Errorf("%s: result %d %q", cmd, ans.Result, ans.Text)
		}
	}
	return nil
}

// worker6 sends lease6-bulk-apply commands of one to four changes on its
// own addresses until a command gets no answer.
func worker6(ctx context.Context, sock string, id int, addrs []netip.Addr, m *model, c *counters, rng *rand.Rand, seq *atomic.Int64) error {
	for ctx.Err() == nil {
		k := 1 + rng.IntN(4)
		picked := map[netip.Addr]state{}
		var leases, dels []any
		m.mu.Lock()
		for range k {
			a := addrs[rng.IntN(len(addrs))]
			if _, dup := picked[a]; dup {
				continue
			}
			cur := m.v6[a].acked
			if cur.present && rng.IntN(10) < 4 {
				picked[a] = state{}
				dels = append(dels, map[string]any{"ip-address": a.String(), "type": "IA_NA"})
				continue
			}
			next := state{present: true, host: fmt.Sprintf("w%d-%d.example.org", id, seq.Add(1))}
			picked[a] = next
			b := a.As16()
			leases = append(leases, map[string]any{
				"ip-address": a.String(), "subnet-id": 1, "type": "IA_NA", "hostname": next.host,
				"duid": fmt.Sprintf("00:03:00:01:02:00:%02x:%02x:%02x:%02x", b[12], b[13], b[14], b[15]),
				"iaid": int(b[15]) + 1,
			})
		}
		m.mu.Unlock()
		args := map[string]any{}
		if leases != nil {
			args["leases"] = leases
		}
		if dels != nil {
			args["deleted-leases"] = dels
		}
		cmd := lessorproc.Command("lease6-bulk-apply", args)
		rctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		ans, err := lessorproc.Do(rctx, sock, cmd)
		cancel()
		failed := map[netip.Addr]bool{}
		if err == nil && ans.Result == 0 && len(ans.Arguments) > 0 {
			var f struct {
				FailedLeases  []leaseJSON `json:"failed-leases"`
				FailedDeleted []leaseJSON `json:"failed-deleted-leases"`
			}
			if jerr := json.Unmarshal(ans.Arguments, &f); jerr == nil {
				for _, l := range append(f.FailedLeases, f.FailedDeleted...) {
					if ad, perr := netip.ParseAddr(l.IP); perr == nil {
						failed[ad] = true
					}
				}
			}
		}
		m.mu.Lock()
		for a, next := range picked {
			s := m.v6[a]
			switch {
			case err != nil:
				s.doubt = append(s.doubt, next)
				c.doubtful.Add(1)
			case ans.Result == 0 && !failed[a]:
				s.acked = next
				c.acked.Add(1)
			default:
				c.errAnswers.Add(1)
			}
		}
		m.mu.Unlock()
		if err != nil {
			return err
		}
		if (ans.Result != 0 || len(failed) > 0) && ctx.Err() == nil && !c.tolerate {
			return fmt.Errorf("lease6-bulk-apply: result %d %q %s", ans.Result, ans.Text, ans.Arguments)
		}
	}
	return nil
}

// inLFC reports whether files of an unfinished lease file cleanup are
// present.
func inLFC(p lessorproc.Paths) bool {
	for _, lf := range []string{p.Leases4, p.Leases6} {
		for _, suf := range []string{".1", ".output", ".completed"} {
			if _, err := os.Stat(lf + suf); err == nil {
				return true
			}
		}
	}
	return false
}

// tear appends an incomplete row to a lease file, as a power loss in the
// middle of a write leaves it.
func tear(path string, rng *rand.Rand) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		return err
	}
	defer f.Close()
	rows := []string{"10.7.7.7,02:00:0", "2001:db8:7::7,00:03:00:01", "10.7.7.8,02:00:00:00:00:01,,86400,17", "10."}
	_, err = f.WriteString(rows[rng.IntN(len(rows))])
	return err
}

func countInFile(path, s string) int {
	f, err := os.Open(path)
	if err != nil {
		return 0
	}
	defer f.Close()
	n := 0
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	for sc.Scan() {
		if strings.Contains(sc.Text(), s) {
			n++
		}
	}
	return n
}

func TestKillNineNoLoss(t *testing.T) { runKills(t, false) }

// TestKillNineReopenOnReload is TestKillNineNoLoss with reloads that change
// the lease-database (lfc-interval 1 <-> 2), so that the server reopens the
// lease store while commands are running.
func TestKillNineReopenOnReload(t *testing.T) { runKills(t, true) }

func runKills(t *testing.T, reopen bool) {
	iterations := envInt("LESSOR_CRASH_ITERATIONS", 20)
	n4, n6 := envInt("LESSOR_CRASH_STATIC4", 20000), envInt("LESSOR_CRASH_STATIC6", 5000)
	if testing.Short() {
		iterations = min(iterations, 8)
		n4, n6 = min(n4, 5000), min(n6, 2000)
	}
	seed := uint64(envInt("LESSOR_CRASH_SEED", int(time.Now().UnixNano()%1e9)))
	t.Logf("seed %d (LESSOR_CRASH_SEED), %d iterations, %d+%d preloaded leases, durable %v (LESSOR_CRASH_DURABLE)",
		seed, iterations, n4, n6, os.Getenv("LESSOR_CRASH_DURABLE") == "1")
	rng := rand.New(rand.NewPCG(seed, 1))

	bin := lessorproc.Binary(t)
	dir := t.TempDir()
	durable := os.Getenv("LESSOR_CRASH_DURABLE") == "1"
	p, err := lessorproc.WriteConfig(lessorproc.Options{Dir: dir, V4: true, V6: true, LFCInterval: 1, Durable: durable})
	if err != nil {
		t.Fatal(err)
	}
	m := &model{v4: map[netip.Addr]*slot{}, v6: map[netip.Addr]*slot{}, static: map[netip.Addr]string{}}
	if err := writeStatic(p, m, n4, n6); err != nil {
		t.Fatal(err)
	}
	const workers, perWorker = 3, 64
	own4 := make([][]netip.Addr, workers)
	own6 := make([][]netip.Addr, workers)
	for w := range workers {
		for i := range perWorker {
			a4 := netip.AddrFrom4([4]byte{10, 1, byte(w), byte(i + 1)})
			a6 := netip.AddrFrom16([16]byte{0x20, 0x01, 0x0d, 0xb8, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, byte(w), byte(i + 1)})
			own4[w], own6[w] = append(own4[w], a4), append(own6[w], a6)
			m.v4[a4], m.v6[a6] = &slot{}, &slot{}
		}
	}
	c := counters{tolerate: reopen}
	var seq atomic.Int64
	ctx := context.Background()
	lfc := 1
	start := time.Now()
	for it := range iterations {
		proc, err := lessorproc.Start(ctx, bin, p)
		if err != nil {
			t.Fatalf("iteration %d: restart refused: %v\n%s", it, err, tail(p.ServerLogFile))
		}
		if bad := m.verify(ctx, p); len(bad) > 0 {
			proc.Kill()
			t.Fatalf("iteration %d: %d differences after restart, first: %s", it, len(bad), strings.Join(bad[:min(len(bad), 10)], "\n"))
		}
		wctx, stopWorkers := context.WithCancel(ctx)
		var wg sync.WaitGroup
		errs := make(chan error, 2*workers+1)
		for w := range workers {
			r4 := rand.New(rand.NewPCG(rng.Uint64(), uint64(w)))
			r6 := rand.New(rand.NewPCG(rng.Uint64(), uint64(w+100)))
			wg.Add(2)
			go func() { defer wg.Done(); errs <- worker4(wctx, p.Sock4, w, own4[w], m, &c, r4, &seq) }()
			go func() { defer wg.Done(); errs <- worker6(wctx, p.Sock6, w, own6[w], m, &c, r6, &seq) }()
		}
		// Reloads: SIGHUP or config-reload, sometimes with a changed
		// lease-database (lfc-interval 1 <-> 2) so that the store is
		// reopened under load.
		mode := rng.IntN(3)
		if mode > 0 {
			delay := time.Duration(rng.IntN(800)) * time.Millisecond
			change := reopen && rng.IntN(2) == 0
			viaSignal := mode == 1
			wg.Add(1)
			go func() {
				defer wg.Done()
				select {
				case <-time.After(delay):
				case <-wctx.Done():
					return
				}
				if change {
					lfc = 3 - lfc
					if err := p.Rewrite(lfc); err != nil {
						errs <- err
						return
					}
					c.reopens.Add(1)
				}
				if viaSignal {
					c.sighups.Add(1)
					_ = proc.Signal(syscall.SIGHUP)
					return
				}
				c.reloads.Add(1)
				rctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
				defer cancel()
				a, err := lessorproc.Do(rctx, p.Sock4, lessorproc.Command("config-reload", nil))
				if err == nil && a.Result != 0 {
					errs <- fmt.Errorf("config-reload: %d %q", a.Result, a.Text)
				}
			}()
		}
		time.Sleep(time.Duration(100+rng.IntN(1400)) * time.Millisecond)
		proc.Kill()
		lfcNow := inLFC(p)
		stopWorkers()
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil && !isTransport(err) {
				t.Errorf("iteration %d: %v", it, err)
			}
		}
		if t.Failed() {
			t.Fatalf("server log:\n%s", tail(p.ServerLogFile))
		}
		if lfcNow {
			c.killsInLFC.Add(1)
		}
		if rng.IntN(4) == 0 {
			target := p.Leases4
			if rng.IntN(2) == 0 {
				target = p.Leases6
			}
			if err := tear(target, rng); err != nil {
				t.Fatal(err)
			}
			c.tornRows.Add(1)
		}
	}
	// A last clean start: everything acknowledged is there.
	proc, err := lessorproc.Start(ctx, bin, p)
	if err != nil {
		t.Fatalf("final restart refused: %v\n%s", err, tail(p.ServerLogFile))
	}
	defer proc.Stop()
	if bad := m.verify(ctx, p); len(bad) > 0 {
		t.Fatalf("%d differences after the final restart, first: %s", len(bad), strings.Join(bad[:min(len(bad), 10)], "\n"))
	}
	warned := countInFile(p.ServerLogFile, "dropping the incomplete last row")
	if warned < int(c.tornRows.Load()) {
		t.Errorf("%d torn rows appended, %d warnings about an incomplete last row", c.tornRows.Load(), warned)
	}
	t.Logf("%d kill -9 iterations in %v: %d changes acknowledged (all found after restart), %d in doubt when killed, %d error answers; "+
		"%d kills during lease file cleanup, %d SIGHUP and %d config-reload (%d with a changed lease-database), %d torn rows dropped",
		iterations, time.Since(start).Round(time.Millisecond), c.acked.Load(), c.doubtful.Load(), c.errAnswers.Load(),
		c.killsInLFC.Load(), c.sighups.Load(), c.reloads.Load(), c.reopens.Load(), c.tornRows.Load())
}

// isTransport tells errors of a killed server (no answer) from wrong answers.
func isTransport(err error) bool {
	s := err.Error()
	for _, w := range []string{"connection refused", "connection reset", "broken pipe", "no such file", "closed without an answer", "EOF", "i/o timeout"} {
		if strings.Contains(s, w) {
			return true
		}
	}
	return false
}

func tail(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return err.Error()
	}
	if len(b) > 4000 {
		b = b[len(b)-4000:]
	}
	return filepath.Base(path) + ":\n" + string(b)
}
