package httpsession

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/httpsession/httpsession/internal/redact"
	"github.com/httpsession/httpsession/internal/termtext"
)

// ErrCookieRejected matches the *CookieError of a cookie the jar refuses.
var ErrCookieRejected = errors.New("httpsession: cookie rejected")

// A CookieError reports a cookie that Jar.Add refused and why. It names the
// cookie, never its value. Jar.Add returns a *CookieError; reports (such as
// browsercookies') hold CookieError values. Its methods have value
// receivers, so either form is an error matching ErrCookieRejected.
type CookieError struct {
	Name, Domain string
	Reason       string // "expired", "domain is a public suffix", …
}

// Error names the cookie and its domain with every control character
// escaped (termtext.Escape): both come from a server or a file, and an
// error is often printed on a terminal.
func (e CookieError) Error() string {
	return fmt.Sprintf("httpsession: cookie %q for %s rejected: %s", e.Name, termtext.Escape(e.Domain), termtext.Escape(e.Reason))
}

// Is reports whether target is ErrCookieRejected.
func (e CookieError) Is(target error) bool { return target == ErrCookieRejected }

// Cookie is a stored cookie, as All reports it. Its String, Format and
// LogValue never print the Value: no fmt verb does, nor log/slog's text
// or JSON handler for a Cookie logged as itself.
//
// encoding/json is unaffected and gives the exact Value, as for Token.
// Programs store and exchange cookies that way, and a MarshalJSON that
// redacted would turn every cookie they save into "[redacted]" without an
// error. The price: slog's JSON handler encodes a []Cookie (All's result,
// say) with encoding/json, values included. Log the Jar (its LogValue
// counts the cookies) or each Cookie instead.
type Cookie struct {
	Name, Value string
	// Domain is the cookie's domain, without a leading dot, in lower-case
	// punycode; for a host-only cookie it is the host that set it.
	Domain, Path string
	// HostOnly cookies are sent only to Domain itself, not its subdomains.
	HostOnly         bool
	Secure, HttpOnly bool
	SameSite         http.SameSite
	Partitioned      bool
	// Expires is zero for a session cookie.
	Expires time.Time
	// Created is the creation-time of RFC 6265 §5.3, kept when the cookie
	// is replaced; it orders cookies of equal path length.
	Created time.Time
	// LastAccess is when the cookie was last sent or set, to within two
	// minutes: lookups refresh it at most once a minute, and a Cookie
	// header built for a request is reused for up to a minute.
	LastAccess time.Time
	// Updated is when this cookie was last set or replaced.
	Updated time.Time
}

// String describes c without its Value.
func (c Cookie) String() string {
	var b strings.Builder
	b.WriteString(c.Name)
	b.WriteString("=[REDACTED]; Domain=")
	b.WriteString(c.Domain)
	b.WriteString("; Path=")
	b.WriteString(c.Path)
	if c.HostOnly {
		b.WriteString("; HostOnly")
	}
	if c.Secure {
		b.WriteString("; Secure")
	}
	if c.HttpOnly {
		b.WriteString("; HttpOnly")
	}
	switch c.SameSite {
	case http.SameSiteDefaultMode:
		b.WriteString("; SameSite")
	case http.SameSiteLaxMode:
		b.WriteString("; SameSite=Lax")
	case http.SameSiteStrictMode:
		b.WriteString("; SameSite=Strict")
	case http.SameSiteNoneMode:
		b.WriteString("; SameSite=None")
	}
	if c.Partitioned {
		b.WriteString("; Partitioned")
	}
	if !c.Expires.IsZero() {
		b.WriteString("; Expires=")
		b.WriteString(c.Expires.UTC().Format(time.RFC3339))
	}
	return b.String()
}

// Format makes every fmt verb print String ("httpsession.Cookie(…)" for
// %#v), so that no verb prints the Value.
func (c Cookie) Format(f fmt.State, verb rune) {
	s := c.String()
	redact.Format(f, verb, s, "httpsession.Cookie("+s+")")
}

// LogValue describes c without its Value for log/slog.
func (c Cookie) LogValue() slog.Value {
	return slog.StringValue(c.String())
}

// id is c's identity in a jar: name, domain, path and host-only flag.
func (c *Cookie) id() cookieID {
	return cookieID{name: c.Name, domain: c.Domain, path: c.Path, hostOnly: c.HostOnly}
}

// cookieID is the identity of a cookie (RFC 6265bis §5.7).
type cookieID struct {
	name, domain, path string
	hostOnly           bool
}
