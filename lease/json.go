package lease

import (
	"net/netip"
	"strconv"

	"github.com/lessor-dhcp/lessor/internal/kjson"
)

// WriteJSON writes the lease's Kea text directly, the same bytes as
// ToElement().Write(w) without building the element tree.
func (l *Lease4) WriteJSON(w kjson.Writer) {
	w.WriteString("{ ")
	if l.ClientID != nil {
		w.WriteString(`"client-id": `)
		writeHexString(w, l.ClientID)
		w.WriteString(", ")
	}
	w.WriteString(`"cltt": `)
	writeInt(w, l.CLTT)
	w.WriteString(`, "fqdn-fwd": `)
	writeBool(w, l.FqdnFwd)
	w.WriteString(`, "fqdn-rev": `)
	writeBool(w, l.FqdnRev)
	w.WriteString(`, "hostname": `)
	kjson.WriteString(w, l.Hostname)
	w.WriteString(`, "hw-address": `)
	writeHexString(w, l.HWAddr)
	w.WriteString(`, "ip-address": `)
	writeAddr(w, l.Addr)
	w.WriteString(`, "state": `)
	writeInt(w, int64(l.State))
	w.WriteString(`, "subnet-id": `)
	writeInt(w, int64(l.SubnetID))
	if l.UserContext != nil {
		w.WriteString(`, "user-context": `)
		l.UserContext.Write(w)
	}
	w.WriteString(`, "valid-lft": `)
	writeInt(w, int64(l.ValidLft))
	w.WriteString(" }")
}

// WriteJSON writes the lease's Kea text directly, the same bytes as
// ToElement().Write(w) without building the element tree.
func (l *Lease6) WriteJSON(w kjson.Writer) {
	w.WriteString(`{ "cltt": `)
	writeInt(w, l.CLTT)
	w.WriteString(`, "duid": `)
	writeHexString(w, l.DUID)
	w.WriteString(`, "fqdn-fwd": `)
	writeBool(w, l.FqdnFwd)
	w.WriteString(`, "fqdn-rev": `)
	writeBool(w, l.FqdnRev)
	w.WriteString(`, "hostname": `)
	kjson.WriteString(w, l.Hostname)
	if l.HWAddr != nil {
		w.WriteString(`, "hw-address": `)
		writeHexString(w, l.HWAddr)
	}
	w.WriteString(`, "iaid": `)
	writeInt(w, int64(l.IAID))
	w.WriteString(`, "ip-address": `)
	writeAddr(w, l.Addr)
	w.WriteString(`, "preferred-lft": `)
	writeInt(w, int64(l.PreferredLft))
	if l.Type == TypePD {
		w.WriteString(`, "prefix-len": `)
		writeInt(w, int64(l.PrefixLen))
	}
	w.WriteString(`, "state": `)
	writeInt(w, int64(l.State))
	w.WriteString(`, "subnet-id": `)
	writeInt(w, int64(l.SubnetID))
	w.WriteString(`, "type": `)
	kjson.WriteString(w, l.Type.String())
	if l.UserContext != nil {
		w.WriteString(`, "user-context": `)
		l.UserContext.Write(w)
	}
	w.WriteString(`, "valid-lft": `)
	writeInt(w, int64(l.ValidLft))
	w.WriteString(" }")
}

// JSONElement returns a Lazy element that writes the lease's Kea text when
// the answer is written (for answers that only get written, not inspected).
func (l *Lease4) JSONElement() *kjson.Element {
	return &kjson.Element{Kind: kjson.Lazy, Gen: l.WriteJSON}
}

// JSONElement returns a Lazy element that writes the lease's Kea text when
// the answer is written (for answers that only get written, not inspected).
func (l *Lease6) JSONElement() *kjson.Element {
	return &kjson.Element{Kind: kjson.Lazy, Gen: l.WriteJSON}
}

func writeBytes(w kjson.Writer, b []byte) { kjson.WriteBytes(w, b) }

func writeInt(w kjson.Writer, v int64) {
	var buf [24]byte
	writeBytes(w, strconv.AppendInt(buf[:0], v, 10))
}

func writeBool(w kjson.Writer, v bool) {
	if v {
		w.WriteString("true")
	} else {
		w.WriteString("false")
	}
}

func writeAddr(w kjson.Writer, a netip.Addr) {
	if !a.IsValid() {
		kjson.WriteString(w, a.String())
		return
	}
	var buf [64]byte
	b := append(buf[:0], '"')
	b = a.AppendTo(b)
	writeBytes(w, append(b, '"'))
}

// writeHexString writes FormatHex(b) as a JSON string.
func writeHexString(w kjson.Writer, b []byte) {
	const digits = "0123456789abcdef"
	var buf [128]byte
	out := append(buf[:0], '"')
	for i, v := range b {
		if i > 0 {
			out = append(out, ':')
		}
		out = append(out, digits[v>>4], digits[v&15])
	}
	writeBytes(w, append(out, '"'))
}
