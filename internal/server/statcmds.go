package server

import (
	"context"
	"time"

	"github.com/lessor-dhcp/lessor/internal/control"
	"github.com/lessor-dhcp/lessor/internal/kjson"
)

// statName reads the "name" argument as Kea's StatsMgr::getStatName.
func statName(args *kjson.Element) (string, string, error) {
	if args == nil {
		return "", "Missing mandatory 'name' parameter.", nil
	}
	n, err := args.MapGet("name")
	if err != nil {
		return "", "", err
	}
	if n == nil {
		return "", "Missing mandatory 'name' parameter.", nil
	}
	if n.Kind != kjson.String {
		return "", "'name' parameter expected to be a string.", nil
	}
	return n.S, "", nil
}

func maxSamples(args *kjson.Element) (int64, string, error) {
	if args == nil {
		return 0, "Missing mandatory 'max-samples' parameter.", nil
	}
	n, err := args.MapGet("max-samples")
	if err != nil {
		return 0, "", err
	}
	if n == nil {
		return 0, "Missing mandatory 'max-samples' parameter.", nil
	}
	if n.Kind != kjson.Int {
		return 0, "'max-samples' parameter expected to be an integer.", nil
	}
	return int64(uint32(n.I)), "", nil
}

func duration(args *kjson.Element) (time.Duration, string, error) {
	if args == nil {
		return 0, "Missing mandatory 'duration' parameter.", nil
	}
	n, err := args.MapGet("duration")
	if err != nil {
		return 0, "", err
	}
	if n == nil {
		return 0, "Missing mandatory 'duration' parameter.", nil
	}
	v, err := n.IntValue()
	if err != nil {
		return 0, "", err
	}
	return time.Duration(v) * time.Second, "", nil
}

func (f *Family) registerStatCommands() {
	r, st := f.reg, f.stats
	named := func(do func(name string) (*kjson.Element, error)) control.Handler {
		return func(_ context.Context, c *control.Command) (*kjson.Element, error) {
			name, msg, err := statName(c.Args)
			if err != nil {
				return nil, err
			}
			if msg != "" {
				return answer(1, msg, nil)
			}
			return do(name)
		}
	}
	notFound := func(name string) (*kjson.Element, error) {
		return answer(1, "No '"+name+"' statistic found", nil)
	}
	r.Register("statistic-get", named(func(name string) (*kjson.Element, error) {
		return answer(0, "", st.Get(name))
	}))
	r.Register("statistic-reset", named(func(name string) (*kjson.Element, error) {
		if !st.Reset(name) {
			return notFound(name)
		}
		return answer(0, "Statistic '"+name+"' reset.", nil)
	}))
	r.Register("statistic-remove", named(func(name string) (*kjson.Element, error) {
		if !st.Remove(name) {
			return notFound(name)
		}
		return answer(0, "Statistic '"+name+"' removed.", nil)
	}))
	r.Register("statistic-get-all", func(context.Context, *control.Command) (*kjson.Element, error) {
		return answer(0, "", st.GetAll())
	})
	r.Register("statistic-reset-all", func(context.Context, *control.Command) (*kjson.Element, error) {
		st.ResetAll()
		return answer(0, "All statistics reset to neutral values.", nil)
	})
	r.Register("statistic-remove-all", func(context.Context, *control.Command) (*kjson.Element, error) {
		st.RemoveAll()
		return answer(0, "Warning: statistic-remove-all command is deprecated. All statistics removed.", nil)
	})
	r.Register("statistic-sample-count-set", func(_ context.Context, c *control.Command) (*kjson.Element, error) {
		name, msg, err := statName(c.Args)
		if err != nil {
			return nil, err
		}
		if msg != "" {
			return answer(1, msg, nil)
		}
		n, msg, err := maxSamples(c.Args)
		if err != nil {
			return nil, err
		}
		if msg != "" {
			return answer(1, msg, nil)
		}
		if !st.SetMaxCount(name, int(n)) {
			return notFound(name)
		}
		return answer(0, "Statistic '"+name+"' count limit is set.", nil)
	})
	r.Register("statistic-sample-age-set", func(_ context.Context, c *control.Command) (*kjson.Element, error) {
		name, msg, err := statName(c.Args)
		if err != nil {
			return nil, err
		}
		if msg != "" {
			return answer(1, msg, nil)
		}
		d, msg, err := duration(c.Args)
		if err != nil {
			return nil, err
		}
		if msg != "" {
			return answer(1, msg, nil)
		}
		if !st.SetMaxAge(name, d) {
			return notFound(name)
		}
		return answer(0, "Statistic '"+name+"' duration limit is set.", nil)
	})
	r.Register("statistic-sample-count-set-all", func(_ context.Context, c *control.Command) (*kjson.Element, error) {
		n, msg, err := maxSamples(c.Args)
		if err != nil {
			return nil, err
		}
		if msg != "" {
			return answer(1, msg, nil)
		}
		if n == 0 {
			return answer(1, "'max-samples' parameter must not be zero", nil)
		}
		st.SetMaxCountAll(int(n))
		// Kea writes the new default back into the running configuration.
		f.cfg.Load().SetConfiguredGlobal("statistic-default-sample-count", kjson.NewInt(n))
		return answer(0, "All statistics count limit are set.", nil)
	})
	r.Register("statistic-sample-age-set-all", func(_ context.Context, c *control.Command) (*kjson.Element, error) {
		d, msg, err := duration(c.Args)
		if err != nil {
			return nil, err
		}
		if msg != "" {
			return answer(1, msg, nil)
		}
		st.SetMaxAgeAll(d)
		f.cfg.Load().SetConfiguredGlobal("statistic-default-sample-age", kjson.NewInt(int64(d/time.Second)))
		return answer(0, "All statistics duration limit are set.", nil)
	})
}
