package main

import (
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// netrcPath is the netrc file -n reads: $NETRC, else ~/.netrc (as curl
// does; _netrc on Windows is not looked for).
func netrcPath(e *env) string {
	if p := e.getenv("NETRC"); p != "" {
		return p
	}
	home := e.getenv("HOME")
	if home == "" {
		home, _ = os.UserHomeDir()
	}
	return filepath.Join(home, ".netrc")
}

// netrcEntry is one machine (or the default) of a netrc file.
type netrcEntry struct {
	machine         string // "" for default
	login, password string
}

// lookupNetrc finds the credentials for host in the netrc file, the
// first machine entry naming host (and user, when given) winning over a
// default entry. A missing file finds nothing, as with curl.
func lookupNetrc(file, host, user string) (login, password string, ok bool, err error) {
	b, err := os.ReadFile(file)
	if errors.Is(err, fs.ErrNotExist) {
		return "", "", false, nil
	}
	if err != nil {
		return "", "", false, fmt.Errorf("netrc: %w", err)
	}
	var def *netrcEntry
	for _, en := range parseNetrc(string(b)) {
		if user != "" && en.login != user {
			continue
		}
		if en.machine == "" {
			if def == nil {
				def = &en
			}
			continue
		}
		if strings.EqualFold(en.machine, host) {
			return en.login, en.password, true, nil
		}
	}
	if def != nil {
		return def.login, def.password, true, nil
	}
	return "", "", false, nil
}

// parseNetrc reads the machine and default entries of a netrc file:
// whitespace-separated tokens, double-quoted ones with backslash escapes,
// macdef bodies (to the next blank line) skipped, comments from #.
func parseNetrc(s string) []netrcEntry {
	var out []netrcEntry
	var cur *netrcEntry
	toks := netrcTokens(s)
	for i := 0; i < len(toks); i++ {
		next := func() string {
			if i+1 < len(toks) {
				i++
				return toks[i]
			}
			return ""
		}
		switch toks[i] {
		case "machine":
			out = append(out, netrcEntry{machine: next()})
			cur = &out[len(out)-1]
		case "default":
			out = append(out, netrcEntry{})
			cur = &out[len(out)-1]
		case "login":
			if v := next(); cur != nil {
				cur.login = v
			}
		case "password":
			if v := next(); cur != nil {
				cur.password = v
			}
		case "account":
			next()
		}
	}
	return out
}

// netrcTokens splits a netrc file into tokens, dropping comments and
// macdef bodies.
func netrcTokens(s string) []string {
	var toks []string
	for len(s) > 0 {
		s = strings.TrimLeft(s, " \t\r\n")
		switch {
		case s == "":
		case s[0] == '#':
			_, s, _ = strings.Cut(s, "\n")
		case s[0] == '"':
			var b strings.Builder
			i := 1
			for ; i < len(s) && s[i] != '"'; i++ {
				if s[i] == '\\' && i+1 < len(s) {
					i++
				}
				b.WriteByte(s[i])
			}
			toks = append(toks, b.String())
			s = s[min(i+1, len(s)):]
		default:
			end := strings.IndexAny(s, " \t\r\n")
			if end < 0 {
				end = len(s)
			}
			tok := s[:end]
			s = s[end:]
			if tok == "macdef" {
				// The macro's name, then its body up to a blank line.
				if i := strings.Index(s, "\n\n"); i >= 0 {
					s = s[i+2:]
				} else {
					s = ""
				}
				continue
			}
			toks = append(toks, tok)
		}
	}
	return toks
}

// basicValue is the Authorization value of Basic credentials (RFC 7617).
func basicValue(user, pass string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+pass))
}
