package httpsession

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"runtime"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

	"github.com/httpsession/httpsession/internal/jwtclaims"
	"github.com/httpsession/httpsession/internal/redact"
)

// TokenOptions configures a TokenManager. The zero value (or nil) is good
// for most uses.
type TokenOptions struct {
	// Skew is how long before Expiry a token is refreshed. Zero means 30s;
	// a negative Skew means none (refresh at Expiry). For a token whose
	// whole lifetime is shorter than Skew the manager refreshes halfway
	// through that lifetime instead, counted from when the token was
	// obtained (a token restored from a session file carries that time).
	Skew time.Duration

	// RefreshTimeout bounds each login or refresh. Zero or negative means
	// 30s. A login or refresh runs under its own context (the values of
	// the context that started it, none of its cancellation), so one
	// caller giving up does not fail the others waiting for the same
	// token. With a store shared by other processes it also bounds the
	// wait for the store's refresh lock, which is retried while the store
	// is unavailable; a token that still works is used meanwhile, and
	// when none does the wait's end fails the requests with an error
	// matching ErrStoreUnavailable.
	RefreshTimeout time.Duration

	// OnTokenChange, if set, is called with every token obtained by login
	// or refresh before the token is used or handed to anyone, so that a
	// rotated refresh token can be saved before it matters (a crash after
	// the call can't lose it). It receives a copy. It is not called for
	// SetToken. It is called from one goroutine at a time.
	//
	// If it returns an error, the error is logged and the token is still
	// used: the server has already rotated the token, so discarding it
	// would throw away the only working credential while keeping a stale
	// one on disk.
	OnTokenChange func(*Token) error

	// Logger receives login/refresh events and failures. Nil means no
	// logging. Tokens and credentials are never logged.
	Logger *slog.Logger
}

const (
	defaultSkew           = 30 * time.Second
	defaultRefreshTimeout = 30 * time.Second
)

// A TokenManager logs in through an Authenticator on first use, caches the
// token, refreshes it ahead of expiry, and logs in again when refreshing
// fails. At most one login or refresh runs at a time however many
// goroutines need a token; each of them waits under its own context.
//
// A Client creates its TokenManager for Options.Auth (Client.Tokens);
// expiry is judged on Options.Now.
//
// A TokenManager is safe for concurrent use by multiple goroutines.
type TokenManager struct {
	auth     Authenticator
	hc       *http.Client
	skew     time.Duration
	timeout  time.Duration
	now      func() time.Time
	onChange func(*Token) error
	log      *slog.Logger

	// cur is the cached token; nil before the first login or after
	// SetToken(nil). A published tokenState is never modified.
	cur atomic.Pointer[tokenState]

	// shared, when the token is persisted in a store other processes use
	// too, coordinates logins and refreshes with them.
	shared sharedToken
	// relogin is set by SetToken(nil): the next fetch logs in rather than
	// adopt the stored token.
	relogin atomic.Bool

	// mu guards flight, the login or refresh in progress (nil if none).
	mu     sync.Mutex
	flight *flight
}

// tokenState is an immutable cached token with what the request path needs,
// computed once.
type tokenState struct {
	tok       Token
	header    []string  // Authorization as a header map holds it (one value, cap 1); nil for a cookie-only token
	issued    time.Time // when the token was obtained, as far as known; zero: unknown
	refreshAt time.Time // zero: no known expiry
	stale     bool      // rejected by the server: refresh (or log in) before use
}

func (s *tokenState) usable(now time.Time) bool {
	return s != nil && !s.stale && (s.refreshAt.IsZero() || now.Before(s.refreshAt))
}

// flight is one login or refresh; done is closed when state and err are set.
type flight struct {
	done  chan struct{}
	state *tokenState
	err   error
}

