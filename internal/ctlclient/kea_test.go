package ctlclient

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lessor-dhcp/lessor/internal/httpapi"
	"github.com/lessor-dhcp/lessor/internal/kjson"
)

const leaseHook = "/usr/lib/x86_64-linux-gnu/kea/hooks/libdhcp_lease_cmds.so"

// TargetSocket, when set, points the end-to-end tests at a running
// server's control socket (lessor's) instead of starting Kea.
var targetEnv = map[int]string{4: "LESSOR_TEST_SOCKET4", 6: "LESSOR_TEST_SOCKET6"}

// StartServer starts kea-dhcp4 or kea-dhcp6 with the lease_cmds hook and
// two subnets, and returns its control socket. The test is skipped when
// Kea is not installed. With LESSOR_TEST_SOCKET4/6 set, that socket is
// used instead (its leases are wiped first).
func startServer(t *testing.T, family int) string {
	t.Helper()
	if s := os.Getenv(targetEnv[family]); s != "" {
		c := &Client{T: &SocketTransport{Path: s}}
		for _, id := range []int64{1, 2} {
			c.Command(context.Background(), fmt.Sprintf("lease%d-wipe", family), kjson.NewMap().Set("subnet-id", kjson.NewInt(id)))
		}
		return s
	}
	bin := fmt.Sprintf("/usr/sbin/kea-dhcp%d", family)
	for _, p := range []string{bin, leaseHook} {
		if _, err := os.Stat(p); err != nil {
			t.Skipf("%s is not installed", p)
		}
	}
	dir := t.TempDir()
	sock := filepath.Join(dir, "ctl.sock")
	var subnets string
	if family == 4 {
		subnets = `"subnet4":[{"id":1,"subnet":"192.0.2.0/24"},{"id":2,"subnet":"198.51.100.0/24"}]`
	} else {
		subnets = `"server-id":{"type":"EN","enterprise-id":2495,"identifier":"0102","persist":false},
"subnet6":[{"id":1,"subnet":"2001:db8:1::/64"},{"id":2,"subnet":"2001:db8:2::/48"}]`
	}
	cfg := fmt.Sprintf(`{"Dhcp%d":{"interfaces-config":{"interfaces":[]},
"control-socket":{"socket-type":"unix","socket-name":%q},
"lease-database":{"type":"memfile","persist":false},
"hooks-libraries":[{"library":%q}],%s,
"loggers":[{"name":"kea-dhcp%d","severity":"WARN","output_options":[{"output":"stderr"}]}]}}`, family, sock, leaseHook, subnets, family)
	path := filepath.Join(dir, "kea.json")
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	cmd := exec.Command(bin, "-c", path)
	cmd.Env = append(os.Environ(), "KEA_PIDFILE_DIR="+dir, "KEA_LOCKFILE_DIR="+dir)
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	for i := 0; i < 100; i++ {
		if c, err := net.Dial("unix", sock); err == nil {
			c.Close()
			return sock
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("kea-dhcp%d did not start: %s", family, out.String())
	return ""
}

func must(t *testing.T, c *Client, name string, args *kjson.Element) *Answer {
	t.Helper()
	a, err := c.Command(context.Background(), name, args)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// addLeases4 adds n varied IPv4 leases.
func addLeases4(t *testing.T, c *Client, n int) {
	t.Helper()
	for i := 0; i < n; i++ {
		args := kjson.MustParse(fmt.Sprintf(`{"ip-address":"192.0.2.%d","hw-address":"1a:1b:1c:1d:1e:%02x","valid-lft":3600,"expire":%d}`, 10+i, i, 2000000000+i))
		switch i % 5 {
		case 1:
			args.Set("hostname", kjson.NewString(fmt.Sprintf("host-%d.example.org", i))).Set("fqdn-fwd", kjson.NewBool(true))
		case 2:
			args.Set("client-id", kjson.NewString("01:02:03:04")).Set("hostname", kjson.NewString("comma,and&amp"))
		case 3:
			args.Set("user-context", kjson.MustParse(`{"owner":"ops, team","n":[1,2]}`))
		case 4:
			args.Set("ip-address", kjson.NewString(fmt.Sprintf("198.51.100.%d", i))).Set("subnet-id", kjson.NewInt(2)).Set("state", kjson.NewInt(1))
		}
		if a := must(t, c, "lease4-add", args); a.Result != 0 {
			t.Fatalf("lease4-add %s: %s", args.Str(), a.Text)
		}
	}
}

func collect(t *testing.T, c *Client, family, page int) []string {
	t.Helper()
	var out []string
	err := c.WalkLeases(context.Background(), family, page, func(l *kjson.Element) error {
		out = append(out, l.Str())
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func wipe(t *testing.T, c *Client, family int) {
	t.Helper()
	for _, id := range []int64{1, 2} {
		must(t, c, fmt.Sprintf("lease%d-wipe", family), kjson.NewMap().Set("subnet-id", kjson.NewInt(id)))
	}
	if got := collect(t, c, family, 100); len(got) != 0 {
		t.Fatalf("%d leases left after wipe", len(got))
	}
}

func TestLeaseRoundTrip4(t *testing.T) {
	sock := startServer(t, 4)
	c := &Client{T: &SocketTransport{Path: sock}}
	ctx := context.Background()
	addLeases4(t, c, 23)
	all := collect(t, c, 4, 1000)
	if len(all) != 23 {
		t.Fatalf("%d leases, want 23", len(all))
	}
	for _, page := range []int{1, 7, 23, 24} {
		if got := collect(t, c, 4, page); strings.Join(got, "\n") != strings.Join(all, "\n") {
			t.Errorf("page size %d walks a different list:\n%s", page, strings.Join(got, "\n"))
		}
	}

	// The same walk through lessor's HTTP API forwarding to the server.
	cfg, err := httpapi.ParseConfig(kjson.MustParse(fmt.Sprintf(`{"http-port":0,"control-sockets":{"dhcp4":{"socket-name":%q}}}`, sock)))
	if err != nil {
		t.Fatal(err)
	}
	srv, err := httpapi.New(cfg, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	addr, err := srv.Listen()
	if err != nil {
		t.Fatal(err)
	}
	sctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go srv.Serve(sctx)
	ht, err := NewHTTPTransport("http://"+addr.String()+"/", HTTPOptions{})
	if err != nil {
		t.Fatal(err)
	}
	hc := &Client{T: ht, Service: "dhcp4"}
	if got := collect(t, hc, 4, 5); strings.Join(got, "\n") != strings.Join(all, "\n") {
		t.Errorf("HTTP walk differs:\n%s", strings.Join(got, "\n"))
	}

	for _, format := range []string{"csv", "json"} {
		t.Run(format, func(t *testing.T) {
			var buf bytes.Buffer
			var w interface {
				Write(*kjson.Element) error
				Flush() error
			} = NewCSVWriter(&buf, 4)
			if format == "json" {
				w = NewJSONWriter(&buf)
			}
			if err := c.WalkLeases(ctx, 4, 10, w.Write); err != nil {
				t.Fatal(err)
			}
			if err := w.Flush(); err != nil {
				t.Fatal(err)
			}
			recs, fam, err := ReadLeaseFile(buf.Bytes(), 0)
			if err != nil || fam != 4 || len(recs) != 23 {
				t.Fatalf("read back: %d records, family %d, %v\n%s", len(recs), fam, err, buf.String())
			}
			wipe(t, c, 4)
			var progress []int
			res, err := c.Import(ctx, 4, recs, ImportOptions{Progress: func(done, total int) { progress = append(progress, done) }})
			if err != nil || res.Imported != 23 || res.Failed != 0 || len(progress) != 23 {
				t.Fatalf("import: %+v %v", res, err)
			}
			if got := collect(t, c, 4, 100); strings.Join(got, "\n") != strings.Join(all, "\n") {
				t.Errorf("imported leases differ:\n got %s\nwant %s", strings.Join(got, "\n"), strings.Join(all, "\n"))
			}
			res, err = c.Import(ctx, 4, recs, ImportOptions{})
			if err != nil || res.Skipped != 23 || res.Imported != 0 {
				t.Errorf("second import: %+v %v", res, err)
			}
			res, err = c.Import(ctx, 4, recs, ImportOptions{Replace: true})
			if err != nil || res.Imported != 23 {
				t.Errorf("replace: %+v %v", res, err)
			}
		})
	}

	// A file with one bad lease is refused whole.
	wipe(t, c, 4)
	bad := "address,hwaddr,client_id,valid_lifetime,expire,subnet_id,fqdn_fwd,fqdn_rev,hostname,state,user_context\n" +
		"192.0.2.50,1a:1b:1c:1d:1e:1f,,3600,2000000000,1,0,0,,0,\n" +
		"192.0.2.51,zz,,3600,2000000000,1,0,0,,0,\n"
	_, _, err = ReadLeaseFile([]byte(bad), 0)
	var ve *ValidationError
	if !errors.As(err, &ve) || len(ve.Problems) != 1 || !strings.Contains(ve.Problems[0], `line 3: invalid hw-address "zz"`) {
		t.Errorf("bad file: %v", err)
	}
	// A lease the server refuses is reported with its reason.
	recs, _, err := ReadLeaseFile([]byte(strings.Replace(bad, "zz", "1a:1b:1c:1d:1e:20", 1)+
		"203.0.113.5,1a:1b:1c:1d:1e:21,,3600,2000000000,1,0,0,,0,\n"), 4)
	if err != nil {
		t.Fatal(err)
	}
	res, err := c.Import(ctx, 4, recs, ImportOptions{})
	if err != nil || res.Imported != 2 || res.Failed != 1 || !strings.Contains(res.Failures[0].Reason, "does not belong to subnet") {
		t.Errorf("import with a refused lease: %+v %v", res, err)
	}
}

func TestLeaseRoundTrip6(t *testing.T) {
	sock := startServer(t, 6)
	c := &Client{T: &SocketTransport{Path: sock}}
	ctx := context.Background()
	adds := []string{
		`{"ip-address":"2001:db8:1::10","duid":"01:02:03:04:05:06","iaid":1,"valid-lft":3600,"preferred-lft":1800,"expire":2000000000}`,
		`{"ip-address":"2001:db8:1::11","duid":"01:02:03:04:05:07","iaid":2,"hw-address":"0a:0b:0c:0d:0e:0f","hostname":"six,host","fqdn-rev":true,"valid-lft":3600,"expire":2000000001}`,
		`{"ip-address":"2001:db8:2:100::","type":"IA_PD","prefix-len":56,"duid":"01:02:03:04:05:08","iaid":3,"subnet-id":2,"valid-lft":7200,"expire":2000000002,"user-context":{"a":1}}`,
		`{"ip-address":"2001:db8:1::12","duid":"01:02:03:04:05:09","iaid":4,"state":1,"valid-lft":3600,"expire":2000000003}`,
	}
	for _, s := range adds {
		if a := must(t, c, "lease6-add", kjson.MustParse(s)); a.Result != 0 {
			t.Fatalf("lease6-add %s: %s", s, a.Text)
		}
	}
	all := collect(t, c, 6, 2)
	if len(all) != 4 {
		t.Fatalf("%d leases: %v", len(all), all)
	}
	var buf bytes.Buffer
	w := NewCSVWriter(&buf, 6)
	if err := c.WalkLeases(ctx, 6, 3, w.Write); err != nil {
		t.Fatal(err)
	}
	w.Flush()
	if !strings.HasPrefix(buf.String(), strings.Join(CSVHeader6, ",")+"\n") || !strings.Contains(buf.String(), "six&#x2chost") {
		t.Errorf("CSV:\n%s", buf.String())
	}
	recs, fam, err := ReadLeaseFile(buf.Bytes(), 6)
	if err != nil || fam != 6 {
		t.Fatalf("read back: %v", err)
	}
	wipe(t, c, 6)
	res, err := c.Import(ctx, 6, recs, ImportOptions{})
	if err != nil || res.Imported != 4 {
		t.Fatalf("import: %+v %v", res, err)
	}
	if got := collect(t, c, 6, 100); strings.Join(got, "\n") != strings.Join(all, "\n") {
		t.Errorf("imported leases differ:\n got %s\nwant %s", strings.Join(got, "\n"), strings.Join(all, "\n"))
	}
}
