package main

import (
	"bytes"
	"context"
	"encoding/pem"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// runIn runs a command line in process and returns what it printed.
func runIn(t *testing.T, ctx context.Context, vars map[string]string, args ...string) result {
	t.Helper()
	var out, errb bytes.Buffer
	e := &env{stdin: strings.NewReader(""), stdout: &out, stderr: &errb, getenv: func(k string) string { return vars[k] }}
	code := run(ctx, e, args)
	return result{code, out.String(), errb.String()}
}

// formLoginServer logs in with a form and keeps the login in a session
// cookie without Expires or Max-Age, as Flask, PHP and Java servers do.
func formLoginServer(t *testing.T) *httptest.Server {
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/login":
			r.ParseForm()
			if r.PostForm.Get("password") != "pw" {
				http.Error(w, "bad credentials", http.StatusUnauthorized)
				return
			}
			http.SetCookie(w, &http.Cookie{Name: "session", Value: "logged-in-alice", Path: "/", HttpOnly: true})
			io.WriteString(w, "welcome")
		case "/account":
			if c, err := r.Cookie("session"); err == nil && c.Value == "logged-in-alice" {
				io.WriteString(w, "account of alice")
				return
			}
			http.Error(w, "logged out", http.StatusUnauthorized)
		}
	}))
	t.Cleanup(ts.Close)
	return ts
}

