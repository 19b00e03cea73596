package httpsession

import (
	"sync"
	"testing"
	"time"
)

// pausingStore is a store in memory whose next Update, once armed, stores
// its document and then waits to return until released: a save caught
// between writing and looking at its result, as a busy machine may hold
// it.
type pausingStore struct {
	mu   sync.Mutex
	data []byte

	pause   chan chan struct{} // an armed Update takes a release channel from here
	written chan struct{}      // signalled when an armed Update has stored its document
}

func (s *pausingStore) Load() ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.data, nil
}

func (s *pausingStore) Update(fn func([]byte) ([]byte, error)) error {
	var release chan struct{}
	select {
	case release = <-s.pause:
	default:
	}
	s.mu.Lock()
	next, err := fn(s.data)
	if err == nil && next != nil {
		s.data = next
	}
	s.mu.Unlock()
	if release != nil {
		s.written <- struct{}{}
		<-release
	}
	return err
}

// TestSaveDuringRefreshKeepsNewToken: a save that read the store before a
// refresh and finishes after it must not hand the manager the token it
// read back: that token is the older one, its refresh token is used up,
// and one the server rejected would be sent again.
func TestSaveDuringRefreshKeepsNewToken(t *testing.T) {
	ts := okServer(t)
	clock := newPSClock()
	st := &pausingStore{pause: make(chan chan struct{}, 1), written: make(chan struct{})}
	a := &rotatingAuth{clock: clock}
	c, err := New(Options{Store: st, Auth: a, AuthOrigins: []string{ts.URL}, Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	get(t, c, ts.URL) // logs in: at-1, stored

	// A save of a changed jar writes the store (holding at-1) and is held
	// before it returns.
	c.Jar().SetCookieHeaders(psURL(t, ts.URL), []string{"x=1; Max-Age=3600"})
	release := make(chan struct{})
	st.pause <- release
	saved := make(chan error, 1)
	go func() { saved <- c.Save() }()
	<-st.written

	// Meanwhile the token is refreshed (and stored) for a request.
	clock.Advance(time.Hour)
	get(t, c, ts.URL)
	if tok := c.Tokens().Current(); tok == nil || tok.AccessToken != "at-2" {
		t.Fatalf("token after the refresh = %q, want at-2", accessOf(tok))
	}

	close(release)
	if err := <-saved; err != nil {
		t.Fatal(err)
	}
	if tok := c.Tokens().Current(); tok == nil || tok.AccessToken != "at-2" {
		t.Errorf("token after the save that began before the refresh = %q, want at-2 kept", accessOf(tok))
	}
	if got, want := a.counts(), "1 logins, 1 refreshes, 0 reuses"; got != want {
		t.Errorf("%s, want %s", got, want)
	}
}

// accessOf returns t's access token, "" for nil: the test's tokens are no
// secrets, and their names tell them apart.
func accessOf(t *Token) string {
	if t == nil {
		return ""
	}
	return t.AccessToken
}
