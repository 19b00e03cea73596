package httpsession

import (
	"fmt"
	"net/url"
	"time"

	"github.com/httpsession/httpsession/internal/redact"
)

// Redaction: how values that hold secrets (tokens, passwords, cookie values,
// URL queries) are printed in errors, logs and fmt output. Every type that
// holds a secret prints through these helpers, which are those of package
// internal/redact, shared with package oauth.

// redacted stands in for a secret.
const redacted = redact.Mark

// secretMark is redacted for a secret that is set, `""` for an empty one.
func secretMark(s string) string { return redact.Secret(s) }

// expiryString renders an expiry time for a redacted description.
func expiryString(t time.Time) string {
	if t.IsZero() {
		return "unknown"
	}
	return t.Format(time.RFC3339)
}

// formatRedacted prints the redacted description of a value that holds
// secrets, whatever the fmt verb: gostr for %#v, str for every other verb.
// It is the Format method of Token, Cookie and the authenticators.
func formatRedacted(f fmt.State, verb rune, str, gostr string) { redact.Format(f, verb, str, gostr) }

// clean bounds s to n bytes of printable ASCII, with every non-empty
// secret replaced by "[redacted]" (see redact.Clean).
func clean(s string, n int, secrets ...string) string { return redact.Clean(s, n, secrets...) }

// redactURLString is redactURL for a URL not parsed yet.
func redactURLString(s string) string { return redact.URLString(s) }

// redactURL renders u for logs and errors: scheme, host and path only —
// no user info, no query, no fragment, where secrets travel.
func redactURL(u *url.URL) string { return redact.URL(u) }
