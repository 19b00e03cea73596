package httpsession

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/httpsession/httpsession/internal/quotaserver"
	"github.com/spf13/afero"
)

// TestRetryBudgetOutage: through a total outage (503 to everything), the
// retries of 200 requests are bounded by the budget: 20% of the requests
// plus what was saved up and the floor, not MaxAttempts-1 each.
func TestRetryBudgetOutage(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var hits atomic.Int64
		srv := newMemServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			hits.Add(1)
			w.WriteHeader(http.StatusServiceUnavailable)
		}))
		c := pacedClient(t, &RetryPolicy{BaseDelay: time.Millisecond, MaxDelay: time.Millisecond}, nil, "", nil)
		start := time.Now()
		const n = 200
		if failed := hammer(t, c, srv.URL, 1, n); failed != n {
			t.Fatalf("%d of %d requests failed, want all", failed, n)
		}
		elapsed := time.Since(start).Seconds()
		maxRetries := defaultRetryShare*n + budgetCap + budgetFloor*(elapsed+1)
		amp := float64(hits.Load()) / n
		t.Logf("%d requests, %d attempts (%.2f a request) in %.1fs; at most %.0f retries allowed", n, hits.Load(), amp, elapsed, maxRetries)
		if retries := float64(hits.Load() - n); retries > maxRetries {
			t.Errorf("%.0f retries, want at most %.0f", retries, maxRetries)
		}

		// A negative RetryBudget is no budget: every request gets its
		// MaxAttempts.
		hits.Store(0)
		c = pacedClient(t, &RetryPolicy{BaseDelay: time.Millisecond, MaxDelay: time.Millisecond, RetryBudget: -1}, nil, "", nil)
		hammer(t, c, srv.URL, 1, 20)
		if hits.Load() != 20*defaultMaxAttempts {
			t.Errorf("without a budget: %d attempts, want %d", hits.Load(), 20*defaultMaxAttempts)
		}
	})
}

// TestBreaker: after BreakAfter failed tries in a row the origin's tries
// fail at once with a *CircuitOpenError naming the origin and when it is
// tried again; after BreakFor one probe goes through and its success
// closes the breaker. The breaker is off by default.
func TestBreaker(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var hits atomic.Int64
		var down atomic.Bool
		down.Store(true)
		srv := newMemServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			hits.Add(1)
			if down.Load() {
				w.WriteHeader(http.StatusInternalServerError)
			}
		}))
		c := pacedClient(t, &RetryPolicy{MaxAttempts: 1, BreakAfter: 3, BreakFor: 2 * time.Second}, nil, "", nil)
		get := func() (int, error) {
			resp, err := c.Get(context.Background(), srv.URL)
			if err != nil {
				return 0, err
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			return resp.StatusCode, nil
		}
		for i := range 3 {
			if code, err := get(); err != nil || code != 500 {
				t.Fatalf("try %d: %d, %v; want the 500", i, code, err)
			}
		}
		start := time.Now()
		_, err := get()
		var open *CircuitOpenError
		if !errors.As(err, &open) {
			t.Fatalf("after 3 failures: err = %v, want a *CircuitOpenError", err)
		}
		if open.Origin != srv.URL || !open.Until.Equal(start.Add(2*time.Second)) {
			t.Errorf("CircuitOpenError = %+v, want origin %s until %v", open, srv.URL, start.Add(2*time.Second))
		}
		if hits.Load() != 3 {
			t.Errorf("server saw %d requests, want 3", hits.Load())
		}
		down.Store(false)
		time.Sleep(2*time.Second + time.Millisecond) // past Until
		for i := range 3 {
			if code, err := get(); err != nil || code != 200 {
				t.Fatalf("after the break, try %d: %d, %v; want 200", i, code, err)
			}
		}

		// Off by default: a hundred 500s in a row are all sent.
		down.Store(true)
		hits.Store(0)
		c = pacedClient(t, &RetryPolicy{MaxAttempts: 1}, nil, "", nil)
		for range 100 {
			get()
		}
		if hits.Load() != 100 {
			t.Errorf("default policy: server saw %d of 100 requests", hits.Load())
		}
	})
}

