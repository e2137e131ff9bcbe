package abuse

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/lessor-dhcp/lessor/internal/kjson"
	lessor "github.com/lessor-dhcp/lessor/internal/server"
	"github.com/lessor-dhcp/lessor/lease"
	"github.com/lessor-dhcp/lessor/store"
	"github.com/lessor-dhcp/lessor/store/memfile"
	"github.com/lessor-dhcp/lessor/test/crash/lessorproc"
)

// fuzzSeeds are commands with arguments for every lease command and the
// server commands that are safe to fuzz.
var fuzzSeeds = []string{
	`{"command":"list-commands"}`,
	`{"command":"version-get"}`,
	`{"command":"build-report"}`,
	`{"command":"config-get"}`,
	`{"command":"config-test","arguments":{"Dhcp4":{"subnet4":[{"id":1,"subnet":"10.0.0.0/8"}]}}}`,
	`{"command":"status-get"}`,
	`{"command":"statistic-get","arguments":{"name":"pkt4-received"}}`,
	`{"command":"statistic-get-all"}`,
	`{"command":"statistic-reset","arguments":{"name":"subnet[1].assigned-addresses"}}`,
	`{"command":"statistic-sample-age-set","arguments":{"name":"x","duration":5}}`,
	`{"command":"leases-reclaim","arguments":{"remove":true}}`,
	`{"command":"lease4-add","arguments":{"ip-address":"10.0.0.5","hw-address":"02:00:00:00:00:05","subnet-id":1,"hostname":"a.example.org","client-id":"01:02:03","valid-lft":100,"expire":2000000000,"fqdn-fwd":true,"fqdn-rev":true,"state":0,"user-context":{"a":[1,2,{"b":null}]},"force-create":true}}`,
	`{"command":"lease4-update","arguments":{"ip-address":"10.0.0.5","hw-address":"02:00:00:00:00:06","subnet-id":1,"force-create":true}}`,
	`{"command":"lease4-get","arguments":{"ip-address":"10.0.0.5"}}`,
	`{"command":"lease4-get","arguments":{"identifier-type":"hw-address","identifier":"02:00:00:00:00:05","subnet-id":1}}`,
	`{"command":"lease4-get","arguments":{"identifier-type":"client-id","identifier":"01:02:03","subnet-id":1}}`,
	`{"command":"lease4-get-all","arguments":{"subnets":[1,2]}}`,
	`{"command":"lease4-get-page","arguments":{"from":"start","limit":10}}`,
	`{"command":"lease4-get-by-hw-address","arguments":{"hw-address":"02:00:00:00:00:05"}}`,
	`{"command":"lease4-get-by-client-id","arguments":{"client-id":"01:02:03"}}`,
	`{"command":"lease4-get-by-hostname","arguments":{"hostname":"a.example.org"}}`,
	`{"command":"lease4-del","arguments":{"ip-address":"10.0.0.5"}}`,
	`{"command":"lease4-wipe","arguments":{"subnet-id":1}}`,
	`{"command":"lease4-resend-ddns","arguments":{"ip-address":"10.0.0.5"}}`,
	`{"command":"lease6-add","arguments":{"ip-address":"2001:db8::5","duid":"00:03:00:01:02:00:00:00:00:05","iaid":5,"subnet-id":1,"type":"IA_NA","preferred-lft":50,"valid-lft":100,"hw-address":"02:00:00:00:00:05","hostname":"b.example.org"}}`,
	`{"command":"lease6-add","arguments":{"ip-address":"2001:db8:1::","prefix-len":56,"duid":"00:01","iaid":6,"subnet-id":1,"type":"IA_PD"}}`,
	`{"command":"lease6-update","arguments":{"ip-address":"2001:db8::5","duid":"00:03:00:01:02:00:00:00:00:06","iaid":5,"subnet-id":1}}`,
	`{"command":"lease6-get","arguments":{"ip-address":"2001:db8::5","type":"IA_NA"}}`,
	`{"command":"lease6-get","arguments":{"identifier-type":"duid","identifier":"00:03:00:01:02:00:00:00:00:05","iaid":5,"subnet-id":1}}`,
	`{"command":"lease6-get-all","arguments":{"subnets":[1]}}`,
	`{"command":"lease6-get-page","arguments":{"from":"2001:db8::","limit":2}}`,
	`{"command":"lease6-get-by-duid","arguments":{"duid":"00:03:00:01:02:00:00:00:00:05"}}`,
	`{"command":"lease6-get-by-hostname","arguments":{"hostname":"b.example.org"}}`,
	`{"command":"lease6-del","arguments":{"ip-address":"2001:db8::5","type":"IA_NA"}}`,
	`{"command":"lease6-bulk-apply","arguments":{"deleted-leases":[{"ip-address":"2001:db8::5","type":"IA_NA"}],"leases":[{"ip-address":"2001:db8::7","duid":"00:01","iaid":1,"subnet-id":1}]}}`,
	`{"command":"lease6-wipe","arguments":{"subnet-id":1}}`,
	`{"command":"lease6-resend-ddns","arguments":{"ip-address":"2001:db8::5"}}`,
	"# comment\n{\"command\" /* c */ : \"list-commands\"} trailing",
	`[1,2,3]`,
	`{"command":"lease4-get","arguments":{"ip-address":"\u0031\ud83d\ude00"}}`,
}

