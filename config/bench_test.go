package config

import (
	"fmt"
	"net/netip"
	"strings"
	"testing"
)

// bigConfig returns a Dhcp4 file with n subnets, each with two pools and
// a comment.
func bigConfig(n int) []byte {
	var b strings.Builder
	b.WriteString(`{"Dhcp4": {"interfaces-config": {"interfaces": []}, "subnet4": [`)
	for i := 0; i < n; i++ {
		if i > 0 {
			b.WriteString(",\n")
		}
		fmt.Fprintf(&b, `{"id": %d, "subnet": "10.%d.%d.0/24", // subnet %d
  "pools": [{"pool": "10.%d.%d.10 - 10.%d.%d.99"}, {"pool": "10.%d.%d.128/26"}], "valid-lifetime": 3600}`,
			i+1, i/256, i%256, i, i/256, i%256, i/256, i%256, i/256, i%256)
	}
	b.WriteString("]}}")
	return []byte(b.String())
}

func BenchmarkParse(b *testing.B) {
	for _, n := range []int{10, 1000} {
		data := bigConfig(n)
		b.Run(fmt.Sprintf("subnets=%d", n), func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			for i := 0; i < b.N; i++ {
				if _, err := Parse(data, "bench.json"); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkSelectSubnet(b *testing.B) {
	f, err := Parse(bigConfig(1000), "bench.json")
	if err != nil {
		b.Fatal(err)
	}
	addr := netip.MustParseAddr("10.3.200.50")
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if f.Dhcp4.SelectSubnet(addr) == nil {
			b.Fatal("no subnet")
		}
	}
}

func TestBigConfig(t *testing.T) {
	f, err := Parse(bigConfig(1000), "big.json")
	if err != nil {
		t.Fatal(err)
	}
	if n := len(f.Dhcp4.Subnets); n != 1000 {
		t.Fatalf("%d subnets", n)
	}
	if sub := f.Dhcp4.SelectSubnet(netip.MustParseAddr("10.3.200.50")); sub == nil || sub.ID != 3*256+200+1 {
		t.Fatalf("selected %+v", sub)
	}
}
