// Package demoserver is a small loopback API that behaves like the sites
// httpsession is built for: a JSON login with expiring, rotating bearer
// tokens, a cookie-session web page with a CSRF-protected login form,
// token revocation, and rate limiting with Retry-After.
//
// It backs the "httpsession demo" command and the end-to-end tests.
package demoserver

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"html"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Options configures a Server. The zero value is usable.
type Options struct {
	// Users maps user names to passwords. Nil means {"demo": "demo-password"}.
	Users map[string]string
	// TokenTTL is the lifetime of an access token. Zero means 1 minute.
	TokenTTL time.Duration
	// Now is the server's clock. Nil means time.Now.
	Now func() time.Time
	// ThrottleEvery makes every n-th request to /api/ endpoints answer 429
	// with Retry-After: ThrottleWait. Zero disables it.
	ThrottleEvery int
	// ThrottleWait is the Retry-After of throttled answers, in whole seconds.
	// Zero means 1 second.
	ThrottleWait time.Duration
	// Key signs the tokens. Tokens are HS256 JWTs, so a server started
	// again with the same key accepts the tokens of the last one: that is
	// what lets the demo resume a saved session. Nil means a fixed demo key.
	Key []byte
}

// demoKey is the signing key of the demo. It protects nothing: the demo
// server only ever listens on loopback.
var demoKey = []byte("httpsession demo signing key")

// Stats counts what the server saw.
type Stats struct {
	Logins, Refreshes, FormLogins int
	Unauthorized, Throttled       int
	APIRequests                   int
}

// Server is the demo API. Its Handler is safe for concurrent use.
type Server struct {
	opts Options

	mu sync.Mutex
	// stamp orders issues and revocations: each takes one above the last
	// and at least the clock's time in nanoseconds, so the order holds on
	// a clock that stands still and across servers (the demo starts one
	// per run, the tokens of earlier runs in its session file).
	stamp    int64
	revoked  int64             // access tokens stamped at or before it are refused (RevokeAll)
	used     map[string]bool   // refresh token IDs already exchanged (they rotate)
	sessions map[string]string // session cookie → user
	csrf     map[string]bool
	stats    Stats
}

// New returns a Server.
func New(o Options) *Server {
	if o.Users == nil {
		o.Users = map[string]string{"demo": "demo-password"}
	}
	if o.TokenTTL == 0 {
		o.TokenTTL = time.Minute
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Key == nil {
		o.Key = demoKey
	}
	if o.ThrottleWait == 0 {
		o.ThrottleWait = time.Second
	}
	return &Server{
		opts:     o,
		used:     make(map[string]bool),
		sessions: make(map[string]string),
		csrf:     make(map[string]bool),
	}
}

// Sub returns the counts of s since earlier.
func (s Stats) Sub(earlier Stats) Stats {
	return Stats{
		Logins: s.Logins - earlier.Logins, Refreshes: s.Refreshes - earlier.Refreshes,
		FormLogins: s.FormLogins - earlier.FormLogins, Unauthorized: s.Unauthorized - earlier.Unauthorized,
		Throttled: s.Throttled - earlier.Throttled, APIRequests: s.APIRequests - earlier.APIRequests,
	}
}

// Stats returns a copy of the counters.
func (s *Server) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stats
}

// next returns a new stamp. Called with s.mu held.
func (s *Server) next() int64 {
	s.stamp = max(s.stamp+1, s.opts.Now().UnixNano())
	return s.stamp
}

// RevokeAll invalidates every access token issued so far, by this server
// or an earlier one on the same clock; refresh tokens stay valid.
func (s *Server) RevokeAll() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.revoked = s.next()
}

