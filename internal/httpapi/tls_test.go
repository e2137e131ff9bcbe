package httpapi

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

type testPKI struct {
	dir                     string
	ca, serverCert, server  string // file paths
	clientCert, clientKey   string
	rogueCert, rogueKey     string // a client certificate from another CA
	pool                    *x509.CertPool
	clientPair, roguePair   tls.Certificate
	serverKeyFile, caKeyOut string
}

func writePEM(t *testing.T, path, typ string, der []byte) {
	t.Helper()
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
}

// newCA makes a self-signed CA.
func newCA(t *testing.T, name string) (*x509.Certificate, *ecdsa.PrivateKey) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: name},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return cert, key
}

// issue makes a leaf certificate signed by ca and writes cert and key.
func issue(t *testing.T, ca *x509.Certificate, caKey *ecdsa.PrivateKey, cn string, usage x509.ExtKeyUsage, certPath, keyPath string) tls.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()),
		Subject:      pkix.Name{CommonName: cn},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{usage},
		IPAddresses:  []net.IP{net.ParseIP("127.0.0.1")},
		DNSNames:     []string{"localhost"},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	writePEM(t, certPath, "CERTIFICATE", der)
	writePEM(t, keyPath, "PRIVATE KEY", kder)
	pair, err := tls.LoadX509KeyPair(certPath, keyPath)
	if err != nil {
		t.Fatal(err)
	}
	return pair
}

func makePKI(t *testing.T) *testPKI {
	t.Helper()
	p := &testPKI{dir: t.TempDir()}
	ca, caKey := newCA(t, "lessor test CA")
	p.ca = filepath.Join(p.dir, "ca.pem")
	writePEM(t, p.ca, "CERTIFICATE", ca.Raw)
	p.pool = x509.NewCertPool()
	p.pool.AddCert(ca)
	p.serverCert, p.serverKeyFile = filepath.Join(p.dir, "server.pem"), filepath.Join(p.dir, "server.key")
	issue(t, ca, caKey, "127.0.0.1", x509.ExtKeyUsageServerAuth, p.serverCert, p.serverKeyFile)
	p.clientCert, p.clientKey = filepath.Join(p.dir, "client.pem"), filepath.Join(p.dir, "client.key")
	p.clientPair = issue(t, ca, caKey, "admin", x509.ExtKeyUsageClientAuth, p.clientCert, p.clientKey)
	rogue, rogueKey := newCA(t, "rogue CA")
	p.rogueCert, p.rogueKey = filepath.Join(p.dir, "rogue.pem"), filepath.Join(p.dir, "rogue.key")
	p.roguePair = issue(t, rogue, rogueKey, "mallory", x509.ExtKeyUsageClientAuth, p.rogueCert, p.rogueKey)
	return p
}

// tlsClient presents certs whatever CAs the server asks for.
func tlsClient(p *testPKI, certs []tls.Certificate, maxVersion uint16) *http.Client {
	tc := &tls.Config{RootCAs: p.pool, MaxVersion: maxVersion}
	tc.GetClientCertificate = func(*tls.CertificateRequestInfo) (*tls.Certificate, error) {
		if len(certs) == 0 {
			return &tls.Certificate{}, nil
		}
		return &certs[0], nil
	}
	return &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{DisableKeepAlives: true, TLSClientConfig: tc}}
}

func postCommand(c *http.Client, url, body string) (int, string, error) {
	resp, err := c.Post(url, "application/json", strings.NewReader(body))
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	var b strings.Builder
	buf := make([]byte, 4096)
	for {
		n, err := resp.Body.Read(buf)
		b.Write(buf[:n])
		if err != nil {
			break
		}
	}
	return resp.StatusCode, b.String(), nil
}

