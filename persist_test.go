package httpsession

import (
	"bytes"
	"context"
	"errors"
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
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/spf13/afero"
)

// t0 is the fixed start time of the persistence tests.
var t0 = time.Date(2026, 1, 2, 15, 4, 5, 0, time.UTC)

func newPSClock() *testClock { return &testClock{t: t0} }

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
func openTest(t testing.TB, fsys afero.Fs, path string, clock *testClock, o *SessionOptions) (*session, *Jar) {
	t.Helper()
	jar := newJar(&JarOptions{MaxCookies: 10000, MaxCookiesPerDomain: 10000}, clock.Now)
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

// truncateTimes rounds a cookie's times to what the session file keeps:
// milliseconds, and the creation time to the nanosecond when another of
// cs was created in the same millisecond (cn); a last access or update in
// the creation's millisecond is not written and reads as the creation.
func truncateTimes(cs []Cookie) []Cookie {
	out := slices.Clone(cs)
	tied := sharedMillis(cs)
	for i := range out {
		c := &out[i]
		created := c.Created
		if !created.IsZero() && !tied[created.UnixMilli()] {
			created = time.UnixMilli(created.UnixMilli())
		}
		for _, tp := range []*time.Time{&c.LastAccess, &c.Updated} {
			switch {
			case !c.Created.IsZero() && tp.UnixMilli() == c.Created.UnixMilli():
				*tp = created
			case !tp.IsZero():
				*tp = time.UnixMilli(tp.UnixMilli())
			}
		}
		if !c.Created.IsZero() {
			c.Created = created
		}
		if !c.Expires.IsZero() {
			c.Expires = time.UnixMilli(c.Expires.UnixMilli())
		}
	}
	return out
}

func TestSessionRoundTrip(t *testing.T) {
	fsys := afero.NewMemMapFs()
	clock := newPSClock()
	path := "/home/u/.config/app/session.json"
	s, jar := openTest(t, fsys, path, clock, nil)
	if tok := s.token(); tok != nil {
		t.Errorf("token() of a new session = %v, want nil", tok)
	}
	s.tokens = newTokenManager(&seqAuth{}, nil, nil, clock.Now)
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
		{"default: session cookies too", nil, []string{"persistent", "session"}},
		{"DropSessionCookies", &SessionOptions{DropSessionCookies: true}, []string{"persistent"}},
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
	s.tokens = newTokenManager(&seqAuth{}, nil, nil, clock.Now)
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
		s.tokens = newTokenManager(&seqAuth{}, nil, nil, clock.Now)
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

	jar := newJar(nil, clock.Now)
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
	for n := 7; n < len(valid)-1; n += 7 { // 0 bytes is an empty session
		inputs[fmt.Sprintf("truncated at %d", n)] = valid[:n]
	}
	for name, in := range inputs {
		t.Run(name, func(t *testing.T) {
			fsys := afero.NewMemMapFs()
			path := "/s.json"
			afero.WriteFile(fsys, path, in, 0o600)
			clock := newPSClock()
			jar := newJar(nil, clock.Now)
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
	jar := newJar(nil, clock.Now)
	jar.SetCookieHeaders(psURL(t, "https://example.com/"), []string{"a=1; Max-Age=60"})
	tok := &Token{AccessToken: "x", Expiry: t0.Add(time.Hour)}
	if err := SaveSession(st, jar, tok, nil); err != nil {
		t.Fatal(err)
	}
	jar2 := newJar(nil, clock.Now)
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
		// A jar that holds a cookie reads the file through a jar of its
		// own: it loads what decodes, and is left as it was otherwise.
		filled := newJar(nil, newPSClock().Now)
		filled.Add(Cookie{Name: "mine", Value: "1", Domain: "example.com", Path: "/"})
		before := stateOf(filled)
		if _, lerr := LoadSession(&bytesStore{data: data}, filled); (lerr == nil) != (err == nil) {
			t.Fatalf("LoadSession into a filled jar: error %v, decodeSession: error %v", lerr, err)
		}
		if err != nil {
			var se *SessionFileError
			if !errors.As(err, &se) || !errors.Is(err, ErrCorruptSession) {
				t.Fatalf("decodeSession error %v is not a *SessionFileError", err)
			}
			if diff := cmp.Diff(before, stateOf(filled)); diff != "" {
				t.Fatalf("a failed load changed the jar (-before +after):\n%s", diff)
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
		jar := newJar(nil, clock.Now)
		if _, err := LoadSession(&bytesStore{data: data}, jar); err != nil {
			t.Fatalf("LoadSession error after decodeSession succeeded: %v", err)
		}
		st := &bytesStore{}
		if err := SaveSession(st, jar, nil, nil); err != nil {
			t.Fatalf("SaveSession error: %v", err)
		}
		jar2 := newJar(nil, clock.Now)
		if _, err := LoadSession(st, jar2); err != nil {
			t.Fatalf("LoadSession of a saved session error: %v", err)
		}
		if a, b := jar.live(), jar2.live(); a != b {
			t.Fatalf("a saved jar of %d cookies loads as %d", a, b)
		}
	})
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
	if got, want := get(c2, "/api"), "Bearer at-1|sid=c00kie; tmp=1"; got != want {
		t.Errorf("after a restart: GET /api = %q, want %q (session cookies are saved by default)", got, want)
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
	if n := c3.Jar().live(); n != 0 {
		t.Errorf("a fresh start has %d cookies, want 0", n)
	}
	c3.Close()
}

// TestDropSessionCookiesKeepsOthers: a writer that drops its own session
// cookies leaves out those it set, but never deletes the session cookies
// another writer of the same file saved, whether it reads the file afresh
// or saves over a document it wrote itself.
func TestDropSessionCookiesKeepsOthers(t *testing.T) {
	fsys := afero.NewMemMapFs()
	clock := newPSClock()
	const path = "/s.json"
	keeper, kjar := openTest(t, fsys, path, clock, nil)
	dropper, djar := openTest(t, fsys, path, clock, &SessionOptions{DropSessionCookies: true})

	kjar.SetCookieHeaders(psURL(t, "https://a.example/"), []string{"login=1"})
	if err := keeper.save(); err != nil {
		t.Fatal(err)
	}
	djar.SetCookieHeaders(psURL(t, "https://b.example/"), []string{"mine=1", "kept=1; Max-Age=60"})
	for i := range 2 { // the second save starts from the document it wrote
		if err := dropper.save(); err != nil {
			t.Fatalf("save %d: %v", i, err)
		}
		djar.SetCookieHeaders(psURL(t, "https://b.example/"), []string{"kept=2; Max-Age=60"})
	}

	_, jar := openTest(t, fsys, path, clock, nil)
	var got []string
	for _, c := range jar.All() {
		got = append(got, c.Domain+" "+c.Name+"="+c.Value)
	}
	want := []string{"a.example login=1", "b.example kept=2"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("cookies in the file mismatch (-want +got):\n%s", diff)
	}
}
