package httpapi

import (
	"context"
	"os"
	"time"

	"github.com/lessor-dhcp/lessor/internal/kjson"
)

// The agent's own commands, answered without a "service".
var agentCommands = []string{"build-report", "config-get", "config-reload", "config-set",
	"config-test", "config-write", "list-commands", "shutdown", "status-get", "version-get"}

const noServiceHint = " You did not include \"service\" parameter in the command," +
	" which indicates that Kea Control Agent should process this" +
	" command rather than forward it to one or more Kea servers. If you" +
	" aimed to send this command to one of the Kea servers you" +
	" should include the \"service\" parameter in your request, e.g." +
	" \"service\": [ \"dhcp4\" ] to forward the command to the DHCPv4" +
	" server, or \"service\": [ \"dhcp4\", \"dhcp6\", \"d2\" ] to forward it to" +
	" DHCPv4, DHCPv6 and D2 servers etc."

// typeError is Kea's TypeError text for a wrong-kind element.
func typeError(what string, e *kjson.Element) *kjson.Element {
	msg := what
	if e.Pos.File != "" || e.Pos.Line != 0 || e.Pos.Col != 0 {
		msg += " in (" + e.Pos.String() + ")"
	}
	return answer(1, "Error during command processing: "+msg)
}

func (s *Server) agentCommand(ctx context.Context, name string, args *kjson.Element) *kjson.Element {
	switch name {
	case "list-commands":
		l := kjson.NewList()
		for _, c := range agentCommands {
			l.Add(kjson.NewString(c))
		}
		return kjson.NewMap().Set("result", kjson.NewInt(0)).Set("arguments", l)
	case "version-get":
		a := answer(0, s.version)
		return a.Set("arguments", kjson.NewMap().Set("extended", kjson.NewString(s.extended)))
	case "build-report":
		return answer(0, s.report)
	case "status-get":
		up := int64(time.Since(s.started) / time.Second)
		st := kjson.NewMap().Set("pid", kjson.NewInt(int64(os.Getpid()))).
			Set("uptime", kjson.NewInt(up)).Set("reload", kjson.NewInt(up))
		return kjson.NewMap().Set("result", kjson.NewInt(0)).Set("arguments", st)
	case "config-get":
		return kjson.NewMap().Set("result", kjson.NewInt(0)).Set("arguments", s.cur.Load().cfg.ToElement())
	case "config-write":
		return s.configWrite(args)
	case "config-test", "config-set":
		msg := ""
		var mod *kjson.Element
		switch {
		case args == nil:
			msg = "Missing mandatory 'arguments' parameter."
		case args.Kind != kjson.Map:
			return typeError("get(string) called on a non-map Element", args)
		default:
			mod = args.Get("Control-agent")
			if mod == nil {
				msg = "Missing mandatory 'Control-agent' parameter."
			} else if mod.Kind != kjson.Map {
				msg = "'Control-agent' parameter expected to be a map."
			}
		}
		if msg == "" && name == "config-test" {
			for _, k := range args.Keys() {
				if k == "Control-agent" {
					continue
				}
				if msg == "" {
					msg = "'arguments' parameter contains unsupported '" + k + "' parameter"
				} else {
					msg += " (and '" + k + "')"
				}
			}
		}
		if msg != "" {
			return answer(1, msg)
		}
		if _, err := ParseConfig(mod); err != nil {
			return answer(1, err.Error())
		}
		if name == "config-test" {
			return answer(0, "Configuration check successful")
		}
		if s.reconfigure == nil {
			return answer(1, "Configuration parsing failed: changing the control agent's configuration at run time is not enabled")
		}
		return s.reconfigure(ctx, mod)
	case "config-reload":
		if s.reconfigure == nil {
			return answer(1, "Configuration parsing failed: changing the control agent's configuration at run time is not enabled")
		}
		return s.reconfigure(ctx, nil)
	case "shutdown":
		exit := 0
		if args != nil {
			if args.Kind != kjson.Map {
				return answer(1, "Argument must be a map")
			}
			if p := args.Get("exit-value"); p != nil {
				if p.Kind != kjson.Int {
					return answer(1, "parameter 'exit-value' is not an integer")
				}
				exit = int(p.I)
			}
		}
		if s.shutdown != nil {
			s.shutdown(exit)
		} else {
			s.mu.Lock()
			stop := s.stop
			s.mu.Unlock()
			if stop != nil {
				// Let this answer go out before the listener closes.
				time.AfterFunc(100*time.Millisecond, stop)
			}
		}
		return answer(0, "Control Agent is shutting down")
	}
	return answer(2, "'"+name+"' command not supported."+noServiceHint)
}

