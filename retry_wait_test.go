package httpsession

import (
	"cmp"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"syscall"
	"testing"
	"testing/synctest"
	"time"
)

// TestRetryRealTimerWaits: a policy without Sleep waits on the real timer
// for what the server asked (Retry-After) and for its backoff: the time
// that passes is the sum of the waits, not less. A cancelled context ends
// the wait at once. It runs in a synctest bubble, whose clock moves only
// when everything waits.
func TestRetryRealTimerWaits(t *testing.T) {
	tests := []struct {
		name    string
		backoff func(int, time.Duration, time.Duration, *http.Response) time.Duration
		want    time.Duration // 0: the sum of the waits OnRetry reports, which must be positive
	}{
		{"Retry-After, then a fixed backoff", func(int, time.Duration, time.Duration, *http.Response) time.Duration { return 2 * time.Second }, 5 * time.Second},
		{"DefaultBackoff", nil, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				srv, hits := memHitServer(t, func(n int, w http.ResponseWriter, r *http.Request) {
					switch n {
					case 1:
						w.Header().Set("Retry-After", "3")
						w.WriteHeader(http.StatusTooManyRequests)
					case 2:
						w.WriteHeader(http.StatusServiceUnavailable)
					}
				})
				var waits time.Duration
				p := &RetryPolicy{Backoff: tt.backoff, OnRetry: func(e RetryEvent) { waits += e.Wait }}
				start := time.Now()
				resp, err := p.do(newRequest(t, context.Background(), http.MethodGet, srv.URL, nil), nil, memTransport(t).RoundTrip)
				if err != nil {
					t.Fatal(err)
				}
				resp.Body.Close()
				elapsed := time.Since(start)
				if resp.StatusCode != http.StatusOK || hits.Load() != 3 {
					t.Fatalf("status %d after %d tries, want 200 after 3", resp.StatusCode, hits.Load())
				}
				want := cmp.Or(tt.want, waits)
				if elapsed != want || waits != want || want < 3*time.Second {
					t.Errorf("the request took %v with waits of %v, want both %v (Retry-After: 3 and the backoff)", elapsed, waits, want)
				}
			})
		})
	}

	synctest.Test(t, func(t *testing.T) {
		srv, _ := memHitServer(t, func(n int, w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Retry-After", "30")
			w.WriteHeader(http.StatusServiceUnavailable)
		})
		ctx, cancel := context.WithCancel(context.Background())
		time.AfterFunc(time.Second, cancel)
		start := time.Now()
		_, err := (&RetryPolicy{}).do(newRequest(t, ctx, http.MethodGet, srv.URL, nil), nil, memTransport(t).RoundTrip)
		if !errors.Is(err, context.Canceled) || time.Since(start) != time.Second {
			t.Errorf("cancelled during a 30s wait: %v after %v, want Canceled after 1s", err, time.Since(start))
		}
	})
}

// TestRetryRefusedAfterConnError: when the policy stops after a connection
// error (the time budget or the context deadline refuses the wait, the
// tries are used up, CheckRetry says no), the caller gets that error, never
// a nil response without one.
func TestRetryRefusedAfterConnError(t *testing.T) {
	// The server reads the request and drops the connection unanswered.
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		conn, _, err := http.NewResponseController(w).Hijack()
		if err == nil {
			conn.Close()
		}
	}))
	defer srv.Close()
	long := func(int, time.Duration, time.Duration, *http.Response) time.Duration { return time.Hour }
	none := func(int, time.Duration, time.Duration, *http.Response) time.Duration { return 0 }
	tests := []struct {
		name     string
		policy   *RetryPolicy
		deadline bool
	}{
		{"the time budget refuses the wait", &RetryPolicy{MaxElapsed: time.Minute, Backoff: long}, false},
		{"the context deadline refuses the wait", &RetryPolicy{MaxElapsed: -1, Backoff: long}, true},
		{"the tries are used up", &RetryPolicy{MaxAttempts: 2, Backoff: none}, false},
		{"CheckRetry says no to the second", &RetryPolicy{Backoff: none, CheckRetry: func() func(*http.Request, *http.Response, error) bool {
			var mu sync.Mutex
			n := 0
			return func(*http.Request, *http.Response, error) bool {
				mu.Lock()
				defer mu.Unlock()
				n++
				return n%2 == 1
			}
		}()}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := New(Options{Retry: tt.policy})
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			for _, viaClient := range []bool{false, true} {
				ctx := context.Background()
				if tt.deadline {
					var cancel context.CancelFunc
					ctx, cancel = context.WithTimeout(ctx, time.Minute)
					defer cancel()
				}
				req := newRequest(t, ctx, http.MethodGet, srv.URL, nil)
				var resp *http.Response
				if viaClient {
					resp, err = c.Do(req)
				} else {
					resp, err = c.HTTPClient().Transport.RoundTrip(req)
				}
				if resp != nil {
					resp.Body.Close()
				}
				if resp != nil || !(errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, syscall.ECONNRESET)) {
					t.Errorf("via client %v: %v, %v; want no response and the connection error", viaClient, resp, err)
				}
			}
		})
	}
}

// TestRateLimitWaitCancelledGivesSlotBack: a request whose wait for a
// rate-limit slot is cancelled gives the slot back, so the next request
// waits for the slot it would have had, not one later.
func TestRateLimitWaitCancelledGivesSlotBack(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv, hits := memHitServer(t, func(int, http.ResponseWriter, *http.Request) {})
		p := &RetryPolicy{RateLimit: 1, RateBurst: 1} // a slot a second
		send := func(ctx context.Context) error {
			resp, err := p.do(newRequest(t, ctx, http.MethodGet, srv.URL, nil), nil, memTransport(t).RoundTrip)
			if err == nil {
				resp.Body.Close()
			}
			return err
		}
		if err := send(context.Background()); err != nil { // takes the one slot at 0s
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		time.AfterFunc(500*time.Millisecond, cancel)
		if err := send(ctx); !errors.Is(err, context.Canceled) { // waits for the slot at 1s; cancelled at 0.5s
			t.Fatalf("request cancelled during its rate-limit wait: %v, want Canceled", err)
		}
		start := time.Now()
		if err := send(context.Background()); err != nil {
			t.Fatal(err)
		}
		if waited := time.Since(start); waited != 500*time.Millisecond {
			t.Errorf("the request after the cancelled one waited %v, want 500ms (the slot at 1s, given back)", waited)
		}
		if n := hits.Load(); n != 2 {
			t.Errorf("server hits = %d, want 2", n)
		}
	})
}
