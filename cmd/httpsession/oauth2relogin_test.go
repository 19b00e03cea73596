package main

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/httpsession/httpsession/internal/testop"
)

// browser is the environment of a login whose $BROWSER (this test binary)
// does action ("allow" or "deny") and writes the authorization URL it was
// given to urlFile.
func browser(action, urlFile string) []string {
	return []string{"BROWSER=" + os.Args[0], "HTTPSESSION_TEST_BROWSER=" + action, "HTTPSESSION_TEST_BROWSER_URL_FILE=" + urlFile}
}

func readQuery(t *testing.T, file string) url.Values {
	t.Helper()
	raw, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	u, err := url.Parse(string(raw))
	if err != nil {
		t.Fatal(err)
	}
	return u.Query()
}

func readFiles(t *testing.T, paths ...string) []string {
	t.Helper()
	var out []string
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, string(b))
	}
	return out
}

// Logging in again: the saved settings are reused ("login --session F"),
// a login that is refused changes nothing saved, the command an expired
// session prints works as printed.
func TestLoginOAuth2BrowserAgain(t *testing.T) {
	o := testop.Serve(t, time.Second)
	dir := t.TempDir()
	session, urlFile := filepath.Join(dir, "session.json"), filepath.Join(dir, "url")

	// --issuer without --scope asks for openid; --auth-param is sent and saved.
	r := cli(t, "", browser("allow", urlFile), "login", "--session", session, "--kind", "oauth2-browser", "--issuer", o.Issuer,
		"--client-id", testop.ClientID, "--auth-param", "login_hint="+testop.User, "--origin", o.Issuer)
	if r.code != 0 || !strings.Contains(r.stderr, "waiting for the browser (") || !strings.Contains(r.stderr, "Ctrl-C to cancel") {
		t.Fatalf("login: exit %d, stderr %q; want a waiting line", r.code, r.stderr)
	}
	q := readQuery(t, urlFile)
	if q.Get("scope") != "openid" || q.Get("login_hint") != testop.User || q.Has("prompt") {
		t.Errorf("authorization request %v, want scope openid, the login_hint and no prompt", q)
	}
	ac, err := readAuthConfig(session)
	if err != nil || ac == nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(map[string]string{"login_hint": testop.User}, ac.AuthParams); diff != "" || !cmp.Equal(ac.Scopes, []string{"openid"}) {
		t.Errorf("saved scopes %q, auth params (-want +got):\n%s", ac.Scopes, diff)
	}

	// Consent denied: the saved session and its settings stay as they were.
	before := readFiles(t, session, authConfigPath(session))
	r = cli(t, "", browser("deny", urlFile), "login", "--session", session)
	if r.code != 1 || !strings.Contains(r.stderr, "access denied") {
		t.Errorf("denied login: exit %d, stderr %q; want 1 and access denied", r.code, r.stderr)
	}
	if diff := cmp.Diff(before, readFiles(t, session, authConfigPath(session))); diff != "" {
		t.Errorf("a denied login changed the saved files (-before +after):\n%s", diff)
	}

	// offline_access is asked with prompt=consent; the other settings come
	// from the file.
	r = cli(t, "", browser("allow", urlFile), "login", "--session", session, "--scope", "openid offline_access")
	if r.code != 0 {
		t.Fatalf("login with offline_access: exit %d, stderr %q", r.code, r.stderr)
	}
	if q := readQuery(t, urlFile); q.Get("prompt") != "consent" || q.Get("client_id") != testop.ClientID || q.Get("login_hint") != testop.User {
		t.Errorf("authorization request %v, want prompt=consent and the saved client and params", q)
	}
	old := readFiles(t, session)[0]
	if r = cli(t, "", nil, "token", "refresh", "--session", session); r.code != 0 {
		t.Fatalf("token refresh: exit %d, stderr %q", r.code, r.stderr)
	}

	// A refresh token rotated out: the error's command logs in as printed.
	if err := os.WriteFile(session, []byte(old), 0o600); err != nil {
		t.Fatal(err)
	}
	r = cli(t, "", []string{"BROWSER=false"}, "token", "refresh", "--session", session)
	want := `"httpsession login --session ` + session + `"`
	if r.code != 1 || !strings.Contains(r.stderr, want) {
		t.Fatalf("refresh with a rotated-out token: exit %d, stderr %q; want 1 and %s", r.code, r.stderr, want)
	}
	if raw := readFiles(t, session)[0]; strings.Contains(raw, `"refresh_token"`) {
		t.Errorf("the refused refresh token is still in the session file")
	}
	args := strings.Fields(strings.Trim(want, `"`))[1:]
	if r = cli(t, "", browser("allow", urlFile), args...); r.code != 0 {
		t.Errorf("%s: exit %d, stderr %q", want, r.code, r.stderr)
	}
}

