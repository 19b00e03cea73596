package httpsession

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/httpsession/httpsession/internal/authtest"
)

// roundTripFunc adapts a function to http.RoundTripper.
type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// closeTracker is a request body that records whether it was closed.
type closeTracker struct {
	io.Reader
	closed atomic.Bool
}

func (c *closeTracker) Close() error {
	c.closed.Store(true)
	return nil
}

// TestBaseTransportNilResponse uses a base transport that breaks the
// RoundTripper contract by returning neither a response nor an error: Do
// reports an error instead of panicking.
func TestBaseTransportNilResponse(t *testing.T) {
	c, err := New(Options{Transport: roundTripFunc(func(*http.Request) (*http.Response, error) { return nil, nil })})
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest(http.MethodGet, "https://api.example.com/", nil)
	resp, err := c.Do(req)
	if err == nil {
		resp.Body.Close()
		t.Fatal("Do with a base transport returning (nil, nil): no error")
	}
	var ue *url.Error
	if !errors.As(err, &ue) {
		t.Errorf("Do error %T, want *url.Error", err)
	}
}

// TestRoundTripHostileRequest calls the session transport directly, as an
// SDK wrapping HTTPClient().Transport would, with requests http.Client
// would never send: it returns an error, closes the body and does not
// panic.
func TestRoundTripHostileRequest(t *testing.T) {
	ts := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	defer ts.Close()
	p := DefaultRetryPolicy()
	p.RateLimit = 1000
	c, err := New(Options{Auth: &staticAuth{}, AuthOrigins: []string{ts.URL}, Retry: p})
	if err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(ts.URL)
	tests := []struct {
		name string
		req  func(body io.ReadCloser) *http.Request
	}{
		{"nil URL", func(b io.ReadCloser) *http.Request {
			return &http.Request{Method: http.MethodPost, Header: http.Header{}, Body: b}
		}},
		{"nil Header", func(b io.ReadCloser) *http.Request {
			return &http.Request{Method: http.MethodPost, URL: u, Body: b}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := &closeTracker{Reader: strings.NewReader("x")}
			var (
				resp *http.Response
				err  error
			)
			func() {
				defer func() {
					if r := recover(); r != nil {
						t.Fatalf("RoundTrip panicked: %v", r)
					}
				}()
				resp, err = c.HTTPClient().Transport.RoundTrip(tt.req(body))
			}()
			if err == nil {
				resp.Body.Close()
				t.Error("RoundTrip: no error")
			}
			if !body.closed.Load() {
				t.Error("request body not closed")
			}
		})
	}
}

// idleRecorder is a base transport that counts CloseIdleConnections.
type idleRecorder struct {
	http.RoundTripper
	closed atomic.Int32
}

func (r *idleRecorder) CloseIdleConnections() { r.closed.Add(1) }

// TestCloseClosesIdleConnections checks that Close releases the base
// transport's idle connections, through HTTPClient as well.
func TestCloseClosesIdleConnections(t *testing.T) {
	base := &idleRecorder{RoundTripper: http.DefaultTransport}
	c, err := New(Options{Transport: base})
	if err != nil {
		t.Fatal(err)
	}
	c.HTTPClient().CloseIdleConnections()
	if got := base.closed.Load(); got != 1 {
		t.Errorf("HTTPClient().CloseIdleConnections reached the base transport %d times, want 1", got)
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	if got := base.closed.Load(); got != 2 {
		t.Errorf("after Close the base transport's CloseIdleConnections ran %d times, want 2", got)
	}
}

// TestCredentialDefaultHeadersNotCanonical builds Options.Header as a map
// literal, bypassing Header.Set's canonical keys: credentials are still
// refused, and a default header does not double the request's own.
func TestCredentialDefaultHeadersNotCanonical(t *testing.T) {
	for _, k := range []string{"authorization", "AUTHORIZATION", "proxy-authorization", "cookie"} {
		_, err := New(Options{Header: http.Header{k: {"secret-value"}}})
		if !errors.Is(err, ErrCredentialHeader) {
			t.Errorf("Options.Header{%q: …}: error %v, want ErrCredentialHeader", k, err)
		}
	}

	var got http.Header
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { got = r.Header.Clone() }))
	defer ts.Close()
	c, err := New(Options{Header: http.Header{"user-agent": {"default/1"}, "x-team": {"blue"}}})
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest(http.MethodGet, ts.URL, nil)
	req.Header.Set("User-Agent", "mine/2")
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if ua := got.Values("User-Agent"); len(ua) != 1 || ua[0] != "mine/2" {
		t.Errorf("User-Agent = %q, want [\"mine/2\"]", ua)
	}
	if x := got.Values("X-Team"); len(x) != 1 || x[0] != "blue" {
		t.Errorf("X-Team = %q, want [\"blue\"]", x)
	}
}

