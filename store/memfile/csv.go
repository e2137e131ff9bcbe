package memfile

import (
	"bytes"
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"unsafe"

	"github.com/lessor-dhcp/lessor/internal/kjson"
	"github.com/lessor-dhcp/lessor/lease"
)

// The lease file columns of Kea 2.2's current schema.
var (
	columns4 = []string{"address", "hwaddr", "client_id", "valid_lifetime", "expire",
		"subnet_id", "fqdn_fwd", "fqdn_rev", "hostname", "state", "user_context"}
	columns6 = []string{"address", "duid", "valid_lifetime", "expire", "subnet_id",
		"pref_lifetime", "lease_type", "iaid", "prefix_len", "fqdn_fwd", "fqdn_rev",
		"hostname", "hwaddr", "state", "user_context", "hwtype", "hwaddr_source"}
	// Default values of columns added by later schema versions ("" = none).
	defaults4 = []string{10: "", 9: "0"}
	defaults6 = []string{16: "", 13: "0"}
)

// Kea accepts a file whose header has at least the columns up to hostname.
const (
	minColumns4 = 9
	minColumns6 = 12
)

// Column positions.
const (
	c4Address = iota
	c4HWAddr
	c4ClientID
	c4Valid
	c4Expire
	c4Subnet
	c4FqdnFwd
	c4FqdnRev
	c4Hostname
	c4State
	c4Context
)

const (
	c6Address = iota
	c6DUID
	c6Valid
	c6Expire
	c6Subnet
	c6Pref
	c6Type
	c6IAID
	c6PrefixLen
	c6FqdnFwd
	c6FqdnRev
	c6Hostname
	c6HWAddr
	c6State
	c6Context
	c6HWType
	c6HWSource
)

// headerLine returns the header row of the current schema, newline included.
func headerLine(family int) []byte {
	if family == 4 {
		return []byte(strings.Join(columns4, ",") + "\n")
	}
	return []byte(strings.Join(columns6, ",") + "\n")
}

// schema describes the header of a file being read, as Kea's versioned CSV
// file checks it.
type schema struct {
	family  int
	columns []string // current schema
	valid   int      // header columns matching the current schema
	input   int      // header columns
}

// needsConversion reports whether the file's header differs from the
// current schema (older or newer), as Kea's needsConversion does.
func (s *schema) needsConversion() bool {
	return s.valid < len(s.columns) || s.input > len(s.columns)
}

// checkHeader validates a header line as Kea's VersionedCSVFile does.
func checkHeader(family int, line []byte, file string) (*schema, error) {
	s := &schema{family: family, columns: columns4}
	minimum := minColumns4
	if family == 6 {
		s.columns, minimum = columns6, minColumns6
	}
	fields := strings.Split(string(line), ",")
	if len(line) == 0 {
		fields = nil
	}
	s.input = len(fields)
	i := 0
	for ; i < len(fields) && i < len(s.columns); i++ {
		if fields[i] != s.columns[i] {
			return nil, fmt.Errorf("invalid header '%s' in CSV file '%s':  - header contains an invalid column: '%s'",
				line, file, fields[i])
		}
	}
	if i < minimum {
		return nil, fmt.Errorf("invalid header '%s' in CSV file '%s':  - header has only %d valid column(s), it must have at least %d",
			line, file, i, minimum)
	}
	s.valid = i
	return s, nil
}