// Handler returns the server's routes:
//
//	POST /auth/login     {"username","password"} → token JSON
//	POST /auth/refresh   {"refresh_token"} → token JSON (the refresh token rotates)
//	POST /oauth/token    RFC 6749 token endpoint: password, client_credentials
//	                     and refresh_token grants; client "demo-client" with
//	                     secret "demo-secret" by basic auth or in the body
//	POST /auth/revoke    revokes every access token (bearer required)
//	GET  /api/me         bearer required; {"user":…}
//	GET  /api/limited    429 with Retry-After and a cookie until the cookie is sent back
//	GET  /login          HTML form with a CSRF field and cookie
//	POST /login          form login; sets the "sid" session cookie, 303 to /account
//	GET  /account        requires the "sid" cookie
//	GET  /page           counts visits in a persistent "visits" cookie
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /auth/login", s.login)
	mux.HandleFunc("POST /auth/refresh", s.refreshToken)
	mux.HandleFunc("POST /oauth/token", s.oauthToken)
	mux.HandleFunc("POST /auth/revoke", s.bearer(func(w http.ResponseWriter, r *http.Request) {
		s.RevokeAll()
		writeJSON(w, http.StatusOK, map[string]string{"status": "revoked"})
	}))
	mux.HandleFunc("GET /api/me", s.bearer(func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"user": "demo"})
	}))
	mux.HandleFunc("GET /api/limited", s.limitedOnce)
	mux.HandleFunc("GET /login", s.loginPage)
	mux.HandleFunc("POST /login", s.formLogin)
	mux.HandleFunc("GET /account", s.account)
	mux.HandleFunc("GET /page", s.page)
	return s.throttle(mux)
}

