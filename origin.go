package httpsession

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"

	"github.com/httpsession/httpsession/internal/origin"
	"github.com/httpsession/httpsession/internal/redact"
)

// An authOrigin is a scheme, host and port that may receive the bearer
// token.
type authOrigin = origin.Origin

// ErrBadOrigin is returned by New for an AuthOrigins entry that is not a
// bare origin such as "https://api.example.com", and matched by the
// *AuthError of a browser or device login whose authorization, device or
// token endpoint is neither https nor http on a loopback host.
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
	return "httpsession: bad auth origin " + redact.URLString(e.s) + ": " + e.reason
}

func (e *originError) Is(target error) bool { return target == ErrBadOrigin }

// originOf returns u's origin in the form parseOrigin gives: scheme in
// lower case, host canonical (lower case, punycode), port explicit.
func originOf(u *url.URL) (authOrigin, bool) { return origin.Of(u) }

func sameOrigin(a, b *url.URL) bool { return origin.Same(a, b) }

// authOrigins parses Options.AuthOrigins. Auth without AuthOrigins is
// refused, except for a cookieLogin such as FormLogin: it sends no bearer
// token, and its login page's origin is where a 401 means "log in again".
func authOrigins(o *Options) ([]authOrigin, error) {
	var origins []authOrigin
	for _, s := range o.AuthOrigins {
		or, err := parseOrigin(s, o.AllowInsecureAuth)
		if err != nil {
			return nil, err
		}
		origins = append(origins, or)
	}
	if o.Auth == nil || len(origins) > 0 {
		return origins, nil
	}
	cl, ok := o.Auth.(cookieLogin)
	if !ok {
		return nil, fmt.Errorf("httpsession: Options.Auth needs Options.AuthOrigins: %w", ErrBadOrigin)
	}
	or, err := loginOrigin(cl.loginPage())
	if err != nil {
		return nil, err
	}
	return []authOrigin{or}, nil
}

// loginOrigin is the origin of a FormLogin's login page.
func loginOrigin(rawURL string) (authOrigin, error) {
	u, err := url.Parse(rawURL)
	if err != nil || u.Host == "" {
		return authOrigin{}, &originError{s: rawURL, reason: "FormLogin.LoginURL is not an absolute URL"}
	}
	return parseOrigin(u.Scheme+"://"+u.Host, true)
}

// sameOriginRedirects is the CheckRedirect of the client handed to an
// Authenticator: login and refresh requests carry credentials, so they
// follow redirects only within their origin.
func sameOriginRedirects(req *http.Request, via []*http.Request) error {
	if len(via) >= 10 {
		return errors.New("httpsession: stopped after 10 redirects")
	}
	prev := via[len(via)-1].URL
	if !sameOrigin(prev, req.URL) {
		return fmt.Errorf("httpsession: authentication redirect to another origin %s refused", redact.URL(req.URL))
	}
	return nil
}
