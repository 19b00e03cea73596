package httpsession

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/httpsession/httpsession/internal/authtest"
)

// newTokenClock returns a clock for token tests, far from any real time.
func newTokenClock() *testClock {
	return &testClock{t: time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)}
}

const (
	testPassword = authtest.Password
	secretPrefix = authtest.SecretPrefix
)

// authServer is a JSON login/refresh endpoint that hands out numbered
// tokens ("s3cr3t-access-1", "s3cr3t-refresh-1", …) and counts calls.
type authServer struct {
	*httptest.Server
	logins    atomic.Int32
	refreshes atomic.Int32
	issued    atomic.Int32

	expiresIn      int           // 0: no expires_in
	refreshFails   bool          // refresh answers 401
	loginFails     bool          // login answers 401
	refreshGate    chan struct{} // if set, refresh waits for it to close
	refreshEntered chan struct{} // if set, refresh signals on entry
}

func newAuthServer(t *testing.T) *authServer {
	s := &authServer{expiresIn: 3600}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /login", func(w http.ResponseWriter, r *http.Request) {
		s.logins.Add(1)
		var body map[string]string
		if err := json.NewDecoder(r.Body).Decode(&body); err != nil || body["password"] != testPassword {
			http.Error(w, "bad credentials", http.StatusUnauthorized)
			return
		}
		if s.loginFails {
			http.Error(w, `{"error":"nope"}`, http.StatusUnauthorized)
			return
		}
		s.issue(w)
	})
	mux.HandleFunc("POST /refresh", func(w http.ResponseWriter, r *http.Request) {
		s.refreshes.Add(1)
		if s.refreshEntered != nil {
			select {
			case s.refreshEntered <- struct{}{}:
			default:
			}
		}
		if s.refreshGate != nil {
			select {
			case <-s.refreshGate:
			case <-r.Context().Done():
				return
			}
		}
		var body map[string]string
		if err := json.NewDecoder(r.Body).Decode(&body); err != nil || !strings.HasPrefix(body["refresh_token"], secretPrefix+"-refresh-") {
			http.Error(w, "bad refresh token", http.StatusBadRequest)
			return
		}
		if s.refreshFails {
			http.Error(w, "refresh token revoked", http.StatusUnauthorized)
			return
		}
		s.issue(w)
	})
	s.Server = newMemServer(t, mux)
	return s
}

