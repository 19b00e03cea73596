package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"

	"github.com/httpsession/httpsession"
	"golang.org/x/term"
)

// authConfig is how the CLI logs in again or refreshes for a session file.
// It lives beside the session file as FILE.auth.json (0600) and holds no
// secret: passwords and client secrets come from the environment or a
// prompt each time they are needed.
type authConfig struct {
	Kind       string   `json:"kind"` // json, oauth2-password, oauth2-client, oauth2-browser, oauth2-device
	LoginURL   string   `json:"login_url,omitempty"`
	RefreshURL string   `json:"refresh_url,omitempty"`
	TokenURL   string   `json:"token_url,omitempty"`
	AuthURL    string   `json:"auth_url,omitempty"`
	DeviceURL  string   `json:"device_url,omitempty"`
	Username   string   `json:"username,omitempty"`
	ClientID   string   `json:"client_id,omitempty"`
	Scopes     []string `json:"scopes,omitempty"`
	Origins    []string `json:"origins"`
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
	noPrompt   bool // only the environment; "" when it has nothing
	stdinLines *bufio.Reader
}

func (s *secrets) get(envName, prompt string) (string, error) {
	if v := s.e.getenv(envName); v != "" || s.noPrompt {
		return v, nil
	}
	if s.fromStdin {
		if s.stdinLines == nil {
			s.stdinLines = bufio.NewReader(s.e.stdin)
		}
		line, err := s.stdinLines.ReadString('\n')
		if err != nil && (err != io.EOF || line == "") {
			return "", fmt.Errorf("reading %s from standard input: %w", strings.ToLower(prompt), err)
		}
		return strings.TrimRight(line, "\r\n"), nil
	}
	if f, ok := s.e.stdin.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		fmt.Fprintf(s.e.stderr, "%s: ", prompt)
		b, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(s.e.stderr)
		if err != nil {
			return "", err
		}
		return string(b), nil
	}
	return "", usagef("no %s: set %s, pass --password-stdin, or run in a terminal", strings.ToLower(prompt), envName)
}

// authenticator builds the Authenticator a configuration describes.
func (ac *authConfig) authenticator(s *secrets) (httpsession.Authenticator, error) {
	switch ac.Kind {
	case "json":
		pw, err := s.get("HTTPSESSION_PASSWORD", "Password")
		if err != nil {
			return nil, err
		}
		return &httpsession.JSONLogin{LoginURL: ac.LoginURL, RefreshURL: ac.RefreshURL, Username: ac.Username, Password: pw}, nil
	case "oauth2-password":
		pw, err := s.get("HTTPSESSION_PASSWORD", "Password")
		if err != nil {
			return nil, err
		}
		cs := s.e.getenv("HTTPSESSION_CLIENT_SECRET")
		return &httpsession.OAuth2{TokenURL: ac.TokenURL, ClientID: ac.ClientID, ClientSecret: cs, Username: ac.Username, Password: pw, Scopes: ac.Scopes}, nil
	case "oauth2-client":
		cs, err := s.get("HTTPSESSION_CLIENT_SECRET", "Client secret")
		if err != nil {
			return nil, err
		}
		return &httpsession.OAuth2{TokenURL: ac.TokenURL, ClientID: ac.ClientID, ClientSecret: cs, Scopes: ac.Scopes}, nil
	case "oauth2-browser", "oauth2-device":
		return ac.userFlow(s.e, false, false), nil // refresh only: never a browser
	}
	return nil, usagef("unknown --kind %q: want json, oauth2-password, oauth2-client, oauth2-browser or oauth2-device", ac.Kind)
}

// lazyAuth asks for credentials only when a login is really needed: a
// refresh with the saved refresh token needs none.
type lazyAuth struct {
	ac *authConfig
	s  *secrets
	a  httpsession.Authenticator
}

func (l *lazyAuth) get() (httpsession.Authenticator, error) {
	if l.a == nil {
		a, err := l.ac.authenticator(l.s)
		if err != nil {
			return nil, err
		}
		l.a = a
	}
	return l.a, nil
}

func (l *lazyAuth) Login(ctx context.Context, hc *http.Client) (*httpsession.Token, error) {
	a, err := l.get()
	if err != nil {
		return nil, err
	}
	return a.Login(ctx, hc)
}

func (l *lazyAuth) Refresh(ctx context.Context, hc *http.Client, t *httpsession.Token) (*httpsession.Token, error) {
	// A refresh needs no password: build the authenticator without asking
	// for anything that is not in the environment already.
	a, err := l.ac.authenticator(&secrets{e: l.s.e, noPrompt: true})
	if err != nil {
		return nil, err
	}
	return a.Refresh(ctx, hc, t)
}

// openClient opens the session file (if any) with the login configuration
// saved beside it, so requests carry the saved token and can refresh it.
func openClient(e *env, session string, withAuth bool) (*httpsession.Client, error) {
	o, err := sessionOptions(e, session)
	if err != nil {
		return nil, err
	}
	if session != "" && withAuth {
		ac, err := readAuthConfig(session)
		if err != nil {
			return nil, err
		}
		if ac != nil {
			o.Auth = &lazyAuth{ac: ac, s: &secrets{e: e}}
			o.AuthOrigins = ac.Origins
		}
	}
	return httpsession.New(o)
}

func runLogin(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet(e, "login", "login --session FILE --kind KIND [flags]")
	session := sessionFlag(fs, e, "to save")
	ac := &authConfig{}
	fs.StringVar(&ac.Kind, "kind", "json", "login flow: json, oauth2-password, oauth2-client, oauth2-browser or oauth2-device")
	fs.StringVar(&ac.LoginURL, "login-url", "", "json: URL that takes {\"username\",\"password\"}")
	fs.StringVar(&ac.RefreshURL, "refresh-url", "", "json: URL that takes {\"refresh_token\"} (empty: log in again instead)")
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

	a, err := ac.authenticator(&secrets{e: e, fromStdin: *pwStdin})
	if err != nil {
		return err
	}
	o, err := sessionOptions(e, *session)
	if err != nil {
		return err
	}
	o.Auth, o.AuthOrigins = a, ac.Origins
	c, err := httpsession.New(o)
	if err != nil {
		return err
	}
	defer c.Close()
	c.Tokens().SetToken(nil) // an explicit login replaces the saved token
	tok, err := c.Tokens().Token(ctx)
	if err != nil {
		return err
	}
	if err := writeAuthConfig(*session, ac); err != nil {
		return err
	}
	if err := c.Save(); err != nil {
		return err
	}
	fmt.Fprintf(e.stderr, "logged in; token saved to %s (%s)\n", *session, describeExpiry(tok, e.clock()))
	return nil
}