// TestAuthenticatorsRedactURLs prints authenticators whose endpoint URLs
// carry user info and query values: neither is shown.
func TestAuthenticatorsRedactURLs(t *testing.T) {
	const u = authtest.URLWithSecrets
	j := JSONLogin{LoginURL: u, RefreshURL: u}
	f := FormLogin{LoginURL: u, PostURL: u}
	authtest.CheckURLsRedacted(t, j, &j, f, &f)
}

// TestTokenNotSentToOtherVirtualHost sends a request to the allowed
// origin's address with a Host header naming another site: a server
// routing by Host (a shared proxy or CDN) would hand the token to that
// site, so it is not sent.
func TestTokenNotSentToOtherVirtualHost(t *testing.T) {
	seen := make(chan [2]string, 4)
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seen <- [2]string{r.Host, r.Header.Get("Authorization")}
	}))
	defer ts.Close()
	c, err := New(Options{Auth: &staticAuth{}, AuthOrigins: []string{ts.URL}})
	if err != nil {
		t.Fatal(err)
	}
	host := strings.TrimPrefix(ts.URL, "http://")
	_, port, _ := net.SplitHostPort(host)
	tests := []struct {
		host     string
		wantAuth bool
	}{
		{"", true},
		{host, true},
		{"evil.example", false},
		{"evil.example:" + port, false},
		{"localhost:" + port, false},
	}
	for _, tt := range tests {
		req, _ := http.NewRequestWithContext(context.Background(), http.MethodGet, ts.URL, nil)
		req.Host = tt.host
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		got := <-seen
		if (got[1] != "") != tt.wantAuth {
			t.Errorf("Host %q: Authorization %q at virtual host %q, want sent: %v", tt.host, got[1], got[0], tt.wantAuth)
		}
	}
}

// TestTokenScopedWhenOriginsAlternate sends requests that alternate between
// an allowed origin, another port of the same host and another host name for
// it: only the allowed origin ever sees the token, and a host gets the
// cookies it set (on any port, as RFC 6265 has it) and no others, however
// the requests interleave.
func TestTokenScopedWhenOriginsAlternate(t *testing.T) {
	type seen struct{ auth, cookie string }
	serve := func(name string, ch chan seen) *httptest.Server {
		ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			ch <- seen{r.Header.Get("Authorization"), r.Header.Get("Cookie")}
			http.SetCookie(w, &http.Cookie{Name: name, Value: "1"})
		}))
		t.Cleanup(ts.Close)
		return ts
	}
	ch := make(chan seen, 1)
	allowed, other := serve("allowed", ch), serve("other", ch)
	c, err := New(Options{Auth: &staticAuth{}, AuthOrigins: []string{allowed.URL}})
	if err != nil {
		t.Fatal(err)
	}
	_, port, _ := net.SplitHostPort(strings.TrimPrefix(allowed.URL, "http://"))
	targets := []struct {
		url, cookie string
		auth        bool
	}{
		{allowed.URL + "/a", "allowed=1; other=1", true},
		{other.URL + "/b", "allowed=1; other=1", false},
		{"http://localhost:" + port + "/c", "allowed=1", false}, // its own, not 127.0.0.1's
		{allowed.URL + "/d", "allowed=1; other=1", true},
	}
	for round := range 3 {
		for _, tt := range targets {
			resp, err := c.Get(context.Background(), tt.url)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			got := <-ch
			if (got.auth != "") != tt.auth {
				t.Errorf("round %d, %s: Authorization sent %v, want %v", round, tt.url, got.auth != "", tt.auth)
			}
			if round > 0 && got.cookie != tt.cookie {
				t.Errorf("round %d, %s: Cookie %q, want %q", round, tt.url, got.cookie, tt.cookie)
			}
		}
	}
}

