package ddns_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/lessor-dhcp/lessor/test/ddns/harness"
)

func TestLessorReloadKeepsQueue(t *testing.T) {
	for _, change := range []bool{false, true} {
		bind := harness.StartBIND(t, harness.DefaultZones())
		port := harness.FreeUDPPort(t)
		m := ddnsMap(true, port)
		l := startLessor(t, m, m)
		mustSucceed(t, l.sock4, `{"command": "lease4-add", "arguments": {"ip-address": "192.0.2.80", "hw-address": "00:00:5e:00:53:80", "hostname": "reload.example.com", "fqdn-fwd": true, "fqdn-rev": true}}`)
		mustSucceed(t, l.sock4, `{"command": "lease4-resend-ddns", "arguments": {"ip-address": "192.0.2.80"}}`)
		time.Sleep(time.Second)
		if change {
			path := filepath.Join(filepath.Dir(l.sock4), "lessor.conf")
			b, _ := os.ReadFile(path)
			s := strings.Replace(string(b), `"enable-updates": true,`, `"enable-updates": true, "max-queue-size": 100,`, 1)
			os.WriteFile(path, []byte(s), 0o644)
		}
		a := mustSucceed(t, l.sock4, `{"command": "config-reload"}`)
		t.Log(a.raw)
		harness.StartD2(t, bind, port)
		bind.WaitFor(t, "reload.example.com.", dns.TypeA, "192.0.2.80", 30*time.Second)
	}
}
