package main

import (
	"flag"
	"fmt"
	"slices"
)

// subcommand is one subcommand of cookies, token or session, as their
// help lists it.
type subcommand struct{ name, summary string }

// subcommands are the subcommands of each command that has them, in the
// order the help lists them.
var subcommands = map[string][]subcommand{
	"cookies": {
		{"list", "print the session's cookies (values masked unless --show-values)"},
		{"import", "add cookies from a cookies.txt file, a storageState file or a browser profile"},
		{"export", "write the cookies as cookies.txt, JSON or storageState"},
		{"rm", "remove one cookie"},
		{"clear", "remove every cookie"},
		{"browsers", "list the browser profiles found, and where they were looked for"},
	},
	"token": {
		{"show", "print the token's type, expiry and fingerprints (never its value)"},
		{"refresh", "refresh the token now and save it"},
	},
	"session": {
		{"encrypt", "encrypt the session file with age"},
		{"decrypt", "decrypt an encrypted session file"},
		{"reset", "move a corrupt session file aside"},
	},
}

// subcommandOf checks the first argument of command cmd: "-h" (or
// "--help", "help") prints the subcommands and gives flag.ErrHelp,
// anything but a subcommand is a usage error naming them.
func subcommandOf(e *env, cmd string, args []string) error {
	subs := subcommands[cmd]
	if len(args) > 0 && (args[0] == "-h" || args[0] == "-help" || args[0] == "--help" || args[0] == "help") {
		fmt.Fprintf(e.stderr, "usage: httpsession %s SUBCOMMAND [flags]\n\nsubcommands:\n", cmd)
		for _, s := range subs {
			fmt.Fprintf(e.stderr, "  %-9s %s\n", s.name, s.summary)
		}
		fmt.Fprintf(e.stderr, "\nRun \"httpsession %s SUBCOMMAND -h\" for a subcommand's flags.\n", cmd)
		return flag.ErrHelp
	}
	names := make([]string, len(subs))
	for i, s := range subs {
		names[i] = s.name
	}
	if len(args) == 0 || !slices.Contains(names, args[0]) {
		return usagef("want a subcommand: %s (see \"httpsession %s -h\")", orList(names), cmd)
	}
	return nil
}

// orList joins names as "a, b or c".
func orList(names []string) string {
	switch len(names) {
	case 0:
		return ""
	case 1:
		return names[0]
	}
	s := names[0]
	for _, n := range names[1 : len(names)-1] {
		s += ", " + n
	}
	return s + " or " + names[len(names)-1]
}
