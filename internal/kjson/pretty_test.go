package kjson

import "testing"

func TestPretty(t *testing.T) {
	cases := []struct{ in, want string }{
		{`1`, `1`},
		{`"a\"b"`, `"a\"b"`},
		{`[]`, `[ ]`},
		{`{}`, `{ }`},
		{`[1, "x", true]`, `[ 1, "x", true ]`},
		{`{"b": 1, "a": [2, 3]}`, "{\n  \"a\": [ 2, 3 ],\n  \"b\": 1\n}"},
		{`[{"a": {}}, {"b": []}]`, "[\n  {\n    \"a\": { }\n  },\n  {\n    \"b\": [ ]\n  }\n]"},
		{`{"x": [[1], [2, {"y": null}]]}`,
			"{\n  \"x\": [\n    [ 1 ],\n    [ 2, {\n        \"y\": null\n      } ]\n  ]\n}"},
		{`{"r": 0.5, "s": "\u00e9"}`, "{\n  \"r\": 0.5,\n  \"s\": \"\\u00e9\"\n}"},
	}
	for _, c := range cases {
		e, err := ParseString([]byte(c.in))
		if err != nil {
			t.Fatalf("%s: %v", c.in, err)
		}
		if got := e.Pretty(); got != c.want {
			t.Errorf("%s:\ngot:\n%s\nwant:\n%s", c.in, got, c.want)
		}
	}
}
