package browsercookies

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"golang.org/x/net/websocket"

	"github.com/httpsession/httpsession"
)

// These tests run a real headless browser with a fresh profile against a
// TLS test server that sets persistent, session, Secure, HttpOnly and
// SameSite cookies, let the browser exit cleanly so that it writes them,
// and import them. Without the browser they skip, except in CI.

// needBinary returns the path of a browser, or skips (fails in CI).
func needBinary(t *testing.T, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s not installed: %v", name, err)
		}
		t.Skipf("%s not installed", name)
	}
	return p
}

// cookieServer is the site the browsers visit: its page sets the cookies,
// then fetches /done, whose Cookie header proves the browser stored them.
type cookieServer struct {
	*httptest.Server
	expires time.Time     // the Expires of the persistent cookies
	done    chan struct{} // closed at the first /done
	start   string        // the URL the browser starts at, if not pageURL
}

func newCookieServer(t *testing.T) *cookieServer {
	s := &cookieServer{
		expires: time.Now().Add(48 * time.Hour).Truncate(time.Second).UTC(),
		done:    make(chan struct{}),
	}
	var closed bool
	s.Server = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/":
			exp := "; Expires=" + s.expires.Format(http.TimeFormat)
			for _, c := range []string{
				"persist=p1; Path=/" + exp,
				"sess=s1; Path=/",
				"__Secure-sec=x1; Path=/; Secure; HttpOnly; SameSite=Strict" + exp,
				"dom=d1; Domain=example.com; Path=/; SameSite=Lax" + exp,
				"none=n1; Path=/app; Secure; SameSite=None" + exp,
			} {
				w.Header().Add("Set-Cookie", c)
			}
			w.Header().Set("Content-Type", "text/html")
			io.WriteString(w, `<!doctype html><title>cookies</title><script>fetch("/done")</script>`)
		case "/done":
			if !closed && strings.Contains(r.Header.Get("Cookie"), "__Secure-sec=x1") {
				closed = true
				close(s.done)
			}
		default:
			http.NotFound(w, r)
		}
	}))
	s.Config.SetKeepAlivesEnabled(false)
	s.StartTLS()
	t.Cleanup(s.Close)
	return s
}

// pageURL is the server's page under the name www.example.com, which the
// browsers resolve to the server: the test certificate is valid for
// example.com and its subdomains.
func (s *cookieServer) pageURL() string {
	return "https://www.example.com:" + s.URL[strings.LastIndex(s.URL, ":")+1:] + "/"
}

// want is what the server set, as the jar's Cookies.
func (s *cookieServer) want(withSession bool) []httpsession.Cookie {
	host := "www.example.com"
	cs := []httpsession.Cookie{
		{Name: "persist", Value: "p1", Domain: host, HostOnly: true, Path: "/", Expires: s.expires},
		{Name: "__Secure-sec", Value: "x1", Domain: host, HostOnly: true, Path: "/", Secure: true, HttpOnly: true,
			SameSite: http.SameSiteStrictMode, Expires: s.expires},
		{Name: "dom", Value: "d1", Domain: "example.com", Path: "/", SameSite: http.SameSiteLaxMode, Expires: s.expires},
		{Name: "none", Value: "n1", Domain: host, HostOnly: true, Path: "/app", Secure: true,
			SameSite: http.SameSiteNoneMode, Expires: s.expires},
	}
	if withSession {
		cs = append(cs, httpsession.Cookie{Name: "sess", Value: "s1", Domain: host, HostOnly: true, Path: "/"})
	}
	return cs
}

func (s *cookieServer) waitDone(t *testing.T, errc <-chan error) {
	t.Helper()
	select {
	case <-s.done:
	case err := <-errc:
		t.Fatalf("browser exited before setting the cookies: %v", err)
	case <-time.After(60 * time.Second):
		t.Fatal("the browser did not load the page in 60s")
	}
}

// compareCookies compares what was imported with what the server set;
// creation and access times are the browser's own. Both browsers move an
// Expires by the difference between their clock and the response's Date
// header (to the millisecond or microsecond), hence the slack.
func compareCookies(t *testing.T, want, got []httpsession.Cookie) {
	t.Helper()
	opts := []cmp.Option{
		cmpopts.EquateApproxTime(2 * time.Second),
		cmpopts.IgnoreFields(httpsession.Cookie{}, "Created", "LastAccess", "Updated"),
		cmpopts.SortSlices(func(a, b httpsession.Cookie) bool { return a.Name < b.Name }),
		cmpopts.EquateEmpty(),
	}
	if diff := cmp.Diff(want, got, opts...); diff != "" {
		t.Errorf("imported cookies (-want +got):\n%s", diff)
	}
}

