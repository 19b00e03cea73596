package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/httpsession/httpsession"
	"github.com/httpsession/httpsession/internal/demoserver"
)

// binary is the httpsession command, built once for the whole test run.
var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "httpsession-cli")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binary = filepath.Join(dir, "httpsession")
	out, err := exec.Command("go", "build", "-o", binary, ".").CombinedOutput()
	if err != nil {
		fmt.Fprintf(os.Stderr, "go build: %v\n%s", err, out)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

type result struct {
	code           int
	stdout, stderr string
}

// runCmd runs cmd and returns its exit code, standard output and standard
// error; a command that could not be started fails t.
func runCmd(t *testing.T, cmd *exec.Cmd) result {
	t.Helper()
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return result{code, out.String(), errb.String()}
}

// cli runs the built command with args, the given stdin and extra
// environment.
func cli(t *testing.T, stdin string, env []string, args ...string) result {
	t.Helper()
	cmd := exec.Command(binary, args...)
	cmd.Dir = t.TempDir()
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdin = strings.NewReader(stdin)
	return runCmd(t, cmd)
}

func demoServer(t *testing.T) (*demoserver.Server, *httptest.Server) {
	t.Helper()
	s := demoserver.New(demoserver.Options{})
	ts := httptest.NewServer(s.Handler())
	t.Cleanup(ts.Close)
	return s, ts
}

func TestLoginRequestTokenAndCookies(t *testing.T) {
	srv, ts := demoServer(t)
	session := filepath.Join(t.TempDir(), "s", "session.json")
	pw := []string{"HTTPSESSION_PASSWORD=demo-password"}

	r := cli(t, "", pw, "login", "--session", session, "--kind", "json",
		"--login-url", ts.URL+"/auth/login", "--refresh-url", ts.URL+"/auth/refresh", "--username", "demo")
	if r.code != 0 {
		t.Fatalf("login: exit %d, stderr %q", r.code, r.stderr)
	}
	st, err := os.Stat(session)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Errorf("session file mode %v, want 0600", st.Mode().Perm())
	}
	if strings.Contains(r.stderr+r.stdout, "demo-password") {
		t.Error("login printed the password")
	}

	// A request with the saved token: no new login, no password needed.
	r = cli(t, "", nil, "get", ts.URL+"/api/me", "--session", session, "-i")
	if r.code != 0 || !strings.Contains(r.stdout, "HTTP/1.1 200 OK") || !strings.Contains(r.stdout, `"user":"demo"`) {
		t.Errorf("get /api/me: exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}
	if s := srv.Stats(); s.Logins != 1 {
		t.Errorf("logins = %d, want 1", s.Logins)
	}

	// token show is redacted; token refresh rotates without a password.
	raw, _ := os.ReadFile(session)
	var file struct {
		Token struct {
			AccessToken  string `json:"access_token"`
			RefreshToken string `json:"refresh_token"`
		} `json:"token"`
	}
	if err := json.Unmarshal(raw, &file); err != nil || file.Token.AccessToken == "" {
		t.Fatalf("session file has no token: %v", err)
	}
	r = cli(t, "", nil, "token", "show", "--session", session)
	if r.code != 0 || !strings.Contains(r.stdout, "redacted") {
		t.Errorf("token show: exit %d, stdout %q", r.code, r.stdout)
	}
	if strings.Contains(r.stdout, file.Token.AccessToken) || strings.Contains(r.stdout, file.Token.RefreshToken) {
		t.Error("token show printed a token")
	}
	r = cli(t, "", nil, "token", "refresh", "--session", session)
	if r.code != 0 {
		t.Errorf("token refresh: exit %d, stderr %q", r.code, r.stderr)
	}
	if s := srv.Stats(); s.Refreshes != 1 || s.Logins != 1 {
		t.Errorf("after token refresh: %+v, want 1 refresh and still 1 login", s)
	}

	// Cookies: a page sets one, list masks it, export/import round-trips,
	// rm and clear remove.
	if r = cli(t, "", nil, "get", ts.URL+"/page", "--session", session); r.code != 0 {
		t.Fatalf("get /page: exit %d %q", r.code, r.stderr)
	}
	r = cli(t, "", nil, "cookies", "list", "--session", session)
	if r.code != 0 || !strings.Contains(r.stdout, "visits") || !strings.Contains(r.stdout, "<1 bytes>") {
		t.Errorf("cookies list: exit %d, stdout %q", r.code, r.stdout)
	}
	r = cli(t, "", nil, "cookies", "list", "--session", session, "--json", "--show-values")
	if !strings.Contains(r.stdout, `"value": "1"`) {
		t.Errorf("cookies list --json --show-values: %q", r.stdout)
	}
	exp := cli(t, "", nil, "cookies", "export", "--session", session)
	if exp.code != 0 || !strings.HasPrefix(exp.stdout, "# Netscape HTTP Cookie File") || !strings.Contains(exp.stdout, "\tvisits\t1") {
		t.Errorf("cookies export: exit %d, stdout %q", exp.code, exp.stdout)
	}
	exportFile := filepath.Join(t.TempDir(), "cookies.txt")
	if r = cli(t, "", nil, "cookies", "export", "--session", session, "-o", exportFile); r.code != 0 {
		t.Errorf("cookies export -o: exit %d, stderr %q", r.code, r.stderr)
	}
	if st, err := os.Stat(exportFile); err != nil || st.Mode().Perm() != 0o600 {
		t.Errorf("cookies export -o file: %v, want mode 0600 (it holds cookie values)", err)
	}
	other := filepath.Join(t.TempDir(), "other.json")
	r = cli(t, exp.stdout, nil, "cookies", "import", "-", "--session", other)
	if r.code != 0 || !strings.Contains(r.stderr, "imported 1;") {
		t.Errorf("cookies import: exit %d, stderr %q", r.code, r.stderr)
	}
	r = cli(t, "", nil, "cookies", "rm", "--session", session, "--domain", "127.0.0.1", "--name", "visits")
	if r.code != 0 {
		t.Errorf("cookies rm: exit %d, stderr %q", r.code, r.stderr)
	}
	r = cli(t, "", nil, "cookies", "list", "--session", session)
	if strings.Contains(r.stdout, "visits") {
		t.Errorf("cookie still listed after rm: %q", r.stdout)
	}
	r = cli(t, "", nil, "cookies", "clear", "--session", other)
	if r.code != 0 || !strings.Contains(r.stderr, "removed 1 cookie from") {
		t.Errorf("cookies clear: exit %d, stderr %q", r.code, r.stderr)
	}
}

func TestRequestFlags(t *testing.T) {
	type seen struct {
		method, ctype, body, header string
	}
	var mu sync.Mutex
	var last seen
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b := new(bytes.Buffer)
		b.ReadFrom(r.Body)
		mu.Lock()
		last = seen{r.Method, r.Header.Get("Content-Type"), b.String(), r.Header.Get("X-Test")}
		mu.Unlock()
		if r.URL.Path == "/missing" {
			http.NotFound(w, r)
			return
		}
		fmt.Fprint(w, "hello")
	}))
	defer ts.Close()

	dir := t.TempDir()
	bodyFile := filepath.Join(dir, "body.json")
	os.WriteFile(bodyFile, []byte(`{"a":1}`), 0o600)
	got := func() seen {
		mu.Lock()
		defer mu.Unlock()
		return last
	}
	r := cli(t, "", nil, "post", ts.URL, "--json", "@"+bodyFile, "-H", "X-Test: yes")
	if r.code != 0 || r.stdout != "hello" {
		t.Errorf("post: exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}
	if g := got(); g != (seen{"POST", "application/json", `{"a":1}`, "yes"}) {
		t.Errorf("server saw %+v", g)
	}

	out := filepath.Join(dir, "out.txt")
	r = cli(t, "", nil, "do", "-X", "PUT", ts.URL, "-d", "x=1", "-o", out)
	b, _ := os.ReadFile(out)
	if r.code != 0 || string(b) != "hello" || got().method != "PUT" {
		t.Errorf("do -X PUT -o: exit %d, file %q, method %s", r.code, b, got().method)
	}

	r = cli(t, "", nil, "get", ts.URL+"/missing")
	if r.code != 0 {
		t.Errorf("get 404 without --fail: exit %d, want 0", r.code)
	}
	r = cli(t, "", nil, "get", ts.URL+"/missing", "--fail")
	if r.code != 22 {
		t.Errorf("get 404 with --fail: exit %d, want 22", r.code)
	}
}

func TestBadInput(t *testing.T) {
	dir := t.TempDir()
	corrupt := filepath.Join(dir, "corrupt.json")
	os.WriteFile(corrupt, []byte(`{"version": 1, "cookies": [`), 0o600)
	closed := httptest.NewServer(http.NotFoundHandler())
	closedURL := closed.URL
	closed.Close()

	tests := []struct {
		name     string
		args     []string
		wantCode int
		wantErr  string
	}{
		{"no command", nil, 2, "usage"},
		{"demo with an argument", []string{"demo", "now"}, 2, "unexpected argument"},
		{"unknown command", []string{"fly"}, 2, "unknown command"},
		{"bad URL", []string{"get", "not a url"}, 2, "bad URL"},
		{"two URLs", []string{"get", "http://a", "http://b"}, 2, "exactly one URL"},
		{"unknown flag", []string{"get", "--bogus", "http://a"}, 2, "bogus"},
		{"do without -X", []string{"do", "http://a"}, 2, "-X"},
		{"refused connection", []string{"get", closedURL, "--session", filepath.Join(dir, "s.json")}, 1, "refused"},
		{"corrupt session", []string{"cookies", "list", "--session", corrupt}, 1, "corrupt"},
		{"cookies without session", []string{"cookies", "list"}, 2, "--session"},
		{"login without url", []string{"login", "--session", filepath.Join(dir, "l.json")}, 2, "--login-url"},
		{"login no password", []string{"login", "--session", filepath.Join(dir, "l.json"), "--login-url", "http://127.0.0.1:1/x", "--username", "u"}, 1, "no password for u at http://127.0.0.1:1: set HTTPSESSION_PASSWORD, pass --password-stdin,"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var r result
			if tt.name == "refused connection" {
				// In-process, in a synctest bubble: the retry policy's
				// backoff between the refused tries passes on the fake clock.
				synctest.Test(t, func(t *testing.T) {
					var out, errb bytes.Buffer
					e := &env{stdin: strings.NewReader(""), stdout: &out, stderr: &errb, getenv: func(string) string { return "" }}
					r = result{run(context.Background(), e, tt.args), out.String(), errb.String()}
				})
			} else {
				r = cli(t, "", []string{"HTTPSESSION_SESSION=", "HTTPSESSION_PASSWORD="}, tt.args...)
			}
			if r.code != tt.wantCode {
				t.Errorf("exit %d, want %d (stderr %q)", r.code, tt.wantCode, r.stderr)
			}
			if !strings.Contains(r.stderr, tt.wantErr) {
				t.Errorf("stderr %q does not mention %q", r.stderr, tt.wantErr)
			}
			if tt.wantCode == 1 && strings.Count(strings.TrimSpace(r.stderr), "\n") > 0 {
				t.Errorf("error is not one line: %q", r.stderr)
			}
			if strings.Contains(r.stderr, "goroutine ") {
				t.Errorf("stack trace printed: %q", r.stderr)
			}
		})
	}
	if b, _ := os.ReadFile(corrupt); string(b) != `{"version": 1, "cookies": [` {
		t.Errorf("corrupt session file changed to %q", b)
	}
}

