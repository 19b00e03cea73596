package httpsession

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/spf13/afero"

	"github.com/httpsession/httpsession/internal/demoserver"
)

// noWaitRetry is the default policy with its waits skipped, so tests that
// provoke a 429 or 503 don't sleep. The waits it was asked for are
// recorded.
func noWaitRetry(waits *[]time.Duration) *RetryPolicy {
	p := DefaultRetryPolicy()
	var mu sync.Mutex
	p.Sleep = func(ctx context.Context, d time.Duration) error {
		mu.Lock()
		if waits != nil {
			*waits = append(*waits, d)
		}
		mu.Unlock()
		return ctx.Err()
	}
	return p
}

func mustGet(t *testing.T, hc *http.Client, u string) (*http.Response, string) {
	t.Helper()
	resp, err := hc.Get(u)
	if err != nil {
		t.Fatalf("GET %s: %v", u, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("GET %s: reading body: %v", u, err)
	}
	return resp, string(b)
}

// TestCookiesOnEveryHopAndAttempt checks the request path of the design:
// the Set-Cookie of a redirect and of a 429 about to be retried are stored,
// and the next hop or attempt sends them.
func TestCookiesOnEveryHopAndAttempt(t *testing.T) {
	var hits atomic.Int32
	mux := http.NewServeMux()
	mux.HandleFunc("/start", func(w http.ResponseWriter, r *http.Request) {
		http.SetCookie(w, &http.Cookie{Name: "hop", Value: "1", Path: "/"})
		http.Redirect(w, r, "/limited", http.StatusFound)
	})
	mux.HandleFunc("/limited", func(w http.ResponseWriter, r *http.Request) {
		if _, err := r.Cookie("hop"); err != nil {
			http.Error(w, "redirect cookie missing", http.StatusBadRequest)
			return
		}
		if hits.Add(1) == 1 {
			http.SetCookie(w, &http.Cookie{Name: "challenge", Value: "ok", Path: "/"})
			w.Header().Set("Retry-After", "2")
			w.WriteHeader(http.StatusTooManyRequests)
			return
		}
		if c, err := r.Cookie("challenge"); err != nil || c.Value != "ok" {
			http.Error(w, "challenge cookie missing on the retry", http.StatusForbidden)
			return
		}
		fmt.Fprint(w, "through")
	})
	ts := httptest.NewServer(mux)
	defer ts.Close()

	var waits []time.Duration
	c, err := New(Options{Retry: noWaitRetry(&waits)})
	if err != nil {
		t.Fatal(err)
	}
	for name, hc := range map[string]*http.Client{"HTTPClient": c.HTTPClient()} {
		resp, body := mustGet(t, hc, ts.URL+"/start")
		if resp.StatusCode != 200 || body != "through" {
			t.Errorf("%s: GET /start = %d %q, want 200 \"through\"", name, resp.StatusCode, body)
		}
	}
	if len(waits) != 1 || waits[0] != 2*time.Second {
		t.Errorf("waits = %v, want [2s] from Retry-After", waits)
	}
}

// TestClientDoIsHTTPClientDo checks that Do has http.Client's contract:
// transport errors are *url.Error and a 404 is not an error.
func TestClientDoIsHTTPClientDo(t *testing.T) {
	ts := httptest.NewServer(http.NotFoundHandler())
	defer ts.Close()
	c, err := New(Options{Retry: &RetryPolicy{MaxAttempts: 1}})
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest("GET", ts.URL, nil)
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("Do(404) error = %v, want none", err)
	}
	resp.Body.Close()
	if resp.StatusCode != 404 {
		t.Errorf("Do(404) status = %d", resp.StatusCode)
	}
	ts.Close()
	req, _ = http.NewRequest("GET", ts.URL, nil)
	_, err = c.Do(req)
	var ue *url.Error
	if !errors.As(err, &ue) {
		t.Errorf("Do to a closed server: error %T %v, want *url.Error", err, err)
	}
}