func TestSessionCookieResumes(t *testing.T) {
	ts := formLoginServer(t)
	dir := t.TempDir()
	session := filepath.Join(dir, "s.json")
	if r := cli(t, "", nil, "post", ts.URL+"/login", "-d", "user=alice&password=pw", "--session", session); r.code != 0 {
		t.Fatalf("post /login: exit %d %q", r.code, r.stderr)
	}
	r := cli(t, "", nil, "get", ts.URL+"/account", "--session", session, "--fail")
	if r.code != 0 || r.stdout != "account of alice" {
		t.Errorf("get /account after a form login: exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}

	dropped := filepath.Join(dir, "dropped.json")
	cli(t, "", nil, "post", ts.URL+"/login", "-d", "password=pw", "--session", dropped, "--drop-session-cookies")
	r = cli(t, "", nil, "get", ts.URL+"/account", "--session", dropped)
	if !strings.Contains(r.stdout, "logged out") {
		t.Errorf("--drop-session-cookies kept the session cookie: %q", r.stdout)
	}
}

// jwtAPI is a login API in the manner of flask-jwt-extended: the refresh
// endpoint reads the refresh token from "Authorization: Bearer".
type jwtAPI struct {
	mu                  sync.Mutex
	access, refresh     string
	logins, refreshes   int
	requests            atomic.Int32
	refreshTokenRevoked bool
}

func (a *jwtAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	a.requests.Add(1)
	a.mu.Lock()
	defer a.mu.Unlock()
	switch r.URL.Path {
	case "/auth/login":
		var b bytes.Buffer
		b.ReadFrom(r.Body)
		if !strings.Contains(b.String(), `"password":"pw"`) {
			http.Error(w, `{"msg":"Bad username or password"}`, http.StatusUnauthorized)
			return
		}
		a.logins++
		a.access, a.refresh = fmt.Sprintf("access-%d", a.logins), fmt.Sprintf("refresh-%d", a.logins)
		fmt.Fprintf(w, `{"access_token":%q,"refresh_token":%q}`, a.access, a.refresh)
	case "/auth/refresh":
		if a.refreshTokenRevoked || r.Header.Get("Authorization") != "Bearer "+a.refresh {
			http.Error(w, `{"msg":"Token has been revoked"}`, http.StatusUnauthorized)
			return
		}
		a.refreshes++
		a.access = fmt.Sprintf("access-r%d", a.refreshes)
		fmt.Fprintf(w, `{"access_token":%q}`, a.access)
	default:
		if r.Header.Get("Authorization") != "Bearer "+a.access {
			http.Error(w, `{"msg":"Missing Authorization Header"}`, http.StatusUnauthorized)
			return
		}
		io.WriteString(w, `{"user":"alice"}`)
	}
}

func TestJWTLoginAndRefresh(t *testing.T) {
	api := &jwtAPI{}
	ts := httptest.NewServer(api)
	defer ts.Close()
	session := filepath.Join(t.TempDir(), "s.json")
	login := []string{"login", "--session", session, "--login-url", ts.URL + "/auth/login",
		"--refresh-url", ts.URL + "/auth/refresh", "--refresh-style", "bearer", "--username", "alice"}

	r := cli(t, "", []string{"HTTPSESSION_PASSWORD=wrong"}, login...)
	if r.code != 1 || !strings.Contains(r.stderr, "login rejected (401 Unauthorized): check the user name and password") {
		t.Errorf("wrong password: exit %d, stderr %q", r.code, r.stderr)
	}
	before := api.requests.Load()
	r = cli(t, "\n", []string{"HTTPSESSION_PASSWORD="}, append(login, "--password-stdin")...)
	if r.code != 1 || !strings.Contains(r.stderr, "empty password") || api.requests.Load() != before {
		t.Errorf("empty password: exit %d, stderr %q, %d requests sent", r.code, r.stderr, api.requests.Load()-before)
	}

	if r = cli(t, "", []string{"HTTPSESSION_PASSWORD=pw"}, login...); r.code != 0 {
		t.Fatalf("login: exit %d %q", r.code, r.stderr)
	}
	if r = cli(t, "", []string{"HTTPSESSION_PASSWORD="}, "token", "refresh", "--session", session); r.code != 0 {
		t.Fatalf("token refresh with the bearer style: exit %d %q", r.code, r.stderr)
	}
	if r = cli(t, "", nil, "get", ts.URL+"/api", "--session", session, "--fail"); r.code != 0 {
		t.Errorf("get with the refreshed token: exit %d %q", r.code, r.stderr)
	}
	api.mu.Lock()
	api.refreshTokenRevoked = true
	logins, refreshes := api.logins, api.refreshes
	api.mu.Unlock()
	if logins != 1 || refreshes != 1 {
		t.Errorf("logins, refreshes = %d, %d; want 1, 1", logins, refreshes)
	}

	// A rejected refresh without a password to log in again: exit 1,
	// saying why, what is needed, and no flag get does not take.
	r = cli(t, "", []string{"HTTPSESSION_PASSWORD="}, "token", "refresh", "--session", session)
	if r.code != 1 || !strings.Contains(r.stderr, "refresh rejected (401 Unauthorized)") ||
		!strings.Contains(r.stderr, "to log in again: no password for alice at "+ts.URL+": set HTTPSESSION_PASSWORD or run in a terminal") {
		t.Errorf("rejected refresh: exit %d, stderr %q", r.code, r.stderr)
	}
	if strings.Contains(r.stderr, "--password-stdin") {
		t.Errorf("token refresh suggests a flag it does not take: %q", r.stderr)
	}
}

// TestRetryVisible: -v shows each retry and its wait, and an error after
// retries says how many attempts were made. It waits on the real timer
// (a 1s Retry-After, one backoff of at most 1s), as the CLI does.
func TestRetryVisible(t *testing.T) {
	var hits atomic.Int32
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := hits.Add(1)
		switch r.URL.Path {
		case "/slow":
			w.Header().Set("Retry-After", "120")
			w.WriteHeader(http.StatusTooManyRequests)
		default:
			if n%2 == 1 {
				w.Header().Set("Retry-After", "1")
				w.WriteHeader(http.StatusTooManyRequests)
				return
			}
			io.WriteString(w, "ok")
		}
	}))
	defer ts.Close()
	r := runIn(t, context.Background(), nil, "get", ts.URL+"/", "-v")
	if r.code != 0 || r.stdout != "ok" || !strings.Contains(r.stderr, "retry: GET "+ts.URL+"/: 429 Too Many Requests (try 1 of 4); waiting 1s") {
		t.Errorf("get -v after a 429: exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}
	hits.Store(0)
	r = runIn(t, context.Background(), nil, "get", ts.URL+"/", "--retry", "0")
	if hits.Load() != 1 || r.code != 0 {
		t.Errorf("--retry 0: %d requests, exit %d; want 1 request", hits.Load(), r.code)
	}
	r = runIn(t, context.Background(), nil, "get", ts.URL+"/slow", "--max-wait", "30s")
	if !strings.Contains(r.stderr, "the server asked to wait 2m0s (Retry-After), more than --max-wait 30s: not retried") {
		t.Errorf("Retry-After above the cap: stderr %q", r.stderr)
	}

	closed := httptest.NewServer(http.NotFoundHandler())
	url := closed.URL
	closed.Close()
	r = runIn(t, context.Background(), nil, "get", url, "--retry", "1")
	if r.code != 1 || !strings.Contains(r.stderr, "connection refused (gave up after 2 attempts)") {
		t.Errorf("refused: exit %d, stderr %q", r.code, r.stderr)
	}
}

func TestTLSFlags(t *testing.T) {
	ts := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "secure") }))
	defer ts.Close()
	ca := filepath.Join(t.TempDir(), "ca.pem")
	os.WriteFile(ca, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: ts.Certificate().Raw}), 0o600)

	if r := cli(t, "", nil, "get", ts.URL); r.code != 1 || !strings.Contains(r.stderr, "certificate") {
		t.Errorf("self-signed without --cacert: exit %d, stderr %q", r.code, r.stderr)
	}
	if r := cli(t, "", nil, "get", ts.URL, "--cacert", ca); r.code != 0 || r.stdout != "secure" {
		t.Errorf("--cacert: exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}
	r := cli(t, "", nil, "get", ts.URL, "-k")
	if r.code != 0 || r.stdout != "secure" || !strings.Contains(r.stderr, "warning: -k/--insecure") {
		t.Errorf("-k: exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}
	if h := cli(t, "", nil, "get", "-h"); !strings.Contains(h.stderr, "SSL_CERT_FILE") {
		t.Errorf("get -h does not mention SSL_CERT_FILE")
	}
}

func TestCurlConventions(t *testing.T) {
	var mu sync.Mutex
	var seen []*http.Request
	var bodies []string
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen = append(seen, r)
		mu.Unlock()
	}))
	defer other.Close()
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		seen, bodies = append(seen, r), append(bodies, string(b))
		mu.Unlock()
		switch r.URL.Path {
		case "/away":
			http.Redirect(w, r, other.URL+"/x", http.StatusFound)
		case "/r2":
			http.SetCookie(w, &http.Cookie{Name: "hop", Value: "v"})
			http.Redirect(w, r, "/r1", http.StatusFound)
		case "/r1":
			http.Redirect(w, r, "/", http.StatusFound)
		case "/missing":
			http.Error(w, "the error page", http.StatusNotFound)
		}
	}))
	defer ts.Close()
	last := func() *http.Request { mu.Lock(); defer mu.Unlock(); return seen[len(seen)-1] }
	lastBody := func() string { mu.Lock(); defer mu.Unlock(); return bodies[len(bodies)-1] }

	cli(t, "", nil, "get", ts.URL+"/away", "-H", "Authorization: Basic dTpw", "-H", "Cookie: own=1", "-H", "X-A: 1", "-H", "X-A: 2")
	if h := last().Header; h.Get("Authorization") != "" || h.Get("Cookie") != "" || len(h.Values("X-A")) != 2 {
		t.Errorf("after a redirect to another port: Authorization %q, Cookie %q, X-A %q", h.Get("Authorization"), h.Get("Cookie"), h.Values("X-A"))
	}
	if r := cli(t, "", nil, "get", ts.URL+"/missing", "--fail"); r.code != 22 || r.stdout != "" {
		t.Errorf("--fail: exit %d, stdout %q; want 22 and no body", r.code, r.stdout)
	}
	f := filepath.Join(t.TempDir(), "body")
	os.WriteFile(f, []byte("a=1\r\nb=2\n"), 0o600)
	cli(t, "", nil, "post", ts.URL+"/", "-d", "@"+f)
	if b := lastBody(); b != "a=1b=2" {
		t.Errorf("-d @file sent %q, want newlines stripped", b)
	}
	cli(t, "", nil, "post", ts.URL+"/", "--data-binary", "@"+f)
	if b := lastBody(); b != "a=1\r\nb=2\n" {
		t.Errorf("--data-binary @file sent %q, want it as is", b)
	}
	if r := cli(t, "", nil, "get", ts.URL+"/", "-d", "x=1"); r.code != 2 || !strings.Contains(r.stderr, "use post") {
		t.Errorf("get -d: exit %d, stderr %q; want a usage error", r.code, r.stderr)
	}
	if r := cli(t, "", nil, "get", ts.URL+"/r2", "--max-redirs", "1"); r.code != 1 || !strings.Contains(r.stderr, "stopped after 1 redirects") {
		t.Errorf("--max-redirs 1: exit %d, stderr %q", r.code, r.stderr)
	}
	r := cli(t, "", nil, "get", ts.URL+"/r2", "--no-follow", "-i", "-v")
	if r.code != 0 || !strings.HasPrefix(r.stdout, "HTTP/1.1 302 Found") {
		t.Errorf("--no-follow -i: exit %d, stdout %q", r.code, r.stdout)
	}
	if !strings.Contains(r.stderr, "< HTTP/1.1 302 Found") || !strings.Contains(r.stderr, "< Set-Cookie: hop=<1 bytes>") {
		t.Errorf("-v does not show the hop: %q", r.stderr)
	}
	r = cli(t, "", nil, "get", ts.URL+"/r2", "-v")
	if strings.Count(r.stderr, "< HTTP/1.1 302 Found") != 2 {
		t.Errorf("-v shows %d redirect hops, want 2: %q", strings.Count(r.stderr, "< HTTP/1.1 302 Found"), r.stderr)
	}
}

