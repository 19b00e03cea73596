package httpsession_test

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/httpsession/httpsession"
	"github.com/httpsession/httpsession/internal/fleettest"
)

// TestFileFleet: worker processes on one machine share one session file
// and act as one user against a token server with single-use refresh
// tokens and family revocation. The fleet must log in once, refresh once
// per expiry, never reuse a refresh token, fail no request and lose no
// cookie. The short run takes a few seconds; HTTPSESSION_LONG=1 runs 8
// processes × 16 goroutines for 20 s with 2 s tokens and one response in
// ten a 429.
func TestFileFleet(t *testing.T) {
	fleettest.Child(func() (httpsession.Store, error) {
		return httpsession.NewFileStore(nil, os.Getenv("HTTPSESSION_FLEET_FILE")), nil
	})
	t.Parallel()
	path := filepath.Join(t.TempDir(), "shared", "session.json")
	cfg := fleettest.Config{
		Test:       "TestFileFleet",
		Procs:      8,
		Goroutines: 2,
		Duration:   4 * time.Second,
		TokenLife:  2 * time.Second,
		Every429:   10,
		Env:        []string{"HTTPSESSION_FLEET_FILE=" + path},
		Open: func() (httpsession.Store, error) {
			return httpsession.NewFileStore(nil, path), nil
		},
	}
	if fleettest.Long() {
		cfg.Goroutines, cfg.Duration = 16, 20*time.Second
	}
	fleettest.Run(t, cfg).Check(t)
}
