package stats

import (
	"testing"
	"time"
)

func values(r *Registry, name string) []int64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []int64
	for _, s := range r.obs[name].samples {
		out = append(out, s.v)
	}
	return out
}

func equal(a, b []int64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestSamples(t *testing.T) {
	tests := []struct {
		name string
		do   func(r *Registry)
		want []int64 // newest first
	}{
		{"add creates and pushes", func(r *Registry) { r.Add("x", 1); r.Add("x", 2) }, []int64{3, 1}},
		{"set pushes", func(r *Registry) { r.Set("x", 5); r.Set("x", 0) }, []int64{0, 5}},
		{"reset keeps one sample", func(r *Registry) { r.Set("x", 5); r.Set("x", 6); r.Reset("x") }, []int64{0}},
		{"count bound", func(r *Registry) {
			r.SetDefaultCount(3)
			for i := int64(1); i <= 5; i++ {
				r.Set("x", i)
			}
		}, []int64{5, 4, 3}},
		{"count bound applied to existing", func(r *Registry) {
			for i := int64(1); i <= 5; i++ {
				r.Set("x", i)
			}
			r.SetMaxCountAll(2)
		}, []int64{5, 4}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := New()
			tc.do(r)
			if got := values(r, "x"); !equal(got, tc.want) {
				t.Errorf("samples = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestAgeBound(t *testing.T) {
	r := New()
	now := time.Unix(1000, 0)
	r.now = func() time.Time { return now }
	r.SetMaxAgeAll(10 * time.Second)
	r.Set("x", 1)
	now = now.Add(5 * time.Second)
	r.Set("x", 2)
	now = now.Add(20 * time.Second)
	r.Set("x", 3)
	if got := values(r, "x"); !equal(got, []int64{3}) {
		t.Errorf("samples = %v, want [3]", got)
	}
}

func TestGetText(t *testing.T) {
	r := New()
	r.now = func() time.Time { return time.Date(2026, 1, 2, 3, 4, 5, 6000, time.UTC) }
	r.Set("subnet[1].assigned-addresses", 2)
	want := `{ "subnet[1].assigned-addresses": [ [ 2, "2026-01-02 03:04:05.000006" ] ] }`
	if got := r.Get("subnet[1].assigned-addresses").Str(); got != want {
		t.Errorf("Get = %s, want %s", got, want)
	}
	if got := r.Get("missing").Str(); got != "{  }" {
		t.Errorf("Get(missing) = %s", got)
	}
	if r.Remove("missing") || r.Reset("missing") || r.SetMaxCount("missing", 1) {
		t.Error("operations on a missing statistic must report false")
	}
}

func TestSubnetName(t *testing.T) {
	if got := SubnetName(44, "total-addresses"); got != "subnet[44].total-addresses" {
		t.Errorf("SubnetName = %s", got)
	}
}