// TestHeaders checks default headers, the User-Agent default, and that the
// caller's Cookie and Authorization headers win without duplicates.
func TestHeaders(t *testing.T) {
	var got http.Header
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = r.Header.Clone()
		http.SetCookie(w, &http.Cookie{Name: "a", Value: "jar", Path: "/"})
		http.SetCookie(w, &http.Cookie{Name: "b", Value: "jar", Path: "/"})
	}))
	defer ts.Close()

	tests := []struct {
		name       string
		defaults   http.Header
		set        map[string]string
		wantUA     string
		wantX      string
		wantCookie string
		wantAuth   string
	}{
		{name: "no defaults", wantUA: "httpsession/" + version, wantCookie: "a=jar; b=jar"},
		{name: "default UA and header", defaults: http.Header{"User-Agent": {"bot/1"}, "X-Team": {"t"}}, wantUA: "bot/1", wantX: "t", wantCookie: "a=jar; b=jar"},
		{name: "request beats defaults", defaults: http.Header{"X-Team": {"t"}}, set: map[string]string{"X-Team": "mine", "User-Agent": "me/2"}, wantUA: "me/2", wantX: "mine", wantCookie: "a=jar; b=jar"},
		{name: "caller cookie wins, no duplicate", set: map[string]string{"Cookie": "a=mine; c=3"}, wantUA: "httpsession/" + version, wantCookie: "a=mine; c=3; b=jar"},
		{name: "caller authorization kept", set: map[string]string{"Authorization": "Basic eDp5"}, wantUA: "httpsession/" + version, wantCookie: "a=jar; b=jar", wantAuth: "Basic eDp5"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := New(Options{Header: tt.defaults})
			if err != nil {
				t.Fatal(err)
			}
			mustGet(t, c.HTTPClient(), ts.URL) // fills the jar
			req, _ := http.NewRequest("GET", ts.URL, nil)
			for k, v := range tt.set {
				req.Header.Set(k, v)
			}
			resp, err := c.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if ua := got.Get("User-Agent"); ua != tt.wantUA {
				t.Errorf("User-Agent = %q, want %q", ua, tt.wantUA)
			}
			if x := got.Get("X-Team"); x != tt.wantX {
				t.Errorf("X-Team = %q, want %q", x, tt.wantX)
			}
			if ck := got.Values("Cookie"); len(ck) != 1 || ck[0] != tt.wantCookie {
				t.Errorf("Cookie = %q, want [%q]", ck, tt.wantCookie)
			}
			if a := got.Get("Authorization"); a != tt.wantAuth {
				t.Errorf("Authorization = %q, want %q", a, tt.wantAuth)
			}
		})
	}
}

// staticAuth hands out numbered tokens and counts calls.
type staticAuth struct {
	logins, refreshes atomic.Int32
	expiry            time.Time
}

func (a *staticAuth) Login(ctx context.Context, hc *http.Client) (*Token, error) {
	n := a.logins.Add(1)
	return &Token{AccessToken: fmt.Sprintf("login-%d", n), RefreshToken: "r", Expiry: a.expiry}, nil
}

func (a *staticAuth) Refresh(ctx context.Context, hc *http.Client, t *Token) (*Token, error) {
	n := a.refreshes.Add(1)
	return &Token{AccessToken: fmt.Sprintf("refresh-%d", n), RefreshToken: "r", Expiry: a.expiry}, nil
}

// TestTokenNeverCrossesOrigins redirects from the allowed origin to
// another port, another host and from https to http with every redirect
// status; the token must never arrive there.
func TestTokenNeverCrossesOrigins(t *testing.T) {
	var leaked atomic.Value
	leaked.Store("")
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if a := r.Header.Get("Authorization"); a != "" {
			leaked.Store(a)
		}
		io.Copy(io.Discard, r.Body)
	}))
	defer other.Close()

	var seenHome atomic.Int32
	redirector := func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		to := r.URL.Query().Get("to")
		if to == "" { // reached under another host name: must carry no token
			if a := r.Header.Get("Authorization"); a != "" {
				leaked.Store(a)
			}
			return
		}
		if r.Header.Get("Authorization") != "" {
			seenHome.Add(1)
		}
		var status int
		fmt.Sscan(r.URL.Query().Get("code"), &status)
		http.Redirect(w, r, to, status)
	}
	home := httptest.NewServer(http.HandlerFunc(redirector))
	defer home.Close()
	homeURL, _ := url.Parse(home.URL)
	homeTLS := httptest.NewTLSServer(http.HandlerFunc(redirector))
	defer homeTLS.Close()

	base := homeTLS.Client().Transport.(*http.Transport).Clone()
	c, err := New(Options{
		Auth:        &staticAuth{},
		AuthOrigins: []string{home.URL, homeTLS.URL},
		Transport:   base,
	})
	if err != nil {
		t.Fatal(err)
	}
	targets := map[string]string{
		"another port":  other.URL + "/x",
		"another host":  "http://localhost:" + homeURL.Port() + "/x", // the same server under another name
		"https to http": other.URL + "/x",
	}
	for _, code := range []int{301, 302, 303, 307, 308} {
		for name, to := range targets {
			from := home.URL
			if name == "https to http" {
				from = homeTLS.URL
			}
			leaked.Store("")
			before := seenHome.Load()
			u := fmt.Sprintf("%s/?code=%d&to=%s", from, code, url.QueryEscape(to))
			req, _ := http.NewRequest("POST", u, strings.NewReader("body"))
			resp, err := c.Do(req)
			if err != nil {
				t.Fatalf("%d %s: %v", code, name, err)
			}
			resp.Body.Close()
			if seenHome.Load() != before+1 {
				t.Errorf("%d %s: the allowed origin did not get the token", code, name)
			}
			if a := leaked.Load().(string); a != "" {
				t.Errorf("%d %s: token sent to %s after a redirect", code, name, to)
			}
		}
	}
}

