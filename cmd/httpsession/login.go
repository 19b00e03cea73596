package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/httpsession/httpsession"
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
}

func authConfigPath(session string) string { return session + ".auth.json" }

func readAuthConfig(session string) (*authConfig, error) {
	b, err := os.ReadFile(authConfigPath(session))
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var ac authConfig
	if err := json.Unmarshal(b, &ac); err != nil {
		return nil, fmt.Errorf("%s: not a login configuration: %v", authConfigPath(session), err)
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
		return &httpsession.OAuth2Credentials{TokenURL: ac.TokenURL, ClientID: ac.ClientID, ClientSecret: cs, AuthStyle: ac.authStyle(cs),
			Username: ac.Username, Password: pw, Scopes: ac.Scopes}, nil
	case "oauth2-client":
		cs, err := s.get("HTTPSESSION_CLIENT_SECRET", "client secret", ac.ClientID+" at "+site(ac.TokenURL))
		if err != nil {
			return nil, err
		}
		return &httpsession.OAuth2Credentials{TokenURL: ac.TokenURL, ClientID: ac.ClientID, ClientSecret: cs, AuthStyle: ac.authStyle(cs),
			Scopes: ac.Scopes}, nil
	case "oauth2-browser", "oauth2-device":
		return ac.userFlow(s.e, false, false), nil // refresh only: never a browser
	}
	return nil, usagef("unknown --kind %q: want json, oauth2-password, oauth2-client, oauth2-browser or oauth2-device", ac.Kind)
}

func runLogin(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet(e, "login", "login --session FILE --kind KIND [flags]")
	session := sessionFlag(fs, e, "to save")
	ac := &authConfig{}
	fs.StringVar(&ac.Kind, "kind", "json", "login flow: json, oauth2-password, oauth2-client, oauth2-browser or oauth2-device")
	fs.StringVar(&ac.LoginURL, "login-url", "", "json: URL that takes {\"username\",\"password\"}")
	fs.StringVar(&ac.RefreshURL, "refresh-url", "", "json: URL that refreshes the token (empty: log in again instead)")
	fs.StringVar(&ac.RefreshStyle, "refresh-style", "body", "json: how the refresh token goes to --refresh-url: body ({\"refresh_token\": …}), bearer (Authorization: Bearer, as flask-jwt-extended wants) or cookie")
	fs.StringVar(&ac.RefreshCookie, "refresh-cookie", "", "json, --refresh-style cookie: the cookie's `name` (default refresh_token)")
	fs.StringVar(&ac.TokenURL, "token-url", "", "oauth2: the token endpoint")
	fs.StringVar(&ac.AuthURL, "auth-url", "", "oauth2-browser: the authorization endpoint")
	fs.StringVar(&ac.DeviceURL, "device-url", "", "oauth2-device: the device authorization endpoint")
	issuer := fs.String("issuer", "", "oauth2-browser, oauth2-device: OpenID issuer `URL` whose .well-known/openid-configuration gives the endpoints")
	noBrowser := fs.Bool("no-browser", false, "oauth2-browser: print the URL to open instead of opening a browser")
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
	if *scope != "" {
		ac.Scopes = strings.Fields(*scope)
	}
	if isUserFlow(ac.Kind) {
		return runUserLogin(ctx, e, ac, *session, *issuer, origins, *noBrowser)
	}
	endpoint := ac.LoginURL
	switch ac.Kind {
	case "json":
		if ac.LoginURL == "" || ac.Username == "" {
			return usagef("--kind json needs --login-url and --username")
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
		return usagef("unknown --kind %q: want json, oauth2-password, oauth2-client, oauth2-browser or oauth2-device", ac.Kind)
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
	a, err := ac.authenticator(&secrets{e: e, fromStdin: *pwStdin, hasStdin: true})
	if err != nil {
		return err
	}
	tok, err := loginAndSave(ctx, e, *session, ac, a, nil)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stderr, "logged in; token saved to %s (%s)\n", *session, describeExpiry(tok, time.Now()))
	return nil
}

// loginAndSave logs in with a afresh (an explicit login replaces the saved
// token), then saves the token with the session, encrypted if the key
// options say so, and the login configuration beside it.
func loginAndSave(ctx context.Context, e *env, session string, ac *authConfig, a httpsession.Authenticator, to *httpsession.TokenOptions) (*httpsession.Token, error) {
	o, err := sessionOptions(e, session)
	if err != nil {
		return nil, err
	}
	o.Auth, o.AuthOrigins, o.TokenOptions = a, ac.Origins, to
	c, err := newClient(e, session, o)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	c.Tokens().SetToken(nil)
	tok, err := c.Tokens().Token(ctx)
	if err != nil {
		return nil, err
	}
	if err := writeAuthConfig(session, ac); err != nil {
		return nil, err
	}
	return tok, c.Save()
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