// newTokenManager returns a TokenManager that obtains tokens from a, making
// its requests with hc (nil means http.DefaultClient), on the clock now
// (a Client's Options.Now). hc must not itself add tokens from this
// manager. A nil o means the zero TokenOptions.
func newTokenManager(a Authenticator, hc *http.Client, o *TokenOptions, now func() time.Time) *TokenManager {
	if o == nil {
		o = &TokenOptions{}
	}
	m := &TokenManager{
		auth:     a,
		hc:       hc,
		skew:     o.Skew,
		timeout:  o.RefreshTimeout,
		now:      now,
		onChange: o.OnTokenChange,
		log:      o.Logger,
	}
	if m.hc == nil {
		m.hc = http.DefaultClient
	}
	switch {
	case m.skew == 0:
		m.skew = defaultSkew
	case m.skew < 0:
		m.skew = 0
	}
	if m.timeout <= 0 {
		m.timeout = defaultRefreshTimeout
	}
	if m.log == nil {
		m.log = slog.New(slog.DiscardHandler)
	}
	return m
}

// clockTolerance is how far a JWT's iat may lie from the time we got the
// token before the two clocks are taken to differ: iat has a resolution
// of one second, and the token took time to reach us.
const clockTolerance = 5 * time.Second

// newState prepares t (a copy the manager owns) for caching. issued is
// when the token was obtained (zero: unknown, as for a token handed to
// SetToken).
//
// An ExpiresIn is counted from issued (from now for a token without one).
// An unknown Expiry is taken from a JWT access token's exp claim. That is
// a time on the server's clock: when the token's iat shows that clock
// differs from ours, the expiry is its lifetime (exp - iat) counted from
// issued. A token that arrives already expired by our clock (a server
// clock far behind ours and no iat, or an expires_in of 0) gets an unknown
// Expiry: it is used until the server rejects it, rather than replaced
// on every use.
//
// The token is refreshed Skew before its expiry; one whose whole lifetime
// (counted from issued) is shorter than Skew halfway through that lifetime
// instead, rather than on every use. A token that no Authorization header
// can carry (see headerSafe) is stale: it is replaced before it is sent.
func (m *TokenManager) newState(t Token, issued time.Time) *tokenState {
	if t.ExpiresIn > 0 && t.Expiry.IsZero() {
		t.Expiry = cmp.Or(issued, m.now()).Add(time.Duration(t.ExpiresIn) * time.Second)
	}
	t.ExpiresIn = 0
	if t.Expiry.IsZero() {
		if exp, iat, ok := jwtclaims.Times(t.AccessToken); ok {
			t.Expiry = exp
			if d := issued.Sub(iat); !issued.IsZero() && !iat.IsZero() && iat.Before(exp) &&
				(d > clockTolerance || d < -clockTolerance) {
				t.Expiry = issued.Add(exp.Sub(iat))
			}
		}
	}
	if !issued.IsZero() && !t.Expiry.IsZero() && !t.Expiry.After(issued) {
		m.log.Warn("httpsession: token arrived expired by our clock; using it until the server rejects it",
			"expiry", expiryString(t.Expiry))
		t.Expiry = time.Time{}
	}
	s := &tokenState{tok: t, issued: issued}
	switch {
	case !headerSafe(&t):
		s.stale = true
	case t.AccessToken != "":
		// The slice is shared by every request that sends the token; its
		// capacity of one makes an append elsewhere copy it.
		s.header = []string{t.Type() + " " + t.AccessToken}[:1:1]
	}
	if !t.Expiry.IsZero() {
		s.refreshAt = t.Expiry.Add(-m.skew)
		if life := t.Expiry.Sub(issued); !issued.IsZero() && life > 0 && life <= m.skew {
			s.refreshAt = issued.Add(life / 2)
		}
	}
	return s
}

// String describes m without its secrets: the Authenticator's type (its
// fields hold credentials) and the redacted token.
func (m *TokenManager) String() string {
	if m == nil {
		return "TokenManager(nil)"
	}
	tok := "none"
	if s := m.cur.Load(); s != nil {
		tok = s.tok.String()
	}
	return fmt.Sprintf("TokenManager{Authenticator: %T, Token: %s}", m.auth, tok)
}

