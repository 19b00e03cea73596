package httpsession

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"path/filepath"
	"sync"
	"time"

	"github.com/httpsession/httpsession/internal/redact"
	"github.com/spf13/afero"
)

// version is the library's version, sent in the default User-Agent.
const version = "0.1.0"

// ErrCredentialHeader is returned by New when Options.Header carries
// credentials (Authorization, Proxy-Authorization or Cookie), which default
// headers would send to every host.
var ErrCredentialHeader = errors.New("httpsession: credentials in default headers")

// Options configures a Client. The zero value is a working client with an
// in-memory jar, the default retry policy and no bearer tokens.
type Options struct {
	// SessionFile is the JSON file the session (cookies and token) is loaded
	// from by New and written to by Save. "" keeps the session in memory.
	SessionFile string
	// FS is the filesystem SessionFile lives on. Nil means the OS filesystem.
	FS afero.Fs
	// Session tunes how the session file is written. Nil means defaults.
	Session *SessionOptions
	// Store, when set, keeps the session instead of SessionFile and FS: a
	// networked store shared by a fleet of workers, for example. It is
	// loaded by New and merge-saved by Save like the file.
	Store Store

	// Auth logs in and refreshes bearer tokens. Nil means no bearer tokens.
	Auth Authenticator
	// AuthOrigins are the origins ("https://api.example.com",
	// "http://127.0.0.1:8080") that may receive the bearer token. It is
	// checked on every hop of every request, so a redirect to another
	// origin never carries the token; a Host header set on the request
	// must name an allowed origin too. Plain http is accepted only for
	// loopback hosts unless AllowInsecureAuth is set. New fails if Auth is
	// set and AuthOrigins is empty, except for a *FormLogin, which sends no
	// bearer token: its LoginURL's origin is then the one whose 401 means
	// "log in again".
	AuthOrigins []string
	// AllowInsecureAuth permits plain-http AuthOrigins on non-loopback
	// hosts. False means the bearer token only travels over https or to
	// this machine.
	AllowInsecureAuth bool
	// TokenOptions tunes the token manager that Client.Tokens returns
	// (refresh skew, timeouts, a change hook). Nil means defaults. Its
	// Logger defaults to the Client's.
	TokenOptions *TokenOptions

	// CSRF sends the site's CSRF token back on requests that change
	// something, by a named framework convention or a cookie (or <meta>)
	// and header of your choice; see CSRF. Nil means no CSRF token is sent
	// but the ones the caller sets. It is an option of the Client, not of
	// FormLogin, because the token belongs to the session whatever logged
	// it in (a form, a JSON login, cookies from a browser) and only the
	// Client sees every response that sets it and every request that needs
	// it, the login's own included.
	CSRF *CSRF

	// Retry is the policy for 429, 502, 503 and 504 responses and
	// connection errors. Nil means
	// DefaultRetryPolicy(); MaxAttempts 1 disables retries.
	Retry *RetryPolicy
	// Header holds default headers, added to each request that doesn't set
	// them itself. A nil Header, or one without User-Agent, gets the
	// library's own User-Agent ("httpsession/0.1.0"). Credentials are
	// refused here (ErrCredentialHeader): default headers reach every host.
	Header http.Header
	// Transport sends the requests. Nil means a clone of
	// http.DefaultTransport whose ResponseHeaderTimeout is 30 seconds
	// (the body may take as long as it takes), so that a server that never answers
	// cannot hold a request forever. A Transport given here is used as it
	// is.
	Transport http.RoundTripper
	// Jar tunes the cookie jar. Nil means defaults.
	Jar *JarOptions
	// Logger receives debug records of retries, refreshes and saves:
	// method, redacted URL, status, attempt, wait. Never headers, cookies,
	// tokens or bodies. Nil means silence.
	Logger *slog.Logger
	// Now is the session's one clock, for cookie and token expiry: the
	// jar's and the token manager's, which dates a token's expires_in
	// (Token.ExpiresIn) with it. Nil means time.Now. Retry waits and
	// budgets run on time.Now whatever it is (RetryPolicy.Sleep is the one
	// sleep). It is there for programs built on httpsession to test their
	// own handling of expiry against real sockets (httptest servers), where
	// testing/synctest cannot move time.
	Now func() time.Time
	// AutoSave, when positive, writes the session file that long after a
	// response changed the cookies or the token; later changes within the
	// delay share the same write. Zero or negative means the file is written only by
	// Save and Close (and, always, when the token changes).
	AutoSave time.Duration
	// SyncInterval, when positive, saves the session that often in the
	// background, whether or not anything changed here: this process's
	// changes are written and what other processes sharing the store
	// saved is merged into the jar. A worker's view of the others' cookies
	// is then at most SyncInterval (and one save) old. Zero or negative
	// means the session is synced only by Save, Close and AutoSave.
	SyncInterval time.Duration
}

// defaultResponseHeaderTimeout bounds the wait for a response's headers
// on the transport New creates when Options.Transport is nil. The body
// may take as long as it takes; a request's context bounds everything.
const defaultResponseHeaderTimeout = 30 * time.Second

