package httpapi

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lessor-dhcp/lessor/internal/kjson"
)

func mustParse(t *testing.T, s string) *kjson.Element {
	t.Helper()
	e, err := kjson.ParseString([]byte(s))
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func TestParseConfig(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "user"), []byte("fileuser"), 0o600)
	os.WriteFile(filepath.Join(dir, "pw"), []byte("filepw"), 0o600)
	os.WriteFile(filepath.Join(dir, "both"), []byte("u2:p2:x"), 0o600)
	os.WriteFile(filepath.Join(dir, "nocolon"), []byte("p"), 0o600)
	os.WriteFile(filepath.Join(dir, "colon"), []byte("a:b"), 0o600)
	os.WriteFile(filepath.Join(dir, "empty"), nil, 0o600)
	auth := func(clients string) string {
		return `{"Control-agent":{"authentication":{"type":"basic","directory":"` + dir + `","clients":` + clients + `}}}`
	}
	cases := []struct {
		name, conf string
		err        string
		creds      map[string]string // user:password -> user
	}{
		{name: "defaults", conf: `{"Control-agent":{}}`},
		{name: "bare map", conf: `{"http-port": 8001}`},
		{name: "users", conf: auth(`[{"user":"admin","password":"secret"},{"user":"ro","password":""}]`),
			creds: map[string]string{"admin:secret": "admin", "ro:": "ro"}},
		{name: "files", conf: auth(`[{"user-file":"user","password-file":"/pw"},{"password-file":"both"}]`),
			creds: map[string]string{"fileuser:filepw": "fileuser", "u2:p2:x": "u2"}},
		{name: "not a map", conf: `[1]`, err: "Control-agent must be a map (<string>:1:2)"},
		{name: "unknown key", conf: `{"Control-agent":{"http-prot":1}}`, err: `<string>:1.31: got unexpected keyword "http-prot" in Control-agent map.`},
		{name: "port type", conf: `{"http-port":"x"}`, err: "invalid type specified for parameter 'http-port' (<string>:1:14)"},
		{name: "port range", conf: `{"http-port":70000}`, err: "out of range value (70000) specified for parameter 'http-port' (<string>:1:14)"},
		{name: "host type", conf: `{"http-host":1}`, err: "invalid type specified for parameter 'http-host' (<string>:1:14)"},
		{name: "socket type", conf: `{"control-sockets":{"dhcp4":{"socket-type":"tcp","socket-name":"/x"}}}`, err: "unsupported socket-type 'tcp', expected 'unix' (<string>:1:44)"},
		{name: "socket name", conf: `{"control-sockets":{"dhcp4":{}}}`, err: "missing parameter 'socket-name' (<string>:1:30)"},
		{name: "unknown service", conf: `{"control-sockets":{"dhcp5":{}}}`, err: `<string>:1.30: got unexpected keyword "dhcp5" in control-sockets map.`},
		{name: "hooks", conf: `{"hooks-libraries":[{"library":"/x.so"}]}`, err: "hooks-libraries are not supported by lessor's control agent (<string>:1:22)"},
		{name: "auth type", conf: `{"authentication":{"type":"digest"}}`, err: "only basic HTTP authentication is supported: type is 'digest' not 'basic' (<string>:1:27)"},
		{name: "auth no type", conf: `{"authentication":{}}`, err: "type is required in authentication (<string>:1:20)"},
		{name: "no user", conf: auth(`[{"password":"x"}]`), err: "user is required in clients items"},
		{name: "empty user", conf: auth(`[{"user":""}]`), err: "user must not be empty"},
		{name: "colon user", conf: auth(`[{"user":"a:b"}]`), err: "user must not contain a ':': 'a:b'"},
		{name: "both passwords", conf: auth(`[{"user":"a","password":"x","password-file":"pw"}]`), err: "are mutually exclusive"},
		{name: "both users", conf: auth(`[{"user":"a","user-file":"user"}]`), err: "are mutually exclusive"},
		{name: "missing file", conf: auth(`[{"user":"a","password-file":"nothere"}]`), err: "can't open file '" + dir + "/nothere': No such file or directory"},
		{name: "empty user file", conf: auth(`[{"user-file":"empty"}]`), err: "user must not be empty from user-file 'empty'"},
		{name: "colon user file", conf: auth(`[{"user-file":"colon"}]`), err: "user must not contain a ':' from user-file 'colon'"},
		{name: "no user in password file", conf: auth(`[{"password-file":"nocolon"}]`), err: "can't find the user id part in password-file 'nocolon'"},
		{name: "clients not list", conf: auth(`{}`), err: "clients must be a list"},
		{name: "extension", conf: `{"user-context":{"lessor":{"max-body-size":1024,"read-timeout":3,"metrics":false}}}`},
		{name: "extension bad", conf: `{"user-context":{"lessor":{"max-body-size":-1}}}`, err: "'max-body-size' must be a positive integer"},
		{name: "extension unknown", conf: `{"user-context":{"lessor":{"nope":1}}}`, err: "unknown lessor parameter 'nope'"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg, err := ParseConfig(mustParse(t, c.conf))
			if c.err != "" {
				if err == nil || !strings.Contains(err.Error(), c.err) {
					t.Fatalf("got %v, want %q", err, c.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(cfg.credentials) != len(c.creds) {
				t.Errorf("credentials %v, want %v", cfg.credentials, c.creds)
			}
			for up, user := range c.creds {
				u, p, _ := strings.Cut(up, ":")
				if cfg.credentials[basicCredential(u, p)] != user {
					t.Errorf("credential %q not accepted as %q", up, user)
				}
			}
		})
	}
	cfg, err := ParseConfig(mustParse(t, `{"user-context":{"lessor":{"max-body-size":1024,"read-timeout":3,"metrics":false}}}`))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Addr() != "127.0.0.1:8000" || !cfg.CertRequired || cfg.Limits.MaxBodyBytes != 1024 ||
		cfg.Limits.ReadTimeout != 3*time.Second || cfg.Metrics.Enabled {
		t.Errorf("defaults and extensions: %+v", cfg)
	}
}

func TestParseServerSocket(t *testing.T) {
	cfg, err := ParseServerSocket(mustParse(t, `{"socket-type":"http","socket-address":"::1","socket-port":8004,
"authentication":{"type":"basic","clients":[{"user":"a","password":"b"}]},
"http-headers":[{"name":"Strict-Transport-Security","value":"max-age=31536000"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Mode != ModeServer || cfg.Addr() != "[::1]:8004" || cfg.Auth.Realm != "" ||
		len(cfg.HTTPHeaders) != 1 || cfg.HTTPHeaders[0].Name != "Strict-Transport-Security" {
		t.Errorf("parsed %+v", cfg)
	}
	if _, err := New(cfg, map[string]Dispatcher{"dhcp6": &recorder{}}, nil); err != nil || cfg.Auth.Realm != "kea-dhcpv6-server" || cfg.Service != "dhcp6" {
		t.Errorf("New: %v, realm %q, service %q", err, cfg.Auth.Realm, cfg.Service)
	}
	cfg, err = ParseServerSocket(mustParse(t, `{"socket-name":"192.0.2.1","authentication":{"realm":"r","clients":[]}}`))
	if err != nil || cfg.SocketType != "http" || cfg.Host != "192.0.2.1" || cfg.Port != 8000 || cfg.Auth.Realm != "r" {
		t.Errorf("socket-name alias and defaults: %+v %v", cfg, err)
	}
	bad := map[string]string{
		`{"socket-type":"unix"}`:                                    "unsupported 'socket-type' 'unix' not 'http' or 'https'",
		`{"socket-type":"https"}`:                                   "no TLS setup for a HTTPS control socket",
		`{"socket-type":"http","socket-port":-1}`:                   "out of range value -1 specified for parameter 'socket-port'",
		`{"socket-type":"http","socket-port":70000}`:                "out of range value 70000 specified for parameter 'socket-port'",
		`{"socket-type":"http","socket-name":"x"}`:                  "failed to convert 'x' to address",
		`{"socket-name":"::1","socket-address":"::1"}`:              "specify both 'socket-name' and 'socket-address' is forbidden",
		`{"socket-type":1}`:                                         "invalid type specified for parameter 'socket_type'",
		`{"socket-port":"1"}`:                                       "invalid type specified for parameter 'socket-port'",
		`{"authentication":[]}`:                                     "invalid type specified for parameter 'authentication'",
		`{"socket-type":"http","authentication":{"type":"digest"}}`: "only basic HTTP authentication is supported",
		`{"socket-type":"http","http-headers":[{"value":"x"}]}`:     "missing parameter 'name'",
		`{"socket-type":"http","socket-path":"x"}`:                  `got unexpected keyword "socket-path" in control-socket map.`,
	}
	for conf, want := range bad {
		if _, err := ParseServerSocket(mustParse(t, conf)); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: got %v, want %q", conf, err, want)
		}
	}
}

func FuzzParseConfig(f *testing.F) {
	f.Add(`{"Control-agent":{"http-host":"127.0.0.1","http-port":8000,"control-sockets":{"dhcp4":{"socket-name":"/x"}},"authentication":{"type":"basic","realm":"r","clients":[{"user":"a","password":"b"}]}}}`)
	f.Add(`{"socket-type":"http","socket-port":1,"http-headers":[{"name":"a","value":"b"}],"user-context":{"lessor":{"metrics":true}}}`)
	f.Fuzz(func(t *testing.T, s string) {
		e, err := kjson.ParseString([]byte(s))
		if err != nil {
			return
		}
		if cfg, err := ParseConfig(e); err == nil {
			// The shown configuration parses back to the same one.
			again, err := ParseConfig(cfg.ToElement())
			if err != nil {
				t.Fatalf("config-get output does not parse: %v\n%s", err, cfg.ToElement().Str())
			}
			if again.ToElement().Str() != cfg.ToElement().Str() {
				t.Fatalf("round trip changed the configuration")
			}
		}
		ParseServerSocket(e)
	})
}
