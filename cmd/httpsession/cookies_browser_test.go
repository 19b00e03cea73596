package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/httpsession/httpsession/internal/browserfixture"
)

// TestStorageStateImportExport imports a storageState document into a
// session file and exports it again: the cookies come back field for
// field, and the origins (localStorage) too, kept in the session file.
func TestStorageStateImportExport(t *testing.T) {
	dir := t.TempDir()
	session := filepath.Join(dir, "session.json")
	exp := time.Now().Add(24 * time.Hour).Unix()
	doc := fmt.Sprintf(`{"cookies":[
	  {"name":"sid","value":"v1","domain":".example.com","path":"/","expires":%d,"httpOnly":true,"secure":true,"sameSite":"Lax"},
	  {"name":"pref","value":"v2","domain":"app.example.com","path":"/a","expires":-1,"httpOnly":false,"secure":false,"sameSite":"Strict"}
	],"origins":[{"origin":"https://app.example.com","localStorage":[{"name":"k","value":"v"}]}]}`, exp)
	state := filepath.Join(dir, "state.json")
	if err := os.WriteFile(state, []byte(doc), 0o600); err != nil {
		t.Fatal(err)
	}
	r := cli(t, "", nil, "cookies", "import", "--format", "storage-state", state, "--session", session)
	if r.code != 0 || !strings.Contains(r.stderr, "imported 2 cookies") || !strings.Contains(r.stderr, "kept the localStorage of 1 origin") {
		t.Fatalf("import = %d, %q", r.code, r.stderr)
	}
	r = cli(t, "", nil, "cookies", "export", "--format", "storage-state", "--session", session)
	if r.code != 0 {
		t.Fatalf("export = %d, %q", r.code, r.stderr)
	}
	var want, got map[string]any
	if err := json.Unmarshal([]byte(doc), &want); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(r.stdout), &got); err != nil {
		t.Fatalf("export is not JSON: %v", err)
	}
	byName := cmpopts.SortSlices(func(a, b any) bool {
		return fmt.Sprint(a.(map[string]any)["name"]) < fmt.Sprint(b.(map[string]any)["name"])
	})
	if diff := cmp.Diff(want, got, byName); diff != "" {
		t.Errorf("export after import (-want +got):\n%s", diff)
	}
}

// firefoxHome returns a home directory holding a copy of the Firefox
// fixture as the profile "default-release", its directory, and the
// environment that makes the command find it.
func firefoxHome(t *testing.T) (home, prof string, env []string) {
	t.Helper()
	home = t.TempDir()
	ffDir := filepath.Join(home, ".mozilla", "firefox")
	prof = filepath.Join(ffDir, "abc.default-release")
	copyFirefoxFixture(t, prof)
	ini := "[Profile0]\nName=default-release\nIsRelative=1\nPath=abc.default-release\nDefault=1\n"
	if err := os.WriteFile(filepath.Join(ffDir, "profiles.ini"), []byte(ini), 0o600); err != nil {
		t.Fatal(err)
	}
	return home, prof, []string{"HOME=" + home, "XDG_CONFIG_HOME=" + filepath.Join(home, ".config")}
}

