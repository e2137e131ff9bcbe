package httpapi

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/lessor-dhcp/lessor/internal/kjson"
)

// apiMetrics counts commands served over HTTP.
type apiMetrics struct {
	commands *prometheus.CounterVec
	latency  *prometheus.HistogramVec
}

func newAPIMetrics(r prometheus.Registerer) *apiMetrics {
	m := &apiMetrics{
		commands: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "lessor", Subsystem: "http_api", Name: "commands_total",
			Help: "Control commands answered over HTTP, by command, service (empty: the agent) and result code.",
		}, []string{"command", "service", "result"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: "lessor", Subsystem: "http_api", Name: "command_duration_seconds",
			Help:    "Time to answer a control command over HTTP, by command and service.",
			Buckets: prometheus.ExponentialBuckets(0.0001, 4, 10),
		}, []string{"command", "service"}),
	}
	for _, c := range []prometheus.Collector{m.commands, m.latency} {
		if err := r.Register(c); err != nil {
			if are, ok := err.(prometheus.AlreadyRegisteredError); ok {
				switch v := are.ExistingCollector.(type) {
				case *prometheus.CounterVec:
					m.commands = v
				case *prometheus.HistogramVec:
					m.latency = v
				}
			}
		}
	}
	return m
}

// knownCommand keeps label cardinality bounded: names a client invents
// are counted as "other".
func knownCommand(name string) string {
	if len(name) > 40 {
		return "other"
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			return "other"
		}
	}
	return name
}

func (m *apiMetrics) observe(command, service string, a *kjson.Element, d time.Duration) {
	if m == nil {
		return
	}
	result := "none"
	if r := a.Get("result"); r != nil && r.Kind == kjson.Int {
		switch r.I {
		case 0, 1, 2, 3, 4:
			result = string(rune('0' + r.I))
		default:
			result = "other"
		}
	}
	if a.Kind == kjson.Map && result == "2" {
		command = "unsupported"
	}
	command = knownCommand(command)
	m.commands.WithLabelValues(command, service, result).Inc()
	m.latency.WithLabelValues(command, service).Observe(d.Seconds())
}
