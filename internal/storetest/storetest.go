// Package storetest is the conformance suite of httpsession.Store: what
// every store must do on its own (Load, atomic Update, concurrent Updates
// that lose nothing) and what a session persisted through it must do
// (merge per cookie, the newer change wins, deletions stick, the token
// keeps its update time, no write when nothing changed). Every store of the
// module runs it, so the file and Redis give the same guarantees.
package storetest

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/httpsession/httpsession"
)

// A Factory makes a new, empty session for t and returns open, which
// returns a new Store value on that session each time it is called, as
// another process sharing the session would have.
type Factory func(t *testing.T) (open func() httpsession.Store)

// Run runs the conformance suite against the stores that f makes.
func Run(t *testing.T, f Factory) {
	tests := []struct {
		name string
		run  func(t *testing.T, open func() httpsession.Store)
	}{
		{"LoadOfNothingIsNil", testLoadNothing},
		{"UpdateStoresWhatFnReturns", testUpdate},
		{"FnErrorOrNilStoresNothing", testUpdateNothing},
		{"ConcurrentUpdatesLoseNothing", testConcurrentUpdates},
		{"SessionRoundTrip", testSessionRoundTrip},
		{"MergePerCookie", testMergePerCookie},
		{"NewerChangeWins", testNewerChangeWins},
		{"DeletionSticks", testDeletionSticks},
		{"TokenKeepsItsUpdateTime", testTokenUpdateTime},
		{"NilTokenKeepsStoredToken", testNilTokenKeeps},
		{"NoWriteWhenNothingChanged", testNoWrite},
		{"ConcurrentSessionSavesLoseNoCookie", testConcurrentSessions},
		{"ClientSaveAndNew", testClient},
		{"ClientSavePicksUpOthers", testClientPicksUp},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.run(t, f(t))
		})
	}
}

// t0 is the start of every session clock in the suite.
var t0 = time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)

// A Clock is a settable clock for JarOptions.Now; safe for concurrent use.
type Clock struct {
	mu  sync.Mutex
	now time.Time
}

// NewClock returns a clock reading t.
func NewClock(t time.Time) *Clock { return &Clock{now: t} }

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Advance moves the clock forward by d.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

func newJar(c *Clock) *httpsession.Jar {
	return jarAt(c.Now, &httpsession.JarOptions{MaxCookies: 10000})
}

func site(host string) *url.URL {
	return &url.URL{Scheme: "https", Host: host, Path: "/"}
}

// values lists the jar's cookies as "domain name=value", sorted.
func values(j *httpsession.Jar) []string {
	var out []string
	for _, c := range j.All() {
		out = append(out, c.Domain+" "+c.Name+"="+c.Value)
	}
	slices.Sort(out)
	return out
}

// stored loads the session held by open() into a new jar.
func stored(t *testing.T, open func() httpsession.Store, c *Clock) ([]string, *httpsession.Token) {
	t.Helper()
	j := newJar(c)
	tok, err := httpsession.LoadSession(open(), j)
	if err != nil {
		t.Fatalf("LoadSession: %v", err)
	}
	return values(j), tok
}

func save(t *testing.T, st httpsession.Store, j *httpsession.Jar, tok *httpsession.Token) {
	t.Helper()
	if err := httpsession.SaveSession(st, j, tok, nil); err != nil {
		t.Fatalf("SaveSession: %v", err)
	}
}

func load(t *testing.T, st httpsession.Store, j *httpsession.Jar) *httpsession.Token {
	t.Helper()
	tok, err := httpsession.LoadSession(st, j)
	if err != nil {
		t.Fatalf("LoadSession: %v", err)
	}
	return tok
}

func testLoadNothing(t *testing.T, open func() httpsession.Store) {
	got, err := open().Load()
	if got != nil || err != nil {
		t.Errorf("Load() of a new session = %q, %v, want nil, nil", got, err)
	}
	tok, err := httpsession.LoadSession(open(), httpsession.NewJar(nil))
	if tok != nil || err != nil {
		t.Errorf("LoadSession() of a new session = %v, %v, want nil, nil", tok, err)
	}
}