func TestInterrupt(t *testing.T) {
	started := make(chan struct{}, 1)
	release := make(chan struct{})
	defer close(release)
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.SetCookie(w, &http.Cookie{Name: "early", Value: "1", MaxAge: 3600})
		w.Write([]byte("partial"))
		w.(http.Flusher).Flush()
		started <- struct{}{}
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer ts.Close()
	dir := t.TempDir()
	session, out := filepath.Join(dir, "s.json"), filepath.Join(dir, "out.bin")
	cmd := exec.Command(binary, "get", ts.URL, "--session", session, "-o", out)
	var errb bytes.Buffer
	cmd.Stderr = &errb
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	<-started
	// The interrupt must come once the response is in: when the partial
	// body reaches the temporary -o file, its Set-Cookie has been stored.
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		if partialOutput(dir, ".out.bin.tmp-") || time.Now().After(deadline) {
			break
		}
	}
	cmd.Process.Signal(syscall.SIGINT)
	err := cmd.Wait()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 130 {
		t.Errorf("after SIGINT: %v, want exit 130", err)
	}
	if got := errb.String(); got != "httpsession get: interrupted\n" {
		t.Errorf("stderr after SIGINT = %q, want one line", got)
	}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if e.Name() != "s.json" && e.Name() != "s.json.lock" {
			t.Errorf("directory after SIGINT holds %s, want only the session file and its lock (no partial -o)", e.Name())
		}
	}
	if r := cli(t, "", nil, "cookies", "list", "--session", session); !strings.Contains(r.stdout, "early") {
		t.Errorf("cookie received before the interrupt not saved: %q", r.stdout)
	}
}

