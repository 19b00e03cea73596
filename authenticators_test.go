package httpsession

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/httpsession/httpsession/internal/authtest"
)

var authNow = time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)

// viaSession returns a client that sends through hc's transport (nil: the
// default one) as a Client's session does, with a jar of its own.
func viaSession(hc *http.Client) *http.Client {
	base := http.DefaultTransport
	if hc != nil && hc.Transport != nil {
		base = hc.Transport
	}
	return &http.Client{Transport: &transport{base: base, jar: newJar(nil, time.Now)}}
}

const querySecret = authtest.QuerySecret

func TestJSONLogin(t *testing.T) {
	tests := []struct {
		name     string
		a        JSONLogin
		wantBody map[string]any
		answer   string
		want     *Token
	}{
		{
			name:     "defaults",
			a:        JSONLogin{Username: "alice", Password: testPassword},
			wantBody: map[string]any{"username": "alice", "password": testPassword},
			answer:   `{"access_token":"A","refresh_token":"R","expires_in":3600,"token_type":"bearer"}`,
			want:     &Token{AccessToken: "A", RefreshToken: "R", TokenType: "bearer", ExpiresIn: 3600},
		},
		{
			name:     "expires_in as a string, no refresh token",
			a:        JSONLogin{Username: "alice", Password: testPassword},
			wantBody: map[string]any{"username": "alice", "password": testPassword},
			answer:   `{"access_token":"A","expires_in":"60"}`,
			want:     &Token{AccessToken: "A", ExpiresIn: 60},
		},
		{
			name:     "implausible expires_in is unknown",
			a:        JSONLogin{Username: "alice", Password: testPassword},
			wantBody: map[string]any{"username": "alice", "password": testPassword},
			answer:   `{"access_token":"A","expires_in":-1}`,
			want:     &Token{AccessToken: "A"},
		},
		{
			name: "custom and nested fields",
			a: JSONLogin{
				Username: "alice", Password: testPassword,
				UsernameField: "email", PasswordField: "pass", Extra: map[string]any{"remember": true},
				AccessTokenField: "data.token", RefreshTokenField: "data.refresh", ExpiresInField: "data.ttl", TokenTypeField: "data.kind",
			},
			wantBody: map[string]any{"email": "alice", "pass": testPassword, "remember": true},
			answer:   `{"data":{"token":"A","refresh":"R","ttl":10,"kind":"Bearer"}}`,
			want:     &Token{AccessToken: "A", RefreshToken: "R", TokenType: "Bearer", ExpiresIn: 10},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var gotBody map[string]any
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.Method != http.MethodPost || r.Header.Get("Content-Type") != "application/json" || r.Header.Get("X-Api-Key") != "k" {
					http.Error(w, "bad request", http.StatusBadRequest)
					return
				}
				_ = json.NewDecoder(r.Body).Decode(&gotBody)
				io.WriteString(w, tt.answer)
			}))
			defer srv.Close()
			a := tt.a
			a.LoginURL = srv.URL + "/login"
			a.Header = http.Header{"X-Api-Key": {"k"}}
			got, err := a.Login(context.Background(), viaSession(srv.Client()))
			if err != nil {
				t.Fatalf("Login() error = %v", err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Login() mismatch (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.wantBody, gotBody); diff != "" {
				t.Errorf("login body mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestJSONLoginRefresh(t *testing.T) {
	var gotBody map[string]string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/refresh" {
			http.NotFound(w, r)
			return
		}
		_ = json.NewDecoder(r.Body).Decode(&gotBody)
		io.WriteString(w, `{"data":{"token":"A2","refresh":"R2"}}`)
	}))
	defer srv.Close()
	a := &JSONLogin{RefreshURL: srv.URL + "/refresh", AccessTokenField: "data.token", RefreshTokenField: "data.refresh"}
	got, err := a.Refresh(context.Background(), viaSession(srv.Client()), &Token{AccessToken: "A", RefreshToken: "R"})
	if err != nil {
		t.Fatalf("Refresh() error = %v", err)
	}
	if diff := cmp.Diff(&Token{AccessToken: "A2", RefreshToken: "R2"}, got); diff != "" {
		t.Errorf("Refresh() mismatch (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(map[string]string{"refresh": "R"}, gotBody); diff != "" {
		t.Errorf("refresh body mismatch (-want +got):\n%s", diff)
	}

	a.RefreshURL = ""
	if _, err := a.Refresh(context.Background(), viaSession(srv.Client()), &Token{RefreshToken: "R"}); !errors.Is(err, ErrNoRefresh) {
		t.Errorf("Refresh() without RefreshURL error = %v, want ErrNoRefresh", err)
	}
}

// badAnswers are login endpoint answers that must give an *AuthError
// matching ErrAuthResponse (package authtest, shared with package oauth).
var badAnswers = authtest.BadAnswers

func checkAuthError(t *testing.T, err error, wantStatus int, wantReason string) {
	t.Helper()
	authtest.CheckAuthError(t, err, ErrAuthResponse, wantStatus, wantReason,
		func(ae *AuthError) (int, string) { return ae.Status, ae.Endpoint })
}