// TestNoAutoSaveAfterClose fires an autosave whose timer went off just
// before Close stopped it, after Close has returned and a response has
// changed the jar: Close stopped autosave, so nothing is written.
func TestNoAutoSaveAfterClose(t *testing.T) {
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.SetCookie(w, &http.Cookie{Name: strings.Trim(r.URL.Path, "/"), Value: "v", MaxAge: 3600})
	}))
	defer ts.Close()
	st := &memStore{}
	c, err := New(Options{Store: st, AutoSave: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	pending := func() bool {
		c.mu.Lock()
		defer c.mu.Unlock()
		return c.pending != nil
	}
	mustGet(t, c.HTTPClient(), ts.URL+"/a")
	if !pending() {
		t.Fatal("no autosave scheduled")
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	mustGet(t, c.HTTPClient(), ts.URL+"/b")
	c.autoSave() // what the timer runs, had it gone off as Close stopped it
	if st.updates != 1 {
		t.Errorf("%d store updates, want 1 (Close's own)", st.updates)
	}
}

// TestRetryBudgetHugeWait has the server ask for an enormous Retry-After,
// within a MaxRetryAfter set to "no cap", after the first try took a
// second: the wait would overrun MaxElapsed, so the 429 is returned at once
// instead of the time arithmetic overflowing into a wait without end.
func TestRetryBudgetHugeWait(t *testing.T) {
	tests := []struct {
		name    string
		policy  *RetryPolicy
		backoff time.Duration
		header  string
	}{
		{"Retry-After", &RetryPolicy{MaxRetryAfter: maxDuration, MaxElapsed: time.Minute}, 0, "99999999999999999999"},
		{"Backoff hook", &RetryPolicy{MaxElapsed: time.Minute}, maxDuration - time.Millisecond, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				p := tt.policy
				f := withBubbleWaits(t, p)
				p.Backoff = func(int, time.Duration, time.Duration, *http.Response) time.Duration { return tt.backoff }
				var tries atomic.Int32
				ts := newMemServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					tries.Add(1)
					time.Sleep(time.Second) // the try takes a second
					if tt.header != "" {
						w.Header().Set("Retry-After", tt.header)
					}
					w.WriteHeader(http.StatusTooManyRequests)
				}))
				c, err := New(Options{Retry: p, Transport: memTransport(t)})
				if err != nil {
					t.Fatal(err)
				}
				resp, _ := mustGet(t, c.HTTPClient(), ts.URL)
				if resp.StatusCode != http.StatusTooManyRequests || tries.Load() != 1 {
					t.Errorf("got %d after %d tries, want the first 429", resp.StatusCode, tries.Load())
				}
				if w := f.recorded(); len(w) != 0 {
					t.Errorf("waits %v, want none", w)
				}
			})
		})
	}
}

