package httpsession

import (
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"

	"github.com/httpsession/httpsession/internal/origin"
	"github.com/httpsession/httpsession/internal/redact"
)

// transport is the session's http.RoundTripper. The whole session lives
// here, below http.Client's redirect loop and above the base transport, so
// that each hop and each attempt of that hop:
//
//   - reads the jar as it is now (a retry after a 429 that set a cookie
//     sends that cookie),
//   - stores the Set-Cookie lines of every response, including redirects,
//     the 429, 502, 503 or 504 about to be retried and the 401 about to be
//     replayed,
//   - decides afresh whether the bearer token may go to this origin, so a
//     redirect to another origin never carries it.
//
// A retry loop above http.Client could not be handed to an SDK as a plain
// *http.Client; one below http.Client's own jar handling would send stale
// cookies and lose Set-Cookie lines. That is why HTTPClient has no Jar: the
// transport is the jar's only user on the request path.
type transport struct {
	base    http.RoundTripper
	jar     *Jar
	tokens  *TokenManager // nil: no bearer tokens on this transport
	origins []authOrigin  // where the bearer token may go
	header  http.Header   // defaults; the request's own headers win
	retry   *RetryPolicy
	listen  *listener // pacing, retry budget and breakers; nil = none
	log     *slog.Logger
	changed func()     // called after a response that may have changed the session; nil = none
	csrf    *csrfState // Options.CSRF; nil = none

	lastHop atomic.Pointer[hop] // see hopFor
}

// A hop is what send derives from the scheme and host of a request URL:
// the jar's view of the origin and whether the bearer token may go there.
type hop struct {
	scheme, host string // as the URL has them
	target       target // path left out
	jarOK        bool
	allowed      bool
}

// hopFor returns the hop of u. A client mostly sends to one origin, so the
// last one is kept: it spares parsing the host on every request.
func (t *transport) hopFor(u *url.URL) *hop {
	if h := t.lastHop.Load(); h != nil && h.scheme == u.Scheme && h.host == u.Host {
		return h
	}
	h := &hop{scheme: u.Scheme, host: u.Host, allowed: t.allowed(u)}
	h.target, h.jarOK = targetOf(&url.URL{Scheme: u.Scheme, Host: u.Host})
	t.lastHop.Store(h)
	return h
}

var _ http.RoundTripper = (*transport)(nil)

// RoundTrip sends one hop with the session's cookies, token and retry
// policy. It follows http.RoundTripper's contract: it does not modify req
// and closes req.Body, also on errors.
func (t *transport) RoundTrip(req *http.Request) (*http.Response, error) {
	// http.Client never sends these, but a caller of RoundTrip may; the
	// origin check, the rate limiter and the default headers need both.
	switch {
	case req.URL == nil:
		closeRequestBody(req)
		return nil, errors.New("httpsession: nil Request.URL")
	case req.Header == nil:
		closeRequestBody(req)
		return nil, errors.New("httpsession: nil Request.Header")
	}
	return t.retry.doListening(req, t.log, t.listen, t.attempt)
}

// CloseIdleConnections closes the base transport's idle connections, so
// that http.Client.CloseIdleConnections and Client.Close reach them.
func (t *transport) CloseIdleConnections() {
	if c, ok := t.base.(interface{ CloseIdleConnections() }); ok {
		c.CloseIdleConnections()
	}
}

// attempt is one try of one hop. A 401 from an origin that was sent the
// bearer token — or a response the Authenticator, a LogoutDetector, takes
// for the end of the session — invalidates exactly that token and replays
// the request once with a fresh one, when the body can be rebuilt; a second
// 401 is the caller's answer.
func (t *transport) attempt(req *http.Request) (*http.Response, error) {
	resp, sent, err := t.send(req)
	if err != nil || sent == nil || (resp.StatusCode != http.StatusUnauthorized && !t.loggedOut(resp)) {
		return resp, err
	}
	t.tokens.invalidate(sent)
	replay, err := rewindBody(req)
	if err != nil {
		// The body can't be sent again: the 401 is the answer, and the next
		// request gets a fresh token.
		return resp, nil
	}
	if t.retry != nil && t.retry.RateLimit > 0 {
		// The replay is a try like any other: it takes its token.
		if err := t.retry.rateWait(replay); err != nil {
			closeRequestBody(replay)
			return resp, nil
		}
	}
	if t.log != nil {
		t.log.Debug("httpsession: token rejected, replaying with a fresh one",
			"method", req.Method, "url", redact.URL(req.URL))
	}
	drainAndClose(resp.Body)
	resp, _, err = t.send(replay)
	return resp, err
}