// unsafeCommands would change the fuzzing server itself or write files
// at paths taken from the input.
var unsafeCommands = map[string]bool{
	"shutdown": true, "config-write": true, "config-set": true, "config-reload": true,
	"libreload": true, "lease4-write": true, "lease6-write": true, "config-backend-pull": true,
}

// commandOf is the command name the server will see in data (the same
// framing and parser), "" if none.
func commandOf(data []byte) (string, bool) {
	var f kjson.Feed
	f.Write(data)
	if !f.OK() {
		return "", false
	}
	e, err := kjson.ParseWire(f.Text())
	if err != nil || e.Kind != kjson.Map {
		return "", true
	}
	if c := e.Get("command"); c != nil && c.Kind == kjson.String {
		return c.S, true
	}
	return "", true
}

// inProcess starts a server with both families in this process.
func inProcess(tb testing.TB) (sock4, sock6 string) {
	tb.Helper()
	dir, err := os.MkdirTemp("", "lessor-fuzz-")
	if err != nil {
		tb.Fatal(err)
	}
	p, err := lessorproc.WriteConfig(lessorproc.Options{Dir: dir, V4: true, V6: true})
	if err != nil {
		tb.Fatal(err)
	}
	srv, err := lessor.New(p.Config, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		tb.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	if err := srv.Start(ctx); err != nil {
		tb.Fatal(err)
	}
	done := make(chan struct{})
	go func() { srv.Serve(ctx); close(done) }()
	tb.Cleanup(func() {
		cancel()
		<-done
		srv.Close()
		os.RemoveAll(dir)
	})
	return p.Sock4, p.Sock6
}

// exchange sends data, half-closes and reads the answer.
func exchange(sock string, data []byte) ([]byte, error) {
	c, err := net.Dial("unix", sock)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(20 * time.Second))
	if _, err := c.Write(data); err != nil {
		return nil, err
	}
	c.(*net.UnixConn).CloseWrite()
	return io.ReadAll(c)
}

// FuzzControlSocket feeds arbitrary bytes to a running server's control
// sockets: every complete command gets one answer, a JSON map with a
// result from 0 to 4 and a text, and the server goes on answering.
func FuzzControlSocket(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add([]byte(s), false)
		f.Add([]byte(s), true)
	}
	sock4, sock6 := inProcess(f)
	n := 0
	f.Fuzz(func(t *testing.T, data []byte, v6 bool) {
		cmd, complete := commandOf(data)
		if unsafeCommands[cmd] || len(data) > 1<<20 {
			t.Skip()
		}
		sock := sock4
		if v6 {
			sock = sock6
		}
		raw, err := exchange(sock, data)
		if err != nil {
			t.Fatalf("no answer to %q: %v", data, err)
		}
		if !complete {
			if len(raw) == 0 {
				return // an incomplete command and the client left: no answer
			}
		}
		var a struct {
			Result *int    `json:"result"`
			Text   *string `json:"text"`
		}
		if err := json.Unmarshal(raw, &a); err != nil || a.Result == nil {
			t.Fatalf("answer to %q is not a Kea answer (%v): %q", data, err, raw)
		}
		if *a.Result < 0 || *a.Result > 4 || (*a.Result != 0 && (a.Text == nil || *a.Text == "")) {
			t.Fatalf("answer to %q: %s", data, raw)
		}
		if n++; n%50 == 0 {
			if raw, err := exchange(sock4, []byte(`{"command":"list-commands"}`)); err != nil || !bytes.Contains(raw, []byte(`"result": 0`)) {
				t.Fatalf("server stopped answering after %q: %v %s", data, err, raw)
			}
		}
	})
}

