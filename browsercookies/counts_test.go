package browsercookies

import (
	"bytes"
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/httpsession/httpsession"
	"github.com/httpsession/httpsession/internal/browserfixture"
)

// These tests hold the report to its sums: every cookie a profile's
// files hold is counted once in Found, and is returned, filtered out or
// skipped with a reason; with Import, kept, rejected or evicted.

// encryptV10 encrypts value for host as Chromium on Linux does without a
// keyring (v10, the fixed password), for a database of schema 24.
func encryptV10(t *testing.T, host, value string) []byte {
	t.Helper()
	h := sha256.Sum256([]byte(host))
	plain := append(h[:], value...)
	n := aes.BlockSize - len(plain)%aes.BlockSize
	plain = append(plain, bytes.Repeat([]byte{byte(n)}, n)...)
	b, err := aes.NewCipher(cbcKey("peanuts", 1))
	if err != nil {
		t.Fatal(err)
	}
	out := make([]byte, len(plain))
	cipher.NewCBCEncrypter(b, bytes.Repeat([]byte{' '}, aes.BlockSize)).CryptBlocks(out, plain)
	return append([]byte("v10"), out...)
}

// editDB copies the fixture database src to dir/name, runs the
// statements on the copy, and returns its path.
func editDB(t *testing.T, src, dir, name string, stmts ...string) string {
	t.Helper()
	dst := filepath.Join(dir, name)
	if err := os.MkdirAll(filepath.Dir(dst), 0o700); err != nil {
		t.Fatal(err)
	}
	db, cleanup, err := openCopy(filepath.Join("testdata", src))
	if err != nil {
		t.Fatal(err)
	}
	defer cleanup()
	for _, q := range append(stmts, `VACUUM INTO '`+dst+`'`) {
		if _, err := db.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	return dst
}

// sum is what a report accounts for: the cookies returned, filtered and
// skipped, which must be Found.
func sum(r *Report, returned int) int {
	n := returned + r.Filtered
	for _, s := range r.Skipped {
		n += s.Count
	}
	return n
}

// TestChromiumRowsCountedOnce: Chromium keeps a row per scheme and port a
// cookie was set from; the rows are counted in the Source, the cookie once
// in Found, and the newest row's value is the one imported.
func TestChromiumRowsCountedOnce(t *testing.T) {
	dir := t.TempDir()
	newer := encryptV10(t, "www.example.com", "p2")
	path := editDB(t, "chromium/Cookies", dir, "Cookies",
		// "persist" again, set over http on port 80, later than the first.
		`INSERT INTO cookies SELECT creation_utc+1, host_key, top_frame_site_key, name, value, X'`+hex.EncodeToString(newer)+`', path,
			expires_utc, is_secure, is_httponly, last_access_utc, has_expires, is_persistent, priority, samesite,
			1, 80, last_update_utc+1000, source_type, has_cross_site_ancestor FROM cookies WHERE name = 'persist'`,
		// "sess" again, older than the first.
		`INSERT INTO cookies SELECT creation_utc-5, host_key, top_frame_site_key, name, value, encrypted_value, path,
			expires_utc, is_secure, is_httponly, last_access_utc, has_expires, is_persistent, priority, samesite,
			1, 80, last_update_utc-5, source_type, has_cross_site_ancestor FROM cookies WHERE name = 'sess'`,
	)
	got, r := readChromiumFile(t, path, linuxDecrypter(noV11))
	if want := []Source{{Path: path, Cookies: 7, New: 5}}; !cmp.Equal(r.Sources, want) || r.Found != 5 || len(got) != 5 {
		t.Errorf("Sources %+v, Found %d, %d returned; want %+v, 5 found and returned", r.Sources, r.Found, len(got), want)
	}
	for _, c := range got {
		if c.Name == "persist" && c.Value != "p2" {
			t.Errorf("persist = %q, want the newer row's p2", c.Value)
		}
	}
}

// TestChromiumUnreadableRowsSkipped: a row with a value of a type the
// schema does not have (text in an integer column, as a newer or damaged
// database may hold) is skipped and counted, not the end of the import.
func TestChromiumUnreadableRowsSkipped(t *testing.T) {
	dir := t.TempDir()
	path := editDB(t, "chromium/Cookies", dir, "Cookies",
		`UPDATE cookies SET expires_utc = 'soon' WHERE name = 'dom'`,
		`UPDATE cookies SET is_secure = 1.5 WHERE name = 'none'`)
	got, r := readChromiumFile(t, path, linuxDecrypter(noV11))
	want := []Skip{
		{Reason: badRow("expires_utc"), Count: 1, Domains: []string{"example.com"}},
		{Reason: badRow("is_secure"), Count: 1, Domains: []string{"www.example.com"}},
	}
	if diff := cmp.Diff(want, r.Skipped); diff != "" {
		t.Errorf("Skipped (-want +got):\n%s", diff)
	}
	if len(got) != 3 || r.Found != 5 || sum(r, len(got)) != r.Found {
		t.Errorf("%d returned, report %+v; want 3 of 5 found, the sums adding up", len(got), r)
	}
}

// TestChromiumMissingKeyCounted: a key the platform cannot give ends the
// import with ErrNoKey, saying how many cookies need it; the keyring is
// asked once, not once per cookie.
func TestChromiumMissingKeyCounted(t *testing.T) {
	dir := t.TempDir()
	path := editDB(t, "chromium/Cookies", dir, "Cookies",
		`UPDATE cookies SET encrypted_value = X'763131' || substr(encrypted_value, 4) WHERE name IN ('dom', 'sess')`)
	asked := 0
	dec := linuxDecrypter(func() (string, error) {
		asked++
		return "", ErrNoKey
	})
	_, err := readChromiumDB(path, dec, &Report{})
	if !errors.Is(err, ErrNoKey) || !strings.Contains(err.Error(), "2 of the 5 cookies in "+path+" need it") {
		t.Errorf("read without the v11 key: %v; want ErrNoKey and 2 of the 5 cookies", err)
	}
	if asked != 1 {
		t.Errorf("the keyring was asked %d times, want once", asked)
	}
}

// sessionStore writes a session store holding the cookies given as JSON
// objects into the profile dir.
func sessionStore(t *testing.T, dir string, cookies ...string) {
	t.Helper()
	doc := `{"version":["sessionrestore",1],"windows":[],"cookies":[` + strings.Join(cookies, ",") + `]}`
	if err := os.WriteFile(filepath.Join(dir, "sessionstore.jsonlz4"), mozLz4(t, []byte(doc)), 0o600); err != nil {
		t.Fatal(err)
	}
}

// TestFirefoxSessionStoreCounted: the session store's cookies are read
// and counted beside cookies.sqlite's, those it repeats once; a host-only
// cookie and a domain cookie of one name are two cookies; container
// cookies are skipped, once however many files hold them.
func TestFirefoxSessionStoreCounted(t *testing.T) {
	dir := t.TempDir()
	db := editDB(t, "firefox/cookies.sqlite", dir, "cookies.sqlite",
		`INSERT INTO moz_cookies (originAttributes, name, value, host, path, expiry, lastAccessed, creationTime, isSecure, isHttpOnly)
			SELECT '^userContextId=2', name, value, host, path, expiry, lastAccessed, creationTime, isSecure, isHttpOnly
			FROM moz_cookies WHERE name = 'persist'`)
	sessionStore(t, dir,
		`{"host":"www.example.com","name":"sess","value":"s1","path":"/","httponly":false}`,
		// A copy of a cookies.sqlite cookie (which wins), and a host-only
		// cookie beside the .example.com one.
		`{"host":".example.com","name":"dom","value":"stale","path":"/"}`,
		`{"host":"example.com","name":"dom","value":"h","path":"/"}`,
		`{"host":"www.example.com","name":"persist","value":"c","path":"/","originAttributes":{"userContextId":2}}`,
		`{"host":"www.example.com","name":7}`)
	jar := httpsession.NewJar(nil)
	if err := browserfixture.RestampFirefox(db, time.Now().Add(30*24*time.Hour)); err != nil {
		t.Fatal(err)
	}
	r, err := Import(context.Background(), jar, Options{Browser: Firefox, ProfileDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	wantSources := []Source{
		{Path: db, Cookies: 5, New: 5},
		{Path: filepath.Join(dir, "sessionstore.jsonlz4"), Cookies: 5, New: 3},
	}
	if diff := cmp.Diff(wantSources, r.Sources); diff != "" {
		t.Errorf("Sources (-want +got):\n%s", diff)
	}
	wantSkips := []Skip{
		{Reason: "cookie of a container tab or isolated context (Firefox originAttributes)", Count: 1, Domains: []string{"www.example.com"}},
		{Reason: "session store entry of an unexpected shape", Count: 1},
	}
	if diff := cmp.Diff(wantSkips, r.Skipped); diff != "" {
		t.Errorf("Skipped (-want +got):\n%s", diff)
	}
	if r.Found != 8 || r.Kept != 6 || sum(r, r.Kept) != r.Found {
		t.Errorf("report %+v; want 8 found, 6 kept, the sums adding up", r)
	}
	for _, c := range jar.All() {
		if c.Name == "dom" && !c.HostOnly && c.Value != "d1" {
			t.Errorf("dom for .example.com = %q, want cookies.sqlite's d1", c.Value)
		}
	}
}

// TestImportReportsEvictions: a profile with more cookies of a site than
// the jar keeps is imported with the evicted ones counted, not kept.
func TestImportReportsEvictions(t *testing.T) {
	if runtime.GOOS == "windows" || runtime.GOOS == "darwin" {
		t.Skip("the fixture is encrypted with the Linux scheme")
	}
	dir := t.TempDir()
	copyFixture(t, dir, map[string]string{"chromium/Cookies": "Default/Cookies"})
	if err := browserfixture.RestampChromium(filepath.Join(dir, "Default", "Cookies"), time.Now().Add(30*24*time.Hour)); err != nil {
		t.Fatal(err)
	}
	jar := httpsession.NewJar(&httpsession.JarOptions{MaxCookiesPerDomain: 3})
	r, err := Import(context.Background(), jar, Options{Browser: Chromium, ProfileDir: filepath.Join(dir, "Default")})
	if err != nil {
		t.Fatal(err)
	}
	if r.Found != 5 || r.Kept != 3 || r.Evicted != 2 || len(jar.All()) != 3 {
		t.Errorf("report %+v, jar holds %d; want 5 found, 3 kept, 2 evicted", r, len(jar.All()))
	}
}