// TestUnauthorizedRefreshesOnceAndReplays covers the 401 path: a revoked
// token is refreshed once and the request replayed once with its body; an
// always-401 server gets one refresh and the caller gets the 401.
func TestUnauthorizedRefreshesOnceAndReplays(t *testing.T) {
	var mu sync.Mutex
	var bodies []string
	var auths []string
	always := false
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		defer mu.Unlock()
		bodies = append(bodies, string(b))
		auths = append(auths, r.Header.Get("Authorization"))
		if always || r.Header.Get("Authorization") == "Bearer login-1" {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		fmt.Fprint(w, "ok")
	}))
	defer ts.Close()
	a := &staticAuth{}
	c, err := New(Options{Auth: a, AuthOrigins: []string{ts.URL}})
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest("PUT", ts.URL, strings.NewReader("payload"))
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("status after a revoked token = %d, want 200", resp.StatusCode)
	}
	wantAuths := []string{"Bearer login-1", "Bearer refresh-1"}
	if fmt.Sprint(auths) != fmt.Sprint(wantAuths) || fmt.Sprint(bodies) != "[payload payload]" {
		t.Errorf("sent Authorization %q with bodies %q, want %q with the body twice", auths, bodies, wantAuths)
	}

	mu.Lock()
	always, auths, bodies = true, nil, nil
	mu.Unlock()
	resp, err = c.Get(context.Background(), ts.URL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 401 {
		t.Errorf("always-401 server: status %d, want the 401", resp.StatusCode)
	}
	if len(auths) != 2 || a.refreshes.Load() != 2 {
		t.Errorf("always-401 server: %d requests and %d refreshes in all, want 2 requests and 2 refreshes (one per 401 episode)", len(auths), a.refreshes.Load())
	}
}

// TestAuthRequiresOrigins checks that a bearer Authenticator without
// AuthOrigins, or with a plain-http remote origin, is refused by New.
func TestAuthRequiresOrigins(t *testing.T) {
	tests := []struct {
		name    string
		origins []string
		insec   bool
		ok      bool
	}{
		{"none", nil, false, false},
		{"https", []string{"https://api.example.com"}, false, true},
		{"loopback http", []string{"http://127.0.0.1:8080", "http://localhost:1"}, false, true},
		{"remote http", []string{"http://api.example.com"}, false, false},
		{"remote http allowed", []string{"http://api.example.com"}, true, true},
		{"path", []string{"https://api.example.com/v1"}, false, false},
		{"user info", []string{"https://u:p@api.example.com"}, false, false},
		{"ftp", []string{"ftp://api.example.com"}, false, false},
	}
	for _, tt := range tests {
		_, err := New(Options{Auth: &staticAuth{}, AuthOrigins: tt.origins, AllowInsecureAuth: tt.insec})
		if (err == nil) != tt.ok {
			t.Errorf("%s: New error = %v, want ok=%v", tt.name, err, tt.ok)
		}
		if err != nil && !errors.Is(err, ErrBadOrigin) {
			t.Errorf("%s: error %v is not ErrBadOrigin", tt.name, err)
		}
		if err != nil && strings.Contains(err.Error(), "u:p") {
			t.Errorf("%s: error %q shows the user info", tt.name, err)
		}
	}
}

