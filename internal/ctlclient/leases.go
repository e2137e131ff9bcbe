package ctlclient

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/lessor-dhcp/lessor/internal/kjson"
)

// ServiceFor is the service that answers command: lease6 and dhcp6
// commands go to "dhcp6", everything else to "dhcp4".
func ServiceFor(command string) string {
	if strings.HasPrefix(command, "lease6-") {
		return "dhcp6"
	}
	return "dhcp4"
}

// DefaultPageSize is the page size WalkLeases uses when given 0.
const DefaultPageSize = 1000

// WalkLeases calls fn for every lease of family (4 or 6), in address
// order, reading pages of pageSize with leaseN-get-page. It stops at the
// first error fn returns. The service is "dhcp4"/"dhcp6" when the client
// names services.
func (c *Client) WalkLeases(ctx context.Context, family, pageSize int, fn func(lease *kjson.Element) error) error {
	if family != 4 && family != 6 {
		return fmt.Errorf("family must be 4 or 6, not %d", family)
	}
	if pageSize <= 0 {
		pageSize = DefaultPageSize
	}
	name := fmt.Sprintf("lease%d-get-page", family)
	service := ""
	if c.Service != "" {
		service = fmt.Sprintf("dhcp%d", family)
	}
	from := "start"
	for {
		args := kjson.NewMap().Set("from", kjson.NewString(from)).Set("limit", kjson.NewInt(int64(pageSize)))
		a, err := c.CommandFor(ctx, service, name, args)
		if err != nil {
			return err
		}
		switch a.Result {
		case ResultEmpty:
			return nil
		case ResultSuccess:
		default:
			return &CommandError{Command: name, Answer: a}
		}
		leases := a.Arguments.Get("leases")
		if leases == nil || leases.Kind != kjson.List {
			return fmt.Errorf("%s: answer has no leases list: %s", name, a.Raw.Str())
		}
		for _, l := range leases.L {
			if err := fn(l); err != nil {
				return err
			}
		}
		if len(leases.L) < pageSize {
			return nil
		}
		last := leases.L[len(leases.L)-1].Get("ip-address")
		if last == nil || last.Kind != kjson.String {
			return fmt.Errorf("%s: lease without ip-address: %s", name, leases.L[len(leases.L)-1].Str())
		}
		from = last.S
	}
}

// CommandError is a command answered with a non-success result.
type CommandError struct {
	Command string
	Answer  *Answer
}

func (e *CommandError) Error() string {
	return fmt.Sprintf("%s: %s (result %d)", e.Command, e.Answer.Text, e.Answer.Result)
}

// StateName is the name of a lease state number.
func StateName(s int64) string {
	switch s {
	case 0:
		return "default"
	case 1:
		return "declined"
	case 2:
		return "expired-reclaimed"
	}
	return strconv.FormatInt(s, 10)
}

// ParseState accepts a state name or number.
func ParseState(s string) (int64, error) {
	switch strings.ToLower(s) {
	case "default", "active":
		return 0, nil
	case "declined":
		return 1, nil
	case "expired-reclaimed", "reclaimed":
		return 2, nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 || n > 2 {
		return 0, fmt.Errorf("unknown lease state %q (default, declined, expired-reclaimed)", s)
	}
	return n, nil
}

// Filter selects leases; zero values select all.
type Filter struct {
	Subnet   int64 // 0: any
	State    int64
	HasState bool
}

// Match reports whether the lease passes the filter.
func (f Filter) Match(l *kjson.Element) bool {
	if f.Subnet != 0 && intField(l, "subnet-id") != f.Subnet {
		return false
	}
	if f.HasState && intField(l, "state") != f.State {
		return false
	}
	return true
}

func intField(l *kjson.Element, k string) int64 {
	if v := l.Get(k); v != nil && v.Kind == kjson.Int {
		return v.I
	}
	return 0
}

func strField(l *kjson.Element, k string) string {
	if v := l.Get(k); v != nil && v.Kind == kjson.String {
		return v.S
	}
	return ""
}

// infinite is Kea's infinite valid lifetime.
const infinite = 0xffffffff

// Row is a lease as shown to people.
type Row struct {
	Address, Identifier, Hostname, Subnet, State, Expires string
}

// Columns are the headings of Row's fields.
var Columns = Row{"ADDRESS", "IDENTIFIER", "HOSTNAME", "SUBNET", "STATE", "EXPIRES"}

// RowOf formats a lease (the map a lease command answers) for people,
// with expiry relative to now.
func RowOf(l *kjson.Element, now time.Time) Row {
	r := Row{Address: strField(l, "ip-address"), Hostname: strField(l, "hostname")}
	if strField(l, "type") == "IA_PD" {
		r.Address += "/" + strconv.FormatInt(intField(l, "prefix-len"), 10)
	}
	switch {
	case l.Contains("duid"):
		r.Identifier = strField(l, "duid")
	case strField(l, "hw-address") != "":
		r.Identifier = strField(l, "hw-address")
	case strField(l, "client-id") != "":
		r.Identifier = "id " + strField(l, "client-id")
	}
	r.Subnet = strconv.FormatInt(intField(l, "subnet-id"), 10)
	r.State = StateName(intField(l, "state"))
	valid := intField(l, "valid-lft")
	if valid == infinite {
		r.Expires = "never"
	} else {
		r.Expires = Relative(time.Unix(intField(l, "cltt")+valid, 0), now)
	}
	return r
}

// Relative says when t is from now in a few characters: "in 59m",
// "3h12m ago".
func Relative(t, now time.Time) string {
	d := t.Sub(now)
	if d >= 0 {
		return "in " + short(d)
	}
	return short(-d) + " ago"
}

func short(d time.Duration) string {
	s := int64(d / time.Second)
	switch {
	case s < 60:
		return fmt.Sprintf("%ds", s)
	case s < 3600:
		return fmt.Sprintf("%dm", s/60)
	case s < 86400:
		if s%3600/60 == 0 {
			return fmt.Sprintf("%dh", s/3600)
		}
		return fmt.Sprintf("%dh%02dm", s/3600, s%3600/60)
	case s < 100*86400:
		if s%86400/3600 == 0 {
			return fmt.Sprintf("%dd", s/86400)
		}
		return fmt.Sprintf("%dd%dh", s/86400, s%86400/3600)
	}
	return fmt.Sprintf("%dd", s/86400)
}
