package memfile

import (
	"encoding/binary"

	"github.com/lessor-dhcp/lessor/internal/kjson"
)

// A record's variable-length data (identifiers, hostname, user context)
// is kept in one string: each field but the last is preceded by its length
// as a uvarint; the last field (the user context's JSON text, "" for none)
// runs to the end. One allocation per lease, no pointers besides it.

// packVD3 packs two identifiers, a hostname and a user context in one
// allocation.
func packVD3(a, b []byte, host string, ctx *kjson.Element) string {
	var ctxs string
	if ctx != nil {
		ctxs = ctx.Str()
	}
	n := len(a) + len(b) + len(host) + len(ctxs) + 3*binary.MaxVarintLen32
	var stack [128]byte
	buf := stack[:0]
	if n > len(stack) {
		buf = make([]byte, 0, n)
	}
	buf = binary.AppendUvarint(buf, uint64(len(a)))
	buf = append(buf, a...)
	buf = binary.AppendUvarint(buf, uint64(len(b)))
	buf = append(buf, b...)
	buf = binary.AppendUvarint(buf, uint64(len(host)))
	buf = append(buf, host...)
	buf = append(buf, ctxs...)
	return string(buf)
}

// vdField returns field i of a packed string of n fields.
func vdField(vd string, i, n int) string {
	for k := 0; ; k++ {
		if k == n-1 {
			return vd
		}
		l, w := uvarintString(vd)
		if k == i {
			return vd[w : w+l]
		}
		vd = vd[w+l:]
	}
}

func uvarintString(s string) (int, int) {
	var x uint64
	var shift uint
	for i := 0; i < len(s); i++ {
		b := s[i]
		if b < 0x80 {
			return int(x | uint64(b)<<shift), i + 1
		}
		x |= uint64(b&0x7f) << shift
		shift += 7
	}
	return 0, len(s)
}

// parseCtx turns a stored user context text back into an element.
func parseCtx(s string) *kjson.Element {
	if s == "" {
		return nil
	}
	e, err := kjson.ParseString([]byte(s))
	if err != nil {
		// The text was produced by Str(); it always parses.
		panic("memfile: stored user context does not parse: " + err.Error())
	}
	return e
}

func bytesOf(s string) []byte {
	if s == "" {
		return nil
	}
	return []byte(s)
}