// A first login that does not complete leaves no file behind: no session,
// no settings, no refresh lock.
func TestLoginRefusedCreatesNothing(t *testing.T) {
	o := testop.Serve(t, time.Second)
	dir := t.TempDir()
	session := filepath.Join(dir, "session.json")
	r := cli(t, "", browser("deny", filepath.Join(t.TempDir(), "url")), "login", "--session", session, "--kind", "oauth2-browser",
		"--issuer", o.Issuer, "--client-id", testop.ClientID, "--origin", o.Issuer)
	if r.code != 1 {
		t.Errorf("denied login: exit %d, stderr %q", r.code, r.stderr)
	}
	entries, _ := os.ReadDir(dir)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if len(names) != 0 {
		t.Errorf("files left by a denied first login: %q", names)
	}
}

// --wait bounds the wait for a browser that never comes back.
func TestLoginWait(t *testing.T) {
	o := testop.Serve(t, time.Second)
	session := filepath.Join(t.TempDir(), "session.json")
	r := cli(t, "", []string{"BROWSER=true"}, "login", "--session", session, "--kind", "oauth2-browser",
		"--issuer", o.Issuer, "--client-id", testop.ClientID, "--origin", o.Issuer, "--wait", "1s")
	if r.code != 1 || !strings.Contains(r.stderr, "waiting for the browser") || !strings.Contains(r.stderr, "deadline exceeded") {
		t.Errorf("login with --wait 1s: exit %d, stderr %q", r.code, r.stderr)
	}
}

// A provider that can't be reached is reported as such, with its host: the
// refresh token may still be good, so no "log in again".
func TestRefreshProviderDown(t *testing.T) {
	o := testop.Serve(t, time.Second)
	session := filepath.Join(t.TempDir(), "session.json")
	r := cli(t, "", browser("allow", filepath.Join(t.TempDir(), "url")), "login", "--session", session, "--kind", "oauth2-browser",
		"--issuer", o.Issuer, "--client-id", testop.ClientID, "--scope", "openid offline_access", "--origin", o.Issuer)
	if r.code != 0 {
		t.Fatalf("login: exit %d, stderr %q", r.code, r.stderr)
	}
	down := httptest.NewServer(http.NotFoundHandler())
	down.Close()
	ac, err := readAuthConfig(session)
	if err != nil {
		t.Fatal(err)
	}
	ac.TokenURL = down.URL + "/oauth/token"
	if err := writeAuthConfig(session, ac); err != nil {
		t.Fatal(err)
	}
	r = cli(t, "", nil, "token", "refresh", "--session", session)
	host := strings.TrimPrefix(down.URL, "http://")
	if r.code != 1 || !strings.Contains(r.stderr, host) || strings.Contains(r.stderr, "login needs the user") {
		t.Errorf("refresh with the provider down: exit %d, stderr %q; want 1 and the connection error naming %s", r.code, r.stderr, host)
	}
	if sessionRefreshToken(t, session) == "" {
		t.Error("the refresh token was dropped while the provider was down")
	}
}

// A burst of commands whose access token the API refuses (a 401 each)
// refreshes it once: the others adopt the token the first one saved.
func TestBurstOf401sOneRefresh(t *testing.T) {
	o := testop.Serve(t, time.Second)
	session := filepath.Join(t.TempDir(), "session.json")
	r := cli(t, "", browser("allow", filepath.Join(t.TempDir(), "url")), "login", "--session", session, "--kind", "oauth2-browser",
		"--issuer", o.Issuer, "--client-id", testop.ClientID, "--scope", "openid offline_access", "--origin", o.Issuer)
	if r.code != 0 {
		t.Fatalf("login: exit %d, stderr %q", r.code, r.stderr)
	}
	raw := readFiles(t, session)[0]
	var doc map[string]any
	if err := json.Unmarshal([]byte(raw), &doc); err != nil {
		t.Fatal(err)
	}
	doc["token"].(map[string]any)["access_token"] = "revoked-access-token"
	b, _ := json.Marshal(doc)
	if err := os.WriteFile(session, b, 0o600); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for range 5 {
		wg.Go(func() {
			r := cli(t, "", nil, "get", "--fail", "--session", session, o.Issuer+"/userinfo")
			if r.code != 0 {
				t.Errorf("get /userinfo: exit %d, stderr %q", r.code, r.stderr)
			}
		})
	}
	wg.Wait()
	if n := o.Storage.Refreshes.Load(); n != 1 {
		t.Errorf("%d refreshes for 5 commands refused at once, want 1", n)
	}
}