func (s *Server) configWrite(args *kjson.Element) *kjson.Element {
	filename := ""
	if args != nil {
		if args.Kind != kjson.Map {
			return answer(1, "Argument must be a map")
		}
		if f := args.Get("filename"); f != nil {
			if f.Kind != kjson.String {
				return answer(1, "passed parameter 'filename' is not a string")
			}
			filename = f.S
		}
	}
	if filename == "" {
		filename = s.configFile
		if filename == "" {
			return answer(1, "Unable to determine filename.Please specify filename explicitly.")
		}
	}
	text := prettyJSON(s.cur.Load().cfg.ToElement())
	if err := os.WriteFile(filename, []byte(text), 0o600); err != nil {
		return answer(1, "Error during write-config:Unable to open file "+filename+" for writing")
	}
	a := answer(0, "Configuration written to "+filename+" successful")
	return a.Set("arguments", kjson.NewMap().Set("filename", kjson.NewString(filename)).Set("size", kjson.NewInt(int64(len(text)))))
}

// ToElement returns the configuration as the agent's config-get shows it.
func (c *Config) ToElement() *kjson.Element {
	ca := kjson.NewMap()
	if c.UserContext != nil {
		ca.Set("user-context", c.UserContext)
	}
	if c.Mode == ModeServer {
		ca.Set("socket-type", kjson.NewString(c.SocketType))
		ca.Set("socket-address", kjson.NewString(c.Host))
		ca.Set("socket-port", kjson.NewInt(int64(c.Port)))
	} else {
		ca.Set("http-host", kjson.NewString(c.Host))
		ca.Set("http-port", kjson.NewInt(int64(c.Port)))
	}
	if c.TrustAnchor != "" {
		ca.Set("trust-anchor", kjson.NewString(c.TrustAnchor))
		ca.Set("cert-file", kjson.NewString(c.CertFile))
		ca.Set("key-file", kjson.NewString(c.KeyFile))
		ca.Set("cert-required", kjson.NewBool(c.CertRequired))
	}
	if c.Auth != nil {
		ca.Set("authentication", c.Auth.toElement())
	}
	if c.Mode == ModeServer {
		if len(c.HTTPHeaders) > 0 {
			hh := kjson.NewList()
			for _, h := range c.HTTPHeaders {
				hh.Add(kjson.NewMap().Set("name", kjson.NewString(h.Name)).Set("value", kjson.NewString(h.Value)))
			}
			ca.Set("http-headers", hh)
		}
		return ca
	}
	ca.Set("hooks-libraries", kjson.NewList())
	socks := kjson.NewMap()
	for name, si := range c.Sockets {
		m := kjson.NewMap()
		if si.UserContext != nil {
			m.Set("user-context", si.UserContext)
		}
		m.Set("socket-name", kjson.NewString(si.Name)).Set("socket-type", kjson.NewString(si.Type))
		socks.Set(name, m)
	}
	ca.Set("control-sockets", socks)
	if c.Loggers != nil {
		ca.Set("loggers", loggersElement(c.Loggers))
	}
	return kjson.NewMap().Set("Control-agent", ca)
}

