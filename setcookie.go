package httpsession

import (
	"net/http"
	"strings"
	"time"
)

// Limits from RFC 6265bis.
const (
	// maxNameValueSize bounds len(name)+len(value) of a cookie
	// (RFC 6265bis §5.6 step 6 and §5.7).
	maxNameValueSize = 4096
	// maxAttributeValueSize bounds the value of each cookie attribute; a
	// longer one is ignored (RFC 6265bis §5.6 step "cookie-av").
	maxAttributeValueSize = 1024

	// maxCookieAge caps the lifetime of a cookie (RFC 6265bis §5.6.1 and §5.6.2,
	// "cookie-age-limit", which browsers set to 400 days).
	maxCookieAge = 400 * 24 * time.Hour
)

// rawCookie is one Set-Cookie line (or one *http.Cookie) as the parsing
// algorithm of RFC 6265bis §5.6 produces it, before the storage model of
// §5.7 decides whether and where to keep it. Its strings may share memory
// with the header line they came from.
type rawCookie struct {
	name, value string

	// domain is the cookie-domain with its leading dot removed; hasDomain
	// records that a Domain attribute was present (§5.6.3).
	domain    string
	hasDomain bool

	// path is the Path attribute if it starts with "/", or "" for the
	// default-path; hasPath records that a Path attribute was present
	// (§5.6.4), which the "__Host-" prefix requires.
	path    string
	hasPath bool

	maxAge    int64 // seconds; <= 0 means expire now (§5.6.2)
	hasMaxAge bool
	expires   time.Time // §5.6.1
	hasExp    bool

	secure, httpOnly, partitioned bool
	sameSite                      http.SameSite
}

// parseSetCookie parses one Set-Cookie header value the way browsers do
// (RFC 6265bis §5.6): leniently, with whitespace around "=" and ";",
// arbitrary names, quoted values kept as they are, and unknown or malformed
// attributes ignored. It reports false when the line must be ignored
// entirely. It does not allocate. It is one piece, like the RFC's
// algorithm it follows: one case per attribute name.
func parseSetCookie(line string) (rawCookie, bool) {
	var rc rawCookie
	// §5.6 step 1: a control character other than HTAB discards the line.
	if i := indexCTL(line); i >= 0 {
		return rc, false
	}
	// §5.6 step 2: the name-value-pair runs up to the first ";".
	nv, attrs, _ := strings.Cut(line, ";")
	// §5.6 step 3: without "=" the name is empty and all of it is the value.
	name, value, ok := strings.Cut(nv, "=")
	if !ok {
		name, value = "", nv
	}
	// §5.6 step 4.
	rc.name, rc.value = trimWSP(name), trimWSP(value)
	// §5.6 steps 5 and 6.
	if rc.name == "" && rc.value == "" {
		return rc, false
	}
	if len(rc.name)+len(rc.value) > maxNameValueSize {
		return rc, false
	}

	// §5.6 "cookie-av": each attribute in turn; the last valid one of a
	// name wins.
	for attrs != "" {
		var av string
		av, attrs, _ = strings.Cut(attrs, ";")
		an, aval, _ := strings.Cut(av, "=")
		an, aval = trimWSP(an), trimWSP(aval)
		if len(aval) > maxAttributeValueSize {
			continue
		}
		switch {
		case equalFoldASCII(an, "expires"): // §5.6.1
			if t, ok := parseCookieDate(aval); ok {
				rc.expires, rc.hasExp = t, true
			}
		case equalFoldASCII(an, "max-age"): // §5.6.2
			if n, ok := parseMaxAge(aval); ok {
				rc.maxAge, rc.hasMaxAge = n, true
			}
		case equalFoldASCII(an, "domain"): // §5.6.3
			if aval == "" {
				continue // "the user agent SHOULD ignore the cookie-av entirely"
			}
			// Quotes stay: a quoted Domain matches no host, and the
			// cookie is ignored, as browsers and RFC 6265bis have it
			// (net/http drops the attribute and keeps the cookie).
			rc.domain, rc.hasDomain = strings.TrimPrefix(aval, "."), true
		case equalFoldASCII(an, "path"): // §5.6.4
			rc.hasPath = true
			rc.path = ""
			if aval != "" && aval[0] == '/' {
				rc.path = aval
			}
		case equalFoldASCII(an, "secure"): // §5.6.5
			rc.secure = true
		case equalFoldASCII(an, "httponly"): // §5.6.6
			rc.httpOnly = true
		case equalFoldASCII(an, "samesite"): // §5.6.7
			rc.sameSite = parseSameSite(aval)
		case equalFoldASCII(an, "partitioned"): // CHIPS
			rc.partitioned = true
		}
	}
	return rc, true
}

