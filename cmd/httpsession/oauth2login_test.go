package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/httpsession/httpsession/internal/testop"
	"golang.org/x/oauth2"
)

// The test binary doubles as the user's browser: with
// HTTPSESSION_TEST_BROWSER set, run as $BROWSER, it logs in at the URL it
// is given and exits.
func init() {
	action := os.Getenv("HTTPSESSION_TEST_BROWSER")
	if action == "" || len(os.Args) < 2 {
		return
	}
	u := os.Args[len(os.Args)-1]
	if f := os.Getenv("HTTPSESSION_TEST_BROWSER_URL_FILE"); f != "" {
		_ = os.WriteFile(f, []byte(u), 0o600)
	}
	if action == "forms" {
		os.Exit(submitForms(u))
	}
	if action == "allow-without-secrets" {
		// The browser denies the login if it can see a secret of the
		// process that opened it.
		action = "allow"
		for _, kv := range os.Environ() {
			if strings.Contains(kv, "=opener-must-not-see") {
				action = "deny"
			}
		}
	}
	status, body, err := testop.Authorize(testop.Browser(nil), u, action, nil)
	if err != nil || status != 200 {
		fmt.Fprintf(os.Stderr, "test browser: %d %v %.200s\n", status, err, body)
		os.Exit(1)
	}
	os.Exit(0)
}

func sessionRefreshToken(t *testing.T, session string) string {
	t.Helper()
	raw, err := os.ReadFile(session)
	if err != nil {
		t.Fatal(err)
	}
	var file struct {
		Token struct {
			RefreshToken string `json:"refresh_token"`
			IDToken      string `json:"id_token"`
		} `json:"token"`
	}
	if err := json.Unmarshal(raw, &file); err != nil || file.Token.RefreshToken == "" || file.Token.IDToken == "" {
		t.Fatalf("session file without a refresh and an ID token: %v", err)
	}
	return file.Token.RefreshToken
}

