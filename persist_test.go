package httpsession

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/spf13/afero"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// t0 is the fixed start time of the persistence tests.
var t0 = time.Date(2026, 1, 2, 15, 4, 5, 0, time.UTC)

func sampleDoc() *sessionDoc {
	return &sessionDoc{
		cookies: []cookieRec{
			{Name: "sid", Value: "s3cr3t", Domain: "example.com", Path: "/", HostOnly: true, Secure: true, HttpOnly: true,
				SameSite: http.SameSiteLaxMode, Expires: t0.Add(24 * time.Hour), Created: t0, LastAccess: t0.Add(time.Minute), Updated: t0},
			{Name: "pref", Value: `a "quoted" \ value`, Domain: "example.com", Path: "/app", Expires: t0.Add(time.Hour),
				Created: t0.Add(-time.Hour), LastAccess: t0.Add(-time.Hour), Updated: t0.Add(-time.Minute)},
			{Name: "part", Value: "ünï\tcode", Domain: "xn--bcher-kva.example", Path: "/", Partitioned: true, Secure: true,
				SameSite: http.SameSiteNoneMode, Expires: t0.Add(time.Hour), Created: t0.Add(1500 * time.Millisecond),
				LastAccess: t0.Add(1500 * time.Millisecond), Updated: t0.Add(1500 * time.Millisecond)},
			{Name: "sess", Value: "", Domain: "10.0.0.1", Path: "/", HostOnly: true, SameSite: http.SameSiteDefaultMode,
				Created: t0, LastAccess: t0, Updated: t0},
		},
		tombs: []tombRec{
			{Name: "gone", Domain: "example.com", Path: "/", HostOnly: true, Deleted: t0, Until: t0.Add(30 * 24 * time.Hour)},
		},
		token:        &Token{AccessToken: "at-1", TokenType: "Bearer", RefreshToken: "rt-1", Expiry: t0.Add(time.Hour)},
		tokenUpdated: t0,
	}
}

func TestSessionFormatRoundTrip(t *testing.T) {
	doc := sampleDoc()
	data := doc.encode(nil)
	got, err := decodeSession(data)
	if err != nil {
		t.Fatalf("decodeSession(encode(doc)) error: %v\n%s", err, data)
	}
	if diff := cmp.Diff(doc, got, cmp.AllowUnexported(sessionDoc{})); diff != "" {
		t.Errorf("decodeSession(encode(doc)) mismatch (-want +got):\n%s", diff)
	}
	if again := got.encode(nil); !bytes.Equal(again, data) {
		t.Errorf("encode is not stable:\n%s\nthen\n%s", data, again)
	}
}

func TestSessionFormatIsSorted(t *testing.T) {
	a, b := sampleDoc(), sampleDoc()
	for i, j := 0, len(b.cookies)-1; i < j; i, j = i+1, j-1 {
		b.cookies[i], b.cookies[j] = b.cookies[j], b.cookies[i]
	}
	if x, y := a.encode(nil), b.encode(nil); !bytes.Equal(x, y) {
		t.Errorf("encode depends on the order of cookies:\n%s\nvs\n%s", x, y)
	}
}

func TestSessionFormatGolden(t *testing.T) {
	got := sampleDoc().encode(nil)
	golden(t, "session.golden", got)
}

// golden compares got with testdata/name, or rewrites it under -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("%s mismatch (-want +got):\n%s", name, diff)
	}
}

func TestSessionFormatCompact(t *testing.T) {
	// A typical cookie: a 32-byte value, persistent, Secure, HttpOnly, Lax.
	var doc sessionDoc
	for i := range 1000 {
		doc.cookies = append(doc.cookies, cookieRec{
			Name: fmt.Sprintf("session_%d", i), Value: strings.Repeat("f", 32),
			Domain: "www.example.com", Path: "/", HostOnly: true, Secure: true, HttpOnly: true,
			SameSite: http.SameSiteLaxMode, Expires: t0.Add(30 * 24 * time.Hour),
			Created: t0.Add(time.Duration(i) * time.Second), LastAccess: t0.Add(time.Hour), Updated: t0.Add(time.Duration(i) * time.Second),
		})
	}
	per := len(doc.encode(nil)) / len(doc.cookies)
	if per > 250 {
		t.Errorf("%d bytes per typical cookie, want ≤ 250", per)
	}
	t.Logf("%d bytes per typical cookie", per)
}