// FuzzLeaseFileLoad writes arbitrary bytes as a lease file and opens a
// memfile store on it: it loads or refuses with an error, never panics,
// and a second load of what the first one left finds the same leases.
func FuzzLeaseFileLoad(f *testing.F) {
	v4 := "address,hwaddr,client_id,valid_lifetime,expire,subnet_id,fqdn_fwd,fqdn_rev,hostname,state,user_context\n" +
		"10.0.0.5,02:00:00:00:00:01,01:02,4000,1795746030,1,0,0,a.example.org,0,\n" +
		"10.0.0.6,,,4000,1795746030,1,1,1,b&#x2cc.example.org,2,{ \"a\": 1 }\n" +
		"10.0.0.5,02:00:00:00:00:01,,0,1795746030,1,0,0,,0,\n"
	v6 := "address,duid,valid_lifetime,expire,subnet_id,pref_lifetime,lease_type,iaid,prefix_len,fqdn_fwd,fqdn_rev,hostname,hwaddr,state,user_context,hwtype,hwaddr_source\n" +
		"2001:db8::5,00:03:00:01:02:00:00:00:00:01,4000,1795746030,1,4000,0,7,128,0,0,b.example.org,,0,,,\n" +
		"2001:db8:1::,00:01,4000,1795746030,1,3000,2,8,56,0,0,,02:00:00:00:00:01,0,{ \"x\": [ ] },1,2\n"
	f.Add([]byte(v4), false)
	f.Add([]byte(v4[:len(v4)-7]), false)
	f.Add([]byte("address,hwaddr,client_id,valid_lifetime,expire,subnet_id,fqdn_fwd,fqdn_rev,hostname\n10.0.0.1,02:00,,1,2,1,0,0,\n"), false)
	f.Add([]byte(v6), true)
	f.Add([]byte(v6[:len(v6)-3]), true)
	f.Add([]byte("address,duid,valid_lifetime,expire,subnet_id,pref_lifetime,lease_type,iaid,prefix_len,fqdn_fwd,fqdn_rev\n2001:db8::1,00:01,1,2,1,1,0,1,128,0,0\n"), true)
	f.Fuzz(func(t *testing.T, data []byte, v6 bool) {
		dir := t.TempDir()
		cfg := store.Config{Type: "memfile", Family: 4, Name: filepath.Join(dir, "leases.csv")}
		if v6 {
			cfg.Family = 6
		}
		if err := os.WriteFile(cfg.Name, data, 0o644); err != nil {
			t.Fatal(err)
		}
		log := slog.New(slog.NewTextHandler(io.Discard, nil))
		s, err := memfile.OpenStore(context.Background(), cfg, log)
		if err != nil {
			return
		}
		n := s.Len()
		if err := s.Close(); err != nil {
			t.Fatalf("close: %v", err)
		}
		s2, err := memfile.OpenStore(context.Background(), cfg, log)
		if err != nil {
			t.Fatalf("the file loaded once, then not: %v", err)
		}
		defer s2.Close()
		if s2.Len() != n {
			t.Fatalf("first load found %d leases, the second %d", n, s2.Len())
		}
	})
}

// FuzzIdentifiers parses hardware addresses, DUIDs and client-ids: what
// parses prints in Kea's form and parses back to the same bytes.
func FuzzIdentifiers(f *testing.F) {
	for _, s := range []string{"02:00:00:00:00:01", "0:1:2", "00-01-02", "0x0102", "", "01:02:03:04:05:06:07:08:09:0a:0b:0c:0d:0e:0f:10:11:12:13:14", "a:b:c", "00 01", "01:"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, p := range []struct {
			name  string
			parse func(string) ([]byte, error)
		}{{"hw-address", lease.ParseHWAddr}, {"duid", lease.ParseDUID}, {"client-id", lease.ParseClientID}} {
			b, err := p.parse(s)
			if err != nil {
				if err.Error() == "" {
					t.Fatalf("%s %q: empty error text", p.name, s)
				}
				continue
			}
			text := lease.FormatHex(b)
			b2, err := p.parse(text)
			if err != nil || !bytes.Equal(b, b2) {
				t.Fatalf("%s %q -> %x -> %q -> %x, %v", p.name, s, b, text, b2, err)
			}
		}
	})
}

// TestFuzzSeedsAreSafe keeps the seed list honest: no seed runs an unsafe command.
func TestFuzzSeedsAreSafe(t *testing.T) {
	for _, s := range fuzzSeeds {
		if cmd, _ := commandOf([]byte(s)); unsafeCommands[cmd] {
			t.Errorf("seed runs %s", cmd)
		}
	}
	if cmd, ok := commandOf([]byte(`# x` + "\n" + `{"command": "shutdown"}`)); cmd != "shutdown" || !ok {
		t.Errorf("commandOf does not see through comments: %q %v", cmd, ok)
	}
}
