package browsercookies

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/pierrec/lz4/v4"

	"github.com/httpsession/httpsession"
	"github.com/httpsession/httpsession/internal/browserfixture"
)

// The fixtures in testdata/chromium and testdata/firefox were written by
// the browsers named in their VERSION files, in the real-browser tests
// (go test -run RealBrowser -update); the golden files hold what the
// decoder reads from them, so it is covered on every machine.

var noV11 = func() (string, error) { return "", errors.New("no v11 key in this test") }

// golden compares got with testdata/NAME.golden.json, or rewrites it.
func golden(t *testing.T, name string, got []httpsession.Cookie) {
	t.Helper()
	type rec struct {
		Name, Value, Domain, Path string
		HostOnly, Secure          bool
		HttpOnly                  bool
		SameSite                  int
		Expires                   string
	}
	var recs []rec
	for _, c := range got {
		exp := ""
		if !c.Expires.IsZero() {
			exp = c.Expires.Format("2006-01-02T15:04:05.999999Z07:00")
		}
		recs = append(recs, rec{c.Name, c.Value, c.Domain, c.Path, c.HostOnly, c.Secure, c.HttpOnly, int(c.SameSite), exp})
	}
	data, err := json.MarshalIndent(recs, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join("testdata", name+".golden.json")
	if *update {
		if err := os.WriteFile(path, append(data, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(string(want), string(data)+"\n"); diff != "" {
		t.Errorf("cookies read from the %s fixture (-want +got):\n%s", name, diff)
	}
}

// readChromiumFile reads the Chromium database at path as Read does,
// without a profile around it.
func readChromiumFile(t *testing.T, path string, dec decrypter) ([]httpsession.Cookie, *Report) {
	t.Helper()
	r := &Report{}
	recs, err := readChromiumDB(path, dec, r)
	if err != nil {
		t.Fatal(err)
	}
	return settle(recs, r), r
}

func TestChromiumFixture(t *testing.T) {
	got, r := readChromiumFile(t, filepath.Join("testdata", "chromium", "Cookies"), linuxDecrypter(noV11))
	if len(r.Skipped) > 0 || r.Found != 5 {
		t.Errorf("report %+v, want 5 found and none skipped", r)
	}
	golden(t, "chromium", got)
}

func TestFirefoxFixture(t *testing.T) {
	r := &Report{}
	recs, err := readFirefox(filepath.Join("testdata", "firefox"), r)
	if err != nil {
		t.Fatal(err)
	}
	got := settle(recs, r)
	if len(r.Skipped) > 0 || len(r.Notes) > 0 {
		t.Errorf("skipped %+v, notes %q; want none", r.Skipped, r.Notes)
	}
	golden(t, "firefox", got)
}

// copyFixture copies the named fixture files into dir.
func copyFixture(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for src, dst := range files {
		if err := os.MkdirAll(filepath.Dir(filepath.Join(dir, dst)), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := copyFile(filepath.Join("testdata", src), filepath.Join(dir, dst)); err != nil {
			t.Fatal(err)
		}
	}
}

// TestChromiumSkipsAreReported makes a profile with values that cannot be
// decrypted: a v20 (app-bound, Windows) value, one under a key we do not
// have (v11 without a keyring), and garbage. Each is skipped and reported
// with its domain; the others are read.
func TestChromiumSkipsAreReported(t *testing.T) {
	dir := t.TempDir()
	copyFixture(t, dir, map[string]string{"chromium/Cookies": "Cookies"})
	db, cleanup, err := openCopy(filepath.Join(dir, "Cookies"))
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		`UPDATE cookies SET encrypted_value = X'7632300102030405060708090a0b0c0d0e0f10' WHERE name = 'persist'`,
		`UPDATE cookies SET encrypted_value = X'763131000102030405060708090a0b0c0d0e0f' WHERE name = 'dom'`,
		`UPDATE cookies SET encrypted_value = X'763130ffffffffffffffffffffffffffffffff' WHERE name = 'none'`,
		`VACUUM INTO '` + filepath.Join(dir, "edited") + `'`,
	} {
		if _, err := db.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	cleanup()
	dec := linuxDecrypter(func() (string, error) { return "not-the-password", nil })
	got, r := readChromiumFile(t, filepath.Join(dir, "edited"), dec)
	sk := r.Skipped
	want := []Skip{
		{Reason: `undecryptable value (unknown version "v20")`, Count: 1, Domains: []string{"www.example.com"}},
		{Reason: "undecryptable value (wrong key?)", Count: 2, Domains: []string{"example.com", "www.example.com"}},
	}
	byReason := cmpopts.SortSlices(func(a, b Skip) bool { return a.Reason < b.Reason })
	if diff := cmp.Diff(want, sk, byReason); diff != "" {
		t.Errorf("skips (-want +got):\n%s", diff)
	}
	if len(got) != 2 {
		t.Errorf("read %d cookies, want the 2 intact ones", len(got))
	}
}

// TestReadChromiumUserDataDir reads a Chromium user-data directory the way
// a user's is laid out: Local State naming the profiles, cookies under
// Network/, a domain filter, and Import's report.
func TestReadChromiumUserDataDir(t *testing.T) {
	if runtime.GOOS == "windows" || runtime.GOOS == "darwin" {
		t.Skip("the fixture is encrypted with the Linux scheme")
	}
	dir := t.TempDir()
	copyFixture(t, dir, map[string]string{"chromium/Cookies": "Profile 2/Network/Cookies"})
	// The browser wrote absolute expiries; a month from now keeps this
	// test true on any day.
	if err := browserfixture.RestampChromium(filepath.Join(dir, "Profile 2", "Network", "Cookies"), time.Now().Add(30*24*time.Hour)); err != nil {
		t.Fatal(err)
	}
	state := `{"profile":{"info_cache":{"Profile 2":{"name":"Work"},"Default":{"name":"Person 1"}},"last_used":"Profile 2"}}`
	if err := os.WriteFile(filepath.Join(dir, "Local State"), []byte(state), 0o600); err != nil {
		t.Fatal(err)
	}
	ps, err := Profiles(Chrome, dir)
	if err != nil {
		t.Fatal(err)
	}
	wantPs := []Profile{
		{Browser: Chrome, Name: "Person 1", ID: "Default", Dir: filepath.Join(dir, "Default")},
		{Browser: Chrome, Name: "Work", ID: "Profile 2", Dir: filepath.Join(dir, "Profile 2"), Default: true},
	}
	if diff := cmp.Diff(wantPs, ps); diff != "" {
		t.Errorf("Profiles (-want +got):\n%s", diff)
	}
	jar := httpsession.NewJar(nil)
	r, err := Import(context.Background(), jar, Options{Browser: Chrome, UserDataDir: dir, Profile: "Work", Domain: "www.example.com"})
	if err != nil {
		t.Fatal(err)
	}
	// The .example.com cookie is one a browser sends to www.example.com.
	if r.Found != 5 || r.Filtered != 0 || r.Kept != 5 || len(r.Rejected) != 0 {
		t.Errorf("report = %+v, want 5 found, 5 kept", r)
	}
	if _, _, err := Read(context.Background(), Options{Browser: Chrome, UserDataDir: dir, Profile: "Home"}); !errors.Is(err, ErrNoProfile) {
		t.Errorf("Read of a missing profile = %v, want ErrNoProfile", err)
	}
	if _, _, err := Read(context.Background(), Options{Browser: "netscape"}); !errors.Is(err, ErrUnknownBrowser) {
		t.Errorf("Read of an unknown browser = %v, want ErrUnknownBrowser", err)
	}
}

func TestFirefoxProfiles(t *testing.T) {
	dir := t.TempDir()
	ini := "\ufeff[General]\nStartWithLastProfile=1\n\n" +
		"[Profile1]\nName=default\nIsRelative=1\nPath=Profiles/abc.default\nDefault=1\n\n" +
		"[Profile0]\nName=default-release\nIsRelative=1\nPath=Profiles/xyz.default-release\n\n" +
		"[Profile2]\nName=elsewhere\nIsRelative=0\nPath=/srv/ff\n\n" +
		"; a comment\n[Install4F96D1932A9F858E]\nDefault=Profiles/xyz.default-release\nLocked=1\n"
	if err := os.WriteFile(filepath.Join(dir, "profiles.ini"), []byte(ini), 0o600); err != nil {
		t.Fatal(err)
	}
	got, err := Profiles(Firefox, dir)
	if err != nil {
		t.Fatal(err)
	}
	want := []Profile{
		{Browser: Firefox, Name: "default", ID: "abc.default", Dir: filepath.Join(dir, "Profiles", "abc.default")},
		{Browser: Firefox, Name: "default-release", ID: "xyz.default-release",
			Dir: filepath.Join(dir, "Profiles", "xyz.default-release"), Default: true},
		{Browser: Firefox, Name: "elsewhere", ID: "ff", Dir: filepath.FromSlash("/srv/ff")},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Profiles (-want +got):\n%s", diff)
	}
}

func TestFirefoxWithoutSessionStore(t *testing.T) {
	dir := t.TempDir()
	copyFixture(t, dir, map[string]string{"firefox/cookies.sqlite": "cookies.sqlite"})
	_, r, err := Read(context.Background(), Options{Browser: Firefox, ProfileDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	if r.Found != 4 || len(r.Notes) != 1 {
		t.Errorf("report = %+v, want 4 cookies and a note that session cookies were not read", r)
	}
}

func TestBrowserDirs(t *testing.T) {
	for _, tc := range []struct {
		b    Browser
		goos string
		want []string
	}{
		{Firefox, "linux", []string{"/h/.config/mozilla/firefox", "/h/.mozilla/firefox",
			"/h/snap/firefox/common/.mozilla/firefox", "/h/.var/app/org.mozilla.firefox/.mozilla/firefox"}},
		{Chrome, "linux", []string{"/h/.config/google-chrome"}},
		{Brave, "darwin", []string{"/h/Library/Application Support/BraveSoftware/Brave-Browser"}},
		{Edge, "windows", []string{"/local/Microsoft/Edge/User Data"}},
		{Firefox, "windows", []string{"/roaming/Mozilla/Firefox"}},
	} {
		got := browserDirs(tc.b, tc.goos, "/h", "", "/roaming", "/local")
		for i := range tc.want {
			tc.want[i] = filepath.FromSlash(tc.want[i])
		}
		if diff := cmp.Diff(tc.want, got); diff != "" {
			t.Errorf("browserDirs(%s, %s) (-want +got):\n%s", tc.b, tc.goos, diff)
		}
	}
}

// mozLz4 encodes data as a mozlz4 file.
func mozLz4(t testing.TB, data []byte) []byte {
	buf := make([]byte, lz4.CompressBlockBound(len(data)))
	n, err := lz4.CompressBlock(data, buf, nil)
	if err != nil {
		t.Fatal(err)
	}
	out := append([]byte("mozLz40\x00"), byte(len(data)), byte(len(data)>>8), byte(len(data)>>16), byte(len(data)>>24))
	return append(out, buf[:n]...)
}

// FuzzSessionStore checks that no mozlz4 input makes the session store
// reader panic. Seeds are in testdata/fuzz/FuzzSessionStore.
func FuzzSessionStore(f *testing.F) {
	real, err := os.ReadFile(filepath.Join("testdata", "firefox", "sessionstore.jsonlz4"))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(real)
	f.Add(mozLz4(f, []byte(`{"cookies":[{"host":".a.example","name":"n","value":"v","path":"/","originAttributes":{"userContextId":2}}]}`)))
	f.Fuzz(func(t *testing.T, data []byte) {
		cookies, err := parseSessionStore(data, "sessionstore.jsonlz4")
		if err != nil && len(cookies) > 0 {
			t.Fatalf("cookies and an error")
		}
		if err == nil && !bytes.HasPrefix(data, mozlz4Magic) {
			t.Fatalf("accepted a file without the magic")
		}
	})
}

// FuzzProfilesINI checks that no profiles.ini makes discovery panic or
// list a profile without a directory.
func FuzzProfilesINI(f *testing.F) {
	f.Add([]byte("[Profile0]\nName=a\nIsRelative=1\nPath=p/a\nDefault=1\n[Install1]\nDefault=p/a\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, "profiles.ini"), data, 0o600); err != nil {
			t.Fatal(err)
		}
		ps, err := firefoxProfiles(dir)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range ps {
			if p.Dir == "" || p.ID == "" {
				t.Fatalf("profile %+v without a directory", p)
			}
		}
	})
}

// TestMozLz4ClaimBounded: a header claiming far more than its block can
// hold is refused before a buffer of that size is made; a real file of
// a high ratio is read.
func TestMozLz4ClaimBounded(t *testing.T) {
	lie := append([]byte("mozLz40\x00"), 0, 0, 0, 12, 0) // 200 MiB from one byte
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, err := decodeMozLz4(lie)
	runtime.ReadMemStats(&after)
	if !errors.Is(err, errBadMozLz4) {
		t.Errorf("decode of a lying header: %v, want errBadMozLz4", err)
	}
	if grew := after.TotalAlloc - before.TotalAlloc; grew > 1<<20 {
		t.Errorf("decode of a lying header allocated %d bytes", grew)
	}
	zeros := make([]byte, 1<<20)
	got, err := decodeMozLz4(mozLz4(t, zeros))
	if err != nil || !bytes.Equal(got, zeros) {
		t.Errorf("decode of 1 MiB of zeros: %d bytes, %v", len(got), err)
	}
}
