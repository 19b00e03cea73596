package httpsession

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/httpsession/httpsession/internal/quotaserver"
	"github.com/spf13/afero"
)

// pacedClient returns a client on the in-memory network with policy p
// (nil: the default) and the session file path on fsys, if any.
func pacedClient(t *testing.T, p *RetryPolicy, fsys afero.Fs, path string, log *slog.Logger) *Client {
	t.Helper()
	c, err := New(Options{Retry: p, Transport: memTransport(t), FS: fsys, SessionFile: path, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// hammer sends n requests from each of g goroutines to url and returns
// how many did not end in a 200.
func hammer(t *testing.T, c *Client, url string, g, n int) (failed int64) {
	var wg sync.WaitGroup
	var bad atomic.Int64
	for range g {
		wg.Go(func() {
			for range n {
				req, _ := http.NewRequestWithContext(context.Background(), http.MethodGet, url, nil)
				resp, err := c.Do(req)
				if err != nil {
					bad.Add(1)
					continue
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					bad.Add(1)
				}
			}
		})
	}
	wg.Wait()
	return bad.Load()
}

// TestPacingKeepsToQuota: against a server that advertises 20 requests a
// second, 8 goroutines × 10 requests get no 429 and take about as long as
// the quota allows, for each way of advertising it. With a plain 429 and
// Retry-After (the baseline) the pacer can only follow the 429s.
//
// A server whose clock is minutes off names its resets as Unix times on
// that clock (GitHub's x-ratelimit-reset). Read on the local clock, one
// behind gives resets already passed and one ahead resets minutes away
// (the client stalls); read against the response's Date, each is what the
// server meant.
func TestPacingKeepsToQuota(t *testing.T) {
	for _, tt := range []struct {
		style string
		skew  time.Duration // of the server's clock
	}{
		{quotaserver.IETF, 0},
		{quotaserver.GitHub, 0},
		{quotaserver.RetryAfter, 0},
		{quotaserver.GitHub, -10 * time.Minute},
		{quotaserver.GitHub, 10 * time.Minute},
	} {
		t.Run(fmt.Sprintf("%s/skew=%v", tt.style, tt.skew), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				qs := quotaserver.New(20, time.Second, tt.style)
				qs.Skew = tt.skew
				srv := newMemServer(t, qs)
				c := pacedClient(t, nil, nil, "", nil)
				start := time.Now()
				failed := hammer(t, c, srv.URL, 8, 10)
				elapsed := time.Since(start)
				n := qs.Counts()
				t.Logf("%s, skew %v: %d attempts, %d × 429, %d failed, %v (the quota allows 80 in 3s+)", tt.style, tt.skew, n.Attempts, n.TooMany, failed, elapsed)
				if tt.style == quotaserver.RetryAfter {
					return // the baseline: 429s are all it has to go by
				}
				if failed != 0 {
					t.Errorf("%d requests failed", failed)
				}
				if n.TooMany != 0 {
					t.Errorf("%d × 429, want 0", n.TooMany)
				}
				// 80 requests at 20 a second: the 4th window holds the last
				// ones; pacing must not cost more than a window more.
				if elapsed > 5*time.Second {
					t.Errorf("took %v, want at most 5s", elapsed)
				}
			})
		})
	}
}

// ietfHandler answers 200 with the given RateLimit fields.
func ietfHandler(hits *atomic.Int64, policy, limit func() string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		if p := policy(); p != "" {
			w.Header().Set("RateLimit-Policy", p)
		}
		w.Header().Set("RateLimit", limit())
	})
}

func constant(s string) func() string { return func() string { return s } }

// TestPacingWaitAboveCap: a server that says nothing is left for an hour
// gets no more requests: the next one fails at once with a
// *RateLimitError naming the wait and its source, whatever the reset (a
// year, a day), and nothing stalls.
func TestPacingWaitAboveCap(t *testing.T) {
	for _, tt := range []struct {
		limit string
		want  time.Duration
	}{
		{`"default";r=0;t=3600`, time.Hour},
		{`"default";r=0;t=31536000`, maxReset}, // a year: held to a day
	} {
		t.Run(tt.limit, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				var hits atomic.Int64
				srv := newMemServer(t, ietfHandler(&hits, constant(""), constant(tt.limit)))
				c := pacedClient(t, nil, nil, "", nil)
				resp, err := c.Get(context.Background(), srv.URL)
				if err != nil {
					t.Fatal(err)
				}
				resp.Body.Close()
				start := time.Now()
				_, err = c.Get(context.Background(), srv.URL)
				var rle *RateLimitError
				if !errors.As(err, &rle) {
					t.Fatalf("second request: err = %v, want a *RateLimitError", err)
				}
				if rle.Wait != tt.want || rle.Origin != srv.URL {
					t.Errorf("RateLimitError = %+v, want Wait %v, Origin %s", rle, tt.want, srv.URL)
				}
				if waited := time.Since(start); waited != 0 || hits.Load() != 1 {
					t.Errorf("waited %v and the server saw %d requests; want no wait, 1 request", waited, hits.Load())
				}
			})
		})
	}
}

