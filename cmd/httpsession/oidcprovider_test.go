package main

import (
	"context"
	"fmt"
	"net/http"
	"net/http/cookiejar"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/httpsession/httpsession/internal/nodeservers"
)

// submitForms is the test browser's "forms" mode, the user at
// panva/oidc-provider's development pages signing in as "alice"
// (nodeservers.SignIn). It returns the exit code.
func submitForms(u string) int {
	jar, _ := cookiejar.New(nil)
	if err := nodeservers.SignIn(context.Background(), &http.Client{Jar: jar}, u, "alice"); err != nil {
		fmt.Fprintln(os.Stderr, "test browser:", err)
		return 1
	}
	return 0
}

// Against panva/oidc-provider: the issuer's RFC 9207 promise is saved and
// kept, and a login that asked for offline_access but chose its own prompt
// is told it got no refresh token.
func TestLoginOIDCProvider(t *testing.T) {
	issuer := nodeservers.Start(t, "oidcprovider")
	session := filepath.Join(t.TempDir(), "session.json")
	env := []string{"BROWSER=" + os.Args[0], "HTTPSESSION_TEST_BROWSER=forms"}
	r := cli(t, "", env, "login", "--session", session, "--kind", "oauth2-browser", "--issuer", issuer,
		"--client-id", "native-cli", "--scope", "openid offline_access")
	if r.code != 0 || strings.Contains(r.stderr, "no refresh token") {
		t.Fatalf("login: exit %d, stderr %q", r.code, r.stderr)
	}
	ac, err := readAuthConfig(session)
	if err != nil || ac == nil || !ac.IssParameter || ac.Issuer != issuer {
		t.Fatalf("saved settings %+v (%v), want the issuer and its iss parameter", ac, err)
	}
	if r = cli(t, "", nil, "token", "refresh", "--session", session); r.code != 0 {
		t.Errorf("token refresh: exit %d, stderr %q", r.code, r.stderr)
	}
	r = cli(t, "", env, "login", "--session", session, "--auth-param", "prompt=login")
	if r.code != 0 || !strings.Contains(r.stderr, "no refresh token") || !strings.Contains(r.stderr, "httpsession login --session") {
		t.Errorf("login with prompt=login: exit %d, stderr %q; want a warning that the session will end", r.code, r.stderr)
	}
}