// partialOutput reports whether dir holds a non-empty file whose name
// starts with prefix.
func partialOutput(dir, prefix string) bool {
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if fi, err := e.Info(); err == nil && strings.HasPrefix(e.Name(), prefix) && fi.Size() > 0 {
			return true
		}
	}
	return false
}

func TestMessages(t *testing.T) {
	dir := t.TempDir()
	ts := formLoginServer(t)
	session := filepath.Join(dir, "s.json")
	cli(t, "", nil, "post", ts.URL+"/login", "-d", "password=pw", "--session", session)

	if r := cli(t, "", nil, "--version"); r.code != 0 || !strings.HasPrefix(r.stdout, "httpsession ") {
		t.Errorf("--version: exit %d, stdout %q", r.code, r.stdout)
	}
	if r := cli(t, "", nil, "get", "--bogus", ts.URL); r.code != 2 || strings.Count(r.stderr, "bogus") != 1 || strings.Count(r.stderr, "\n") != 1 {
		t.Errorf("unknown flag: exit %d, stderr %q; want the error once", r.code, r.stderr)
	}
	if r := cli(t, "", nil, "cookies", "list", "--session", session, "--json"); !strings.Contains(r.stdout, `"value": "<15 bytes>"`) {
		t.Errorf("cookies list --json: %q", r.stdout)
	}

	// Read-only commands on a missing file create nothing.
	missing := filepath.Join(dir, "nodir", "none.json")
	for _, args := range [][]string{{"cookies", "list"}, {"cookies", "export"}, {"token", "show"}} {
		r := cli(t, "", nil, append(args, "--session", missing)...)
		if r.code != 1 || !strings.Contains(r.stderr, "no such session file") {
			t.Errorf("%v on a missing file: exit %d, stderr %q", args, r.code, r.stderr)
		}
	}
	if _, err := os.Stat(filepath.Dir(missing)); err == nil {
		t.Errorf("a read-only command created %s", filepath.Dir(missing))
	}

	// A corrupt file: the way forward, and session reset moves it aside.
	corrupt := filepath.Join(dir, "corrupt.json")
	os.WriteFile(corrupt, []byte(`{"version":1,`), 0o600)
	r := cli(t, "", nil, "cookies", "list", "--session", corrupt)
	if r.code != 1 || !strings.Contains(r.stderr, "--fresh") || !strings.Contains(r.stderr, "session reset") {
		t.Errorf("corrupt file: exit %d, stderr %q", r.code, r.stderr)
	}
	if r := cli(t, "", nil, "session", "reset", "--session", corrupt); r.code != 0 || !strings.Contains(r.stderr, "moved aside") {
		t.Errorf("session reset: exit %d, stderr %q", r.code, r.stderr)
	}
	if aside, _ := filepath.Glob(corrupt + ".corrupt-*"); len(aside) != 1 {
		t.Errorf("after session reset: %v moved aside, want one file", aside)
	}
	os.WriteFile(corrupt, []byte(`{"version":1,`), 0o600)
	if r := cli(t, "", nil, "get", ts.URL+"/account", "--session", corrupt, "--fresh"); r.code != 0 {
		t.Errorf("get --fresh on a corrupt file: exit %d, stderr %q", r.code, r.stderr)
	}

	// A 0-byte file is an empty session.
	empty := filepath.Join(dir, "empty.json")
	os.WriteFile(empty, nil, 0o600)
	if r := cli(t, "", nil, "post", ts.URL+"/login", "-d", "password=pw", "--session", empty); r.code != 0 {
		t.Errorf("0-byte session file: exit %d, stderr %q", r.code, r.stderr)
	}

	// A session file others can read is reported.
	os.Chmod(session, 0o644)
	if r := cli(t, "", nil, "get", ts.URL+"/account", "--session", session); !strings.Contains(r.stderr, "accessible by group or others") {
		t.Errorf("world-readable session file not reported: %q", r.stderr)
	}
	os.Chmod(session, 0o600)

	// cookies rm without --path lists the paths; "removed 1 cookie".
	multi := filepath.Join(dir, "multi.txt")
	os.WriteFile(multi, []byte("example.com\tFALSE\t/\tFALSE\t0\tc\t1\nexample.com\tFALSE\t/a\tFALSE\t0\tc\t2\n"), 0o600)
	cli(t, "", nil, "cookies", "import", multi, "--session", session)
	r = cli(t, "", nil, "cookies", "rm", "--session", session, "--domain", "example.com", "--name", "c")
	if r.code != 1 || !strings.Contains(r.stderr, "paths /, /a") {
		t.Errorf("cookies rm without --path: exit %d, stderr %q", r.code, r.stderr)
	}
	r = cli(t, "", nil, "cookies", "rm", "--session", session, "--domain", "example.com", "--name", "c", "--path", "/a")
	if r.code != 0 || !strings.Contains(r.stderr, "removed 1 cookie from") {
		t.Errorf("cookies rm --path: exit %d, stderr %q", r.code, r.stderr)
	}
}