func TestTLS(t *testing.T) {
	p := makePKI(t)
	for _, required := range []bool{true, false} {
		t.Run(fmt.Sprintf("cert-required=%v", required), func(t *testing.T) {
			conf := fmt.Sprintf(`{"Control-agent":{"http-port":0,"trust-anchor":%q,"cert-file":%q,"key-file":%q,"cert-required":%v}}`,
				p.ca, p.serverCert, p.serverKeyFile, required)
			base := strings.Replace(startLessor(t, conf), "http://", "https://", 1)
			body := `{"command":"list-commands"}`
			cases := []struct {
				name   string
				certs  []tls.Certificate
				maxVer uint16
				ok     bool
			}{
				{"client certificate", []tls.Certificate{p.clientPair}, 0, true},
				{"no client certificate", nil, 0, !required},
				{"certificate from another CA", []tls.Certificate{p.roguePair}, 0, !required},
				{"TLS 1.1", []tls.Certificate{p.clientPair}, tls.VersionTLS11, false},
				{"TLS 1.2", []tls.Certificate{p.clientPair}, tls.VersionTLS12, true},
			}
			for _, c := range cases {
				status, got, err := postCommand(tlsClient(p, c.certs, c.maxVer), base+"/", body)
				if c.ok && (err != nil || status != 200 || !strings.Contains(got, `"list-commands"`)) {
					t.Errorf("%s: want an answer, got %d %q %v", c.name, status, got, err)
				}
				if !c.ok && err == nil {
					t.Errorf("%s: want the handshake refused, got %d %q", c.name, status, got)
				}
			}
			// Plain HTTP to a TLS listener gets no command answer.
			if status, _, err := postCommand(&http.Client{Timeout: 5 * time.Second}, strings.Replace(base, "https://", "http://", 1)+"/", body); err == nil && status == 200 {
				t.Errorf("plain HTTP answered with 200")
			}
		})
	}
	t.Run("kea-shell", func(t *testing.T) {
		needFile(t, keaShell)
		conf := fmt.Sprintf(`{"Control-agent":{"http-port":0,"trust-anchor":%q,"cert-file":%q,"key-file":%q}}`,
			p.ca, p.serverCert, p.serverKeyFile)
		host, port := hostPort(t, startLessor(t, conf))
		out := run(t, "", keaShell, "--host", host, "--port", port, "--ca", p.ca, "--cert", p.clientCert, "--key", p.clientKey, "status-get")
		if !strings.Contains(out, `"result": 0`) {
			t.Errorf("kea-shell over TLS: %s", out)
		}
	})
}

func TestTLSConfigErrors(t *testing.T) {
	cases := []struct{ conf, want string }{
		{`{"cert-file":"a","key-file":"b"}`, "trust-anchor parameter is missing or empty: all or none of TLS parameters must be set"},
		{`{"trust-anchor":"a","key-file":"b"}`, "cert-file parameter is missing or empty: all or none of TLS parameters must be set"},
		{`{"trust-anchor":"a","cert-file":"b"}`, "key-file parameter is missing or empty: all or none of TLS parameters must be set"},
		{`{"trust-anchor":"a","cert-file":"b","key-file":"c","cert-required":1}`, "invalid type specified for parameter 'cert-required' (<string>:1:68)"},
	}
	for _, c := range cases {
		_, err := ParseConfig(mustParse(t, c.conf))
		if err == nil || err.Error() != c.want {
			t.Errorf("%s: got %v, want %q", c.conf, err, c.want)
		}
	}
}

// TestTLSMatchesKea checks that lessor accepts and refuses the same TLS
// clients as Kea's agent.
func TestTLSMatchesKea(t *testing.T) {
	needFile(t, keaAgent)
	p := makePKI(t)
	dir := t.TempDir()
	for _, required := range []bool{true, false} {
		t.Run(fmt.Sprintf("cert-required=%v", required), func(t *testing.T) {
			port := freePort(t)
			conf := func(port int) string {
				return fmt.Sprintf(`{"Control-agent":{"http-host":"127.0.0.1","http-port":%d,"trust-anchor":%q,"cert-file":%q,"key-file":%q,"cert-required":%v}}`,
					port, p.ca, p.serverCert, p.serverKeyFile, required)
			}
			startKea(t, dir, keaAgent, fmt.Sprintf("ca-tls-%v", required), conf(port), tcpReady(port))
			kea := fmt.Sprintf("https://127.0.0.1:%d/", port)
			lessor := strings.Replace(startLessor(t, conf(0)), "http://", "https://", 1) + "/"
			cases := []struct {
				name   string
				certs  []tls.Certificate
				maxVer uint16
			}{
				{"client certificate", []tls.Certificate{p.clientPair}, 0},
				{"no client certificate", nil, 0},
				{"certificate from another CA", []tls.Certificate{p.roguePair}, 0},
				{"TLS 1.1", []tls.Certificate{p.clientPair}, tls.VersionTLS11},
				{"TLS 1.2", []tls.Certificate{p.clientPair}, tls.VersionTLS12},
			}
			for _, c := range cases {
				ks, kb, kerr := postCommand(tlsClient(p, c.certs, c.maxVer), kea, `{"command":"list-commands"}`)
				ls, lb, lerr := postCommand(tlsClient(p, c.certs, c.maxVer), lessor, `{"command":"list-commands"}`)
				if (kerr == nil) != (lerr == nil) || ks != ls || kb != lb {
					t.Errorf("%s: kea %d %q %v; lessor %d %q %v", c.name, ks, kb, kerr, ls, lb, lerr)
				}
			}
		})
	}
}
