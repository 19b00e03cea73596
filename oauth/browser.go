package oauth

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"html"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/httpsession/httpsession"
	"github.com/httpsession/httpsession/internal/redact"
	"github.com/httpsession/httpsession/internal/termtext"
	"golang.org/x/oauth2"
	"golang.org/x/term"
)

// Browser logs the user in with the OAuth 2.0 authorization code flow
// and PKCE (RFC 6749 §4.1, RFC 7636), the way a native app does (RFC 8252):
// it listens on a loopback address, opens the system browser on the
// authorization URL (with a random state and an S256 code challenge),
// receives the redirect, checks the state, exchanges the code with the
// verifier, and answers the browser with a short page saying it can be
// closed. Refresh uses the refresh_token grant; a rotated refresh token
// replaces the old one.
//
// Login needs a person. When Interactive reports false it fails at once with an
// error matching [httpsession.ErrLoginRequired], without opening anything: that
// is what a non-interactive process gets when it has no token or its refresh
// token was rejected (the TokenManager logs in again after a failed refresh).
// Otherwise Login waits for the user until ctx is done — the TokenManager
// bounds it by [httpsession.TokenOptions].RefreshTimeout, so give a browser
// login a generous one (a few minutes) or log in with Login directly.
//
// The token requests go through the hc the TokenManager passes (the
// session's cookies, never its bearer token) and do not follow redirects.
// Printing a Browser shows neither the client secret nor the query
// of its URLs.
type Browser struct {
	// Config holds the endpoints (AuthURL, TokenURL), ClientID,
	// ClientSecret (usually "" for a native app) and Scopes. A zero
	// Endpoint.AuthStyle means HTTP Basic for a client with a secret and
	// client_id in the body for one without. RedirectURL ""
	// means http://127.0.0.1:PORT/callback on a free port; otherwise it
	// must be an http URL on a loopback IP (or localhost), and its port —
	// 0 or none for a free one — and path are used. Config is not modified.
	Config *oauth2.Config

	// AuthParams are extra parameters of the authorization URL, such as
	// prompt, login_hint or audience (the CLI's --auth-param k=v); may be
	// nil. When Config.Scopes holds offline_access and AuthParams sets no
	// prompt, prompt=consent is sent: OpenID Connect Core §11 requires it
	// for offline_access, and providers that follow it (oidc-provider,
	// Keycloak, Okta) issue no refresh token without it.
	AuthParams url.Values

	// Issuer, when set, is the issuer the authorization response must come
	// from: its iss parameter must be present and equal (RFC 9207 §2.4),
	// else the login fails with ErrIssuerMismatch. Set it when the
	// provider's discovery document has
	// authorization_response_iss_parameter_supported; "" means no check.
	Issuer string

	// OpenURL shows the authorization URL to the user. Nil means the
	// user's web browser: the command in $BROWSER when it is set (the URL
	// is its one argument), else the platform's opener (xdg-open on Linux
	// and the BSDs, open on macOS, rundll32 url.dll on Windows), started
	// in a process group of its own and left running when the login is
	// over. When it returns an error the URL is printed on Stderr and
	// Login keeps listening.
	OpenURL func(ctx context.Context, url string) error

	// Stderr receives the URL when no browser could be opened. Nil means
	// os.Stderr.
	Stderr io.Writer

	// Interactive reports whether a person is there to log in. Nil means
	// whether standard input or standard error is a terminal.
	Interactive func() bool
}

const flowCode = "authorization code"