// rowFields splits a data row and fits it to the current schema as Kea's
// VersionedCSVFile::next does (padding rows of older files with the
// columns' defaults, trimming extra columns of newer files).
func (s *schema) rowFields(line []byte, fields [][]byte, file string) ([][]byte, error) {
	fields = fields[:0]
	for {
		i := bytes.IndexByte(line, ',')
		if i < 0 {
			fields = append(fields, line)
			break
		}
		fields = append(fields, line[:i])
		line = line[i+1:]
	}
	n, cur := len(fields), len(s.columns)
	switch {
	case s.valid < cur: // older file
		if n < s.valid {
			return nil, columnCountError(fields, file, "too few columns to upgrade")
		}
		if n > cur {
			return nil, columnCountError(fields, file, "too many columns to upgrade")
		}
		defs := defaults4
		if s.family == 6 {
			defs = defaults6
		}
		for i := n; i < cur; i++ {
			fields = append(fields, []byte(defs[i]))
		}
	case s.input > cur: // newer file
		if n < cur {
			return nil, columnCountError(fields, file, "too few columns to downgrade")
		}
		if n > s.input {
			return nil, columnCountError(fields, file, "too many columns to downgrade")
		}
		fields = fields[:cur]
	default:
		if n != cur {
			return nil, columnCountError(fields, file, "must match current schema")
		}
	}
	return fields, nil
}

func columnCountError(fields [][]byte, file, reason string) error {
	return fmt.Errorf("Invalid number of columns: %d in row: '%s', file: '%s' : %s",
		len(fields), bytes.Join(fields, []byte(",")), file, reason)
}

// escape appends v with the characters Kea escapes in text columns (',' and
// '&') written as "&#x2c" and "&#x26". lessor also escapes line breaks,
// which Kea's reader decodes the same way, so that no value can break a row.
func escape(dst []byte, v string) []byte {
	const hexd = "0123456789abcdef"
	for i := 0; i < len(v); i++ {
		c := v[i]
		switch c {
		case ',', '&', '\n', '\r':
			dst = append(dst, '&', '#', 'x', hexd[c>>4], hexd[c&15])
		default:
			dst = append(dst, c)
		}
	}
	return dst
}

// unescape decodes "&#xHH" sequences as Kea's CSVRow::unescapeCharacters
// does, including its handling of a tag too close to the end of the text
// (it yields a NUL character).
func unescape(v []byte) string {
	return string(unescapeTo(nil, v))
}

// unescapeTo appends the decoded v to out.
func unescapeTo(out, v []byte) []byte {
	const tag = "&#x"
	if bytes.Index(v, []byte(tag)) < 0 {
		return append(out, v...)
	}
	start := 0
	for {
		k := bytes.Index(v[start:], []byte(tag))
		if k < 0 {
			return append(out, v[start:]...)
		}
		esc := start + k
		out = append(out, v[start:esc]...)
		dig := esc + len(tag)
		var ch byte
		ok := true
		if dig <= len(v)-2 {
			for i := 0; i < 2; i++ {
				d, good := hexDigit(v[dig])
				if !good {
					ok = false
					break
				}
				ch = ch<<4 | d
				dig++
			}
		}
		if ok {
			out = append(out, ch)
			start = dig
		} else {
			out = append(out, tag...)
			start = esc + len(tag)
		}
	}
}

func hexDigit(c byte) (byte, bool) {
	switch {
	case c >= '0' && c <= '9':
		return c - '0', true
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10, true
	case c >= 'A' && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

var errBadCast = errors.New("bad lexical cast: source type value could not be interpreted as target")

// parseUint parses an unsigned number as boost::lexical_cast does: an
// optional sign ('-' wraps around), then decimal digits only.
func parseUint(b []byte, bits int) (uint64, error) {
	neg := false
	if len(b) > 0 && (b[0] == '-' || b[0] == '+') {
		neg = b[0] == '-'
		b = b[1:]
	}
	if len(b) == 0 {
		return 0, errBadCast
	}
	var v uint64
	limit := uint64(1)<<bits - 1
	if bits == 64 {
		limit = ^uint64(0)
	}
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, errBadCast
		}
		d := uint64(c - '0')
		if v > (limit-d)/10 {
			return 0, errBadCast
		}
		v = v*10 + d
	}
	if neg {
		v = -v & limit
	}
	return v, nil
}

