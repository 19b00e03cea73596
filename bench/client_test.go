package bench

import (
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
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

// get sends one GET through hc, after prepare has set headers on it, and
// reads and closes the body.
func get(b *testing.B, hc *http.Client, target string, prepare func(*http.Request)) {
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
func loop(b *testing.B, hc *http.Client, target string, prepare func(*http.Request)) {
	get(b, hc, target, prepare)
	b.ReportAllocs()
	for b.Loop() {
		get(b, hc, target, prepare)
	}
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

// BenchmarkClientGET is one GET over a loopback keep-alive connection with a
// full session: five cookies sent, one received, a bearer token.
//
//	ours:   httpsession.Client: jar, cached token, default retry policy
//	floor:  a bare http.Client, Cookie and Authorization written by hand
//	stdlib: http.Client with net/http/cookiejar, Authorization by hand
//	bare:   a bare http.Client sending neither header, for reference
func BenchmarkClientGET(b *testing.B) {
	srv := newServer(b, true)
	u, _ := url.Parse(srv.URL)
	b.Run("impl=ours", func(b *testing.B) {
		c := newClient(b, srv.URL, true, nil)
		c.Jar().SetCookies(u, sessionCookies)
		checkCookieHeader(b, c.Jar(), u)
		loop(b, c.HTTPClient(), srv.URL, nil)
	})
	b.Run("impl=floor", func(b *testing.B) {
		loop(b, &http.Client{Transport: newTransport(b)}, srv.URL, handWritten)
	})
	b.Run("impl=stdlib", func(b *testing.B) {
		j := stdlibJar(b, u)
		checkCookieHeader(b, j, u)
		loop(b, &http.Client{Transport: newTransport(b), Jar: j}, srv.URL, staticAuthorization)
	})
	b.Run("impl=bare", func(b *testing.B) {
		loop(b, &http.Client{Transport: newTransport(b)}, srv.URL, nil)
	})
}

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

// BenchmarkClientToken is one GET through the same Client with the bearer
// token cached by the token manager (token) or written by hand as a static
// Authorization header (static); the bare http.Client with the static
// header is there for reference.
func BenchmarkClientToken(b *testing.B) {
	srv := newServer(b, false)
	b.Run("impl=token", func(b *testing.B) {
		loop(b, newClient(b, srv.URL, true, nil).HTTPClient(), srv.URL, nil)
	})
	b.Run("impl=static", func(b *testing.B) {
		loop(b, newClient(b, srv.URL, false, nil).HTTPClient(), srv.URL, staticAuthorization)
	})
	b.Run("impl=bare-static", func(b *testing.B) {
		loop(b, &http.Client{Transport: newTransport(b)}, srv.URL, staticAuthorization)
	})
}

// BenchmarkClientRetry is one GET that needs no retry, through the same
// Client with the default retry policy (retry) and with retries disabled
// (noretry).
func BenchmarkClientRetry(b *testing.B) {
	srv := newServer(b, false)
	b.Run("impl=retry", func(b *testing.B) {
		loop(b, newClient(b, srv.URL, false, nil).HTTPClient(), srv.URL, nil)
	})
	b.Run("impl=noretry", func(b *testing.B) {
		loop(b, newClient(b, srv.URL, false, &httpsession.RetryPolicy{MaxAttempts: 1}).HTTPClient(), srv.URL, nil)
	})
}
