package oauth_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/httpsession/httpsession"
	"github.com/httpsession/httpsession/internal/testop"
	"github.com/httpsession/httpsession/oauth"
	"golang.org/x/oauth2"
)

func opConfig(issuer string) *oauth2.Config {
	return &oauth2.Config{
		ClientID: testop.ClientID,
		Endpoint: oauth2.Endpoint{
			AuthURL:       issuer + "/authorize",
			TokenURL:      issuer + "/oauth/token",
			DeviceAuthURL: issuer + "/device_authorization",
			AuthStyle:     oauth2.AuthStyleInParams,
		},
		Scopes: []string{"openid", "email", "profile", "offline_access"},
	}
}

func yes() bool { return true }
func no() bool  { return false }

// browserOpener returns an OpenURL hook that checks the authorization URL
// and lets the user act on it in a browser, and a channel with the status
// and body of the page the program answered.
func browserOpener(t *testing.T, action string, tamper func(*url.URL)) (func(context.Context, string) error, <-chan string) {
	pages := make(chan string, 1)
	return func(_ context.Context, u string) error {
		q, err := url.Parse(u)
		if err != nil {
			t.Errorf("authorization URL %q: %v", u, err)
		}
		p := q.Query()
		redirect, _ := url.Parse(p.Get("redirect_uri"))
		if p.Get("code_challenge_method") != "S256" || len(p.Get("code_challenge")) != 43 || len(p.Get("state")) < 32 ||
			redirect == nil || redirect.Hostname() != "127.0.0.1" || redirect.Port() == "" {
			t.Errorf("authorization URL %q lacks S256 PKCE, a state or a loopback redirect", u)
		}
		go func() {
			status, body, err := testop.Authorize(testop.Browser(nil), u, action, tamper)
			if err != nil {
				t.Errorf("browser: %v", err)
			}
			pages <- fmt.Sprintf("%d %s", status, body)
		}()
		return nil
	}, pages
}

