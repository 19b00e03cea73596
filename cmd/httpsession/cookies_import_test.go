package main

import (
	"database/sql"
	bin "encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pierrec/lz4/v4"

	"github.com/httpsession/httpsession/internal/browserfixture"
)

// firefoxProfile copies the Firefox fixture into a profile directory of
// its own, outside any usual place, its cookies valid for a month.
func firefoxProfile(t *testing.T) string {
	t.Helper()
	prof := filepath.Join(t.TempDir(), "pw-context")
	copyFirefoxFixture(t, prof)
	if err := browserfixture.RestampFirefox(filepath.Join(prof, "cookies.sqlite"), time.Now().Add(30*24*time.Hour)); err != nil {
		t.Fatal(err)
	}
	return prof
}

// copyFirefoxFixture copies browsercookies' Firefox fixture (its cookie
// database and session store) into the new profile directory prof.
func copyFirefoxFixture(t *testing.T, prof string) {
	t.Helper()
	if err := os.MkdirAll(prof, 0o700); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"cookies.sqlite", "sessionstore.jsonlz4"} {
		data, err := os.ReadFile(filepath.Join("..", "..", "browsercookies", "testdata", "firefox", f))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(prof, f), data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
}

// TestImportFromProfileDir: --profile-dir reads a profile anywhere; a
// browser that has it open is reported, since its newest cookies may not
// be on disk yet.
func TestImportFromProfileDir(t *testing.T) {
	prof := firefoxProfile(t)
	session := filepath.Join(t.TempDir(), "s.json")
	r := cli(t, "", nil, "cookies", "import", "--from-browser", "firefox", "--profile-dir", prof, "--session", session)
	if r.code != 0 || !strings.Contains(r.stderr, "imported 5 cookies from firefox profile") || strings.Contains(r.stderr, "has this profile open") {
		t.Errorf("import --profile-dir: exit %d, %q", r.code, r.stderr)
	}
	if runtime.GOOS == "windows" {
		return
	}
	if err := os.Symlink("127.0.1.1:+"+strconv.Itoa(os.Getpid()), filepath.Join(prof, "lock")); err != nil {
		t.Fatal(err)
	}
	r = cli(t, "", nil, "cookies", "import", "--from-browser", "firefox", "--profile-dir", prof, "--session", session)
	if r.code != 0 || !strings.Contains(r.stderr, "firefox has this profile open ("+filepath.Join(prof, "lock")+")") {
		t.Errorf("import from a profile in use: exit %d, %q; want a note that the browser has it open", r.code, r.stderr)
	}
}

// TestImportSaysWhereItLooked: a browser with no profile names the
// directories searched, for import and for browsers; a profile without
// cookies names its directory.
func TestImportSaysWhereItLooked(t *testing.T) {
	empty := t.TempDir()
	session := filepath.Join(t.TempDir(), "s.json")
	r := cli(t, "", nil, "cookies", "import", "--from-browser", "firefox", "--profile-dir", empty, "--session", session)
	if !strings.Contains(r.stderr, "the profile in "+empty+" holds no cookie") {
		t.Errorf("import from a profile without cookies: exit %d, %q; want it to name %s", r.code, r.stderr, empty)
	}
	r = cli(t, "", nil, "cookies", "import", "--from-browser", "chromium", "--user-data-dir", empty, "--session", session)
	if r.code != 1 || !strings.Contains(r.stderr, "looked in "+empty) {
		t.Errorf("import from an empty --user-data-dir: exit %d, %q; want it to name %s", r.code, r.stderr, empty)
	}
	r = cli(t, "", nil, "cookies", "browsers", "--user-data-dir", empty)
	if r.code != 0 || !strings.Contains(r.stderr, "no browser profile found; looked in:\n  "+empty+"\n") {
		t.Errorf("browsers --user-data-dir: exit %d, %q", r.code, r.stderr)
	}
	home := t.TempDir()
	r = cli(t, "", []string{"HOME=" + home, "XDG_CONFIG_HOME=", "APPDATA=", "LOCALAPPDATA="}, "cookies", "browsers")
	if runtime.GOOS == "linux" && !strings.Contains(r.stderr, filepath.Join(home, ".mozilla", "firefox")) {
		t.Errorf("browsers with no browser installed: exit %d, %q; want the places searched", r.code, r.stderr)
	}
}