// TestDemoStoryIsTrue runs the demo as a new user does, three times,
// through the binary's own entry point (run), with 0 to 3 seconds between
// runs. It runs in a testing/synctest bubble (the demo's API is in memory),
// so its waits — for the token to near expiry, for the Retry-After — take
// no time; TestDemoEncrypt waits them on the real timer. Every step's
// sentence must agree with the numbers the server counted, which the demo
// prints beside it: a resumed run that skips a step must not tell it.
func TestDemoStoryIsTrue(t *testing.T) {
	for _, gap := range []time.Duration{0, time.Second, 3 * time.Second} {
		t.Run(gap.String(), func(t *testing.T) {
			file := filepath.Join(t.TempDir(), "httpsession-demo.json")
			synctest.Test(t, func(t *testing.T) {
				demo := func() string {
					var out bytes.Buffer
					e := &env{stdin: strings.NewReader(""), stdout: &out, stderr: &out, getenv: func(string) string { return "" }}
					if code := run(context.Background(), e, []string{"demo", "--file", file}); code != 0 {
						t.Fatalf("demo: exit %d\n%s", code, out.String())
					}
					return out.String()
				}
				start := time.Now()
				first := demo()
				for _, want := range []string{"none yet", "logged in (POST", "waiting 2.2s until the token is within 2s of expiry",
					"refreshed ahead of expiry", "the server answered 401; the token manager refreshed once",
					"waited 1s as asked", "mode -rw-------", "Run it again"} {
					if !strings.Contains(first, want) {
						t.Errorf("first demo run lacks %q:\n%s", want, first)
					}
				}
				if got, want := time.Since(start), 3200*time.Millisecond; got != want {
					t.Errorf("first demo run took %v, want %v: 2.2s for the token, 1s for the Retry-After", got, want)
				}
				checkStory(t, first)
				for run := 2; run <= 3; run++ {
					time.Sleep(gap)
					out := demo()
					checkStory(t, out)
					for _, want := range []string{"resumed, ", "resumed without logging in", fmt.Sprintf(`"visits":%d`, run),
						"the jar sent the challenge cookie an earlier run saved (429s: 0)", "This run resumed"} {
						if !strings.Contains(out, want) {
							t.Errorf("demo run %d lacks %q:\n%s", run, want, out)
						}
					}
					if strings.Contains(out, "logged in (POST") {
						t.Errorf("demo run %d logged in:\n%s", run, out)
					}
				}
			})
			if st, err := os.Stat(file); err != nil || st.Mode().Perm() != 0o600 {
				t.Errorf("demo session file: %v, want mode 0600", err)
			}
		})
	}
}