// send adds cookies, default headers and the token to a copy of req, sends
// it and stores the response's cookies. sent is the token that went out, if
// any.
func (t *transport) send(req *http.Request) (resp *http.Response, sent *Token, err error) {
	r := t.outgoing(req)
	hop := t.hopFor(r.URL)
	// The token first: a login or refresh may set cookies that this very
	// request needs.
	if t.tokens != nil && hop.allowed && r.Header.Get("Authorization") == "" && t.mayAuthorize(r) {
		tok, h, err := t.tokens.authorization(req.Context())
		if err != nil {
			closeRequestBody(req)
			return nil, nil, err
		}
		// A cookie-only session (FormLogin) has no header to send, but a
		// 401 must still invalidate it so that the next use logs in again.
		sent = tok
		if h != nil {
			r.Header["Authorization"] = h
		}
	}
	// The jar's view of this URL serves both the Cookie header and the
	// response's Set-Cookie lines.
	target, jarOK := hop.target, hop.jarOK
	target.path = requestPath(r.URL)
	if jarOK {
		if h := t.jar.headerFor(&target, t.jar.now()); h != nil {
			if own := r.Header.Get("Cookie"); own != "" {
				h = []string{mergeCookieHeader(own, h[0])}
			}
			r.Header["Cookie"] = h
		}
	}
	if t.csrf != nil {
		t.csrf.add(r, t.jar)
	}
	resp, err = t.base.RoundTrip(r)
	if err != nil {
		return nil, nil, err
	}
	if resp == nil {
		return nil, nil, fmt.Errorf("httpsession: transport %T returned neither a response nor an error", t.base)
	}
	if t.csrf != nil {
		t.csrf.observe(r.URL, r, resp)
	}
	if lines := resp.Header["Set-Cookie"]; len(lines) > 0 && jarOK {
		t.jar.storeLines(&target, lines, t.jar.now())
	}
	if t.changed != nil {
		t.changed()
	}
	return resp, sent, nil
}

// outgoing returns the copy of req that is sent: a shallow copy with its
// own header map holding req's headers and the defaults it lacks. Only
// headers change on the way out, so the URL, body and the rest are shared,
// and the caller's request is never modified.
func (t *transport) outgoing(req *http.Request) *http.Request {
	r := new(http.Request)
	*r = *req
	if len(req.Header) == 0 && len(t.header) > 0 {
		// Most requests set no header of their own: copying the defaults'
		// map is cheaper than building one.
		r.Header = maps.Clone(t.header)
		return r
	}
	r.Header = make(http.Header, len(req.Header)+len(t.header)+2)
	for k, vs := range req.Header {
		r.Header[k] = vs
	}
	if req.Response != nil && !sameOrigin(firstRequest(req).URL, req.URL) {
		// A redirect to another origin: the credentials the caller set on
		// the request were meant for the first one. http.Client keeps
		// them for a subdomain and for another port or scheme of the same
		// host; curl drops them, and so do we. The jar, the token manager
		// and Options.Header (meant for every origin) add what this
		// origin gets.
		for _, k := range [...]string{"Authorization", "Proxy-Authorization", "Cookie"} {
			delete(r.Header, k)
		}
	}
	for k, vs := range t.header {
		if _, ok := r.Header[k]; !ok {
			r.Header[k] = vs
		}
	}
	return r
}

// firstRequest returns the request that started req's chain of redirects.
func firstRequest(req *http.Request) *http.Request {
	for req.Response != nil && req.Response.Request != nil {
		req = req.Response.Request
	}
	return req
}

// mergeCookieHeader returns the caller's own Cookie header followed by the
// jar's cookies whose names the caller did not set: the caller's cookie wins
// and no name is sent twice.
func mergeCookieHeader(own, jar string) string {
	names := make(map[string]bool)
	for _, kv := range strings.Split(own, ";") {
		name, _, _ := strings.Cut(strings.TrimSpace(kv), "=")
		names[name] = true
	}
	var b strings.Builder
	b.WriteString(own)
	for _, kv := range strings.Split(jar, "; ") {
		name, _, _ := strings.Cut(kv, "=")
		if !names[name] {
			b.WriteString("; ")
			b.WriteString(kv)
		}
	}
	return b.String()
}

// allowed reports whether u's origin may receive the bearer token. It is
// checked on every hop, so a redirect elsewhere never carries the token.
func (t *transport) allowed(u *url.URL) bool {
	host, port := u.Hostname(), u.Port()
	if !isASCII(host) { // an IDN host written in Unicode: compare its punycode
		h, ok := canonicalHost(u.Host)
		if !ok {
			return false
		}
		host = h.name
	}
	for _, o := range t.origins {
		if !strings.EqualFold(u.Scheme, o.Scheme) || !strings.EqualFold(host, o.Host) {
			continue
		}
		if port == o.Port || (port == "" && o.Port == origin.DefaultPort(o.Scheme)) {
			return true
		}
	}
	return false
}

// mayAuthorize reports whether r, whose URL's origin is allowed, may carry
// the bearer token: so must the origin a Host header set by the caller
// names, since a server that routes by Host (a shared proxy, a CDN) hands
// the request to that site.
func (t *transport) mayAuthorize(r *http.Request) bool {
	if r.Host == "" || r.Host == r.URL.Host {
		return true
	}
	return t.allowed(&url.URL{Scheme: r.URL.Scheme, Host: r.Host})
}