// TestCookiesFlagsThatDoNothing: a flag the other options make
// pointless is a usage error, and every subcommand's -h is help.
func TestCookiesFlagsThatDoNothing(t *testing.T) {
	session := filepath.Join(t.TempDir(), "s.json")
	for _, args := range [][]string{
		{"import", "--domain", "example.com", "cookies.txt"},
		{"import", "--profile", "Default", "cookies.txt"},
		{"import", "--profile-dir", "/tmp", "cookies.txt"},
		{"import", "--user-data-dir", "/tmp", "cookies.txt"},
		{"import", "--from-browser", "firefox", "--profile", "a", "--profile-dir", "/tmp"},
		{"export", "--origins-from", "state.json"},
		{"export", "--format", "json", "--origins-from", "state.json"},
	} {
		r := cli(t, "", nil, append(append([]string{"cookies"}, args...), "--session", session)...)
		if r.code != 2 {
			t.Errorf("cookies %q: exit %d, %q; want a usage error", args, r.code, r.stderr)
		}
	}
	for cmd, subs := range subcommands {
		for _, args := range append([][]string{{cmd, "-h"}, {cmd, "help"}}, func() (out [][]string) {
			for _, s := range subs {
				out = append(out, []string{cmd, s.name, "-h"})
			}
			return out
		}()...) {
			r := cli(t, "", nil, args...)
			if r.code != 0 || !strings.HasPrefix(r.stderr, "usage: httpsession "+cmd) {
				t.Errorf("%q: exit %d, %q; want the help and exit 0", args, r.code, r.stderr)
			}
		}
	}
}