// waitExit waits for the browser's clean exit, killing it after a deadline.
func waitExit(t *testing.T, cmd *exec.Cmd, errc <-chan error) {
	t.Helper()
	select {
	case err := <-errc:
		if err != nil {
			t.Logf("browser exit: %v", err)
		}
	case <-time.After(60 * time.Second):
		cmd.Process.Kill()
		<-errc
		t.Fatal("the browser did not exit within 60s of being asked to")
	}
}

func browserVersion(t *testing.T, bin string) string {
	out, err := exec.Command(bin, "--version").Output()
	if err != nil {
		t.Fatalf("%s --version: %v", bin, err)
	}
	return strings.TrimSpace(string(out))
}

// runChromium visits the page with a fresh profile in dir and closes the
// browser over the DevTools pipe (Browser.close), which is a clean exit
// that flushes the cookie store. Session cookies are written because the
// profile restores its last session on startup.
func runChromium(t *testing.T, s *cookieServer, bin, dir string, extraArgs ...string) {
	runChromiumThen(t, s, bin, dir, nil, extraArgs...)
}

// runChromiumThen is runChromium that runs whileOpen (if not nil) with
// the browser still open, before it closes it.
func runChromiumThen(t *testing.T, s *cookieServer, bin, dir string, whileOpen func(), extraArgs ...string) {
	if err := os.MkdirAll(filepath.Join(dir, "Default"), 0o700); err != nil {
		t.Fatal(err)
	}
	prefs := `{"session":{"restore_on_startup":1}}`
	if err := os.WriteFile(filepath.Join(dir, "Default", "Preferences"), []byte(prefs), 0o600); err != nil {
		t.Fatal(err)
	}
	args := append([]string{
		"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--user-data-dir=" + dir, "--ignore-certificate-errors",
		"--host-resolver-rules=MAP * 127.0.0.1", "--remote-debugging-pipe",
	}, extraArgs...)
	start := s.start
	if start == "" {
		start = s.pageURL()
	}
	cmd := exec.Command(bin, append(args, start)...)
	toBrowser, ourEnd, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	fromBrowser, theirEnd, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.ExtraFiles = []*os.File{toBrowser, theirEnd} // fds 3 and 4
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	toBrowser.Close()
	theirEnd.Close()
	defer ourEnd.Close()
	defer fromBrowser.Close()
	errc := make(chan error, 1)
	go func() { errc <- cmd.Wait() }()
	s.waitDone(t, errc)
	if whileOpen != nil {
		whileOpen()
	}
	if _, err := io.WriteString(ourEnd, `{"id":1,"method":"Browser.close"}`+"\x00"); err != nil {
		t.Fatal(err)
	}
	waitExit(t, cmd, errc)
	if t.Failed() {
		t.Log(stderr.String())
	}
}

// firefoxPrefs make a fresh profile quiet (no network but the test's),
// resolve every host name to the server, and keep session cookies in the
// session store by restoring the last session.
const firefoxPrefs = `user_pref("network.dns.forceResolve", "127.0.0.1");
user_pref("browser.startup.page", 3);
user_pref("browser.sessionstore.resume_from_crash", true);
user_pref("browser.shell.checkDefaultBrowser", false);
user_pref("app.update.enabled", false);
user_pref("app.normandy.enabled", false);
user_pref("datareporting.policy.dataSubmissionEnabled", false);
user_pref("datareporting.healthreport.uploadEnabled", false);
user_pref("toolkit.telemetry.enabled", false);
user_pref("network.captive-portal-service.enabled", false);
user_pref("network.connectivity-service.enabled", false);
user_pref("browser.safebrowsing.malware.enabled", false);
user_pref("browser.safebrowsing.phishing.enabled", false);
user_pref("browser.safebrowsing.downloads.enabled", false);
user_pref("extensions.update.enabled", false);
user_pref("browser.newtabpage.enabled", false);
user_pref("browser.startup.homepage", "about:blank");
user_pref("network.http.http3.enable", false);
user_pref("network.prefetch-next", false);
user_pref("network.dns.disablePrefetch", true);
user_pref("services.settings.server", "http://127.0.0.1:9/");
`

