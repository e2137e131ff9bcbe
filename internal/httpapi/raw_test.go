package httpapi

import (
	"fmt"
	"io"
	"net"
	"strings"
	"testing"
	"time"
)

// rawExchange sends raw bytes and reads the answer until the server
// closes the connection, dropping the Date header.
func rawExchange(t *testing.T, addr, req string) string {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	io.WriteString(c, req)
	b, _ := io.ReadAll(c)
	var out []string
	for _, line := range strings.Split(string(b), "\r\n") {
		if !strings.HasPrefix(line, "Date: ") {
			out = append(out, line)
		}
	}
	return strings.Join(out, "\r\n")
}

// TestRawHTTPMatchesKea compares whole answers, status line and headers
// included, for requests written byte by byte.
func TestRawHTTPMatchesKea(t *testing.T) {
	needFile(t, keaAgent)
	dir := t.TempDir()
	port := freePort(t)
	conf := func(port int) string {
		return fmt.Sprintf(`{"Control-agent":{"http-host":"127.0.0.1","http-port":%d,
"authentication":{"type":"basic","realm":"r","clients":[{"user":"admin","password":"secret"}]}}}`, port)
	}
	startKea(t, dir, keaAgent, "ca-raw", conf(port), tcpReady(port))
	kea := fmt.Sprintf("127.0.0.1:%d", port)
	lessor := strings.TrimPrefix(startLessor(t, conf(0)), "http://")
	body := `{"command":"list-commands"}`
	post := func(proto, extra, body string) string {
		return fmt.Sprintf("POST / %s\r\nHost: x\r\nContent-Type: application/json\r\n%sContent-Length: %d\r\n\r\n%s", proto, extra, len(body), body)
	}
	cases := map[string]string{
		"HTTP/1.0":                  post("HTTP/1.0", "Authorization: Basic YWRtaW46c2VjcmV0\r\n", body),
		"HTTP/1.0 unauthorized":     post("HTTP/1.0", "", body),
		"HTTP/1.0 bad JSON":         post("HTTP/1.0", "", `{"command"`),
		"HTTP/1.0 GET":              "GET / HTTP/1.0\r\n\r\n",
		"HTTP/1.0 no content type":  "POST / HTTP/1.0\r\nContent-Length: 2\r\n\r\n{}",
		"HTTP/1.0 empty body":       post("HTTP/1.0", "Authorization: Basic YWRtaW46c2VjcmV0\r\n", ""),
		"HTTP/1.1 close":            post("HTTP/1.1", "Connection: close\r\nAuthorization: Basic YWRtaW46c2VjcmV0\r\n", body),
		"HTTP/1.1 close, 401":       post("HTTP/1.1", "Connection: close\r\n", body),
		"HTTP/1.0 lower-case names": "POST / HTTP/1.0\r\ncontent-type: application/json\r\nauthorization: basic YWRtaW46c2VjcmV0\r\ncontent-length: 2\r\n\r\n{}",
	}
	for name, req := range cases {
		k, l := rawExchange(t, kea, req), rawExchange(t, lessor, req)
		if strings.Contains(req, "Connection: close") {
			// lessor confirms the close in a header, Kea closes silently.
			if !strings.Contains(l, "\r\nConnection: close\r\n") {
				t.Errorf("%s: no Connection header:\n%s", name, l)
			}
			l = strings.Replace(l, "\r\nConnection: close\r\n", "\r\n", 1)
		}
		if k != l {
			t.Errorf("%s:\nkea:\n%s\nlessor:\n%s", name, k, l)
		}
	}
}
