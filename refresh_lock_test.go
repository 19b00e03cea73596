package httpsession

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"
)

// lockStore is a Store that several Clients share in memory, with an
// exclusive refresh lock that can be made unavailable, as a networked
// store's is while it is down. It counts the attempts to take the lock.
type lockStore struct {
	mu   sync.Mutex
	data []byte

	held     chan struct{} // holds a value while the refresh lock is held
	down     atomic.Bool
	attempts atomic.Int64
}

var errStoreDown = errors.New("store down")

func newLockStore() *lockStore { return &lockStore{held: make(chan struct{}, 1)} }

func (s *lockStore) Load() ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.data, nil
}

func (s *lockStore) Update(fn func([]byte) ([]byte, error)) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	next, err := fn(s.data)
	if err == nil && next != nil {
		s.data = next
	}
	return err
}

func (s *lockStore) LockRefresh(ctx context.Context) (func(), error) {
	s.attempts.Add(1)
	if s.down.Load() {
		return nil, errStoreDown
	}
	select {
	case s.held <- struct{}{}:
		var once sync.Once
		return func() { once.Do(func() { <-s.held }) }, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// lockWorkers returns n Clients sharing st, as n processes would, with
// the token server a, on the in-memory network of a synctest bubble.
func lockWorkers(t *testing.T, n int, st *lockStore, a Authenticator) (api string, cs []*Client) {
	t.Helper()
	srv := newMemServer(t, http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	for range n {
		c, err := New(Options{Store: st, Auth: a, AuthOrigins: []string{srv.URL}, Transport: memTransport(t)})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		cs = append(cs, c)
	}
	return srv.URL, cs
}

// getAll makes one request through each Client at once and returns their
// errors.
func getAll(ctx context.Context, cs []*Client, u string) []error {
	errs := make([]error, len(cs))
	var wg sync.WaitGroup
	for i, c := range cs {
		wg.Go(func() {
			resp, err := c.Get(ctx, u)
			if err == nil {
				resp.Body.Close()
			}
			errs[i] = err
		})
	}
	wg.Wait()
	return errs
}

// TestRefreshLockDownNoRefreshWithoutIt: four workers share a store whose
// refresh lock is out of reach (the store is down) when their token
// expires. None of them presents the single-use refresh token without the
// lock: each request waits for the lock within its own context, up to
// RefreshTimeout, and then fails with an error matching
// ErrStoreUnavailable (and the store's own). Once the store is back, one
// refresh serves them all; a store that comes back during the wait ends
// it with the refresh.
func TestRefreshLockDownNoRefreshWithoutIt(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		st := newLockStore()
		a := &rotatingAuth{}
		api, cs := lockWorkers(t, 4, st, a)
		for _, err := range getAll(context.Background(), cs, api) {
			if err != nil {
				t.Fatal(err)
			}
		}

		st.down.Store(true)
		time.Sleep(time.Hour) // every worker's token has expired
		start := time.Now()
		for i, err := range getAll(context.Background(), cs, api) {
			if !errors.Is(err, ErrStoreUnavailable) || !errors.Is(err, errStoreDown) {
				t.Errorf("worker %d: request with the lock unavailable and the token expired: %v, want an error matching ErrStoreUnavailable and the store's", i, err)
			}
		}
		if got := time.Since(start); got != defaultRefreshTimeout {
			t.Errorf("the requests failed after %v, want the RefreshTimeout %v", got, defaultRefreshTimeout)
		}
		if got, want := a.counts(), "1 logins, 0 refreshes, 0 reuses"; got != want {
			t.Errorf("store down: %s, want %s (no refresh without the lock)", got, want)
		}

		// A request's own context ends its wait.
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		start = time.Now()
		_, err := cs[0].Get(ctx, api)
		cancel()
		if !errors.Is(err, context.DeadlineExceeded) || time.Since(start) != 2*time.Second {
			t.Errorf("request with a 2s deadline: %v after %v, want DeadlineExceeded after 2s", err, time.Since(start))
		}

		st.down.Store(false)
		for i, err := range getAll(context.Background(), cs, api) {
			if err != nil {
				t.Errorf("worker %d, store back: %v", i, err)
			}
		}
		if got, want := a.counts(), "1 logins, 1 refreshes, 0 reuses"; got != want {
			t.Errorf("store back: %s, want %s", got, want)
		}

		st.down.Store(true)
		time.Sleep(time.Hour)
		done := make(chan []error)
		go func() { done <- getAll(context.Background(), cs, api) }()
		time.Sleep(3 * time.Second)
		st.down.Store(false)
		start = time.Now()
		for i, err := range <-done {
			if err != nil {
				t.Errorf("worker %d, store back during the wait: %v", i, err)
			}
		}
		if waited := time.Since(start); waited > time.Second {
			t.Errorf("the wait went on %v after the store came back, want at most a second", waited)
		}
		if got, want := a.counts(), "1 logins, 2 refreshes, 0 reuses"; got != want {
			t.Errorf("store back during the wait: %s, want %s", got, want)
		}
	})
}

// TestRefreshLockDownKeepsWorkingToken: while the refresh lock is out of
// reach, a token due for a refresh but still valid keeps being sent, and
// the lock is tried again at most once a second, however many requests
// come; once the lock is back, the token is refreshed.
func TestRefreshLockDownKeepsWorkingToken(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		st := newLockStore()
		a := &rotatingAuth{}
		api, cs := lockWorkers(t, 1, st, a)
		c := cs[0]
		get(t, c, api)

		st.down.Store(true)
		time.Sleep(time.Hour - 20*time.Second) // inside the skew: due for a refresh
		before := st.attempts.Load()
		for range 100 { // 10s of requests, one every 100ms
			get(t, c, api)
			if tok := c.Tokens().Current(); tok == nil || tok.AccessToken != "at-1" {
				t.Fatalf("token in use = %v, want the still valid at-1", tok)
			}
			time.Sleep(100 * time.Millisecond)
		}
		if n := st.attempts.Load() - before; n < 2 || n > 10 {
			t.Errorf("%d attempts to take the lock in 10s of requests, want 2 to 10 (at most one a second)", n)
		}
		if got, want := a.counts(), "1 logins, 0 refreshes, 0 reuses"; got != want {
			t.Errorf("store down, token valid: %s, want %s", got, want)
		}

		st.down.Store(false)
		time.Sleep(time.Second)
		get(t, c, api)
		if got, want := a.counts(), "1 logins, 1 refreshes, 0 reuses"; got != want {
			t.Errorf("store back: %s, want %s", got, want)
		}
	})
}
