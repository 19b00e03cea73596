package main

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/httpsession/httpsession"
	"github.com/httpsession/httpsession/oauth"
	"golang.org/x/term"
)

// authConfig is how the CLI logs in again or refreshes for a session file.
// It lives beside the session file as FILE.auth.json (0600) and holds no
// secret: passwords and client secrets come from the environment or a
// prompt each time they are needed.
type authConfig struct {
	Kind       string `json:"kind"` // json, oauth2-password, oauth2-client, oauth2-browser, oauth2-device
	LoginURL   string `json:"login_url,omitempty"`
	RefreshURL string `json:"refresh_url,omitempty"`
	TokenURL   string `json:"token_url,omitempty"`
	AuthURL    string `json:"auth_url,omitempty"`
	DeviceURL  string `json:"device_url,omitempty"`
	Username   string `json:"username,omitempty"`
	ClientID   string `json:"client_id,omitempty"`
	// RefreshStyle is how a json login's refresh token travels: "body"
	// (or ""), "bearer" or "cookie"; RefreshCookie names the cookie.
	RefreshStyle  string   `json:"refresh_style,omitempty"`
	RefreshCookie string   `json:"refresh_cookie,omitempty"`
	Scopes        []string `json:"scopes,omitempty"`
	Origins       []string `json:"origins"`
	// TokenAuthMethods are the token_endpoint_auth_methods_supported of
	// the issuer's discovery document, when it named them.
	TokenAuthMethods []string `json:"token_auth_methods,omitempty"`
	// UsernameField and PasswordField name a form login's inputs when
	// the form does not make them obvious.
	UsernameField string `json:"username_field,omitempty"`
	PasswordField string `json:"password_field,omitempty"`
	// CSRF is how every request of the session sends the site's CSRF
	// token: a convention (django, angular, laravel, rails, spring) or
	// cookie:NAME:HEADER or meta:NAME:HEADER; "" sends none.
	CSRF string `json:"csrf,omitempty"`
	// AuthParams are extra parameters of the authorization request of a
	// browser or device login (prompt, login_hint, audience, …).
	AuthParams map[string]string `json:"auth_params,omitempty"`
	// Issuer is the OpenID issuer the endpoints were discovered from;
	// IssParameter records that it promises the iss parameter of RFC
	// 9207 in its authorization responses, which is then checked.
	Issuer       string `json:"issuer,omitempty"`
	IssParameter bool   `json:"iss_parameter,omitempty"`

	session string // the session file this configuration belongs to
}

func authConfigPath(session string) string { return session + ".auth.json" }

// readAuthConfig reads FILE.auth.json, nil when there is none. It is read
// by the code and the rules of the session file (httpsession.FileStore):
// a regular file of this user, not a symbolic link, not a FIFO, of bounded
// size. Whoever could plant one could send this user's password to a login
// URL of their choosing.
func readAuthConfig(session string) (*authConfig, error) {
	b, err := httpsession.NewFileStore(nil, authConfigPath(session)).Load()
	if err != nil {
		return nil, fmt.Errorf("login configuration: %w", err)
	}
	if b == nil {
		return nil, nil
	}
	ac := authConfig{session: session}
	if err := json.Unmarshal(b, &ac); err != nil {
		return nil, fmt.Errorf("%s: not a login configuration: %s", authConfigPath(session), jsonProblem(err))
	}
	return &ac, nil
}

func writeAuthConfig(session string, ac *authConfig) error {
	b, err := json.MarshalIndent(ac, "", "  ")
	if err != nil {
		return err
	}
	return writeFileAtomic(authConfigPath(session), append(b, '\n'), 0o600)
}

// secrets supplies passwords and client secrets: from the environment,
// from standard input (--password-stdin), or from a prompt without echo
// when standard input is a terminal.
type secrets struct {
	e          *env
	fromStdin  bool
	hasStdin   bool // the command has --password-stdin, so an error may suggest it
	noPrompt   bool // only the environment; "" when it has nothing
	stdinLines *bufio.Reader
}

