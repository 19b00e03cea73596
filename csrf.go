package httpsession

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"sync"

	"github.com/httpsession/httpsession/internal/redact"
)

// CSRF says how a site wants its CSRF token sent back on the requests that
// change something (any method but GET, HEAD, OPTIONS and TRACE), for
// Options.CSRF. Convention names a framework's rules; or leave it "" and
// name where the token comes from (Cookie or Meta) and the Header that
// carries it:
//
//	"django"             cookie csrftoken       → X-CSRFToken
//	"angular", "laravel" cookie XSRF-TOKEN      → X-XSRF-TOKEN (percent-decoded, as Angular does)
//	"rails"              <meta name=csrf-token> → X-CSRF-Token
//	"spring"             <meta name=_csrf>      → the header <meta name=_csrf_header> names, else X-CSRF-TOKEN
//
// A cookie's value is percent-decoded. A <meta> is read from the first
// 64 KiB of each HTML page the session receives; the last one seen for an
// origin wins. A <meta> token lives in the Client's memory, not in the
// session file: a new Client sends one once it has received a page of
// that origin, while a cookie token is saved with the cookie.
//
// The token goes only to the origin that sent it — the one whose response
// set the cookie or served the page — never to another host, a sibling
// subdomain sharing a Domain cookie, or an origin a redirect leads to
// (axios sent it to every host: CVE-2023-45857). A session restored from a
// file, until an origin sets the cookie again, sends a cookie token only to
// the host that set it as a host-only cookie (to which the cookie itself
// goes anyway).
type CSRF struct {
	Convention string // "django", "angular", "laravel", "rails", "spring"; "" means the fields below
	Cookie     string // the cookie whose value is the token
	Meta       string // or the <meta name=…> whose content is the token
	Header     string // the request header that carries it
}

// csrfState is the CSRF tokens of a session, by origin. The authenticator's
// client shares it with the session's, so a login request carries the token
// of the page it came from.
type csrfState struct {
	cookie, meta, header string
	headerMeta           string // a <meta> naming the header (Spring); "" if none

	mu     sync.Mutex
	tokens map[authOrigin]csrfToken // guarded by mu
}

type csrfToken struct{ header, value string }

// newCSRF checks c; nil c means no CSRF handling.
func newCSRF(c *CSRF) (*csrfState, error) {
	if c == nil {
		return nil, nil
	}
	s := &csrfState{cookie: c.Cookie, meta: c.Meta, header: c.Header, tokens: make(map[authOrigin]csrfToken)}
	switch strings.ToLower(c.Convention) {
	case "":
		if c.Header == "" || (c.Cookie == "") == (c.Meta == "") {
			return nil, errBadCSRF("a custom convention needs Header and one of Cookie or Meta")
		}
	case "django":
		s.cookie, s.meta, s.header = "csrftoken", "", "X-CSRFToken"
	case "angular", "laravel":
		s.cookie, s.meta, s.header = "XSRF-TOKEN", "", "X-XSRF-TOKEN"
	case "rails":
		s.cookie, s.meta, s.header = "", "csrf-token", "X-CSRF-Token"
	case "spring":
		s.cookie, s.meta, s.header, s.headerMeta = "", "_csrf", "X-CSRF-TOKEN", "_csrf_header"
	default:
		return nil, errBadCSRF(fmt.Sprintf("unknown convention %q: want django, angular, laravel, rails or spring", redact.Clean(c.Convention, 32)))
	}
	if !validHeaderName(s.header) {
		return nil, errBadCSRF("Header is not a header name")
	}
	return s, nil
}

// ErrBadCSRF is returned by New for an Options.CSRF it cannot use.
var ErrBadCSRF = errors.New("httpsession: bad CSRF option")

func errBadCSRF(reason string) error {
	return fmt.Errorf("httpsession: Options.CSRF: %s: %w", reason, ErrBadCSRF)
}

func validHeaderName(h string) bool {
	if h == "" {
		return false
	}
	for i := 0; i < len(h); i++ {
		c := h[i]
		if c <= ' ' || c >= 0x7f || strings.IndexByte("()<>@,;:\\\"/[]?={}", c) >= 0 {
			return false
		}
	}
	return true
}

