package kjson

import (
	"bufio"
	"io"
	"testing"
)

var (
	benchAdd4 = []byte(`{ "command": "lease4-add", "arguments": { "ip-address": "10.0.0.1", "hw-address": "02:00:00:00:00:01", "subnet-id": 1, "hostname": "host-1.example.org", "valid-lft": 86400, "fqdn-fwd": false, "fqdn-rev": false } }`)
	benchGet6 = []byte(`{"command":"lease6-get","arguments":{"duid":"00:03:00:01:02:00:00:00:00:01","iaid":2,"type":"IA_NA","subnet-id":1}}`)
)

func BenchmarkParseWire(b *testing.B) {
	for _, tc := range []struct {
		name string
		data []byte
	}{{"lease4-add", benchAdd4}, {"lease6-get", benchGet6}} {
		b.Run(tc.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(tc.data)))
			for b.Loop() {
				if _, err := ParseWire(tc.data); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkFeed(b *testing.B) {
	b.ReportAllocs()
	b.SetBytes(int64(len(benchAdd4)))
	for b.Loop() {
		var f Feed
		f.Write(benchAdd4)
		if !f.OK() {
			b.Fatal(f.Err())
		}
	}
}

func BenchmarkWrite(b *testing.B) {
	e := MustParse(string(benchAdd4))
	w := bufio.NewWriterSize(io.Discard, 32<<10)
	b.ReportAllocs()
	for b.Loop() {
		e.Write(w)
	}
	w.Flush()
}

func BenchmarkWriteString(b *testing.B) {
	w := bufio.NewWriterSize(io.Discard, 32<<10)
	b.ReportAllocs()
	for b.Loop() {
		WriteString(w, "host-1.example.org")
		WriteString(w, "tab\there, \"quoted\" \x01")
	}
	w.Flush()
}
