// Package tokenserver is an OAuth 2.0 token endpoint and a small API on
// loopback that behave like the servers that make shared credentials hard:
// refresh tokens are single use (RFC 6819 §5.2.2.3 rotation), and a refresh
// token presented a second time revokes its whole family, logging out
// every holder (as Auth0, Okta, Ory Hydra and Keycloak with rotation do).
// It counts logins, refreshes and reuses, so that tests can assert that a
// fleet of workers logged in once and refreshed once per expiry.
package tokenserver

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// The credentials of the password grant.
const (
	ClientID = "fleet"
	Username = "alice"
	Password = "wonderland"
)

// Options configures a Server. The zero value issues access tokens that
// live an hour and never answers 429.
type Options struct {
	// TokenLife is how long an access token is accepted. Zero means an
	// hour.
	TokenLife time.Duration
	// Every429, when positive, answers every n-th API request with
	// 429 Too Many Requests and Retry-After: 0 (10 is a tenth of them).
	Every429 int
}

// Counts are what the server saw.
type Counts struct {
	Logins    int64 // password grants answered with a token
	Refreshes int64 // refresh grants answered with a token
	Reuses    int64 // refresh tokens presented again after use (each revoked a family)
	Rejected  int64 // refresh grants refused: reused, unknown or revoked tokens
	Requests  int64 // API requests
	Accepted  int64 // API requests answered 200
	Denied    int64 // API requests answered 401
	TooMany   int64 // API requests answered 429
}

// A Server is a running token endpoint and API. Its URL is the API's
// origin; TokenURL the token endpoint.
type Server struct {
	URL      string
	TokenURL string

	srv  *httptest.Server
	opts Options

	mu       sync.Mutex
	refresh  map[string]*refreshToken // by refresh token
	access   map[string]accessToken   // by access token
	families map[string]bool          // family id → revoked

	logins, refreshes, reuses, rejected      atomic.Int64
	requests, accepted, denied, tooMany, seq atomic.Int64
}

type refreshToken struct {
	family string
	used   bool
}

type accessToken struct {
	family  string
	expires time.Time
}

// Start starts a server on loopback; Close stops it.
func Start(o Options) *Server {
	if o.TokenLife <= 0 {
		o.TokenLife = time.Hour
	}
	s := &Server{
		opts:     o,
		refresh:  make(map[string]*refreshToken),
		access:   make(map[string]accessToken),
		families: make(map[string]bool),
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /token", s.token)
	mux.HandleFunc("/api/", s.api)
	s.srv = httptest.NewServer(mux)
	s.URL = s.srv.URL
	s.TokenURL = s.srv.URL + "/token"
	return s
}

// Close stops the server.
func (s *Server) Close() { s.srv.Close() }

// Counts returns what the server saw so far.
func (s *Server) Counts() Counts {
	return Counts{
		Logins:    s.logins.Load(),
		Refreshes: s.refreshes.Load(),
		Reuses:    s.reuses.Load(),
		Rejected:  s.rejected.Load(),
		Requests:  s.requests.Load(),
		Accepted:  s.accepted.Load(),
		Denied:    s.denied.Load(),
		TooMany:   s.tooMany.Load(),
	}
}

func random() string {
	var b [16]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

func oauthError(w http.ResponseWriter, status int, code string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	fmt.Fprintf(w, `{"error":%q}`, code)
}

// token is the token endpoint (RFC 6749 §4.3 and §6).
func (s *Server) token(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		oauthError(w, http.StatusBadRequest, "invalid_request")
		return
	}
	var family string
	switch r.PostForm.Get("grant_type") {
	case "password":
		if r.PostForm.Get("username") != Username || r.PostForm.Get("password") != Password {
			oauthError(w, http.StatusBadRequest, "invalid_grant")
			return
		}
		family = random()
		s.mu.Lock()
		s.families[family] = false
		s.mu.Unlock()
		s.logins.Add(1)
	case "refresh_token":
		var ok bool
		if family, ok = s.rotate(r.PostForm.Get("refresh_token")); !ok {
			s.rejected.Add(1)
			oauthError(w, http.StatusBadRequest, "invalid_grant")
			return
		}
		s.refreshes.Add(1)
	default:
		oauthError(w, http.StatusBadRequest, "unsupported_grant_type")
		return
	}
	at, rt := random(), random()
	s.mu.Lock()
	s.access[at] = accessToken{family: family, expires: time.Now().Add(s.opts.TokenLife)}
	s.refresh[rt] = &refreshToken{family: family}
	s.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	json.NewEncoder(w).Encode(map[string]any{
		"access_token":  at,
		"token_type":    "Bearer",
		"refresh_token": rt,
		"expires_in":    s.opts.TokenLife.Seconds(),
	})
}

// rotate uses up refresh token rt and returns its family. A token used
// before revokes its family: whoever holds a token of it is logged out.
func (s *Server) rotate(rt string) (family string, ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.refresh[rt]
	switch {
	case t == nil:
		return "", false
	case t.used:
		s.reuses.Add(1)
		s.families[t.family] = true
		return "", false
	case s.families[t.family]:
		return "", false
	}
	t.used = true
	return t.family, true
}

// api answers requests under /api/ that carry a live access token of a
// family that was not revoked. ?set=NAME sets the cookie NAME to a new
// value; every n-th request (Options.Every429) gets 429 instead.
func (s *Server) api(w http.ResponseWriter, r *http.Request) {
	n := s.requests.Add(1)
	if k := s.opts.Every429; k > 0 && s.seq.Add(1)%int64(k) == 0 {
		s.tooMany.Add(1)
		w.Header().Set("Retry-After", "0")
		http.Error(w, "slow down", http.StatusTooManyRequests)
		return
	}
	at, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	s.mu.Lock()
	t, known := s.access[at]
	live := ok && known && time.Now().Before(t.expires) && !s.families[t.family]
	s.mu.Unlock()
	if !live {
		s.denied.Add(1)
		w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token"`)
		http.Error(w, "unauthorized", http.StatusUnauthorized)
		return
	}
	if name := r.URL.Query().Get("set"); name != "" {
		http.SetCookie(w, &http.Cookie{Name: name, Value: fmt.Sprint(n), Path: "/", MaxAge: 3600})
	}
	s.accepted.Add(1)
	fmt.Fprintln(w, "ok")
}
