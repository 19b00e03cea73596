package bench

import (
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/httpsession/httpsession"
	"golang.org/x/net/publicsuffix"
)

// The full session of BenchmarkClientGET: five cookies sent with every
// request, one of them (the rolling session cookie) set again by every
// response, and a bearer token.
var (
	sessionCookies = []*http.Cookie{
		{Name: "_ga", Value: "GA1.2.1234567890.1700000000", Path: "/"},
		{Name: "csrftoken", Value: "f3b0c44298fc1c149afbf4c8996fb924", Path: "/"},
		{Name: "lang", Value: "en-US", Path: "/"},
		{Name: "prefs", Value: "theme=dark&tz=UTC", Path: "/"},
		{Name: "sid", Value: "b1946ac92492d2347c6235b4d2611184e4d3c8a1", Path: "/", HttpOnly: true},
	}
	// cookieHeader is sessionCookies as a Cookie header, written by hand.
	cookieHeader = "_ga=GA1.2.1234567890.1700000000; csrftoken=f3b0c44298fc1c149afbf4c8996fb924; " +
		"lang=en-US; prefs=theme=dark&tz=UTC; sid=b1946ac92492d2347c6235b4d2611184e4d3c8a1"
	// setCookieHeader is what the server sends back with every response:
	// the session cookie, renewed.
	setCookieHeader = "sid=b1946ac92492d2347c6235b4d2611184e4d3c8a1; Path=/; HttpOnly"

	accessToken   = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJiZW5jaCJ9.c2lnbmF0dXJlLXNpZ25hdHVyZQ"
	authorization = "Bearer " + accessToken
)

// newServer starts a loopback HTTP/1.1 server answering every request with
// a short 200 body, and a renewed session cookie when setCookie is set.
func newServer(b *testing.B, setCookie bool) *httptest.Server {
	body := []byte(`{"ok":true}`)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h["Content-Type"] = []string{"application/json"}
		if setCookie {
			h["Set-Cookie"] = []string{setCookieHeader}
		}
		w.Write(body)
	}))
	b.Cleanup(srv.Close)
	return srv
}

// newTransport returns a keep-alive transport of its own, so no
// implementation shares a connection pool with another.
func newTransport(b *testing.B) *http.Transport {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	b.Cleanup(tr.CloseIdleConnections)
	return tr
}

// get sends one GET, after prepare has set headers on it, and reads and
// closes the body.
func (c clientCase) get(b *testing.B) {
	hc, target, prepare := c.hc, c.target, c.prepare
	req, err := http.NewRequestWithContext(context.Background(), http.MethodGet, target, nil)
	if err != nil {
		b.Fatal(err)
	}
	if prepare != nil {
		prepare(req)
	}
	resp, err := hc.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := io.Copy(io.Discard, resp.Body); err != nil {
		b.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b.Fatalf("GET %s: status %d", target, resp.StatusCode)
	}
}

// loop warms the connection up with one request, then times requests.
// Besides wall time it reports cpu-ns/op, the CPU time the process (client
// and server) spent per request, which other programs on a busy machine
// disturb much less than wall time.
func (c clientCase) loop(b *testing.B) {
	c.get(b)
	b.ReportAllocs()
	n := 0
	cpu0 := processCPU(b)
	for b.Loop() {
		c.get(b)
		n++
	}
	b.ReportMetric(float64(processCPU(b)-cpu0)/float64(n), "cpu-ns/op")
}

