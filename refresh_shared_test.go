package httpsession

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/spf13/afero"
)

// rotatingAuth issues tokens living an hour with single-use refresh
// tokens; a refresh token presented twice counts as a reuse and fails.
type rotatingAuth struct {
	clock *testClock // nil: time.Now
	// beforeRefresh, if set, runs at the start of every Refresh.
	beforeRefresh func()

	mu                        sync.Mutex
	seq                       int
	used                      map[string]bool
	logins, refreshes, reuses int
}

func (a *rotatingAuth) issue() *Token {
	a.seq++
	now := time.Now // in a synctest bubble, the bubble's clock
	if a.clock != nil {
		now = a.clock.Now
	}
	return &Token{AccessToken: fmt.Sprintf("at-%d", a.seq), RefreshToken: fmt.Sprintf("rt-%d", a.seq),
		Expiry: now().Add(time.Hour)}
}

func (a *rotatingAuth) Login(context.Context, *http.Client) (*Token, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.logins++
	return a.issue(), nil
}

func (a *rotatingAuth) Refresh(_ context.Context, _ *http.Client, t *Token) (*Token, error) {
	if a.beforeRefresh != nil {
		a.beforeRefresh()
	}
	return a.refresh(t)
}

// refresh is Refresh without the hook: what another process does.
func (a *rotatingAuth) refresh(t *Token) (*Token, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.used == nil {
		a.used = make(map[string]bool)
	}
	if a.used[t.RefreshToken] {
		a.reuses++
		return nil, &OAuth2Error{Code: "invalid_grant"}
	}
	a.used[t.RefreshToken] = true
	a.refreshes++
	return a.issue(), nil
}

func (a *rotatingAuth) counts() string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return fmt.Sprintf("%d logins, %d refreshes, %d reuses", a.logins, a.refreshes, a.reuses)
}

func okServer(t *testing.T) *httptest.Server {
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	t.Cleanup(ts.Close)
	return ts
}

