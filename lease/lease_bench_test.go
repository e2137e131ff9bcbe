package lease

import (
	"bufio"
	"io"
	"net/netip"
	"testing"

	"github.com/lessor-dhcp/lessor/internal/kjson"
)

func benchLease4() *Lease4 {
	return &Lease4{
		Addr: netip.MustParseAddr("10.0.0.1"), HWAddr: []byte{2, 0, 0, 0, 0, 1},
		ValidLft: 86400, CLTT: 1764200000, SubnetID: 1, Hostname: "host-1.example.org",
	}
}

func benchLease6() *Lease6 {
	return &Lease6{
		Addr: netip.MustParseAddr("2001:db8::1"), Type: TypeNA, PrefixLen: 128, IAID: 2,
		DUID: []byte{0, 3, 0, 1, 2, 0, 0, 0, 0, 1}, PreferredLft: 43200, ValidLft: 86400,
		CLTT: 1764200000, SubnetID: 1, Hostname: "host-1.example.org",
	}
}

// BenchmarkToElement measures a lease's answer encoding: ToElement and
// Kea's compact text written through a buffered writer.
func BenchmarkToElement(b *testing.B) {
	w := bufio.NewWriterSize(io.Discard, 32<<10)
	for _, tc := range []struct {
		name string
		elem func() *kjson.Element
	}{
		{"v4", benchLease4().ToElement},
		{"v6", benchLease6().ToElement},
	} {
		b.Run(tc.name+"/build", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				tc.elem()
			}
		})
		b.Run(tc.name+"/build+write", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				tc.elem().Write(w)
			}
			w.Flush()
		})
	}
}

// BenchmarkWriteJSON measures the direct writer that answers use instead of
// ToElement+Write.
func BenchmarkWriteJSON(b *testing.B) {
	w := bufio.NewWriterSize(io.Discard, 32<<10)
	l4, l6 := benchLease4(), benchLease6()
	b.Run("v4", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			l4.WriteJSON(w)
		}
		w.Flush()
	})
	b.Run("v6", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			l6.WriteJSON(w)
		}
		w.Flush()
	})
}

func BenchmarkFormatHex(b *testing.B) {
	duid := []byte{0, 3, 0, 1, 2, 0, 0, 0, 0, 1}
	b.ReportAllocs()
	for b.Loop() {
		FormatHex(duid)
	}
}

// BenchmarkPageAnswer writes the lease list of a 1000-lease get-page
// answer, built as element trees (ToElement) and as direct writers
// (JSONElement), as the lease commands now do.
func BenchmarkPageAnswer(b *testing.B) {
	ls := make([]*Lease4, 1000)
	for i := range ls {
		l := benchLease4()
		l.Addr = netip.AddrFrom4([4]byte{10, 0, byte(i >> 8), byte(i)})
		ls[i] = l
	}
	w := bufio.NewWriterSize(io.Discard, 32<<10)
	for _, tc := range []struct {
		name string
		elem func(*Lease4) *kjson.Element
	}{
		{"element-tree", (*Lease4).ToElement},
		{"direct", (*Lease4).JSONElement},
	} {
		b.Run(tc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				items := make([]*kjson.Element, 0, len(ls))
				for _, l := range ls {
					items = append(items, tc.elem(l))
				}
				kjson.NewList(items...).Write(w)
			}
			w.Flush()
		})
	}
}
