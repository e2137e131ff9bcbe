package server

import (
	"context"

	"fmt"
	"os"
	"runtime"
	"time"

	"github.com/lessor-dhcp/lessor/config"
	"github.com/lessor-dhcp/lessor/internal/control"
	"github.com/lessor-dhcp/lessor/internal/kjson"
	"github.com/lessor-dhcp/lessor/lease"
)

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
		if mt := f.multiThreading(); mt.enabled {
			m.Set("multi-threading-enabled", kjson.NewBool(true))
			m.Set("thread-pool-size", kjson.NewInt(mt.threads))
			m.Set("packet-queue-size", kjson.NewInt(mt.queue))
			m.Set("packet-queue-statistics", kjson.NewList(kjson.NewReal(0), kjson.NewReal(0), kjson.NewReal(0)))
		} else {
			m.Set("multi-threading-enabled", kjson.NewBool(false))
		}
		m.Set("sockets", kjson.NewMap().Set("status", kjson.NewString("ready")))
		return answer(0, "", m)
	})
	r.Register("server-tag-get", func(context.Context, *control.Command) (*kjson.Element, error) {
		tag := ""
		if t := f.cfg.Load().Raw.Get("server-tag"); t != nil && t.Kind == kjson.String {
			tag = t.S
		}
		return answer(0, "", kjson.NewMap().Set("server-tag", kjson.NewString(tag)))
	})
	r.Register("config-backend-pull", func(context.Context, *control.Command) (*kjson.Element, error) {
		return answer(control.ResultEmpty, "No config backend.", nil)
	})
	r.Register("libreload", func(context.Context, *control.Command) (*kjson.Element, error) {
		return answer(0, "Hooks libraries successfully reloaded.", nil)
	})
	r.Register("dhcp-disable", f.dhcpDisable)
	r.Register("dhcp-enable", f.dhcpEnable)
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

// originError checks the "origin" argument of dhcp-disable/-enable.
func originError(args *kjson.Element) string {
	o := args.M["origin"]
	if o == nil {
		return ""
	}
	if o.Kind != kjson.String {
		return "'origin' argument must be a string"
	}
	if o.S == "ha-partner" || o.S == "user" {
		return ""
	}
	v := o.S
	if v == "" {
		v = "(empty string)"
	}
	return "invalid value used for 'origin' parameter: " + v
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
			msg += originError(c.Args)
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

func (f *Family) dhcpEnable(_ context.Context, c *control.Command) (*kjson.Element, error) {
	msg := ""
	if c.Args != nil {
		if c.Args.Kind != kjson.Map {
			msg = "arguments for the 'dhcp-enable' command must be a map"
		} else {
			msg = originError(c.Args)
		}
	}
	if msg != "" {
		return answer(1, msg, nil)
	}
	return answer(0, "DHCP service successfully enabled", nil)
}

// sectionName is "Dhcp4" or "Dhcp6".
func (f *Family) sectionName() string { return fmt.Sprintf("Dhcp%d", f.fam) }

// runningConfig returns the configuration as config-get shows it and
// config-write writes it: {"Dhcp4": ...} with the section converted back
// from the parsed configuration, every default filled in, as Kea does
// (the hooks libraries are listed as configured).
func (f *Family) runningConfig() *kjson.Element {
	sec := kjson.NewMap()
	if sc := f.cfg.Load(); sc != nil {
		sec = sc.ToElement()
	}
	return kjson.NewMap().Set(f.sectionName(), sec)
}

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
	// Kea writes the configuration pretty-printed, without a final
	// newline; size is the file's byte count.
	data := []byte(f.runningConfig().Pretty())
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
	f.srv.reloadMu.Lock()
	err = f.reconfigure(ctx, sc)
	f.srv.reloadMu.Unlock()
	if err != nil {
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
	declinedDone := func(id uint32) {
		st.Add(sub(id, "declined-addresses"), -1)
		st.Add("declined-addresses", -1)
		st.Add("reclaimed-declined-addresses", 1)
		st.Add(sub(id, "reclaimed-declined-addresses"), 1)
	}
	reclaimed := func(id uint32, assigned string) {
		if assigned != "" {
			st.Add(sub(id, assigned), -1)
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
			n := l.Clone()
			n.Hostname, n.FqdnFwd, n.FqdnRev = "", false, false
			rm := remove
			if l.State == lease.StateDeclined {
				declinedDone(l.SubnetID)
				rm = true // Kea removes reclaimed declined leases
			}
			if rm {
				// The delete row keeps the lease as stored (Kea's).
				if err := s.DeleteLease4(ctx, l); err != nil {
					return err
				}
			} else {
				n.State = lease.StateExpiredReclaimed
				if err := s.UpdateLease4(ctx, n); err != nil {
					return err
				}
			}
			reclaimed(l.SubnetID, "assigned-addresses")
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
		n := l.Clone()
		n.Hostname, n.FqdnFwd, n.FqdnRev = "", false, false
		rm := remove
		if l.State == lease.StateDeclined {
			declinedDone(l.SubnetID)
			rm = true
		}
		if rm {
			if err := s.DeleteLease6(ctx, l); err != nil {
				return err
			}
		} else {
			n.State = lease.StateExpiredReclaimed
			if err := s.UpdateLease6(ctx, n); err != nil {
				return err
			}
		}
		an := ""
		switch l.Type {
		case lease.TypeNA:
			an = "assigned-nas"
		case lease.TypePD:
			an = "assigned-pds"
		}
		reclaimed(l.SubnetID, an)
	}
	return nil
}

func buildReport() string {
	return " \n        lessor build report\n     -=-=-=-=-=-=-=-=-=-=-\n \n Package:\n   Name:              lessor\n   Version:           " + Version + "\n   Compatible with:   Kea 2.2.0 lease_cmds\n   Backends:          memfile, postgresql, mysql\n"
}

type mtSettings struct {
	enabled        bool
	threads, queue int64
}

// multiThreading reads the "multi-threading" map as Kea applies it.
func (f *Family) multiThreading() mtSettings {
	mt := f.cfg.Load().Raw.Get("multi-threading")
	var out mtSettings
	if mt == nil {
		return out
	}
	if e := mt.Get("enable-multi-threading"); e != nil && e.Kind == kjson.Bool {
		out.enabled = e.B
	}
	if t := mt.Get("thread-pool-size"); t != nil && t.Kind == kjson.Int {
		out.threads = t.I
	}
	if q := mt.Get("packet-queue-size"); q != nil && q.Kind == kjson.Int {
		out.queue = q.I
	}
	if out.threads == 0 {
		out.threads = int64(runtime.NumCPU())
	}
	if out.queue == 0 {
		out.queue = 64
	}
	return out
}