// parseInt parses a signed int as boost::lexical_cast<int> does.
func parseInt(b []byte) (int64, error) {
	s := b
	if len(s) > 0 && (s[0] == '-' || s[0] == '+') {
		s = s[1:]
	}
	if len(s) == 0 {
		return 0, errBadCast
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return 0, errBadCast
		}
	}
	v, err := strconv.ParseInt(borrow(b), 10, 32)
	if err != nil {
		return 0, errBadCast
	}
	return v, nil
}

func parseBool(b []byte) (bool, error) {
	if len(b) == 1 && (b[0] == '0' || b[0] == '1') {
		return b[0] == '1', nil
	}
	return false, errBadCast
}

// parseColonHex decodes "a:bb:cc" as Kea's decodeColonSeparatedHexString
// does (one or two digits between colons; "" is empty).
func parseColonHex(dst []byte, b []byte, sep byte) ([]byte, error) {
	if len(b) == 0 {
		return dst, nil
	}
	for {
		i := bytes.IndexByte(b, sep)
		tok := b
		if i >= 0 {
			tok = b[:i]
		}
		switch {
		case len(tok) == 0:
			return nil, fmt.Errorf("two consecutive separators ('%c') specified in a decoded string", sep)
		case len(tok) > 2:
			return nil, fmt.Errorf("invalid format of the decoded string")
		}
		var v byte
		for _, c := range tok {
			d, ok := hexDigit(c)
			if !ok {
				return nil, fmt.Errorf("'%c' is not a valid hexadecimal digit in decoded string", c)
			}
			v = v<<4 | d
		}
		dst = append(dst, v)
		if i < 0 {
			return dst, nil
		}
		b = b[i+1:]
	}
}

// parseFormattedHex decodes an identifier as Kea's
// decodeFormattedHexString does: colon or space separated octets, or a
// plain run of hex digits with an optional "0x" prefix.
func parseFormattedHex(b []byte) ([]byte, error) {
	return parseFormattedHexTo(nil, b)
}

func parseFormattedHexTo(dst, b []byte) ([]byte, error) {
	if bytes.IndexByte(b, ':') >= 0 {
		return parseColonHex(dst, b, ':')
	}
	if bytes.IndexByte(b, ' ') >= 0 {
		return parseColonHex(dst, b, ' ')
	}
	s := b
	if len(b) > 2 && b[0] == '0' && b[1] == 'x' {
		s = b[2:]
	}
	if len(b)%2 != 0 {
		s = append([]byte{'0'}, s...)
	}
	if len(s)%2 != 0 {
		return nil, badHex(b)
	}
	if dst == nil {
		dst = make([]byte, 0, len(s)/2)
	}
	for i := 0; i < len(s); i += 2 {
		h, ok1 := hexDigit(s[i])
		l, ok2 := hexDigit(s[i+1])
		if !ok1 || !ok2 {
			return nil, badHex(b)
		}
		dst = append(dst, h<<4|l)
	}
	return dst, nil
}

func badHex(b []byte) error {
	return fmt.Errorf("'%s' is not a valid string of hexadecimal digits", b)
}

func stateText(s lease.State) string {
	switch s {
	case lease.StateDefault:
		return "default"
	case lease.StateDeclined:
		return "declined"
	case lease.StateExpiredReclaimed:
		return "expired-reclaimed"
	}
	return fmt.Sprintf("unknown (%d)", uint32(s))
}

func appendHex(dst, b []byte) []byte {
	const digits = "0123456789abcdef"
	for i, v := range b {
		if i > 0 {
			dst = append(dst, ':')
		}
		dst = append(dst, digits[v>>4], digits[v&15])
	}
	return dst
}

func appendBool(dst []byte, b bool) []byte {
	if b {
		return append(dst, '1')
	}
	return append(dst, '0')
}

