package httpsession

import (
	"encoding/base64"
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"time"
)

// Redaction: how values that hold secrets (tokens, passwords, cookie values,
// URL queries) are printed in errors, logs and fmt output. Every type that
// holds a secret prints through these helpers.

// redacted stands in for a secret.
const redacted = "[redacted]"

// secretMark is redacted for a secret that is set, `""` for an empty one.
func secretMark(s string) string {
	if s == "" {
		return `""`
	}
	return redacted
}

// expiryString renders an expiry time for a redacted description.
func expiryString(t time.Time) string {
	if t.IsZero() {
		return "unknown"
	}
	return t.Format(time.RFC3339)
}

// formatRedacted prints the redacted description of a value that holds
// secrets, whatever the fmt verb: gostr for %#v, str for every other verb,
// with the verb's width and flags applied as to a string. It is the Format
// method of Token, Cookie and the authenticators.
func formatRedacted(f fmt.State, verb rune, str, gostr string) {
	if verb == 'v' && f.Flag('#') {
		_, _ = fmt.Fprint(f, gostr)
		return
	}
	_, _ = fmt.Fprintf(f, fmt.FormatString(f, verb), str)
}

// clean bounds s to n bytes of printable ASCII, with every non-empty
// secret replaced by "[redacted]". Secrets are looked for after the
// unprintable characters are gone, so that one inserted into a secret
// cannot smuggle it through, in their form-encoded and path-escaped forms,
// as a server echoing a request parameter may send them, and inside base64
// (an echoed "Authorization: Basic" header carries client_id:secret).
func clean(s string, n int, secrets ...string) string {
	s = printableASCII(s)
	var forms []string
	for _, sec := range secrets {
		if sec == "" {
			continue
		}
		for _, form := range [...]string{sec, printableASCII(sec), url.QueryEscape(sec), url.PathEscape(sec)} {
			if form != "" {
				forms = append(forms, form)
				s = strings.ReplaceAll(s, form, redacted)
			}
		}
	}
	if len(forms) > 0 {
		s = base64Runs.ReplaceAllStringFunc(s, func(run string) string {
			for _, enc := range [...]*base64.Encoding{base64.StdEncoding, base64.URLEncoding, base64.RawStdEncoding, base64.RawURLEncoding} {
				if b, err := enc.DecodeString(run); err == nil {
					for _, form := range forms {
						if strings.Contains(string(b), form) {
							return redacted
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

// redactURLString is redactURL for a URL not parsed yet.
func redactURLString(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return "(unparsable URL)"
	}
	return redactURL(u)
}

// redactURL renders u for logs and errors: scheme, host and path only —
// no user info, no query, no fragment, where secrets travel.
func redactURL(u *url.URL) string {
	if u == nil {
		return ""
	}
	r := url.URL{Scheme: u.Scheme, Host: u.Host, Path: u.Path, RawPath: u.RawPath}
	return r.String()
}
