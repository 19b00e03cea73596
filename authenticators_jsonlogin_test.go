package httpsession

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/httpsession/httpsession/internal/authtest"
)

// jwtServer is an API in the manner of flask-jwt-extended: /login answers
// an access and a refresh token, /refresh takes the refresh token the way
// style says and answers a new access token only, /api wants the access
// token.
type jwtServer struct {
	style RefreshStyle

	mu        sync.Mutex
	access    string
	refreshes int
	logins    int
}

const jwtRefreshToken = "refresh-s3cr3t"

func (s *jwtServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch r.URL.Path {
	case "/login":
		var body map[string]string
		json.NewDecoder(r.Body).Decode(&body)
		if body["password"] != testPassword {
			http.Error(w, `{"msg":"Bad username or password"}`, http.StatusUnauthorized)
			return
		}
		s.logins++
		s.access = "access-1"
		if s.style == RefreshInCookie {
			http.SetCookie(w, &http.Cookie{Name: "refresh_token_cookie", Value: jwtRefreshToken, Path: "/refresh", HttpOnly: true})
			io.WriteString(w, `{"access_token":"access-1","expires_in":60}`)
			return
		}
		io.WriteString(w, `{"access_token":"access-1","refresh_token":"`+jwtRefreshToken+`","expires_in":60}`)
	case "/refresh":
		b, _ := io.ReadAll(r.Body)
		var got string
		switch s.style {
		case RefreshInBearer:
			got = strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
		case RefreshInCookie:
			if c, err := r.Cookie("refresh_token_cookie"); err == nil {
				got = c.Value
			}
			if n := strings.Count(r.Header.Get("Cookie"), "refresh_token_cookie="); n != 1 {
				got = "" // sent twice: the jar's and ours
			}
		default:
			var body map[string]string
			json.Unmarshal(b, &body)
			got = body["refresh_token"]
		}
		if got != jwtRefreshToken {
			http.Error(w, `{"msg":"Missing Authorization Header"}`, http.StatusUnauthorized)
			return
		}
		s.refreshes++
		s.access = "access-" + string(rune('1'+s.refreshes))
		io.WriteString(w, `{"access_token":"`+s.access+`","expires_in":60}`)
	case "/api":
		if r.Header.Get("Authorization") != "Bearer "+s.access {
			http.Error(w, `{"msg":"Token has expired"}`, http.StatusUnauthorized)
			return
		}
		io.WriteString(w, `{"ok":true}`)
	}
}

// TestJSONLoginRefreshStyles runs a Client against each style's server
// past the access token's expiry: the token is refreshed (not a second
// login), the refresh token going where the server looks for it.
func TestJSONLoginRefreshStyles(t *testing.T) {
	for _, style := range []RefreshStyle{RefreshInBody, RefreshInBearer, RefreshInCookie} {
		t.Run(style.String(), func(t *testing.T) {
			s := &jwtServer{style: style}
			srv := httptest.NewServer(s)
			defer srv.Close()
			var now atomic.Int64
			now.Store(authNow.UnixNano())
			c, err := New(Options{
				Auth: &JSONLogin{LoginURL: srv.URL + "/login", RefreshURL: srv.URL + "/refresh", Username: "alice",
					Password: testPassword, RefreshStyle: style, RefreshCookie: "refresh_token_cookie"},
				AuthOrigins: []string{srv.URL},
				Now:         func() time.Time { return time.Unix(0, now.Load()) },
			})
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			for i := range 2 {
				resp, err := c.Get(context.Background(), srv.URL+"/api")
				if err != nil {
					t.Fatal(err)
				}
				resp.Body.Close()
				if resp.StatusCode != 200 {
					t.Fatalf("GET /api #%d: status %d, want 200", i+1, resp.StatusCode)
				}
				now.Add(int64(2 * time.Minute)) // past the expiry
			}
			s.mu.Lock()
			defer s.mu.Unlock()
			if s.logins != 1 || s.refreshes != 1 {
				t.Errorf("logins, refreshes = %d, %d; want 1, 1", s.logins, s.refreshes)
			}
		})
	}
}

// TestJSONLoginRejections checks the errors a user reads: a wrong password
// says so, a rejected refresh says so with the status, and an empty
// password is refused before anything is sent.
func TestJSONLoginRejections(t *testing.T) {
	var requests atomic.Int32
	s := &jwtServer{style: RefreshInBearer}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		s.ServeHTTP(w, r)
	}))
	defer srv.Close()
	hc := viaSession(srv.Client())
	ctx := context.Background()

	a := &JSONLogin{LoginURL: srv.URL + "/login", RefreshURL: srv.URL + "/refresh", Username: "alice", Password: "wrong-password"}
	_, err := a.Login(ctx, hc)
	checkAuthError(t, err, 401, "login rejected (401 Unauthorized): check the user name and password")
	if strings.Contains(err.Error(), "wrong-password") {
		t.Errorf("error shows the password: %v", err)
	}

	// RefreshInBody against a server that reads the bearer header.
	_, err = a.Refresh(ctx, hc, &Token{AccessToken: "a", RefreshToken: jwtRefreshToken})
	checkAuthError(t, err, 401, "refresh rejected (401 Unauthorized)")
	var ae *AuthError
	if errors.As(err, &ae) && (ae.Reason != "refresh rejected" || !strings.Contains(ae.Hint, "log in again")) {
		t.Errorf("refresh error reason %q, hint %q; want refresh rejected and how to go on", ae.Reason, ae.Hint)
	}
	authtest.NoSecret(t, "refresh error", err.Error())

	before := requests.Load()
	a.Password = ""
	_, err = a.Login(ctx, hc)
	if !errors.As(err, &ae) || !strings.Contains(err.Error(), "empty password") {
		t.Errorf("Login with an empty password: %v, want an *AuthError saying so", err)
	}
	if n := requests.Load() - before; n != 0 {
		t.Errorf("Login with an empty password sent %d requests, want 0", n)
	}
}