func TestDecodeSessionAccepts(t *testing.T) {
	tests := []struct {
		name, in string
		want     *sessionDoc
	}{
		{"minimal", `{"version":1}`, &sessionDoc{}},
		{"nulls", `{"version":1,"token":null,"cookies":null,"tombstones":null}`, &sessionDoc{}},
		{"white space and unknown keys", " {\r\n\t\"x\":[{\"y\":[1,2.5e3,-1]},true,false,null,\"\\u00e9\"],\"version\" : 1 } \n", &sessionDoc{}},
		{"escapes", `{"version":1,"cookies":[{"n":"a\u00e9\ud83d\ude00\/","v":"\"\\\b\f\n\r\t","d":"x.example","p":"/"}]}`,
			&sessionDoc{cookies: []cookieRec{{Name: "aé😀/", Value: "\"\\\b\f\n\r\t", Domain: "x.example", Path: "/",
				Created: time.UnixMilli(0), LastAccess: time.UnixMilli(0), Updated: time.UnixMilli(0)}}}},
		{"lone surrogate", `{"version":1,"cookies":[{"n":"\ud83dx","d":"x.example","p":"/","c":5}]}`,
			&sessionDoc{cookies: []cookieRec{{Name: "\ufffdx", Domain: "x.example", Path: "/",
				Created: time.UnixMilli(5), LastAccess: time.UnixMilli(5), Updated: time.UnixMilli(5)}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := decodeSession([]byte(tt.in))
			if err != nil {
				t.Fatalf("decodeSession(%q) error: %v", tt.in, err)
			}
			// A cookie without times decodes with the zero time everywhere.
			for i := range got.cookies {
				c := &got.cookies[i]
				if c.Created.IsZero() {
					c.Created, c.LastAccess, c.Updated = time.UnixMilli(0), time.UnixMilli(0), time.UnixMilli(0)
				}
			}
			if diff := cmp.Diff(tt.want, got, cmp.AllowUnexported(sessionDoc{})); diff != "" {
				t.Errorf("decodeSession(%q) mismatch (-want +got):\n%s", tt.in, diff)
			}
		})
	}
}

func TestDecodeSessionRejects(t *testing.T) {
	tests := []struct{ name, in string }{
		{"empty", ""},
		{"blank", " \n"},
		{"garbage", "\x00\x01garbage"},
		{"array", `[{"version":1}]`},
		{"no version", `{"cookies":[]}`},
		{"version 2", `{"version":2,"cookies":[]}`},
		{"version 0", `{"version":0}`},
		{"version string", `{"version":"1"}`},
		{"version float", `{"version":1.0}`},
		{"version huge", `{"version":99999999999999999999}`},
		{"trailing data", `{"version":1}{}`},
		{"cookies object", `{"version":1,"cookies":{}}`},
		{"cookie string", `{"version":1,"cookies":["x"]}`},
		{"name number", `{"version":1,"cookies":[{"n":1,"d":"a.example","p":"/"}]}`},
		{"expiry string", `{"version":1,"cookies":[{"n":"a","d":"a.example","p":"/","e":"tomorrow"}]}`},
		{"expiry float", `{"version":1,"cookies":[{"n":"a","d":"a.example","p":"/","e":1.5}]}`},
		{"flags bool", `{"version":1,"cookies":[{"n":"a","d":"a.example","p":"/","f":true}]}`},
		{"unknown flag", `{"version":1,"cookies":[{"n":"a","d":"a.example","p":"/","f":"z"}]}`},
		{"unknown samesite", `{"version":1,"cookies":[{"n":"a","d":"a.example","p":"/","ss":"sometimes"}]}`},
		{"no domain", `{"version":1,"cookies":[{"n":"a","p":"/"}]}`},
		{"no path", `{"version":1,"cookies":[{"n":"a","d":"a.example"}]}`},
		{"tombstone without times", `{"version":1,"tombstones":[{"n":"a","d":"a.example","p":"/"}]}`},
		{"token string", `{"version":1,"token":"abc"}`},
		{"token expiry number", `{"version":1,"token":{"access_token":"a","expiry":5}}`},
		{"token bad expiry", `{"version":1,"token":{"access_token":"a","expiry":"soon"}}`},
		{"control character", "{\"version\":1,\"cookies\":[{\"n\":\"a\x01\",\"d\":\"a.example\",\"p\":\"/\"}]}"},
		{"bad escape", `{"version":1,"cookies":[{"n":"\q","d":"a.example","p":"/"}]}`},
		{"deep nesting", `{"version":1,"x":` + strings.Repeat("[", 100000) + strings.Repeat("]", 100000) + `}`},
		{"missing colon", `{"version" 1}`},
		{"missing comma", `{"version":1 "cookies":[]}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := decodeSession([]byte(tt.in))
			var se *SessionFileError
			if !errors.As(err, &se) || !errors.Is(err, ErrCorruptSession) {
				t.Fatalf("decodeSession(%.40q) error = %v, want a *SessionFileError", tt.in, err)
			}
		})
	}
}

func TestDecodeSessionTruncated(t *testing.T) {
	data := sampleDoc().encode(nil)
	for n := range len(data) {
		// Cutting only the final newline leaves a complete document.
		if strings.TrimSpace(string(data[:n])) == strings.TrimSpace(string(data)) {
			continue
		}
		_, err := decodeSession(data[:n])
		if !errors.Is(err, ErrCorruptSession) {
			t.Fatalf("decodeSession(first %d of %d bytes) error = %v, want ErrCorruptSession", n, len(data), err)
		}
	}
}

func TestSessionFileErrorHidesSecrets(t *testing.T) {
	doc := sampleDoc()
	data := doc.encode(nil)
	for n := range len(data) {
		_, err := decodeSession(data[:n])
		if err == nil {
			continue
		}
		for _, secret := range []string{"s3cr3t", "at-1", "rt-1"} {
			if strings.Contains(err.Error(), secret) {
				t.Fatalf("error for %d bytes mentions a secret: %v", n, err)
			}
		}
	}
}

func TestFileStoreUpdate(t *testing.T) {
	for _, fsys := range testFileSystems(t) {
		t.Run(fsys.Name(), func(t *testing.T) {
			dir := tempDir(t, fsys)
			path := filepath.Join(dir, "sub", "dir", "session.json")
			st := NewFileStore(fsys, path)
			got, err := st.Load()
			if got != nil || err != nil {
				t.Fatalf("Load() of a missing file = %q, %v, want nil, nil", got, err)
			}
			err = st.Update(func(cur []byte) ([]byte, error) {
				if cur != nil {
					t.Errorf("Update saw %q for a missing file, want nil", cur)
				}
				return []byte("one"), nil
			})
			if err != nil {
				t.Fatalf("Update error: %v", err)
			}
			if got, err := st.Load(); string(got) != "one" || err != nil {
				t.Errorf("Load() = %q, %v, want %q", got, err, "one")
			}
			fi, err := fsys.Stat(path)
			if err != nil {
				t.Fatal(err)
			}
			if perm := fi.Mode().Perm(); perm != 0o600 {
				t.Errorf("file mode = %v, want 0600", perm)
			}
			di, err := fsys.Stat(filepath.Join(dir, "sub"))
			if err != nil {
				t.Fatal(err)
			}
			if perm := di.Mode().Perm(); perm != 0o700 {
				t.Errorf("created directory mode = %v, want 0700", perm)
			}

			// nil or an error from fn write nothing.
			errBoom := errors.New("boom")
			if err := st.Update(func([]byte) ([]byte, error) { return nil, errBoom }); !errors.Is(err, errBoom) {
				t.Errorf("Update error = %v, want %v", err, errBoom)
			}
			if err := st.Update(func([]byte) ([]byte, error) { return nil, nil }); err != nil {
				t.Errorf("Update error = %v", err)
			}
			if got, _ := st.Load(); string(got) != "one" {
				t.Errorf("Load() after no-op updates = %q, want %q", got, "one")
			}
			// No temporary file is left behind.
			entries, err := afero.ReadDir(fsys, filepath.Dir(path))
			if err != nil {
				t.Fatal(err)
			}
			for _, e := range entries {
				if strings.Contains(e.Name(), ".tmp-") {
					t.Errorf("temporary file %s left behind", e.Name())
				}
			}
		})
	}
}

func TestFileStoreRemovesStaleTemps(t *testing.T) {
	fsys := afero.NewMemMapFs()
	st := NewFileStore(fsys, "/s/session.json")
	stale := "/s/.session.json.tmp-12345"
	if err := afero.WriteFile(fsys, stale, []byte("half"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := st.Update(func([]byte) ([]byte, error) { return []byte("x"), nil }); err != nil {
		t.Fatal(err)
	}
	if ok, _ := afero.Exists(fsys, stale); ok {
		t.Errorf("stale %s still exists after a save", stale)
	}
}

func TestFileStoreTooLarge(t *testing.T) {
	fsys := afero.NewMemMapFs()
	path := "/big.json"
	if err := afero.WriteFile(fsys, path, make([]byte, MaxSessionFileSize+1), 0o600); err != nil {
		t.Fatal(err)
	}
	st := NewFileStore(fsys, path)
	_, err := st.Load()
	var se *SessionFileError
	if !errors.As(err, &se) || se.Path != path {
		t.Fatalf("Load() of an oversized file error = %v, want a *SessionFileError for %s", err, path)
	}
	called := false
	err = st.Update(func([]byte) ([]byte, error) { called = true; return []byte("x"), nil })
	if !errors.Is(err, ErrCorruptSession) || called {
		t.Errorf("Update of an oversized file = %v (fn called: %v), want ErrCorruptSession without calling fn", err, called)
	}
}

// TestFileStoreLock runs read-modify-write cycles from many goroutines, each
// with its own FileStore: no increment may be lost.
func TestFileStoreLock(t *testing.T) {
	for _, fsys := range testFileSystems(t) {
		t.Run(fsys.Name(), func(t *testing.T) {
			path := filepath.Join(tempDir(t, fsys), "counter")
			const workers, rounds = 8, 25
			var wg sync.WaitGroup
			for range workers {
				wg.Go(func() {
					st := NewFileStore(fsys, path)
					for range rounds {
						err := st.Update(func(cur []byte) ([]byte, error) {
							n := 0
							if cur != nil {
								if _, err := fmt.Sscan(string(cur), &n); err != nil {
									return nil, err
								}
							}
							return fmt.Appendf(nil, "%d", n+1), nil
						})
						if err != nil {
							t.Error(err)
							return
						}
					}
				})
			}
			wg.Wait()
			got, err := NewFileStore(fsys, path).Load()
			if want := fmt.Sprint(workers * rounds); string(got) != want || err != nil {
				t.Errorf("counter = %q, %v, want %s", got, err, want)
			}
		})
	}
}

func TestFileStoreMoveAside(t *testing.T) {
	fsys := afero.NewMemMapFs()
	path := "/d/session.json"
	bad := []byte(`{"version":`)
	if err := afero.WriteFile(fsys, path, bad, 0o600); err != nil {
		t.Fatal(err)
	}
	st := NewFileStore(fsys, path)
	isBad := func(b []byte) bool { _, err := decodeSession(b); return err != nil }
	name, err := st.moveAside(t0, isBad)
	if want := path + ".corrupt-20260102T150405.000Z"; name != want || err != nil {
		t.Fatalf("moveAside() = %q, %v, want %q", name, err, want)
	}
	if got, _ := afero.ReadFile(fsys, name); !bytes.Equal(got, bad) {
		t.Errorf("moved file holds %q, want %q", got, bad)
	}
	if ok, _ := afero.Exists(fsys, path); ok {
		t.Errorf("%s still exists", path)
	}
	// A second corrupt file in the same millisecond gets its own name.
	afero.WriteFile(fsys, path, bad, 0o600)
	name2, err := st.moveAside(t0, isBad)
	if name2 == name || err != nil {
		t.Errorf("second moveAside() = %q, %v, want a new name", name2, err)
	}
	// A good file is left alone.
	good := sampleDoc().encode(nil)
	afero.WriteFile(fsys, path, good, 0o600)
	if name, err := st.moveAside(t0, isBad); name != "" || err != nil {
		t.Errorf("moveAside() of a good file = %q, %v, want \"\", nil", name, err)
	}
}

// testFileSystems returns the file systems the store tests run on: the
// operating system's (with flock) and an in-memory one.
func testFileSystems(t *testing.T) []afero.Fs {
	return []afero.Fs{afero.NewOsFs(), afero.NewMemMapFs()}
}

// tempDir returns a fresh directory on fsys.
func tempDir(t *testing.T, fsys afero.Fs) string {
	t.Helper()
	if _, ok := fsys.(*afero.OsFs); ok {
		return t.TempDir()
	}
	dir, err := afero.TempDir(fsys, "", "httpsession")
	if err != nil {
		t.Fatal(err)
	}
	return dir
}
