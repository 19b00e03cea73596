package oauth

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/httpsession/httpsession"
	"github.com/httpsession/httpsession/internal/nodeservers"
	"golang.org/x/oauth2"
)

// The OpenID provider rules against panva/oidc-provider 9
// (internal/nodeservers/oidcprovider): a public native client, PKCE,
// offline_access with consent, rotating refresh tokens with reuse
// detection, the RFC 9207 iss parameter.

const nodeOPClient = "native-cli"

type nodeOPStats struct {
	TokenRequests int      `json:"tokenRequests"`
	GrantErrors   []string `json:"grantErrors"`
	Refreshes     int      `json:"refreshes"`
	RevokedGrants int      `json:"revokedGrants"`
}

func nodeOP(t *testing.T) (issuer string, stats func() nodeOPStats) {
	issuer = nodeservers.Start(t, "oidcprovider")
	return issuer, func() nodeOPStats {
		t.Helper()
		resp, err := http.Get(issuer + "/_stats")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var s nodeOPStats
		if err := json.NewDecoder(resp.Body).Decode(&s); err != nil {
			t.Fatal(err)
		}
		return s
	}
}

func nodeOPConfig(issuer string, scopes ...string) *oauth2.Config {
	return &oauth2.Config{ClientID: nodeOPClient, Scopes: scopes,
		Endpoint: oauth2.Endpoint{AuthURL: issuer + "/auth", TokenURL: issuer + "/token"}}
}

// userAgent is the person at the browser, signing in as user
// (nodeservers.SignIn); it keeps the provider's cookies between logins.
func userAgent(t *testing.T, user string) func(ctx context.Context, u string) error {
	jar, _ := cookiejar.New(nil)
	hc := &http.Client{Jar: jar}
	return func(ctx context.Context, u string) error {
		go func() {
			// A request that fails ends it: the login is over (or
			// failed), its listener gone.
			var ue *url.Error
			if err := nodeservers.SignIn(ctx, hc, u, user); err != nil && !errors.As(err, &ue) {
				t.Error(err)
			}
		}()
		return nil
	}
}

func nodeOPLogin(t *testing.T, issuer string, params url.Values, scopes ...string) (*httpsession.Token, error) {
	a := &Browser{Config: nodeOPConfig(issuer, scopes...), AuthParams: params, Issuer: issuer,
		OpenURL: userAgent(t, "alice"), Interactive: func() bool { return true }, Stderr: io.Discard}
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	return a.Login(ctx, nil)
}

// offline_access needs prompt=consent (OpenID Connect Core §11): sent
// unless the user chose a prompt, and then the provider issues no refresh
// token.
func TestNodeOPOfflineAccess(t *testing.T) {
	issuer, stats := nodeOP(t)
	tok, err := nodeOPLogin(t, issuer, nil, "openid", "offline_access")
	if err != nil {
		t.Fatalf("Login() error = %v", err)
	}
	if tok.RefreshToken == "" || tok.IDToken == "" {
		t.Errorf("Login() without a refresh token or ID token, want both for openid offline_access")
	}
	tok, err = nodeOPLogin(t, issuer, url.Values{"prompt": {"login"}}, "openid", "offline_access")
	if err != nil {
		t.Fatalf("Login(prompt=login) error = %v", err)
	}
	if tok.RefreshToken != "" {
		t.Errorf("Login(prompt=login) got a refresh token; the user's prompt should have been sent as it was")
	}
	if s := stats(); len(s.GrantErrors) != 0 {
		t.Errorf("token endpoint errors %q, want none", s.GrantErrors)
	}
}

// RFC 9207: the provider sends iss; one that names another issuer fails.
func TestNodeOPIssuerParameter(t *testing.T) {
	issuer, _ := nodeOP(t)
	a := &Browser{Config: nodeOPConfig(issuer, "openid"), Issuer: issuer + "/other",
		OpenURL: userAgent(t, "alice"), Interactive: func() bool { return true }, Stderr: io.Discard}
	_, err := a.Login(t.Context(), nil)
	if !errors.Is(err, ErrIssuerMismatch) {
		t.Errorf("Login() error = %v, want ErrIssuerMismatch", err)
	}
}

// Processes that share a session refresh a rotating refresh token once
// (oidc-provider revokes the grant when a used one comes back); one the
// provider refused (invalid_grant) leaves the session file.
func TestNodeOPRefreshRotation(t *testing.T) {
	issuer, stats := nodeOP(t)
	tok, err := nodeOPLogin(t, issuer, nil, "openid", "offline_access")
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "session.json")
	open := func() *httpsession.Client {
		c, err := httpsession.New(httpsession.Options{SessionFile: file, AuthOrigins: []string{issuer},
			Auth: &Browser{Config: nodeOPConfig(issuer, "openid", "offline_access"), Interactive: func() bool { return false }}})
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	c0 := open()
	c0.Tokens().SetToken(tok)
	if err := c0.Close(); err != nil {
		t.Fatal(err)
	}
	// Each process sees its access token refused (a 401) at once.
	var clients []*httpsession.Client
	for range 4 {
		c := open()
		c.Tokens().Invalidate(c.Tokens().Current())
		clients = append(clients, c)
	}
	var wg sync.WaitGroup
	got := make([]string, 12)
	for i := range got {
		c := clients[i%len(clients)]
		wg.Go(func() {
			tk, err := c.Tokens().Token(t.Context())
			if err != nil {
				t.Errorf("Token() error = %v", err)
				return
			}
			got[i] = tk.AccessToken
		})
	}
	wg.Wait()
	for _, c := range clients {
		c.Close()
	}
	if s := stats(); s.Refreshes != 1 || s.RevokedGrants != 0 || len(s.GrantErrors) != 0 {
		t.Errorf("provider saw %d refreshes, %d revoked grants, errors %q; want 1, 0, none", s.Refreshes, s.RevokedGrants, s.GrantErrors)
	}
	for _, a := range got[1:] {
		if a != got[0] {
			t.Errorf("clients hold different access tokens after the refresh")
			break
		}
	}

	// The first refresh token again: reuse. The provider revokes the grant,
	// so the current refresh token is refused too, and leaves the file.
	if _, err := refreshOAuth2(t.Context(), nil, nodeOPConfig(issuer), tok); err == nil {
		t.Fatal("reusing a rotated refresh token succeeded")
	}
	c := open()
	c.Tokens().Invalidate(c.Tokens().Current())
	_, err = c.Tokens().Token(t.Context())
	c.Close()
	if !errors.Is(err, httpsession.ErrLoginRequired) {
		t.Errorf("Token() after the grant was revoked: %v, want ErrLoginRequired", err)
	}
	raw, _ := os.ReadFile(file)
	if bytes.Contains(raw, []byte(`"refresh_token"`)) {
		t.Errorf("session file still holds the refused refresh token")
	}
	if s := stats(); s.RevokedGrants != 1 {
		t.Errorf("provider revoked %d grants, want 1 (the reuse)", s.RevokedGrants)
	}
}

// A public client (no secret) authenticates with client_id in the body:
// no token request is refused in a whole session.
func TestNodeOPPublicClient(t *testing.T) {
	issuer, stats := nodeOP(t)
	tok, err := nodeOPLogin(t, issuer, nil, "openid", "offline_access")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := refreshOAuth2(t.Context(), nil, nodeOPConfig(issuer), tok); err != nil {
		t.Fatal(err)
	}
	if s := stats(); len(s.GrantErrors) != 0 || s.TokenRequests != 2 {
		t.Errorf("token endpoint: %d requests, errors %q; want 2 and none", s.TokenRequests, s.GrantErrors)
	}
}