func (s *Server) throttle(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if len(r.URL.Path) >= 5 && r.URL.Path[:5] == "/api/" {
			s.mu.Lock()
			s.stats.APIRequests++
			n := s.stats.APIRequests
			throttled := s.opts.ThrottleEvery > 0 && n%s.opts.ThrottleEvery == 0
			if throttled {
				s.stats.Throttled++
			}
			s.mu.Unlock()
			if throttled {
				s.tooMany(w)
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

func (s *Server) tooMany(w http.ResponseWriter) {
	w.Header().Set("Retry-After", strconv.Itoa(int(s.opts.ThrottleWait/time.Second)))
	http.SetCookie(w, &http.Cookie{Name: "challenge", Value: "passed", Path: "/"})
	writeJSON(w, http.StatusTooManyRequests, map[string]string{"error": "slow down"})
}

type tokenResponse struct {
	AccessToken  string `json:"access_token"`
	RefreshToken string `json:"refresh_token"`
	TokenType    string `json:"token_type"`
	ExpiresIn    int64  `json:"expires_in"`
}

// refreshTTL is the lifetime of a refresh token.
const refreshTTL = 30 * 24 * time.Hour

// issue mints an access and a refresh token for user. Called with s.mu held.
func (s *Server) issue(user string) tokenResponse {
	now := s.opts.Now()
	at := s.sign(claims{Sub: user, Kind: "access", ID: random(), Stamp: s.next(), Exp: now.Add(s.opts.TokenTTL).Unix()})
	rt := s.sign(claims{Sub: user, Kind: "refresh", ID: random(), Exp: now.Add(refreshTTL).Unix()})
	secs := int64(s.opts.TokenTTL / time.Second)
	if secs < 1 {
		secs = 1
	}
	return tokenResponse{AccessToken: at, RefreshToken: rt, TokenType: "Bearer", ExpiresIn: secs}
}

type claims struct {
	Sub  string `json:"sub"`
	Kind string `json:"kind"`
	ID   string `json:"jti"`
	// Stamp orders the token's issue against RevokeAll (see Server.stamp):
	// the clock can't order a revocation and a token issued at the same
	// instant, as happens on a test's fake clock.
	Stamp int64 `json:"stamp"`
	Exp   int64 `json:"exp"`
}

var jwtHeader = base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"HS256","typ":"JWT"}`))

func (s *Server) sign(c claims) string {
	body, _ := json.Marshal(c)
	msg := jwtHeader + "." + base64.RawURLEncoding.EncodeToString(body)
	mac := hmac.New(sha256.New, s.opts.Key)
	mac.Write([]byte(msg))
	return msg + "." + base64.RawURLEncoding.EncodeToString(mac.Sum(nil))
}

// verify checks a token's signature, kind and expiry. Called with s.mu held.
func (s *Server) verify(tok, kind string) (claims, bool) {
	var c claims
	i := strings.LastIndexByte(tok, '.')
	if i < 0 {
		return c, false
	}
	mac := hmac.New(sha256.New, s.opts.Key)
	mac.Write([]byte(tok[:i]))
	sig, err := base64.RawURLEncoding.DecodeString(tok[i+1:])
	if err != nil || !hmac.Equal(sig, mac.Sum(nil)) {
		return c, false
	}
	parts := strings.Split(tok[:i], ".")
	if len(parts) != 2 {
		return c, false
	}
	body, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil || json.Unmarshal(body, &c) != nil {
		return c, false
	}
	now := s.opts.Now()
	if c.Kind != kind || !now.Before(time.Unix(c.Exp, 0)) {
		return c, false
	}
	if kind == "access" && c.Stamp <= s.revoked {
		return c, false
	}
	return c, true
}

func (s *Server) login(w http.ResponseWriter, r *http.Request) {
	var in struct{ Username, Password string }
	if err := json.NewDecoder(io.LimitReader(r.Body, 1<<16)).Decode(&in); err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "bad json"})
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if pw, ok := s.opts.Users[in.Username]; !ok || pw != in.Password {
		writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "bad credentials"})
		return
	}
	s.stats.Logins++
	writeJSON(w, http.StatusOK, s.issue(in.Username))
}

func (s *Server) refreshToken(w http.ResponseWriter, r *http.Request) {
	var in struct {
		RefreshToken string `json:"refresh_token"`
	}
	if err := json.NewDecoder(io.LimitReader(r.Body, 1<<16)).Decode(&in); err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "bad json"})
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	tr, ok := s.rotate(in.RefreshToken)
	if !ok {
		writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "invalid refresh token"})
		return
	}
	writeJSON(w, http.StatusOK, tr)
}

// rotate exchanges a refresh token for new tokens. Refresh tokens rotate:
// each one works once. Called with s.mu held.
func (s *Server) rotate(refresh string) (tokenResponse, bool) {
	c, ok := s.verify(refresh, "refresh")
	if !ok || s.used[c.ID] {
		return tokenResponse{}, false
	}
	s.used[c.ID] = true
	s.stats.Refreshes++
	return s.issue(c.Sub), true
}

// Demo OAuth2 client credentials.
const (
	ClientID     = "demo-client"
	ClientSecret = "demo-secret"
)

// oauthToken is a small RFC 6749 token endpoint.
func (s *Server) oauthToken(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 1<<16)
	if err := r.ParseForm(); err != nil {
		oauthError(w, http.StatusBadRequest, "invalid_request")
		return
	}
	id, secret, ok := r.BasicAuth()
	if !ok {
		id, secret = r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
	}
	if id != ClientID || secret != ClientSecret {
		oauthError(w, http.StatusUnauthorized, "invalid_client")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	switch r.PostForm.Get("grant_type") {
	case "client_credentials":
		s.stats.Logins++
		writeJSON(w, http.StatusOK, s.issue(id))
	case "password":
		user := r.PostForm.Get("username")
		if pw, ok := s.opts.Users[user]; !ok || pw != r.PostForm.Get("password") {
			oauthError(w, http.StatusBadRequest, "invalid_grant")
			return
		}
		s.stats.Logins++
		writeJSON(w, http.StatusOK, s.issue(user))
	case "refresh_token":
		tr, ok := s.rotate(r.PostForm.Get("refresh_token"))
		if !ok {
			oauthError(w, http.StatusBadRequest, "invalid_grant")
			return
		}
		writeJSON(w, http.StatusOK, tr)
	default:
		oauthError(w, http.StatusBadRequest, "unsupported_grant_type")
	}
}

func oauthError(w http.ResponseWriter, status int, code string) {
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, status, map[string]string{"error": code})
}

func (s *Server) bearer(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		const prefix = "Bearer "
		a := r.Header.Get("Authorization")
		ok := false
		if len(a) > len(prefix) && a[:len(prefix)] == prefix {
			s.mu.Lock()
			_, ok = s.verify(a[len(prefix):], "access")
			if !ok {
				s.stats.Unauthorized++
			}
			s.mu.Unlock()
		} else {
			s.mu.Lock()
			s.stats.Unauthorized++
			s.mu.Unlock()
		}
		if !ok {
			w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token"`)
			writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "invalid_token"})
			return
		}
		h(w, r)
	}
}