func TestJSONLoginBadAnswers(t *testing.T) {
	for _, tt := range badAnswers {
		t.Run(tt.Name, func(t *testing.T) {
			srv := httptest.NewServer(tt.Handler)
			defer srv.Close()
			a := &JSONLogin{LoginURL: srv.URL + "/login?key=" + querySecret, Username: "alice", Password: testPassword}
			tok, err := a.Login(context.Background(), viaSession(srv.Client()))
			if tok != nil {
				t.Errorf("Login() token = %v, want nil", tok)
			}
			checkAuthError(t, err, tt.WantStatus, tt.WantReason)
		})
	}
}

func TestAuthNoRedirectWithCredentials(t *testing.T) {
	authtest.CheckNoRedirect(t, func(endpoint string) error {
		a := &JSONLogin{LoginURL: endpoint, Username: "alice", Password: testPassword}
		_, err := a.Login(context.Background(), viaSession(http.DefaultClient))
		return err
	}, func(t *testing.T, err error, status int) { checkAuthError(t, err, status, "unexpected status") })
}

func TestAuthNetworkError(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	addr := srv.URL
	srv.Close()
	a := &JSONLogin{LoginURL: addr + "/login?key=" + querySecret, Username: "alice", Password: testPassword}
	_, err := a.Login(context.Background(), nil)
	var ae *AuthError
	if !errors.As(err, &ae) || ae.Status != 0 || ae.Err == nil {
		t.Fatalf("Login() error = %v, want *AuthError without status, with a cause", err)
	}
	if errors.Is(err, ErrAuthResponse) {
		t.Errorf("errors.Is(%v, ErrAuthResponse) = true, want false: nothing was answered", err)
	}
	if strings.Contains(err.Error(), querySecret) {
		t.Errorf("error = %q, contains the URL's query", err)
	}

	for _, bad := range []string{"", "ftp://example.com/login", "/relative", "http://"} {
		a := &JSONLogin{LoginURL: bad}
		if _, err := a.Login(context.Background(), nil); !errors.As(err, &ae) {
			t.Errorf("Login() with LoginURL %q error = %v, want *AuthError", bad, err)
		}
	}
}

// formSite is a site with a cookie session and a CSRF-protected login form.
func formSite(t *testing.T) (*httptest.Server, *atomic.Int32) {
	var homeHits atomic.Int32
	mux := http.NewServeMux()
	page := `<!doctype html><html><body><form method="post" action="https://elsewhere.example/steal">
<input type="text" name="user">
<input name='csrf_token' type=hidden value="tok&amp;42">
</form></body></html>`
	mux.HandleFunc("GET /login", func(w http.ResponseWriter, r *http.Request) {
		http.SetCookie(w, &http.Cookie{Name: "csrf", Value: "tok42", Path: "/"})
		io.WriteString(w, page)
	})
	mux.HandleFunc("POST /login", func(w http.ResponseWriter, r *http.Request) {
		c, err := r.Cookie("csrf")
		if err != nil || c.Value != "tok42" || r.PostFormValue("csrf_token") != "tok&42" {
			http.Error(w, "csrf check failed", http.StatusForbidden)
			return
		}
		if r.PostFormValue("user") != "alice" || r.PostFormValue("pass") != testPassword {
			io.WriteString(w, page) // the form again, as real sites do
			return
		}
		http.SetCookie(w, &http.Cookie{Name: "session", Value: "s3cr3t-session", Path: "/"})
		http.Redirect(w, r, "/home", http.StatusFound)
	})
	mux.HandleFunc("/home", func(w http.ResponseWriter, r *http.Request) { homeHits.Add(1) })
	mux.HandleFunc("GET /broken", func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "down", http.StatusServiceUnavailable)
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv, &homeHits
}

