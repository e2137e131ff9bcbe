package server

import (
	"context"

	"fmt"
	"os"
	"time"

	"github.com/lessor-dhcp/lessor/config"
	"github.com/lessor-dhcp/lessor/internal/control"
	"github.com/lessor-dhcp/lessor/internal/kjson"
	"github.com/lessor-dhcp/lessor/lease"
)

const leaseCmdsLibrary = "/usr/lib/x86_64-linux-gnu/kea/hooks/libdhcp_lease_cmds.so"

func answer(res int, text string, args *kjson.Element) (*kjson.Element, error) {
	return control.Answer(res, text, args), nil
}

func (f *Family) registerServerCommands() {
	r := f.reg
	r.Register("list-commands", func(context.Context, *control.Command) (*kjson.Element, error) {
		l := kjson.NewList()
		for _, n := range r.Commands() {
			l.Add(kjson.NewString(n))
		}
		return answer(0, "", l)
	})
	r.Register("version-get", func(context.Context, *control.Command) (*kjson.Element, error) {
		return answer(0, Version, kjson.NewMap().Set("extended", kjson.NewString(Extended)))
	})
	r.Register("build-report", func(context.Context, *control.Command) (*kjson.Element, error) {
		return answer(0, buildReport(), nil)
	})
	r.Register("status-get", func(context.Context, *control.Command) (*kjson.Element, error) {
		now := time.Now().Unix()
		m := kjson.NewMap()
		m.Set("pid", kjson.NewInt(int64(os.Getpid())))
		m.Set("uptime", kjson.NewInt(now-f.srv.start.Unix()))
		m.Set("reload", kjson.NewInt(now-f.reloaded.Load()))
		m.Set("multi-threading-enabled", kjson.NewBool(false))
		m.Set("sockets", kjson.NewMap().Set("status", kjson.NewString("ready")))
		return answer(0, "", m)
	})
	r.Register("server-tag-get", func(context.Context, *control.Command) (*kjson.Element, error) {
		return answer(0, "", kjson.NewMap().Set("server-tag", kjson.NewString("")))
	})
	r.Register("config-backend-pull", func(context.Context, *control.Command) (*kjson.Element, error) {
		return answer(control.ResultEmpty, "No config backend.", nil)
	})
	r.Register("libreload", func(context.Context, *control.Command) (*kjson.Element, error) {
		return answer(0, "Hooks libraries successfully reloaded.", nil)
	})
	r.Register("dhcp-disable", f.dhcpDisable)
	r.Register("dhcp-enable", func(context.Context, *control.Command) (*kjson.Element, error) {
		return answer(0, "DHCP service successfully enabled", nil)
	})
	r.Register("shutdown", func(_ context.Context, c *control.Command) (*kjson.Element, error) {
		code := 0
		if c.Args != nil {
			if c.Args.Kind != kjson.Map {
				return answer(1, "Argument must be a map", nil)
			}
			if p := c.Args.M["exit-value"]; p != nil {
				if p.Kind != kjson.Int {
					return answer(1, "parameter 'exit-value' is not an integer", nil)
				}
				code = int(p.I)
			}
		}
		go func() {
			time.Sleep(50 * time.Millisecond) // let the answer go out first
			f.srv.Shutdown(code)
		}()
		return answer(0, "Shutting down.", nil)
	})
	r.Register("config-get", f.configGet)
	r.Register("config-write", f.configWrite)
	r.Register("config-test", func(ctx context.Context, c *control.Command) (*kjson.Element, error) {
		return f.configSetOrTest(ctx, c, false)
	})
	r.Register("config-set", func(ctx context.Context, c *control.Command) (*kjson.Element, error) {
		return f.configSetOrTest(ctx, c, true)
	})
	r.Register("config-reload", func(ctx context.Context, c *control.Command) (*kjson.Element, error) {
		if err := f.srv.Reload(ctx); err != nil {
			return answer(1, "Config reload failed: "+err.Error(), nil)
		}
		return answer(0, "Configuration successful.", nil)
	})
	r.Register("leases-reclaim", f.leasesReclaim)
	f.registerStatCommands()
}