// limitedOnce answers 429 with Retry-After and a "challenge" cookie to a
// client that does not carry the cookie yet, the way anti-bot front ends do.
func (s *Server) limitedOnce(w http.ResponseWriter, r *http.Request) {
	if c, err := r.Cookie("challenge"); err == nil && c.Value == "passed" {
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
		return
	}
	s.mu.Lock()
	s.stats.Throttled++
	s.mu.Unlock()
	s.tooMany(w)
}

func (s *Server) loginPage(w http.ResponseWriter, r *http.Request) {
	tok := random()
	s.mu.Lock()
	s.csrf[tok] = true
	s.mu.Unlock()
	http.SetCookie(w, &http.Cookie{Name: "csrf", Value: tok, Path: "/", HttpOnly: true, SameSite: http.SameSiteStrictMode})
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	fmt.Fprintf(w, `<!doctype html><title>Sign in</title>
<form method="post" action="/login">
<input type="hidden" name="csrf_token" value="%s">
<input name="username"><input name="password" type="password">
<button>Sign in</button></form>`, html.EscapeString(tok))
}

func (s *Server) formLogin(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 1<<16)
	if err := r.ParseForm(); err != nil {
		http.Error(w, "bad form", http.StatusBadRequest)
		return
	}
	c, err := r.Cookie("csrf")
	field := r.PostForm.Get("csrf_token")
	s.mu.Lock()
	defer s.mu.Unlock()
	if err != nil || field == "" || c.Value != field || !s.csrf[field] {
		http.Error(w, "csrf check failed", http.StatusForbidden)
		return
	}
	delete(s.csrf, field)
	user := r.PostForm.Get("username")
	if pw, ok := s.opts.Users[user]; !ok || pw != r.PostForm.Get("password") {
		http.Error(w, "bad credentials", http.StatusUnauthorized)
		return
	}
	s.stats.FormLogins++
	sid := random()
	s.sessions[sid] = user
	http.SetCookie(w, &http.Cookie{Name: "sid", Value: sid, Path: "/", HttpOnly: true,
		MaxAge: 86400, SameSite: http.SameSiteLaxMode})
	http.Redirect(w, r, "/account", http.StatusSeeOther)
}

func (s *Server) account(w http.ResponseWriter, r *http.Request) {
	c, err := r.Cookie("sid")
	s.mu.Lock()
	user, ok := "", false
	if err == nil {
		user, ok = s.sessions[c.Value]
	}
	s.mu.Unlock()
	if !ok {
		http.Redirect(w, r, "/login", http.StatusFound)
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"account": user})
}

func (s *Server) page(w http.ResponseWriter, r *http.Request) {
	n := 0
	if c, err := r.Cookie("visits"); err == nil {
		n, _ = strconv.Atoi(c.Value)
	}
	n++
	http.SetCookie(w, &http.Cookie{Name: "visits", Value: strconv.Itoa(n), Path: "/", MaxAge: 30 * 86400})
	writeJSON(w, http.StatusOK, map[string]int{"visits": n})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func random() string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
