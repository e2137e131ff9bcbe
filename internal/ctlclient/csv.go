package ctlclient

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/lessor-dhcp/lessor/internal/kjson"
)

// The memfile CSV headers Kea 2.2 writes.
var (
	CSVHeader4 = []string{"address", "hwaddr", "client_id", "valid_lifetime", "expire", "subnet_id",
		"fqdn_fwd", "fqdn_rev", "hostname", "state", "user_context"}
	CSVHeader6 = []string{"address", "duid", "valid_lifetime", "expire", "subnet_id", "pref_lifetime",
		"lease_type", "iaid", "prefix_len", "fqdn_fwd", "fqdn_rev", "hostname", "hwaddr", "state",
		"user_context", "hwtype", "hwaddr_source"}
)

// escapeCSV escapes a text field as Kea's memfile does: ',' and '&'
// become "&#x2c" and "&#x26".
func escapeCSV(s string) string {
	if !strings.ContainsAny(s, ",&") {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case ',':
			b.WriteString("&#x2c")
		case '&':
			b.WriteString("&#x26")
		default:
			b.WriteByte(s[i])
		}
	}
	return b.String()
}

// unescapeCSV reverses escapeCSV for any "&#xHH" sequence, as Kea does.
func unescapeCSV(s string) string {
	if !strings.Contains(s, "&#x") {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		if strings.HasPrefix(s[i:], "&#x") && i+5 <= len(s) {
			if v, err := strconv.ParseUint(s[i+3:i+5], 16, 8); err == nil {
				b.WriteByte(byte(v))
				i += 5
				continue
			}
		}
		b.WriteByte(s[i])
		i++
	}
	return b.String()
}

func boolDigit(l *kjson.Element, k string) string {
	if v := l.Get(k); v != nil && v.Kind == kjson.Bool && v.B {
		return "1"
	}
	return "0"
}

// CSVWriter writes leases (as lease commands show them) in Kea's memfile
// CSV format for their family.
type CSVWriter struct {
	w       *bufio.Writer
	family  int
	started bool
}

// NewCSVWriter writes to w for family 4 or 6.
func NewCSVWriter(w io.Writer, family int) *CSVWriter {
	return &CSVWriter{w: bufio.NewWriter(w), family: family}
}

// Write writes one lease, after the header for the first.
func (c *CSVWriter) Write(l *kjson.Element) error {
	if !c.started {
		c.started = true
		h := CSVHeader4
		if c.family == 6 {
			h = CSVHeader6
		}
		c.w.WriteString(strings.Join(h, ",") + "\n")
	}
	expire := strconv.FormatInt(intField(l, "cltt")+intField(l, "valid-lft"), 10)
	uc := ""
	if u := l.Get("user-context"); u != nil {
		uc = escapeCSV(u.Str())
	}
	var row []string
	if c.family == 4 {
		row = []string{strField(l, "ip-address"), strField(l, "hw-address"), strField(l, "client-id"),
			strconv.FormatInt(intField(l, "valid-lft"), 10), expire, strconv.FormatInt(intField(l, "subnet-id"), 10),
			boolDigit(l, "fqdn-fwd"), boolDigit(l, "fqdn-rev"), escapeCSV(strField(l, "hostname")),
			strconv.FormatInt(intField(l, "state"), 10), uc}
	} else {
		typ := map[string]string{"IA_NA": "0", "IA_TA": "1", "IA_PD": "2"}[strField(l, "type")]
		if typ == "" {
			typ = "0"
		}
		plen := int64(128)
		if l.Contains("prefix-len") {
			plen = intField(l, "prefix-len")
		}
		hw, hwtype, hwsrc := strField(l, "hw-address"), "", ""
		if l.Contains("hw-address") {
			// The lease commands do not show the hardware type and
			// source: Ethernet and unknown, Kea's defaults.
			hwtype, hwsrc = "1", "0"
		}
		row = []string{strField(l, "ip-address"), strField(l, "duid"),
			strconv.FormatInt(intField(l, "valid-lft"), 10), expire, strconv.FormatInt(intField(l, "subnet-id"), 10),
			strconv.FormatInt(intField(l, "preferred-lft"), 10), typ, strconv.FormatInt(intField(l, "iaid"), 10),
			strconv.FormatInt(plen, 10), boolDigit(l, "fqdn-fwd"), boolDigit(l, "fqdn-rev"),
			escapeCSV(strField(l, "hostname")), hw, strconv.FormatInt(intField(l, "state"), 10), uc, hwtype, hwsrc}
	}
	_, err := c.w.WriteString(strings.Join(row, ",") + "\n")
	return err
}

// Flush writes out buffered rows (and the header when no lease was
// written).
func (c *CSVWriter) Flush() error {
	if !c.started {
		c.started = true
		h := CSVHeader4
		if c.family == 6 {
			h = CSVHeader6
		}
		c.w.WriteString(strings.Join(h, ",") + "\n")
	}
	return c.w.Flush()
}

// JSONWriter writes leases as one JSON document: {"leases": [ ... ]},
// one lease per line.
type JSONWriter struct {
	w *bufio.Writer
	n int
}

// NewJSONWriter writes to w.
func NewJSONWriter(w io.Writer) *JSONWriter { return &JSONWriter{w: bufio.NewWriter(w)} }

// Write writes one lease.
func (j *JSONWriter) Write(l *kjson.Element) error {
	if j.n == 0 {
		j.w.WriteString("{ \"leases\": [\n")
	} else {
		j.w.WriteString(",\n")
	}
	j.n++
	_, err := j.w.WriteString("  " + l.Str())
	return err
}

// Flush ends the document.
func (j *JSONWriter) Flush() error {
	if j.n == 0 {
		j.w.WriteString("{ \"leases\": [")
	}
	j.w.WriteString("\n] }\n")
	return j.w.Flush()
}

// csvRows splits a memfile CSV text into its header and rows, with line
// numbers. Kea's CSV has no quoting: fields are split on commas.
func csvRows(text string) (header []string, rows [][]string, lines []int, err error) {
	for i, line := range strings.Split(text, "\n") {
		line = strings.TrimSuffix(line, "\r")
		if strings.TrimSpace(line) == "" {
			continue
		}
		f := strings.Split(line, ",")
		if header == nil {
			header = f
			continue
		}
		if len(f) != len(header) {
			return nil, nil, nil, fmt.Errorf("line %d: %d fields, the header has %d", i+1, len(f), len(header))
		}
		rows = append(rows, f)
		lines = append(lines, i+1)
	}
	if header == nil {
		return nil, nil, nil, fmt.Errorf("no CSV header")
	}
	return header, rows, lines, nil
}
