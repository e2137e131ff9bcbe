package config

import (
	"os"
	"path/filepath"
	"testing"
)

// chdir changes the working directory for the test (included files are
// opened relative to it, as Kea opens them).
func chdir(t *testing.T, dir string) {
	t.Helper()
	old, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Chdir(dir); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.Chdir(old) })
}

func TestIncludes(t *testing.T) {
	dir := t.TempDir()
	files := map[string]string{
		"inc/sub.json":   "\"valid-lifetime\": 100, // from an included file\n",
		"inc/bad.json":   "\"valid-lifetime\": \"x\",\n",
		"inc/self.json":  `<?include "inc/self.json"?>`,
		"inc/deep.json":  "<?include \"inc/sub.json\"?>\n",
		"main.json":      "{\"Dhcp4\": {\n<?include \"inc/sub.json\"?>\n" + ifaces + "}}",
		"nested.json":    "{\"Dhcp4\": {\n<?include \"inc/deep.json\"?>\n" + ifaces + "}}",
		"bad.json":       "{\"Dhcp4\": {\n<?include \"inc/bad.json\"?>\n" + ifaces + "}}",
		"notclosed.json": "{\"Dhcp4\": {\n<?include \"inc/sub.json\"\n" + ifaces + "}}",
		"dup.json":       "{\"Dhcp4\": {\n<?include \"inc/sub.json\"?> \"valid-lifetime\": 5, " + ifaces + "}}",
		"missing.json":   "{\"Dhcp4\": {\n<?include \"inc/none.json\"?>\n" + ifaces + "}}",
		"noquote.json":   "{\"Dhcp4\": {\n<?include inc/sub.json?>\n" + ifaces + "}}",
		"eof.json":       "{\"Dhcp4\": {\n<?include ",
	}
	for name, text := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	chdir(t, dir)
	tests := []struct {
		file, want string
		lifetime   uint32
	}{
		{file: "main.json", lifetime: 100},
		{file: "nested.json", lifetime: 100},
		{file: "bad.json", want: "inc/bad.json:1.19-21: syntax error, unexpected constant string, expecting integer"},
		{file: "notclosed.json", want: `notclosed.json:3.1: Invalid character: "`},
		{file: "dup.json", want: "dup.json:2:28: duplicate valid-lifetime entries in Dhcp4 map (previous at inc/sub.json:1:19)"},
		{file: "inc/self.json", want: "Too many nested include."},
		{file: "missing.json", want: "Can't open include file inc/none.json"},
		{file: "noquote.json", want: "noquote.json:2.11: Invalid character: i"},
		{file: "eof.json", want: "Directive not closed."},
	}
	_, keaErr := os.Stat("/usr/sbin/kea-dhcp4")
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			f, err := Load(tc.file)
			got := ""
			if err != nil {
				got = err.Error()
			}
			if got != tc.want {
				t.Fatalf("got %q, want %q", got, tc.want)
			}
			if err == nil && f.Dhcp4.ValidLifetime.Default != tc.lifetime {
				t.Errorf("valid-lifetime %d, want %d", f.Dhcp4.ValidLifetime.Default, tc.lifetime)
			}
			if keaErr != nil || testing.Short() {
				return
			}
			if kea := keaCheck(t, "/usr/sbin/kea-dhcp4", tc.file); kea != got {
				t.Errorf("Kea says %q, lessor %q", kea, got)
			}
		})
	}
	// The same file from another directory: the include is not found,
	// as with Kea.
	chdir(t, filepath.Join(dir, "inc"))
	if _, err := Load("../main.json"); err == nil || err.Error() != "Can't open include file inc/sub.json" {
		t.Errorf("from another directory: %v", err)
	}
}