// get returns the secret of envName. what names it ("password"), who is
// whose it is ("demo at http://127.0.0.1:8080"), for the prompt and errors.
func (s *secrets) get(envName, what, who string) (string, error) {
	if v := s.e.getenv(envName); v != "" || s.noPrompt {
		return v, nil
	}
	if s.fromStdin {
		if s.stdinLines == nil {
			s.stdinLines = bufio.NewReader(s.e.stdin)
		}
		line, err := s.stdinLines.ReadString('\n')
		if err != nil && (err != io.EOF || line == "") {
			return "", fmt.Errorf("reading the %s from standard input: %w", what, err)
		}
		return strings.TrimRight(line, "\r\n"), nil
	}
	if f, ok := s.e.stdin.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		fmt.Fprintf(s.e.stderr, "%s for %s: ", capitalize(what), who)
		b, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(s.e.stderr)
		if err != nil {
			return "", err
		}
		return string(b), nil
	}
	how := "set " + envName
	if s.hasStdin {
		how += ", pass --password-stdin,"
	}
	return "", &noSecretError{msg: fmt.Sprintf("no %s for %s: %s or run in a terminal", what, who, how)}
}

// noSecretError is a secret that no source could give: a runtime
// condition (exit 1), not a usage error.
type noSecretError struct{ msg string }

func (e *noSecretError) Error() string { return e.msg }

func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// site is the scheme://host of rawURL, for prompts and messages.
func site(rawURL string) string {
	u, err := url.Parse(rawURL)
	if err != nil || u.Host == "" {
		return rawURL
	}
	return u.Scheme + "://" + u.Host
}

// authenticator builds the Authenticator a configuration describes.
func (ac *authConfig) authenticator(s *secrets) (httpsession.Authenticator, error) {
	switch ac.Kind {
	case "json":
		style, ok := refreshStyle(ac.RefreshStyle)
		if !ok {
			return nil, usagef("bad --refresh-style %q: want body, bearer or cookie", ac.RefreshStyle)
		}
		pw, err := s.get("HTTPSESSION_PASSWORD", "password", ac.Username+" at "+site(ac.LoginURL))
		if err != nil {
			return nil, err
		}
		if pw == "" && !s.noPrompt {
			return nil, fmt.Errorf("empty password for %s at %s: nothing was sent", ac.Username, site(ac.LoginURL))
		}
		return &httpsession.JSONLogin{LoginURL: ac.LoginURL, RefreshURL: ac.RefreshURL, Username: ac.Username, Password: pw,
			RefreshStyle: style, RefreshCookie: ac.RefreshCookie}, nil
	case "oauth2-password":
		pw, err := s.get("HTTPSESSION_PASSWORD", "password", ac.Username+" at "+site(ac.TokenURL))
		if err != nil {
			return nil, err
		}
		if pw == "" && !s.noPrompt {
			return nil, fmt.Errorf("empty password for %s at %s: nothing was sent", ac.Username, site(ac.TokenURL))
		}
		cs := s.e.getenv("HTTPSESSION_CLIENT_SECRET")
		return &oauth.Credentials{TokenURL: ac.TokenURL, ClientID: ac.ClientID, ClientSecret: cs, AuthStyle: ac.authStyle(cs),
			Username: ac.Username, Password: pw, Scopes: ac.Scopes}, nil
	case "oauth2-client":
		cs, err := s.get("HTTPSESSION_CLIENT_SECRET", "client secret", ac.ClientID+" at "+site(ac.TokenURL))
		if err != nil {
			return nil, err
		}
		return &oauth.Credentials{TokenURL: ac.TokenURL, ClientID: ac.ClientID, ClientSecret: cs, AuthStyle: ac.authStyle(cs),
			Scopes: ac.Scopes}, nil
	case "form":
		pw, err := s.get("HTTPSESSION_PASSWORD", "password", ac.Username+" at "+site(ac.LoginURL))
		if err != nil {
			return nil, err
		}
		if pw == "" && !s.noPrompt {
			return nil, fmt.Errorf("empty password for %s at %s: nothing was sent", ac.Username, site(ac.LoginURL))
		}
		return &httpsession.FormLogin{LoginURL: ac.LoginURL, Username: ac.Username, Password: pw,
			UsernameField: ac.UsernameField, PasswordField: ac.PasswordField}, nil
	case "oauth2-browser", "oauth2-device":
		return ac.userFlow(s.e, false, false), nil // refresh only: never a browser
	}
	return nil, usagef("unknown --kind %q: want %s", ac.Kind, kinds)
}

