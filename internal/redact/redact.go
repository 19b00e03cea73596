// Package redact prints values that hold secrets (tokens, passwords,
// cookie values, URL queries) for errors, logs and fmt output, as package
// httpsession, its OAuth flows (package oauth) and package storagestate
// do: a secret is
// shown as "[redacted]", a URL as its scheme, host and path, and text a
// server sent back is bounded, printable and free of the request's secrets.
package redact

import (
	"encoding/base64"
	"fmt"
	"net/url"
	"regexp"
	"strings"
)

// Mark stands in for a secret.
const Mark = "[redacted]"

// Secret is Mark for a secret that is set, `""` for an empty one.
func Secret(s string) string {
	if s == "" {
		return `""`
	}
	return Mark
}

// Format prints the redacted description of a value that holds secrets,
// whatever the fmt verb: gostr for %#v, str for every other verb, with the
// verb's width and flags applied as to a string. It is the Format method
// of every type that holds a secret.
func Format(f fmt.State, verb rune, str, gostr string) {
	if verb == 'v' && f.Flag('#') {
		_, _ = fmt.Fprint(f, gostr)
		return
	}
	_, _ = fmt.Fprintf(f, fmt.FormatString(f, verb), str)
}

// Clean bounds s to n bytes of printable ASCII, with every non-empty
// secret replaced by Mark. Secrets are looked for after the unprintable
// characters are gone, so that one inserted into a secret cannot smuggle
// it through, in their form-encoded and path-escaped forms, as a server
// echoing a request parameter may send them, and inside base64 (an echoed
// "Authorization: Basic" header carries client_id:secret).
func Clean(s string, n int, secrets ...string) string {
	s = printableASCII(s)
	var forms []string
	for _, sec := range secrets {
		if sec == "" {
			continue
		}
		for _, form := range [...]string{sec, printableASCII(sec), url.QueryEscape(sec), url.PathEscape(sec)} {
			if form != "" {
				forms = append(forms, form)
				s = strings.ReplaceAll(s, form, Mark)
			}
		}
	}
	if len(forms) > 0 {
		s = base64Runs.ReplaceAllStringFunc(s, func(run string) string {
			for _, enc := range [...]*base64.Encoding{base64.StdEncoding, base64.URLEncoding, base64.RawStdEncoding, base64.RawURLEncoding} {
				if b, err := enc.DecodeString(run); err == nil {
					for _, form := range forms {
						if strings.Contains(string(b), form) {
							return Mark
						}
					}
				}
			}
			return run
		})
	}
	if len(s) > n {
		s = s[:n] + "…"
	}
	return s
}

// base64Runs matches what may be a base64 encoding, standard or URL-safe.
var base64Runs = regexp.MustCompile(`[A-Za-z0-9+/_-]{4,}={0,2}`)

// printableASCII returns s without the characters outside printable ASCII.
func printableASCII(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r > 0x7e {
			return -1
		}
		return r
	}, s)
}

// URLString is URL for a URL not parsed yet.
func URLString(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return "(unparsable URL)"
	}
	return URL(u)
}

// URL renders u for logs and errors: scheme, host and path only — no user
// info, no query, no fragment, where secrets travel.
func URL(u *url.URL) string {
	if u == nil {
		return ""
	}
	r := url.URL{Scheme: u.Scheme, Host: u.Host, Path: u.Path, RawPath: u.RawPath}
	return r.String()
}
