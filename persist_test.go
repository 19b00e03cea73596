package httpsession

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
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
		cookies: []Cookie{
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
		tombs: []tombstone{
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
		doc.cookies = append(doc.cookies, Cookie{
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
			&sessionDoc{cookies: []Cookie{{Name: "aé😀/", Value: "\"\\\b\f\n\r\t", Domain: "x.example", Path: "/",
				Created: time.UnixMilli(0), LastAccess: time.UnixMilli(0), Updated: time.UnixMilli(0)}}}},
		{"lone surrogate", `{"version":1,"cookies":[{"n":"\ud83dx","d":"x.example","p":"/","c":5}]}`,
			&sessionDoc{cookies: []Cookie{{Name: "\ufffdx", Domain: "x.example", Path: "/",
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

// psClock is a settable clock for the session tests.
type psClock struct {
	mu sync.Mutex
	t  time.Time
}

func newPSClock() *psClock { return &psClock{t: t0} }

func (c *psClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *psClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// seqAuth logs in with tokens at-1, at-2, … and can't refresh.
type seqAuth struct{ n atomic.Int32 }

func (a *seqAuth) Login(context.Context, *http.Client) (*Token, error) {
	return &Token{AccessToken: fmt.Sprintf("at-%d", a.n.Add(1)), TokenType: "Bearer"}, nil
}

func (a *seqAuth) Refresh(context.Context, *http.Client, *Token) (*Token, error) {
	return nil, ErrNoRefresh
}

// countingFs counts the writes that reach the file system.
type countingFs struct {
	afero.Fs
	writes atomic.Int32
}

func (c *countingFs) OpenFile(name string, flag int, perm os.FileMode) (afero.File, error) {
	if flag&(os.O_WRONLY|os.O_RDWR|os.O_CREATE|os.O_TRUNC|os.O_APPEND) != 0 {
		c.writes.Add(1)
	}
	return c.Fs.OpenFile(name, flag, perm)
}

func (c *countingFs) Create(name string) (afero.File, error) {
	c.writes.Add(1)
	return c.Fs.Create(name)
}

func (c *countingFs) Rename(oldname, newname string) error {
	c.writes.Add(1)
	return c.Fs.Rename(oldname, newname)
}

func psURL(t testing.TB, s string) *url.URL {
	t.Helper()
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// openTest opens the session at path with a new jar on clock.
func openTest(t testing.TB, fsys afero.Fs, path string, clock *psClock, o *SessionOptions) (*session, *Jar) {
	t.Helper()
	jar := NewJar(&JarOptions{Now: clock.Now, MaxCookies: 10000, MaxCookiesPerDomain: 10000})
	s, err := openSession(fsys, path, o, jar, nil)
	if err != nil {
		t.Fatalf("openSession(%s) error: %v", path, err)
	}
	return s, jar
}

// cookieNames returns the names of jar's cookies, sorted.
func cookieNames(jar *Jar) []string {
	var out []string
	for _, c := range jar.All() {
		out = append(out, c.Name)
	}
	slices.Sort(out)
	return out
}

// truncateTimes rounds a cookie's times to what the session file keeps.
func truncateTimes(cs []Cookie) []Cookie {
	out := slices.Clone(cs)
	for i := range out {
		c := &out[i]
		for _, tp := range []*time.Time{&c.Expires, &c.Created, &c.LastAccess, &c.Updated} {
			if !tp.IsZero() {
				*tp = time.UnixMilli(tp.UnixMilli())
			}
		}
	}
	return out
}

func TestSessionRoundTrip(t *testing.T) {
	fsys := afero.NewMemMapFs()
	clock := newPSClock()
	path := "/home/u/.config/app/session.json"
	s, jar := openTest(t, fsys, path, clock, &SessionOptions{SaveSessionCookies: true})
	if tok := s.token(); tok != nil {
		t.Errorf("token() of a new session = %v, want nil", tok)
	}
	s.tokens = NewTokenManager(&seqAuth{}, nil, &TokenOptions{Now: clock.Now})
	u := psURL(t, "https://www.example.com/app/")
	jar.SetCookieHeaders(u, []string{
		"sid=s3cr3t; Path=/; Secure; HttpOnly; SameSite=Lax; Max-Age=3600",
		"wide=1; Domain=example.com; Max-Age=86400",
		"sess=1",
		"__Host-x=y; Path=/; Secure; Partitioned; Max-Age=60",
	})
	clock.Advance(1500 * time.Millisecond)
	jar.Cookies(u) // last access
	if _, err := s.tokens.Token(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := s.save(); err != nil {
		t.Fatalf("save() error: %v", err)
	}

	s2, jar2 := openTest(t, fsys, path, clock, nil)
	if diff := cmp.Diff(truncateTimes(jar.All()), jar2.All()); diff != "" {
		t.Errorf("cookies after reopening mismatch (-want +got):\n%s", diff)
	}
	want := &Token{AccessToken: "at-1", TokenType: "Bearer"}
	if diff := cmp.Diff(want, s2.token()); diff != "" {
		t.Errorf("token() after reopening mismatch (-want +got):\n%s", diff)
	}
}

func TestSessionWhatIsWritten(t *testing.T) {
	tests := []struct {
		name string
		opts *SessionOptions
		want []string
	}{
		{"default: persistent cookies only", nil, []string{"persistent"}},
		{"SaveSessionCookies", &SessionOptions{SaveSessionCookies: true}, []string{"persistent", "session"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fsys := afero.NewMemMapFs()
			clock := newPSClock()
			s, jar := openTest(t, fsys, "/s.json", clock, tt.opts)
			u := psURL(t, "https://example.com/")
			jar.SetCookieHeaders(u, []string{"persistent=1; Max-Age=3600", "session=1", "short=1; Max-Age=1"})
			clock.Advance(2 * time.Second) // "short" expires
			if err := s.save(); err != nil {
				t.Fatal(err)
			}
			data, _ := afero.ReadFile(fsys, "/s.json")
			doc, err := decodeSession(data)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, c := range doc.cookies {
				got = append(got, c.Name)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("cookies written mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestSessionNoWriteWhenUnchanged(t *testing.T) {
	fsys := &countingFs{Fs: afero.NewMemMapFs()}
	clock := newPSClock()
	path := "/d/s.json"
	s, jar := openTest(t, fsys, path, clock, nil)
	s.tokens = NewTokenManager(&seqAuth{}, nil, &TokenOptions{Now: clock.Now})
	step := func(what string, wantWrite bool) {
		t.Helper()
		before := fsys.writes.Load()
		if s.dirty() != wantWrite {
			t.Errorf("%s: dirty() = %v, want %v", what, !wantWrite, wantWrite)
		}
		if err := s.save(); err != nil {
			t.Fatalf("%s: save() error: %v", what, err)
		}
		if wrote := fsys.writes.Load() != before; wrote != wantWrite {
			t.Errorf("%s: save() wrote = %v, want %v", what, wrote, wantWrite)
		}
	}
	step("fresh session", false)
	u := psURL(t, "https://example.com/")
	jar.SetCookieHeaders(u, []string{"a=1; Max-Age=3600"})
	step("cookie set", true)
	step("nothing new", false)
	clock.Advance(2 * time.Minute)
	jar.Cookies(u)
	step("cookie only read", false)
	if _, err := s.tokens.Token(context.Background()); err != nil {
		t.Fatal(err)
	}
	step("token obtained", true)
	step("nothing new again", false)
	jar.SetCookieHeaders(u, []string{"a=1; Max-Age=3600"}) // same cookie set again: a change
	step("cookie set again", true)
	data, _ := afero.ReadFile(fsys, path)

	// A reopened session has nothing to write either.
	s2, _ := openTest(t, fsys, path, clock, nil)
	before := fsys.writes.Load()
	if err := s2.save(); err != nil || fsys.writes.Load() != before {
		t.Errorf("save() of a just-opened session: err %v, wrote %v; want no write", err, fsys.writes.Load() != before)
	}
	if got, _ := afero.ReadFile(fsys, path); !bytes.Equal(got, data) {
		t.Errorf("file changed without a change to save")
	}
}

func TestSessionMergesWriters(t *testing.T) {
	fsys := afero.NewMemMapFs()
	clock := newPSClock()
	path := "/s.json"
	u := psURL(t, "https://example.com/")
	sa, ja := openTest(t, fsys, path, clock, nil)
	sb, jb := openTest(t, fsys, path, clock, nil)
	ja.SetCookieHeaders(u, []string{"a=1; Max-Age=3600", "shared=old; Max-Age=3600"})
	clock.Advance(time.Millisecond)
	jb.SetCookieHeaders(u, []string{"b=1; Max-Age=3600", "shared=new; Max-Age=3600"})
	if err := sb.save(); err != nil {
		t.Fatal(err)
	}
	if err := sa.save(); err != nil {
		t.Fatal(err)
	}
	sc, jc := openTest(t, fsys, path, clock, nil)
	_ = sc
	want := []string{"a", "b", "shared"}
	if diff := cmp.Diff(want, cookieNames(jc)); diff != "" {
		t.Errorf("cookies in the file mismatch (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(want, cookieNames(ja)); diff != "" {
		t.Errorf("cookies of the last writer mismatch (-want +got):\n%s", diff)
	}
	for _, c := range jc.All() {
		if c.Name == "shared" && c.Value != "new" {
			t.Errorf("shared cookie = %q, want the newer %q", c.Value, "new")
		}
	}

	// A deletion in one writer survives a save by another that still
	// holds the cookie.
	if !jc.Remove("example.com", "/", "a") {
		t.Fatal("Remove(a) = false")
	}
	clock.Advance(time.Millisecond)
	if err := sc.save(); err != nil {
		t.Fatal(err)
	}
	ja.SetCookieHeaders(u, []string{"later=1; Max-Age=3600"})
	if err := sa.save(); err != nil {
		t.Fatal(err)
	}
	_, jd := openTest(t, fsys, path, clock, nil)
	want = []string{"b", "later", "shared"}
	if diff := cmp.Diff(want, cookieNames(jd)); diff != "" {
		t.Errorf("cookies after a deletion mismatch (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(want, cookieNames(ja)); diff != "" {
		t.Errorf("cookies of the writer that held the deleted cookie (-want +got):\n%s", diff)
	}
	_ = sb
}

func TestSessionTokenNewerWins(t *testing.T) {
	fsys := afero.NewMemMapFs()
	clock := newPSClock()
	path := "/s.json"
	open := func() (*session, *TokenManager) {
		s, _ := openTest(t, fsys, path, clock, nil)
		s.tokens = NewTokenManager(&seqAuth{}, nil, &TokenOptions{Now: clock.Now})
		s.tokens.SetToken(s.token())
		return s, s.tokens
	}
	sa, ta := open()
	sb, tb := open()
	t1 := &Token{AccessToken: "t1", RefreshToken: "r1"}
	ta.SetToken(t1)
	if err := sa.saveToken(t1); err != nil {
		t.Fatal(err)
	}
	// B never changed its token: saving keeps A's and hands it to B.
	clock.Advance(time.Second)
	sb.jar.SetCookieHeaders(psURL(t, "https://example.com/"), []string{"c=1; Max-Age=60"})
	if err := sb.save(); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(t1, tb.Current()); diff != "" {
		t.Errorf("B's token after its save mismatch (-want +got):\n%s", diff)
	}
	// B now changes the token: it is newer than A's and wins.
	clock.Advance(time.Second)
	t2 := &Token{AccessToken: "t2", RefreshToken: "r2"}
	tb.SetToken(t2)
	if err := sb.save(); err != nil {
		t.Fatal(err)
	}
	// A saves a cookie with its old token: B's stays.
	sa.jar.SetCookieHeaders(psURL(t, "https://example.com/"), []string{"d=1; Max-Age=60"})
	if err := sa.save(); err != nil {
		t.Fatal(err)
	}
	sc, _ := open()
	if diff := cmp.Diff(t2, sc.token()); diff != "" {
		t.Errorf("stored token mismatch (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(t2, ta.Current()); diff != "" {
		t.Errorf("A's token after its save mismatch (-want +got):\n%s", diff)
	}
	// Clearing the token is a change like any other.
	clock.Advance(time.Second)
	ta.SetToken(nil)
	if err := sa.save(); err != nil {
		t.Fatal(err)
	}
	if sd, _ := open(); sd.token() != nil {
		t.Errorf("stored token after clearing = %v, want nil", sd.token())
	}
}

func TestSessionCorruptFile(t *testing.T) {
	clock := newPSClock()
	path := "/d/s.json"
	bad := []byte(`{"version":1,"cookies":[{"n":"a"`)
	fsys := afero.NewMemMapFs()
	afero.WriteFile(fsys, path, bad, 0o600)

	jar := NewJar(&JarOptions{Now: clock.Now})
	_, err := openSession(fsys, path, nil, jar, nil)
	var se *SessionFileError
	if !errors.As(err, &se) || se.Path != path || !errors.Is(err, ErrCorruptSession) {
		t.Fatalf("openSession of a corrupt file error = %v, want a *SessionFileError for %s", err, path)
	}
	if got, _ := afero.ReadFile(fsys, path); !bytes.Equal(got, bad) {
		t.Errorf("corrupt file changed to %q", got)
	}

	// StartFresh moves it aside and starts empty.
	var logs bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logs, nil))
	s, err := openSession(fsys, path, &SessionOptions{StartFresh: true}, jar, log)
	if err != nil {
		t.Fatalf("openSession with StartFresh error: %v", err)
	}
	aside := path + ".corrupt-20260102T150405.000Z"
	if got, _ := afero.ReadFile(fsys, aside); !bytes.Equal(got, bad) {
		t.Errorf("%s holds %q, want the corrupt file", aside, got)
	}
	if !strings.Contains(logs.String(), "moved aside") {
		t.Errorf("no warning logged for the corrupt file: %q", logs.String())
	}
	jar.SetCookieHeaders(psURL(t, "https://example.com/"), []string{"a=1; Max-Age=60"})
	if err := s.save(); err != nil {
		t.Fatalf("save() after StartFresh error: %v", err)
	}

	// A file that turns corrupt later is not overwritten by a save.
	afero.WriteFile(fsys, path, bad, 0o600)
	jar.SetCookieHeaders(psURL(t, "https://example.com/"), []string{"b=1; Max-Age=60"})
	if err := s.save(); !errors.As(err, &se) || se.Path != path {
		t.Errorf("save() over a corrupt file error = %v, want a *SessionFileError", err)
	}
	if got, _ := afero.ReadFile(fsys, path); !bytes.Equal(got, bad) {
		t.Errorf("save() overwrote the corrupt file with %q", got)
	}
	if !s.dirty() {
		t.Errorf("dirty() = false after a failed save")
	}
}

func TestSessionCorruptInputsNeverOverwritten(t *testing.T) {
	valid := sampleDoc().encode(nil)
	inputs := map[string][]byte{
		"garbage":       []byte("\x89PNG\r\n\x1a\n garbage"),
		"wrong version": []byte(`{"version":2,"cookies":[]}`),
		"wrong types":   []byte(`{"version":1,"cookies":{"n":"a"}}`),
	}
	for n := 0; n < len(valid)-1; n += 7 {
		inputs[fmt.Sprintf("truncated at %d", n)] = valid[:n]
	}
	for name, in := range inputs {
		t.Run(name, func(t *testing.T) {
			fsys := afero.NewMemMapFs()
			path := "/s.json"
			afero.WriteFile(fsys, path, in, 0o600)
			clock := newPSClock()
			jar := NewJar(&JarOptions{Now: clock.Now})
			if _, err := openSession(fsys, path, nil, jar, nil); !errors.Is(err, ErrCorruptSession) {
				t.Fatalf("openSession error = %v, want ErrCorruptSession", err)
			}
			jar.SetCookieHeaders(psURL(t, "https://example.com/"), []string{"a=1; Max-Age=60"})
			err := SaveSession(NewFileStore(fsys, path), jar, &Token{AccessToken: "x"}, nil)
			if !errors.Is(err, ErrCorruptSession) {
				t.Errorf("SaveSession error = %v, want ErrCorruptSession", err)
			}
			if got, _ := afero.ReadFile(fsys, path); !bytes.Equal(got, in) {
				t.Errorf("file changed")
			}
		})
	}
}

func TestSessionPermissionWarning(t *testing.T) {
	for _, tt := range []struct {
		mode os.FileMode
		warn bool
	}{{0o600, false}, {0o640, true}, {0o644, true}} {
		fsys := afero.NewMemMapFs()
		afero.WriteFile(fsys, "/s.json", []byte(`{"version":1}`), tt.mode)
		fsys.Chmod("/s.json", tt.mode)
		var logs bytes.Buffer
		jar := NewJar(nil)
		if _, err := openSession(fsys, "/s.json", nil, jar, slog.New(slog.NewTextHandler(&logs, nil))); err != nil {
			t.Fatal(err)
		}
		if got := strings.Contains(logs.String(), "accessible by group or others"); got != tt.warn {
			t.Errorf("mode %v: warning logged = %v, want %v (log %q)", tt.mode, got, tt.warn, logs.String())
		}
	}
}

func TestLoadSaveSession(t *testing.T) {
	fsys := afero.NewMemMapFs()
	st := NewFileStore(fsys, "/s.json")
	clock := newPSClock()
	jar := NewJar(&JarOptions{Now: clock.Now})
	jar.SetCookieHeaders(psURL(t, "https://example.com/"), []string{"a=1; Max-Age=60"})
	tok := &Token{AccessToken: "x", Expiry: t0.Add(time.Hour)}
	if err := SaveSession(st, jar, tok, nil); err != nil {
		t.Fatal(err)
	}
	jar2 := NewJar(&JarOptions{Now: clock.Now})
	got, err := LoadSession(st, jar2)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(tok, got); diff != "" {
		t.Errorf("LoadSession token mismatch (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"a"}, cookieNames(jar2)); diff != "" {
		t.Errorf("LoadSession cookies mismatch (-want +got):\n%s", diff)
	}
	// A nil token keeps the stored one.
	if err := SaveSession(st, jar2, nil, nil); err != nil {
		t.Fatal(err)
	}
	if got, _ := LoadSession(st, NewJar(nil)); !cmp.Equal(got, tok) {
		t.Errorf("token after SaveSession(nil token) = %v, want the stored one", got)
	}
}

// bytesStore is a Store holding one document in memory.
type bytesStore struct{ data []byte }

func (b *bytesStore) Load() ([]byte, error) { return b.data, nil }

func (b *bytesStore) Update(fn func([]byte) ([]byte, error)) error {
	next, err := fn(b.data)
	if err == nil && next != nil {
		b.data = next
	}
	return err
}

// FuzzLoadSession checks that no input makes loading panic, that every
// rejection is a *SessionFileError, and that what loads re-encodes stably.
// Seeds are in testdata/fuzz/FuzzLoadSession.
func FuzzLoadSession(f *testing.F) {
	f.Add(sampleDoc().encode(nil))
	f.Fuzz(func(t *testing.T, data []byte) {
		doc, err := decodeSession(data)
		if err != nil {
			var se *SessionFileError
			if !errors.As(err, &se) || !errors.Is(err, ErrCorruptSession) {
				t.Fatalf("decodeSession error %v is not a *SessionFileError", err)
			}
			return
		}
		enc := doc.encode(nil)
		doc2, err := decodeSession(enc)
		if err != nil {
			t.Fatalf("decodeSession(encode(decodeSession(data))) error: %v\n%s", err, enc)
		}
		if enc2 := doc2.encode(nil); !bytes.Equal(enc, enc2) {
			t.Fatalf("encoding is not stable:\n%s\nthen\n%s", enc, enc2)
		}
		clock := newPSClock()
		jar := NewJar(&JarOptions{Now: clock.Now})
		if _, err := LoadSession(&bytesStore{data: data}, jar); err != nil {
			t.Fatalf("LoadSession error after decodeSession succeeded: %v", err)
		}
		st := &bytesStore{}
		if err := SaveSession(st, jar, nil, &SessionOptions{SaveSessionCookies: true}); err != nil {
			t.Fatalf("SaveSession error: %v", err)
		}
		jar2 := NewJar(&JarOptions{Now: clock.Now})
		if _, err := LoadSession(st, jar2); err != nil {
			t.Fatalf("LoadSession of a saved session error: %v", err)
		}
		if a, b := jar.Len(), jar2.Len(); a != b {
			t.Fatalf("a saved jar of %d cookies loads as %d", a, b)
		}
	})
}

// benchJar returns a jar of n typical cookies, 100 per site.
func benchJar(b *testing.B, n int) *Jar {
	b.Helper()
	jar := NewJar(&JarOptions{MaxCookies: n})
	for s := 0; s < n/100; s++ {
		u := &url.URL{Scheme: "https", Host: fmt.Sprintf("www.site%d.example", s), Path: "/"}
		lines := make([]string, 100)
		for i := range lines {
			lines[i] = fmt.Sprintf("session_%d=%032x; Path=/; Secure; HttpOnly; SameSite=Lax; Max-Age=2592000", i, i*s)
		}
		jar.SetCookieHeaders(u, lines)
	}
	return jar
}

// plainCookie is how a straightforward encoding/json persister would store
// a cookie: the exported fields with their default JSON encoding.
type plainCookie struct {
	Name, Value, Domain, Path  string
	HostOnly, Secure, HttpOnly bool
	SameSite                   http.SameSite
	Expires, Created           time.Time
	LastAccess, Updated        time.Time
}

func plainCookies(cs []Cookie) []plainCookie {
	out := make([]plainCookie, len(cs))
	for i, c := range cs {
		out[i] = plainCookie{c.Name, c.Value, c.Domain, c.Path, c.HostOnly, c.Secure, c.HttpOnly, c.SameSite,
			c.Expires, c.Created, c.LastAccess, c.Updated}
	}
	return out
}

// BenchmarkSave100k saves 100,000 cookies to a new file on the OS file
// system; BenchmarkPlainJSONSave100k is the encoding/json + fsync + rename
// baseline for the same cookies.
func BenchmarkSave100k(b *testing.B) {
	jar := benchJar(b, 100000)
	dir := b.TempDir()
	b.ResetTimer()
	for i := range b.N {
		st := NewFileStore(nil, filepath.Join(dir, fmt.Sprintf("s%d.json", i)))
		if err := SaveSession(st, jar, nil, nil); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkPlainJSONSave100k(b *testing.B) {
	jar := benchJar(b, 100000)
	dir := b.TempDir()
	b.ResetTimer()
	for i := range b.N {
		data, err := json.Marshal(plainCookies(jar.All()))
		if err != nil {
			b.Fatal(err)
		}
		path := filepath.Join(dir, fmt.Sprintf("s%d.json", i))
		f, err := os.CreateTemp(dir, "tmp")
		if err != nil {
			b.Fatal(err)
		}
		f.Write(data)
		f.Sync()
		f.Close()
		if err := os.Rename(f.Name(), path); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkMergeSave100k saves one changed cookie into a file that holds
// the same 100,000: the merge path of every save after the first.
func BenchmarkMergeSave100k(b *testing.B) {
	jar := benchJar(b, 100000)
	path := filepath.Join(b.TempDir(), "s.json")
	s, err := openSession(afero.NewOsFs(), path, nil, jar, nil)
	if err != nil {
		b.Fatal(err)
	}
	if err := s.save(); err != nil {
		b.Fatal(err)
	}
	u := &url.URL{Scheme: "https", Host: "www.site0.example", Path: "/"}
	b.ResetTimer()
	for i := range b.N {
		jar.SetCookieHeaders(u, []string{fmt.Sprintf("session_0=%d; Max-Age=3600", i)})
		if err := s.save(); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkLoad100k decodes a file of 100,000 cookies into an empty jar;
// BenchmarkDecode100k only decodes; BenchmarkPlainJSONLoad100k is the
// encoding/json baseline.
func BenchmarkLoad100k(b *testing.B) {
	st := &bytesStore{}
	if err := SaveSession(st, benchJar(b, 100000), nil, nil); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(st.data)))
	b.ResetTimer()
	for range b.N {
		if _, err := LoadSession(st, NewJar(&JarOptions{MaxCookies: 100000})); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDecode100k(b *testing.B) {
	st := &bytesStore{}
	if err := SaveSession(st, benchJar(b, 100000), nil, nil); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(st.data)))
	b.ResetTimer()
	for range b.N {
		if _, err := decodeSession(st.data); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(st.data))/100000, "bytes/cookie")
}

func BenchmarkPlainJSONLoad100k(b *testing.B) {
	data, err := json.Marshal(plainCookies(benchJar(b, 100000).All()))
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	b.ResetTimer()
	for range b.N {
		var cs []plainCookie
		if err := json.Unmarshal(data, &cs); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(data))/100000, "bytes/cookie")
}

// TestSessionThroughClient goes through New, requests, Close and New again:
// the cookies and the token survive the restart, so no new login happens.
func TestSessionThroughClient(t *testing.T) {
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/set":
			http.SetCookie(w, &http.Cookie{Name: "sid", Value: "c00kie", Path: "/", MaxAge: 3600, HttpOnly: true})
			http.SetCookie(w, &http.Cookie{Name: "tmp", Value: "1", Path: "/"})
		default:
			fmt.Fprintf(w, "%s|%s", r.Header.Get("Authorization"), r.Header.Get("Cookie"))
		}
	}))
	defer ts.Close()
	path := filepath.Join(t.TempDir(), "app", "session.json")
	get := func(c *Client, p string) string {
		t.Helper()
		resp, err := c.HTTPClient().Get(ts.URL + p)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return string(b)
	}

	auth1 := &seqAuth{}
	c, err := New(Options{SessionFile: path, Auth: auth1, AuthOrigins: []string{ts.URL}})
	if err != nil {
		t.Fatal(err)
	}
	get(c, "/set")
	if got, want := get(c, "/api"), "Bearer at-1|sid=c00kie; tmp=1"; got != want {
		t.Errorf("first run: GET /api = %q, want %q", got, want)
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	for p, want := range map[string]os.FileMode{path: 0o600, filepath.Dir(path): 0o700} {
		if fi, err := os.Stat(p); err != nil || fi.Mode().Perm() != want {
			t.Errorf("mode of %s = %v, %v, want %v", p, fi.Mode().Perm(), err, want)
		}
	}

	auth2 := &seqAuth{}
	c2, err := New(Options{SessionFile: path, Auth: auth2, AuthOrigins: []string{ts.URL}})
	if err != nil {
		t.Fatal(err)
	}
	defer c2.Close()
	if got, want := get(c2, "/api"), "Bearer at-1|sid=c00kie"; got != want {
		t.Errorf("after a restart: GET /api = %q, want %q (the session cookie is not saved by default)", got, want)
	}
	if n := auth2.n.Load(); n != 0 {
		t.Errorf("after a restart: %d logins, want 0", n)
	}

	// A corrupt file stops New, unless the caller starts fresh.
	bad := []byte(`{"version":1,"cookies":[`)
	if err := os.WriteFile(path, bad, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := New(Options{SessionFile: path}); !errors.Is(err, ErrCorruptSession) {
		t.Errorf("New with a corrupt file: error %v, want ErrCorruptSession", err)
	}
	c3, err := New(Options{SessionFile: path, Session: &SessionOptions{StartFresh: true}})
	if err != nil {
		t.Fatalf("New with StartFresh: %v", err)
	}
	if n := c3.Jar().Len(); n != 0 {
		t.Errorf("a fresh start has %d cookies, want 0", n)
	}
	c3.Close()
}