func (s *authServer) issue(w http.ResponseWriter) {
	n := s.issued.Add(1)
	resp := map[string]any{
		"access_token":  fmt.Sprintf("%s-access-%d", secretPrefix, n),
		"refresh_token": fmt.Sprintf("%s-refresh-%d", secretPrefix, n),
		"token_type":    "bearer",
	}
	if s.expiresIn != 0 {
		resp["expires_in"] = s.expiresIn
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(resp)
}

func (s *authServer) authenticator() *JSONLogin {
	return &JSONLogin{
		LoginURL:   s.URL + "/login",
		RefreshURL: s.URL + "/refresh",
		Username:   "alice",
		Password:   testPassword,
	}
}

func (s *authServer) counts() (logins, refreshes int) {
	return int(s.logins.Load()), int(s.refreshes.Load())
}

// setExpired gives m an expired token whose refresh token the test server
// accepts, so the next use refreshes.
func setExpired(m *TokenManager, clk *testClock) {
	m.SetToken(&Token{AccessToken: secretPrefix + "-access-0", RefreshToken: secretPrefix + "-refresh-0",
		Expiry: clk.Now().Add(-time.Minute)})
}

func newTestManager(t *testing.T, s *authServer, clk *testClock, o *TokenOptions) *TokenManager {
	t.Helper()
	return newTokenManager(s.authenticator(), viaSession(s.Client()), o, clk.Now)
}

// mustToken logs in (or refreshes) and fails the test on error.
func mustToken(t *testing.T, m *TokenManager) *Token {
	t.Helper()
	tok, err := m.Token(context.Background())
	if err != nil {
		t.Fatalf("Token() error = %v", err)
	}
	return tok
}

// assertNoSecret fails if s contains a token, refresh token or password.

func TestTokenRedacted(t *testing.T) {
	tok := Token{
		AccessToken:  secretPrefix + "-access",
		TokenType:    "Bearer",
		RefreshToken: secretPrefix + "-refresh",
		Expiry:       time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC),
	}
	type wrapper struct {
		Name  string
		Tok   Token
		Ptr   *Token
		Slice []Token
		Map   map[string]*Token
	}
	w := wrapper{Name: "w", Tok: tok, Ptr: &tok, Slice: []Token{tok}, Map: map[string]*Token{"k": &tok}}
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%d", "%10.4s", "%-v"} {
		for _, arg := range []struct {
			name string
			v    any
		}{
			{"value", tok},
			{"pointer", &tok},
			{"nested", w},
			{"nested pointer", &w},
			{"slice", []*Token{&tok}},
		} {
			got := fmt.Sprintf(verb, arg.v)
			authtest.NoSecret(t, fmt.Sprintf("Sprintf(%q, %s)", verb, arg.name), got)
		}
	}
	if got, want := tok.String(), "Token{Type: Bearer, AccessToken: [redacted], RefreshToken: [redacted], Expiry: 2030-01-01T00:00:00Z}"; got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
	if got := fmt.Sprintf("%#v", tok); !strings.HasPrefix(got, "httpsession.Token{") {
		t.Errorf("%%#v = %q, want Go syntax", got)
	}
	if got, want := fmt.Sprintf("%v", Token{}), `Token{Type: Bearer, AccessToken: "", RefreshToken: "", Expiry: unknown}`; got != want {
		t.Errorf("Sprintf(%%v, Token{}) = %q, want %q", got, want)
	}

	for _, h := range []struct {
		name   string
		new    func(*bytes.Buffer) slog.Handler
		nested bool
	}{
		{"text", func(b *bytes.Buffer) slog.Handler { return slog.NewTextHandler(b, nil) }, true},
		// The JSON handler encodes other structs with encoding/json, which
		// stays exact for the session file: only a Token logged as itself
		// is redacted there.
		{"json", func(b *bytes.Buffer) slog.Handler { return slog.NewJSONHandler(b, nil) }, false},
	} {
		var buf bytes.Buffer
		log := slog.New(h.new(&buf))
		log.Info("token", "value", tok, "pointer", &tok)
		log.Info("attr", slog.Any("t", tok), slog.Group("g", "t", &tok))
		if h.nested {
			log.Info("nested", "w", w, "pw", &w)
		}
		authtest.NoSecret(t, h.name+" handler output", buf.String())
		if !strings.Contains(buf.String(), "redacted") {
			t.Errorf("%s handler output = %q, want redaction marks", h.name, buf.String())
		}
	}

	// JSON is exact, for the session file.
	b, err := json.Marshal(tok)
	if err != nil {
		t.Fatal(err)
	}
	var back Token
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(tok, back); diff != "" {
		t.Errorf("JSON round trip mismatch (-want +got):\n%s", diff)
	}
	if want := `"access_token":"s3cr3t-access"`; !strings.Contains(string(b), want) {
		t.Errorf("json.Marshal = %s, want it to contain %s", b, want)
	}
}