// checkStory checks that each sentence of a demo run agrees with the
// counts printed on the line above it.
func checkStory(t *testing.T, out string) {
	t.Helper()
	countsRe := regexp.MustCompile(`logins: (\d+), refreshes: (\d+), 401s: (\d+)\)$`)
	lines := strings.Split(out, "\n")
	for i, line := range lines {
		m := countsRe.FindStringSubmatch(line)
		if m == nil || i+1 >= len(lines) {
			continue
		}
		logins, refreshes, unauthorized := m[1] != "0", m[2] != "0", m[3] != "0"
		next := lines[i+1]
		claims := map[string]bool{
			"logged in (POST":                     logins,
			"refreshed ahead of expiry":           refreshes && !unauthorized,
			"refreshed once and replayed":         refreshes && unauthorized,
			"still valid":                         !logins && !refreshes,
			"no refresh was needed":               !refreshes && !logins,
			"issued after the revocation: no 401": !unauthorized,
			"saved token was refused":             refreshes && unauthorized,
			"saved token was near expiry":         refreshes && !unauthorized,
			"logged in again":                     logins,
		}
		for phrase, true_ := range claims {
			if strings.Contains(next, phrase) && !true_ {
				t.Errorf("the demo says %q after the server counted %q:\n%s", strings.TrimSpace(next), m[0], out)
			}
		}
	}
}

