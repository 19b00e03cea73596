package main

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/httpsession/httpsession"
	"github.com/httpsession/httpsession/oauth"
	"golang.org/x/oauth2"
)

// defaultUserWait bounds an interactive browser or device login (--wait):
// long enough for a person, short enough that a login the provider
// refused in the browser (a wrong client ID) does not hang the terminal.
const defaultUserWait = 5 * time.Minute

// isUserFlow reports whether kind is a login that needs the user.
func isUserFlow(kind string) bool { return kind == "oauth2-browser" || kind == "oauth2-device" }

// oauth2Config is the x/oauth2 configuration of a browser or device login.
// A client secret, if the client has one, comes from the environment.
func (ac *authConfig) oauth2Config(e *env) *oauth2.Config {
	secret := e.getenv("HTTPSESSION_CLIENT_SECRET")
	return &oauth2.Config{
		ClientID:     ac.ClientID,
		ClientSecret: secret,
		Endpoint: oauth2.Endpoint{AuthURL: ac.AuthURL, TokenURL: ac.TokenURL, DeviceAuthURL: ac.DeviceURL,
			AuthStyle: ac.authStyle(secret)},
		Scopes: ac.Scopes,
	}
}

// authStyle is how the client authenticates to the token endpoint:
// oauth.ClientAuth's rule, with the methods the issuer's discovery
// document lists.
func (ac *authConfig) authStyle(secret string) oauth2.AuthStyle {
	return oauth.ClientAuth(secret, ac.TokenAuthMethods)
}

// userFlow builds the authenticator of a browser or device login. Only the
// login command is interactive: for any other command a session whose
// refresh token no longer works fails with httpsession.ErrLoginRequired
// instead of opening a browser.
func (ac *authConfig) userFlow(e *env, interactive, noBrowser bool) httpsession.Authenticator {
	isInteractive := func() bool { return interactive }
	cfg := ac.oauth2Config(e)
	var a httpsession.Authenticator
	params := url.Values{}
	for k, v := range ac.AuthParams {
		params.Set(k, v)
	}
	if ac.Kind == "oauth2-device" {
		a = &oauth.Device{Config: cfg, Stderr: e.stderr, Interactive: isInteractive, AuthParams: params}
	} else {
		b := &oauth.Browser{Config: cfg, Stderr: e.stderr, Interactive: isInteractive, AuthParams: params}
		if ac.IssParameter {
			b.Issuer = ac.Issuer
		}
		if noBrowser {
			b.OpenURL = func(context.Context, string) error { return errors.New("--no-browser") }
		}
		a = b
	}
	if interactive {
		return a
	}
	return httpsession.AuthFuncs{
		LoginFunc: func(ctx context.Context, hc *http.Client) (*httpsession.Token, error) {
			t, err := a.Login(ctx, hc)
			if errors.Is(err, httpsession.ErrLoginRequired) {
				return nil, fmt.Errorf("%w; run \"%s\" again", err, ac.loginCommand())
			}
			return t, err
		},
		RefreshFunc: a.Refresh,
	}
}