// Format makes every fmt verb print String ("&httpsession.TokenManager{…}"
// for %#v), so that no verb prints the Authenticator's credentials.
func (m *TokenManager) Format(f fmt.State, verb rune) {
	s := m.String()
	redact.Format(f, verb, s, "&httpsession."+s)
}

// LogValue describes m for log/slog without its secrets.
func (m *TokenManager) LogValue() slog.Value {
	if m == nil {
		return slog.StringValue("TokenManager(nil)")
	}
	attrs := []slog.Attr{slog.String("authenticator", fmt.Sprintf("%T", m.auth))}
	if s := m.cur.Load(); s != nil {
		attrs = append(attrs, slog.Any("token", s.tok))
	}
	return slog.GroupValue(attrs...)
}

// Token returns a copy of a valid token, logging in or refreshing first if
// needed. It waits for a login or refresh in progress, or until ctx is done,
// in which case it returns ctx.Err() (the login or refresh goes on for the
// other callers).
func (m *TokenManager) Token(ctx context.Context) (*Token, error) {
	s, err := m.state(ctx)
	if err != nil {
		return nil, err
	}
	t := s.tok
	return &t, nil
}

// SetToken replaces the cached token, for example with one restored from a
// session file; a nil t clears it, so the next use logs in (and, with a
// store shared by other processes, does not adopt the stored token instead:
// an explicit login replaces it). OnTokenChange
// is not called. A login or refresh already in progress still replaces the
// token when it completes.
func (m *TokenManager) SetToken(t *Token) { m.setToken(t, time.Time{}) }

// setToken is SetToken for a token obtained at issued (zero: unknown), as a
// session file records it.
func (m *TokenManager) setToken(t *Token, issued time.Time) {
	if t == nil {
		// A cleared token asks for a login: the stored token (another
		// process's, or the one being replaced) is not adopted instead.
		m.relogin.Store(true)
		m.cur.Store(nil)
		return
	}
	m.relogin.Store(false)
	m.cur.Store(m.newState(*t, issued))
}

// adopt is setToken(t, issued) for a token read from the shared store, done
// only while the cached token is still ours, the one the store was merged
// with: a token a login or refresh obtained meanwhile is newer than t, and
// ours may have been a token the server rejected, so it is kept.
func (m *TokenManager) adopt(ours, t *Token, issued time.Time) {
	s := m.cur.Load()
	if s == nil && ours != nil || s != nil && !tokenEqual(&s.tok, ours) {
		return
	}
	var next *tokenState
	if t != nil {
		next = m.newState(*t, issued)
	}
	if m.cur.CompareAndSwap(s, next) {
		m.relogin.Store(t == nil)
	}
}

// Current returns a copy of the cached token, or nil if there is none. It
// does no I/O and may return an expired token.
func (m *TokenManager) Current() *Token {
	s := m.cur.Load()
	if s == nil {
		return nil
	}
	t := s.tok
	return &t
}

// current is Current with the time the token was obtained (zero: unknown).
func (m *TokenManager) current() (*Token, time.Time) {
	s := m.cur.Load()
	if s == nil {
		return nil, time.Time{}
	}
	t := s.tok
	return &t, s.issued
}

// holds reports whether the cached token equals t (nil: none is cached),
// without copying it: the per-response change check of autosave uses it.
func (m *TokenManager) holds(t *Token) bool {
	s := m.cur.Load()
	if s == nil {
		return t == nil
	}
	return tokenEqual(&s.tok, t)
}

// Invalidate reports that the server rejected t (a 401). If t is still the
// cached token, the next use refreshes it or logs in again; if the token was
// rotated meanwhile, the new one is kept. A nil t does nothing.
func (m *TokenManager) Invalidate(t *Token) { m.invalidate(t) }