// parseSameSite maps a SameSite attribute value to http.SameSite the way
// net/http does: an unknown value means "present, enforcement default".
func parseSameSite(v string) http.SameSite {
	switch {
	case equalFoldASCII(v, "lax"):
		return http.SameSiteLaxMode
	case equalFoldASCII(v, "strict"):
		return http.SameSiteStrictMode
	case equalFoldASCII(v, "none"):
		return http.SameSiteNoneMode
	}
	return http.SameSiteDefaultMode
}

// maxAgeLimit is more seconds than any cookie may live (400 days); larger
// Max-Age values are clamped to it while parsing so they cannot overflow.
const maxAgeLimit = int64(maxCookieAge / time.Second)

// parseMaxAge implements RFC 6265bis §5.6.2: an optional "-" and digits.
func parseMaxAge(v string) (int64, bool) {
	if v == "" {
		return 0, false
	}
	neg := v[0] == '-'
	digits := v
	if neg {
		digits = v[1:]
	}
	if digits == "" {
		return 0, false
	}
	var n int64
	for i := 0; i < len(digits); i++ {
		c := digits[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		if n <= maxAgeLimit {
			n = n*10 + int64(c-'0')
		}
	}
	if neg {
		return 0, true // "If delta-seconds is less than or equal to zero"
	}
	return min(n, maxAgeLimit+1), true
}

// validName reports whether a cookie name can be stored and sent: no
// control characters, "=" or ";".
func validName(s string) bool {
	return indexCTL(s) < 0 && strings.IndexByte(s, '=') < 0 && strings.IndexByte(s, ';') < 0
}

// validValue reports whether a cookie value can be stored and sent: no
// control characters or ";".
func validValue(s string) bool {
	return indexCTL(s) < 0 && strings.IndexByte(s, ';') < 0
}

// fromHTTPCookie converts a cookie parsed by net/http into the form the
// storage model takes. net/http uses MaxAge < 0 for "Max-Age=0" or
// negative (delete), MaxAge 0 for "no Max-Age", and a zero Expires for
// "no Expires" or one it could not parse, in which case RawExpires is
// tried with the more lenient RFC 6265 date algorithm.
func fromHTTPCookie(c *http.Cookie) rawCookie {
	rc := rawCookie{
		name:        trimWSP(c.Name),
		value:       trimWSP(c.Value),
		secure:      c.Secure,
		httpOnly:    c.HttpOnly,
		partitioned: c.Partitioned,
		sameSite:    c.SameSite,
	}
	if c.Quoted {
		rc.value = `"` + rc.value + `"`
	}
	if c.Domain != "" && len(c.Domain) <= maxAttributeValueSize {
		rc.domain, rc.hasDomain = strings.TrimPrefix(c.Domain, "."), true
	}
	if c.Path != "" && len(c.Path) <= maxAttributeValueSize {
		rc.hasPath = true
		if c.Path[0] == '/' && indexCTL(c.Path) < 0 && !strings.Contains(c.Path, ";") {
			rc.path = c.Path
		}
	}
	switch {
	case c.MaxAge < 0:
		rc.maxAge, rc.hasMaxAge = 0, true
	case c.MaxAge > 0:
		rc.maxAge, rc.hasMaxAge = min(int64(c.MaxAge), maxAgeLimit+1), true
	}
	if !c.Expires.IsZero() {
		rc.expires, rc.hasExp = c.Expires, true
	} else if c.RawExpires != "" && len(c.RawExpires) <= maxAttributeValueSize {
		rc.expires, rc.hasExp = parseCookieDate(c.RawExpires)
	}
	return rc
}
