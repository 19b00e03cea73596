package oauth

import (
	"net/url"
	"strings"

	"github.com/httpsession/httpsession"
	"github.com/httpsession/httpsession/internal/origin"
	"github.com/httpsession/httpsession/internal/redact"
)

// This file holds what a login that needs the user may open and where it
// may send: only endpoints that are https (or http on a loopback host),
// and through an opener that does not see the process's secrets.

// A browser or device login uses only endpoints that are https, or http on a
// loopback host (RFC 6749 §3.1 and §3.2 want TLS; RFC 8252 §8.3 allows the
// loopback interface), by the rule httpsession.Options.AuthOrigins follows.
// Anything else — a discovery document or a flag naming file:///etc/passwd,
// javascript: or plain http to another host — is refused with an
// [*httpsession.AuthError] matching [httpsession.ErrBadOrigin] before anything
// is opened, listened for or sent: the browser opener would run on it, or the
// code and verifier travel in clear text.

// checkEndpoints returns an [*httpsession.AuthError] matching
// [httpsession.ErrBadOrigin] for the first of the named endpoints (name, URL,
// name, URL…) that is not https, or http on a loopback host.
func checkEndpoints(flow string, nameURL ...string) error {
	for i := 0; i+1 < len(nameURL); i += 2 {
		name, raw := nameURL[i], nameURL[i+1]
		if secureEndpoint(raw) {
			continue
		}
		return &httpsession.AuthError{Endpoint: redact.URLString(raw), Err: httpsession.ErrBadOrigin,
			Reason: "oauth2 " + flow + " login: " + name + " is neither https nor http on a loopback host"}
	}
	return nil
}

// secureEndpoint reports whether raw is an https URL with a host, or an
// http URL on a loopback host (localhost, 127.0.0.0/8, ::1).
func secureEndpoint(raw string) bool {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || u.Opaque != "" {
		return false
	}
	switch strings.ToLower(u.Scheme) {
	case "https":
		return true
	case "http":
		h, ok := origin.CanonicalHost(u.Host)
		return ok && h.Loopback
	}
	return false
}

// The browser opener ($BROWSER, xdg-open, open) and the browser it starts
// run with the environment of this process, less the variables that hold
// its secrets: the opener needs DISPLAY, PATH and the like, never the
// password or the client secret a login was given. A variable is withheld
// when its name, in upper case, contains PASSWORD, PASSWD, PASSPHRASE,
// SECRET or TOKEN, or ends in _KEY or APIKEY. That covers the CLI's
// HTTPSESSION_PASSWORD, HTTPSESSION_PASSPHRASE and HTTPSESSION_CLIENT_SECRET
// and the usual names of credentials handed to a process (GITHUB_TOKEN,
// AWS_SECRET_ACCESS_KEY, OPENAI_API_KEY, …).

// secretWords are the parts of a variable name that mark a secret.
var secretWords = [...]string{"PASSWORD", "PASSWD", "PASSPHRASE", "SECRET", "TOKEN"}

// secretVariable reports whether the environment variable name holds a
// secret by the rule above.
func secretVariable(name string) bool {
	n := strings.ToUpper(name)
	for _, w := range secretWords {
		if strings.Contains(n, w) {
			return true
		}
	}
	return strings.HasSuffix(n, "_KEY") || strings.HasSuffix(n, "APIKEY")
}

// openerEnv returns environ ("NAME=value" entries) without the variables
// that hold secrets.
func openerEnv(environ []string) []string {
	out := make([]string, 0, len(environ))
	for _, kv := range environ {
		name, _, _ := strings.Cut(kv, "=")
		if !secretVariable(name) {
			out = append(out, kv)
		}
	}
	return out
}