// TestDemoStory runs the demo's story against the demo server: login,
// cookie page, refresh ahead of expiry, revocation, 429, save and resume
// without a login.
func TestDemoStory(t *testing.T) {
	clk := newTestClock()
	srv := demoserver.New(demoserver.Options{TokenTTL: time.Minute, Now: clk.Now})
	ts := httptest.NewServer(srv.Handler())
	defer ts.Close()
	fs := afero.NewMemMapFs()
	open := func() *Client {
		c, err := New(Options{
			SessionFile: "/state/demo.json",
			FS:          fs,
			Auth:        &JSONLogin{LoginURL: ts.URL + "/auth/login", RefreshURL: ts.URL + "/auth/refresh", Username: "demo", Password: "demo-password"},
			AuthOrigins: []string{ts.URL},
			Retry:       noWaitRetry(nil),
			Now:         clk.Now,
		})
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	c := open()
	expect := func(path string, want int) {
		t.Helper()
		resp, body := mustGet(t, c.HTTPClient(), ts.URL+path)
		if resp.StatusCode != want {
			t.Fatalf("GET %s = %d %s, want %d", path, resp.StatusCode, body, want)
		}
	}
	expect("/api/me", 200)
	expect("/page", 200)
	clk.Advance(45 * time.Second) // within the 30 s skew of the 60 s token
	expect("/api/me", 200)
	if s := srv.Stats(); s.Logins != 1 || s.Refreshes != 1 || s.Unauthorized != 0 {
		t.Errorf("after refresh ahead: %+v, want 1 login, 1 refresh, no 401", s)
	}
	clk.Advance(time.Second)
	srv.RevokeAll()
	clk.Advance(time.Second)
	expect("/api/me", 200)
	if s := srv.Stats(); s.Refreshes != 2 || s.Unauthorized != 1 {
		t.Errorf("after revocation: %+v, want 2 refreshes, 1 401", s)
	}
	expect("/api/limited", 200)
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	if err := c.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}

	c = open()
	defer c.Close()
	expect("/api/me", 200)
	resp, body := mustGet(t, c.HTTPClient(), ts.URL+"/page")
	if !strings.Contains(body, `"visits":2`) {
		t.Errorf("resumed GET /page = %d %s, want visits 2 from the saved cookie", resp.StatusCode, body)
	}
	if s := srv.Stats(); s.Logins != 1 {
		t.Errorf("after resume: %d logins, want 1 (no new login)", s.Logins)
	}
}

func TestAllowedOrigin(t *testing.T) {
	tr := &transport{}
	for _, s := range []string{"https://api.example.com", "http://127.0.0.1:8080", "https://[::1]:8443", "https://bücher.example"} {
		o, err := parseOrigin(s, false)
		if err != nil {
			t.Fatal(err)
		}
		tr.origins = append(tr.origins, o)
	}
	tests := []struct {
		url  string
		want bool
	}{
		{"https://api.example.com/v1/x?q=1", true},
		{"https://API.Example.com:443/", true},
		{"http://api.example.com/", false},       // scheme downgrade
		{"https://api.example.com:8443/", false}, // another port
		{"https://evil.example.com/", false},     // another host
		{"https://api.example.com.evil.net/", false},
		{"http://127.0.0.1:8080/", true},
		{"http://127.0.0.1/", false},
		{"https://127.0.0.1:8080/", false},
		{"https://[::1]:8443/", true},
		{"https://xn--bcher-kva.example/", true}, // an IDN origin matches its punycode
		{"https://bücher.example/", true},
		{"https://xn--bcher-kva.example.evil/", false},
	}
	for _, tt := range tests {
		u, _ := url.Parse(tt.url)
		if got := tr.allowed(u); got != tt.want {
			t.Errorf("allowed(%s) = %v, want %v", tt.url, got, tt.want)
		}
	}
}

// renameCounter counts the atomic renames of session saves.
type renameCounter struct {
	afero.Fs
	n atomic.Int32
}

func (r *renameCounter) Rename(oldname, newname string) error {
	r.n.Add(1)
	return r.Fs.Rename(oldname, newname)
}