func TestFormLogin(t *testing.T) {
	srv, homeHits := formSite(t)
	good := url.Values{"user": {"alice"}, "pass": {testPassword}}
	bad := url.Values{"user": {"alice"}, "pass": {"wrong"}}
	tests := []struct {
		name       string
		a          FormLogin
		wantReason string // "" for success
	}{
		{"cookie check", FormLogin{Fields: good, CSRFField: "csrf_token", SuccessCookie: "session"}, ""},
		{"redirect check", FormLogin{Fields: good, CSRFField: "csrf_token", SuccessRedirect: "/home"}, ""},
		{"absolute redirect check", FormLogin{Fields: good, CSRFField: "csrf_token", SuccessRedirect: srv.URL + "/home"}, ""},
		{"status check", FormLogin{Fields: good, CSRFField: "csrf_token", SuccessStatus: http.StatusFound}, ""},
		{"wrong password, cookie check", FormLogin{Fields: bad, CSRFField: "csrf_token", SuccessCookie: "session"}, "not accepted"},
		{"wrong password, redirect check", FormLogin{Fields: bad, CSRFField: "csrf_token", SuccessRedirect: "/home"}, "not accepted"},
		{"redirected elsewhere", FormLogin{Fields: good, CSRFField: "csrf_token", SuccessRedirect: "/welcome"}, "elsewhere"},
		{"no csrf field sent", FormLogin{Fields: good, SuccessCookie: "session"}, "CSRF token refused"},
		{"csrf field missing on the page", FormLogin{Fields: good, CSRFField: "xsrf", SuccessCookie: "session"}, `no input "xsrf"`},
		{"login page down", FormLogin{LoginURL: srv.URL + "/broken", PostURL: srv.URL + "/login", Fields: good}, "login page"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			jar, _ := cookiejar.New(nil)
			hc := &http.Client{Jar: jar}
			a := tt.a
			if a.LoginURL == "" {
				a.LoginURL = srv.URL + "/login"
			}
			tok, err := a.Login(context.Background(), hc)
			if tt.wantReason == "" {
				if err != nil {
					t.Fatalf("Login() error = %v", err)
				}
				if diff := cmp.Diff(&Token{}, tok); diff != "" {
					t.Errorf("Login() token mismatch (-want +got):\n%s", diff)
				}
				u, _ := url.Parse(srv.URL)
				if cs := jar.Cookies(u); !hasCookieNamed(cs, "session") {
					t.Errorf("jar cookies = %v, want the session cookie", cs)
				}
				return
			}
			var ae *AuthError
			var fe *FormLoginError
			if !errors.As(err, &ae) && !errors.As(err, &fe) || !errors.Is(err, ErrAuthResponse) || !strings.Contains(err.Error(), tt.wantReason) {
				t.Fatalf("Login() error = %v, want *AuthError or *FormLoginError with %q", err, tt.wantReason)
			}
			authtest.NoSecret(t, "error", err.Error())
		})
	}
	if n := homeHits.Load(); n != 0 {
		t.Errorf("redirect after the POST followed %d times, want 0", n)
	}
	if _, err := (&FormLogin{}).Refresh(context.Background(), nil, &Token{}); !errors.Is(err, ErrNoRefresh) {
		t.Errorf("FormLogin.Refresh() error = %v, want ErrNoRefresh", err)
	}
}

func hasCookieNamed(cs []*http.Cookie, name string) bool {
	for _, c := range cs {
		if c.Name == name {
			return true
		}
	}
	return false
}

func TestFormLoginWithManager(t *testing.T) {
	srv, _ := formSite(t)
	jar, _ := cookiejar.New(nil)
	hc := &http.Client{Jar: jar}
	a := &FormLogin{
		LoginURL:      srv.URL + "/login",
		Fields:        url.Values{"user": {"alice"}, "pass": {testPassword}},
		CSRFField:     "csrf_token",
		SuccessCookie: "session",
	}
	m := newTokenManager(a, hc, nil, time.Now)
	sent, header, err := m.authorization(context.Background())
	if err != nil {
		t.Fatalf("authorization() error = %v", err)
	}
	if sent == nil || header != nil {
		t.Errorf("authorization() = %v, %q, want a cookie-only token and no header", sent, header)
	}
}

func TestAuthFuncs(t *testing.T) {
	var refreshed bool
	a := AuthFuncs{
		LoginFunc: func(context.Context, *http.Client) (*Token, error) { return &Token{AccessToken: "A"}, nil },
	}
	if _, err := a.Refresh(context.Background(), nil, &Token{}); !errors.Is(err, ErrNoRefresh) {
		t.Errorf("Refresh() error = %v, want ErrNoRefresh", err)
	}
	a.RefreshFunc = func(context.Context, *http.Client, *Token) (*Token, error) {
		refreshed = true
		return &Token{AccessToken: "B"}, nil
	}
	if tok, err := a.Refresh(context.Background(), nil, &Token{}); err != nil || tok.AccessToken != "B" || !refreshed {
		t.Errorf("Refresh() = %v, %v, want the RefreshFunc's token", tok, err)
	}
	if tok, err := a.Login(context.Background(), nil); err != nil || tok.AccessToken != "A" {
		t.Errorf("Login() = %v, %v, want the LoginFunc's token", tok, err)
	}
}

func TestAuthenticatorsRedacted(t *testing.T) {
	j := JSONLogin{LoginURL: "https://example.com/login", Username: "alice", Password: testPassword}
	f := FormLogin{LoginURL: "https://example.com/login", Fields: url.Values{"user": {"alice"}, "pass": {testPassword}}}
	type config struct {
		Auth Authenticator
	}
	for _, v := range []any{j, &j, f, &f, config{&j}, config{&f}} {
		for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q"} {
			authtest.NoSecret(t, fmt.Sprintf("Sprintf(%q, %T)", verb, v), fmt.Sprintf(verb, v))
		}
	}
	var buf bytes.Buffer
	for _, h := range []slog.Handler{slog.NewTextHandler(&buf, nil), slog.NewJSONHandler(&buf, nil)} {
		slog.New(h).Info("auth", "json", &j, "form", &f)
	}
	authtest.NoSecret(t, "log", buf.String())
	if !strings.Contains(buf.String(), "alice") {
		t.Errorf("log = %q, want the user name", buf.String())
	}
}