// Login implements [httpsession.Authenticator].
func (a *Browser) Login(ctx context.Context, hc *http.Client) (*httpsession.Token, error) {
	if a.Config == nil {
		return nil, errors.New("httpsession: oauth.Browser without Config")
	}
	if !interactive(a.Interactive) {
		return nil, loginRequired(flowCode)
	}
	cfg := tokenConfig(a.Config)
	if err := checkEndpoints(flowCode, "the authorization endpoint", cfg.Endpoint.AuthURL, "the token endpoint", cfg.Endpoint.TokenURL); err != nil {
		return nil, err
	}
	ln, redirect, err := listenLoopback(cfg.RedirectURL)
	if err != nil {
		return nil, err
	}
	cfg.RedirectURL = redirect.String()

	state, verifier := oauth2.GenerateVerifier(), oauth2.GenerateVerifier()
	opts := []oauth2.AuthCodeOption{oauth2.S256ChallengeOption(verifier)}
	for k, vs := range a.AuthParams {
		for _, v := range vs {
			opts = append(opts, oauth2.SetAuthURLParam(k, v))
		}
	}
	if !a.AuthParams.Has("prompt") && slices.Contains(cfg.Scopes, "offline_access") {
		opts = append(opts, oauth2.SetAuthURLParam("prompt", "consent"))
	}
	authURL := cfg.AuthCodeURL(state, opts...)

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	cb := &codeCallback{path: redirect.Path, state: state, issuer: a.Issuer, done: make(chan struct{})}
	cb.exchange = func(code string) (*httpsession.Token, error) {
		octx, ans := oauth2Context(ctx, hc)
		ot, err := cfg.Exchange(octx, code, oauth2.VerifierOption(verifier))
		if err != nil {
			return nil, oauth2Failure(ctx, redact.URLString(cfg.Endpoint.TokenURL), err, ans, code, verifier, cfg.ClientSecret)
		}
		return fromOAuth2(ot), nil
	}
	srv := &http.Server{
		Handler:           cb,
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          slog.NewLogLogger(slog.DiscardHandler, slog.LevelError),
		BaseContext:       func(net.Listener) context.Context { return ctx },
	}
	go func() { _ = srv.Serve(ln) }()
	defer func() {
		// Let the browser receive the page before the listener goes.
		sctx, scancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
		defer scancel()
		if srv.Shutdown(sctx) != nil {
			_ = srv.Close()
		}
	}()

	open := a.OpenURL
	if open == nil {
		open = openBrowser
	}
	if err := open(ctx, authURL); err != nil {
		fmt.Fprintf(stderrOr(a.Stderr), "Open this URL in a browser to log in:\n\n    %s\n\nWaiting for the browser on %s — Ctrl-C to cancel\n", termtext.Escape(authURL), redirect.Host)
	} else {
		fmt.Fprintf(stderrOr(a.Stderr), "waiting for the browser (%s) — Ctrl-C to cancel\n", termtext.Escape(authURL))
	}

	select {
	case <-ctx.Done():
		if n := cb.mismatched.Load(); n > 0 {
			return nil, fmt.Errorf("httpsession: oauth2 %s login: waiting for the browser: %w; %d redirects with the wrong state were refused: %w",
				flowCode, ctx.Err(), n, &httpsession.FlowError{Flow: flowCode, Err: ErrStateMismatch})
		}
		return nil, fmt.Errorf("httpsession: oauth2 %s login: waiting for the browser: %w", flowCode, ctx.Err())
	case <-cb.done:
		return cb.tok, cb.err
	}
}

// listenLoopback listens where raw (a RedirectURL, "" for the default)
// says, and returns the redirect URL with the port actually bound.
func listenLoopback(raw string) (net.Listener, *url.URL, error) {
	if raw == "" {
		raw = "http://127.0.0.1/callback"
	}
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != "http" || u.Hostname() == "" {
		return nil, nil, errors.New("httpsession: oauth.Browser: RedirectURL must be an http URL on a loopback address")
	}
	host := u.Hostname()
	ip := net.ParseIP(host)
	switch {
	case host == "localhost":
		// RFC 8252 §8.3: listen on the IP literal; the browser resolves
		// localhost to it.
		ip = net.IPv4(127, 0, 0, 1)
	case ip == nil || !ip.IsLoopback():
		return nil, nil, errors.New("httpsession: oauth.Browser: RedirectURL must be an http URL on a loopback address")
	}
	port := u.Port()
	if port == "" {
		port = "0"
	}
	ln, err := net.Listen("tcp", net.JoinHostPort(ip.String(), port))
	if err != nil {
		return nil, nil, fmt.Errorf("httpsession: oauth2 %s login: listen for the redirect: %w", flowCode, err)
	}
	u.Host = net.JoinHostPort(host, strconv.Itoa(ln.Addr().(*net.TCPAddr).Port))
	if u.Path == "" {
		u.Path = "/"
	}
	u.RawQuery, u.Fragment = "", ""
	return ln, u, nil
}