func sharedClient(t *testing.T, fsys afero.Fs, path string, a Authenticator, clock *testClock, origin string) *Client {
	t.Helper()
	c, err := New(Options{FS: fsys, SessionFile: path, Auth: a, AuthOrigins: []string{origin}, Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func get(t *testing.T, c *Client, u string) {
	t.Helper()
	resp, err := c.Get(context.Background(), u)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
}

// TestSharedRefreshAdopts: Clients sharing a session file log in once and
// refresh once per expiry between them: the one that comes second finds
// the new token in the file, under the refresh lock, and adopts it. On the
// OS file system (a lock file) and in memory.
func TestSharedRefreshAdopts(t *testing.T) {
	for name, fsys := range map[string]afero.Fs{"OsFs": afero.NewOsFs(), "MemMapFs": afero.NewMemMapFs()} {
		t.Run(name, func(t *testing.T) {
			ts := okServer(t)
			clock := newPSClock()
			a := &rotatingAuth{clock: clock}
			path := filepath.Join(t.TempDir(), "session.json")
			c1 := sharedClient(t, fsys, path, a, clock, ts.URL)
			c2 := sharedClient(t, fsys, path, a, clock, ts.URL)
			get(t, c1, ts.URL) // logs in
			get(t, c2, ts.URL) // adopts
			for range 3 {
				clock.Advance(time.Hour)
				get(t, c2, ts.URL) // refreshes
				get(t, c1, ts.URL) // adopts c2's
			}
			if got, want := a.counts(), "1 logins, 3 refreshes, 0 reuses"; got != want {
				t.Errorf("two Clients on one file: %s, want %s", got, want)
			}
		})
	}
}

// TestSharedRefreshRejectedRereads: a refresh the server rejects because
// another process (one that does not take the lock) rotated the token a
// moment ago ends with that process's token, not a new login.
func TestSharedRefreshRejectedRereads(t *testing.T) {
	ts := okServer(t)
	clock := newPSClock()
	fsys := afero.NewMemMapFs()
	const path = "/s/session.json"
	a := &rotatingAuth{clock: clock}
	c := sharedClient(t, fsys, path, a, clock, ts.URL)
	get(t, c, ts.URL)
	clock.Advance(time.Hour)

	// Another writer rotates the stored token (using rt-1) just before
	// this Client presents rt-1 as well.
	var once sync.Once
	a.beforeRefresh = func() {
		once.Do(func() {
			st := NewFileStore(fsys, path)
			jar := NewJar(nil)
			stored, err := LoadSession(st, jar)
			if err != nil || stored == nil {
				t.Errorf("LoadSession = %v, %v", stored, err)
				return
			}
			next, err := a.refresh(stored)
			if err != nil {
				t.Error(err)
				return
			}
			if err := SaveSession(st, jar, next, nil); err != nil {
				t.Error(err)
			}
		})
	}
	get(t, c, ts.URL)
	if got, want := a.counts(), "1 logins, 1 refreshes, 1 reuses"; got != want {
		t.Errorf("%s, want %s (the rejected refresh adopts the stored token)", got, want)
	}
	if tok := c.Tokens().Current(); tok == nil || tok.AccessToken != "at-2" {
		t.Errorf("token after the rejected refresh = %v, want at-2 from the store", tok)
	}
}

// TestFileStoreLockRefreshWaits: a second LockRefresh waits for the first
// and gives up with its context; it gets the lock once the first releases.
func TestFileStoreLockRefreshWaits(t *testing.T) {
	st := NewFileStore(nil, filepath.Join(t.TempDir(), "session.json"))
	unlock, err := st.LockRefresh(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if _, err := st.LockRefresh(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("LockRefresh while held = %v, want DeadlineExceeded", err)
	}
	got := make(chan error, 1)
	go func() {
		u, err := NewFileStore(nil, st.path).LockRefresh(context.Background())
		if err == nil {
			u()
		}
		got <- err
	}()
	unlock()
	unlock() // harmless
	if err := <-got; err != nil {
		t.Fatalf("LockRefresh after release: %v", err)
	}
}

// TestSharedSetTokenNilLogsIn: clearing the token (an explicit login, a
// switch of user) logs in again even though the shared file holds a valid
// token, and the new token replaces it for the other Clients too.
func TestSharedSetTokenNilLogsIn(t *testing.T) {
	ts := okServer(t)
	clock := newPSClock()
	fsys := afero.NewMemMapFs()
	const path = "/s/session.json"
	a := &rotatingAuth{clock: clock}
	c1 := sharedClient(t, fsys, path, a, clock, ts.URL)
	c2 := sharedClient(t, fsys, path, a, clock, ts.URL)
	get(t, c1, ts.URL)
	c2.Tokens().SetToken(nil)
	tok, err := c2.Tokens().Token(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if got, want := a.counts(), "2 logins, 0 refreshes, 0 reuses"; got != want {
		t.Errorf("after SetToken(nil): %s, want %s", got, want)
	}
	if tok.AccessToken != "at-2" {
		t.Errorf("token after SetToken(nil) = %v, want the new login's at-2", tok)
	}
	clock.Advance(time.Hour)
	get(t, c1, ts.URL) // refreshes with the refresh token of at-2, from the file
	if got, want := a.counts(), "2 logins, 1 refreshes, 0 reuses"; got != want {
		t.Errorf("c1 after expiry: %s, want %s", got, want)
	}
}

// TestRefreshedTokenOutlivesCaller: the request that needed a refresh gives
// up (its context ends) while the session file is locked by another
// writer, after the server issued the new token. The token is still
// written once the lock is free: a refresh token the server has rotated is
// never lost. And a request waiting for another process's refresh gives up
// with its own context.
func TestRefreshedTokenOutlivesCaller(t *testing.T) {
	ts := okServer(t)
	clock := newPSClock()
	path := filepath.Join(t.TempDir(), "session.json")
	a := &rotatingAuth{clock: clock}
	c := sharedClient(t, afero.NewOsFs(), path, a, clock, ts.URL)
	get(t, c, ts.URL)
	clock.Advance(time.Hour)

	// Another writer holds the save lock.
	unlock, err := NewFileStore(nil, path).lock()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", ts.URL, nil)
	if _, err := c.Do(req); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Do while the file is locked = %v, want DeadlineExceeded", err)
	}
	if got, want := a.counts(), "1 logins, 1 refreshes, 0 reuses"; got != want {
		t.Fatalf("%s, want %s (the refresh went out)", got, want)
	}
	unlock()
	// The flight finishes the write on its own; wait for it through the
	// manager, which hands the new token to the next caller.
	tok, err := c.Tokens().Token(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	jar := NewJar(nil)
	stored, err := LoadSession(NewFileStore(nil, path), jar)
	if err != nil {
		t.Fatal(err)
	}
	if stored == nil || stored.RefreshToken != tok.RefreshToken || tok.RefreshToken != "rt-2" {
		t.Errorf("stored token %v, in use %v; want the rotated rt-2 in both", stored, tok)
	}

	// Another process holds the refresh lock: a request needing a refresh
	// waits for it only as long as its context lasts.
	unlockRefresh, err := NewFileStore(nil, path).LockRefresh(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	clock.Advance(time.Hour)
	ctx2, cancel2 := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel2()
	req2, _ := http.NewRequestWithContext(ctx2, "GET", ts.URL, nil)
	if _, err := c.Do(req2); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Do while another process refreshes = %v, want DeadlineExceeded", err)
	}
	// The refresh goes on once the other process is done.
	unlockRefresh()
	if _, err := c.Tokens().Token(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got, want := a.counts(), "1 logins, 2 refreshes, 0 reuses"; got != want {
		t.Errorf("%s, want %s", got, want)
	}
}
