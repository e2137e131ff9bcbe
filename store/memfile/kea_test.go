package memfile

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/lessor-dhcp/lessor/internal/kjson"
	"github.com/lessor-dhcp/lessor/lease"
	"github.com/lessor-dhcp/lessor/store"
)

const (
	keaDhcp4    = "/usr/sbin/kea-dhcp4"
	keaDhcp6    = "/usr/sbin/kea-dhcp6"
	keaLeaseCmd = "/usr/lib/x86_64-linux-gnu/kea/hooks/libdhcp_lease_cmds.so"
)

// kea is a running Kea server with the lease_cmds hook, used to check that
// lessor and Kea read each other's lease files.
type kea struct {
	cmd  *exec.Cmd
	sock string
}

func startKea(t *testing.T, family int, leaseFile string) *kea {
	return startKeaLFC(t, family, leaseFile, 0)
}

// startKeaLFC starts Kea with a lease file cleanup interval (seconds).
func startKeaLFC(t *testing.T, family int, leaseFile string, lfcInterval int) *kea {
	t.Helper()
	bin := keaDhcp4
	if family == 6 {
		bin = keaDhcp6
	}
	for _, p := range []string{bin, keaLeaseCmd} {
		if _, err := os.Stat(p); err != nil {
			t.Skipf("Kea 2.2 is not installed (%s missing); skipping the Kea interoperability test", p)
		}
	}
	dir := t.TempDir()
	sock := filepath.Join(dir, "kea.sock")
	var conf string
	if family == 4 {
		conf = fmt.Sprintf(`{"Dhcp4": {"interfaces-config": {"interfaces": []},
 "control-socket": {"socket-type": "unix", "socket-name": %q},
 "lease-database": {"type": "memfile", "name": %q, "lfc-interval": %d},
 "hooks-libraries": [{"library": %q}],
 "subnet4": [{"id": 1, "subnet": "192.0.2.0/24"}, {"id": 2, "subnet": "198.51.100.0/24"}]}}`,
			sock, leaseFile, lfcInterval, keaLeaseCmd)
	} else {
		conf = fmt.Sprintf(`{"Dhcp6": {"interfaces-config": {"interfaces": []},
 "server-id": {"type": "EN", "enterprise-id": 2495, "identifier": "0123456789", "persist": false},
 "control-socket": {"socket-type": "unix", "socket-name": %q},
 "lease-database": {"type": "memfile", "name": %q, "lfc-interval": %d},
 "hooks-libraries": [{"library": %q}],
 "subnet6": [{"id": 1, "subnet": "2001:db8:1::/64", "pd-pools": [{"prefix": "3000::", "prefix-len": 32, "delegated-len": 56}]},
             {"id": 2, "subnet": "2001:db8:2::/64"}]}}`,
			sock, leaseFile, lfcInterval, keaLeaseCmd)
	}
	cfgPath := filepath.Join(dir, "kea.json")
	if err := os.WriteFile(cfgPath, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "-c", cfgPath)
	cmd.Env = append(os.Environ(), "KEA_PIDFILE_DIR="+dir, "KEA_LOCKFILE_DIR="+dir, "KEA_LOGGER_DESTINATION=stdout")
	logf, err := os.Create(filepath.Join(dir, "kea.log"))
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	k := &kea{cmd: cmd, sock: sock}
	t.Cleanup(k.stop)
	for i := 0; ; i++ {
		if c, err := net.Dial("unix", sock); err == nil {
			c.Close()
			break
		}
		if i == 100 {
			log, _ := os.ReadFile(logf.Name())
			t.Fatalf("Kea did not open its control socket:\n%s", log)
		}
		time.Sleep(50 * time.Millisecond)
	}
	return k
}

func (k *kea) stop() {
	if k.cmd.Process != nil && k.cmd.ProcessState == nil {
		k.cmd.Process.Signal(os.Interrupt)
		done := make(chan struct{})
		go func() { k.cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			k.cmd.Process.Kill()
			<-done
		}
	}
}

