package kjson

import (
	"bytes"
	"testing"
)

// feedByStep is the byte-at-a-time reference: every byte goes through step.
func feedByStep(p []byte) Feed {
	var f Feed
	for _, c := range p {
		if !f.NeedData() {
			break
		}
		f.step(c)
	}
	return f
}

// FuzzFeedChunks checks that Feed.Write, whole or in chunks, ends in the
// same state with the same text and error as the byte-at-a-time reference.
func FuzzFeedChunks(f *testing.F) {
	for _, s := range []string{
		`{ "command": "lease4-get", "arguments": { "ip-address": "10.0.0.1" } }`,
		`  # comment
		/* c */ { "a": "x\"}y", // tail
		"b": [ 1, /* in */ 2 ] } trailing`,
		`[ "\\", "/", "#" ]`, `x`, `/x`, `{ "a": 1 /* unterminated`, `{"s":"\u00e9"}`,
	} {
		f.Add([]byte(s), uint8(1))
		f.Add([]byte(s), uint8(7))
	}
	f.Fuzz(func(t *testing.T, data []byte, chunk uint8) {
		want := feedByStep(data)
		var whole Feed
		whole.Write(data)
		var parts Feed
		n := int(chunk%16) + 1
		for i := 0; i < len(data) && parts.NeedData(); i += n {
			parts.Write(data[i:min(i+n, len(data))])
		}
		for _, got := range []Feed{whole, parts} {
			if got.state != want.state || got.scopes != want.scopes || got.err != want.err || !bytes.Equal(got.out, want.out) {
				t.Fatalf("feed differs for %q (chunk %d):\n got %v %d %q %q\nwant %v %d %q %q",
					data, n, got.state, got.scopes, got.err, got.out, want.state, want.scopes, want.err, want.out)
			}
		}
	})
}
