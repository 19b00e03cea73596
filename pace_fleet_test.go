package httpsession_test

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/httpsession/httpsession"
	"github.com/httpsession/httpsession/internal/fleettest"
	"github.com/httpsession/httpsession/internal/quotafleet"
	"github.com/httpsession/httpsession/internal/quotaserver"
)

// TestPaceFleetFile: worker processes that share one session file send
// requests as fast as they are let to a server that advertises its quota,
// and share the pacing through the file's side file: together they get at
// most 1% 429s, fail no request and use at least 0.9 of the quota, with
// the IETF fields and with GitHub's. Through a total outage (503 to
// everything) the retry budget keeps the attempts per request at 1.5 or
// less, and half the quota is back within 2 s of the end. The short run
// takes a few seconds; HTTPSESSION_LONG=1 runs 8 processes × 16
// goroutines for 15 s against 200 requests a second, with a 3 s outage.
func TestPaceFleetFile(t *testing.T) {
	quotafleet.Child(func() (httpsession.Store, error) {
		return httpsession.NewFileStore(nil, os.Getenv("HTTPSESSION_PACEFLEET_FILE")), nil
	})
	for _, tt := range []struct {
		style  string
		outage bool
	}{
		{quotaserver.IETF, false},
		{quotaserver.GitHub, false},
		{quotaserver.IETF, true},
	} {
		name := tt.style
		if tt.outage {
			name += "/outage"
		}
		t.Run(name, func(t *testing.T) {
			if !fleettest.Long() {
				t.Parallel() // the long runs load the machine enough one at a time
			}
			path := filepath.Join(t.TempDir(), "session.json")
			cfg := quotafleet.Config{
				Test: "TestPaceFleetFile", Procs: 4, Goroutines: 4, Duration: 3 * time.Second,
				Quota: 100, Window: time.Second, Style: tt.style,
				Env: []string{"HTTPSESSION_PACEFLEET_FILE=" + path},
			}
			if fleettest.Long() {
				cfg.Procs, cfg.Goroutines, cfg.Duration, cfg.Quota = 8, 16, 15*time.Second, 200
			}
			if tt.outage {
				cfg.Outage = time.Second
				if fleettest.Long() {
					cfg.Outage = 3 * time.Second
				}
			}
			quotafleet.Run(t, cfg).Check(t)
		})
	}
}