// appendRow4 appends l's lease file row (with valid as its valid lifetime)
// and a newline, as Kea's CSVLeaseFile4::append writes it.
func appendRow4(dst []byte, l *lease.Lease4, valid uint32) []byte {
	dst = l.Addr.AppendTo(dst)
	dst = append(dst, ',')
	dst = appendHex(dst, l.HWAddr)
	dst = append(dst, ',')
	dst = appendHex(dst, l.ClientID)
	dst = append(dst, ',')
	dst = strconv.AppendUint(dst, uint64(valid), 10)
	dst = append(dst, ',')
	dst = strconv.AppendUint(dst, uint64(l.CLTT)+uint64(valid), 10)
	dst = append(dst, ',')
	dst = strconv.AppendUint(dst, uint64(l.SubnetID), 10)
	dst = append(dst, ',')
	dst = appendBool(dst, l.FqdnFwd)
	dst = append(dst, ',')
	dst = appendBool(dst, l.FqdnRev)
	dst = append(dst, ',')
	dst = escape(dst, l.Hostname)
	dst = append(dst, ',')
	dst = strconv.AppendUint(dst, uint64(l.State), 10)
	dst = append(dst, ',')
	if l.UserContext != nil {
		dst = escape(dst, l.UserContext.Str())
	}
	return append(dst, '\n')
}

// appendRow6 is appendRow4 for IPv6 leases (Kea's CSVLeaseFile6::append).
func appendRow6(dst []byte, l *lease.Lease6, valid uint32) []byte {
	dst = l.Addr.AppendTo(dst)
	dst = append(dst, ',')
	dst = appendHex(dst, l.DUID)
	dst = append(dst, ',')
	dst = strconv.AppendUint(dst, uint64(valid), 10)
	dst = append(dst, ',')
	dst = strconv.AppendUint(dst, uint64(l.CLTT)+uint64(valid), 10)
	dst = append(dst, ',')
	dst = strconv.AppendUint(dst, uint64(l.SubnetID), 10)
	dst = append(dst, ',')
	dst = strconv.AppendUint(dst, uint64(l.PreferredLft), 10)
	dst = append(dst, ',')
	dst = strconv.AppendUint(dst, uint64(l.Type), 10)
	dst = append(dst, ',')
	dst = strconv.AppendUint(dst, uint64(l.IAID), 10)
	dst = append(dst, ',')
	dst = strconv.AppendUint(dst, uint64(l.PrefixLen), 10)
	dst = append(dst, ',')
	dst = appendBool(dst, l.FqdnFwd)
	dst = append(dst, ',')
	dst = appendBool(dst, l.FqdnRev)
	dst = append(dst, ',')
	dst = escape(dst, l.Hostname)
	dst = append(dst, ',')
	if len(l.HWAddr) > 0 {
		dst = appendHex(dst, l.HWAddr)
	}
	dst = append(dst, ',')
	dst = strconv.AppendUint(dst, uint64(l.State), 10)
	dst = append(dst, ',')
	if l.UserContext != nil {
		dst = escape(dst, l.UserContext.Str())
	}
	dst = append(dst, ',')
	if l.HWAddr != nil { // an empty hardware address still has a type
		dst = strconv.AppendUint(dst, uint64(l.HWType), 10)
		dst = append(dst, ',')
		dst = strconv.AppendUint(dst, uint64(l.HWAddrSource), 10)
	} else {
		dst = append(dst, ',')
	}
	return append(dst, '\n')
}

// Limits Kea's identifier types enforce.
const (
	maxHWAddrLen   = 20
	minClientIDLen = 2
	maxDUIDLen     = 128
)

func parseContext(b []byte) (*kjson.Element, error) {
	if len(b) == 0 {
		return nil, nil
	}
	text := unescape(b)
	if text == "" {
		return nil, nil
	}
	ctx, err := kjson.ParseString([]byte(text))
	if err != nil {
		return nil, err
	}
	if ctx.Kind != kjson.Map {
		return nil, fmt.Errorf("user context '%s' is not a JSON map", text)
	}
	return ctx, nil
}

