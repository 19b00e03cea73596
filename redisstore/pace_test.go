package redisstore_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/httpsession/httpsession"
	"github.com/httpsession/httpsession/internal/quotaserver"
	"github.com/httpsession/httpsession/internal/redistest"
	"github.com/httpsession/httpsession/redisstore"
	"github.com/redis/go-redis/v9"
)

// TestPaceShared: two clients that share a Redis key, each on its own
// connection, share the pacing of a server that advertises 200 requests
// a second: together they get no 429, and each paced request costs one
// Redis command (the script), whatever the number of clients.
func TestPaceShared(t *testing.T) {
	srv := redistest.Start(t)
	qs := quotaserver.New(200, time.Second, quotaserver.IETF)
	api := httptest.NewServer(qs)
	defer api.Close()
	var clients []*httpsession.Client
	var trips, scripts atomic.Int64
	for range 2 {
		rdb := srv.Client(t)
		rdb.AddHook(countTrips{&trips, &scripts})
		c, err := httpsession.New(httpsession.Options{Store: redisstore.New(rdb, "pace")})
		if err != nil {
			t.Fatal(err)
		}
		clients = append(clients, c)
	}
	// The first response of each client tells it the quota.
	for _, c := range clients {
		get(t, c, api.URL)
	}
	trips.Store(0)
	scripts.Store(0)
	const goroutines, each = 4, 50
	var wg sync.WaitGroup
	var failed atomic.Int64
	for _, c := range clients {
		for range goroutines {
			wg.Go(func() {
				for range each {
					if get(t, c, api.URL) != http.StatusOK {
						failed.Add(1)
					}
				}
			})
		}
	}
	wg.Wait()
	sent := len(clients) * goroutines * each
	rt := trips.Load()
	n := qs.Counts()
	t.Logf("%d requests: %d attempts, %d × 429, %d failed; %d Redis round trips (%.2f a request), of which %d script calls (%.2f a request), the rest new connections' handshakes",
		sent, n.Attempts-2, n.TooMany, failed.Load(), rt, float64(rt)/float64(sent), scripts.Load(), float64(scripts.Load())/float64(sent))
	if failed.Load() != 0 || float64(n.TooMany) > 0.01*float64(n.Attempts) {
		t.Errorf("%d failed and %d × 429 of %d attempts; want none failed and at most 1%% 429s", failed.Load(), n.TooMany, n.Attempts)
	}
	// One script call a try; a new connection of the pool costs its
	// handshake once (HELLO, CLIENT SETINFO), at most one per goroutine.
	if max := n.Attempts + 2*int64(len(clients)*goroutines); rt > max {
		t.Errorf("%d Redis round trips for %d tries, want at most %d (one a try and the handshakes)", rt, n.Attempts, max)
	}
}

// countTrips is a go-redis hook that counts the round trips to the server,
// and the script calls among them.
type countTrips struct{ n, scripts *atomic.Int64 }

func (h countTrips) DialHook(next redis.DialHook) redis.DialHook { return next }
func (h countTrips) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		h.n.Add(1)
		if name := cmd.Name(); name == "evalsha" || name == "eval" {
			h.scripts.Add(1)
		}
		return next(ctx, cmd)
	}
}
func (h countTrips) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error { h.n.Add(1); return next(ctx, cmds) }
}

func get(t *testing.T, c *httpsession.Client, url string) int {
	t.Helper()
	resp, err := c.Get(context.Background(), url)
	if err != nil {
		t.Error(err)
		return 0
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}