func (f *Family) dhcpDisable(_ context.Context, c *control.Command) (*kjson.Element, error) {
	var maxPeriod int64
	msg := ""
	if c.Args != nil {
		if c.Args.Kind != kjson.Map {
			msg = "arguments for the 'dhcp-disable' command must be a map"
		} else {
			if mp := c.Args.M["max-period"]; mp != nil {
				if mp.Kind != kjson.Int {
					msg = "'max-period' argument must be a number"
				} else if maxPeriod = mp.I; maxPeriod <= 0 {
					msg = "'max-period' must be positive integer"
				}
			}
			if o := c.Args.M["origin"]; o != nil && msg == "" {
				if o.Kind != kjson.String {
					msg = "'origin' argument must be a string"
				} else if o.S != "ha-partner" && o.S != "user" {
					v := o.S
					if v == "" {
						v = "(empty string)"
					}
					msg = "invalid value used for 'origin' parameter: " + v
				}
			}
		}
	}
	if msg != "" {
		return answer(1, msg, nil)
	}
	text := fmt.Sprintf("DHCPv%d service disabled", f.fam)
	if maxPeriod > 0 {
		text += fmt.Sprintf(" for %d seconds", maxPeriod)
	}
	return answer(0, text, nil)
}

// sectionName is "Dhcp4" or "Dhcp6".
func (f *Family) sectionName() string { return fmt.Sprintf("Dhcp%d", f.fam) }

// runningConfig returns the configuration as config-get shows it: the
// family's section, with the lease_cmds hook listed.
func (f *Family) runningConfig() *kjson.Element {
	sc := f.cfg.Load()
	sec := kjson.NewMap()
	if sc.Raw != nil {
		sec = sc.Raw.Copy()
	}
	hooks := sec.M["hooks-libraries"]
	found := false
	if hooks != nil && hooks.Kind == kjson.List {
		for _, h := range hooks.L {
			if lib := h.Get("library"); lib != nil && lib.Kind == kjson.String && hasSuffix(lib.S, hookLeases) {
				found = true
			}
		}
	} else {
		hooks = kjson.NewList()
	}
	if !found {
		hooks.Add(kjson.NewMap().Set("library", kjson.NewString(leaseCmdsLibrary)))
	}
	sec.Set("hooks-libraries", hooks)
	return kjson.NewMap().Set(f.sectionName(), sec)
}

func hasSuffix(s, suf string) bool { return len(s) >= len(suf) && s[len(s)-len(suf):] == suf }

func (f *Family) configGet(context.Context, *control.Command) (*kjson.Element, error) {
	return answer(0, "", f.runningConfig())
}

func (f *Family) configWrite(_ context.Context, c *control.Command) (*kjson.Element, error) {
	filename := ""
	if c.Args != nil {
		if c.Args.Kind != kjson.Map {
			return answer(1, "Argument must be a map", nil)
		}
		if p := c.Args.M["filename"]; p != nil {
			if p.Kind != kjson.String {
				return answer(1, "passed parameter 'filename' is not a string", nil)
			}
			filename = p.S
		}
	}
	if filename == "" {
		filename = f.srv.path
	}
	if filename == "" {
		return answer(1, "Unable to determine filename.Please specify filename explicitly.", nil)
	}
	data := []byte(f.runningConfig().Str() + "\n")
	tmp := filename + ".tmp"
	if err := os.WriteFile(tmp, data, 0o644); err != nil {
		return answer(1, "Error during write-config:Unable to open file "+filename+" for writing", nil)
	}
	if err := os.Rename(tmp, filename); err != nil {
		os.Remove(tmp)
		return answer(1, "Error writing configuration to "+filename, nil)
	}
	args := kjson.NewMap()
	args.Set("size", kjson.NewInt(int64(len(data))))
	args.Set("filename", kjson.NewString(filename))
	return answer(0, "Configuration written to "+filename+" successful", args)
}