func (a *AuthConfig) toElement() *kjson.Element {
	m := kjson.NewMap()
	if a.UserContext != nil {
		m.Set("user-context", a.UserContext)
	}
	m.Set("type", kjson.NewString("basic")).Set("realm", kjson.NewString(a.Realm)).
		Set("directory", kjson.NewString(a.Directory))
	cl := kjson.NewList()
	for _, c := range a.Clients {
		e := kjson.NewMap()
		if c.UserContext != nil {
			e.Set("user-context", c.UserContext)
		}
		if c.PasswordFile != "" {
			e.Set("password-file", kjson.NewString(c.PasswordFile))
		} else {
			e.Set("password", kjson.NewString(c.Password))
		}
		if !c.PasswordFileOnly {
			if c.UserFile != "" {
				e.Set("user-file", kjson.NewString(c.UserFile))
			} else {
				e.Set("user", kjson.NewString(c.User))
			}
		}
		cl.Add(e)
	}
	m.Set("clients", cl)
	return m
}

// loggersElement shows loggers with the defaults Kea fills in.
func loggersElement(raw *kjson.Element) *kjson.Element {
	out := kjson.NewList()
	for _, l := range raw.L {
		if l.Kind != kjson.Map {
			out.Add(l)
			continue
		}
		m := l.Copy()
		if c := m.Get("comment"); c != nil {
			uc := m.Get("user-context")
			if uc == nil {
				uc = kjson.NewMap()
			}
			uc.Set("comment", c)
			m.Set("user-context", uc)
			m.Remove("comment")
		}
		if !m.Contains("severity") {
			m.Set("severity", kjson.NewString("INFO"))
		}
		if !m.Contains("debuglevel") {
			m.Set("debuglevel", kjson.NewInt(0))
		}
		if oo := m.Get("output_options"); oo != nil && oo.Kind == kjson.List {
			for _, o := range oo.L {
				if o.Kind != kjson.Map {
					continue
				}
				if !o.Contains("flush") {
					o.Set("flush", kjson.NewBool(true))
				}
				if !o.Contains("pattern") {
					o.Set("pattern", kjson.NewString(""))
				}
				out := o.Get("output")
				if out != nil && out.Kind == kjson.String && out.S != "stdout" && out.S != "stderr" &&
					out.S != "syslog" && !hasPrefix(out.S, "syslog:") {
					if !o.Contains("maxver") {
						o.Set("maxver", kjson.NewInt(1))
					}
					if !o.Contains("maxsize") {
						o.Set("maxsize", kjson.NewInt(10240000))
					}
				}
			}
		}
		out.Add(m)
	}
	return out
}

func hasPrefix(s, p string) bool { return len(s) >= len(p) && s[:len(p)] == p }

// prettyJSON is the element as indented JSON, for config-write.
func prettyJSON(e *kjson.Element) string {
	var b []byte
	b = pretty(b, e, 0)
	return string(append(b, '\n'))
}

func pretty(b []byte, e *kjson.Element, depth int) []byte {
	ind := func(d int) {
		b = append(b, '\n')
		for i := 0; i < d; i++ {
			b = append(b, ' ', ' ')
		}
	}
	switch e.Kind {
	case kjson.Map:
		keys := e.Keys()
		if len(keys) == 0 {
			return append(b, '{', ' ', '}')
		}
		b = append(b, '{')
		for i, k := range keys {
			if i > 0 {
				b = append(b, ',')
			}
			ind(depth + 1)
			b = append(b, kjson.Quote(k)...)
			b = append(b, ':', ' ')
			b = pretty(b, e.Get(k), depth+1)
		}
		ind(depth)
		return append(b, '}')
	case kjson.List:
		if len(e.L) == 0 {
			return append(b, '[', ' ', ']')
		}
		b = append(b, '[')
		for i, v := range e.L {
			if i > 0 {
				b = append(b, ',')
			}
			ind(depth + 1)
			b = pretty(b, v, depth+1)
		}
		ind(depth)
		return append(b, ']')
	}
	return append(b, e.Str()...)
}