// TestImportFromBrowser imports the Firefox fixture, found the way a
// user's profile is: through profiles.ini under $HOME.
func TestImportFromBrowser(t *testing.T) {
	home, prof, env := firefoxHome(t)
	stamp := func(exp time.Time) {
		t.Helper()
		if err := browserfixture.RestampFirefox(filepath.Join(prof, "cookies.sqlite"), exp); err != nil {
			t.Fatal(err)
		}
	}
	stamp(time.Now().Add(30 * 24 * time.Hour))

	r := cli(t, "", env, "cookies", "browsers")
	if r.code != 0 || !regexp.MustCompile(`firefox\s+abc.default-release\s+default-release\s+yes`).MatchString(r.stdout) {
		t.Errorf("cookies browsers = %d, %q, %q", r.code, r.stdout, r.stderr)
	}
	session := filepath.Join(home, "session.json")
	r = cli(t, "", env, "cookies", "import", "--from-browser", "firefox", "--domain", "www.example.com", "--session", session)
	if r.code != 0 {
		t.Fatalf("import = %d, %q", r.code, r.stderr)
	}
	// The fixture's persistent cookies were restamped to expire in a
	// month: "none", "persist" and "__Secure-sec" are kept with the session
	// cookie from sessionstore, and "dom" (Domain=.example.com), which a
	// browser sends to www.example.com too.
	if want := `imported 5 cookies from firefox profile "default-release"`; !strings.Contains(r.stderr, want) {
		t.Errorf("import said %q, want %q", r.stderr, want)
	}
	if strings.Contains(r.stderr, "rejected") || strings.Contains(r.stderr, "left out") {
		t.Errorf("import said %q, want nothing rejected or left out", r.stderr)
	}
	// Another host of the site gets "dom" alone.
	r = cli(t, "", env, "cookies", "import", "--from-browser", "firefox", "--domain", "api.example.com", "--session", filepath.Join(home, "api.json"))
	if !strings.Contains(r.stderr, "imported 1 cookie from") || !strings.Contains(r.stderr, "left out 4 cookies not for api.example.com") {
		t.Errorf("import --domain api.example.com said %q, want 1 cookie imported and 4 left out", r.stderr)
	}
	// The same profile a year later: each persistent cookie has expired,
	// and the report names every one.
	stamp(time.Now().Add(-time.Hour))
	r = cli(t, "", env, "cookies", "import", "--from-browser", "firefox", "--domain", "www.example.com", "--session", session)
	for _, name := range []string{`"none"`, `"persist"`, `"__Secure-sec"`} {
		if !strings.Contains(r.stderr, "rejected "+name+" for www.example.com: expired") {
			t.Errorf("import of expired cookies said %q, want %s rejected as expired", r.stderr, name)
		}
	}
	if strings.Contains(r.stderr, "p1") || strings.Contains(r.stderr, "x1") {
		t.Errorf("import showed cookie values: %q", r.stderr)
	}
	r = cli(t, "", env, "cookies", "import", "--from-browser", "opera", "--session", session)
	if r.code != 1 || !strings.Contains(r.stderr, "unknown browser") {
		t.Errorf("import from opera = %d, %q", r.code, r.stderr)
	}
}

// TestImportKeepingNothingFails: an import that keeps no cookie exits 1
// whatever it reads — a cookies.txt file, a storageState file, a browser
// profile — and says "into FILE" only when it wrote FILE; the session file
// is not created.
func TestImportKeepingNothingFails(t *testing.T) {
	home, prof, env := firefoxHome(t)
	if err := browserfixture.RestampFirefox(filepath.Join(prof, "cookies.sqlite"), time.Now().Add(24*time.Hour)); err != nil {
		t.Fatal(err)
	}
	expired := filepath.Join(home, "cookies.txt")
	if err := os.WriteFile(expired, []byte("# Netscape HTTP Cookie File\nexample.com\tFALSE\t/\tFALSE\t1000000000\tsid\tv\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	state := filepath.Join(home, "state.json")
	doc := `{"cookies":[{"name":"sid","value":"v","domain":".com","path":"/","expires":-1,"httpOnly":false,"secure":false,"sameSite":"Lax"}],"origins":[]}`
	if err := os.WriteFile(state, []byte(doc), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		args []string
	}{
		{"cookies.txt, only an expired cookie", []string{expired}},
		{"storageState, only a public-suffix cookie", []string{"--format", "storage-state", state}},
		{"a browser profile, no cookie for the domain", []string{"--from-browser", "firefox", "--domain", "no-such.example"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			session := filepath.Join(t.TempDir(), "session.json")
			r := cli(t, "", env, append([]string{"cookies", "import", "--session", session}, tc.args...)...)
			if r.code != 1 {
				t.Errorf("import exit %d, want 1; stderr %q", r.code, r.stderr)
			}
			if strings.Contains(r.stderr, "into "+session) {
				t.Errorf("import said %q: \"into\" a file it did not write", r.stderr)
			}
			if _, err := os.Stat(session); err == nil {
				t.Errorf("the session file was written")
			}
		})
	}
}