const kinds = "json, form, oauth2-password, oauth2-client, oauth2-browser or oauth2-device"

// csrf is the Options.CSRF of the configuration's CSRF setting.
func (ac *authConfig) csrf() (*httpsession.CSRF, error) {
	if ac == nil || ac.CSRF == "" {
		return nil, nil
	}
	src, rest, custom := strings.Cut(ac.CSRF, ":")
	if !custom {
		return &httpsession.CSRF{Convention: ac.CSRF}, nil
	}
	name, header, ok := strings.Cut(rest, ":")
	switch {
	case ok && src == "cookie":
		return &httpsession.CSRF{Cookie: name, Header: header}, nil
	case ok && src == "meta":
		return &httpsession.CSRF{Meta: name, Header: header}, nil
	}
	return nil, usagef("bad --csrf %q: want django, angular, laravel, rails, spring, cookie:NAME:HEADER or meta:NAME:HEADER", ac.CSRF)
}

func runLogin(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet(e, "login", "login --session FILE --kind KIND [flags]")
	session := sessionFlag(fs, e, "to save")
	ac := &authConfig{}
	fs.StringVar(&ac.Kind, "kind", "json", "login flow: "+kinds+" (default: the one saved in FILE.auth.json, else json)")
	fs.StringVar(&ac.LoginURL, "login-url", "", "json: URL that takes {\"username\",\"password\"}; form: the page with the login form")
	fs.StringVar(&ac.RefreshURL, "refresh-url", "", "json: URL that refreshes the token (empty: log in again instead)")
	fs.StringVar(&ac.RefreshStyle, "refresh-style", "body", "json: how the refresh token goes to --refresh-url: body ({\"refresh_token\": …}), bearer (Authorization: Bearer, as flask-jwt-extended wants) or cookie")
	fs.StringVar(&ac.RefreshCookie, "refresh-cookie", "", "json, --refresh-style cookie: the cookie's `name` (default refresh_token)")
	fs.StringVar(&ac.UsernameField, "username-field", "", "form: the `name` of the user input, when the form doesn't make it obvious")
	fs.StringVar(&ac.PasswordField, "password-field", "", "form: the `name` of the password input, when the form has several")
	fs.StringVar(&ac.CSRF, "csrf", "", "send the site's CSRF token on requests that change something, to the origin that set it: django, angular, laravel, rails, spring, cookie:NAME:HEADER or meta:NAME:HEADER")
	fs.StringVar(&ac.TokenURL, "token-url", "", "oauth2: the token endpoint")
	fs.StringVar(&ac.AuthURL, "auth-url", "", "oauth2-browser: the authorization endpoint")
	fs.StringVar(&ac.DeviceURL, "device-url", "", "oauth2-device: the device authorization endpoint")
	issuer := fs.String("issuer", "", "oauth2-browser, oauth2-device: OpenID issuer `URL` whose .well-known/openid-configuration gives the endpoints (scope openid unless --scope)")
	noBrowser := fs.Bool("no-browser", false, "oauth2-browser: print the URL to open instead of opening a browser")
	wait := fs.Duration("wait", defaultUserWait, "oauth2-browser, oauth2-device: how long to wait for the user")
	var params stringList
	fs.Var(&params, "auth-param", "oauth2-browser, oauth2-device: `k=v` added to the authorization request, e.g. prompt=login, login_hint=me@example.com, audience=… (repeatable)")
	fs.StringVar(&ac.Username, "username", e.getenv("HTTPSESSION_USERNAME"), "user name ($HTTPSESSION_USERNAME)")
	fs.StringVar(&ac.ClientID, "client-id", e.getenv("HTTPSESSION_CLIENT_ID"), "oauth2: client ID ($HTTPSESSION_CLIENT_ID)")
	scope := fs.String("scope", "", "oauth2: space-separated scopes")
	var origins stringList
	fs.Var(&origins, "origin", "`origin` allowed the bearer token (repeatable; default: the login or token URL's origin)")
	pwStdin := fs.Bool("password-stdin", false, "read the password (or client secret) from the first line of standard input")
	if err := parseNoArgs(fs, args); err != nil {
		return err
	}
	if *session == "" {
		return errNoSession
	}
	ac.session = *session
	if *scope != "" {
		ac.Scopes = strings.Fields(*scope)
	}
	if err := ac.setAuthParams(params); err != nil {
		return err
	}
	// The settings saved by the last login are the defaults: "login
	// --session F" logs in again the same way.
	saved, err := readAuthConfig(*session)
	if err != nil {
		return err
	}
	if saved != nil {
		set := map[string]bool{}
		fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
		if ac.inherit(saved, set, *issuer != "") && len(origins) == 0 {
			origins = saved.Origins
		}
	}
	if _, err := ac.csrf(); err != nil {
		return err
	}
	if isUserFlow(ac.Kind) {
		return runUserLogin(ctx, e, ac, *session, *issuer, origins, *noBrowser, *wait)
	}
	return runDirectLogin(ctx, e, ac, *session, origins, *pwStdin)
}