func TestLoginOAuth2(t *testing.T) {
	srv, ts := demoServer(t)
	tests := []struct {
		name  string
		stdin string
		env   []string
		args  []string
		code  int
	}{
		{"client credentials, secret from env", "", []string{"HTTPSESSION_CLIENT_SECRET=" + demoserver.ClientSecret},
			[]string{"--kind", "oauth2-client", "--client-id", demoserver.ClientID}, 0},
		{"password grant, password from stdin", "demo-password\n", []string{"HTTPSESSION_CLIENT_SECRET=" + demoserver.ClientSecret},
			[]string{"--kind", "oauth2-password", "--client-id", demoserver.ClientID, "--username", "demo", "--password-stdin"}, 0},
		{"wrong password", "nope\n", []string{"HTTPSESSION_CLIENT_SECRET=" + demoserver.ClientSecret},
			[]string{"--kind", "oauth2-password", "--client-id", demoserver.ClientID, "--username", "demo", "--password-stdin"}, 1},
		{"wrong client secret", "", []string{"HTTPSESSION_CLIENT_SECRET=bad-secret-value"},
			[]string{"--kind", "oauth2-client", "--client-id", demoserver.ClientID}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			session := filepath.Join(t.TempDir(), "s.json")
			args := append([]string{"login", "--session", session, "--token-url", ts.URL + "/oauth/token"}, tt.args...)
			r := cli(t, tt.stdin, tt.env, args...)
			if r.code != tt.code {
				t.Fatalf("exit %d, want %d; stderr %q", r.code, tt.code, r.stderr)
			}
			for _, secret := range []string{"demo-password", "nope", demoserver.ClientSecret, "bad-secret-value"} {
				if strings.Contains(r.stdout+r.stderr, secret) {
					t.Errorf("output shows a secret: %q", r.stderr)
				}
			}
			if tt.code != 0 {
				if strings.Count(strings.TrimSpace(r.stderr), "\n") > 0 {
					t.Errorf("error is not one line: %q", r.stderr)
				}
				return
			}
			r = cli(t, "", nil, "get", ts.URL+"/api/me", "--session", session, "--fail")
			if r.code != 0 {
				t.Errorf("get with the OAuth2 token: exit %d, stderr %q", r.code, r.stderr)
			}
		})
	}
	if s := srv.Stats(); s.Logins != 2 {
		t.Errorf("%d logins, want 2", s.Logins)
	}
}

func TestRefreshStyleFlag(t *testing.T) {
	for _, s := range []httpsession.RefreshStyle{httpsession.RefreshInBody, httpsession.RefreshInBearer, httpsession.RefreshInCookie} {
		if got, ok := refreshStyle(s.String()); got != s || !ok {
			t.Errorf("refreshStyle(%q) = %v, %v; want %v, true", s.String(), got, ok, s)
		}
	}
	if got, ok := refreshStyle(""); got != httpsession.RefreshInBody || !ok {
		t.Errorf(`refreshStyle("") = %v, %v; want body, true`, got, ok)
	}
	if _, ok := refreshStyle("header"); ok {
		t.Error(`refreshStyle("header") = ok, want not ok`)
	}
}