// TestPacingSharedFile: two clients sharing a session file share the
// pacing through its side file: together they keep to the quota that
// each alone would fill; an origin that sends no signal costs no side
// file at all.
func TestPacingSharedFile(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		fsys := afero.NewMemMapFs()
		const path = "/s/session.json"
		silent := newMemServer(t, http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
		a := pacedClient(t, nil, fsys, path, nil)
		hammer(t, a, silent.URL, 4, 10)
		if _, err := fsys.Stat(path + ".pace"); err == nil {
			t.Errorf("a silent origin made a pace file")
		}

		qs := quotaserver.New(50, time.Second, quotaserver.IETF)
		srv := newMemServer(t, qs)
		b := pacedClient(t, nil, fsys, path, nil)
		done := make(chan int64)
		go func() { done <- hammer(t, a, srv.URL, 4, 25) }()
		failed := hammer(t, b, srv.URL, 4, 25) + <-done
		n := qs.Counts()
		t.Logf("2 clients × 4 goroutines × 25 requests: %d attempts, %d × 429, %d failed", n.Attempts, n.TooMany, failed)
		if n.TooMany != 0 || failed != 0 {
			t.Errorf("%d × 429 and %d failed, want none", n.TooMany, failed)
		}
		if _, err := fsys.Stat(path + ".pace"); err != nil {
			t.Errorf("no pace file beside the session file: %v", err)
		}
	})
}

// brokenPaceStore is a Store whose shared pacing state cannot be reached.
type brokenPaceStore struct{ Store }

func (brokenPaceStore) ReservePace(context.Context, string, PaceRequest) (time.Duration, func(), error) {
	return 0, nil, errors.New("connection refused")
}

// TestPacingSharedUnreachable: when the shared pacing state can't be
// reached, the client paces alone and says so once in the log.
func TestPacingSharedUnreachable(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		qs := quotaserver.New(20, time.Second, quotaserver.IETF)
		srv := newMemServer(t, qs)
		var logs recordHandler
		c, err := New(Options{
			Store:     brokenPaceStore{NewFileStore(afero.NewMemMapFs(), "/s.json")},
			Transport: memTransport(t),
			Logger:    slog.New(&logs),
		})
		if err != nil {
			t.Fatal(err)
		}
		failed := hammer(t, c, srv.URL, 4, 20)
		if n := qs.Counts(); n.TooMany != 0 || failed != 0 {
			t.Errorf("%d × 429 and %d failed, want none", n.TooMany, failed)
		}
		warned := 0
		for _, r := range logs.records {
			if r["msg"] == "httpsession: shared rate-limit state unreachable, pacing this process alone" {
				warned++
			}
		}
		if warned != 1 {
			t.Errorf("%d warnings, want 1", warned)
		}
	})
}

// TestPacingManyGoroutines: 8 clients sharing a session file, 128
// goroutines in all, against 200 requests a second in fixed windows: no
// 429 once the first answers are in, and at least 0.9 of the quota used.
// Deep queues of reserved slots must not spill a window's rush into the
// next one, and a burst of first requests must not run past the quota.
func TestPacingManyGoroutines(t *testing.T) {
	for _, style := range []string{quotaserver.IETF, quotaserver.GitHub} {
		t.Run(style, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				qs := quotaserver.New(200, time.Second, style)
				srv := newMemServer(t, qs)
				fsys := afero.NewMemMapFs()
				// Start a third into a window, as a fleet would.
				time.Sleep(time.Second - time.Duration(time.Now().UnixNano())%time.Second + 300*time.Millisecond)
				start := time.Now()
				done := make(chan int64)
				for range 8 {
					c := pacedClient(t, nil, fsys, "/s.json", nil)
					go func() { done <- hammer(t, c, srv.URL, 16, 3000/128) }()
				}
				var failed int64
				for range 8 {
					failed += <-done
				}
				n := qs.Counts()
				share := float64(n.OK) / time.Since(start).Seconds() / 200
				t.Logf("%s: %d attempts, %d × 429, %d failed, %.3f of the quota", style, n.Attempts, n.TooMany, failed, share)
				if n.TooMany != 0 || failed != 0 || share < 0.9 {
					t.Errorf("%d × 429, %d failed, %.3f of the quota; want none, none, at least 0.9", n.TooMany, failed, share)
				}
			})
		})
	}
}
