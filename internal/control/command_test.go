package control

import (
	"context"
	"errors"
	"testing"

	"github.com/lessor-dhcp/lessor/internal/kjson"
)

func TestHandleWire(t *testing.T) {
	r := NewRegistry()
	r.Register("echo", func(_ context.Context, c *Command) (*kjson.Element, error) {
		return Answer(0, "", c.Args), nil
	})
	r.Register("fails", func(context.Context, *Command) (*kjson.Element, error) {
		return nil, errors.New("boom")
	})
	r.Register("panics", func(context.Context, *Command) (*kjson.Element, error) {
		panic("bad state")
	})
	tests := []struct{ in, want string }{
		{`{"command": "echo", "arguments": {"a": 1}}`, `{ "arguments": { "a": 1 }, "result": 0 }`},
		{`{"command": "echo", "service": ["dhcp4"], "remote-address": "::1"}`, `{ "result": 0 }`},
		{`{"command": "nope"}`, `{ "result": 2, "text": "'nope' command not supported." }`},
		{`{"command": "fails"}`, `{ "result": 1, "text": "Error during command processing: boom" }`},
		{`{"command": "panics"}`, `{ "result": 1, "text": "Error during command processing: internal error in 'panics': bad state" }`},
		{`{"command": "echo", "foo": 1}`, `{ "result": 1, "text": "Error during command processing: Received command contains unsupported parameter 'foo'" }`},
		{`{"command": 42}`, `{ "result": 1, "text": "Error during command processing: 'command' element in command message is not a string" }`},
		{`{"arguments": {}}`, `{ "result": 1, "text": "Error during command processing: Invalid answer specified, does not contain mandatory 'command'" }`},
		{`[1, 2]`, `{ "result": 1, "text": "Error during command processing: Invalid command Element specified, expected map" }`},
		{`{ "command": "echo" "arguments": {} }`, `{ "result": 1, "text": "'\"' read, one of \",}\" expected in <wire>:0:21" }`},
	}
	for _, tc := range tests {
		if got := r.HandleWire(context.Background(), []byte(tc.in)).Str(); got != tc.want {
			t.Errorf("HandleWire(%s) = %s, want %s", tc.in, got, tc.want)
		}
	}
	if got := r.Commands(); len(got) != 3 || got[0] != "echo" || got[1] != "fails" {
		t.Errorf("Commands() = %v", got)
	}
}