func TestLoginOAuth2Browser(t *testing.T) {
	o := testop.Serve(t, time.Second)
	session := filepath.Join(t.TempDir(), "session.json")
	browserEnv := []string{"BROWSER=" + os.Args[0], "HTTPSESSION_TEST_BROWSER=allow"}
	r := cli(t, "", browserEnv, "login", "--session", session, "--kind", "oauth2-browser", "--issuer", o.Issuer,
		"--client-id", testop.ClientID, "--scope", "openid email offline_access", "--origin", o.Issuer)
	if r.code != 0 || !strings.Contains(r.stderr, "logged in") {
		t.Fatalf("login: exit %d, stderr %q", r.code, r.stderr)
	}
	first := sessionRefreshToken(t, session)
	if strings.Contains(r.stderr+r.stdout, first) {
		t.Error("login printed the refresh token")
	}

	// Later commands use the saved token and refresh it with rotation,
	// without a browser ($BROWSER would fail the test: it is not set).
	r = cli(t, "", nil, "get", o.Issuer+"/userinfo", "--session", session)
	if r.code != 0 || !strings.Contains(r.stdout, `"sub":"id2"`) {
		t.Errorf("get /userinfo: exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}
	old, err := os.ReadFile(session)
	if err != nil {
		t.Fatal(err)
	}
	r = cli(t, "", nil, "token", "refresh", "--session", session)
	if r.code != 0 {
		t.Fatalf("token refresh: exit %d, stderr %q", r.code, r.stderr)
	}
	if sessionRefreshToken(t, session) == first {
		t.Error("token refresh kept the refresh token; want it rotated")
	}

	// A session whose refresh token is no longer valid needs the user: the
	// command says so and exits 1 instead of opening a browser.
	if err := os.WriteFile(session, old, 0o600); err != nil {
		t.Fatal(err)
	}
	r = cli(t, "", []string{"BROWSER=false"}, "token", "refresh", "--session", session)
	if r.code != 1 || !strings.Contains(r.stderr, "login needs the user") || !strings.Contains(r.stderr, "httpsession login") {
		t.Errorf("refresh with a rotated-out token: exit %d, stderr %q; want 1 and a message saying to log in again", r.code, r.stderr)
	}
}

func TestLoginOAuth2Device(t *testing.T) {
	o := testop.Serve(t, time.Second)
	session := filepath.Join(t.TempDir(), "session.json")
	cmd := exec.Command(binary, "login", "--session", session, "--kind", "oauth2-device",
		"--device-url", o.Issuer+"/device_authorization", "--token-url", o.Issuer+"/oauth/token",
		"--client-id", testop.ClientID, "--scope", "openid offline_access", "--origin", o.Issuer)
	cmd.Dir = t.TempDir()
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	prompt := regexp.MustCompile(`open (\S+) and enter the code (\S+)`)
	var out bytes.Buffer
	sc := bufio.NewScanner(stderr)
	approved := false
	for sc.Scan() {
		out.WriteString(sc.Text() + "\n")
		if m := prompt.FindStringSubmatch(sc.Text()); m != nil && !approved {
			approved = true
			testop.ApproveDevice(t, testop.Browser(nil), m[1], m[2], "allow")
		}
	}
	if err := cmd.Wait(); err != nil || !approved || !strings.Contains(out.String(), "logged in") {
		t.Fatalf("device login: %v, stderr %q", err, out.String())
	}
	sessionRefreshToken(t, session)
	r := cli(t, "", nil, "get", o.Issuer+"/userinfo", "--session", session)
	if r.code != 0 || !strings.Contains(r.stdout, `"sub":"id2"`) {
		t.Errorf("get /userinfo: exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}
}

// TestBrowserOpenerGetsNoSecrets: the browser that $BROWSER starts does not
// inherit the secrets of the login (the password, the passphrase, the
// client secret, a token): here it would deny the login if it saw one.
func TestBrowserOpenerGetsNoSecrets(t *testing.T) {
	o := testop.Serve(t, time.Second)
	session := filepath.Join(t.TempDir(), "session.json")
	env := []string{"BROWSER=" + os.Args[0], "HTTPSESSION_TEST_BROWSER=allow-without-secrets",
		"HTTPSESSION_PASSWORD=opener-must-not-see", "DEPLOY_TOKEN=opener-must-not-see", "SOME_API_KEY=opener-must-not-see"}
	r := cli(t, "", env, "login", "--session", session, "--kind", "oauth2-browser", "--issuer", o.Issuer,
		"--client-id", testop.ClientID, "--scope", "openid offline_access", "--origin", o.Issuer)
	if r.code != 0 || !strings.Contains(r.stderr, "logged in") {
		t.Fatalf("login: exit %d, stderr %q (the browser saw a secret)", r.code, r.stderr)
	}
}

// TestLoginRefusesInsecureEndpoint: an issuer whose discovery document
// names a file: authorization endpoint (or plain http to another host)
// ends the login with an error before any browser is opened.
func TestLoginRefusesInsecureEndpoint(t *testing.T) {
	for _, authURL := range []string{"file:///etc/passwd", "http://idp.example/authorize"} {
		ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			issuer := "http://" + r.Host
			fmt.Fprintf(w, `{"issuer":%q,"authorization_endpoint":%q,"token_endpoint":%q}`, issuer, authURL, issuer+"/token")
		}))
		issuer := ts.URL
		marker := filepath.Join(t.TempDir(), "opened")
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		cmd := exec.CommandContext(ctx, binary, "login", "--session", filepath.Join(t.TempDir(), "s.json"),
			"--kind", "oauth2-browser", "--issuer", issuer, "--client-id", "app")
		// "touch MARKER URL": the opener leaves a trace if it runs.
		cmd.Env = append(os.Environ(), "BROWSER=touch "+marker)
		out, err := cmd.CombinedOutput()
		cancel()
		ts.Close()
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.ExitCode() != 1 || !strings.Contains(string(out), "neither https nor http on a loopback host") {
			t.Errorf("%s: login = %v, %q; want exit 1 naming the insecure endpoint", authURL, err, out)
		}
		if _, err := os.Stat(marker); err == nil {
			t.Errorf("%s: the browser opener ran", authURL)
		}
	}
}

// TestDiscoveredTokenAuthMethods: the token_endpoint_auth_methods_supported
// of the issuer's discovery document decide how a client with a secret
// authenticates; a client without one sends client_id in the body whatever
// the document says, so that no token request is refused to find out.
func TestDiscoveredTokenAuthMethods(t *testing.T) {
	var methods []string
	var srv *httptest.Server
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		doc := map[string]any{"issuer": srv.URL, "authorization_endpoint": srv.URL + "/auth", "token_endpoint": srv.URL + "/token"}
		if methods != nil {
			doc["token_endpoint_auth_methods_supported"] = methods
		}
		json.NewEncoder(w).Encode(doc)
	}))
	defer srv.Close()
	tests := []struct {
		methods []string
		secret  string
		want    oauth2.AuthStyle
	}{
		{nil, "", oauth2.AuthStyleInParams},
		{nil, "s3cr3t", oauth2.AuthStyleInHeader},
		{[]string{"client_secret_post"}, "s3cr3t", oauth2.AuthStyleInParams},
		{[]string{"client_secret_post"}, "", oauth2.AuthStyleInParams},
		{[]string{"client_secret_basic", "client_secret_post"}, "s3cr3t", oauth2.AuthStyleInHeader},
		{[]string{"none"}, "", oauth2.AuthStyleInParams},
		{[]string{"private_key_jwt"}, "s3cr3t", oauth2.AuthStyleInHeader},
	}
	for _, tt := range tests {
		methods = tt.methods
		ac := &authConfig{Kind: "oauth2-browser", ClientID: "cid"}
		if err := ac.discover(context.Background(), srv.URL); err != nil {
			t.Fatal(err)
		}
		e := &env{getenv: func(k string) string {
			if k == "HTTPSESSION_CLIENT_SECRET" {
				return tt.secret
			}
			return ""
		}}
		if got := ac.oauth2Config(e).Endpoint.AuthStyle; got != tt.want {
			t.Errorf("methods %q, secret %t: AuthStyle = %v, want %v", tt.methods, tt.secret != "", got, tt.want)
		}
	}
}