// TestPacingBadInput: signals that make no sense neither stall a caller
// beyond the cap nor panic: a reset in the past, r larger than q, a policy
// that changes between responses, non-numeric and negative values.
func TestPacingBadInput(t *testing.T) {
	tests := []struct {
		name    string
		header  func(n int64) http.Header
		maxWait time.Duration // the longest total wait for 10 requests
	}{
		{"reset in the past", func(int64) http.Header {
			return http.Header{"X-Ratelimit-Remaining": {"0"}, "X-Ratelimit-Reset": {"946684000"}} // before the bubble's epoch
		}, 0},
		{"r larger than q", func(int64) http.Header {
			return http.Header{"Ratelimit-Policy": {`"p";q=10;w=1`}, "Ratelimit": {`"p";r=100000;t=1`}}
		}, 2 * time.Second},
		{"policy changes between responses", func(n int64) http.Header {
			if n%2 == 0 {
				return http.Header{"Ratelimit-Policy": {`"p";q=100;w=1`}, "Ratelimit": {`"p";r=50;t=1`}}
			}
			return http.Header{"Ratelimit-Policy": {`"p";q=5;w=10`}, "Ratelimit": {`"p";r=4;t=10`}}
		}, 30 * time.Second},
		{"non-numeric and negative values", func(n int64) http.Header {
			return http.Header{"Ratelimit": {`"p";r=-1;t=zz`}, "X-Ratelimit-Remaining": {"-3"}, "Ratelimit-Remaining": {"many"}}
		}, 0},
		{"t far in the future with quota left", func(int64) http.Header {
			return http.Header{"Ratelimit": {`"p";r=1000;t=99999999999`}}
		}, time.Minute},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				var hits atomic.Int64
				srv := newMemServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					for k, v := range tt.header(hits.Add(1)) {
						w.Header()[k] = v
					}
				}))
				c := pacedClient(t, nil, nil, "", nil)
				start := time.Now()
				for i := range 10 {
					resp, err := c.Get(context.Background(), srv.URL)
					var rle *RateLimitError
					switch {
					case errors.As(err, &rle) && tt.maxWait == 0:
						t.Fatalf("request %d: %v", i, err)
					case errors.As(err, &rle):
						// Refused at once: the server asked for too long.
					case err != nil:
						t.Fatalf("request %d: %v", i, err)
					default:
						resp.Body.Close()
					}
				}
				if waited := time.Since(start); waited > tt.maxWait {
					t.Errorf("10 requests waited %v, want at most %v", waited, tt.maxWait)
				}
			})
		})
	}
}

// TestPacingCancelGivesSlotBack: a request whose context ends while it
// waits for its slot gives the slot back, so the next request is not
// pushed further out by a request that was never sent.
func TestPacingCancelGivesSlotBack(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var hits atomic.Int64
		// One request per 10s.
		srv := newMemServer(t, ietfHandler(&hits, constant(`"p";q=1;w=10`), constant(`"p";r=1;t=10`)))
		c := pacedClient(t, &RetryPolicy{MaxAttempts: 1}, nil, "", nil)
		get := func(ctx context.Context) error {
			resp, err := c.Get(ctx, srv.URL)
			if err == nil {
				resp.Body.Close()
			}
			return err
		}
		start := time.Now()
		if err := get(context.Background()); err != nil { // unpaced: learns the policy, takes slot 0
			t.Fatal(err)
		}
		if err := get(context.Background()); err != nil { // the next slot, one interval later
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		time.AfterFunc(time.Second, cancel)
		if err := get(ctx); !errors.Is(err, context.Canceled) {
			t.Fatalf("cancelled wait: err = %v, want context.Canceled", err)
		}
		if err := get(context.Background()); err != nil {
			t.Fatal(err)
		}
		// The first two requests took the slots at 0 and one interval
		// (10s and the margin); the next is one interval later, not two.
		if got, want := time.Since(start), 2*time.Duration(float64(10*time.Second)*paceMargin); got != want {
			t.Errorf("the request after the cancelled one went at %v, want %v", got, want)
		}
		if hits.Load() != 3 {
			t.Errorf("server saw %d requests, want 3", hits.Load())
		}
	})
}