// runFirefox visits the page with a fresh profile in dir over WebDriver
// BiDi (which also accepts the test certificate), runs whileOpen (if not
// nil) with the browser still open, and closes the browser with
// browser.close, a clean exit that writes cookies.sqlite and
// sessionstore.jsonlz4. extraPrefs are added to the profile's user.js.
func runFirefox(t *testing.T, s *cookieServer, bin, dir, extraPrefs string, whileOpen func()) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "user.js"), []byte(firefoxPrefs+extraPrefs), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "--headless", "--profile", dir, "--no-remote",
		"--remote-debugging-port", "0", "--remote-allow-origins", "http://127.0.0.1")
	cmd.Env = append(os.Environ(), "MOZ_CRASHREPORTER_DISABLE=1")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	errc := make(chan error, 1)
	wsc := make(chan string, 1)
	var log strings.Builder
	go func() {
		re := regexp.MustCompile(`WebDriver BiDi listening on (ws://\S+)`)
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			if m := re.FindStringSubmatch(sc.Text()); m != nil {
				wsc <- m[1]
			}
			fmt.Fprintln(&log, sc.Text())
		}
		errc <- cmd.Wait()
	}()
	defer func() {
		if t.Failed() {
			t.Log(log.String())
		}
	}()
	var ws string
	select {
	case ws = <-wsc:
	case err := <-errc:
		t.Fatalf("firefox exited: %v", err)
	case <-time.After(60 * time.Second):
		cmd.Process.Kill()
		t.Fatal("firefox did not start WebDriver BiDi in 60s")
	}
	conn, err := websocket.Dial(ws+"/session", "", "http://127.0.0.1")
	if err != nil {
		cmd.Process.Kill()
		t.Fatal(err)
	}
	defer conn.Close()
	bidi := &bidiConn{conn: conn}
	caps := map[string]any{"capabilities": map[string]any{"alwaysMatch": map[string]any{"acceptInsecureCerts": true}}}
	if _, err := bidi.call("session.new", caps); err != nil {
		cmd.Process.Kill()
		t.Fatal(err)
	}
	var tree struct {
		Contexts []struct {
			Context string `json:"context"`
		} `json:"contexts"`
	}
	if err := bidi.callInto("browsingContext.getTree", map[string]any{}, &tree); err != nil || len(tree.Contexts) == 0 {
		cmd.Process.Kill()
		t.Fatalf("browsingContext.getTree = %+v, %v", tree, err)
	}
	nav := map[string]any{"context": tree.Contexts[0].Context, "url": s.pageURL(), "wait": "complete"}
	if _, err := bidi.call("browsingContext.navigate", nav); err != nil {
		cmd.Process.Kill()
		t.Fatal(err)
	}
	s.waitDone(t, errc)
	if whileOpen != nil {
		whileOpen()
	}
	if _, err := bidi.call("browser.close", map[string]any{}); err != nil {
		t.Logf("browser.close: %v", err)
	}
	waitExit(t, cmd, errc)
}

