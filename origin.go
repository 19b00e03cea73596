package httpsession

import (
	"errors"
	"net/url"

	"github.com/httpsession/httpsession/internal/origin"
)

// An authOrigin is a scheme, host and port that may receive the bearer
// token.
type authOrigin = origin.Origin

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
	switch o.Scheme {
	case "https":
	case "http":
		if h, _ := canonicalHost(o.Host); !allowInsecure && !h.loopback {
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

// originOf returns u's origin in the form parseOrigin gives: scheme in
// lower case, host canonical (lower case, punycode), port explicit.
func originOf(u *url.URL) (authOrigin, bool) { return origin.Of(u) }

func sameOrigin(a, b *url.URL) bool { return origin.Same(a, b) }