// runDirectLogin is "httpsession login" for the kinds that need no browser:
// a password or a client secret.
func runDirectLogin(ctx context.Context, e *env, ac *authConfig, session string, origins stringList, pwStdin bool) error {
	endpoint := ac.LoginURL
	switch ac.Kind {
	case "json", "form":
		if ac.LoginURL == "" || ac.Username == "" {
			return usagef("--kind %s needs --login-url and --username", ac.Kind)
		}
	case "oauth2-password", "oauth2-client":
		if ac.TokenURL == "" || ac.ClientID == "" {
			return usagef("--kind %s needs --token-url and --client-id", ac.Kind)
		}
		if ac.Kind == "oauth2-password" && ac.Username == "" {
			return usagef("--kind oauth2-password needs --username")
		}
		endpoint = ac.TokenURL
	default:
		return usagef("unknown --kind %q: want %s", ac.Kind, kinds)
	}
	if len(origins) == 0 {
		u, err := url.Parse(endpoint)
		if err != nil || u.Host == "" {
			return usagef("bad URL %q", endpoint)
		}
		origins = stringList{u.Scheme + "://" + u.Host}
	}
	ac.Origins = origins

	if _, ok := refreshStyle(ac.RefreshStyle); !ok {
		return usagef("bad --refresh-style %q: want body, bearer or cookie", ac.RefreshStyle)
	}
	if ac.RefreshStyle == "body" {
		ac.RefreshStyle = ""
	}
	a, err := ac.authenticator(&secrets{e: e, fromStdin: pwStdin, hasStdin: true})
	if err != nil {
		return err
	}
	tok, err := loginAndSave(ctx, e, session, ac, a, nil)
	if err != nil {
		return err
	}
	if ac.Kind == "form" {
		fmt.Fprintf(e.stderr, "logged in; session saved to %s\n", session)
		return nil
	}
	fmt.Fprintf(e.stderr, "logged in; token saved to %s (%s)\n", session, describeExpiry(tok, time.Now()))
	return nil
}