// Client is an HTTP client that keeps a logged-in session: cookies, a
// bearer token and a retry policy, optionally persisted to a session file.
// A Client is safe for concurrent use by multiple goroutines.
type Client struct {
	jar    *Jar
	tokens *TokenManager
	hc     *http.Client
	sess   *session // nil without SessionFile or Store
	log    *slog.Logger

	autoDelay time.Duration

	mu      sync.Mutex  // guards the fields below
	pending func() bool // stops the scheduled autosave; nil when none
	closed  bool

	saving sync.WaitGroup // autosaves writing; Add only under mu while !closed

	stopSync chan struct{}  // closed by Close to end the background sync
	syncDone sync.WaitGroup // the background sync
}

// New returns a Client for o. With a SessionFile it loads the session: a
// missing file is an empty session, a corrupt one an error satisfying
// errors.Is(err, ErrCorruptSession). Every option is checked before the
// session file is touched.
func New(o Options) (*Client, error) {
	now := o.Now
	if now == nil {
		now = time.Now
	}
	log := o.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	header, err := defaultHeader(o.Header)
	if err != nil {
		return nil, err
	}
	origins, err := authOrigins(&o)
	if err != nil {
		return nil, err
	}
	csrf, err := newCSRF(o.CSRF)
	if err != nil {
		return nil, err
	}

	c := &Client{jar: newJar(o.Jar, now), log: log, autoDelay: o.AutoSave}
	base := o.Transport
	if base == nil {
		dt := http.DefaultTransport.(*http.Transport).Clone()
		dt.ResponseHeaderTimeout = defaultResponseHeaderTimeout
		base = dt
	}
	retry := o.Retry
	if retry == nil {
		retry = DefaultRetryPolicy()
	}
	t := &transport{base: base, jar: c.jar, header: header, retry: retry, log: log, changed: c.changed, csrf: csrf}

	if c.sess, err = openStore(&o, c.jar, log); err != nil {
		return nil, err
	}
	var shared PaceStore
	if c.sess != nil {
		shared, _ = c.sess.store.(PaceStore)
	}
	t.listen = newListener(retry, shared, log)
	if o.Auth != nil {
		c.startTokens(&o, t, now)
		t.tokens = c.tokens
		t.origins = origins
	}
	c.hc = &http.Client{Transport: t}
	if o.SyncInterval > 0 && c.sess != nil {
		c.stopSync = make(chan struct{})
		c.syncDone.Add(1)
		go c.syncEvery(o.SyncInterval)
	}
	return c, nil
}

// syncEvery saves the session every d until Close.
func (c *Client) syncEvery(d time.Duration) {
	defer c.syncDone.Done()
	t := time.NewTicker(d)
	defer t.Stop()
	for {
		select {
		case <-c.stopSync:
			return
		case <-t.C:
			if err := c.Save(); err != nil {
				c.log.Warn("httpsession: background sync failed", "err", err)
			}
		}
	}
}

// defaultHeader returns Options.Header with canonical keys, as Header.Set
// would make them: a map literal's "authorization" must be refused like
// "Authorization", and a default "user-agent" must yield to the request's
// own User-Agent.
func defaultHeader(h http.Header) (http.Header, error) {
	header := make(http.Header, len(h)+1)
	for k, vs := range h {
		ck := http.CanonicalHeaderKey(k)
		header[ck] = append(header[ck], vs...)
	}
	if header.Get("User-Agent") == "" {
		header.Set("User-Agent", "httpsession/"+version)
	}
	// Default headers go to every host a redirect reaches, so credentials
	// have no place there: cookies belong in the jar, a bearer or API key in
	// Auth, where AuthOrigins scopes them.
	for _, k := range []string{"Authorization", "Proxy-Authorization", "Cookie"} {
		if _, ok := header[k]; ok {
			return nil, fmt.Errorf("httpsession: Options.Header must not set %s: it would reach every host a redirect leads to; use Auth with AuthOrigins, or the Jar: %w", k, ErrCredentialHeader)
		}
	}
	return header, nil
}

// openStore loads the session of Options.Store or Options.SessionFile into
// jar; nil when the session lives in memory only.
func openStore(o *Options, jar *Jar, log *slog.Logger) (*session, error) {
	switch {
	case o.Store != nil:
		sess := newSession(o.Store, o.Session, jar, log)
		if err := sess.load(); err != nil {
			return nil, err
		}
		return sess, nil
	case o.SessionFile != "":
		fs := o.FS
		if fs == nil {
			fs = afero.NewOsFs()
		}
		// The directory exists from the start, 0700, so a path that can't
		// hold the session fails here rather than at the first save.
		if err := fs.MkdirAll(filepath.Dir(o.SessionFile), 0o700); err != nil {
			return nil, fmt.Errorf("httpsession: create session directory: %w", err)
		}
		return openSession(fs, o.SessionFile, o.Session, jar, log)
	}
	return nil, nil
}

