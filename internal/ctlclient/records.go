package ctlclient

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/netip"
	"sort"
	"strconv"
	"strings"

	"github.com/lessor-dhcp/lessor/internal/kjson"
)

// Record is one lease to import: the arguments of its leaseN-add command.
type Record struct {
	Where   string // "line 3" or "lease 3", for messages
	Address string
	Args    *kjson.Element
}

// ValidationError lists every problem found in a lease file.
type ValidationError struct{ Problems []string }

func (e *ValidationError) Error() string {
	const max = 20
	p := e.Problems
	more := ""
	if len(p) > max {
		more = fmt.Sprintf("\n(and %d more)", len(p)-max)
		p = p[:max]
	}
	return fmt.Sprintf("%d invalid lease(s), nothing was sent:\n%s%s", len(e.Problems), strings.Join(p, "\n"), more)
}

// ReadLeaseFile parses a lease file (Kea memfile CSV of either family, or
// JSON as written by export) and checks every lease. family 0 detects it.
// Nothing is accepted unless the whole file is valid.
func ReadLeaseFile(data []byte, family int) ([]Record, int, error) {
	trimmed := bytes.TrimSpace(data)
	if len(trimmed) == 0 {
		return nil, 0, errors.New("the file is empty")
	}
	var recs []Record
	var err error
	if trimmed[0] == '{' || trimmed[0] == '[' {
		recs, family, err = readJSON(trimmed, family)
	} else {
		recs, family, err = readCSV(string(data), family)
	}
	if err != nil {
		return nil, 0, err
	}
	var problems []string
	seen := map[string]string{}
	for i := range recs {
		r := &recs[i]
		if err := checkLease(r.Args, family); err != nil {
			problems = append(problems, r.Where+": "+err.Error())
			continue
		}
		key := r.Address
		if p := r.Args.Get("prefix-len"); p != nil {
			key += "/" + p.Str()
		}
		if prev, dup := seen[key]; dup {
			problems = append(problems, fmt.Sprintf("%s: address %s already given at %s", r.Where, key, prev))
		}
		seen[key] = r.Where
	}
	if problems != nil {
		return nil, family, &ValidationError{Problems: problems}
	}
	return recs, family, nil
}

func readCSV(text string, family int) ([]Record, int, error) {
	header, rows, lines, err := csvRows(text)
	if err != nil {
		return nil, 0, err
	}
	col := map[string]int{}
	for i, h := range header {
		col[strings.TrimSpace(h)] = i
	}
	detected := 0
	switch {
	case hasCol(col, "hwaddr") && hasCol(col, "client_id"):
		detected = 4
	case hasCol(col, "duid"):
		detected = 6
	default:
		return nil, 0, fmt.Errorf("line 1: not a Kea lease file header: %s", strings.Join(header, ","))
	}
	if family != 0 && family != detected {
		return nil, 0, fmt.Errorf("the file holds IPv%d leases, not IPv%d", detected, family)
	}
	need := CSVHeader4[:9]
	if detected == 6 {
		need = CSVHeader6[:12]
	}
	for _, n := range need {
		if !hasCol(col, n) {
			return nil, 0, fmt.Errorf("line 1: column %q is missing", n)
		}
	}
	get := func(row []string, name string) string {
		if i, ok := col[name]; ok {
			return unescapeCSV(row[i])
		}
		return ""
	}
	var recs []Record
	var problems []string
	for n, row := range rows {
		where := "line " + strconv.Itoa(lines[n])
		args, err := csvArgs(row, get, detected)
		if err != nil {
			problems = append(problems, where+": "+err.Error())
			continue
		}
		recs = append(recs, Record{Where: where, Address: get(row, "address"), Args: args})
	}
	if problems != nil {
		return nil, detected, &ValidationError{Problems: problems}
	}
	return recs, detected, nil
}

func hasCol(col map[string]int, n string) bool { _, ok := col[n]; return ok }