func (f *Family) configSetOrTest(ctx context.Context, c *control.Command, apply bool) (*kjson.Element, error) {
	name := f.sectionName()
	msg := ""
	if c.Args == nil {
		msg = "Missing mandatory 'arguments' parameter."
	} else {
		sec, err := c.Args.MapGet(name)
		if err != nil {
			return nil, err
		}
		if sec == nil {
			msg = "Missing mandatory '" + name + "' parameter."
		} else if sec.Kind != kjson.Map {
			msg = "'" + name + "' parameter expected to be a map."
		}
	}
	if msg == "" {
		for _, k := range c.Args.Keys() {
			if k != name {
				if msg == "" {
					msg = "Unsupported '" + k + "' parameter"
				} else {
					msg += " (and '" + k + "')"
				}
			}
		}
		if msg != "" {
			msg += "."
		}
	}
	if msg != "" {
		return answer(1, msg, nil)
	}
	file, err := config.FromElement(c.Args)
	if err != nil {
		return answer(1, err.Error(), nil)
	}
	sc := file.Dhcp4
	if f.fam == 6 {
		sc = file.Dhcp6
	}
	if sc == nil {
		return answer(1, "Missing mandatory '"+name+"' parameter.", nil)
	}
	if !apply {
		return answer(0, "Configuration seems sane. Control-socket, hook-libraries, and D2 configuration were sanity checked, but not applied.", nil)
	}
	if err := f.reconfigure(ctx, sc); err != nil {
		return answer(1, err.Error(), nil)
	}
	return answer(0, "Configuration successful.", nil)
}

// leasesReclaim is Kea's leases-reclaim: expired leases are reclaimed
// (state expired-reclaimed, DNS entries removed) or removed.
func (f *Family) leasesReclaim(ctx context.Context, c *control.Command) (*kjson.Element, error) {
	if c.Args == nil {
		return answer(1, "Missing mandatory 'remove' parameter.", nil)
	}
	rm, err := c.Args.MapGet("remove")
	if err != nil {
		return nil, err
	}
	if rm == nil {
		return answer(1, "Missing mandatory 'remove' parameter.", nil)
	}
	if rm.Kind != kjson.Bool {
		return answer(1, "'remove' parameter expected to be a boolean.", nil)
	}
	if err := f.reclaim(ctx, rm.B); err != nil {
		return answer(1, err.Error(), nil)
	}
	return answer(0, "Reclamation of expired leases is complete.", nil)
}

func (f *Family) reclaim(ctx context.Context, remove bool) error {
	now := time.Now().Unix()
	st := f.stats
	sub := func(id uint32, n string) string { return fmt.Sprintf("subnet[%d].%s", id, n) }
	reclaimed := func(id uint32, wasDeclined bool, assigned string) {
		st.Add(sub(id, assigned), -1)
		if wasDeclined {
			st.Add("declined-addresses", -1)
			st.Add(sub(id, "declined-addresses"), -1)
			st.Add("reclaimed-declined-addresses", 1)
			st.Add(sub(id, "reclaimed-declined-addresses"), 1)
		}
		st.Add("reclaimed-leases", 1)
		st.Add(sub(id, "reclaimed-leases"), 1)
	}
	dns := f.lcfg.Load().DNS
	if f.fam == 4 {
		s := f.own.V4()
		ls, err := s.GetExpiredLeases4(ctx, now, 0)
		if err != nil {
			return err
		}
		for _, l := range ls {
			dns.Queue4(l, false)
			wasDeclined := l.State == lease.StateDeclined
			if remove {
				if err := s.DeleteLease4(ctx, l); err != nil {
					return err
				}
			} else {
				n := l.Clone()
				n.State = lease.StateExpiredReclaimed
				n.Hostname, n.FqdnFwd, n.FqdnRev, n.UserContext = "", false, false, nil
				if err := s.UpdateLease4(ctx, n); err != nil {
					return err
				}
			}
			reclaimed(l.SubnetID, wasDeclined, "assigned-addresses")
		}
		return nil
	}
	s := f.own.V6()
	ls, err := s.GetExpiredLeases6(ctx, now, 0)
	if err != nil {
		return err
	}
	for _, l := range ls {
		dns.Queue6(l, false)
		wasDeclined := l.State == lease.StateDeclined
		if remove {
			if err := s.DeleteLease6(ctx, l); err != nil {
				return err
			}
		} else {
			n := l.Clone()
			n.State = lease.StateExpiredReclaimed
			n.Hostname, n.FqdnFwd, n.FqdnRev, n.UserContext = "", false, false, nil
			if err := s.UpdateLease6(ctx, n); err != nil {
				return err
			}
		}
		an := "assigned-nas"
		if l.Type == lease.TypePD {
			an = "assigned-pds"
		}
		reclaimed(l.SubnetID, wasDeclined, an)
	}
	return nil
}

func buildReport() string {
	return " \n        lessor build report\n     -=-=-=-=-=-=-=-=-=-=-\n \n Package:\n   Name:              lessor\n   Version:           " + Version + "\n   Compatible with:   Kea 2.2.0 lease_cmds\n   Backends:          memfile, postgresql, mysql\n"
}