func parseAddr(b []byte, v4 bool) (netip.Addr, error) {
	a, err := netip.ParseAddr(borrow(b))
	if err != nil || a.Is4() != v4 || a.Zone() != "" {
		return netip.Addr{}, fmt.Errorf("Failed to convert string to address '%s': Invalid argument", b)
	}
	return a, nil
}

// rowScratch holds the buffers a row parser decodes into.
type rowScratch struct {
	a, b, host []byte
}

// borrow views b as a string without copying; the string must not outlive
// b's content.
func borrow(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(&b[0], len(b))
}

// parseRow4 decodes the fields of a v4 data row (fitted to the current
// schema) as Kea's CSVLeaseFile4::next does.
func parseRow4(f [][]byte) (*lease.Lease4, error) {
	var l lease.Lease4
	if err := parseRow4To(f, &l, &rowScratch{}); err != nil {
		return nil, err
	}
	c := l.Clone()
	c.Hostname = strings.Clone(l.Hostname)
	return c, nil
}

// parseRow4To is parseRow4 decoding into l, whose identifiers and
// hostname then point into sc (valid until sc is reused).
func parseRow4To(f [][]byte, l *lease.Lease4, sc *rowScratch) error {
	addr, err := parseAddr(f[c4Address], true)
	if err != nil {
		return err
	}
	var cid []byte
	if len(f[c4ClientID]) > 0 {
		cid, err = parseFormattedHexTo(sc.a[:0], f[c4ClientID])
		if err != nil {
			return err
		}
		if len(cid) < minClientIDLen {
			return fmt.Errorf("client-id is too short (%d), at least 2 is required", len(cid))
		}
		if len(cid) > maxDUIDLen {
			return fmt.Errorf("DUID size is %d bytes, exceeds maximum of %d", len(cid), maxDUIDLen)
		}
	}
	hw, err := parseColonHex(sc.b[:0], f[c4HWAddr], ':')
	if err != nil {
		return err
	}
	if len(hw) > maxHWAddrLen {
		return errors.New("address vector size exceeds MAX_HWADDR_LEN")
	}
	st, err := parseUint(f[c4State], 32)
	if err != nil {
		return err
	}
	if len(hw) == 0 && len(cid) == 0 && lease.State(st) != lease.StateDeclined {
		return fmt.Errorf("Lease4: %s, state: %s has neither hardware address or client id",
			addr, stateText(lease.State(st)))
	}
	ctx, err := parseContext(f[c4Context])
	if err != nil {
		return err
	}
	valid, err := parseUint(f[c4Valid], 32)
	if err != nil {
		return err
	}
	expire, err := parseUint(f[c4Expire], 64)
	if err != nil {
		return err
	}
	subnet, err := parseUint(f[c4Subnet], 32)
	if err != nil {
		return err
	}
	fwd, err := parseBool(f[c4FqdnFwd])
	if err != nil {
		return err
	}
	rev, err := parseBool(f[c4FqdnRev])
	if err != nil {
		return err
	}
	if cap(cid) > cap(sc.a) {
		sc.a = cid
	}
	if cap(hw) > cap(sc.b) {
		sc.b = hw
	}
	if len(hw) == 0 {
		hw = nil
	}
	if len(cid) == 0 {
		cid = nil
	}
	sc.host = unescapeTo(sc.host[:0], f[c4Hostname])
	*l = lease.Lease4{
		Addr:        addr,
		HWAddr:      hw,
		HWType:      lease.HTypeEther,
		ClientID:    cid,
		ValidLft:    uint32(valid),
		CLTT:        int64(expire - valid),
		SubnetID:    uint32(subnet),
		FqdnFwd:     fwd,
		FqdnRev:     rev,
		Hostname:    borrow(sc.host),
		State:       lease.State(st),
		UserContext: ctx,
	}
	return nil
}

