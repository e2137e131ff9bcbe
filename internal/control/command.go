// Package control is lessor's control channel core: the command envelope
// ({"command", "arguments"}), Kea's answers ({"result", "text",
// "arguments"}), a registry of handlers by command name, and the dispatch
// that turns received bytes into an answer with Kea's texts.
package control

import (
	"context"
	"fmt"
	"sort"
	"sync"

	"github.com/lessor-dhcp/lessor/internal/kjson"
)

// Result codes, as Kea's control channel defines them.
const (
	ResultSuccess     = 0
	ResultError       = 1
	ResultUnsupported = 2
	ResultEmpty       = 3
	ResultConflict    = 4
)

// Answer builds Kea's answer map. text may be empty only with result 0.
func Answer(result int, text string, args *kjson.Element) *kjson.Element {
	m := kjson.NewMap()
	m.Set("result", kjson.NewInt(int64(result)))
	if text != "" {
		m.Set("text", kjson.NewString(text))
	}
	if args != nil {
		m.Set("arguments", args)
	}
	return m
}

// Error is an answer with result 1 and text.
func Error(text string) *kjson.Element { return Answer(ResultError, text, nil) }

// Command is a parsed command.
type Command struct {
	Name string
	Args *kjson.Element // nil when the command has no "arguments"
	Raw  *kjson.Element // the whole command map
}

// Handler answers one command. It returns Kea's answer map; a returned
// error becomes "Error during command processing: <err>" with result 1, as
// Kea's command manager reports exceptions of its own commands.
type Handler func(ctx context.Context, cmd *Command) (*kjson.Element, error)

// Registry maps command names to handlers. Safe for concurrent use.
type Registry struct {
	mu       sync.RWMutex
	handlers map[string]Handler
	around   func(ctx context.Context, cmd *Command, next Handler) (*kjson.Element, error)
}

// Around installs a function that runs every command (it calls next to
// run the handler), e.g. to hold a lock while the handler runs.
func (r *Registry) Around(f func(ctx context.Context, cmd *Command, next Handler) (*kjson.Element, error)) {
	r.mu.Lock()
	r.around = f
	r.mu.Unlock()
}

// NewRegistry returns an empty registry.
func NewRegistry() *Registry { return &Registry{handlers: map[string]Handler{}} }

// Register adds or replaces a handler.
func (r *Registry) Register(name string, h Handler) {
	r.mu.Lock()
	r.handlers[name] = h
	r.mu.Unlock()
}

// Commands lists the registered command names, sorted.
func (r *Registry) Commands() []string {
	r.mu.RLock()
	defer r.mu.RUnlock()
	names := make([]string, 0, len(r.handlers))
	for n := range r.handlers {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Has reports whether a command is registered.
func (r *Registry) Has(name string) bool {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.handlers[name] != nil
}

// ParseCommand checks a command map as Kea's parseCommand does.
func ParseCommand(e *kjson.Element) (*Command, error) {
	if e.Kind != kjson.Map {
		return nil, fmt.Errorf("Invalid command Element specified, expected map")
	}
	if e.M["command"] == nil {
		return nil, fmt.Errorf("Invalid answer specified, does not contain mandatory 'command'")
	}
	if !knownKeys(e) {
		// Kea reports the first unsupported parameter in key order.
		for _, k := range e.Keys() {
			if !commandKey(k) {
				return nil, fmt.Errorf("Received command contains unsupported parameter '%s'", k)
			}
		}
	}
	c := e.M["command"]
	if c.Kind != kjson.String {
		return nil, fmt.Errorf("'command' element in command message is not a string")
	}
	return &Command{Name: c.S, Args: e.M["arguments"], Raw: e}, nil
}

func commandKey(k string) bool {
	switch k {
	case "command", "arguments", "service", "remote-address":
		return true
	}
	return false
}

// knownKeys reports whether a command map holds only the envelope's keys
// (checked without sorting them).
func knownKeys(e *kjson.Element) bool {
	for k := range e.M {
		if !commandKey(k) {
			return false
		}
	}
	return true
}

// Dispatch runs one parsed command map and returns the answer.
func (r *Registry) Dispatch(ctx context.Context, e *kjson.Element) *kjson.Element {
	cmd, err := ParseCommand(e)
	if err != nil {
		return Error("Error during command processing: " + err.Error())
	}
	return r.Run(ctx, cmd)
}

// Run runs a command already parsed.
func (r *Registry) Run(ctx context.Context, cmd *Command) (ans *kjson.Element) {
	r.mu.RLock()
	h, around := r.handlers[cmd.Name], r.around
	r.mu.RUnlock()
	if h == nil {
		return Answer(ResultUnsupported, "'"+cmd.Name+"' command not supported.", nil)
	}
	// A failing handler answers with an error; it never takes the server
	// down (Kea catches exceptions per command, too).
	defer func() {
		if p := recover(); p != nil {
			ans = Error(fmt.Sprintf("Error during command processing: internal error in '%s': %v", cmd.Name, p))
		}
	}()
	var err error
	if around != nil {
		ans, err = around(ctx, cmd, h)
	} else {
		ans, err = h(ctx, cmd)
	}
	if err != nil {
		return Error("Error during command processing: " + err.Error())
	}
	if ans == nil {
		return Error("internal server error: no response generated")
	}
	return ans
}

// HandleWire parses the bytes of one command as received on a control
// channel (after framing) and dispatches it.
func (r *Registry) HandleWire(ctx context.Context, data []byte) *kjson.Element {
	e, err := kjson.ParseWire(data)
	if err != nil {
		return Error(err.Error())
	}
	return r.Dispatch(ctx, e)
}
