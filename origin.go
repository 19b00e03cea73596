package httpsession

import (
	"errors"
	"net/url"
	"strings"
)

// authOrigin is a scheme, host and port that may receive the bearer token.
type authOrigin struct {
	scheme, host, port string
}

// ErrBadOrigin is returned by New for an AuthOrigins entry that is not a
// bare origin such as "https://api.example.com".
var ErrBadOrigin = errors.New("httpsession: bad auth origin")

func parseOrigin(s string, allowInsecure bool) (authOrigin, error) {
	u, err := url.Parse(s)
	if err != nil || u.Host == "" || u.User != nil || (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" {
		return authOrigin{}, &originError{s: s, reason: "want scheme://host[:port]"}
	}
	o, ok := originOf(u) // lower case, punycode, like request hosts
	if !ok {
		return authOrigin{}, &originError{s: s, reason: "bad host"}
	}
	switch o.scheme {
	case "https":
	case "http":
		if h, _ := canonicalHost(o.host); !allowInsecure && !h.loopback {
			return authOrigin{}, &originError{s: s, reason: "plain http to a non-loopback host (set AllowInsecureAuth to allow)"}
		}
	default:
		return authOrigin{}, &originError{s: s, reason: "scheme must be http or https"}
	}
	return o, nil
}

type originError struct{ s, reason string }

func (e *originError) Error() string {
	return "httpsession: bad auth origin " + redactURLString(e.s) + ": " + e.reason
}

func (e *originError) Is(target error) bool { return target == ErrBadOrigin }

func defaultPort(scheme string) string {
	if scheme == "https" {
		return "443"
	}
	return "80"
}

// originOf returns u's origin in the form parseOrigin gives: scheme in
// lower case, host canonical (lower case, punycode), port explicit.
func originOf(u *url.URL) (authOrigin, bool) {
	h, ok := canonicalHost(u.Host)
	if !ok {
		return authOrigin{}, false
	}
	o := authOrigin{scheme: strings.ToLower(u.Scheme), host: h.name, port: u.Port()}
	if o.port == "" {
		o.port = defaultPort(o.scheme)
	}
	return o, true
}

func sameOrigin(a, b *url.URL) bool {
	oa, okA := originOf(a)
	ob, okB := originOf(b)
	return okA && okB && oa == ob
}