func TestCookiesImportReport(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "cookies.txt")
	os.WriteFile(in, []byte("# Netscape HTTP Cookie File\n"+
		".example.com\tTRUE\t/\tFALSE\t0\tsess\t1\n"+
		".example.com\tTRUE\t/\tFALSE\t4102444800\tkept\t2\n"+
		".co.uk\tTRUE\t/\tFALSE\t0\tps\tx\n"+
		"example.com\tFALSE\t/\tFALSE\t0\t__Host-h\ty\n"+
		"not a cookie\n"), 0o600)
	r := cli(t, "", nil, "cookies", "import", in, "--session", filepath.Join(dir, "s.json"), "--drop-session-cookies")
	// "sess" is read but not saved: one cookie imported, not two.
	want := "imported 1, skipped 1 (session cookies, not saved with --drop-session-cookies), rejected 3: " +
		`line 4: cookie "ps" for co.uk: domain is a public suffix; line 5: cookie "__Host-h" for example.com: cookie prefix rules not met; line 6: malformed`
	if r.code != 0 || !strings.Contains(r.stderr, want) {
		t.Errorf("cookies import: exit %d, stderr %q, want %q", r.code, r.stderr, want)
	}
	bad := filepath.Join(dir, "bad.txt")
	os.WriteFile(bad, []byte("nothing here\n"), 0o600)
	if r := cli(t, "", nil, "cookies", "import", bad, "--session", filepath.Join(dir, "s2.json")); r.code != 1 {
		t.Errorf("import of a file with no cookie: exit %d, want 1", r.code)
	}
}

