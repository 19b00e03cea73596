package httpsession

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// TestSchemeChangeOnSameHost: requests that alternate between
// https://api.example.com and http://api.example.com (the same host, only
// the scheme differs) are judged each on its own origin: the bearer token
// and the Secure cookie go only over https, however the requests follow
// one another.
func TestSchemeChangeOnSameHost(t *testing.T) {
	type seen struct{ scheme, auth, cookie string }
	var (
		mu  sync.Mutex
		got []seen
	)
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		scheme := "http"
		if r.TLS != nil {
			scheme = "https"
		}
		mu.Lock()
		got = append(got, seen{scheme, r.Header.Get("Authorization"), r.Header.Get("Cookie")})
		mu.Unlock()
	})
	secure := httptest.NewTLSServer(h)
	defer secure.Close()
	plain := httptest.NewServer(h)
	defer plain.Close()

	// api.example.com:443 is the TLS server, api.example.com:80 the plain
	// one; the test certificate is for example.com.
	base := secure.Client().Transport.(*http.Transport).Clone()
	base.TLSClientConfig.ServerName = "example.com"
	base.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		to := map[string]string{
			"api.example.com:443": secure.Listener.Addr().String(),
			"api.example.com:80":  plain.Listener.Addr().String(),
		}[addr]
		if to == "" {
			return nil, errors.New("unexpected address " + addr)
		}
		return (&net.Dialer{}).DialContext(ctx, network, to)
	}
	defer base.CloseIdleConnections()
	c, err := New(Options{Auth: &rotatingAuth{}, AuthOrigins: []string{"https://api.example.com"}, Transport: base})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.Jar().SetCookieHeaders(psURL(t, "https://api.example.com/"), []string{"s=1; Secure; Max-Age=3600", "p=2; Max-Age=3600"})

	for _, u := range []string{"https", "http", "https", "http", "http", "https"} {
		resp, err := c.Get(context.Background(), u+"://api.example.com/")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	over := map[string]seen{
		"https": {"https", "Bearer at-1", "s=1; p=2"},
		"http":  {"http", "", "p=2"},
	}
	var want []seen
	for _, s := range []string{"https", "http", "https", "http", "http", "https"} {
		want = append(want, over[s])
	}
	if diff := cmp.Diff(want, got, cmp.AllowUnexported(seen{})); diff != "" {
		t.Errorf("what the server received (-want +got):\n%s", diff)
	}
}

// TestRoundTripLeavesRequestAlone: the session transport adds cookies,
// default headers and the token to a copy: the caller's request, its
// header map above all, is as it was after the round trip, whatever
// happens on the way (a plain answer, a 401 and its replay, a 429 and its
// retry, a Cookie header of the caller's own, a login that fails), with
// default headers or without. A failed login closes the body.
func TestRoundTripLeavesRequestAlone(t *testing.T) {
	var calls sync.Map // path → *atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n, _ := calls.LoadOrStore(r.URL.Path, new(atomic.Int32))
		first := n.(*atomic.Int32).Add(1) == 1
		http.SetCookie(w, &http.Cookie{Name: "seen", Value: r.URL.Path, MaxAge: 3600})
		switch {
		case r.URL.Path == "/401" && first:
			w.WriteHeader(http.StatusUnauthorized)
		case r.URL.Path == "/429" && first:
			w.Header().Set("Retry-After", "0")
			w.WriteHeader(http.StatusTooManyRequests)
		}
	}))
	defer srv.Close()
	noWait := &RetryPolicy{Backoff: func(int, time.Duration, time.Duration, *http.Response) time.Duration { return 0 }}
	failing := AuthFuncs{LoginFunc: func(context.Context, *http.Client) (*Token, error) {
		return nil, errors.New("login refused")
	}}

	tests := []struct {
		name     string
		auth     Authenticator
		defaults http.Header
		path     string
		header   http.Header
		body     bool
		wantErr  bool
	}{
		{name: "answered, no headers", auth: &rotatingAuth{}, path: "/ok"},
		{name: "answered, no headers, defaults", auth: &rotatingAuth{}, defaults: http.Header{"X-Default": {"d"}}, path: "/ok"},
		{name: "answered, own headers", auth: &rotatingAuth{}, path: "/ok", header: http.Header{"Accept": {"text/plain"}}},
		{name: "answered, own headers, defaults", auth: &rotatingAuth{}, defaults: http.Header{"X-Default": {"d"}}, path: "/ok", header: http.Header{"Accept": {"text/plain"}}},
		{name: "own Cookie merged with the jar's", auth: &rotatingAuth{}, path: "/ok", header: http.Header{"Cookie": {"mine=1"}}},
		{name: "401 replayed", auth: &rotatingAuth{}, path: "/401", body: true},
		{name: "401 replayed, defaults", auth: &rotatingAuth{}, defaults: http.Header{"X-Default": {"d"}}, path: "/401"},
		{name: "429 retried", auth: &rotatingAuth{}, path: "/429", header: http.Header{"Accept": {"text/plain"}}},
		{name: "429 retried, no headers", auth: &rotatingAuth{}, path: "/429"},
		{name: "login fails", auth: failing, path: "/ok", body: true, wantErr: true},
		{name: "login fails, no headers, defaults", auth: failing, defaults: http.Header{"X-Default": {"d"}}, path: "/ok", body: true, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			calls.Clear()
			c, err := New(Options{Auth: tt.auth, AuthOrigins: []string{srv.URL}, Header: tt.defaults, Retry: noWait})
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			// A cookie in the jar before the request, and one set by each
			// response.
			c.Jar().SetCookieHeaders(psURL(t, srv.URL), []string{"jar=1; Max-Age=3600"})
			for _, viaClient := range []bool{false, true} {
				body := &closeRecorder{Reader: strings.NewReader("payload"), closed: new(atomic.Bool)}
				req, err := http.NewRequest(http.MethodPut, srv.URL+tt.path, nil)
				if err != nil {
					t.Fatal(err)
				}
				if tt.body {
					req.Body = body
					req.GetBody = func() (io.ReadCloser, error) {
						return io.NopCloser(strings.NewReader("payload")), nil
					}
				}
				if tt.header != nil {
					req.Header = tt.header.Clone()
				}
				before := req.Header.Clone()
				beforeURL, beforeHost := *req.URL, req.Host

				var resp *http.Response
				if viaClient {
					resp, err = c.Do(req)
				} else {
					resp, err = c.HTTPClient().Transport.RoundTrip(req)
				}
				if (err != nil) != tt.wantErr {
					t.Fatalf("via client %v: error %v, want error %v", viaClient, err, tt.wantErr)
				}
				if err == nil {
					resp.Body.Close()
				}
				if diff := cmp.Diff(before, req.Header); diff != "" {
					t.Errorf("via client %v: the caller's header after the round trip (-before +after):\n%s", viaClient, diff)
				}
				if *req.URL != beforeURL || req.Host != beforeHost {
					t.Errorf("via client %v: the caller's URL or Host changed: %v, %q", viaClient, req.URL, req.Host)
				}
				if tt.body && tt.wantErr && !body.closed.Load() {
					t.Errorf("via client %v: the request body was not closed after the login failed", viaClient)
				}
				calls.Clear()
			}
		})
	}
}