// unsafeMethod reports whether a request with method m may change state
// (RFC 9110 §9.2.1): those carry the CSRF token.
func unsafeMethod(m string) bool {
	switch m {
	case "", http.MethodGet, http.MethodHead, http.MethodOptions, http.MethodTrace:
		return false
	}
	return true
}

// add sets the CSRF header on r, an outgoing request, when it changes state
// and its origin sent a token. A header the caller set wins.
func (s *csrfState) add(r *http.Request, jar *Jar) {
	if !unsafeMethod(r.Method) || r.Header.Get(s.header) != "" {
		return
	}
	o, ok := originOf(r.URL)
	if !ok {
		return
	}
	s.mu.Lock()
	tok, ok := s.tokens[o]
	seen := len(s.tokens) > 0
	s.mu.Unlock()
	if !ok && !seen && s.cookie != "" {
		// A session restored from a file, before any origin set the
		// token again: the cookie's own host set it.
		tok.header, tok.value, ok = s.header, hostOnlyCookie(jar, o.Host, s.cookie), true
	}
	if ok && tok.value != "" && validHeaderValue(tok.value) {
		r.Header.Set(tok.header, tok.value)
	}
}

// hostOnlyCookie returns the value of the host-only cookie name of host
// in jar: one that host itself set. "" if there is none.
func hostOnlyCookie(jar *Jar, host, name string) string {
	for _, c := range jar.All() {
		if c.Name == name && c.HostOnly && c.Domain == host {
			return decodeToken(c.Value)
		}
	}
	return ""
}

// observe records the token that resp, the answer to a request for u,
// carries: its Set-Cookie, or the <meta> of its HTML page. Reading the
// page's start leaves resp.Body whole for the caller.
func (s *csrfState) observe(u *url.URL, req *http.Request, resp *http.Response) {
	o, ok := originOf(u)
	if !ok {
		return
	}
	if s.cookie != "" {
		for _, c := range resp.Cookies() {
			if c.Name != s.cookie {
				continue
			}
			s.mu.Lock()
			if c.Value == "" || c.MaxAge < 0 {
				delete(s.tokens, o)
			} else {
				s.tokens[o] = csrfToken{s.header, decodeToken(c.Value)}
			}
			s.mu.Unlock()
		}
		return
	}
	if req.Method == http.MethodHead || resp.StatusCode < 200 || resp.StatusCode > 299 || resp.Body == nil || resp.Body == http.NoBody {
		return
	}
	if mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type")); mt != "text/html" && mt != "application/xhtml+xml" {
		return
	}
	head, err := io.ReadAll(io.LimitReader(resp.Body, maxMetaScan))
	rest := resp.Body
	var tail io.Reader = rest
	if err != nil {
		tail = errReader{err}
	}
	resp.Body = struct {
		io.Reader
		io.Closer
	}{io.MultiReader(bytes.NewReader(head), tail), rest}
	v, ok := metaContent(head, s.meta)
	if !ok || v == "" {
		return
	}
	tok := csrfToken{s.header, v}
	if s.headerMeta != "" {
		if h, ok := metaContent(head, s.headerMeta); ok && validHeaderName(h) {
			tok.header = h
		}
	}
	s.mu.Lock()
	s.tokens[o] = tok
	s.mu.Unlock()
}

// maxMetaScan is how much of an HTML page is searched for the CSRF <meta>:
// it sits in the <head>.
const maxMetaScan = 64 << 10

type errReader struct{ err error }

func (r errReader) Read([]byte) (int, error) { return 0, r.err }

// decodeToken percent-decodes a cookie's token as Angular and axios do
// (Laravel's XSRF-TOKEN ends in %3D); a value that doesn't decode is sent
// as it is.
func decodeToken(v string) string {
	if d, err := url.PathUnescape(v); err == nil {
		return d
	}
	return v
}

// validHeaderValue reports whether v can travel in a header: no control
// characters (a token from a hostile page must not split the request).
func validHeaderValue(v string) bool {
	for i := 0; i < len(v); i++ {
		if c := v[i]; c < ' ' && c != '\t' || c == 0x7f {
			return false
		}
	}
	return true
}
