package main

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/httpsession/httpsession/internal/nodeservers"
)

const formsitePassword = "wonderland-formsite"

// login --kind form against express + passport-local + csrf-sync: the
// login is saved like the other kinds, so later commands send the CSRF
// token and log in again after the site ends the session.
func TestLoginForm(t *testing.T) {
	base := nodeservers.Start(t, "formsite", "FORMSITE_PASSWORD="+formsitePassword)
	session := filepath.Join(t.TempDir(), "session.json")
	pw := []string{"HTTPSESSION_PASSWORD=" + formsitePassword}

	r := cli(t, "", []string{"HTTPSESSION_PASSWORD=not-" + formsitePassword}, "login", "--session", session, "--kind", "form",
		"--login-url", base+"/login", "--username", "alice", "--csrf", "angular")
	if r.code != 1 || !strings.Contains(r.stderr, `"Invalid username or password."`) || strings.Contains(r.stderr, formsitePassword) {
		t.Errorf("login with a wrong password: exit %d, stderr %q; want 1 and the site's message without the password", r.code, r.stderr)
	}
	if _, err := os.Stat(session); !os.IsNotExist(err) {
		t.Errorf("a failed login created the session file (%v)", err)
	}

	r = cli(t, "", pw, "login", "--session", session, "--kind", "form", "--login-url", base+"/login", "--username", "alice", "--csrf", "angular")
	if r.code != 0 || !strings.Contains(r.stderr, "logged in") {
		t.Fatalf("login: exit %d, stderr %q", r.code, r.stderr)
	}
	raw, err := os.ReadFile(authConfigPath(session))
	if err != nil {
		t.Fatal(err)
	}
	var ac authConfig
	if err := json.Unmarshal(raw, &ac); err != nil || ac.Kind != "form" || ac.CSRF != "angular" || strings.Contains(string(raw), formsitePassword) {
		t.Errorf("%s = %s, want the form login's settings and no password", authConfigPath(session), raw)
	}

	r = cli(t, "", nil, "get", base+"/account", "--session", session)
	if r.code != 0 || !strings.Contains(r.stdout, "Hello alice") {
		t.Errorf("get /account: exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}
	// lusca's XSRF-TOKEN cookie, saved with the session, goes back as
	// X-XSRF-TOKEN from the next process.
	if r = cli(t, "", nil, "get", base+"/ng/", "--session", session); r.code != 0 {
		t.Errorf("get /ng/: exit %d, stderr %q", r.code, r.stderr)
	}
	r = cli(t, "", nil, "post", "--fail", "--session", session, "--json", "-d", `{"text":"hi"}`, base+"/ng/items")
	if r.code != 0 || !strings.Contains(r.stdout, `"created":true`) {
		t.Errorf("post /ng/items: exit %d, stdout %q, stderr %q; want the CSRF token sent", r.code, r.stdout, r.stderr)
	}

	// The site ends every session: the next command is redirected to the
	// login page, logs in again with the saved settings and replays.
	resp, err := http.Post(base+"/expire", "text/plain", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	r = cli(t, "", pw, "get", base+"/account", "--session", session)
	if r.code != 0 || !strings.Contains(r.stdout, "Hello alice") {
		t.Errorf("get /account after the logout: exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}
	if s := formsiteStats(t, base); s.Logins != 2 {
		t.Errorf("site stats %+v, want 2 logins", s)
	}
}

func formsiteStats(t *testing.T, base string) (s struct{ Logins, Failures, Notes int }) {
	t.Helper()
	resp, err := http.Get(base + "/stats")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(&s); err != nil {
		t.Fatal(err)
	}
	return s
}
