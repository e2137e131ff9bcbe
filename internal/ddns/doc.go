// Package ddns sends lessor's DNS update requests to ISC's kea-dhcp-ddns
// (D2): it builds NameChangeRequests exactly as Kea 2.2's DHCP servers do
// (DHCID per RFC 4701, Kea's JSON text and UDP framing), parses the
// "dhcp-ddns" configuration map with Kea's rules and error texts, and
// delivers requests from a bounded queue in its own goroutine so that no
// caller ever waits on DNS.
//
// # Using it from the lease commands
//
// Build one Sender from the parsed configuration and start it:
//
//	cfg, err := ddns.ParseConfig(dhcp4.Get("dhcp-ddns")) // Kea's texts on error
//	s, err := ddns.NewSender(cfg, log, ddns.SenderOptions{})
//	err = s.Start(ctx)
//	defer s.Stop()
//
// lease4-resend-ddns / lease6-resend-ddns (Kea 2.2, lease_cmds.cc):
//
//	if !s.Enabled()                 -> result 1, "DDNS updating is not enabled"
//	no lease (v6: IA_NA only)       -> result 3, "No lease found for: <addr>"
//	l.Hostname == ""                -> result 1, "Lease for: <addr>, has no hostname, nothing to update"
//	!l.FqdnFwd && !l.FqdnRev        -> result 1, "Neither forward nor reverse updates enabled for lease for: <addr>"
//	otherwise s.QueueLease4(l, ddns.ChangeAdd, p) (its error is only logged)
//	                                -> result 0, "NCR generated for: <addr>, hostname: <hostname>"
//
// lease4-del / lease6-del with "update-ddns": true: after the delete
// (even when the store then reports the lease gone), call
// s.QueueLease4(l, ddns.ChangeRemove, p) with the lease found; its error
// does not change the answer.
//
// p comes from ResolveParams(subnet, sharedNetwork, global); Kea uses
// only its UseConflictResolution here, and true when the lease's subnet
// is not configured. A nil *Sender (no dhcp-ddns map) is disabled.
//
// # Kea's wire format
//
// One UDP datagram per request: a 2-octet big-endian length, then JSON
// written with this fixed key order and no spaces:
//
//	{"change-type":0,"forward-change":true,"reverse-change":true,
//	 "fqdn":"myhost.example.com.","ip-address":"192.0.2.10",
//	 "dhcid":"000001E356D4...","lease-expires-on":"20261127011426",
//	 "lease-length":1200,"use-conflict-resolution":false}
//
// (one line on the wire). change-type is 0 add, 1 remove. fqdn is the
// lease hostname parsed as a DNS name and printed with a trailing dot;
// case is kept, DNS escapes (\032, \.) are written into the JSON as they
// are. dhcid is upper-case hex of the RDATA: 0x00, identifier type (0
// htype+hw-address, 1 client-id, 2 DUID, or the DUID inside an RFC 4361
// client-id starting with 255), 0x01 (SHA-256), SHA-256(identifier ||
// lower-cased wire FQDN). lease-length is the DNS TTL: valid-lft/3, at
// least 600. lease-expires-on is cltt + lease-length as UTC
// YYYYMMDDHHMMSS (not the lease's expiry).
package ddns