// authorization returns the cached token and its precomputed Authorization
// header values (one), logging in or refreshing first if needed. With a
// valid cached token it does not allocate. header is nil for a cookie-only
// session: then no Authorization header is sent, but sent is still non-nil
// so that a 401 can invalidate the session. sent identifies the token for
// invalidate; neither may be modified.
//
// On a 401 the caller passes sent to invalidate and calls authorization
// again for the replay; however many requests do so at once, one refresh
// runs.
func (m *TokenManager) authorization(ctx context.Context) (sent *Token, header []string, err error) {
	s := m.cur.Load()
	if !s.usable(m.now()) {
		if s, err = m.state(ctx); err != nil {
			return nil, nil, err
		}
	}
	return &s.tok, s.header, nil
}

// invalidate is compare-and-invalidate: the cached token is marked stale
// only if it is sent (the pointer authorization returned, or a copy with the
// same access and refresh tokens). Many concurrent calls for the same sent
// token thus cause one refresh, and a token another goroutine has already
// rotated in is not thrown away. The refresh token of a stale token is kept
// for the refresh.
func (m *TokenManager) invalidate(sent *Token) {
	if sent == nil {
		return
	}
	for {
		s := m.cur.Load()
		if s == nil || s.stale {
			return
		}
		if sent != &s.tok && (sent.AccessToken == "" ||
			sent.AccessToken != s.tok.AccessToken || sent.RefreshToken != s.tok.RefreshToken) {
			return
		}
		st := *s
		st.stale = true
		if m.cur.CompareAndSwap(s, &st) {
			m.log.Debug("httpsession: token invalidated")
			return
		}
	}
}