// codeCallback receives the redirect of the authorization server (RFC 6749
// §4.1.2). The first request to its path with the state that was sent ends
// the login: with a token, a denial or a failed exchange; the browser is
// told which. A request with another state (any local process can send
// one) is answered 400 and changes nothing: the login goes on waiting for
// the real redirect.
type codeCallback struct {
	path     string
	state    string
	issuer   string // the iss the response must carry (RFC 9207); "" means no check
	exchange func(code string) (*httpsession.Token, error)

	mismatched atomic.Int32 // requests refused for their state

	once sync.Once
	done chan struct{} // closed when tok or err is set
	tok  *httpsession.Token
	err  error
}

func (cb *codeCallback) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != cb.path || (r.Method != http.MethodGet && r.Method != http.MethodHead) {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Connection", "close")
	// RFC 6749 §10.12: the state must be the one sent, error or not.
	if subtle.ConstantTimeCompare([]byte(r.URL.Query().Get("state")), []byte(cb.state)) != 1 {
		cb.mismatched.Add(1)
		w.WriteHeader(http.StatusBadRequest)
		io.WriteString(w, page("Not this login.", "This answer does not belong to the login under way (its state differs). You can close this page."))
		return
	}
	handled := false
	cb.once.Do(func() {
		handled = true
		cb.tok, cb.err = cb.receive(r.URL.Query())
		close(cb.done)
	})
	if !handled {
		w.WriteHeader(http.StatusConflict)
		io.WriteString(w, page("This login is already over.", "You can close this page."))
		return
	}
	if cb.err != nil {
		w.WriteHeader(http.StatusBadRequest)
		io.WriteString(w, page("Login failed.", cb.err.Error()+" You can close this page."))
		return
	}
	io.WriteString(w, page("Logged in.", "You can close this page and return to the program."))
}

// receive checks the parameters of a redirect with the right state and
// exchanges the code.
func (cb *codeCallback) receive(q url.Values) (*httpsession.Token, error) {
	// RFC 9207 §2.4: from a provider that promises iss, a response without
	// it or with another is refused (a mix-up attack), error or not.
	if cb.issuer != "" && q.Get("iss") != cb.issuer {
		return nil, &httpsession.FlowError{Flow: flowCode, Err: ErrIssuerMismatch}
	}
	if code := q.Get("error"); code != "" {
		fe := &httpsession.FlowError{Flow: flowCode, Err: httpsession.ErrAuthResponse, Code: redact.Clean(code, 64), Description: redact.Clean(q.Get("error_description"), 200)}
		if code == "access_denied" {
			fe.Err = ErrAccessDenied
		}
		return nil, fe
	}
	code := q.Get("code")
	if code == "" {
		return nil, &httpsession.AuthError{Reason: "authorization response without a code"}
	}
	return cb.exchange(code)
}

// page is the small HTML page the browser is answered with.
func page(title, text string) string {
	return "<!doctype html><meta charset=utf-8><title>" + html.EscapeString(title) +
		"</title><body style=\"font-family:sans-serif;margin:3em\"><h1>" + html.EscapeString(title) +
		"</h1><p>" + html.EscapeString(text) + "</p></body>\n"
}

// Refresh implements [httpsession.Authenticator] with the refresh_token grant.
func (a *Browser) Refresh(ctx context.Context, hc *http.Client, t *httpsession.Token) (*httpsession.Token, error) {
	return refreshOAuth2(ctx, hc, a.Config, t)
}

func (a Browser) String() string { return "Browser{" + describeConfig(a.Config) + "}" }

// GoString implements fmt.GoStringer without the client secret.
func (a Browser) GoString() string { return "oauth." + a.String() }