func testUpdate(t *testing.T, open func() httpsession.Store) {
	st := open()
	var saw [][]byte
	steps := []struct {
		next string
		want string // what fn sees
	}{
		{"one", ""},
		{"two", "one"},
		{"three", "two"},
	}
	for _, s := range steps {
		err := st.Update(func(cur []byte) ([]byte, error) {
			saw = append(saw, cur)
			if string(cur) != s.want || (s.want == "" && cur != nil) {
				return nil, fmt.Errorf("fn got %q, want %q", cur, s.want)
			}
			return []byte(s.next), nil
		})
		if err != nil {
			t.Fatalf("Update to %q: %v (fn saw %q)", s.next, err, saw)
		}
		if got, err := open().Load(); string(got) != s.next || err != nil {
			t.Errorf("Load() after Update to %q = %q, %v", s.next, got, err)
		}
	}
}

func testUpdateNothing(t *testing.T, open func() httpsession.Store) {
	st := open()
	errBoom := errors.New("boom")
	tests := []struct {
		name    string
		fn      func([]byte) ([]byte, error)
		wantErr error
	}{
		{"error", func([]byte) ([]byte, error) { return []byte("x"), errBoom }, errBoom},
		{"nil", func([]byte) ([]byte, error) { return nil, nil }, nil},
	}
	for _, before := range []string{"", "kept"} {
		if before != "" {
			if err := st.Update(func([]byte) ([]byte, error) { return []byte(before), nil }); err != nil {
				t.Fatal(err)
			}
		}
		for _, tt := range tests {
			if err := st.Update(tt.fn); !errors.Is(err, tt.wantErr) || (tt.wantErr == nil && err != nil) {
				t.Errorf("%s: Update() = %v, want %v", tt.name, err, tt.wantErr)
			}
			got, err := open().Load()
			if err != nil || string(got) != before || (before == "" && got != nil) {
				t.Errorf("%s: Load() after the update = %q, %v, want %q", tt.name, got, err, before)
			}
		}
	}
}