// TestAuthenticatorPanicRedacted has an authenticator panic with a message
// quoting the credentials it was handling: the error every waiter gets,
// and the log, do not repeat it.
func TestAuthenticatorPanicRedacted(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	tests := []struct {
		name string
		v    any
	}{
		{"string", "login failed for password " + testPassword},
		{"error", fmt.Errorf("bad password %s", testPassword)},
	}
	for _, tt := range tests {
		a := AuthFuncs{LoginFunc: func(context.Context, *http.Client) (*Token, error) { panic(tt.v) }}
		m := newTokenManager(a, nil, &TokenOptions{Logger: log}, time.Now)
		_, err := m.Token(context.Background())
		if err == nil {
			t.Fatalf("%s: Token() error = nil, want an error", tt.name)
		}
		if strings.Contains(err.Error(), testPassword) {
			t.Errorf("%s: Token() error = %q, shows the panic's secret", tt.name, err)
		}
	}
	if strings.Contains(buf.String(), testPassword) {
		t.Errorf("log = %q, shows the panic's secret", buf.String())
	}
	// A runtime error says nothing secret and is worth seeing.
	a := AuthFuncs{LoginFunc: func(context.Context, *http.Client) (*Token, error) {
		var p *Token
		return &Token{AccessToken: p.AccessToken}, nil
	}}
	_, err := newTokenManager(a, nil, nil, time.Now).Token(context.Background())
	if err == nil || !strings.Contains(err.Error(), "nil pointer") {
		t.Errorf("Token() error = %v, want the runtime error", err)
	}
}

// TestConcurrent401sOneRefresh sends 50 POSTs at once with a token the
// server rejects: one refresh runs, every request is replayed once with
// its body rebuilt. The server holds the 401s until all 50 requests
// have arrived with the old token.
func TestConcurrent401sOneRefresh(t *testing.T) {
	var rejected, ok, badBody atomic.Int32
	all := make(chan struct{}) // closed when the 50 rejected requests have arrived
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		if string(b) != "payload" {
			badBody.Add(1)
		}
		if r.Header.Get("Authorization") == "Bearer login-1" {
			if rejected.Add(1) == 50 {
				close(all)
			}
			<-all
			w.WriteHeader(http.StatusUnauthorized)
			io.WriteString(w, "expired")
			return
		}
		ok.Add(1)
	}))
	defer ts.Close()
	a := &staticAuth{}
	c, err := New(Options{Auth: a, AuthOrigins: []string{ts.URL}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Tokens().Token(t.Context()); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for range 50 {
		wg.Go(func() {
			req, _ := http.NewRequestWithContext(t.Context(), http.MethodPost, ts.URL, bytes.NewReader([]byte("payload")))
			resp, err := c.Do(req)
			if err != nil {
				t.Error(err)
				return
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				t.Errorf("status %d, want 200 after the replay", resp.StatusCode)
			}
		})
	}
	wg.Wait()
	if n := a.refreshes.Load(); n != 1 {
		t.Errorf("%d refreshes for 50 concurrent 401s, want 1", n)
	}
	if n := a.logins.Load(); n != 1 {
		t.Errorf("%d logins, want 1", n)
	}
	if rejected.Load() != 50 || ok.Load() != 50 || badBody.Load() != 0 {
		t.Errorf("%d rejected, %d accepted, %d bad bodies; want 50, 50, 0", rejected.Load(), ok.Load(), badBody.Load())
	}
}

// hostileText drives a terminal: an OSC 8 fake link, a title change, a
// screen clear and a CR that rewrites the line.
const hostileText = "\x1b]8;;https://evil.example\x1b\\x\x1b]8;;\x1b\\\x1b]0;t\x07\x1b[2J\rY"

func holdsControls(s string) bool { return strings.ContainsAny(s, "\x1b\r\x07") }

// TestServerTextEscapedInMessages: a rejected cookie's domain (from a
// server or a file) never brings a control character into an error; it
// appears escaped. (Package oauth tests a device login's prompt.)
func TestServerTextEscapedInMessages(t *testing.T) {
	ce := &CookieError{Name: "sid", Domain: "evil" + hostileText + ".example", Reason: "domain is not the host's"}
	if msg := ce.Error(); holdsControls(msg) || !strings.Contains(msg, `evil\x1b]8;;`) {
		t.Errorf("CookieError.Error() = %q, want the domain escaped", msg)
	}
}