// discover fills the endpoints left empty from the issuer's OpenID
// Connect discovery document (OpenID Connect Discovery 1.0 §4).
func (ac *authConfig) discover(ctx context.Context, issuer string) error {
	issuer = strings.TrimSuffix(issuer, "/")
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, issuer+"/.well-known/openid-configuration", nil)
	if err != nil {
		return usagef("bad --issuer %q", issuer)
	}
	req.Header.Set("Accept", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("reading the issuer's configuration: %s", jsonProblem(err))
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("reading the issuer's configuration: status %d", resp.StatusCode)
	}
	var doc struct {
		Issuer        string   `json:"issuer"`
		Authorization string   `json:"authorization_endpoint"`
		Token         string   `json:"token_endpoint"`
		Device        string   `json:"device_authorization_endpoint"`
		AuthMethods   []string `json:"token_endpoint_auth_methods_supported"`
		IssParameter  bool     `json:"authorization_response_iss_parameter_supported"`
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&doc); err != nil {
		return fmt.Errorf("reading the issuer's configuration: %s", jsonProblem(err))
	}
	if strings.TrimSuffix(doc.Issuer, "/") != issuer {
		return fmt.Errorf("reading the issuer's configuration: it names issuer %q, not %q", doc.Issuer, issuer)
	}
	fill := func(dst *string, v string) {
		if *dst == "" {
			*dst = v
		}
	}
	fill(&ac.AuthURL, doc.Authorization)
	fill(&ac.TokenURL, doc.Token)
	fill(&ac.DeviceURL, doc.Device)
	if ac.TokenURL == doc.Token {
		ac.TokenAuthMethods = doc.AuthMethods
	}
	ac.Issuer, ac.IssParameter = doc.Issuer, doc.IssParameter
	if len(ac.Scopes) == 0 {
		ac.Scopes = []string{"openid"} // an OpenID login: without it there is no ID token
	}
	return nil
}

// loginCommand is the command that logs in again for this configuration:
// the settings come from FILE.auth.json.
func (ac *authConfig) loginCommand() string {
	if ac.session == "" {
		return "httpsession login --kind " + ac.Kind
	}
	return "httpsession login --session " + shellQuote(ac.session)
}

// shellQuote quotes s for a POSIX shell when it needs it.
func shellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./,:@+=") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

func hasScope(scopes []string, s string) bool {
	for _, x := range scopes {
		if x == s {
			return true
		}
	}
	return false
}

// runUserLogin is "httpsession login" for the browser and device flows.
func runUserLogin(ctx context.Context, e *env, ac *authConfig, session, issuer string, origins stringList, noBrowser bool, wait time.Duration) error {
	if issuer != "" {
		if err := ac.discover(ctx, issuer); err != nil {
			return err
		}
	}
	switch {
	case ac.ClientID == "":
		return usagef("--kind %s needs --client-id", ac.Kind)
	case ac.TokenURL == "":
		return usagef("--kind %s needs --token-url or --issuer", ac.Kind)
	case ac.Kind == "oauth2-browser" && ac.AuthURL == "":
		return usagef("--kind oauth2-browser needs --auth-url or --issuer")
	case ac.Kind == "oauth2-device" && ac.DeviceURL == "":
		return usagef("--kind oauth2-device needs --device-url or an --issuer with device authorization")
	}
	if len(origins) == 0 {
		u, err := url.Parse(ac.TokenURL)
		if err != nil || u.Host == "" {
			return usagef("bad URL %q", ac.TokenURL)
		}
		origins = stringList{u.Scheme + "://" + u.Host}
	}
	ac.Origins = origins

	if wait <= 0 {
		wait = defaultUserWait
	}
	tok, err := loginAndSave(ctx, e, session, ac, ac.userFlow(e, true, noBrowser),
		&httpsession.TokenOptions{RefreshTimeout: wait})
	if err != nil {
		return err
	}
	who := ""
	if claims, err := oauth.DecodeIDToken(tok, time.Now()); err == nil {
		who = " as " + cmp.Or(claims.Email, claims.Username, claims.Subject)
	}
	fmt.Fprintf(e.stderr, "logged in%s; token saved to %s (%s)\n", who, session, describeExpiry(tok, time.Now()))
	if hasScope(ac.Scopes, "offline_access") && tok.RefreshToken == "" {
		end := "when the access token expires"
		if !tok.Expiry.IsZero() {
			end = "at " + tok.Expiry.Local().Format(time.DateTime)
		}
		fmt.Fprintf(e.stderr, "warning: offline_access was asked for but the provider issued no refresh token: the session ends %s, and then \"%s\" is needed again\n",
			end, ac.loginCommand())
	}
	return nil
}
