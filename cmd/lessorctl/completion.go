package main

import (
	"fmt"
	"sort"
	"strings"
)

// Flags whose value completes as a file name, as a fixed word, or not at
// all.
var (
	fileFlags   = []string{"--socket", "--password-file", "--ca", "--cert", "--key"}
	freeFlags   = []string{"--url", "--user", "--args", "--timeout", "--subnet", "--page-size"}
	choiceFlags = map[string]string{
		"--family":  "4 6",
		"--format":  "csv json",
		"--state":   "default declined expired-reclaimed",
		"--service": "dhcp4 dhcp6 agent",
	}
)

func allFlags() string {
	set := map[string]bool{}
	for _, f := range globalFlags {
		set[f] = true
	}
	for _, fs := range subcommands {
		for _, f := range fs {
			set[f] = true
		}
	}
	set["--replace"] = true
	out := make([]string, 0, len(set))
	for f := range set {
		out = append(out, f)
	}
	sort.Strings(out)
	return strings.Join(out, " ")
}

func valueFlagPattern() string {
	var fs []string
	for f := range valueFlags {
		fs = append(fs, "--"+f)
	}
	sort.Strings(fs)
	return strings.Join(fs, "|")
}

func choiceCases(indent, format string) string {
	var b strings.Builder
	keys := make([]string, 0, len(choiceFlags))
	for k := range choiceFlags {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		fmt.Fprintf(&b, indent+format+"\n", k, choiceFlags[k])
	}
	return b.String()
}

func argCases(indent, format string) string {
	var b strings.Builder
	for _, c := range commandNames() {
		if len(commandArgs[c]) == 0 {
			continue
		}
		fmt.Fprintf(&b, indent+format+"\n", c, strings.Join(commandArgs[c], " "))
	}
	return b.String()
}

func bashScript() string {
	return `# bash completion for lessorctl: source <(lessorctl completion bash)
_lessorctl() {
    local cur prev i w cmd="" sub=""
    cur="${COMP_WORDS[COMP_CWORD]}"
    prev="${COMP_WORDS[COMP_CWORD-1]}"
    case "$prev" in
        ` + strings.Join(fileFlags, "|") + `) COMPREPLY=($(compgen -f -- "$cur")); return ;;
        ` + strings.Join(freeFlags, "|") + `) return ;;
` + choiceCases("        ", `%s) COMPREPLY=($(compgen -W "%s" -- "$cur")); return ;;`) + `    esac
    for ((i = 1; i < COMP_CWORD; i++)); do
        w="${COMP_WORDS[i]}"
        case "$w" in
            ` + valueFlagPattern() + `) ((i++)); continue ;;
            -*) continue ;;
        esac
        if [[ -z $cmd ]]; then cmd=$w; elif [[ -z $sub ]]; then sub=$w; fi
    done
    if [[ $cur == -* ]]; then
        COMPREPLY=($(compgen -W "` + allFlags() + `" -- "$cur"))
        return
    fi
    if [[ -z $cmd ]]; then
        COMPREPLY=($(compgen -W "leases completion help ` + strings.Join(commandNames(), " ") + `" -- "$cur"))
        return
    fi
    case "$cmd" in
        leases)
            if [[ -z $sub ]]; then COMPREPLY=($(compgen -W "list export import" -- "$cur"))
            elif [[ $sub == import ]]; then COMPREPLY=($(compgen -f -- "$cur")); fi ;;
        completion) COMPREPLY=($(compgen -W "bash zsh" -- "$cur")) ;;
        help) COMPREPLY=($(compgen -W "leases commands completion ` + strings.Join(commandNames(), " ") + `" -- "$cur")) ;;
        *)
            local args=""
            case "$cmd" in
` + argCases("                ", `%s) args="%s" ;;`) + `            esac
            if [[ -n $args && $cur != *=* ]]; then
                COMPREPLY=($(compgen -S = -W "$args" -- "$cur"))
                compopt -o nospace 2>/dev/null
            fi ;;
    esac
}
complete -F _lessorctl lessorctl
`
}

func zshScript() string {
	return `#compdef lessorctl
# zsh completion for lessorctl: lessorctl completion zsh > "${fpath[1]}/_lessorctl"
# or: source <(lessorctl completion zsh)
_lessorctl() {
    local cur=${words[CURRENT]} prev=${words[CURRENT-1]} cmd="" sub="" w i
    case $prev in
        ` + strings.Join(fileFlags, "|") + `) _files; return ;;
        ` + strings.Join(freeFlags, "|") + `) return ;;
` + choiceCases("        ", `%s) compadd -- %s; return ;;`) + `    esac
    for ((i = 2; i < CURRENT; i++)); do
        w=${words[i]}
        case $w in
            ` + valueFlagPattern() + `) ((i++)); continue ;;
            -*) continue ;;
        esac
        if [[ -z $cmd ]]; then cmd=$w; elif [[ -z $sub ]]; then sub=$w; fi
    done
    if [[ $cur == -* ]]; then
        compadd -- ` + allFlags() + `
        return
    fi
    if [[ -z $cmd ]]; then
        compadd -- leases completion help ` + strings.Join(commandNames(), " ") + `
        return
    fi
    case $cmd in
        leases)
            if [[ -z $sub ]]; then compadd -- list export import
            elif [[ $sub == import ]]; then _files; fi ;;
        completion) compadd -- bash zsh ;;
        help) compadd -- leases commands completion ` + strings.Join(commandNames(), " ") + ` ;;
        *)
            local -a args
            case $cmd in
` + argCases("                ", `%s) args=(%s) ;;`) + `            esac
            if [[ $cur != *=* ]] && (( ${#args} )); then compadd -S = -- $args; fi ;;
    esac
}
if [[ ${zsh_eval_context[-1]} == loadautofunc ]]; then
    _lessorctl "$@"
else
    compdef _lessorctl lessorctl
fi
`
}

func completion(e *env, pos []string) int {
	if len(pos) != 1 {
		fmt.Fprintln(e.stderr, "lessorctl: completion needs bash or zsh")
		return exitError
	}
	switch pos[0] {
	case "bash":
		fmt.Fprint(e.stdout, bashScript())
	case "zsh":
		fmt.Fprint(e.stdout, zshScript())
	default:
		fmt.Fprintf(e.stderr, "lessorctl: no completion for %q (bash, zsh)\n", pos[0])
		return exitError
	}
	return exitOK
}
