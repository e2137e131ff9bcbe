package server

import (
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
)

func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// TestHTTPControlAPI runs the in-process Control Agent of a file holding
// Dhcp4 and Control-agent, and drives the lease commands over HTTP.
func TestHTTPControlAPI(t *testing.T) {
	port := freePort(t)
	conf := strings.Replace(conf4, "\n}}", `
}, "Control-agent": {"http-host": "127.0.0.1", "http-port": `+strconv.Itoa(port)+`,
  "authentication": {"type": "basic", "realm": "lessor", "clients": [{"user": "admin", "password": "secret"}]}}}`, 1)
	startServer(t, conf)
	url := "http://127.0.0.1:" + strconv.Itoa(port) + "/"
	post := func(body string, auth bool) (int, string) {
		req, _ := http.NewRequest("POST", url, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		if auth {
			req.SetBasicAuth("admin", "secret")
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	tests := []struct {
		body   string
		auth   bool
		status int
		want   string
	}{
		{`{"command":"lease4-add","service":["dhcp4"],"arguments":{"ip-address":"192.0.2.20","hw-address":"1a:1b:1c:1d:1e:1f"}}`, true, 200,
			`[ { "result": 0, "text": "Lease for address 192.0.2.20, subnet-id 44 added." } ]`},
		{`{"command":"lease4-get","service":["dhcp4"],"arguments":{"ip-address":"192.0.2.20"}}`, true, 200, `"text": "IPv4 lease found."`},
		{`{"command":"lease4-get","service":["dhcp4"],"arguments":{"ip-address":"192.0.2.20"}}`, false, 401, `Unauthorized`},
		{`{"command":"lease4-get","service":["dhcp7"]}`, true, 200, `"result": 1`},
	}
	for i, tc := range tests {
		status, body := post(tc.body, tc.auth)
		if status != tc.status || !strings.Contains(body, tc.want) {
			t.Errorf("request %d: %d %s, want %d with %s", i, status, body, tc.status, tc.want)
		}
	}
	req, _ := http.NewRequest("GET", url+"metrics", nil)
	req.SetBasicAuth("admin", "secret")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(b), `lessor_statistic{family="4",name="assigned-addresses",subnet="44"} 1`) {
		t.Errorf("/metrics lacks the assigned-addresses gauge:\n%s", b)
	}
}

// TestControlSocketsList: the Kea 2.7+ form, a "control-sockets" list with a
// UNIX and an HTTP entry in the Dhcp4 section itself.
func TestControlSocketsList(t *testing.T) {
	port := freePort(t)
	conf := `{"Dhcp4": {"interfaces-config": {"interfaces": []},
  "control-sockets": [{"socket-type": "unix", "socket-name": "@DIR@/ctl.sock"},
                      {"socket-type": "http", "socket-address": "127.0.0.1", "socket-port": ` + strconv.Itoa(port) + `}],
  "lease-database": {"type": "memfile", "name": "@DIR@/leases4.csv"},
  "valid-lifetime": 4000, "subnet4": [{"id": 1, "subnet": "192.0.2.0/24"}]}}`
	sock, _ := startServer(t, conf)
	if got := send(t, sock, `{"command":"lease4-add","arguments":{"ip-address":"192.0.2.5","hw-address":"01:02:03:04:05:06"}}`); !strings.Contains(got, `"result": 0`) {
		t.Fatalf("lease4-add on the unix entry: %s", got)
	}
	resp, err := http.Post("http://127.0.0.1:"+strconv.Itoa(port)+"/", "application/json", strings.NewReader(`{"command":"lease4-get","arguments":{"ip-address":"192.0.2.5"}}`))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if !strings.Contains(string(b), `"IPv4 lease found."`) {
		t.Errorf("lease4-get on the http entry: %d %s", resp.StatusCode, b)
	}
}