func TestBrowserLoginRefreshResume(t *testing.T) {
	o := testop.Serve(t, 5*time.Second)
	cfg := opConfig(o.Issuer)
	session := filepath.Join(t.TempDir(), "session.json")
	open, pages := browserOpener(t, "allow", nil)
	c, err := httpsession.New(httpsession.Options{
		SessionFile: session,
		Auth:        &oauth.Browser{Config: cfg, OpenURL: open, Interactive: yes},
		AuthOrigins: []string{o.Issuer},
	})
	if err != nil {
		t.Fatal(err)
	}
	userinfo := func(c *httpsession.Client) string {
		t.Helper()
		resp, err := c.HTTPClient().Get(o.Issuer + "/userinfo")
		if err != nil {
			t.Fatalf("GET /userinfo: %v", err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("GET /userinfo: status %d, body %.200s", resp.StatusCode, b)
		}
		return string(b)
	}
	if got := userinfo(c); !strings.Contains(got, `"sub":"id2"`) {
		t.Errorf("userinfo = %s, want sub id2", got)
	}
	if page := <-pages; !strings.HasPrefix(page, "200 ") || !strings.Contains(page, "close this page") {
		t.Errorf("browser got %q, want 200 and a page that says it can be closed", page)
	}
	first := c.Tokens().Current()
	if first.RefreshToken == "" || first.IDToken == "" || first.Expiry.IsZero() {
		t.Fatalf("token %v: want a refresh token, an ID token and an expiry", first)
	}
	claims, err := oauth.DecodeIDToken(first, time.Now())
	if err != nil || claims.Subject != "id2" || claims.Issuer != o.Issuer || len(claims.Audience) != 1 || claims.Audience[0] != testop.ClientID {
		t.Fatalf("DecodeIDToken = %+v, %v; want subject id2, issuer %s, audience %s", claims, err, o.Issuer, testop.ClientID)
	}
	if _, err := oauth.DecodeIDToken(first, claims.Expiry); !errors.Is(err, oauth.ErrIDTokenExpired) {
		t.Errorf("DecodeIDToken at exp: %v, want ErrIDTokenExpired", err)
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}

	// A later process: the session file resumes, and an expired access
	// token is refreshed (rotating the refresh token) without a browser.
	later := func() time.Time { return time.Now().Add(time.Hour) }
	noBrowser := func(context.Context, string) error { t.Error("a refresh opened the browser"); return nil }
	c2, err := httpsession.New(httpsession.Options{
		SessionFile: session,
		Auth:        &oauth.Browser{Config: cfg, OpenURL: noBrowser, Interactive: no},
		AuthOrigins: []string{o.Issuer},
		Now:         later,
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := userinfo(c2); !strings.Contains(got, `"sub":"id2"`) {
		t.Errorf("userinfo after resume = %s", got)
	}
	second := c2.Tokens().Current()
	if second.AccessToken == first.AccessToken || second.RefreshToken == first.RefreshToken || second.IDToken == "" {
		t.Errorf("after refresh: same access token %v, same refresh token %v, ID token kept %v; want new tokens",
			second.AccessToken == first.AccessToken, second.RefreshToken == first.RefreshToken, second.IDToken != "")
	}
	if err := c2.Close(); err != nil {
		t.Fatal(err)
	}

	// The rotated-out refresh token is refused: that session needs the
	// user again, and a process that is not interactive says so.
	a := &oauth.Browser{Config: cfg, OpenURL: noBrowser, Interactive: no}
	var oe *httpsession.OAuth2Error
	if _, err := a.Refresh(t.Context(), nil, first); !errors.As(err, &oe) || oe.Code != "invalid_grant" {
		t.Errorf("refresh with the old refresh token: %v, want invalid_grant", err)
	} else if strings.Contains(err.Error(), first.RefreshToken) {
		t.Errorf("error %q contains the refresh token", err)
	}
	stale := filepath.Join(t.TempDir(), "stale.json")
	c3, err := httpsession.New(httpsession.Options{SessionFile: stale, Auth: a, AuthOrigins: []string{o.Issuer}, Now: later})
	if err != nil {
		t.Fatal(err)
	}
	defer c3.Close()
	c3.Tokens().SetToken(first)
	_, err = c3.HTTPClient().Get(o.Issuer + "/userinfo")
	var fe *httpsession.FlowError
	if !errors.Is(err, httpsession.ErrLoginRequired) || !errors.As(err, &fe) {
		t.Errorf("request with a revoked refresh token: %v, want ErrLoginRequired", err)
	}
}

func TestBrowserDenied(t *testing.T) {
	o := testop.Serve(t, 5*time.Second)
	open, pages := browserOpener(t, "deny", nil)
	a := &oauth.Browser{Config: opConfig(o.Issuer), OpenURL: open, Interactive: yes}
	tok, err := a.Login(t.Context(), nil)
	var fe *httpsession.FlowError
	if tok != nil || !errors.Is(err, oauth.ErrAccessDenied) || !errors.As(err, &fe) || fe.Code != "access_denied" {
		t.Errorf("Login = %v, %v; want ErrAccessDenied", tok, err)
	}
	if page := <-pages; !strings.HasPrefix(page, "400 ") || !strings.Contains(page, "denied") {
		t.Errorf("browser got %q, want 400 and a page saying access was denied", page)
	}
}

func TestBrowserWrongState(t *testing.T) {
	o := testop.Serve(t, 5*time.Second)
	tamper := func(u *url.URL) {
		q := u.Query()
		q.Set("state", "not-the-state-that-was-sent-0123456789")
		u.RawQuery = q.Encode()
	}
	open, pages := browserOpener(t, "allow", tamper)
	a := &oauth.Browser{Config: opConfig(o.Issuer), OpenURL: open, Interactive: yes}
	// The wrong state does not end the login: it ends when its context
	// does, here once the browser has been answered.
	ctx, cancel := context.WithCancel(t.Context())
	page := make(chan string, 1)
	go func() { page <- <-pages; cancel() }()
	tok, err := a.Login(ctx, nil)
	if tok != nil || !errors.Is(err, oauth.ErrStateMismatch) || !errors.Is(err, context.Canceled) {
		t.Errorf("Login = %v, %v; want ErrStateMismatch and the context's error", tok, err)
	}
	if page := <-page; !strings.HasPrefix(page, "400 ") {
		t.Errorf("browser got %q, want 400", page)
	}
}

// lineWriter hands each line written to it to a channel.
type lineWriter struct {
	mu    sync.Mutex
	buf   bytes.Buffer
	lines chan string
}

func (w *lineWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf.Write(p)
	for {
		line, err := w.buf.ReadString('\n')
		if err != nil {
			w.buf.WriteString(line)
			return len(p), nil
		}
		w.lines <- line
	}
}

func TestBrowserPrintsURLWhenNoBrowser(t *testing.T) {
	o := testop.Serve(t, 5*time.Second)
	stderr := &lineWriter{lines: make(chan string, 16)}
	a := &oauth.Browser{
		Config:      opConfig(o.Issuer),
		OpenURL:     func(context.Context, string) error { return errors.New("no display") },
		Stderr:      stderr,
		Interactive: yes,
	}
	go func() {
		for line := range stderr.lines {
			if u := strings.TrimSpace(line); strings.HasPrefix(u, o.Issuer+"/authorize?") {
				if _, _, err := testop.Authorize(testop.Browser(nil), u, "allow", nil); err != nil {
					t.Errorf("browser: %v", err)
				}
				return
			}
		}
	}()
	tok, err := a.Login(t.Context(), nil)
	if err != nil || tok.AccessToken == "" {
		t.Errorf("Login = %v, %v; want a token", tok, err)
	}
}

func TestBrowserWaitEndsWithContext(t *testing.T) {
	o := testop.Serve(t, 5*time.Second)
	ctx, cancel := context.WithCancel(t.Context())
	a := &oauth.Browser{
		Config:      opConfig(o.Issuer),
		OpenURL:     func(context.Context, string) error { cancel(); return nil },
		Interactive: yes,
	}
	if tok, err := a.Login(ctx, nil); tok != nil || !errors.Is(err, context.Canceled) {
		t.Errorf("Login = %v, %v; want context.Canceled", tok, err)
	}
}

func TestFlowsNotInteractive(t *testing.T) {
	cfg := opConfig("http://127.0.0.1:1")
	opened := false
	for _, a := range []httpsession.Authenticator{
		&oauth.Browser{Config: cfg, Interactive: no, OpenURL: func(context.Context, string) error { opened = true; return nil }},
		&oauth.Device{Config: cfg, Interactive: no},
	} {
		if tok, err := a.Login(t.Context(), nil); tok != nil || !errors.Is(err, httpsession.ErrLoginRequired) {
			t.Errorf("%v: Login = %v, %v; want ErrLoginRequired", a, tok, err)
		}
	}
	if opened {
		t.Error("a non-interactive login opened the browser")
	}
}

func TestFlowsRedacted(t *testing.T) {
	cfg := opConfig("https://user:pw@op.example/x?k=v")
	cfg.ClientSecret = "client-secret-value"
	for _, a := range []any{oauth.Browser{Config: cfg}, &oauth.Device{Config: cfg}} {
		s := fmt.Sprintf("%v %+v %#v %s", a, a, a, a)
		if strings.Contains(s, "client-secret-value") || strings.Contains(s, "pw@") || strings.Contains(s, "k=v") {
			t.Errorf("printed %s", s)
		}
	}
}

// deviceTest runs f in a synctest bubble with a provider served in memory:
// polling intervals and code lifetimes pass on the bubble's clock.
func deviceTest(t *testing.T, f func(t *testing.T, o *testop.OP, hc *http.Client, cfg *oauth2.Config)) {
	synctest.Test(t, func(t *testing.T) {
		o := testop.New(t, "https://op.test", 5*time.Second)
		f(t, o, &http.Client{Transport: testop.HandlerTransport{H: o.Handler}}, opConfig(o.Issuer))
	})
}

// deviceUser returns a Prompt that acts as the user on another device.
func deviceUser(t *testing.T, o *testop.OP, action string, shown *oauth.DeviceCode) func(context.Context, oauth.DeviceCode) error {
	return func(_ context.Context, d oauth.DeviceCode) error {
		*shown = d
		if action != "" {
			go testop.ApproveDevice(t, testop.Browser(testop.HandlerTransport{H: o.Handler}), d.VerificationURI, d.UserCode, action)
		}
		return nil
	}
}

func TestDeviceLoginAndRotation(t *testing.T) {
	deviceTest(t, func(t *testing.T, o *testop.OP, hc *http.Client, cfg *oauth2.Config) {
		var shown oauth.DeviceCode
		a := &oauth.Device{Config: cfg, Interactive: yes, Prompt: deviceUser(t, o, "allow", &shown)}
		start := time.Now()
		tok, err := a.Login(t.Context(), hc)
		if err != nil {
			t.Fatalf("Login: %v", err)
		}
		if waited := time.Since(start); waited != 5*time.Second {
			t.Errorf("token after %v, want one poll at the 5s interval", waited)
		}
		if shown.UserCode == "" || shown.VerificationURI != o.Issuer+"/device" ||
			!strings.Contains(shown.VerificationURIComplete, "user_code=") || !shown.Expiry.Equal(start.Add(5*time.Minute)) {
			t.Errorf("prompt got %+v", shown)
		}
		if tok.RefreshToken == "" || tok.IDToken == "" {
			t.Fatalf("token %v: want a refresh token and an ID token", tok)
		}
		if c, err := oauth.DecodeIDToken(tok, time.Now()); err != nil || c.Subject != "id2" {
			t.Errorf("DecodeIDToken = %+v, %v", c, err)
		}

		next, err := a.Refresh(t.Context(), hc, tok)
		if err != nil || next.RefreshToken == tok.RefreshToken || next.AccessToken == tok.AccessToken {
			t.Fatalf("Refresh = %v, %v; want rotated tokens", next, err)
		}
		var oe *httpsession.OAuth2Error
		if _, err := a.Refresh(t.Context(), hc, tok); !errors.As(err, &oe) || oe.Code != "invalid_grant" {
			t.Errorf("refresh with the rotated-out token: %v, want invalid_grant", err)
		}
	})
}

func TestDeviceSlowDown(t *testing.T) {
	deviceTest(t, func(t *testing.T, o *testop.OP, hc *http.Client, cfg *oauth2.Config) {
		o.Storage.SlowDowns.Store(2)
		var shown oauth.DeviceCode
		a := &oauth.Device{Config: cfg, Interactive: yes, Prompt: deviceUser(t, o, "allow", &shown)}
		start := time.Now()
		if _, err := a.Login(t.Context(), hc); err != nil {
			t.Fatalf("Login: %v", err)
		}
		// Polls at 5s (slow_down), +10s (slow_down), +15s (token).
		if waited := time.Since(start); waited != 30*time.Second {
			t.Errorf("token after %v, want 30s: the interval grows by 5s on each slow_down", waited)
		}
	})
}

func TestDeviceDenied(t *testing.T) {
	deviceTest(t, func(t *testing.T, o *testop.OP, hc *http.Client, cfg *oauth2.Config) {
		var shown oauth.DeviceCode
		a := &oauth.Device{Config: cfg, Interactive: yes, Prompt: deviceUser(t, o, "deny", &shown)}
		if tok, err := a.Login(t.Context(), hc); tok != nil || !errors.Is(err, oauth.ErrAccessDenied) {
			t.Errorf("Login = %v, %v; want ErrAccessDenied", tok, err)
		}
	})
}

func TestDeviceExpired(t *testing.T) {
	deviceTest(t, func(t *testing.T, o *testop.OP, hc *http.Client, cfg *oauth2.Config) {
		var shown oauth.DeviceCode
		a := &oauth.Device{Config: cfg, Interactive: yes, Prompt: deviceUser(t, o, "", &shown)}
		start := time.Now()
		tok, err := a.Login(t.Context(), hc)
		if tok != nil || !errors.Is(err, oauth.ErrDeviceCodeExpired) {
			t.Errorf("Login = %v, %v; want ErrDeviceCodeExpired", tok, err)
		}
		if waited := time.Since(start); waited != 5*time.Minute {
			t.Errorf("gave up after %v, want the code's 5m lifetime", waited)
		}
	})
}

func TestDeviceContext(t *testing.T) {
	deviceTest(t, func(t *testing.T, o *testop.OP, hc *http.Client, cfg *oauth2.Config) {
		ctx, cancel := context.WithTimeout(t.Context(), 12*time.Second)
		defer cancel()
		var shown oauth.DeviceCode
		a := &oauth.Device{Config: cfg, Interactive: yes, Prompt: deviceUser(t, o, "", &shown)}
		start := time.Now()
		if tok, err := a.Login(ctx, hc); tok != nil || !errors.Is(err, context.DeadlineExceeded) || errors.Is(err, oauth.ErrDeviceCodeExpired) {
			t.Errorf("Login = %v, %v; want the context's deadline", tok, err)
		}
		if waited := time.Since(start); waited != 12*time.Second {
			t.Errorf("gave up after %v, want 12s", waited)
		}
	})
}

// TestOAuth2BrowserForgedCallbackIgnored: a request to the callback URL
// with another state — any local process can send one before the browser
// comes back — is answered 400 and does not end the login; the real
// redirect that follows completes it.
func TestBrowserForgedCallbackIgnored(t *testing.T) {
	o := testop.Serve(t, 5*time.Second)
	forged := make(chan int, 2)
	pages := make(chan int, 1)
	open := func(_ context.Context, u string) error {
		q, err := url.Parse(u)
		if err != nil {
			t.Fatal(err)
		}
		go func() {
			for _, query := range []string{"state=forged&code=attacker-code", "error=access_denied"} {
				resp, err := http.Get(q.Query().Get("redirect_uri") + "?" + query)
				if err != nil {
					t.Error(err)
					forged <- 0
					continue
				}
				resp.Body.Close()
				forged <- resp.StatusCode
			}
			status, _, err := testop.Authorize(testop.Browser(nil), u, "allow", nil)
			if err != nil {
				t.Error(err)
			}
			pages <- status
		}()
		return nil
	}
	a := &oauth.Browser{Config: opConfig(o.Issuer), OpenURL: open, Interactive: yes}
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	tok, err := a.Login(ctx, nil)
	if err != nil || tok == nil || tok.AccessToken == "" {
		t.Fatalf("Login = %v, %v; want the token of the real redirect", tok, err)
	}
	for range 2 {
		if got := <-forged; got != http.StatusBadRequest {
			t.Errorf("forged callback answered %d, want 400", got)
		}
	}
	if got := <-pages; got != http.StatusOK {
		t.Errorf("the browser's redirect answered %d, want 200", got)
	}
}
