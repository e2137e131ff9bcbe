// Package stats keeps named statistics the way Kea's StatsMgr does: each
// statistic is a list of samples (value, time), newest first, bounded by a
// sample count (20 by default) or a sample age, and the statistic-* control
// commands read and change them.
package stats

import (
	"sort"
	"strconv"
	"sync"
	"time"

	"github.com/lessor-dhcp/lessor/internal/kjson"
)

type sample struct {
	v  int64
	at time.Time
}

type observation struct {
	samples  []sample // newest first
	maxCount int      // > 0: bound by count
	maxAge   time.Duration
}

func (o *observation) current() int64 {
	if len(o.samples) == 0 {
		return 0
	}
	return o.samples[0].v
}

func (o *observation) push(v int64, now time.Time) {
	if len(o.samples) == 0 {
		o.samples = append(o.samples, sample{v, now})
		return
	}
	o.samples = append(o.samples, sample{})
	copy(o.samples[1:], o.samples)
	o.samples[0] = sample{v, now}
	if o.maxCount > 0 {
		if len(o.samples) > o.maxCount {
			o.samples = o.samples[:len(o.samples)-1]
		}
		return
	}
	for len(o.samples) > 1 && o.samples[0].at.Sub(o.samples[len(o.samples)-1].at) > o.maxAge {
		o.samples = o.samples[:len(o.samples)-1]
	}
}

// Registry holds the statistics of one server. It is safe for concurrent use.
type Registry struct {
	mu           sync.Mutex
	obs          map[string]*observation
	defaultCount int
	defaultAge   time.Duration
	now          func() time.Time
}

// New returns an empty registry with Kea's defaults (20 samples).
func New() *Registry {
	return &Registry{obs: map[string]*observation{}, defaultCount: 20, now: time.Now}
}

// SubnetName returns "subnet[id].name", Kea's per-subnet statistic name.
func SubnetName(id uint32, name string) string {
	return "subnet[" + strconv.FormatUint(uint64(id), 10) + "]." + name
}

func (r *Registry) get(name string) *observation {
	o := r.obs[name]
	if o == nil {
		o = &observation{maxCount: r.defaultCount, maxAge: r.defaultAge}
		r.obs[name] = o
	}
	return o
}

// Set records a new value, creating the statistic if needed.
func (r *Registry) Set(name string, v int64) {
	r.mu.Lock()
	r.get(name).push(v, r.now())
	r.mu.Unlock()
}

// Add adds delta to the current value (a new sample), creating the
// statistic if needed.
func (r *Registry) Add(name string, delta int64) {
	r.mu.Lock()
	o := r.get(name)
	o.push(o.current()+delta, r.now())
	r.mu.Unlock()
}

// Value returns the current value and whether the statistic exists.
func (r *Registry) Value(name string) (int64, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	o := r.obs[name]
	if o == nil {
		return 0, false
	}
	return o.current(), true
}

// Remove deletes a statistic; false if there was none.
func (r *Registry) Remove(name string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.obs[name] == nil {
		return false
	}
	delete(r.obs, name)
	return true
}

// RemoveAll deletes every statistic.
func (r *Registry) RemoveAll() {
	r.mu.Lock()
	r.obs = map[string]*observation{}
	r.mu.Unlock()
}

// Reset sets a statistic back to a single sample of 0; false if absent.
func (r *Registry) Reset(name string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	o := r.obs[name]
	if o == nil {
		return false
	}
	o.samples = o.samples[:0]
	o.push(0, r.now())
	return true
}

// ResetAll resets every statistic.
func (r *Registry) ResetAll() {
	r.mu.Lock()
	defer r.mu.Unlock()
	now := r.now()
	for _, o := range r.obs {
		o.samples = o.samples[:0]
		o.push(0, now)
	}
}

// SetMaxCount bounds one statistic by sample count; false if absent.
func (r *Registry) SetMaxCount(name string, n int) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	o := r.obs[name]
	if o == nil {
		return false
	}
	o.setCount(n)
	return true
}

func (o *observation) setCount(n int) {
	o.maxCount = n
	if len(o.samples) > n {
		o.samples = o.samples[:n]
	}
}

func (o *observation) setAge(d time.Duration) {
	o.maxCount = 0
	o.maxAge = d
	for len(o.samples) > 1 && o.samples[0].at.Sub(o.samples[len(o.samples)-1].at) > d {
		o.samples = o.samples[:len(o.samples)-1]
	}
}

// SetMaxAge bounds one statistic by sample age; false if absent.
func (r *Registry) SetMaxAge(name string, d time.Duration) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	o := r.obs[name]
	if o == nil {
		return false
	}
	o.setAge(d)
	return true
}

// SetMaxCountAll bounds every statistic, and new ones, by count.
func (r *Registry) SetMaxCountAll(n int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.defaultCount = n
	for _, o := range r.obs {
		o.setCount(n)
	}
}

// SetMaxAgeAll bounds every statistic, and new ones, by age.
func (r *Registry) SetMaxAgeAll(d time.Duration) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.defaultCount = 0
	r.defaultAge = d
	for _, o := range r.obs {
		o.setAge(d)
	}
}

// Names lists the statistics, sorted.
func (r *Registry) Names() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	names := make([]string, 0, len(r.obs))
	for n := range r.obs {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// clockText formats a sample time as Kea's clockToText does.
func clockText(t time.Time) string {
	return t.Format("2006-01-02 15:04:05.000000")
}

func (o *observation) json() *kjson.Element {
	l := kjson.NewList()
	for _, s := range o.samples {
		l.Add(kjson.NewList(kjson.NewInt(s.v), kjson.NewString(clockText(s.at))))
	}
	return l
}

// Get returns {name: samples} or an empty map when the statistic is absent.
func (r *Registry) Get(name string) *kjson.Element {
	r.mu.Lock()
	defer r.mu.Unlock()
	m := kjson.NewMap()
	if o := r.obs[name]; o != nil {
		m.Set(name, o.json())
	}
	return m
}

// GetAll returns every statistic with its samples.
func (r *Registry) GetAll() *kjson.Element {
	r.mu.Lock()
	defer r.mu.Unlock()
	m := kjson.NewMap()
	for n, o := range r.obs {
		m.Set(n, o.json())
	}
	return m
}

// Snapshot returns the current value of every statistic (for metrics).
func (r *Registry) Snapshot() map[string]int64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make(map[string]int64, len(r.obs))
	for n, o := range r.obs {
		out[n] = o.current()
	}
	return out
}

// SetDefaultCount sets the sample count new statistics get (0: they are
// bounded by age instead), as the statistic-default-sample-count setting.
func (r *Registry) SetDefaultCount(n int) {
	r.mu.Lock()
	r.defaultCount = n
	r.mu.Unlock()
}

// SetDefaultAge sets the sample age limit new age-bounded statistics get.
func (r *Registry) SetDefaultAge(d time.Duration) {
	r.mu.Lock()
	r.defaultAge = d
	r.mu.Unlock()
}
