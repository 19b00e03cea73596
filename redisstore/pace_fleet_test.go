package redisstore_test

import (
	"os"
	"testing"
	"time"

	"github.com/httpsession/httpsession"
	"github.com/httpsession/httpsession/internal/fleettest"
	"github.com/httpsession/httpsession/internal/quotafleet"
	"github.com/httpsession/httpsession/internal/quotaserver"
	"github.com/httpsession/httpsession/internal/redistest"
	"github.com/httpsession/httpsession/redisstore"
	"github.com/redis/go-redis/v9"
)

// TestPaceFleet: worker processes that share only a Redis key share the
// pacing of a server that advertises its quota (the IETF fields, and
// GitHub's): together they get at most 1% 429s, fail no request and use
// at least 0.9 of the quota. The short run takes a few seconds;
// HTTPSESSION_LONG=1 runs 8 processes × 16 goroutines for 15 s against
// 200 requests a second.
func TestPaceFleet(t *testing.T) {
	quotafleet.Child(func() (httpsession.Store, error) {
		rdb := redis.NewClient(&redis.Options{Addr: os.Getenv("HTTPSESSION_PACEFLEET_REDIS")})
		return redisstore.New(rdb, "pacefleet:"+os.Getenv("HTTPSESSION_PACEFLEET_KEY")), nil
	})
	srv := redistest.Start(t)
	for _, style := range []string{quotaserver.IETF, quotaserver.GitHub} {
		t.Run(style, func(t *testing.T) {
			cfg := quotafleet.Config{
				Test: "TestPaceFleet", Procs: 4, Goroutines: 4, Duration: 3 * time.Second,
				Quota: 100, Window: time.Second, Style: style,
				Env: []string{"HTTPSESSION_PACEFLEET_REDIS=" + srv.Addr, "HTTPSESSION_PACEFLEET_KEY=" + style},
			}
			if fleettest.Long() {
				cfg.Procs, cfg.Goroutines, cfg.Duration, cfg.Quota = 8, 16, 15*time.Second, 200
			}
			quotafleet.Run(t, cfg).Check(t)
		})
	}
}