// Format implements fmt.Formatter without the client secret.
func (a Browser) Format(f fmt.State, verb rune) {
	redact.Format(f, verb, a.String(), a.GoString())
}

// LogValue implements slog.LogValuer without the client secret.
func (a Browser) LogValue() slog.Value { return slog.StringValue(a.String()) }

// describeConfig describes an oauth2.Config without its client secret or
// the query of its URLs.
func describeConfig(c *oauth2.Config) string {
	if c == nil {
		return "Config: nil"
	}
	return fmt.Sprintf("AuthURL: %s, DeviceAuthURL: %s, TokenURL: %s, ClientID: %q, ClientSecret: %s, Scopes: %q",
		redact.URLString(c.Endpoint.AuthURL), redact.URLString(c.Endpoint.DeviceAuthURL), redact.URLString(c.Endpoint.TokenURL),
		c.ClientID, redact.Secret(c.ClientSecret), c.Scopes)
}

var _ httpsession.Authenticator = (*Browser)(nil)

// onTerminal reports whether a person can be asked to log in: whether the
// standard input or the standard error of the process is a terminal. It is
// what Browser and Device use when their Interactive field is
// nil.
func onTerminal() bool {
	return term.IsTerminal(int(os.Stdin.Fd())) || term.IsTerminal(int(os.Stderr.Fd()))
}

// openBrowser opens u in the user's web browser: with the command in
// $BROWSER when it is set (the URL is its one argument), else with the
// platform's opener — xdg-open on Linux and the BSDs, open on macOS,
// rundll32 url.dll on Windows. It returns once the opener has started and
// reports an error when none could be run; Browser then prints the
// URL instead. The program it starts is left alone, in a process group of
// its own: neither the end of ctx nor a Ctrl-C ends it.
//
// Only an http or https URL is opened (anything else is an error matching
// ErrBadOrigin: an opener runs a file: URL as a program's input, or
// a program), and the opener runs without the environment variables that
// hold secrets: those whose name contains PASSWORD, PASSWD, PASSPHRASE,
// SECRET or TOKEN, or ends in _KEY or APIKEY, such as HTTPSESSION_PASSWORD,
// HTTPSESSION_PASSPHRASE and HTTPSESSION_CLIENT_SECRET.
func openBrowser(ctx context.Context, u string) error {
	if p, err := url.Parse(u); err != nil || (!strings.EqualFold(p.Scheme, "https") && !strings.EqualFold(p.Scheme, "http")) || p.Host == "" {
		return &httpsession.AuthError{Endpoint: redact.URLString(u), Reason: "open a browser: not an http or https URL", Err: httpsession.ErrBadOrigin}
	}
	var name string
	var args []string
	if b := os.Getenv("BROWSER"); b != "" {
		// $BROWSER may hold arguments, but no shell syntax: split on blanks.
		f := strings.Fields(b)
		name, args = f[0], f[1:]
	} else {
		switch runtime.GOOS {
		case "darwin":
			name = "open"
		case "windows":
			name, args = "rundll32", []string{"url.dll,FileProtocolHandler"}
		default:
			name = "xdg-open"
		}
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	// Not bound to ctx: the browser is the user's, and stays open when the
	// login is over (a browser started by $BROWSER may be the very window
	// that shows the result page).
	cmd := exec.Command(name, append(args, u)...)
	cmd.Stdout, cmd.Stderr = io.Discard, io.Discard
	cmd.Env = openerEnv(os.Environ())
	detach(cmd)
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("httpsession: open a browser: %w", err)
	}
	// Reap the opener without waiting for it: a browser started by $BROWSER
	// may run for as long as the user keeps it open.
	go func() { _ = cmd.Wait() }()
	return nil
}

// interactive calls f, or onTerminal when f is nil.
func interactive(f func() bool) bool {
	if f == nil {
		return onTerminal()
	}
	return f()
}

// stderrOr returns w, or os.Stderr when w is nil.
func stderrOr(w io.Writer) io.Writer {
	if w == nil {
		return os.Stderr
	}
	return w
}
