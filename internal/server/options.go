package server

import (
	"fmt"
	"os"

	"github.com/lessor-dhcp/lessor/config"
	"github.com/lessor-dhcp/lessor/internal/kjson"
)

// Options are lessor's own settings. They live where a Kea 2.2 parser
// accepts anything, the section's user context, so that the same file
// still loads in Kea:
//
//	"Dhcp4": { "user-context": { "lessor": {
//	    "extensions": true,     // commands beyond Kea 2.2 (docs/commands.md)
//	    "durable": true,        // memfile: fsync each change before answering
//	    "socket-mode": "0660"   // control socket permissions (default 0600)
//	} } }
type Options struct {
	Extensions bool
	Durable    bool
	SocketMode os.FileMode
}

// checkOptions refuses a "lessor" user-context map lessor cannot read.
func checkOptions(sc *config.Server) error {
	if sc == nil {
		return nil
	}
	m := sc.Raw.Get("user-context").Get("lessor")
	if m == nil {
		return nil
	}
	if m.Kind != kjson.Map {
		return fmt.Errorf("user-context \"lessor\" must be a map (%s)", m.Pos)
	}
	for _, k := range m.Keys() {
		v := m.M[k]
		switch k {
		case "extensions", "durable":
			if v.Kind != kjson.Bool {
				return fmt.Errorf("user-context lessor.%s must be a boolean (%s)", k, v.Pos)
			}
		case "socket-mode":
			if v.Kind != kjson.String || !validMode(v.S) {
				return fmt.Errorf("user-context lessor.socket-mode must be an octal string such as \"0600\" (%s)", v.Pos)
			}
		default:
			return fmt.Errorf("unknown lessor option %q in user-context (%s)", k, v.Pos)
		}
	}
	return nil
}

func validMode(s string) bool {
	if s == "" || len(s) > 4 {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '7' {
			return false
		}
	}
	return true
}

func lessorOptions(sc *config.Server) Options {
	var o Options
	if sc == nil {
		return o
	}
	m := sc.Raw.Get("user-context").Get("lessor")
	if m == nil || m.Kind != kjson.Map {
		return o
	}
	if v := m.Get("extensions"); v != nil && v.Kind == kjson.Bool {
		o.Extensions = v.B
	}
	if v := m.Get("durable"); v != nil && v.Kind == kjson.Bool {
		o.Durable = v.B
	}
	if v := m.Get("socket-mode"); v != nil && v.Kind == kjson.String {
		var mode uint32
		for _, c := range v.S {
			if c < '0' || c > '7' {
				mode = 0
				break
			}
			mode = mode*8 + uint32(c-'0')
		}
		o.SocketMode = os.FileMode(mode & 0o777)
	}
	return o
}