// do sends a command and returns the answer; it fails the test unless the
// result is one of ok.
func (k *kea) do(t *testing.T, command string, ok ...int64) *kjson.Element {
	t.Helper()
	c, err := net.Dial("unix", k.sock)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Write([]byte(command)); err != nil {
		t.Fatal(err)
	}
	var buf []byte
	tmp := make([]byte, 65536)
	for {
		n, err := c.Read(tmp)
		buf = append(buf, tmp[:n]...)
		if err != nil {
			break
		}
		if e, perr := kjson.ParseString(buf); perr == nil {
			if len(ok) == 0 {
				ok = []int64{0}
			}
			r := e.Get("result")
			for _, v := range ok {
				if r != nil && r.I == v {
					return e
				}
			}
			t.Fatalf("%s: %s", command, e.Str())
		}
	}
	t.Fatalf("%s: incomplete answer %q", command, buf)
	return nil
}

// keaLeases returns Kea's leases (lease4-get-all / lease6-get-all) as text.
func (k *kea) leases(t *testing.T, family int) []string {
	t.Helper()
	ans := k.do(t, fmt.Sprintf(`{"command": "lease%d-get-all"}`, family), 0, 3)
	var out []string
	if args := ans.Get("arguments"); args != nil {
		for _, l := range args.Get("leases").L {
			out = append(out, l.Str())
		}
	}
	return out
}

// elements returns the store's leases in Kea's JSON form, address order.
func elements(t *testing.T, s *Store) []string {
	t.Helper()
	var out []string
	ctx := context.Background()
	if s.family == 4 {
		ls, err := s.GetLeases4Page(ctx, netip.IPv4Unspecified(), 1<<30)
		if err != nil {
			t.Fatal(err)
		}
		for _, l := range ls {
			out = append(out, l.ToElement().Str())
		}
		return out
	}
	ls, err := s.GetLeases6Page(ctx, netip.IPv6Unspecified(), 1<<30)
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range ls {
		out = append(out, l.ToElement().Str())
	}
	return out
}

// TestKeaWritesLessorReads has Kea 2.2 write a lease file through its
// lease commands, then opens it with lessor and compares every lease with
// what Kea holds.
func TestKeaWritesLessorReads(t *testing.T) {
	for _, c := range []struct {
		family   int
		count    int
		commands []string
	}{
		{4, 7, []string{
			`{"command":"lease4-add","arguments":{"ip-address":"192.0.2.10","hw-address":"1a:1b:1c:1d:1e:1f","client-id":"01:02:03:04","hostname":"a,b&c.example.org","user-context":{"note":"x, y & z","list":[1,2.5,"a,b"],"m":{"k":true}}}}`,
			`{"command":"lease4-add","arguments":{"ip-address":"192.0.2.11","hw-address":"1a:1b:1c:1d:1e:20","state":1}}`,
			`{"command":"lease4-add","arguments":{"ip-address":"192.0.2.12","hw-address":"","state":1}}`,
			`{"command":"lease4-add","arguments":{"ip-address":"192.0.2.13","hw-address":"00:00:00:00:00:13","valid-lft":0}}`,
			`{"command":"lease4-add","arguments":{"ip-address":"192.0.2.14","hw-address":"00:00:00:00:00:14","fqdn-fwd":true,"fqdn-rev":true,"hostname":"h14"}}`,
			`{"command":"lease4-add","arguments":{"ip-address":"198.51.100.5","hw-address":"00:00:00:00:00:05","client-id":"ff:00","valid-lft":4294967295,"expire":6000000000}}`,
			`{"command":"lease4-add","arguments":{"ip-address":"192.0.2.15","hw-address":"00:00:00:00:00:15","state":2}}`,
			`{"command":"lease4-add","arguments":{"ip-address":"192.0.2.16","hw-address":"00:00:00:00:00:16"}}`,
			`{"command":"lease4-del","arguments":{"ip-address":"192.0.2.16"}}`,
			`{"command":"lease4-update","arguments":{"ip-address":"192.0.2.14","hw-address":"00:00:00:00:00:99","hostname":"renamed,x","subnet-id":1}}`,
		}},
		{6, 6, []string{
			`{"command":"lease6-add","arguments":{"ip-address":"2001:db8:1::10","duid":"01:02:03:04:05:06","iaid":1,"hostname":"a,b&c.example.org","user-context":{"note":"x, y","n":[1,{"a":"b,c"}]},"hw-address":"0a:0b:0c:0d:0e:0f"}}`,
			`{"command":"lease6-add","arguments":{"ip-address":"2001:db8:1::11","duid":"01:02:03:04:05:07","iaid":2,"state":1}}`,
			`{"command":"lease6-add","arguments":{"ip-address":"3000:0:0:100::","type":"IA_PD","prefix-len":56,"duid":"01:02:03:04:05:08","iaid":3,"preferred-lft":100,"valid-lft":200,"subnet-id":1}}`,
			`{"command":"lease6-add","arguments":{"ip-address":"2001:db8:1::12","duid":"01:02:03:04:05:09","iaid":4,"valid-lft":0}}`,
			`{"command":"lease6-add","arguments":{"ip-address":"2001:db8:2::13","duid":"01:02:03:04:05:0a","iaid":5,"subnet-id":2,"valid-lft":4294967295,"preferred-lft":4294967295}}`,
			`{"command":"lease6-add","arguments":{"ip-address":"2001:db8:1::14","duid":"01:02:03:04:05:0b","iaid":6,"state":2,"fqdn-fwd":true,"hostname":"h"}}`,
			`{"command":"lease6-add","arguments":{"ip-address":"2001:db8:1::15","duid":"01:02:03:04:05:0c","iaid":7}}`,
			`{"command":"lease6-del","arguments":{"ip-address":"2001:db8:1::15"}}`,
			`{"command":"lease6-update","arguments":{"ip-address":"2001:db8:1::10","duid":"01:02:03:04:05:06","iaid":9,"hostname":"renamed,y","subnet-id":1}}`,
		}},
	} {
		t.Run(fmt.Sprintf("v%d", c.family), func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "kea-leases.csv")
			k := startKea(t, c.family, path)
			for _, cmd := range c.commands {
				k.do(t, cmd)
			}
			want := k.leases(t, c.family)
			if len(want) != c.count {
				t.Fatalf("Kea holds %d leases, want %d", len(want), c.count)
			}
			k.stop()
			s := openTest(t, store.Config{Family: c.family, Name: path})
			defer s.Close()
			sameLines(t, "lessor's view of Kea's file", elements(t, s), want)
		})
	}
}