// TestAutoSaveCoalesces sends a burst of cookie-changing responses: one
// save is scheduled for the burst, a second after it; responses that
// change nothing schedule none. It runs on the fake clock of a synctest
// bubble.
func TestAutoSaveCoalesces(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var n atomic.Int32
		ts := newMemServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path == "/set" {
				http.SetCookie(w, &http.Cookie{Name: fmt.Sprint("c", n.Add(1)), Value: "v", MaxAge: 3600})
			}
		}))
		fs := &renameCounter{Fs: afero.NewMemMapFs()}
		c, err := New(Options{SessionFile: "/s.json", FS: fs, AutoSave: time.Second, Transport: memTransport(t)})
		if err != nil {
			t.Fatal(err)
		}
		pending := func() bool {
			c.mu.Lock()
			defer c.mu.Unlock()
			return c.pending != nil
		}
		for range 20 {
			mustGet(t, c.HTTPClient(), ts.URL+"/set")
		}
		if !pending() {
			t.Fatal("no save scheduled for a burst")
		}
		time.Sleep(time.Second - time.Nanosecond)
		synctest.Wait()
		if got := fs.n.Load(); got != 0 {
			t.Errorf("%d writes before the autosave delay, want 0", got)
		}
		time.Sleep(time.Minute)
		synctest.Wait()
		if got := fs.n.Load(); got != 1 {
			t.Errorf("%d writes after the burst, want 1", got)
		}
		mustGet(t, c.HTTPClient(), ts.URL+"/unchanged")
		if pending() {
			t.Errorf("a response that changed nothing scheduled a save")
		}
		mustGet(t, c.HTTPClient(), ts.URL+"/set")
		if !pending() {
			t.Fatalf("a change after the save scheduled no save")
		}
		if err := c.Close(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Minute)
		synctest.Wait()
		if got := fs.n.Load(); got != 2 {
			t.Errorf("%d writes after Close, want 2", got)
		}
		c2, err := New(Options{SessionFile: "/s.json", FS: fs})
		if err != nil {
			t.Fatal(err)
		}
		if got := c2.Jar().live(); got != 21 {
			t.Errorf("reloaded %d cookies, want 21", got)
		}
	})
}

// TestTokenSavedBeforeUse checks that a new token reaches the session file
// before the request that uses it: a crash after the login can't lose it.
func TestTokenSavedBeforeUse(t *testing.T) {
	fs := afero.NewMemMapFs()
	var problems atomic.Value
	problems.Store("")
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, err := afero.ReadFile(fs, "/dir/s.json")
		if err != nil || !strings.Contains(string(b), strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")) {
			problems.Store(fmt.Sprintf("token %q not in the session file when used (read error %v)", r.Header.Get("Authorization"), err))
		}
	}))
	defer ts.Close()
	a := &staticAuth{}
	c, err := New(Options{SessionFile: "/dir/s.json", FS: fs, Auth: a, AuthOrigins: []string{ts.URL}})
	if err != nil {
		t.Fatal(err)
	}
	mustGet(t, c.HTTPClient(), ts.URL)
	if p := problems.Load().(string); p != "" {
		t.Error(p)
	}
	if fi, err := fs.Stat("/dir"); err != nil || fi.Mode().Perm() != 0o700 {
		t.Errorf("session directory: %v, want mode 0700", err)
	}
}