func TestTokenNotSentExplained(t *testing.T) {
	api := &jwtAPI{}
	ts := httptest.NewServer(api)
	defer ts.Close()
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "who are you", http.StatusUnauthorized)
	}))
	defer other.Close()
	session := filepath.Join(t.TempDir(), "s.json")
	if r := cli(t, "", []string{"HTTPSESSION_PASSWORD=pw"}, "login", "--session", session, "--login-url", ts.URL+"/auth/login", "--username", "alice"); r.code != 0 {
		t.Fatalf("login: %q", r.stderr)
	}
	r := cli(t, "", nil, "get", other.URL, "--session", session, "-v")
	if want := "token not sent: " + other.URL + " is not an allowed origin"; !strings.Contains(r.stderr, want) {
		t.Errorf("stderr %q lacks %q", r.stderr, want)
	}
}

// TestInterruptDuringRetryWait checks that Ctrl-C during a retry's wait
// reads as during a transfer: exit 130 and one line.
func TestInterruptDuringRetryWait(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Retry-After", "5")
		w.WriteHeader(http.StatusServiceUnavailable)
	}))
	defer ts.Close()
	// -v announces the wait just before it begins: Ctrl-C then.
	errb := &cancelOn{text: "waiting 5s", cancel: cancel}
	e := &env{stdin: strings.NewReader(""), stdout: io.Discard, stderr: errb, getenv: func(string) string { return "" }}
	code := run(ctx, e, []string{"get", ts.URL, "-v"})
	if !errb.seen {
		t.Fatalf("no wait announced: stderr %q", errb.b.String())
	}
	out := errb.b.String()
	if code != 130 || !strings.HasSuffix(out, "waiting 5s\nhttpsession get: interrupted\n") {
		t.Errorf("interrupted wait: exit %d, stderr %q; want 130 and one line after the wait's", code, out)
	}
}

// cancelOn is a writer that calls cancel once text has been written.
type cancelOn struct {
	text   string
	cancel func()
	b      bytes.Buffer
	seen   bool
}

func (w *cancelOn) Write(p []byte) (int, error) {
	w.b.Write(p)
	if !w.seen && strings.Contains(w.b.String(), w.text) {
		w.seen = true
		w.cancel()
	}
	return len(p), nil
}