func TestTokenType(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"", "Bearer"}, {"bearer", "Bearer"}, {"BEARER", "Bearer"}, {"mac", "MAC"}, {"basic", "Basic"}, {"DPoP", "DPoP"},
	} {
		if got := (Token{TokenType: tt.in}).Type(); got != tt.want {
			t.Errorf("Token{TokenType: %q}.Type() = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// jwt builds an unsigned JWT with the given claims.
func jwt(claims string) string {
	enc := base64.RawURLEncoding.EncodeToString
	return enc([]byte(`{"alg":"none"}`)) + "." + enc([]byte(claims)) + ".sig"
}

func TestManagerLogsInOnceAndCaches(t *testing.T) {
	s := newAuthServer(t)
	clk := newTokenClock()
	m := newTestManager(t, s, clk, nil)
	if got := m.Current(); got != nil {
		t.Fatalf("Current() before login = %v, want nil", got)
	}
	first := mustToken(t, m)
	second := mustToken(t, m)
	if first.AccessToken != second.AccessToken {
		t.Errorf("second Token() = %v, want the cached one", second)
	}
	if want := clk.Now().Add(time.Hour); !first.Expiry.Equal(want) {
		t.Errorf("Expiry = %v, want %v (from expires_in on the injected clock)", first.Expiry, want)
	}
	if l, r := s.counts(); l != 1 || r != 0 {
		t.Errorf("logins, refreshes = %d, %d, want 1, 0", l, r)
	}

	// Token returns copies.
	first.AccessToken = "changed"
	if got := m.Current(); got.AccessToken == "changed" {
		t.Error("modifying a returned token changed the cache")
	}

	// Just before the skew window: still cached. Inside it: refreshed.
	clk.Advance(time.Hour - 31*time.Second)
	mustToken(t, m)
	if l, r := s.counts(); l != 1 || r != 0 {
		t.Errorf("before skew: logins, refreshes = %d, %d, want 1, 0", l, r)
	}
	clk.Advance(2 * time.Second)
	got := mustToken(t, m)
	if l, r := s.counts(); l != 1 || r != 1 {
		t.Errorf("inside skew: logins, refreshes = %d, %d, want 1, 1", l, r)
	}
	if want := secretPrefix + "-access-2"; got.AccessToken != want {
		t.Errorf("refreshed AccessToken = %q, want %q", got.AccessToken, want)
	}
}

func TestManagerConcurrentRefreshOnce(t *testing.T) {
	const n = 1000
	for _, tt := range []struct {
		name                      string
		refreshFails              bool
		wantLogins, wantRefreshes int
		wantPrefix                string
	}{
		{"refresh succeeds", false, 0, 1, secretPrefix + "-access-2"},
		{"refresh fails, login once", true, 1, 1, secretPrefix + "-access-2"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				s := newAuthServer(t)
				s.refreshFails = tt.refreshFails
				clk := newTokenClock()
				m := newTestManager(t, s, clk, nil)
				// An expired token with a refresh token, as restored from a file.
				m.SetToken(&Token{AccessToken: secretPrefix + "-access-0", RefreshToken: secretPrefix + "-refresh-0",
					Expiry: clk.Now().Add(-time.Minute)})
				s.issued.Store(1)

				// Hold the refresh until every goroutine has started.
				s.refreshGate = make(chan struct{})
				var started, done sync.WaitGroup
				started.Add(n)
				errs := make(chan error, n)
				for range n {
					done.Add(1)
					go func() {
						defer done.Done()
						started.Done()
						tok, err := m.Token(context.Background())
						if err == nil && tok.AccessToken != tt.wantPrefix {
							err = fmt.Errorf("AccessToken = %v", tok)
						}
						if err != nil {
							errs <- err
						}
					}()
				}
				started.Wait()
				synctest.Wait() // all of them wait for the one refresh
				close(s.refreshGate)
				done.Wait()
				close(errs)
				for err := range errs {
					t.Errorf("Token() error = %v", err)
				}
				if l, r := s.counts(); l != tt.wantLogins || r != tt.wantRefreshes {
					t.Errorf("logins, refreshes = %d, %d, want %d, %d", l, r, tt.wantLogins, tt.wantRefreshes)
				}
			})
		})
	}
}

func TestManagerFailureReportedOnce(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const n = 200
		s := newAuthServer(t)
		s.refreshFails = true
		s.loginFails = true
		clk := newTokenClock()
		m := newTestManager(t, s, clk, nil)
		setExpired(m, clk)

		s.refreshGate = make(chan struct{})
		errs := make(chan error, n)
		var started, done sync.WaitGroup
		started.Add(n)
		done.Add(n)
		for range n {
			go func() {
				defer done.Done()
				started.Done()
				_, err := m.Token(context.Background())
				errs <- err
			}()
		}
		started.Wait()
		synctest.Wait()
		close(s.refreshGate)
		done.Wait()
		close(errs)
		for err := range errs {
			var ae *AuthError
			if !errors.As(err, &ae) || ae.Status != http.StatusUnauthorized || !errors.Is(err, ErrAuthResponse) {
				t.Errorf("Token() error = %v, want *AuthError with status 401", err)
				continue
			}
			authtest.NoSecret(t, "error", err.Error())
		}
		// Every waiter got the one failure; nobody retried it.
		if l, r := s.counts(); l != 1 || r != 1 {
			t.Errorf("logins, refreshes = %d, %d, want 1, 1", l, r)
		}
	})
}

