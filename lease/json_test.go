package lease

import (
	"math/rand/v2"
	"net/netip"
	"strings"
	"testing"

	"github.com/lessor-dhcp/lessor/internal/kjson"
)

func randBytes(r *rand.Rand, max int, nilOK bool) []byte {
	n := r.IntN(max + 1)
	if n == 0 && nilOK && r.IntN(2) == 0 {
		return nil
	}
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.IntN(256))
	}
	return b
}

var hostnames = []string{"", "host-1.example.org", "tab\there", `quote" back\slash`, "\x00\x7f\xc3\xa9", strings.Repeat("x", 300)}

var contexts = []string{"", `{ "a": 1 }`, `{ "z": [ 1, "x\n" ], "b": { "c": null, "a": 1.5 } }`}

func randContext(r *rand.Rand) *kjson.Element {
	s := contexts[r.IntN(len(contexts))]
	if s == "" {
		return nil
	}
	return kjson.MustParse(s)
}

// TestWriteJSONMatchesToElement checks that the direct writers produce the
// bytes of ToElement().Str() for many leases.
func TestWriteJSONMatchesToElement(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for i := range 2000 {
		l4 := &Lease4{
			Addr:     netip.AddrFrom4([4]byte{byte(r.IntN(256)), byte(r.IntN(256)), 0, byte(r.IntN(256))}),
			HWAddr:   randBytes(r, 20, false),
			ClientID: randBytes(r, 40, true),
			ValidLft: r.Uint32(), CLTT: r.Int64() - r.Int64(), SubnetID: r.Uint32(),
			FqdnFwd: r.IntN(2) == 0, FqdnRev: r.IntN(2) == 0,
			Hostname: hostnames[r.IntN(len(hostnames))], State: State(r.IntN(4)),
			UserContext: randContext(r),
		}
		var b strings.Builder
		l4.WriteJSON(&b)
		if want := l4.ToElement().Str(); b.String() != want {
			t.Fatalf("v4 #%d:\n got %s\nwant %s", i, b.String(), want)
		}
		if got := l4.JSONElement().Str(); got != b.String() {
			t.Fatalf("v4 #%d JSONElement: %s", i, got)
		}
		var a16 [16]byte
		for j := range a16 {
			a16[j] = byte(r.IntN(256))
		}
		l6 := &Lease6{
			Addr: netip.AddrFrom16(a16), Type: Type(r.IntN(3)), PrefixLen: uint8(r.IntN(129)),
			IAID: r.Uint32(), DUID: randBytes(r, 130, false), PreferredLft: r.Uint32(), ValidLft: r.Uint32(),
			CLTT: r.Int64(), SubnetID: r.Uint32(), FqdnFwd: r.IntN(2) == 0, FqdnRev: r.IntN(2) == 0,
			Hostname: hostnames[r.IntN(len(hostnames))], HWAddr: randBytes(r, 20, true),
			State: State(r.IntN(4)), UserContext: randContext(r),
		}
		b.Reset()
		l6.WriteJSON(&b)
		if want := l6.ToElement().Str(); b.String() != want {
			t.Fatalf("v6 #%d:\n got %s\nwant %s", i, b.String(), want)
		}
	}
}