// processCPU returns the user and system CPU time the process has used.
func processCPU(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// handWritten sets the session's Cookie and Authorization headers as static
// strings.
func handWritten(req *http.Request) {
	req.Header.Set("Cookie", cookieHeader)
	req.Header.Set("Authorization", authorization)
}

func staticAuthorization(req *http.Request) {
	req.Header.Set("Authorization", authorization)
}

func stdlibJar(b *testing.B, u *url.URL) http.CookieJar {
	j, err := cookiejar.New(&cookiejar.Options{PublicSuffixList: publicsuffix.List})
	if err != nil {
		b.Fatal(err)
	}
	j.SetCookies(u, sessionCookies)
	return j
}

// checkCookieHeader makes sure a jar sends exactly the hand-written header,
// so every implementation sends the same request.
func checkCookieHeader(b *testing.B, j http.CookieJar, u *url.URL) {
	var parts []string
	for _, c := range j.Cookies(u) {
		parts = append(parts, c.Name+"="+c.Value)
	}
	if got := strings.Join(parts, "; "); got != cookieHeader {
		b.Fatalf("jar sends Cookie %q, want %q", got, cookieHeader)
	}
}

// A clientCase is one way of sending the benchmark's GET.
type clientCase struct {
	hc      *http.Client
	target  string
	prepare func(*http.Request) // headers set by hand; nil for none
}

// getCase builds the implementations compared by BenchmarkClientGET for a
// server that renews the session cookie.
//
//	ours:   httpsession.Client: jar, cached token, default retry policy
//	floor:  a bare http.Client, Cookie and Authorization written by hand
//	stdlib: http.Client with net/http/cookiejar, Authorization by hand
//	bare:   a bare http.Client sending neither header, for reference
func getCase(b *testing.B, srv *httptest.Server, impl string) clientCase {
	u, _ := url.Parse(srv.URL)
	switch impl {
	case "ours":
		c := newClient(b, srv.URL, true, nil)
		c.Jar().SetCookies(u, sessionCookies)
		checkCookieHeader(b, c.Jar(), u)
		return clientCase{c.HTTPClient(), srv.URL, nil}
	case "floor":
		return clientCase{&http.Client{Transport: newTransport(b)}, srv.URL, handWritten}
	case "stdlib":
		j := stdlibJar(b, u)
		checkCookieHeader(b, j, u)
		return clientCase{&http.Client{Transport: newTransport(b), Jar: j}, srv.URL, staticAuthorization}
	case "bare":
		return clientCase{&http.Client{Transport: newTransport(b)}, srv.URL, nil}
	}
	b.Fatalf("no GET case %q", impl)
	return clientCase{}
}

// tokenCase builds the implementations of BenchmarkClientToken: the same
// Client with the bearer token cached by the token manager (token) or
// written by hand as a static Authorization header (static), and a bare
// http.Client with the static header (bare-static).
func tokenCase(b *testing.B, srv *httptest.Server, impl string) clientCase {
	switch impl {
	case "token":
		return clientCase{newClient(b, srv.URL, true, nil).HTTPClient(), srv.URL, nil}
	case "static":
		return clientCase{newClient(b, srv.URL, false, nil).HTTPClient(), srv.URL, staticAuthorization}
	case "bare-static":
		return clientCase{&http.Client{Transport: newTransport(b)}, srv.URL, staticAuthorization}
	}
	b.Fatalf("no token case %q", impl)
	return clientCase{}
}

// retryCase builds the implementations of BenchmarkClientRetry: the same
// Client with the default retry policy (retry) and with retries disabled
// (noretry).
func retryCase(b *testing.B, srv *httptest.Server, impl string) clientCase {
	switch impl {
	case "retry":
		return clientCase{newClient(b, srv.URL, false, nil).HTTPClient(), srv.URL, nil}
	case "noretry":
		return clientCase{newClient(b, srv.URL, false, &httpsession.RetryPolicy{MaxAttempts: 1}).HTTPClient(), srv.URL, nil}
	}
	b.Fatalf("no retry case %q", impl)
	return clientCase{}
}

// BenchmarkClientGET is one GET over a loopback keep-alive connection with a
// full session: five cookies sent, one received, a bearer token. See
// getCase for the implementations.
func BenchmarkClientGET(b *testing.B) {
	srv := newServer(b, true)
	for _, impl := range []string{"ours", "floor", "stdlib", "bare"} {
		b.Run("impl="+impl, func(b *testing.B) { getCase(b, srv, impl).loop(b) })
	}
}

// BenchmarkClientToken is one GET with a bearer token, cached or static;
// see tokenCase.
func BenchmarkClientToken(b *testing.B) {
	srv := newServer(b, false)
	for _, impl := range []string{"token", "static", "bare-static"} {
		b.Run("impl="+impl, func(b *testing.B) { tokenCase(b, srv, impl).loop(b) })
	}
}

// BenchmarkClientRetry is one GET that needs no retry, with and without
// the retry layer; see retryCase.
func BenchmarkClientRetry(b *testing.B) {
	srv := newServer(b, false)
	for _, impl := range []string{"retry", "noretry"} {
		b.Run("impl="+impl, func(b *testing.B) { retryCase(b, srv, impl).loop(b) })
	}
}

// BenchmarkClientPaired measures the targets that ask for a few percent on
// a machine whose noise is larger than that: it sends the two requests of
// a comparison alternately (changing which goes first every time), times
// each, and reports the ratio of their median times (the first
// implementation named over the second). Both see the same moments of the
// machine's load, and medians ignore the requests that a descheduling or a
// collection hit, so the ratio is steadier than one of separate runs. ns/op
// is for one pair.
func BenchmarkClientPaired(b *testing.B) {
	pairs := []struct {
		name string
		srv  func(*testing.B) *httptest.Server
		mk   func(*testing.B, *httptest.Server, string) clientCase
		x, y string
	}{
		{"ours-vs-floor", func(b *testing.B) *httptest.Server { return newServer(b, true) }, getCase, "ours", "floor"},
		{"ours-vs-stdlib", func(b *testing.B) *httptest.Server { return newServer(b, true) }, getCase, "ours", "stdlib"},
		{"token-vs-static", func(b *testing.B) *httptest.Server { return newServer(b, false) }, tokenCase, "token", "static"},
		{"retry-vs-noretry", func(b *testing.B) *httptest.Server { return newServer(b, false) }, retryCase, "retry", "noretry"},
	}
	for _, p := range pairs {
		b.Run("pair="+p.name, func(b *testing.B) {
			srv := p.srv(b)
			paired(b, p.mk(b, srv, p.x), p.mk(b, srv, p.y))
		})
	}
}

// paired sends x's and y's requests alternately (changing which goes
// first every time), times each, and reports the ratio of their median
// times, x over y (pairedOps).
func paired(b *testing.B, x, y clientCase) { pairedOps(b, x.get, y.get) }

// staticToken is an Authenticator whose token is valid for a day: after the
// first request it is always cached.
func staticToken() httpsession.Authenticator {
	return httpsession.AuthFuncs{LoginFunc: func(context.Context, *http.Client) (*httpsession.Token, error) {
		return &httpsession.Token{AccessToken: accessToken, TokenType: "Bearer", Expiry: time.Now().Add(24 * time.Hour)}, nil
	}}
}

// newClient returns a Client for the server at origin with its own
// transport, a bearer token when auth is set, and the retry policy (nil for
// the default).
func newClient(b *testing.B, origin string, auth bool, retry *httpsession.RetryPolicy) *httpsession.Client {
	o := httpsession.Options{Transport: newTransport(b), Retry: retry}
	if auth {
		o.Auth = staticToken()
		o.AuthOrigins = []string{origin}
	}
	c, err := httpsession.New(o)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { c.Close() })
	return c
}

func median(ds []time.Duration) time.Duration {
	ds = slices.Clone(ds)
	slices.Sort(ds)
	return ds[len(ds)/2]
}
