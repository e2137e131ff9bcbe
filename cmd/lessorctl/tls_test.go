package main

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lessor-dhcp/lessor/internal/httpapi"
	"github.com/lessor-dhcp/lessor/internal/kjson"
)

// writeCert makes a certificate (self-signed when parent is nil) and writes
// it and its key as PEM files.
func writeCert(t *testing.T, dir, name string, parent *x509.Certificate, parentKey *ecdsa.PrivateKey, isCA bool, usage x509.ExtKeyUsage) (*x509.Certificate, *ecdsa.PrivateKey) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()),
		Subject:      pkix.Name{CommonName: name},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		IPAddresses:  []net.IP{net.ParseIP("127.0.0.1")},
	}
	if isCA {
		tmpl.IsCA, tmpl.BasicConstraintsValid, tmpl.KeyUsage = true, true, x509.KeyUsageCertSign
	} else {
		tmpl.KeyUsage, tmpl.ExtKeyUsage = x509.KeyUsageDigitalSignature, []x509.ExtKeyUsage{usage}
	}
	if parent == nil {
		parent, parentKey = tmpl, key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, &key.PublicKey, parentKey)
	if err != nil {
		t.Fatal(err)
	}
	kder, _ := x509.MarshalPKCS8PrivateKey(key)
	os.WriteFile(filepath.Join(dir, name+".pem"), pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600)
	os.WriteFile(filepath.Join(dir, name+".key"), pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kder}), 0o600)
	cert, _ := x509.ParseCertificate(der)
	return cert, key
}

func TestHTTPS(t *testing.T) {
	dir := t.TempDir()
	ca, caKey := writeCert(t, dir, "ca", nil, nil, true, 0)
	writeCert(t, dir, "server", ca, caKey, false, x509.ExtKeyUsageServerAuth)
	writeCert(t, dir, "client", ca, caKey, false, x509.ExtKeyUsageClientAuth)
	f := func(n string) string { return filepath.Join(dir, n) }
	cfg, err := httpapi.ParseConfig(kjson.MustParse(fmt.Sprintf(`{"trust-anchor":%q,"cert-file":%q,"key-file":%q,
"authentication":{"type":"basic","clients":[{"user":"admin","password":"secret"}]}}`, f("ca.pem"), f("server.pem"), f("server.key"))))
	if err != nil {
		t.Fatal(err)
	}
	cfg.Port = 0
	srv, err := httpapi.New(cfg, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	addr, err := srv.Listen()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go srv.Serve(ctx)
	os.WriteFile(f("pw"), []byte("secret"), 0o600)
	url := "https://" + addr.String() + "/"
	base := []string{"--url", url, "--user", "admin", "--password-file", f("pw"), "--service", "agent"}
	expect(t, ctl(t, append(base, "--ca", f("ca.pem"), "--cert", f("client.pem"), "--key", f("client.key"), "list-commands")...), 0, "version-get\n")
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--ca", f("ca.pem")}, "certificate required"},
		{[]string{"--cert", f("client.pem"), "--key", f("client.key")}, "certificate signed by unknown authority"},
		{[]string{"--ca", f("ca.pem"), "--cert", f("client.pem")}, "client certificate"},
	} {
		r := ctl(t, append(append(base, c.args...), "list-commands")...)
		if r.code != 1 || !strings.Contains(r.stderr, c.want) {
			t.Errorf("%v: %+v", c.args, r)
		}
	}
}