// TestClientConcurrent hammers one Client from many goroutines with
// cookies, a token that keeps expiring, 429s and saves, under -race.
func TestClientConcurrent(t *testing.T) {
	t.Parallel()
	clk := newTestClock()
	srv := demoserver.New(demoserver.Options{TokenTTL: time.Minute, Now: clk.Now, ThrottleEvery: 7})
	ts := httptest.NewServer(srv.Handler())
	defer ts.Close()
	// Every 7th API request is throttled server-wide, so with 16 goroutines
	// one request can draw several 429s in a row: allow it enough tries
	// that none runs out.
	retry := noWaitRetry(nil)
	retry.MaxAttempts = 32
	c, err := New(Options{
		SessionFile: "/s.json",
		FS:          afero.NewMemMapFs(),
		Auth:        &JSONLogin{LoginURL: ts.URL + "/auth/login", RefreshURL: ts.URL + "/auth/refresh", Username: "demo", Password: "demo-password"},
		AuthOrigins: []string{ts.URL},
		Retry:       retry,
		Now:         clk.Now,
	})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	var wg sync.WaitGroup
	var failed atomic.Int32
	for g := range 16 {
		wg.Go(func() {
			for i := range 25 {
				path := "/api/me"
				if i%3 == 0 {
					path = "/page"
				}
				resp, err := c.Get(context.Background(), ts.URL+path)
				if err != nil {
					t.Error(err)
					failed.Add(1)
					continue
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != 200 {
					t.Errorf("GET %s = %d", path, resp.StatusCode)
					failed.Add(1)
				}
				if g == 0 && i%5 == 0 {
					clk.Advance(40 * time.Second) // past the refresh point
					if err := c.Save(); err != nil {
						t.Error(err)
					}
					_ = c.Jar().All()
				}
			}
		})
	}
	wg.Wait()
	if n := failed.Load(); n != 0 {
		t.Errorf("%d requests failed", n)
	}
	s := srv.Stats()
	if s.Logins != 1 {
		t.Errorf("%d logins, want 1 (refreshes: %d)", s.Logins, s.Refreshes)
	}
	// The clock jumps while requests are in flight, so a token checked as
	// valid can be expired by the time the server sees it: those 401s are
	// refreshed and replayed, and no request fails.
	t.Logf("%d refreshes, %d 401s replayed, %d 429s retried", s.Refreshes, s.Unauthorized, s.Throttled)
}

// memStore is a Store kept in memory, standing for a networked store.
type memStore struct {
	mu      sync.Mutex
	doc     []byte
	updates int
}

func (m *memStore) Load() ([]byte, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.doc, nil
}

func (m *memStore) Update(fn func([]byte) ([]byte, error)) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	next, err := fn(m.doc)
	if err != nil || next == nil {
		return err
	}
	m.doc, m.updates = next, m.updates+1
	return nil
}

// TestOptionsStore shares one session between two Clients through a Store
// other than a file.
func TestOptionsStore(t *testing.T) {
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/set" {
			http.SetCookie(w, &http.Cookie{Name: "worker", Value: "1", MaxAge: 600})
			return
		}
		if _, err := r.Cookie("worker"); err != nil {
			w.WriteHeader(http.StatusForbidden)
		}
	}))
	defer ts.Close()
	st := &memStore{}
	a, err := New(Options{Store: st})
	if err != nil {
		t.Fatal(err)
	}
	mustGet(t, a.HTTPClient(), ts.URL+"/set")
	if err := a.Save(); err != nil {
		t.Fatal(err)
	}
	b, err := New(Options{Store: st})
	if err != nil {
		t.Fatal(err)
	}
	if resp, _ := mustGet(t, b.HTTPClient(), ts.URL+"/check"); resp.StatusCode != 200 {
		t.Errorf("second worker: status %d, want 200 with the shared cookie", resp.StatusCode)
	}
	if err := b.Save(); err != nil {
		t.Fatal(err)
	}
	if st.updates != 1 {
		t.Errorf("%d store updates, want 1 (the second Save had nothing new)", st.updates)
	}
}

// TestFormLoginSession uses a cookie-only login through the Client: the
// first request logs in and carries the new session cookie; when the
// server forgets the session, the 401 logs in again and replays.
func TestFormLoginSession(t *testing.T) {
	srv := demoserver.New(demoserver.Options{})
	ts := httptest.NewServer(srv.Handler())
	defer ts.Close()
	// /account redirects to /login without a session; make it a 401 so the
	// Client can see the session is gone.
	mux := http.NewServeMux()
	mux.Handle("/", srv.Handler())
	mux.HandleFunc("GET /whoami", func(w http.ResponseWriter, r *http.Request) {
		rec := httptest.NewRecorder()
		req := r.Clone(r.Context())
		req.URL.Path = "/account"
		srv.Handler().ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		if r.Header.Get("Authorization") != "" {
			w.WriteHeader(http.StatusBadRequest) // a cookie-only login sends no bearer
			return
		}
		w.Write(rec.Body.Bytes())
	})
	front := httptest.NewServer(mux)
	defer front.Close()

	c, err := New(Options{Auth: &FormLogin{
		LoginURL:        front.URL + "/login",
		Fields:          url.Values{"username": {"demo"}, "password": {"demo-password"}},
		CSRFField:       "csrf_token",
		SuccessRedirect: "/account",
	}})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 2 {
		resp, body := mustGet(t, c.HTTPClient(), front.URL+"/whoami")
		if resp.StatusCode != 200 {
			t.Fatalf("request %d: %d %s, want 200", i+1, resp.StatusCode, body)
		}
	}
	if n := srv.Stats().FormLogins; n != 1 {
		t.Errorf("%d form logins for two requests, want 1", n)
	}
	c.Jar().Remove("127.0.0.1", "/", "sid") // the server-side session is gone
	resp, body := mustGet(t, c.HTTPClient(), front.URL+"/whoami")
	if resp.StatusCode != 200 {
		t.Errorf("after losing the session: %d %s, want 200 after a new login", resp.StatusCode, body)
	}
	if n := srv.Stats().FormLogins; n != 2 {
		t.Errorf("%d form logins, want 2", n)
	}
}

