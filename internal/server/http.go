package server

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/lessor-dhcp/lessor/config"
	"github.com/lessor-dhcp/lessor/internal/httpapi"
	"github.com/lessor-dhcp/lessor/internal/kjson"
)

// WithAgentConfig names a Kea Control Agent configuration file
// (kea-ctrl-agent.conf) whose "Control-agent" section lessor serves
// in-process, as a second -c file.
func WithAgentConfig(path string) Option {
	return func(s *Server) { s.agentPath = path }
}

// agentSection returns the Control-agent map to serve: the second file's,
// else the main file's, else nil.
func (s *Server) agentSection() (*kjson.Element, error) {
	if s.agentPath != "" {
		top, err := config.LoadRaw(s.agentPath)
		if err != nil {
			return nil, err
		}
		ca := top.Get("Control-agent")
		if ca == nil {
			return nil, fmt.Errorf("%s: no Control-agent section", s.agentPath)
		}
		return ca, nil
	}
	return s.file.ControlAgent, nil
}

// unixSocketName is the family's UNIX control socket: "control-socket"
// (Kea 2.2), else the first unix entry of "control-sockets" (Kea 2.7+).
func unixSocketName(sc *config.Server) string {
	if sc.ControlSocket != nil && sc.ControlSocket.Name != "" {
		return sc.ControlSocket.Name
	}
	for _, e := range controlSockets(sc) {
		if t := e.Get("socket-type"); t != nil && t.Kind == kjson.String && t.S == "unix" {
			if n := e.Get("socket-name"); n != nil && n.Kind == kjson.String {
				return n.S
			}
		}
	}
	return ""
}

func controlSockets(sc *config.Server) []*kjson.Element {
	l := sc.Raw.Get("control-sockets")
	if l == nil || l.Kind != kjson.List {
		return nil
	}
	return l.L
}

// httpAPIs lists the HTTP listeners to serve.
func (s *Server) httpAPIs() []*httpapi.Server {
	out := append([]*httpapi.Server{}, s.httpSocks...)
	if s.http != nil {
		out = append(out, s.http)
	}
	return out
}

// startHTTPSockets prepares the Kea 2.7+ form: HTTP entries of a family's
// "control-sockets", each answering for that family's service only.
func (s *Server) startHTTPSockets() error {
	for _, f := range s.families {
		for _, e := range controlSockets(f.cfg.Load()) {
			t := e.Get("socket-type")
			if t == nil || t.Kind != kjson.String || (t.S != "http" && t.S != "https") {
				continue
			}
			cfg, err := httpapi.ParseServerSocket(e)
			if err != nil {
				return fmt.Errorf("control-sockets: %w", err)
			}
			api, err := httpapi.New(cfg, map[string]httpapi.Dispatcher{fmt.Sprintf("dhcp%d", f.fam): f.reg}, s.log,
				httpapi.WithVersion(Version, Extended, buildReport()),
				httpapi.WithConfigFile(s.path),
				httpapi.WithShutdown(s.Shutdown))
			if err != nil {
				return err
			}
			if _, err := api.Listen(); err != nil {
				return err
			}
			s.httpSocks = append(s.httpSocks, api)
		}
	}
	return nil
}

// startHTTP prepares the HTTP control API when a Control-agent section is
// configured, and the HTTP control sockets; Serve runs them.
func (s *Server) startHTTP() error {
	if err := s.startHTTPSockets(); err != nil {
		return err
	}
	raw, err := s.agentSection()
	if err != nil || raw == nil {
		return err
	}
	cfg, err := httpapi.ParseConfig(raw)
	if err != nil {
		return fmt.Errorf("Control-agent: %w", err)
	}
	services := map[string]httpapi.Dispatcher{}
	for _, f := range s.families {
		services[fmt.Sprintf("dhcp%d", f.fam)] = f.reg
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(&statsCollector{srv: s})
	cfgFile := s.agentPath
	if cfgFile == "" {
		cfgFile = s.path
	}
	api, err := httpapi.New(cfg, services, s.log,
		httpapi.WithMetrics(reg, reg),
		httpapi.WithVersion(Version, Extended, buildReport()),
		httpapi.WithConfigFile(cfgFile),
		httpapi.WithShutdown(s.Shutdown),
		httpapi.WithReconfigure(s.reconfigureAgent),
	)
	if err != nil {
		return err
	}
	if _, err := api.Listen(); err != nil {
		return err
	}
	s.http = api
	return nil
}

// reconfigureAgent is the agent's config-set (raw: the new Control-agent
// map) and config-reload (raw nil: read the file again).
func (s *Server) reconfigureAgent(_ context.Context, raw *kjson.Element) *kjson.Element {
	var err error
	if raw == nil {
		raw, err = s.agentSection()
	}
	if err == nil && raw == nil {
		err = fmt.Errorf("no Control-agent section")
	}
	var cfg *httpapi.Config
	if err == nil {
		cfg, err = httpapi.ParseConfig(raw)
	}
	if err == nil {
		err = s.http.Apply(cfg)
	}
	if err != nil {
		return answerMap(1, "Config reload failed: "+err.Error())
	}
	return answerMap(0, "Configuration applied successfully.")
}

func answerMap(res int, text string) *kjson.Element {
	m := kjson.NewMap().Set("result", kjson.NewInt(int64(res)))
	return m.Set("text", kjson.NewString(text))
}

// statsCollector exposes the statistics (statistic-get-all's values) as
// Prometheus gauges, and the memfile lease file sizes.
type statsCollector struct{ srv *Server }

var (
	statDesc = prometheus.NewDesc("lessor_statistic", "A server statistic, as statistic-get reports it (current value).",
		[]string{"family", "name", "subnet"}, nil)
	fileDesc = prometheus.NewDesc("lessor_lease_file_bytes", "Size of the memfile lease file.",
		[]string{"family", "path"}, nil)
)

// Describe implements prometheus.Collector.
func (c *statsCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- statDesc
	ch <- fileDesc
}

// Collect implements prometheus.Collector.
func (c *statsCollector) Collect(ch chan<- prometheus.Metric) {
	for _, f := range c.srv.families {
		fam := strconv.Itoa(f.fam)
		for name, v := range f.stats.Snapshot() {
			subnet := ""
			if strings.HasPrefix(name, "subnet[") {
				if i := strings.Index(name, "]."); i > 0 {
					subnet, name = name[len("subnet["):i], name[i+2:]
				}
			}
			ch <- prometheus.MustNewConstMetric(statDesc, prometheus.GaugeValue, float64(v), fam, name, subnet)
		}
		if p, ok := f.own.(interface{ Path() string }); ok && p.Path() != "" {
			if fi, err := os.Stat(p.Path()); err == nil {
				ch <- prometheus.MustNewConstMetric(fileDesc, prometheus.GaugeValue, float64(fi.Size()), fam, p.Path())
			}
		}
	}
}
