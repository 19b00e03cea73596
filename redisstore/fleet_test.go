package redisstore_test

import (
	"os"
	"testing"
	"time"

	"github.com/httpsession/httpsession"
	"github.com/httpsession/httpsession/internal/fleettest"
	"github.com/httpsession/httpsession/internal/redistest"
	"github.com/httpsession/httpsession/redisstore"
	"github.com/redis/go-redis/v9"
)

const fleetKey = "fleet:session"

// TestFleet: worker processes that share no file system, only one Redis
// key, act as one user against a token server with single-use refresh
// tokens and family revocation, while Redis is killed halfway and
// restarted (empty) 3 s later, after the tokens expired: with the refresh
// lock out of reach the workers keep a working token, then wait for the
// lock, and never refresh without it. The fleet must log in once, refresh
// once per expiry, never reuse a refresh token, fail no request and lose
// no cookie. The
// short run takes a few seconds; HTTPSESSION_LONG=1 runs 8 processes × 16
// goroutines for 30 s with 2 s tokens and one response in ten a 429.
func TestFleet(t *testing.T) {
	fleettest.Child(func() (httpsession.Store, error) {
		rdb := redis.NewClient(&redis.Options{
			Addr:        os.Getenv("HTTPSESSION_FLEET_REDIS"),
			DialTimeout: 200 * time.Millisecond,
			MaxRetries:  -1,
		})
		// No clean-up: the process exits when its work is done.
		return redisstore.New(rdb, fleetKey), nil
	})
	t.Parallel()
	srv := redistest.Start(t)
	cfg := fleettest.Config{
		Test:       "TestFleet",
		Procs:      4,
		Goroutines: 4,
		Duration:   4 * time.Second,
		TokenLife:  2 * time.Second,
		Every429:   10,
		Env:        []string{"HTTPSESSION_FLEET_REDIS=" + srv.Addr},
		Midway: func() {
			// Down longer than a token lives, then back empty: the
			// workers keep their token while it works, then wait for
			// the refresh lock rather than refresh without it.
			srv.Kill()
			time.Sleep(3 * time.Second)
			srv.Restart()
		},
		Open: func() (httpsession.Store, error) {
			return redisstore.New(srv.Client(t), fleetKey), nil
		},
	}
	if fleettest.Long() {
		cfg.Procs, cfg.Goroutines, cfg.Duration = 8, 16, 30*time.Second
	}
	fleettest.Run(t, cfg).Check(t)
}