// TestPacingEvents: each pacing wait is reported to OnRetry and the log
// with its source, and the first request to an origin that has sent no
// signal is not paced.
func TestPacingEvents(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var hits atomic.Int64
		srv := newMemServer(t, ietfHandler(&hits, constant(""), constant(`"p";r=0;t=2`)))
		var events []RetryEvent
		var mu sync.Mutex
		p := &RetryPolicy{OnRetry: func(ev RetryEvent) { mu.Lock(); events = append(events, ev); mu.Unlock() }}
		var logs recordHandler
		c := pacedClient(t, p, nil, "", slog.New(&logs))
		for range 2 {
			resp, err := c.Get(context.Background(), srv.URL)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
		}
		if len(events) != 1 {
			t.Fatalf("events = %+v, want one pacing wait", events)
		}
		ev := events[0]
		if !ev.Pacing || ev.Wait != 2*time.Second || ev.Source != "RateLimit r=0 t=2" || ev.Attempt != 1 {
			t.Errorf("event = %+v, want a pacing wait of 2s from RateLimit r=0 t=2 before try 1", ev)
		}
		if got := logs.find("httpsession: pacing"); got == nil || got["source"] != "RateLimit r=0 t=2" || got["wait"] != "2s" {
			t.Errorf("pacing log record = %v, want source RateLimit r=0 t=2 and wait 2s", got)
		}
	})
}

// find returns the first record with message msg, nil when none.
func (h *recordHandler) find(msg string) map[string]string {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, r := range h.records {
		if r["msg"] == msg {
			return r
		}
	}
	return nil
}

// TestFirstContact: while the first request to an origin is in flight,
// others to it wait for its answer (which may carry the quota), but no
// longer than maxContactWait when that answer is slow.
func TestFirstContact(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var hits atomic.Int64
		srv := newMemServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if hits.Add(1) == 1 {
				time.Sleep(5 * time.Second) // a slow first answer
			}
		}))
		c := pacedClient(t, nil, nil, "", nil)
		start := time.Now()
		done := make(chan time.Duration, 4)
		for i := range 4 {
			go func() {
				if i > 0 {
					time.Sleep(time.Millisecond) // after the first one
				}
				resp, err := c.Get(context.Background(), srv.URL)
				if err != nil {
					t.Error(err)
				} else {
					resp.Body.Close()
				}
				done <- time.Since(start)
			}()
		}
		var took []time.Duration
		for range 4 {
			took = append(took, <-done)
		}
		want := []time.Duration{maxContactWait + time.Millisecond, maxContactWait + time.Millisecond, maxContactWait + time.Millisecond, 5 * time.Second}
		if diff := cmp.Diff(want, took); diff != "" {
			t.Errorf("requests done at (-want +got):\n%s", diff)
		}
	})
}

// TestFirstContactLogin: the first request to an origin that needs a login
// at that same origin does not make the login wait for its own answer: the
// first contact is the request that reaches the wire first.
func TestFirstContactLogin(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv := newMemServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
		c, err := New(Options{
			Transport: memTransport(t),
			Auth: AuthFuncs{LoginFunc: func(ctx context.Context, hc *http.Client) (*Token, error) {
				resp, err := hc.Post(srv.URL+"/login", "text/plain", nil)
				if err != nil {
					return nil, err
				}
				resp.Body.Close()
				return &Token{AccessToken: "at", Expiry: time.Now().Add(time.Hour)}, nil
			}},
			AuthOrigins: []string{srv.URL},
		})
		if err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		if failed := hammer(t, c, srv.URL, 4, 1); failed != 0 {
			t.Fatalf("%d requests failed", failed)
		}
		if took := time.Since(start); took != 0 {
			t.Errorf("4 first requests with a login took %v, want no wait", took)
		}
	})
}

// TestPacingBucketsPerPath: endpoints with quotas of their own on one
// origin, as GitHub's search (30 a minute) and core, are paced apart: a
// path is paced by the bucket its latest answer named, so the core
// requests are not slowed to the search quota.
func TestPacingBucketsPerPath(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv := newMemServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			h := w.Header()
			if strings.HasPrefix(r.URL.Path, "/search/") {
				h.Set("X-RateLimit-Limit", "30")
				h.Set("X-RateLimit-Remaining", "29")
				h.Set("X-RateLimit-Reset", strconv.FormatInt(time.Now().Add(time.Minute).Unix(), 10))
				h.Set("X-RateLimit-Resource", "search")
				return
			}
			h.Set("X-RateLimit-Limit", "5000")
			h.Set("X-RateLimit-Remaining", "4999")
			h.Set("X-RateLimit-Reset", strconv.FormatInt(time.Now().Add(time.Hour).Unix(), 10))
			h.Set("X-RateLimit-Resource", "core")
		}))
		c := pacedClient(t, nil, nil, "", nil)
		get := func(path string) {
			resp, err := c.Get(context.Background(), srv.URL+path)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
		}
		get("/search/issues")
		get("/repos/a/b")
		start := time.Now()
		for range 10 {
			get("/repos/a/b")
		}
		// core: 5,000 an hour is 0.72s a request (and the margin).
		if took, want := time.Since(start), 10*time.Duration(float64(time.Hour/5000)*paceMargin); took > want {
			t.Errorf("10 core requests took %v, want at most %v (not the search quota's 2s each)", took, want)
		}
		get("/search/issues") // the search slot is free by now
		start = time.Now()
		get("/search/issues")
		if took, want := time.Since(start), time.Duration(float64(2*time.Second)*paceMargin); took != want {
			t.Errorf("a search request right after another took %v, want the search pacing, %v", took, want)
		}
	})
}