// csvArgs builds leaseN-add arguments from a memfile row.
func csvArgs(row []string, get func([]string, string) string, family int) (*kjson.Element, error) {
	m := kjson.NewMap()
	m.Set("ip-address", kjson.NewString(get(row, "address")))
	num := func(col, key string, bits int) error {
		s := get(row, col)
		if s == "" {
			return nil
		}
		v, err := strconv.ParseInt(s, 10, bits+1)
		if err != nil || v < 0 {
			return fmt.Errorf("%s %q is not a number in range", col, s)
		}
		m.Set(key, kjson.NewInt(v))
		return nil
	}
	flag := func(col, key string) error {
		switch get(row, col) {
		case "1", "true":
			m.Set(key, kjson.NewBool(true))
		case "0", "false", "":
			m.Set(key, kjson.NewBool(false))
		default:
			return fmt.Errorf("%s %q is not 0 or 1", col, get(row, col))
		}
		return nil
	}
	steps := []error{
		num("valid_lifetime", "valid-lft", 32),
		num("expire", "expire", 63),
		num("subnet_id", "subnet-id", 32),
		flag("fqdn_fwd", "fqdn-fwd"),
		flag("fqdn_rev", "fqdn-rev"),
		num("state", "state", 32),
	}
	if family == 4 {
		m.Set("hw-address", kjson.NewString(get(row, "hwaddr")))
		if c := get(row, "client_id"); c != "" {
			m.Set("client-id", kjson.NewString(c))
		}
	} else {
		m.Set("duid", kjson.NewString(get(row, "duid")))
		steps = append(steps, num("pref_lifetime", "preferred-lft", 32), num("iaid", "iaid", 32))
		switch get(row, "lease_type") {
		case "0", "":
			m.Set("type", kjson.NewString("IA_NA"))
		case "1":
			m.Set("type", kjson.NewString("IA_TA"))
		case "2":
			m.Set("type", kjson.NewString("IA_PD"))
			steps = append(steps, num("prefix_len", "prefix-len", 8))
		default:
			return nil, fmt.Errorf("lease_type %q is not 0, 1 or 2", get(row, "lease_type"))
		}
		if hw := get(row, "hwaddr"); hw != "" {
			m.Set("hw-address", kjson.NewString(hw))
		}
	}
	for _, err := range steps {
		if err != nil {
			return nil, err
		}
	}
	m.Set("hostname", kjson.NewString(get(row, "hostname")))
	if uc := get(row, "user_context"); uc != "" {
		e, err := kjson.ParseString([]byte(uc))
		if err != nil {
			return nil, fmt.Errorf("user_context: %w", err)
		}
		m.Set("user-context", e)
	}
	return m, nil
}

var leaseKeys = map[int]map[string]bool{
	4: {"ip-address": true, "hw-address": true, "client-id": true, "valid-lft": true, "expire": true, "cltt": true,
		"subnet-id": true, "fqdn-fwd": true, "fqdn-rev": true, "hostname": true, "state": true, "user-context": true},
	6: {"ip-address": true, "duid": true, "iaid": true, "type": true, "prefix-len": true, "preferred-lft": true,
		"valid-lft": true, "expire": true, "cltt": true, "subnet-id": true, "fqdn-fwd": true, "fqdn-rev": true,
		"hostname": true, "hw-address": true, "state": true, "user-context": true},
}

func readJSON(data []byte, family int) ([]Record, int, error) {
	doc, err := kjson.ParseNamed(data, "<file>")
	if err != nil {
		return nil, 0, err
	}
	list := doc
	if doc.Kind == kjson.Map {
		if a := doc.Get("arguments"); a != nil {
			doc = a
		}
		list = doc.Get("leases")
	}
	if list == nil || list.Kind != kjson.List {
		return nil, 0, errors.New("JSON lease file: expected a list of leases or a map with \"leases\"")
	}
	var recs []Record
	var problems []string
	for i, l := range list.L {
		where := "lease " + strconv.Itoa(i+1)
		if l.Kind != kjson.Map {
			problems = append(problems, where+": not a map")
			continue
		}
		f := 4
		if l.Contains("duid") || strings.Contains(strField(l, "ip-address"), ":") {
			f = 6
		}
		if family == 0 {
			family = f
		}
		if f != family {
			problems = append(problems, fmt.Sprintf("%s: an IPv%d lease among IPv%d leases", where, f, family))
			continue
		}
		args := kjson.NewMap()
		var unknown []string
		for _, k := range l.Keys() {
			if !leaseKeys[f][k] {
				unknown = append(unknown, k)
				continue
			}
			if k != "cltt" {
				args.Set(k, l.Get(k))
			}
		}
		if unknown != nil {
			problems = append(problems, fmt.Sprintf("%s: unknown parameter(s) %s", where, strings.Join(unknown, ", ")))
			continue
		}
		if c := l.Get("cltt"); c != nil && !l.Contains("expire") {
			if c.Kind != kjson.Int {
				problems = append(problems, where+": cltt is not an integer")
				continue
			}
			args.Set("expire", kjson.NewInt(c.I+intField(l, "valid-lft")))
		}
		recs = append(recs, Record{Where: where, Address: strField(l, "ip-address"), Args: args})
	}
	if family == 0 {
		family = 4
	}
	if problems != nil {
		return nil, family, &ValidationError{Problems: problems}
	}
	return recs, family, nil
}