// TestNewCreatesSessionDirectory: New makes a missing parent directory,
// 0700, before any save, and fails at once where none can be made.
func TestNewCreatesSessionDirectory(t *testing.T) {
	fs := afero.NewMemMapFs()
	if _, err := New(Options{SessionFile: "/a/b/s.json", FS: fs}); err != nil {
		t.Fatal(err)
	}
	fi, err := fs.Stat("/a/b")
	if err != nil || !fi.IsDir() || fi.Mode().Perm() != 0o700 {
		t.Fatalf("session directory after New: %v, want a 0700 directory", err)
	}
	if _, err := fs.Stat("/a/b/s.json"); err == nil {
		t.Error("New wrote a session file with nothing to save")
	}
	ro := afero.NewReadOnlyFs(afero.NewMemMapFs())
	if _, err := New(Options{SessionFile: "/x/s.json", FS: ro}); err == nil {
		t.Error("New on a read-only filesystem with a missing directory: no error")
	}
}

func TestCredentialDefaultHeadersRefused(t *testing.T) {
	for _, k := range []string{"Authorization", "authorization", "Proxy-Authorization", "Cookie"} {
		h := http.Header{}
		h.Set(k, "secret-value")
		_, err := New(Options{Header: h})
		if !errors.Is(err, ErrCredentialHeader) {
			t.Errorf("Options.Header with %s: error %v, want ErrCredentialHeader", k, err)
		}
		if err != nil && strings.Contains(err.Error(), "secret-value") {
			t.Errorf("error shows the header value: %v", err)
		}
	}
}

// TestAutoSaveCheckAllocs: the change check autosave runs after every
// response costs no allocation when nothing changed.
func TestAutoSaveCheckAllocs(t *testing.T) {
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer ts.Close()
	c, err := New(Options{SessionFile: "/s.json", FS: afero.NewMemMapFs(), Auth: &staticAuth{}, AuthOrigins: []string{ts.URL}})
	if err != nil {
		t.Fatal(err)
	}
	mustGet(t, c.HTTPClient(), ts.URL)
	if err := c.Save(); err != nil {
		t.Fatal(err)
	}
	if c.sess.dirty() {
		t.Fatal("dirty() right after Save")
	}
	if n := testing.AllocsPerRun(100, func() { c.sess.dirty() }); n != 0 {
		t.Errorf("dirty() allocates %v times, want 0", n)
	}
}

// TestNewChecksOptionsFirst: options that New refuses are refused before
// the session file is touched: a corrupt file stays where it is, unread and
// not moved aside, and no lock file appears.
func TestNewChecksOptionsFirst(t *testing.T) {
	tests := []struct {
		name string
		o    Options
		want error
	}{
		{"auth without origins", Options{Auth: &staticAuth{}}, ErrBadOrigin},
		{"bad origin", Options{Auth: &staticAuth{}, AuthOrigins: []string{"ftp://x"}}, ErrBadOrigin},
		{"credential header", Options{Header: http.Header{"cookie": {"a=1"}}}, ErrCredentialHeader},
	}
	for _, tt := range tests {
		fsys := afero.NewMemMapFs()
		const path = "/s/session.json"
		if err := afero.WriteFile(fsys, path, []byte("{broken"), 0o600); err != nil {
			t.Fatal(err)
		}
		o := tt.o
		o.FS, o.SessionFile = fsys, path
		o.Session = &SessionOptions{StartFresh: true}
		if _, err := New(o); !errors.Is(err, tt.want) {
			t.Errorf("%s: New error = %v, want %v", tt.name, err, tt.want)
		}
		names, _ := afero.ReadDir(fsys, "/s")
		if len(names) != 1 || names[0].Name() != "session.json" {
			var got []string
			for _, fi := range names {
				got = append(got, fi.Name())
			}
			t.Errorf("%s: directory after New = %q, want only session.json", tt.name, got)
		}
	}
}