// TestLessorWritesKeaReads writes a lease file with lessor, starts Kea on
// it and compares Kea's leases with lessor's.
func TestLessorWritesKeaReads(t *testing.T) {
	ctx := context.Background()
	for _, family := range []int{4, 6} {
		t.Run(fmt.Sprintf("v%d", family), func(t *testing.T) {
			if _, err := os.Stat(keaDhcp4); err != nil {
				t.Skipf("Kea 2.2 is not installed (%s missing); skipping the Kea interoperability test", keaDhcp4)
			}
			path := filepath.Join(t.TempDir(), "kea-leases.csv")
			s := openTest(t, store.Config{Family: family, Name: path})
			uc := kjson.MustParse(`{ "a": "b, c & d", "l": [ 1, 2, { "x": null } ] }`)
			now := time.Now().Unix()
			if family == 4 {
				ls := []*lease.Lease4{
					{Addr: netip.MustParseAddr("192.0.2.1"), HWAddr: []byte{1, 2, 3, 4, 5, 6}, ClientID: []byte{1, 2, 3}, ValidLft: 3600, CLTT: now, SubnetID: 1, Hostname: "x,y&z", UserContext: uc},
					{Addr: netip.MustParseAddr("192.0.2.2"), HWAddr: []byte{1, 2, 3, 4, 5, 7}, ValidLft: lease.InfiniteLifetime, CLTT: now, SubnetID: 1, FqdnFwd: true},
					{Addr: netip.MustParseAddr("192.0.2.3"), ValidLft: 3600, CLTT: now, SubnetID: 1, State: lease.StateDeclined},
					{Addr: netip.MustParseAddr("192.0.2.4"), ClientID: []byte{9, 9}, ValidLft: 3600, CLTT: now, SubnetID: 2, State: lease.StateExpiredReclaimed},
					{Addr: netip.MustParseAddr("192.0.2.5"), HWAddr: []byte{5}, ValidLft: 60, CLTT: now, SubnetID: 1},
				}
				for _, l := range ls {
					if err := s.AddLease4(ctx, l); err != nil {
						t.Fatal(err)
					}
				}
				u := ls[0].Clone()
				u.Hostname = "updated,host"
				if err := s.UpdateLease4(ctx, u); err != nil {
					t.Fatal(err)
				}
				if err := s.DeleteLease4(ctx, ls[4]); err != nil {
					t.Fatal(err)
				}
			} else {
				ls := []*lease.Lease6{
					{Addr: netip.MustParseAddr("2001:db8:1::1"), DUID: []byte{1, 2, 3, 4}, IAID: 1, PrefixLen: 128, PreferredLft: 1800, ValidLft: 3600, CLTT: now, SubnetID: 1, Hostname: "x,y&z", UserContext: uc, HWAddr: []byte{1, 2, 3, 4, 5, 6}, HWType: 1, HWAddrSource: 4},
					{Addr: netip.MustParseAddr("3000:0:0:200::"), Type: lease.TypePD, PrefixLen: 56, DUID: []byte{1, 2, 3, 5}, IAID: 2, PreferredLft: lease.InfiniteLifetime, ValidLft: lease.InfiniteLifetime, CLTT: now, SubnetID: 1},
					{Addr: netip.MustParseAddr("2001:db8:1::3"), DUID: []byte{0}, PrefixLen: 128, ValidLft: 3600, CLTT: now, SubnetID: 1, State: lease.StateDeclined},
					{Addr: netip.MustParseAddr("2001:db8:2::4"), DUID: []byte{7, 7}, IAID: 4, PrefixLen: 128, ValidLft: 3600, CLTT: now, SubnetID: 2, State: lease.StateExpiredReclaimed, FqdnRev: true},
					{Addr: netip.MustParseAddr("2001:db8:1::5"), DUID: []byte{7, 8}, IAID: 5, PrefixLen: 128, ValidLft: 3600, CLTT: now, SubnetID: 1},
				}
				for _, l := range ls {
					if err := s.AddLease6(ctx, l); err != nil {
						t.Fatal(err)
					}
				}
				u := ls[0].Clone()
				u.Hostname = "updated,host"
				if err := s.UpdateLease6(ctx, u); err != nil {
					t.Fatal(err)
				}
				if err := s.DeleteLease6(ctx, ls[4]); err != nil {
					t.Fatal(err)
				}
			}
			want := elements(t, s)
			if len(want) != 4 {
				t.Fatalf("lessor holds %d leases, want 4", len(want))
			}
			s.Close()
			k := startKea(t, family, path)
			sameLines(t, "Kea's view of lessor's file", k.leases(t, family), want)
			// And lease4-write's output is a file Kea reads the same way.
			k.stop()
			s = openTest(t, store.Config{Family: family, Name: path})
			fresh := filepath.Join(t.TempDir(), "written.csv")
			if err := s.WriteLeases(ctx, fresh); err != nil {
				t.Fatal(err)
			}
			s.Close()
			k = startKea(t, family, fresh)
			sameLines(t, "Kea's view of WriteLeases' file", k.leases(t, family), want)
		})
	}
}