func TestManagerWaiterCancel(t *testing.T) {
	s := newAuthServer(t)
	s.refreshGate = make(chan struct{})
	s.refreshEntered = make(chan struct{}, 1)
	clk := newTokenClock()
	m := newTestManager(t, s, clk, nil)
	setExpired(m, clk)

	// The first caller starts the refresh and then gives up: the refresh
	// must go on for the others.
	firstCtx, cancelFirst := context.WithCancel(context.Background())
	firstErr := make(chan error, 1)
	go func() {
		_, err := m.Token(firstCtx)
		firstErr <- err
	}()
	<-s.refreshEntered

	type result struct {
		tok *Token
		err error
	}
	other := make(chan result, 1)
	go func() {
		tok, err := m.Token(context.Background())
		other <- result{tok, err}
	}()

	// A waiter whose context is cancelled returns at once, while the
	// refresh is still blocked.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := m.Token(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("Token(cancelled ctx) error = %v, want context.Canceled", err)
	}
	cancelFirst()
	if err := <-firstErr; !errors.Is(err, context.Canceled) {
		t.Errorf("first caller's Token() error = %v, want context.Canceled", err)
	}

	close(s.refreshGate)
	got := <-other
	if got.err != nil || got.tok.AccessToken != secretPrefix+"-access-1" {
		t.Errorf("other waiter got %v, %v, want the refreshed token", got.tok, got.err)
	}
	if l, r := s.counts(); l != 0 || r != 1 {
		t.Errorf("logins, refreshes = %d, %d, want 0, 1", l, r)
	}
}

func TestManagerWaiterCancelMidWait(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := newAuthServer(t)
		s.refreshGate = make(chan struct{})
		s.refreshEntered = make(chan struct{}, 1)
		clk := newTokenClock()
		m := newTestManager(t, s, clk, nil)
		setExpired(m, clk)

		go func() { _, _ = m.Token(context.Background()) }()
		<-s.refreshEntered
		ctx, cancel := context.WithCancel(context.Background())
		errc := make(chan error, 1)
		go func() {
			_, err := m.Token(ctx)
			errc <- err
		}()
		synctest.Wait()
		cancel()
		if err := <-errc; !errors.Is(err, context.Canceled) {
			t.Errorf("Token() error = %v, want context.Canceled", err)
		}
		close(s.refreshGate)
	})
}

func TestManagerRefreshTimeout(t *testing.T) {
	s := newAuthServer(t)
	s.refreshGate = make(chan struct{}) // never closed: the refresh hangs
	defer close(s.refreshGate)
	s.loginFails = true
	clk := newTokenClock()
	m := newTestManager(t, s, clk, &TokenOptions{RefreshTimeout: 20 * time.Millisecond})
	setExpired(m, clk)
	_, err := m.Token(context.Background())
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Token() error = %v, want context.DeadlineExceeded", err)
	}
}

func TestManagerCompareAndInvalidate(t *testing.T) {
	s := newAuthServer(t)
	s.expiresIn = 0 // unknown expiry: used until invalidated
	clk := newTokenClock()
	m := newTestManager(t, s, clk, nil)
	ctx := context.Background()

	sent, header, err := m.authorization(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"Bearer " + secretPrefix + "-access-1"}; !slices.Equal(header, want) {
		t.Errorf("header = %q, want %q", header, want)
	}

	// 50 requests that all sent the same token get a 401.
	var wg sync.WaitGroup
	for range 50 {
		wg.Go(func() {
			m.invalidate(sent)
			if _, _, err := m.authorization(ctx); err != nil {
				t.Errorf("authorization() error = %v", err)
			}
		})
	}
	wg.Wait()
	if l, r := s.counts(); l != 1 || r != 1 {
		t.Errorf("after 50 invalidations: logins, refreshes = %d, %d, want 1, 1", l, r)
	}

	// A late 401 for the old token does not discard the rotated one.
	rotated, header2, _ := m.authorization(ctx)
	m.invalidate(sent)
	m.invalidate(&Token{AccessToken: sent.AccessToken, RefreshToken: sent.RefreshToken})
	again, header3, _ := m.authorization(ctx)
	if again != rotated || !slices.Equal(header3, header2) {
		t.Errorf("after a stale invalidate: header %q, want %q", header3, header2)
	}
	if l, r := s.counts(); l != 1 || r != 1 {
		t.Errorf("after a stale invalidate: logins, refreshes = %d, %d, want 1, 1", l, r)
	}

	// Invalidate with a copy of the current token works too.
	m.Invalidate(m.Current())
	mustToken(t, m)
	if l, r := s.counts(); l != 1 || r != 2 {
		t.Errorf("after Invalidate(Current()): logins, refreshes = %d, %d, want 1, 2", l, r)
	}
	m.Invalidate(nil)
}