// startTokens creates the token manager for Options.Auth, seeded with the
// session's token. Its authenticator's client carries the session's
// cookies, headers and retry policy (t's) but never the bearer token, and
// refuses redirects to another origin so credentials in a 307/308 body stay
// put.
func (c *Client) startTokens(o *Options, t *transport, now func() time.Time) {
	authT := &transport{base: t.base, jar: t.jar, header: t.header, retry: t.retry, listen: t.listen.forTokens(), log: t.log, changed: t.changed, csrf: t.csrf}
	authHC := &http.Client{Transport: authT, CheckRedirect: sameOriginRedirects}
	to := TokenOptions{}
	if o.TokenOptions != nil {
		to = *o.TokenOptions
	}
	if to.Logger == nil {
		to.Logger = c.log
	}
	userHook := to.OnTokenChange
	to.OnTokenChange = func(tok *Token) error {
		var err error
		if userHook != nil {
			err = userHook(tok)
		}
		// The session file gets a rotated token before anyone uses it,
		// so a crash can't lose a refresh token the server has already
		// retired.
		if c.sess != nil {
			if serr := c.sess.saveToken(tok); serr != nil {
				err = errors.Join(err, serr)
			}
		}
		return err
	}
	auth := o.Auth
	if cl, ok := auth.(cookieLogin); ok {
		auth = cl.bindJar(c.jar)
	}
	c.tokens = newTokenManager(auth, authHC, &to, now)
	if c.sess != nil {
		if tok := c.sess.token(); tok != nil {
			c.tokens.setToken(tok, c.sess.tokenUpdated())
		}
		c.sess.tokens = c.tokens
		c.tokens.shared = c.sess
	}
}

// HTTPClient returns the Client's *http.Client, for any SDK that accepts
// one. It has no Jar of its own: the session transport reads and fills the
// Client's jar on every hop. The same *http.Client is returned each time.
func (c *Client) HTTPClient() *http.Client { return c.hc }

// Do sends req through the session. It is HTTPClient().Do(req): the same
// redirects, the same *url.Error errors, and a non-2xx status is not an
// error. The caller closes the response body.
func (c *Client) Do(req *http.Request) (*http.Response, error) { return c.hc.Do(req) }

// Jar returns the Client's cookie jar.
func (c *Client) Jar() *Jar { return c.jar }

// Tokens returns the token manager, or nil without Options.Auth.
func (c *Client) Tokens() *TokenManager { return c.tokens }

// Save writes the session to Options.Store or Options.SessionFile, merging
// with what other Clients and processes saved since. A session that did
// not change here is only read back (what others saved is merged into the
// jar) unless the stored document changed, went missing or needs a write
// (MigratingStore). Without a Store or SessionFile it does nothing.
func (c *Client) Save() error {
	if c.sess == nil {
		return nil
	}
	return c.sess.save()
}

// Close stops autosave and the background sync and saves the session.
// Once it returns, the session is written only by Save and, as always, when
// the token changes (a refreshed token is stored at once). Close after
// Close or after Save is harmless.
func (c *Client) Close() error {
	c.mu.Lock()
	alreadyClosed := c.closed
	c.closed = true
	if c.pending != nil {
		c.pending()
		c.pending = nil
	}
	c.mu.Unlock()
	if c.stopSync != nil && !alreadyClosed {
		close(c.stopSync)
	}
	c.syncDone.Wait()
	// An autosave whose timer fired before the stop is let finish.
	c.saving.Wait()
	err := c.Save()
	c.hc.CloseIdleConnections()
	return err
}

// changed runs after every response. With AutoSave it schedules one save
// for the burst of changes that follows; when nothing changed it costs a
// generation check.
func (c *Client) changed() {
	if c.autoDelay <= 0 || c.sess == nil || !c.sess.dirty() {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed || c.pending != nil {
		return
	}
	c.pending = time.AfterFunc(c.autoDelay, c.autoSave).Stop
}

func (c *Client) autoSave() {
	c.mu.Lock()
	c.pending = nil
	if c.closed {
		// The timer fired as Close stopped it: Close saves instead.
		c.mu.Unlock()
		return
	}
	c.saving.Add(1)
	c.mu.Unlock()
	defer c.saving.Done()
	if err := c.Save(); err != nil {
		c.log.Warn("httpsession: autosave failed", "err", err)
	}
}

// String describes c without its secrets: where its session lives, the
// jar's cookie count and the redacted token.
func (c *Client) String() string {
	if c == nil {
		return "Client(nil)"
	}
	return fmt.Sprintf("Client{Session: %s, Jar: %s, Tokens: %s}", c.where(), c.jar, c.tokens)
}

// where names the store the session lives in, or "memory".
func (c *Client) where() string {
	if c.sess == nil {
		return "memory"
	}
	return storeName(c.sess.store)
}

// Format makes every fmt verb print String ("&httpsession.Client{…}" for
// %#v), so that no verb prints cookies, tokens or credentials.
func (c *Client) Format(f fmt.State, verb rune) {
	s := c.String()
	redact.Format(f, verb, s, "&httpsession."+s)
}

// LogValue describes c for log/slog without its secrets.
func (c *Client) LogValue() slog.Value {
	if c == nil {
		return slog.StringValue("Client(nil)")
	}
	return slog.GroupValue(slog.String("session", c.where()), slog.Any("jar", c.jar), slog.Any("tokens", c.tokens))
}