// parseRow6 decodes the fields of a v6 data row as Kea's
// CSVLeaseFile6::next does.
func parseRow6(f [][]byte) (*lease.Lease6, error) {
	var l lease.Lease6
	if err := parseRow6To(f, &l, &rowScratch{}); err != nil {
		return nil, err
	}
	c := l.Clone()
	c.Hostname = strings.Clone(l.Hostname)
	return c, nil
}

// parseRow6To is parseRow6 decoding into l, whose identifiers and
// hostname then point into sc (valid until sc is reused).
func parseRow6To(f [][]byte, l *lease.Lease6, sc *rowScratch) error {
	typ, err := parseInt(f[c6Type])
	if err != nil {
		return err
	}
	if typ < 0 || typ > int64(lease.TypePD) {
		return fmt.Errorf("invalid lease type %d", typ)
	}
	addr, err := parseAddr(f[c6Address], false)
	if err != nil {
		return err
	}
	duid, err := parseFormattedHexTo(sc.a[:0], f[c6DUID])
	if err != nil {
		return err
	}
	if len(duid) > maxDUIDLen {
		return fmt.Errorf("DUID size is %d bytes, exceeds maximum of %d", len(duid), maxDUIDLen)
	}
	if len(duid) == 0 {
		return errors.New("Empty DUIDs are not allowed")
	}
	iaid, err := parseUint(f[c6IAID], 32)
	if err != nil {
		return err
	}
	pref, err := parseUint(f[c6Pref], 32)
	if err != nil {
		return err
	}
	valid, err := parseUint(f[c6Valid], 32)
	if err != nil {
		return err
	}
	subnet, err := parseUint(f[c6Subnet], 32)
	if err != nil {
		return err
	}
	if cap(duid) > cap(sc.a) {
		sc.a = duid
	}
	*l = lease.Lease6{
		Addr:         addr,
		Type:         lease.Type(typ),
		DUID:         duid,
		IAID:         uint32(iaid),
		PreferredLft: uint32(pref),
		ValidLft:     uint32(valid),
		SubnetID:     uint32(subnet),
	}
	// A hardware address that does not parse is dropped, as Kea does
	// (with a warning there).
	if len(f[c6HWAddr]) > 0 {
		ht := uint64(lease.HTypeEther)
		src := uint64(0)
		hw, herr := parseColonHex(sc.b[:0], f[c6HWAddr], ':')
		if cap(hw) > cap(sc.b) {
			sc.b = hw
		}
		if herr == nil && len(f[c6HWType]) > 0 {
			ht, herr = parseUint(f[c6HWType], 16)
		}
		if herr == nil && len(hw) > maxHWAddrLen {
			herr = errors.New("address vector size exceeds MAX_HWADDR_LEN")
		}
		if herr == nil && len(hw) > 0 && len(f[c6HWSource]) > 0 {
			src, herr = parseUint(f[c6HWSource], 32)
		}
		if herr == nil && len(hw) > 0 {
			l.HWAddr, l.HWType, l.HWAddrSource = hw, uint16(ht), uint32(src)
		}
	}
	plen, err := parseInt(f[c6PrefixLen])
	if err != nil {
		return err
	}
	l.PrefixLen = uint8(plen)
	expire, err := parseUint(f[c6Expire], 64)
	if err != nil {
		return err
	}
	l.CLTT = int64(expire - valid)
	if l.FqdnFwd, err = parseBool(f[c6FqdnFwd]); err != nil {
		return err
	}
	if l.FqdnRev, err = parseBool(f[c6FqdnRev]); err != nil {
		return err
	}
	sc.host = unescapeTo(sc.host[:0], f[c6Hostname])
	l.Hostname = borrow(sc.host)
	st, err := parseUint(f[c6State], 32)
	if err != nil {
		return err
	}
	l.State = lease.State(st)
	if len(duid) == 1 && duid[0] == 0 && l.State != lease.StateDeclined {
		return errors.New("The Empty DUID is only valid for declined leases")
	}
	if l.UserContext, err = parseContext(f[c6Context]); err != nil {
		return err
	}
	return nil
}