// checkHex accepts identifiers as Kea prints and reads them:
// "01:02:0a" (one or two digits a group) or "01020a".
func checkHex(s string) bool {
	if s == "" {
		return true
	}
	if strings.Contains(s, ":") {
		for _, g := range strings.Split(s, ":") {
			if len(g) < 1 || len(g) > 2 || !isHex(g) {
				return false
			}
		}
		return true
	}
	return len(s)%2 == 0 && isHex(s)
}

func isHex(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
			return false
		}
	}
	return true
}

// checkLease checks leaseN-add arguments as the lease commands would, so
// that a file with a bad lease is refused before anything is sent.
func checkLease(a *kjson.Element, family int) error {
	str := func(k string, required bool) (string, error) {
		v := a.Get(k)
		if v == nil {
			if required {
				return "", fmt.Errorf("missing parameter '%s'", k)
			}
			return "", nil
		}
		if v.Kind != kjson.String {
			return "", fmt.Errorf("'%s' is not a string", k)
		}
		return v.S, nil
	}
	uint := func(k string, max int64) (int64, bool, error) {
		v := a.Get(k)
		if v == nil {
			return 0, false, nil
		}
		if v.Kind != kjson.Int || v.I < 0 || v.I > max {
			return 0, true, fmt.Errorf("'%s' must be an integer from 0 to %d", k, max)
		}
		return v.I, true, nil
	}
	ip, err := str("ip-address", true)
	if err != nil {
		return err
	}
	addr, perr := netip.ParseAddr(ip)
	if perr != nil {
		return fmt.Errorf("invalid address %q", ip)
	}
	if family == 4 && !addr.Is4() {
		return fmt.Errorf("Non-IPv4 address specified: %s", ip)
	}
	if family == 6 && (!addr.Is6() || addr.Is4In6()) {
		return fmt.Errorf("Non-IPv6 address specified: %s", ip)
	}
	hw, err := str("hw-address", family == 4)
	if err != nil {
		return err
	}
	if !checkHex(hw) {
		return fmt.Errorf("invalid hw-address %q", hw)
	}
	cid, err := str("client-id", false)
	if err != nil {
		return err
	}
	if !checkHex(cid) {
		return fmt.Errorf("invalid client-id %q", cid)
	}
	for _, k := range []string{"subnet-id", "valid-lft", "preferred-lft", "iaid"} {
		if _, _, err := uint(k, 0xffffffff); err != nil {
			return err
		}
	}
	state, _, err := uint("state", 0xffffffff)
	if err != nil {
		return err
	}
	if state > 2 {
		return fmt.Errorf("Invalid state value: %d, supported values are: 0 (default), 1 (declined) and 2 (expired-reclaimed)", state)
	}
	valid, _, _ := uint("valid-lft", 0xffffffff)
	if e := a.Get("expire"); e != nil {
		if e.Kind != kjson.Int {
			return errors.New("'expire' is not an integer")
		}
		if e.I <= 0 {
			return fmt.Errorf("expiration time must be positive for address %s", ip)
		}
		if a.Contains("valid-lft") && e.I < valid {
			return fmt.Errorf("expiration time must be greater than valid lifetime for address %s", ip)
		}
	}
	fwd, rev := false, false
	for _, k := range []string{"fqdn-fwd", "fqdn-rev"} {
		if v := a.Get(k); v != nil {
			if v.Kind != kjson.Bool {
				return fmt.Errorf("'%s' is not a boolean", k)
			}
			if k == "fqdn-fwd" {
				fwd = v.B
			} else {
				rev = v.B
			}
		}
	}
	host, err := str("hostname", false)
	if err != nil {
		return err
	}
	if host == "" && (fwd || rev) {
		return errors.New("No hostname specified and either forward or reverse fqdn was set to true.")
	}
	if uc := a.Get("user-context"); uc != nil && uc.Kind != kjson.Map {
		return fmt.Errorf("Invalid user context '%s' is not a JSON map.", uc.Str())
	}
	if family == 6 {
		duid, err := str("duid", true)
		if err != nil {
			return err
		}
		if !checkHex(duid) || (duid == "" && state != 1) {
			return fmt.Errorf("invalid duid %q", duid)
		}
		if v := a.Get("iaid"); v == nil {
			return errors.New("missing parameter 'iaid'")
		}
		typ, err := str("type", false)
		if err != nil {
			return err
		}
		switch typ {
		case "", "IA_NA", "IA_TA":
		case "IA_PD":
			if _, ok, err := uint("prefix-len", 128); err != nil || !ok {
				return errors.New("'prefix-len' must be given, from 1 to 128, for a prefix")
			}
			if state == 1 {
				return errors.New("Invalid declined state for PD prefix.")
			}
		default:
			return fmt.Errorf("Incorrect lease type: %s, the only supported values are: na, ta and pd", typ)
		}
	}
	return nil
}