func TestManagerJWTExpiry(t *testing.T) {
	clk := newTokenClock()
	exp := clk.Now().Add(10 * time.Minute).Truncate(time.Second)
	var logins atomic.Int32
	a := AuthFuncs{LoginFunc: func(ctx context.Context, hc *http.Client) (*Token, error) {
		logins.Add(1)
		return &Token{AccessToken: jwt(fmt.Sprintf(`{"exp":%d}`, exp.Unix()))}, nil
	}}
	m := newTokenManager(a, nil, nil, clk.Now)
	tok := mustToken(t, m)
	if !tok.Expiry.Equal(exp) {
		t.Errorf("Expiry = %v, want %v from the JWT", tok.Expiry, exp)
	}
	clk.Advance(9 * time.Minute)
	mustToken(t, m)
	if got := logins.Load(); got != 1 {
		t.Errorf("logins before expiry = %d, want 1", got)
	}
	clk.Advance(40 * time.Second)
	mustToken(t, m)
	if got := logins.Load(); got != 2 {
		t.Errorf("logins within skew of the JWT exp = %d, want 2 (no refresh token: log in again)", got)
	}
}

func TestManagerExpiresInBeatsJWT(t *testing.T) {
	clk := newTokenClock()
	a := AuthFuncs{LoginFunc: func(ctx context.Context, hc *http.Client) (*Token, error) {
		return &Token{AccessToken: jwt(`{"exp":1}`), Expiry: clk.Now().Add(time.Hour)}, nil
	}}
	m := newTokenManager(a, nil, nil, clk.Now)
	if got, want := mustToken(t, m).Expiry, clk.Now().Add(time.Hour); !got.Equal(want) {
		t.Errorf("Expiry = %v, want %v (expires_in wins over the JWT exp)", got, want)
	}
}

func TestManagerNegativeSkew(t *testing.T) {
	s := newAuthServer(t)
	clk := newTokenClock()
	m := newTestManager(t, s, clk, &TokenOptions{Skew: -1})
	mustToken(t, m)
	clk.Advance(time.Hour - time.Second)
	mustToken(t, m)
	if l, r := s.counts(); l != 1 || r != 0 {
		t.Errorf("one second before expiry without skew: logins, refreshes = %d, %d, want 1, 0", l, r)
	}
	clk.Advance(time.Second)
	mustToken(t, m)
	if l, r := s.counts(); l != 1 || r != 1 {
		t.Errorf("at expiry: logins, refreshes = %d, %d, want 1, 1", l, r)
	}
}

func TestManagerShortLivedToken(t *testing.T) {
	s := newAuthServer(t)
	s.expiresIn = 10 // shorter than the 30s skew
	clk := newTokenClock()
	m := newTestManager(t, s, clk, nil)
	for range 5 {
		mustToken(t, m)
	}
	if l, r := s.counts(); l != 1 || r != 0 {
		t.Errorf("logins, refreshes = %d, %d, want 1, 0 (no refresh on every use)", l, r)
	}
	clk.Advance(6 * time.Second)
	mustToken(t, m)
	if l, r := s.counts(); l != 1 || r != 1 {
		t.Errorf("past half the lifetime: logins, refreshes = %d, %d, want 1, 1", l, r)
	}
}