// TestImportCountsTrue: a cookie given twice is one cookie imported, and
// cookies the jar's per-site limit evicts are reported with that limit.
func TestImportCountsTrue(t *testing.T) {
	dir := t.TempDir()
	exp := time.Now().Add(24 * time.Hour).Unix()
	cookie := func(name string) string {
		return fmt.Sprintf(`{"name":%q,"value":"v","domain":"app.example.com","path":"/","expires":%d,"httpOnly":false,"secure":true,"sameSite":"Lax"}`, name, exp)
	}
	write := func(cookies []string) string {
		p := filepath.Join(dir, strconv.Itoa(len(cookies))+".json")
		if err := os.WriteFile(p, []byte(`{"cookies":[`+strings.Join(cookies, ",")+`],"origins":[]}`), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	r := cli(t, "", nil, "cookies", "import", "--format", "storage-state", write([]string{cookie("sid"), cookie("sid")}), "--session", filepath.Join(dir, "a.json"))
	if r.code != 0 || !strings.Contains(r.stderr, "imported 1 cookie from") || !strings.Contains(r.stderr, "1 cookie given more than once, counted once") {
		t.Errorf("import of a duplicate: exit %d, %q; want 1 cookie, and the duplicate told", r.code, r.stderr)
	}
	txt := filepath.Join(dir, "cookies.txt")
	line := fmt.Sprintf("app.example.com\tFALSE\t/\tTRUE\t%d\tsid\tv\n", exp)
	if err := os.WriteFile(txt, []byte(line+line), 0o600); err != nil {
		t.Fatal(err)
	}
	r = cli(t, "", nil, "cookies", "import", txt, "--session", filepath.Join(dir, "c.json"))
	if r.code != 0 || !strings.Contains(r.stderr, "imported 1;") {
		t.Errorf("import of a cookies.txt line given twice: exit %d, %q; want 1 cookie", r.code, r.stderr)
	}
	var many []string
	for i := range 185 {
		many = append(many, cookie(fmt.Sprintf("c%03d", i)))
	}
	r = cli(t, "", nil, "cookies", "import", "--format", "storage-state", write(many), "--session", filepath.Join(dir, "b.json"))
	if r.code != 0 || !strings.Contains(r.stderr, "imported 180 cookies") || !strings.Contains(r.stderr, "evicted 5 cookies of example.com: the jar keeps at most 180 cookies per site") {
		t.Errorf("import of 185 cookies of one site: exit %d, %q; want 5 evicted by the per-site limit", r.code, r.stderr)
	}
}

// TestMessagesSpeakJSON: a login configuration of the wrong shape is
// described in JSON's words, not Go's.
func TestMessagesSpeakJSON(t *testing.T) {
	session := filepath.Join(t.TempDir(), "s.json")
	if err := os.WriteFile(session+".auth.json", []byte(`{"kind":"json","origins":5}`), 0o600); err != nil {
		t.Fatal(err)
	}
	r := cli(t, "", nil, "get", "http://127.0.0.1:1/", "--retry", "0", "--session", session)
	if r.code != 1 || !strings.Contains(r.stderr, `field "origins" holds the wrong kind of value (number)`) ||
		strings.Contains(r.stderr, "Go ") || strings.Contains(r.stderr, "[]string") {
		t.Errorf("a malformed login configuration: exit %d, %q; want the field named in JSON's words", r.code, r.stderr)
	}
}

// TestImportEvictionsTold: whatever the format, the cookies the jar's
// limits evict are told with the limit, and are not counted as imported;
// so are the session's own cookies that an import pushes out.
func TestImportEvictionsTold(t *testing.T) {
	dir := t.TempDir()
	exp := time.Now().Add(24 * time.Hour)
	// cookiesTxt and storageState write n cookies of each site.
	cookiesTxt := func(name string, n int, sites ...string) string {
		var b strings.Builder
		for _, s := range sites {
			for i := range n {
				fmt.Fprintf(&b, "%s\tFALSE\t/\tFALSE\t%d\tc%04d\tv\n", s, exp.Unix(), i)
			}
		}
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(b.String()), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	storageState := func(name string, n int, site string) string {
		var cs []string
		for i := range n {
			cs = append(cs, fmt.Sprintf(`{"name":"c%04d","value":"v","domain":%q,"path":"/","expires":%d,"httpOnly":false,"secure":false,"sameSite":"Lax"}`, i, site, exp.Unix()))
		}
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(`{"cookies":[`+strings.Join(cs, ",")+`],"origins":[]}`), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	perSite := "evicted 5 cookies of example.com: the jar keeps at most 180 cookies per site"
	for _, tc := range []struct {
		name string
		args []string
		want []string
	}{
		{"cookies.txt", []string{cookiesTxt("site.txt", 185, "app.example.com")}, []string{"imported 180;", perSite}},
		{"storageState", []string{"--format", "storage-state", storageState("site.json", 185, "app.example.com")}, []string{"imported 180 cookies", perSite}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := cli(t, "", nil, append([]string{"cookies", "import", "--session", filepath.Join(t.TempDir(), "s.json")}, tc.args...)...)
			for _, w := range tc.want {
				if r.code != 0 || !strings.Contains(r.stderr, w) {
					t.Errorf("import: exit %d, %q; want %q", r.code, r.stderr, w)
				}
			}
		})
	}

	// A session with its login; then 20 sites of 160 cookies, past the
	// jar's 3000: at the 3001st the jar sweeps to a tenth below its
	// limit, the login (least recently used) first, then takes the last
	// 200.
	session := filepath.Join(dir, "login.json")
	if r := cli(t, "", nil, "cookies", "import", "--session", session, cookiesTxt("login.txt", 1, "login.example.org")); r.code != 0 {
		t.Fatalf("import the login: exit %d, %q", r.code, r.stderr)
	}
	var sites []string
	for i := range 20 {
		sites = append(sites, fmt.Sprintf("www.example%02d.com", i))
	}
	r := cli(t, "", nil, "cookies", "import", "--session", session, cookiesTxt("many.txt", 160, sites...))
	for _, w := range []string{
		"evicted 1 cookie the session held before: the jar keeps at most 3000 cookies in all",
		"evicted 300 cookies: the jar keeps at most 3000 cookies in all",
		"imported 2900;",
	} {
		if r.code != 0 || !strings.Contains(r.stderr, w) {
			t.Errorf("import past the jar's limit: exit %d, %q; want %q", r.code, r.stderr, w)
		}
	}
}

// TestImportFromProfileAddsUp: a browser import says how many cookies
// each file of the profile holds, a cookie two files hold counted once,
// and where those it did not import went; the numbers add up.
func TestImportFromProfileAddsUp(t *testing.T) {
	prof := firefoxProfile(t)
	// The session store repeats a cookie of cookies.sqlite and holds a
	// container tab's cookie.
	doc := `{"cookies":[{"host":"www.example.com","name":"sess","value":"s1","path":"/"},` +
		`{"host":".example.com","name":"dom","value":"d0","path":"/"},` +
		`{"host":"www.example.com","name":"c","value":"v","path":"/","originAttributes":{"userContextId":3}}]}`
	buf := make([]byte, lz4.CompressBlockBound(len(doc)))
	n, err := lz4.CompressBlock([]byte(doc), buf, nil)
	if err != nil {
		t.Fatal(err)
	}
	store := bin.LittleEndian.AppendUint32([]byte("mozLz40\x00"), uint32(len(doc)))
	if err := os.WriteFile(filepath.Join(prof, "sessionstore.jsonlz4"), append(store, buf[:n]...), 0o600); err != nil {
		t.Fatal(err)
	}
	r := cli(t, "", nil, "cookies", "import", "--from-browser", "firefox", "--profile-dir", prof,
		"--domain", "www.example.com", "--session", filepath.Join(t.TempDir(), "s.json"))
	for _, want := range []string{
		"imported 5 cookies from firefox profile",
		"found 6 cookies in the profile: 4 in cookies.sqlite, 3 in sessionstore.jsonlz4 (1 of them a copy of a cookie counted already)\n",
		"imported 5 of the 6: 1 skipped\n",
		"skipped 1 cookie: cookie of a container tab or isolated context (Firefox originAttributes): www.example.com\n",
	} {
		if r.code != 0 || !strings.Contains(r.stderr, want) {
			t.Errorf("import: exit %d, %q; want %q", r.code, r.stderr, want)
		}
	}
}

// TestImportRejectionTellsItsCookie: a refused cookie is told apart from
// one of the same name and domain at another path that was kept, in a
// storageState file and in a browser profile alike.
func TestImportRejectionTellsItsCookie(t *testing.T) {
	dir := t.TempDir()
	exp := time.Now().Add(24 * time.Hour).Unix()
	doc := fmt.Sprintf(`{"cookies":[`+
		`{"name":"sid","value":"old","domain":"app.example.com","path":"/a","expires":1000000000,"httpOnly":false,"secure":false,"sameSite":"Lax"},`+
		`{"name":"sid","value":"new","domain":"app.example.com","path":"/b","expires":%d,"httpOnly":false,"secure":false,"sameSite":"Lax"}],"origins":[]}`, exp)
	state := filepath.Join(dir, "state.json")
	if err := os.WriteFile(state, []byte(doc), 0o600); err != nil {
		t.Fatal(err)
	}
	r := cli(t, "", nil, "cookies", "import", "--format", "storage-state", state, "--session", filepath.Join(dir, "s.json"))
	if r.code != 0 || !strings.Contains(r.stderr, "imported 1 cookie from") || !strings.Contains(r.stderr, `rejected "sid" for app.example.com: expired`) {
		t.Errorf("import: exit %d, %q; want 1 cookie imported and the expired one rejected", r.code, r.stderr)
	}

	prof := firefoxProfile(t)
	db, err := sql.Open("sqlite", filepath.Join(prof, "cookies.sqlite"))
	if err != nil {
		t.Fatal(err)
	}
	_, err = db.Exec(`INSERT INTO moz_cookies (originAttributes, name, value, host, path, expiry, lastAccessed, creationTime, isSecure, isHttpOnly, sameSite)
		SELECT '', name, value, host, '/old', 1000000000000, lastAccessed, creationTime, isSecure, isHttpOnly, sameSite FROM moz_cookies WHERE name = 'persist'`)
	db.Close()
	if err != nil {
		t.Fatal(err)
	}
	r = cli(t, "", nil, "cookies", "import", "--from-browser", "firefox", "--profile-dir", prof, "--session", filepath.Join(dir, "f.json"))
	for _, want := range []string{"imported 5 cookies from", "imported 5 of the 6: 1 rejected\n", `rejected "persist" for www.example.com: expired`} {
		if r.code != 0 || !strings.Contains(r.stderr, want) {
			t.Errorf("import from the profile: exit %d, %q; want %q", r.code, r.stderr, want)
		}
	}
}