// Failure is one lease the server refused.
type Failure struct {
	Where, Address, Reason string
}

// ImportResult counts what Import did.
type ImportResult struct {
	Imported, Skipped, Failed int
	Failures                  []Failure
	Skips                     []Failure // leases that already existed
}

// ImportOptions adjust Import.
type ImportOptions struct {
	// Replace overwrites existing leases (leaseN-update with
	// force-create) instead of skipping them.
	Replace  bool
	Progress func(done, total int) // called after every lease, may be nil
}

// Import sends each record as one leaseN-add (or leaseN-update) command.
// A lease that exists already is skipped unless Replace is set. It stops
// early only when the context ends or the server cannot be reached.
func (c *Client) Import(ctx context.Context, family int, recs []Record, o ImportOptions) (*ImportResult, error) {
	name := fmt.Sprintf("lease%d-add", family)
	if o.Replace {
		name = fmt.Sprintf("lease%d-update", family)
	}
	service := ""
	if c.Service != "" {
		service = fmt.Sprintf("dhcp%d", family)
	}
	res := &ImportResult{}
	for i, r := range recs {
		args := r.Args
		if o.Replace {
			args = args.Copy()
			args.Set("force-create", kjson.NewBool(true))
		}
		a, err := c.CommandFor(ctx, service, name, args)
		if err != nil {
			return res, fmt.Errorf("%s (%s): %w", r.Where, r.Address, err)
		}
		switch {
		case a.Result == ResultSuccess:
			res.Imported++
		case !o.Replace && a.Result == ResultError && strings.HasSuffix(a.Text, "lease already exists."):
			res.Skipped++
			res.Skips = append(res.Skips, Failure{r.Where, r.Address, a.Text})
		default:
			res.Failed++
			res.Failures = append(res.Failures, Failure{r.Where, r.Address, a.Text})
		}
		if o.Progress != nil {
			o.Progress(i+1, len(recs))
		}
	}
	return res, nil
}

// Reasons groups failures by reason, most frequent first.
func Reasons(fs []Failure) []string {
	count := map[string]int{}
	for _, f := range fs {
		count[f.Reason]++
	}
	out := make([]string, 0, len(count))
	for r := range count {
		out = append(out, r)
	}
	sort.Slice(out, func(i, j int) bool {
		if count[out[i]] != count[out[j]] {
			return count[out[i]] > count[out[j]]
		}
		return out[i] < out[j]
	})
	for i, r := range out {
		out[i] = fmt.Sprintf("%d × %s", count[r], r)
	}
	return out
}