func TestManagerKeepsRefreshToken(t *testing.T) {
	clk := newTokenClock()
	a := AuthFuncs{
		LoginFunc: func(ctx context.Context, hc *http.Client) (*Token, error) {
			return &Token{AccessToken: "a1", RefreshToken: "r1", Expiry: clk.Now().Add(time.Minute)}, nil
		},
		RefreshFunc: func(ctx context.Context, hc *http.Client, t *Token) (*Token, error) {
			if t.RefreshToken != "r1" {
				return nil, errors.New("wrong refresh token")
			}
			return &Token{AccessToken: "a2", Expiry: clk.Now().Add(time.Minute)}, nil
		},
	}
	m := newTokenManager(a, nil, nil, clk.Now)
	mustToken(t, m)
	clk.Advance(time.Minute)
	got := mustToken(t, m)
	want := &Token{AccessToken: "a2", RefreshToken: "r1", Expiry: clk.Now().Add(time.Minute)}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("refreshed token mismatch (-want +got):\n%s", diff)
	}
}

func TestManagerOnTokenChange(t *testing.T) {
	s := newAuthServer(t)
	clk := newTokenClock()
	var logBuf bytes.Buffer
	var m *TokenManager
	var seen []string
	o := &TokenOptions{
		Logger: slog.New(slog.NewTextHandler(&logBuf, &slog.HandlerOptions{Level: slog.LevelDebug})),
		OnTokenChange: func(t2 *Token) error {
			// Called before anyone can use the new token.
			if cur := m.Current(); cur != nil && cur.AccessToken == t2.AccessToken {
				t.Errorf("OnTokenChange called after the token was published")
			}
			seen = append(seen, t2.AccessToken)
			t2.AccessToken = "modified by the callback"
			return errors.New("disk full")
		},
	}
	m = newTestManager(t, s, clk, o)
	got := mustToken(t, m)
	if want := secretPrefix + "-access-1"; got.AccessToken != want {
		t.Errorf("AccessToken = %q, want %q (used despite the callback error, unmodified)", got.AccessToken, want)
	}
	clk.Advance(time.Hour)
	mustToken(t, m)
	if diff := cmp.Diff([]string{secretPrefix + "-access-1", secretPrefix + "-access-2"}, seen); diff != "" {
		t.Errorf("OnTokenChange calls mismatch (-want +got):\n%s", diff)
	}
	m.SetToken(&Token{AccessToken: "restored"})
	if len(seen) != 2 {
		t.Errorf("OnTokenChange called for SetToken")
	}
	if !strings.Contains(logBuf.String(), "disk full") {
		t.Errorf("log = %q, want the callback error", logBuf.String())
	}
	authtest.NoSecret(t, "log", logBuf.String())
}

func TestManagerLogsNoSecrets(t *testing.T) {
	s := newAuthServer(t)
	s.refreshFails = true
	clk := newTokenClock()
	var logBuf bytes.Buffer
	m := newTestManager(t, s, clk, &TokenOptions{
		Logger: slog.New(slog.NewJSONHandler(&logBuf, &slog.HandlerOptions{Level: slog.LevelDebug})),
	})
	mustToken(t, m)
	clk.Advance(2 * time.Hour)
	mustToken(t, m)
	if l, r := s.counts(); l != 2 || r != 1 {
		t.Errorf("logins, refreshes = %d, %d, want 2, 1", l, r)
	}
	if !strings.Contains(logBuf.String(), "refresh failed") {
		t.Errorf("log = %q, want the refresh failure", logBuf.String())
	}
	authtest.NoSecret(t, "log", logBuf.String())
}

func TestManagerSetTokenAndCurrent(t *testing.T) {
	s := newAuthServer(t)
	clk := newTokenClock()
	m := newTestManager(t, s, clk, nil)
	restored := &Token{AccessToken: "restored", RefreshToken: "r", Expiry: clk.Now().Add(time.Hour)}
	m.SetToken(restored)
	restored.AccessToken = "changed after SetToken"
	if got := mustToken(t, m); got.AccessToken != "restored" {
		t.Errorf("Token() = %q, want the restored token", got.AccessToken)
	}
	if l, r := s.counts(); l != 0 || r != 0 {
		t.Errorf("logins, refreshes = %d, %d, want 0, 0 (resumed)", l, r)
	}
	m.SetToken(nil)
	if got := m.Current(); got != nil {
		t.Errorf("Current() after SetToken(nil) = %v, want nil", got)
	}
	mustToken(t, m)
	if l, _ := s.counts(); l != 1 {
		t.Errorf("logins after SetToken(nil) = %d, want 1", l)
	}
}

