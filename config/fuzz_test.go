package config

import (
	"errors"
	"io/fs"
	"strings"
	"testing"
)

// FuzzParse feeds arbitrary text (comments, includes, nesting) to the
// parser. Included files come from a fixed in-memory set, one of which
// includes itself. The parser must never panic, must give every error a
// text, and must accept again what it accepted once.
func FuzzParse(f *testing.F) {
	seeds := []string{
		`{"Dhcp4": {"interfaces-config": {"interfaces": []}}}`,
		"# c\n{ // c\n\"Dhcp4\": { /* c */ \"valid-lifetime\": 10, }, }",
		"{\"Dhcp4\": {<?include \"a.json\"?> \"renew-timer\": 1}}",
		"{\"Dhcp4\": {<?include \"self.json\"?>}}",
		`{"Dhcp6": {"subnet6": [{"subnet": "2001:db8::/64", "pools": [{"pool": "2001:db8::1-2001:db8::9"}], "pd-pools": [{"prefix": "2001:db8:1::", "prefix-len": 48, "delegated-len": 64}]}]}}`,
		`{"Dhcp4": {"subnet4": [{"subnet": "10.0.0.0/8", "pools": [{"pool": "10.0.0.0/24"}], "user-context": {"a": [1, 2.5, null, true, "\u00e9"]}, "comment": "x"}]}}`,
		`{"Dhcp4": {"shared-networks": [{"name": "n", "subnet4": [{"subnet": "10.0.0.0/8"}]}], "valid-lifetime": "\q"}}`,
		`{"Dhcp4": {"hooks-libraries": [{"library": "libdhcp_lease_cmds.so", "parameters": {}}]}, "Control-agent": {}}`,
		"{\"Dhcp4\": {\"server-tag\": \"a\nb\"}}",
		`{"Dhcp4": {"valid-lifetime": -0x1, "t1-percent": .5e3}}`,
	}
	for _, s := range seeds {
		f.Add(s)
	}
	files := map[string]string{
		"a.json":    `"valid-lifetime": 100, // included`,
		"self.json": `<?include "self.json"?>`,
		"b.json":    `"subnet4": [{"subnet": "10.0.0.0/8"}],`,
	}
	read := func(name string) ([]byte, error) {
		if s, ok := files[name]; ok {
			return []byte(s), nil
		}
		return nil, fs.ErrNotExist
	}
	f.Fuzz(func(t *testing.T, text string) {
		cfg, err := ParseWith([]byte(text), "f.json", read)
		if err != nil {
			var ce *Error
			if !errors.As(err, &ce) && !strings.HasPrefix(err.Error(), "Can't open include file") {
				t.Fatalf("error of type %T: %v", err, err)
			}
			if err.Error() == "" {
				t.Fatal("empty error text")
			}
			return
		}
		if cfg.Dhcp4 == nil && cfg.Dhcp6 == nil {
			t.Fatal("accepted without a server section")
		}
		// What was accepted is accepted again from its elements.
		if _, err := FromElement(cfg.Raw); err != nil {
			t.Fatalf("FromElement refused what Parse accepted: %v", err)
		}
	})
}