// loginAndSave logs in with a afresh (an explicit login replaces the saved
// token), then saves the token with the session, encrypted if the key
// options say so, and the login configuration beside it. The login runs
// on a Client of its own that keeps nothing on disk: a login that fails or
// is cancelled (Ctrl-C, consent denied) leaves the session file and its
// configuration as they were.
func loginAndSave(ctx context.Context, e *env, session string, ac *authConfig, a httpsession.Authenticator, to *httpsession.TokenOptions) (*httpsession.Token, error) {
	o, err := sessionOptions(e, session)
	if err != nil {
		return nil, err
	}
	csrf, err := ac.csrf()
	if err != nil {
		return nil, err
	}
	lc, err := newClient(e, "", httpsession.Options{Auth: a, AuthOrigins: ac.Origins, TokenOptions: to, CSRF: csrf})
	if err != nil {
		return nil, err
	}
	tok, err := lc.Tokens().Token(ctx)
	lc.Close() // in memory: nothing to save
	if err != nil {
		return nil, err
	}
	o.Auth, o.AuthOrigins, o.CSRF = a, ac.Origins, csrf
	c, err := newClient(e, session, o)
	if err != nil {
		return nil, err
	}
	for _, ck := range lc.Jar().All() {
		_ = c.Jar().Add(ck) // the jar accepted it once already
	}
	c.Tokens().SetToken(tok)
	if err := c.Close(); err != nil {
		return nil, err
	}
	return tok, writeAuthConfig(session, ac)
}

// setAuthParams adds the --auth-param k=v pairs.
func (ac *authConfig) setAuthParams(params []string) error {
	for _, p := range params {
		k, v, ok := strings.Cut(p, "=")
		if !ok || k == "" {
			return usagef("bad --auth-param %q: want k=v", p)
		}
		if ac.AuthParams == nil {
			ac.AuthParams = map[string]string{}
		}
		ac.AuthParams[k] = v
	}
	return nil
}

// inherit fills what the flags left unset from saved, the configuration
// of the last login: a flag given on the command line wins. A new issuer
// discovers its own endpoints. It reports whether saved applies (the same
// kind of login), and so do its origins.
func (ac *authConfig) inherit(saved *authConfig, set map[string]bool, newIssuer bool) bool {
	if saved.Kind == "" || set["kind"] && ac.Kind != saved.Kind {
		return false // another kind of login: nothing of the old one applies
	}
	ac.Kind = saved.Kind
	for _, f := range []struct {
		flag string
		dst  *string
		v    string
	}{
		{"login-url", &ac.LoginURL, saved.LoginURL},
		{"refresh-url", &ac.RefreshURL, saved.RefreshURL}, {"refresh-style", &ac.RefreshStyle, saved.RefreshStyle},
		{"refresh-cookie", &ac.RefreshCookie, saved.RefreshCookie}, {"username-field", &ac.UsernameField, saved.UsernameField},
		{"password-field", &ac.PasswordField, saved.PasswordField}, {"csrf", &ac.CSRF, saved.CSRF},
		{"username", &ac.Username, saved.Username}, {"client-id", &ac.ClientID, saved.ClientID},
	} {
		if !set[f.flag] && f.v != "" {
			*f.dst = f.v
		}
	}
	if !newIssuer {
		for _, f := range []struct {
			flag string
			dst  *string
			v    string
		}{{"token-url", &ac.TokenURL, saved.TokenURL}, {"auth-url", &ac.AuthURL, saved.AuthURL}, {"device-url", &ac.DeviceURL, saved.DeviceURL}} {
			if !set[f.flag] && f.v != "" {
				*f.dst = f.v
			}
		}
		ac.Issuer, ac.IssParameter, ac.TokenAuthMethods = saved.Issuer, saved.IssParameter, saved.TokenAuthMethods
	}
	if !set["scope"] {
		ac.Scopes = saved.Scopes
	}
	if !set["auth-param"] {
		ac.AuthParams = saved.AuthParams
	}
	return true
}

// refreshStyle returns the JSONLogin refresh style of --refresh-style:
// "body" (or ""), "bearer" or "cookie", the names RefreshStyle.String
// gives.
func refreshStyle(name string) (httpsession.RefreshStyle, bool) {
	for _, s := range []httpsession.RefreshStyle{httpsession.RefreshInBody, httpsession.RefreshInBearer, httpsession.RefreshInCookie} {
		if strings.EqualFold(name, s.String()) {
			return s, true
		}
	}
	return httpsession.RefreshInBody, name == ""
}