func TestManagerAuthenticatorMisbehaves(t *testing.T) {
	tests := []struct {
		name string
		a    AuthFuncs
	}{
		{"nil token", AuthFuncs{LoginFunc: func(context.Context, *http.Client) (*Token, error) { return nil, nil }}},
		{"panic", AuthFuncs{LoginFunc: func(context.Context, *http.Client) (*Token, error) { panic("boom") }}},
		{"no login func", AuthFuncs{}},
	}
	for _, tt := range tests {
		m := newTokenManager(tt.a, nil, nil, time.Now)
		if _, err := m.Token(context.Background()); err == nil {
			t.Errorf("%s: Token() error = nil, want an error", tt.name)
		}
	}
}

func TestManagerCookieOnlyToken(t *testing.T) {
	var logins atomic.Int32
	a := AuthFuncs{LoginFunc: func(context.Context, *http.Client) (*Token, error) {
		logins.Add(1)
		return &Token{}, nil
	}}
	m := newTokenManager(a, nil, nil, time.Now)
	sent, header, err := m.authorization(context.Background())
	if err != nil || sent == nil || header != nil {
		t.Fatalf("authorization() = %v, %q, %v, want a token and no header", sent, header, err)
	}
	m.invalidate(sent)
	if _, _, err := m.authorization(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := logins.Load(); got != 2 {
		t.Errorf("logins = %d, want 2 (invalidated cookie session logs in again)", got)
	}
}

func TestAuthorizationAllocs(t *testing.T) {
	s := newAuthServer(t)
	clk := newTokenClock()
	m := newTestManager(t, s, clk, nil)
	ctx := context.Background()
	if _, _, err := m.authorization(ctx); err != nil {
		t.Fatal(err)
	}
	allocs := testing.AllocsPerRun(1000, func() {
		if _, h, err := m.authorization(ctx); err != nil || len(h) != 1 {
			t.Fatal("authorization failed")
		}
	})
	if allocs != 0 {
		t.Errorf("authorization() with a cached token: %v allocations, want 0", allocs)
	}
}

func BenchmarkAuthorization(b *testing.B) {
	a := AuthFuncs{LoginFunc: func(context.Context, *http.Client) (*Token, error) {
		return &Token{AccessToken: "abc", Expiry: time.Now().Add(time.Hour)}, nil
	}}
	m := newTokenManager(a, nil, nil, time.Now)
	ctx := context.Background()
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, _, err := m.authorization(ctx); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// TestManagerRefreshGivingNothingLogsIn has the refresh succeed without a
// token a request can use: the manager logs in instead.
func TestManagerRefreshGivingNothingLogsIn(t *testing.T) {
	for _, tt := range []struct {
		name    string
		refresh *Token
	}{
		{"no token", nil},
		{"token no header can carry", &Token{AccessToken: "a\r\nb"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			clk := newTokenClock()
			var logins, refreshes atomic.Int32
			a := AuthFuncs{
				LoginFunc: func(ctx context.Context, hc *http.Client) (*Token, error) {
					n := logins.Add(1)
					return &Token{AccessToken: fmt.Sprintf("login-%d", n), RefreshToken: "r", Expiry: clk.Now().Add(time.Hour)}, nil
				},
				RefreshFunc: func(ctx context.Context, hc *http.Client, old *Token) (*Token, error) {
					refreshes.Add(1)
					return tt.refresh, nil
				},
			}
			m := newTokenManager(a, nil, nil, clk.Now)
			mustToken(t, m)
			clk.Advance(2 * time.Hour)
			if got := mustToken(t, m).AccessToken; got != "login-2" {
				t.Errorf("token after the refresh = %q, want %q", got, "login-2")
			}
			if l, r := logins.Load(), refreshes.Load(); l != 2 || r != 1 {
				t.Errorf("logins, refreshes = %d, %d, want 2, 1", l, r)
			}
		})
	}
}