// TestKeaLFCFilesLessorReads lets Kea's own lease file cleanup (kea-lfc)
// run, changes leases afterwards, and checks that lessor loads Kea's set
// of files (<name>.2 and <name>) to the leases Kea holds.
func TestKeaLFCFilesLessorReads(t *testing.T) {
	if _, err := os.Stat("/usr/sbin/kea-lfc"); err != nil {
		t.Skip("kea-lfc is not installed; skipping the Kea interoperability test")
	}
	path := filepath.Join(t.TempDir(), "kea-leases4.csv")
	k := startKeaLFC(t, 4, path, 1)
	for i := 1; i <= 20; i++ {
		k.do(t, fmt.Sprintf(`{"command":"lease4-add","arguments":{"ip-address":"192.0.2.%d","hw-address":"00:00:00:00:00:%02x","hostname":"h%d,x"}}`, i, i, i))
	}
	for i := 1; i <= 20; i += 3 {
		k.do(t, fmt.Sprintf(`{"command":"lease4-del","arguments":{"ip-address":"192.0.2.%d"}}`, i))
	}
	for i := 0; i < 100 && !exists(path+".2"); i++ {
		time.Sleep(100 * time.Millisecond)
	}
	if !exists(path + ".2") {
		t.Fatal("Kea's lease file cleanup did not run")
	}
	for _, i := range []int{2, 5, 9, 12, 17} {
		k.do(t, fmt.Sprintf(`{"command":"lease4-update","arguments":{"ip-address":"192.0.2.%d","hw-address":"00:00:00:00:01:%02x","subnet-id":1}}`, i, i))
	}
	k.do(t, `{"command":"lease4-del","arguments":{"ip-address":"192.0.2.3"}}`)
	want := k.leases(t, 4)
	k.stop()
	s := openTest(t, store.Config{Family: 4, Name: path})
	defer s.Close()
	sameLines(t, "lessor's view of Kea's cleaned files", elements(t, s), want)
}
