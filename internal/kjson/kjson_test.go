package kjson

import (
	"strings"
	"testing"
)

func TestParseWireErrors(t *testing.T) {
	// Texts as Kea 2.2 answers them on its control socket.
	tests := []struct {
		in, want string
	}{
		{`{ "command": "lease4-get", "arguments": { "ip-address": "192.0.2.30" }, }`, "String expected in <wire>:0:73"},
		{`{ "command": "lease4-get" "arguments": {} }`, `'"' read, one of ",}" expected in <wire>:0:27`},
		{`{"a": tru}`, "Bad boolean value: tru in <wire>:0:6"},
		{`{"a": nul}`, "Bad null value: nul in <wire>:0:6"},
		{`{"a": 99999999999999999999}`, "Number overflow: 99999999999999999999 in <wire>:0:6"},
		{`{"a": "\x"}`, "Bad escape in <wire>:0:8"},
		{`{"a": "\u0100"}`, "Unsupported unicode escape in <wire>:0:8"},
		{`{"a": "abc`, "Unterminated string in <wire>:0:11"},
		{`{"a" 1}`, `'1' read, one of ":" expected in <wire>:0:6`},
		{`{"a": @}`, "error: unexpected character @ in <wire>:0:7"},
		{`{`, "Unterminated map, <string> or } expected in <wire>:0:1"},
		{`[1, 2`, `EOF read, one of ",]" expected in <wire>:0:6`},
	}
	for _, tc := range tests {
		_, err := ParseWire([]byte(tc.in))
		if err == nil || err.Error() != tc.want {
			t.Errorf("ParseWire(%q) = %v, want %q", tc.in, err, tc.want)
		}
	}
}

func TestPositions(t *testing.T) {
	e, err := ParseWire([]byte(`{"command":"lease4-add","arguments":{"ip-address":"192.0.2.30"}}`))
	if err != nil {
		t.Fatal(err)
	}
	if got := e.Get("arguments").Pos.String(); got != "<wire>:0:37" {
		t.Errorf("arguments at %s, want <wire>:0:37", got)
	}
}

func TestStr(t *testing.T) {
	tests := []struct{ in, want string }{
		{`{"b": [1, 2.5, true, null], "a": "x\"y"}`, `{ "a": "x\"y", "b": [ 1, 2.5, true, null ] }`},
		{`{}`, `{  }`},
		{`[]`, `[  ]`},
		{`{"a": 1.0}`, `{ "a": 1.0 }`},
		{`{"a": 1e6}`, `{ "a": 1e+06.0 }`},
		{"{\"a\": \"\u00e9\\t\"}", `{ "a": "\u00c3\u00a9\t" }`},
	}
	for _, tc := range tests {
		e, err := ParseString([]byte(tc.in))
		if err != nil {
			t.Fatalf("%s: %v", tc.in, err)
		}
		if got := e.Str(); got != tc.want {
			t.Errorf("Str(%s) = %s, want %s", tc.in, got, tc.want)
		}
	}
}

func TestFeed(t *testing.T) {
	tests := []struct {
		in   string
		ok   bool
		text string
		err  string
	}{
		{`{"a": 1} trailing`, true, `{"a": 1}`, ""},
		{"  # comment\n{\"a\": /* c */ 1}", true, `{"a":  1}`, ""},
		{`this is not json}`, false, "", "invalid first character t"},
		{` "x"`, false, "", `invalid character "`},
		{`{"a": "}"}`, true, `{"a": "}"}`, ""},
		{`/x`, false, "", "invalid characters /x"},
	}
	for _, tc := range tests {
		var f Feed
		f.Write([]byte(tc.in))
		if f.OK() != tc.ok || (tc.ok && string(f.Text()) != tc.text) || f.Err() != tc.err {
			t.Errorf("Feed(%q): ok=%v text=%q err=%q", tc.in, f.OK(), f.Text(), f.Err())
		}
	}
	var f Feed
	f.Write([]byte(`{"a":`))
	if !f.NeedData() {
		t.Error("incomplete command should need data")
	}
}

func FuzzParseWire(f *testing.F) {
	for _, s := range []string{`{"command":"lease4-get","arguments":{"ip-address":"192.0.2.1"}}`, `[1,2,{"a":null}]`, `{"a":"\u00ff"}`, `{`, `-1.5e3`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		e, err := ParseWire(data)
		if err != nil || hasReal(e) {
			// Reals are written as Kea writes them ("1e+06.0"), which
			// neither Kea nor lessor reads back.
			return
		}
		// What Kea writes, Kea reads back to an equal value.
		back, err := ParseString([]byte(e.Str()))
		if err != nil {
			t.Fatalf("re-parse of %q: %v", e.Str(), err)
		}
		if !back.Equal(e) {
			t.Fatalf("round trip changed %q to %q", e.Str(), back.Str())
		}
	})
}

func hasReal(e *Element) bool {
	if e.Kind == Real {
		return true
	}
	for _, v := range e.L {
		if hasReal(v) {
			return true
		}
	}
	for _, v := range e.M {
		if hasReal(v) {
			return true
		}
	}
	return false
}

func FuzzFeed(f *testing.F) {
	f.Add([]byte(`# c
{"a": [1, "]", /* x */ 2]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var fd Feed
		n := fd.Write(data)
		if n > len(data) {
			t.Fatal("consumed more than given")
		}
	})
}

func TestMaxDepth(t *testing.T) {
	deep := make([]byte, 0, 2*MaxDepth+2)
	for i := 0; i <= MaxDepth; i++ {
		deep = append(deep, '[')
	}
	if _, err := ParseWire(deep); err == nil || !strings.Contains(err.Error(), "maximum nesting depth") {
		t.Errorf("nesting past MaxDepth: %v", err)
	}
	ok := append([]byte{}, deep[:MaxDepth]...)
	for i := 0; i < MaxDepth; i++ {
		ok = append(ok, ']')
	}
	if _, err := ParseWire(ok); err != nil {
		t.Errorf("nesting of MaxDepth: %v", err)
	}
}