// state returns a usable cached token, or joins (or starts) the login or
// refresh in flight and waits for it under ctx.
func (m *TokenManager) state(ctx context.Context) (*tokenState, error) {
	if s := m.cur.Load(); s.usable(m.now()) {
		return s, nil
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	m.mu.Lock()
	// A flight may have finished since the check above.
	s := m.cur.Load()
	if s.usable(m.now()) {
		m.mu.Unlock()
		return s, nil
	}
	f := m.flight
	if f == nil {
		f = &flight{done: make(chan struct{})}
		m.flight = f
		go m.run(context.WithoutCancel(ctx), f, s)
	}
	m.mu.Unlock()

	select {
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-f.done:
		// The result is handed to every waiter as it is, even if it is
		// already close to expiry, so a failure is reported once per
		// waiter rather than retried by each.
		return f.state, f.err
	}
}

// run performs one login or refresh and publishes its result to the waiters.
func (m *TokenManager) run(ctx context.Context, f *flight, old *tokenState) {
	ctx, cancel := context.WithTimeout(ctx, m.timeout)
	defer cancel()

	var (
		s   *tokenState
		err error
	)
	func() {
		defer func() {
			if r := recover(); r != nil {
				s, err = nil, panicError(r)
				m.log.Error("httpsession: authenticator panicked", "error", err, "stack", string(debug.Stack()))
			}
		}()
		s, err = m.fetch(ctx, old)
	}()

	m.mu.Lock()
	if err == nil {
		m.cur.Store(s)
	}
	f.state, f.err = s, err
	m.flight = nil
	close(f.done)
	m.mu.Unlock()
}

// panicError describes a recovered panic of an Authenticator. Only a
// runtime error is quoted: any other value is the authenticator's own and
// may hold the credentials it was handling, so only its type is named.
func panicError(r any) error {
	if re, ok := r.(runtime.Error); ok {
		return fmt.Errorf("httpsession: authenticator panicked: %w", re)
	}
	return fmt.Errorf("httpsession: authenticator panicked with a %T", r)
}

// obtain refreshes old if it has a refresh token, and logs in otherwise or
// when the refresh fails. A refresh the server rejects is first checked
// against the shared store: another process may have rotated the token a
// moment ago.
func (m *TokenManager) obtain(ctx context.Context, old *tokenState) (*tokenState, error) {
	var s *tokenState
	if old != nil && old.tok.RefreshToken != "" {
		var (
			adopted bool
			err     error
		)
		if s, adopted, err = m.refresh(ctx, old); err != nil || adopted {
			return s, err
		}
	}
	if s == nil {
		var err error
		if s, err = m.login(ctx); err != nil {
			return nil, err
		}
	}
	if m.onChange != nil {
		cp := s.tok
		if err := m.onChange(&cp); err != nil {
			m.log.Error("httpsession: saving the new token failed; using it anyway", "error", err)
		}
	}
	return s, nil
}

// refresh presents old's refresh token. It returns the state of the new
// token, or nil when a login is to replace the refresh; or, adopted, the
// state another process stored after the server rejected the refresh;
// or the error that ends obtain: a provider out of reach.
func (m *TokenManager) refresh(ctx context.Context, old *tokenState) (s *tokenState, adopted bool, err error) {
	cp := old.tok
	t, err := m.auth.Refresh(ctx, m.hc, &cp)
	switch {
	case err == nil && t == nil:
		m.log.Warn("httpsession: refresh returned no token; logging in")
		return nil, false, nil
	case err != nil && errors.Is(err, ErrNoRefresh):
		return nil, false, nil
	case err != nil && unreachable(err):
		// The provider is down, not refusing: the refresh token may
		// still be good, and a login would fail the same way.
		return nil, false, err
	case err != nil:
		if m.shared != nil {
			if s, ok := m.newer(old); ok {
				return s, true, nil
			}
		}
		if rejectedGrant(err) {
			m.forgetRefreshToken(old)
		}
		m.log.Warn("httpsession: refresh failed; logging in", "error", err)
		return nil, false, nil
	case !headerSafe(t):
		m.log.Warn("httpsession: refresh returned a token no header can carry; logging in")
		return nil, false, nil
	}
	t2 := *t
	// RFC 6749 §6: without a new refresh token the old one stays.
	if t2.RefreshToken == "" {
		t2.RefreshToken = old.tok.RefreshToken
	}
	m.log.Debug("httpsession: token refreshed", "expiry", expiryString(t2.Expiry))
	return m.newState(t2, m.now()), false, nil
}

// login logs in with the Authenticator and returns the state of a token a
// header can carry, or the error that ends obtain.
func (m *TokenManager) login(ctx context.Context) (*tokenState, error) {
	t, err := m.auth.Login(ctx, m.hc)
	if err != nil {
		var ae *AuthError
		var oe *OAuth2Error
		var fe *FlowError
		if errors.As(err, &ae) || errors.As(err, &oe) || errors.As(err, &fe) {
			return nil, err // names its endpoint or flow already
		}
		return nil, fmt.Errorf("httpsession: login: %w", err)
	}
	if t == nil {
		return nil, errNoToken
	}
	if !headerSafe(t) {
		return nil, errTokenUnsendable
	}
	m.log.Debug("httpsession: logged in", "expiry", expiryString(t.Expiry))
	return m.newState(*t, m.now()), nil
}

// errTokenUnsendable reports a login that returned a token an
// Authorization header can't carry. It matches ErrAuthResponse.
var errTokenUnsendable = &AuthError{Reason: "login returned a token with characters a header can't carry (CR, LF, NUL or another control)"}

// unreachable reports whether a refresh failed without an answer from the
// server: a connection refused, a timeout, a name that does not resolve.
func unreachable(err error) bool {
	var ae *AuthError
	return errors.As(err, &ae) && ae.Status == 0 && ae.Err != nil
}

// rejectedGrant reports whether the server refused the refresh token
// itself (RFC 6749 §5.2 invalid_grant): revoked, expired or reused.
func rejectedGrant(err error) bool {
	var oe *OAuth2Error
	return errors.As(err, &oe) && oe.Code == "invalid_grant"
}

// forgetRefreshToken drops the refresh token the server refused, from the
// cache and (through OnTokenChange) from the store, so that neither this
// process nor a later one presents it again.
func (m *TokenManager) forgetRefreshToken(old *tokenState) {
	st := *old
	st.tok.RefreshToken, st.stale = "", true
	m.cur.Store(&st)
	if m.onChange != nil {
		cp := st.tok
		if err := m.onChange(&cp); err != nil {
			m.log.Warn("httpsession: removing the refused refresh token from the store failed", "error", err)
		}
	}
}