// testConcurrentUpdates runs read-modify-write increments from many
// goroutines, each with its own Store: none may be lost.
func testConcurrentUpdates(t *testing.T, open func() httpsession.Store) {
	const workers, rounds = 8, 20
	var wg sync.WaitGroup
	var calls atomic.Int64
	for range workers {
		wg.Go(func() {
			st := open()
			for range rounds {
				err := st.Update(func(cur []byte) ([]byte, error) {
					calls.Add(1)
					n := 0
					if cur != nil {
						var err error
						if n, err = strconv.Atoi(string(cur)); err != nil {
							return nil, err
						}
					}
					return strconv.AppendInt(nil, int64(n+1), 10), nil
				})
				if err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	got, err := open().Load()
	if want := strconv.Itoa(workers * rounds); string(got) != want || err != nil {
		t.Errorf("counter = %q, %v, want %s", got, err, want)
	}
	t.Logf("%d increments took %d calls of fn", workers*rounds, calls.Load())
}

func testSessionRoundTrip(t *testing.T, open func() httpsession.Store) {
	clock := NewClock(t0)
	j := newJar(clock)
	j.SetCookieHeaders(site("shop.example"), []string{
		"sid=abc; Path=/; Secure; HttpOnly; SameSite=Lax",
		"pref=dark; Max-Age=3600",
	})
	j.SetCookieHeaders(site("api.shop.example"), []string{"csrf=123; Domain=shop.example; Max-Age=60"})
	tok := &httpsession.Token{AccessToken: "at-1", TokenType: "Bearer", RefreshToken: "rt-1", Expiry: t0.Add(time.Hour)}
	if err := httpsession.SaveSession(open(), j, tok, nil); err != nil {
		t.Fatal(err)
	}
	j2 := newJar(clock)
	gotTok := load(t, open(), j2)
	ignore := cmp.FilterPath(func(p cmp.Path) bool {
		return p.Last().String() == ".LastAccess"
	}, cmp.Ignore())
	if diff := cmp.Diff(j.All(), j2.All(), ignore); diff != "" {
		t.Errorf("cookies after the round trip (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(tok, gotTok); diff != "" {
		t.Errorf("token after the round trip (-want +got):\n%s", diff)
	}
}

// twoWorkers stores a session of the cookies lines set by shop.example,
// then opens it as two workers would, each with its jar and store, and
// moves clock a second on.
func twoWorkers(t *testing.T, open func() httpsession.Store, clock *Clock, lines ...string) (ja, jb *httpsession.Jar, sta, stb httpsession.Store) {
	t.Helper()
	base := newJar(clock)
	base.SetCookieHeaders(site("shop.example"), lines)
	save(t, open(), base, nil)
	ja, jb = newJar(clock), newJar(clock)
	sta, stb = open(), open()
	load(t, sta, ja)
	load(t, stb, jb)
	clock.Advance(time.Second)
	return ja, jb, sta, stb
}

// testMergePerCookie: two workers start from the same session and change
// different cookies; both changes survive, whoever saves last.
func testMergePerCookie(t *testing.T, open func() httpsession.Store) {
	clock := NewClock(t0)
	ja, jb, sta, stb := twoWorkers(t, open, clock, "a=0; Max-Age=3600", "b=0; Max-Age=3600")
	ja.SetCookieHeaders(site("shop.example"), []string{"a=1; Max-Age=3600"})
	jb.SetCookieHeaders(site("shop.example"), []string{"b=2; Max-Age=3600", "c=2; Max-Age=3600"})
	save(t, sta, ja, nil)
	save(t, stb, jb, nil)

	want := []string{"shop.example a=1", "shop.example b=2", "shop.example c=2"}
	got, _ := stored(t, open, clock)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("stored cookies (-want +got):\n%s", diff)
	}
	// The worker that saved first learns the other's cookies on its next save.
	save(t, sta, ja, nil)
	if diff := cmp.Diff(want, values(ja)); diff != "" {
		t.Errorf("first saver's jar after another save (-want +got):\n%s", diff)
	}
}

// testNewerChangeWins: both workers change the same cookie; the later
// change wins even when it is saved first.
func testNewerChangeWins(t *testing.T, open func() httpsession.Store) {
	ca, cb := NewClock(t0), NewClock(t0)
	ja, jb := newJar(ca), newJar(cb)
	sta, stb := open(), open()
	ca.Advance(time.Second)
	ja.SetCookieHeaders(site("shop.example"), []string{"x=older; Max-Age=3600"})
	cb.Advance(2 * time.Second)
	jb.SetCookieHeaders(site("shop.example"), []string{"x=newer; Max-Age=3600"})
	save(t, stb, jb, nil) // the newer change is saved first
	save(t, sta, ja, nil)
	want := []string{"shop.example x=newer"}
	if got, _ := stored(t, open, ca); !cmp.Equal(want, got) {
		t.Errorf("stored cookies = %q, want %q", got, want)
	}
	if got := values(ja); !cmp.Equal(want, got) {
		t.Errorf("cookies of the worker with the older change = %q, want %q", got, want)
	}
}

// testDeletionSticks: a cookie one worker deleted stays deleted when a
// worker that still holds it saves later.
func testDeletionSticks(t *testing.T, open func() httpsession.Store) {
	clock := NewClock(t0)
	ja, jb, sta, stb := twoWorkers(t, open, clock, "cart=1; Max-Age=3600", "keep=1; Max-Age=3600")
	if !ja.Remove("shop.example", "/", "cart") {
		t.Fatal("Remove(cart) = false")
	}
	save(t, sta, ja, nil)
	clock.Advance(time.Second)
	jb.SetCookieHeaders(site("shop.example"), []string{"later=1; Max-Age=3600"})
	save(t, stb, jb, nil)

	want := []string{"shop.example keep=1", "shop.example later=1"}
	if got, _ := stored(t, open, clock); !cmp.Equal(want, got) {
		t.Errorf("stored cookies = %q, want %q", got, want)
	}
	if got := values(jb); !cmp.Equal(want, got) {
		t.Errorf("cookies of the worker that still held it = %q, want %q", got, want)
	}
}

// tokenUpdated reads the token_updated field of the stored document, the
// time the token last changed.
func tokenUpdated(t *testing.T, st httpsession.Store) time.Time {
	t.Helper()
	data, err := st.Load()
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		TokenUpdated int64 `json:"token_updated"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatalf("the stored document is not JSON: %v", err)
	}
	return time.UnixMilli(doc.TokenUpdated).UTC()
}

// testTokenUpdateTime: the stored token carries the time it changed, and a
// token saved by a worker whose change is older does not replace it.
func testTokenUpdateTime(t *testing.T, open func() httpsession.Store) {
	ahead, behind := NewClock(t0.Add(time.Minute)), NewClock(t0)
	tokA := &httpsession.Token{AccessToken: "at-a", RefreshToken: "rt-a", Expiry: t0.Add(time.Hour)}
	tokB := &httpsession.Token{AccessToken: "at-b", RefreshToken: "rt-b", Expiry: t0.Add(time.Hour)}
	save(t, open(), newJar(ahead), tokA)
	if got, want := tokenUpdated(t, open()), ahead.Now(); !got.Equal(want) {
		t.Errorf("token_updated = %v, want %v", got, want)
	}
	save(t, open(), newJar(behind), tokB)
	if _, got := stored(t, open, ahead); !cmp.Equal(tokA, got) {
		t.Errorf("stored token after an older change was saved = %v, want the newer one %v", got, tokA)
	}
	ahead.Advance(time.Minute)
	tokC := &httpsession.Token{AccessToken: "at-c", RefreshToken: "rt-c", Expiry: t0.Add(time.Hour)}
	save(t, open(), newJar(ahead), tokC)
	if _, got := stored(t, open, ahead); !cmp.Equal(tokC, got) {
		t.Errorf("stored token after a newer change = %v, want %v", got, tokC)
	}
	if got, want := tokenUpdated(t, open()), ahead.Now(); !got.Equal(want) {
		t.Errorf("token_updated = %v, want %v", got, want)
	}
}

func testNilTokenKeeps(t *testing.T, open func() httpsession.Store) {
	clock := NewClock(t0)
	tok := &httpsession.Token{AccessToken: "at", RefreshToken: "rt", Expiry: t0.Add(time.Hour)}
	save(t, open(), newJar(clock), tok)
	j := newJar(clock)
	j.SetCookieHeaders(site("shop.example"), []string{"a=1; Max-Age=3600"})
	clock.Advance(time.Second)
	save(t, open(), j, nil)
	if _, got := stored(t, open, clock); !cmp.Equal(tok, got) {
		t.Errorf("stored token after a save without one = %v, want %v", got, tok)
	}
}

// A counting store counts the Updates that wrote a document.
type counting struct {
	httpsession.Store
	writes atomic.Int64
}

func (c *counting) Update(fn func([]byte) ([]byte, error)) error {
	wrote := false
	err := c.Store.Update(func(cur []byte) ([]byte, error) {
		next, err := fn(cur)
		wrote = err == nil && next != nil
		return next, err
	})
	if err == nil && wrote {
		c.writes.Add(1)
	}
	return err
}

// testNoWrite: saving a session that did not change writes nothing, for
// SaveSession and for a Client.
func testNoWrite(t *testing.T, open func() httpsession.Store) {
	clock := NewClock(t0)
	st := &counting{Store: open()}
	j := newJar(clock)
	j.SetCookieHeaders(site("shop.example"), []string{"a=1; Max-Age=3600"})
	tok := &httpsession.Token{AccessToken: "at", Expiry: t0.Add(time.Hour)}
	save(t, st, j, tok)
	save(t, st, j, tok)
	save(t, st, j, nil)
	if n := st.writes.Load(); n != 1 {
		t.Errorf("three SaveSessions of one unchanged session wrote %d times, want 1", n)
	}

	cst := &counting{Store: open()}
	c, err := httpsession.New(httpsession.Options{Store: cst, Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if err := c.Save(); err != nil {
			t.Fatal(err)
		}
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	if n := cst.writes.Load(); n != 0 {
		t.Errorf("a Client that changed nothing wrote %d times, want 0", n)
	}
}

// testConcurrentSessions: many sessions on their own Stores add cookies and
// save at once; every cookie is stored.
func testConcurrentSessions(t *testing.T, open func() httpsession.Store) {
	const workers, batches, perBatch = 6, 5, 4
	clock := NewClock(t0)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			st, j := open(), newJar(clock)
			if _, err := httpsession.LoadSession(st, j); err != nil {
				t.Error(err)
				return
			}
			for b := range batches {
				var lines []string
				for i := range perBatch {
					lines = append(lines, fmt.Sprintf("c%d-%d=v; Max-Age=3600", b, i))
				}
				j.SetCookieHeaders(site(fmt.Sprintf("w%d.example", w)), lines)
				if err := httpsession.SaveSession(st, j, nil, nil); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	got, _ := stored(t, open, clock)
	if len(got) != workers*batches*perBatch {
		t.Errorf("the store holds %d cookies, want %d", len(got), workers*batches*perBatch)
	}
}

// testClient: a Client on the store saves what its responses set, and a
// new Client on another Store of the session starts with it.
func testClient(t *testing.T, open func() httpsession.Store) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if name := r.URL.Query().Get("set"); name != "" {
			http.SetCookie(w, &http.Cookie{Name: name, Value: "v", MaxAge: 3600})
		}
		var names []string
		for _, c := range r.Cookies() {
			names = append(names, c.Name)
		}
		slices.Sort(names)
		fmt.Fprint(w, strings.Join(names, " "))
	}))
	defer srv.Close()
	get := func(c *httpsession.Client, query string) string {
		t.Helper()
		resp, err := c.HTTPClient().Get(srv.URL + "/" + query)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	c1, err := httpsession.New(httpsession.Options{Store: open()})
	if err != nil {
		t.Fatal(err)
	}
	get(c1, "?set=one")
	get(c1, "?set=two")
	if err := c1.Save(); err != nil {
		t.Fatal(err)
	}
	if err := c1.Close(); err != nil {
		t.Fatalf("Close after Save: %v", err)
	}
	c2, err := httpsession.New(httpsession.Options{Store: open()})
	if err != nil {
		t.Fatal(err)
	}
	defer c2.Close()
	if got, want := get(c2, ""), "one two"; got != want {
		t.Errorf("a new Client on the session sends cookies %q, want %q", got, want)
	}
}

// testClientPicksUp: a Client whose session did not change still picks up,
// on Save, what another worker saved.
func testClientPicksUp(t *testing.T, open func() httpsession.Store) {
	c1, err := httpsession.New(httpsession.Options{Store: open()})
	if err != nil {
		t.Fatal(err)
	}
	defer c1.Close()
	c2, err := httpsession.New(httpsession.Options{Store: open()})
	if err != nil {
		t.Fatal(err)
	}
	defer c2.Close()
	c1.Jar().SetCookieHeaders(site("shop.example"), []string{"one=1; Max-Age=3600"})
	if err := c1.Save(); err != nil {
		t.Fatal(err)
	}
	if err := c2.Save(); err != nil {
		t.Fatal(err)
	}
	want := []string{"shop.example one=1"}
	if got := values(c2.Jar()); !cmp.Equal(want, got) {
		t.Errorf("after Save, the second client's cookies = %q, want %q: it must pick up what another worker saved", got, want)
	}
}

// jarAt returns a jar on the clock now, as a Client with Options.Now has
// one (the only way to give a jar a clock of its own).
func jarAt(now func() time.Time, o *httpsession.JarOptions) *httpsession.Jar {
	c, err := httpsession.New(httpsession.Options{Now: now, Jar: o})
	if err != nil {
		panic(err)
	}
	return c.Jar()
}
