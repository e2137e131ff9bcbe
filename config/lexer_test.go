package config

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestLexer checks the lexer's texts on odd input; Kea 2.2 gives the same
// (checked when kea-dhcp4 is installed, for texts without a newline).
func TestLexer(t *testing.T) {
	const head = `{"Dhcp4": {"interfaces-config": {"interfaces": []}`
	tests := []struct{ text, want string }{
		{head + `, "server-tag": "a` + "\x01" + `b"}}`, `F:1.67-71 (near 2): Invalid control in "a` + "\x01" + `b"`},
		{head + `, "server-tag": "a` + "\n" + `b"}}`, `F:1.67-71 (near 2): Invalid control in "a` + "\n" + `b"`},
		{head + `, "server-tag": "a#b//c/*d"}} // end`, ``},
		{head + "\x08}}", `F:1.51: Invalid character: ` + "\b"},
		{head + "\x00}}", `F:1.51: Invalid character: `},
		{head + ` /* a /* b */ }}`, ``},
		{head + `, "server-tag": "\u00"}}`, `F:1.67-72 (near 2): Overflow unicode escape in "\u00"`},
		{head + `, "server-tag": "\uzzzz"}}`, `F:1.67-74 (near 2): Bad escape in "\uzzzz"`},
		{head + `, "server-tag": "ab\`, `F:1.67: Invalid character: "`},
		{head + `, "server-tag": "ab`, `F:1.67: Invalid character: "`},
		{head + `, "server-tag": "a\"b\"}}`, `F:1.67-73 (near 7): Overflow escape in "a\"b\"`},
		{head + `, "server-tag": "été"}}`, ``},
		{head + `, "server-tag": "\u00e9\n\t\/"}}`, ``},
		{head + `, "server-tag": "a\u0100"}}`, `F:1.67-75 (near 4): Unsupported unicode escape in "a\u0100"`},
		{head + `, "t1-percent": 1e500}}`, `F:1.67-71: Failed to convert 1e500 to a floating point.`},
		{head + `, "valid-lifetime": 0x10}}`, `F:1.72: Invalid character: x`},
		{head + `, "valid-lifetime": 10s}}`, `F:1.73: Invalid character: s`},
		{"\xef\xbb\xbf" + head + `}}`, "F:1.1: Invalid character: \xef"},
		{head + `, "server-tag": "a` + "\t" + `b"}}`, `F:1.67-71 (near 2): Invalid control in "a` + "\t" + `b"`},
		{head + `, "server-tag": "a\qb` + "\n" + `c"}}`, `F:1.67-74 (near 3): Bad escape in "a\qb` + "\n" + `c"`},
		{head + `, "server-tag": "a` + "\x01" + `b\qc"}}`, `F:1.67: Invalid character: "`},
		{head + `, "server-tag": "a\u12g4"}}`, `F:1.67-75 (near 3): Bad escape in "a\u12g4"`},
		{head + `, "t1-percent": .}}`, `F:1.67: Failed to convert . to a floating point.`},
		{head + `, "t1-percent": -.5e-3}}`, ``},
		{head + `, NULL}}`, `F:1.53-56: JSON null reserved keyword is lower case only`},
		{head + `, "valid-lifetime": -}}`, `F:1.71: Failed to convert - to a floating point.`},
		{head + "}}\n\n  # trailing comment without newline", ``},
		{head + "}}\n/* open", `Comment not closed. (/* in line 2`},
	}
	deep := `{"Dhcp4": {"user-context": {"a": ` + strings.Repeat("[", maxDepth) + strings.Repeat("]", maxDepth) + "}}}"
	if _, err := Parse([]byte(deep), "F"); err == nil || err.Error() != "F:1.10031: nesting too deep (more than 10000 levels)" {
		t.Errorf("deep nesting: %v", err)
	}
	dir := t.TempDir()
	_, keaErr := os.Stat("/usr/sbin/kea-dhcp4")
	for i, tc := range tests {
		path := filepath.Join(dir, "l"+strconv.Itoa(i)+".json")
		if err := os.WriteFile(path, []byte(tc.text), 0o644); err != nil {
			t.Fatal(err)
		}
		want := strings.ReplaceAll(tc.want, "F:", path+":")
		got := ""
		if _, err := Load(path); err != nil {
			got = err.Error()
		}
		if got != want {
			t.Errorf("%q:\n got: %q\nwant: %q", tc.text, got, want)
		}
		if keaErr == nil && !testing.Short() && !strings.Contains(want, "\n") {
			if kea := keaCheck(t, "/usr/sbin/kea-dhcp4", path); kea != got {
				t.Errorf("%q: Kea says %q, lessor %q", tc.text, kea, got)
			}
		}
	}
}