// importChromium imports the Default profile of the Chromium user data
// directory dir, which visited s, and checks that every cookie s set
// arrived as it was set.
func importChromium(t *testing.T, s *cookieServer, dir string) {
	t.Helper()
	jar := httpsession.NewJar(nil)
	r, err := Import(context.Background(), jar, Options{Browser: Chromium, UserDataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	if r.Profile.ID != "Default" || r.Kept != 5 || len(r.Rejected) > 0 || len(r.Skipped) > 0 {
		t.Errorf("Import report = %+v, want profile Default and 5 kept", r)
	}
	compareCookies(t, s.want(true), jar.All())
}

func TestChromiumRealBrowser(t *testing.T) {
	bin := needBinary(t, "chromium")
	t.Logf("%s", browserVersion(t, bin))
	s := newCookieServer(t)
	dir := t.TempDir()
	runChromium(t, s, bin, dir, "--password-store=basic")
	importChromium(t, s, dir)
	if *update {
		saveFixture(t, "chromium", browserVersion(t, bin), filepath.Join(dir, "Default"), "Cookies")
	}
}

func TestFirefoxRealBrowser(t *testing.T) {
	bin := needBinary(t, "firefox-esr")
	t.Logf("%s", browserVersion(t, bin))
	s := newCookieServer(t)
	dir := t.TempDir()
	runFirefox(t, s, bin, dir, "", nil)

	jar := httpsession.NewJar(nil)
	r, err := Import(context.Background(), jar, Options{Browser: Firefox, ProfileDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	if r.Kept != 5 || len(r.Rejected) > 0 || len(r.Skipped) > 0 || len(r.Notes) > 0 {
		t.Errorf("Import report = %+v, want 5 kept", r)
	}
	compareCookies(t, s.want(true), jar.All())
	if *update {
		saveFixture(t, "firefox", browserVersion(t, bin), dir, "cookies.sqlite", "sessionstore.jsonlz4")
	}
}

// TestFirefoxRunningRealBrowser imports from a Firefox that has the
// profile open: its persistent cookies are still in cookies.sqlite's
// write-ahead log, which the copy takes along, and its session cookie in
// the session store it writes while it runs (every half second here, 15
// seconds by default). The report says the browser has the profile open,
// and counts the cookies file by file.
func TestFirefoxRunningRealBrowser(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("the lock checked is the Linux and macOS one")
	}
	bin := needBinary(t, "firefox-esr")
	s := newCookieServer(t)
	dir := t.TempDir()
	runFirefox(t, s, bin, dir, `user_pref("browser.sessionstore.interval", 500);`+"\n", func() {
		var r *Report
		var jar *httpsession.Jar
		deadline := time.Now().Add(30 * time.Second)
		for {
			jar = httpsession.NewJar(nil)
			var err error
			r, err = Import(context.Background(), jar, Options{Browser: Firefox, ProfileDir: dir})
			if err == nil && r.Kept == 5 || time.Now().After(deadline) {
				if err != nil {
					t.Fatal(err)
				}
				break
			}
			time.Sleep(200 * time.Millisecond) // the browser writes on its own schedule
		}
		wal, err := os.Stat(filepath.Join(dir, "cookies.sqlite-wal"))
		if err != nil || wal.Size() == 0 {
			t.Errorf("cookies.sqlite-wal: %v, size %d; want the cookies still in the log", err, wal.Size())
		}
		want := []Source{
			{Path: filepath.Join(dir, "cookies.sqlite"), Cookies: 4, New: 4},
			{Path: filepath.Join(dir, "sessionstore-backups", "recovery.jsonlz4"), Cookies: 1, New: 1},
		}
		if diff := cmp.Diff(want, r.Sources); diff != "" {
			t.Errorf("Sources (-want +got):\n%s", diff)
		}
		if r.Running != filepath.Join(dir, "lock") || r.Found != 5 || r.Kept != 5 || len(r.Notes) != 1 {
			t.Errorf("report %+v; want the lock, 5 found and kept, a note", r)
		}
		compareCookies(t, s.want(true), jar.All())
	})
}

// TestChromiumRunningRealBrowser imports from a Chromium that has the
// profile open, right after the page set its cookies: Chromium writes
// them to its database about every 30 seconds, so the import may find
// none, and the report must say why (the lock, a note) rather than be a
// silent empty import.
func TestChromiumRunningRealBrowser(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("the lock checked is the Linux and macOS one")
	}
	bin := needBinary(t, "chromium")
	s := newCookieServer(t)
	dir := t.TempDir()
	runChromiumThen(t, s, bin, dir, func() {
		_, r, err := Read(context.Background(), Options{Browser: Chromium, UserDataDir: dir})
		if err != nil {
			t.Fatal(err)
		}
		if r.Running != filepath.Join(dir, "SingletonLock") || len(r.Notes) != 1 || !strings.Contains(r.Notes[0], "30 seconds") {
			t.Errorf("report %+v; want the SingletonLock and a note that the newest cookies may not be on disk", r)
		}
		if r.Found > 5 || r.Found != r.Sources[0].New {
			t.Errorf("report %+v; want at most the 5 cookies set, counted in the database", r)
		}
	}, "--password-store=basic")
}

// TestChromiumSchemeBoundRealBrowser: with scheme- and port-bound cookies
// (Chromium features being rolled out), a cookie set over http on one
// port and again over https on another is two rows of the Cookies
// database. The import counts both rows in the Source, one cookie in
// Found, and takes the newer value.
func TestChromiumSchemeBoundRealBrowser(t *testing.T) {
	bin := needBinary(t, "chromium")
	s := newCookieServer(t)
	plain := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Add("Set-Cookie", "persist=over-http; Path=/; Max-Age=86400")
		http.Redirect(w, r, s.pageURL(), http.StatusFound)
	}))
	defer plain.Close()
	s.start = "http://www.example.com:" + plain.URL[strings.LastIndex(plain.URL, ":")+1:] + "/"
	dir := t.TempDir()
	runChromium(t, s, bin, dir, "--password-store=basic", "--enable-features=EnableSchemeBoundCookies,EnablePortBoundCookies")
	jar := httpsession.NewJar(nil)
	r, err := Import(context.Background(), jar, Options{Browser: Chromium, UserDataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	want := []Source{{Path: filepath.Join(dir, "Default", "Cookies"), Cookies: 6, New: 5}}
	if diff := cmp.Diff(want, r.Sources); diff != "" {
		t.Errorf("Sources (-want +got):\n%s", diff)
	}
	if r.Found != 5 || r.Kept != 5 {
		t.Errorf("report %+v; want 5 found and kept", r)
	}
	compareCookies(t, s.want(true), jar.All()) // persist=p1, the https row, set last
}
