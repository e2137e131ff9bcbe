package main

import "sort"

// commandArgs lists the commands lessorctl knows (lessor's and Kea's) with
// the names of their arguments, for completion and help. Any other command
// can still be sent.
var commandArgs = map[string][]string{
	"build-report":             nil,
	"config-get":               nil,
	"config-reload":            nil,
	"config-set":               nil,
	"config-test":              nil,
	"config-write":             {"filename"},
	"dhcp-disable":             {"max-period"},
	"dhcp-enable":              nil,
	"lease4-add":               {"ip-address", "hw-address", "client-id", "valid-lft", "expire", "subnet-id", "fqdn-fwd", "fqdn-rev", "hostname", "state", "user-context"},
	"lease4-del":               {"ip-address", "identifier-type", "identifier", "subnet-id"},
	"lease4-get":               {"ip-address", "identifier-type", "identifier", "subnet-id"},
	"lease4-get-all":           {"subnets"},
	"lease4-get-by-client-id":  {"client-id"},
	"lease4-get-by-hostname":   {"hostname"},
	"lease4-get-by-hw-address": {"hw-address"},
	"lease4-get-page":          {"from", "limit"},
	"lease4-resend-ddns":       {"ip-address"},
	"lease4-update":            {"ip-address", "hw-address", "client-id", "valid-lft", "expire", "subnet-id", "fqdn-fwd", "fqdn-rev", "hostname", "state", "user-context", "force-create"},
	"lease4-wipe":              {"subnet-id"},
	"lease6-add":               {"ip-address", "duid", "iaid", "type", "prefix-len", "valid-lft", "preferred-lft", "expire", "subnet-id", "fqdn-fwd", "fqdn-rev", "hostname", "hw-address", "state", "user-context"},
	"lease6-bulk-apply":        {"deleted-leases", "leases"},
	"lease6-del":               {"ip-address", "type", "identifier-type", "identifier", "iaid", "subnet-id"},
	"lease6-get":               {"ip-address", "type", "identifier-type", "identifier", "iaid", "subnet-id"},
	"lease6-get-all":           {"subnets"},
	"lease6-get-by-duid":       {"duid"},
	"lease6-get-by-hostname":   {"hostname"},
	"lease6-get-page":          {"from", "limit"},
	"lease6-resend-ddns":       {"ip-address"},
	"lease6-update":            {"ip-address", "duid", "iaid", "type", "prefix-len", "valid-lft", "preferred-lft", "expire", "subnet-id", "fqdn-fwd", "fqdn-rev", "hostname", "hw-address", "state", "user-context", "force-create"},
	"lease6-wipe":              {"subnet-id"},
	"leases-reclaim":           {"remove"},
	"list-commands":            nil,
	"server-tag-get":           nil,
	"shutdown":                 {"exit-value"},
	"statistic-get":            {"name"},
	"statistic-get-all":        nil,
	"statistic-remove":         {"name"},
	"statistic-remove-all":     nil,
	"statistic-reset":          {"name"},
	"statistic-reset-all":      nil,
	"status-get":               nil,
	"version-get":              nil,
}

// stringArgs are always sent as strings, even when they look like numbers
// ("client-id=01").
var stringArgs = map[string]bool{
	"ip-address": true, "hw-address": true, "client-id": true, "duid": true, "hostname": true,
	"identifier": true, "identifier-type": true, "type": true, "from": true, "name": true, "filename": true,
}

func commandNames() []string {
	out := make([]string, 0, len(commandArgs))
	for c := range commandArgs {
		out = append(out, c)
	}
	sort.Strings(out)
	return out
}

// subcommands are lessorctl's own words, with their flags.
var subcommands = map[string][]string{
	"leases list":   {"--family", "--subnet", "--state", "--page-size"},
	"leases export": {"--family", "--format", "--page-size"},
	"leases import": {"--family", "--replace"},
	"completion":    nil,
}

var globalFlags = []string{"--socket", "--url", "--service", "--user", "--password-file", "--ca", "--cert", "--key", "--json", "--args", "--timeout", "--help"}
