package main

import (
	"flag"
	"fmt"
	"strings"
)

const globalUsage = `Usage: lessorctl [--socket PATH | --url URL [--user U --password-file F] [--ca F --cert F --key F]]
                 COMMAND [key=value ...] [--args JSON] [--json]
       lessorctl leases list|export|import ...
       lessorctl completion bash|zsh

Sends a control command to lessor (or Kea) and prints the answer: leases as
a table, other answers as a one-line summary; --json prints the raw answer.
Exit status: 0 success, 1 error, 2 unsupported command, 3 empty result.

Commands:
  leases list      list leases, reading them page by page
  leases export    write all leases as Kea memfile CSV or JSON
  leases import    add the leases of a CSV or JSON file
  completion       print a shell completion script
  COMMAND          any control command (lessorctl help commands lists them)

Examples:
  lessorctl --socket /run/kea/kea4-ctrl-socket lease4-get ip-address=192.0.2.1
  lessorctl --url https://dhcp1:8000/ --user admin --password-file pw --ca ca.pem \
      lease6-get-by-duid duid=00:01:02:03
  lessorctl --socket /run/kea/kea4-ctrl-socket leases list --subnet 1

Flags (anywhere on the line):
`

var subHelp = map[string]string{
	"leases list": `Usage: lessorctl leases list [--family 4|6] [--subnet ID] [--state STATE] [--page-size N]

Lists every lease, walking lease4-get-page or lease6-get-page (never
get-all), and prints rows as pages arrive: address, identifier (hardware
address, client identifier or DUID), hostname, subnet, state and when the
lease expires. --json prints one lease per line as JSON. A progress count is
shown on stderr when it is a terminal.

Example:
  lessorctl --socket /run/kea/kea4-ctrl-socket leases list --subnet 1 --state declined
`,
	"leases export": `Usage: lessorctl leases export [--family 4|6] --format csv|json > FILE

Writes every lease to stdout, read page by page: csv is Kea's memfile lease
file format for the family (leases4.csv / leases6.csv columns), json is
{"leases": [...]} with the leases as the lease commands show them.

Example:
  lessorctl --socket /run/kea/kea6-ctrl-socket leases export --family 6 --format csv > leases6.csv
`,
	"leases import": `Usage: lessorctl leases import [--family 4|6] [--replace] FILE

Adds the leases of FILE (Kea memfile CSV, or JSON as written by export; the
family is detected) with one lease4-add / lease6-add command each; with
--replace, lease4-update / lease6-update with force-create overwrite existing
leases. The whole file is checked before anything is sent: one bad lease and
nothing is imported. A lease that already exists is skipped. Prints a
summary: imported, skipped, failed with reasons.

Example:
  lessorctl --socket /run/kea/kea4-ctrl-socket leases import leases4.csv
`,
	"completion": `Usage: lessorctl completion bash|zsh

Prints a completion script for commands, subcommands, flags and argument
names.

Example:
  source <(lessorctl completion bash)
  lessorctl completion zsh > "${fpath[1]}/_lessorctl"
`,
}

func help(e *env, fs *flag.FlagSet, pos []string) int {
	topic := strings.Join(pos, " ")
	if topic == "leases" {
		fmt.Fprint(e.stdout, subHelp["leases list"], "\n", subHelp["leases export"], "\n", subHelp["leases import"])
		return exitOK
	}
	if h, ok := subHelp[topic]; ok {
		fmt.Fprint(e.stdout, h, "\nFlags:\n")
		printFlags(e, fs)
		return exitOK
	}
	if topic == "commands" {
		for _, c := range commandNames() {
			fmt.Fprintf(e.stdout, "%-26s %s\n", c, strings.Join(commandArgs[c], " "))
		}
		return exitOK
	}
	if len(pos) > 0 {
		name := pos[0]
		fmt.Fprintf(e.stdout, "Usage: lessorctl [transport flags] %s [key=value ...] [--args JSON] [--json]\n\n", name)
		if args, ok := commandArgs[name]; ok && len(args) > 0 {
			fmt.Fprintf(e.stdout, "Arguments: %s\n\n", strings.Join(args, ", "))
			fmt.Fprintf(e.stdout, "Example:\n  lessorctl --socket /run/kea/kea4-ctrl-socket %s %s=...\n\n", name, args[0])
		} else {
			fmt.Fprintf(e.stdout, "Example:\n  lessorctl --socket /run/kea/kea4-ctrl-socket %s\n\n", name)
		}
		fmt.Fprintln(e.stdout, "Values are JSON when they parse as JSON (valid-lft=3600, fqdn-fwd=true,\nuser-context='{\"a\":1}'), strings otherwise; addresses and identifiers are\nalways strings.\n\nFlags:")
		printFlags(e, fs)
		return exitOK
	}
	fmt.Fprint(e.stdout, globalUsage)
	printFlags(e, fs)
	return exitOK
}

func printFlags(e *env, fs *flag.FlagSet) {
	fs.VisitAll(func(f *flag.Flag) {
		if f.Name == "h" {
			return
		}
		name, usage := flag.UnquoteUsage(f)
		s := "  --" + f.Name
		if name != "" {
			s += " " + name
		}
		fmt.Fprintf(e.stdout, "%-28s %s\n", s, usage)
	})
}
