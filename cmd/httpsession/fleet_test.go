package main

import (
	"bytes"
	"fmt"
	"maps"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/httpsession/httpsession/internal/tokenserver"
)

// TestCLIFleet: eight `httpsession get` processes at a time, run over and
// over against one session file, act as one user against a token server
// whose refresh tokens are single-use (a reuse revokes the whole family)
// and whose tokens live 2 s. Between them they must log in once (the
// `login` command), refresh at most once per half-life, never present a
// used refresh token and fail no request. HTTPSESSION_LONG=1 runs 20 s
// instead of 4.
func TestCLIFleet(t *testing.T) {
	t.Parallel()
	ts := tokenserver.Start(tokenserver.Options{TokenLife: 2 * time.Second})
	defer ts.Close()
	session := filepath.Join(t.TempDir(), "s.json")
	r := cli(t, tokenserver.Password+"\n", nil, "login", "--session", session, "--kind", "oauth2-password",
		"--token-url", ts.TokenURL, "--client-id", tokenserver.ClientID, "--username", tokenserver.Username,
		"--password-stdin", "--origin", ts.URL)
	if r.code != 0 {
		t.Fatalf("login: exit %d: %s", r.code, r.stderr)
	}
	d := 4 * time.Second
	if os.Getenv("HTTPSESSION_LONG") != "" {
		d = 20 * time.Second
	}
	var (
		runs, failed atomic.Int64
		wg           sync.WaitGroup
		mu           sync.Mutex
		causes       = make(map[string]int) // failed runs by exit status and stderr
	)
	deadline := time.Now().Add(d)
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for time.Now().Before(deadline) {
				// Not cli: t.Fatal can't be called from this goroutine.
				var stderr bytes.Buffer
				cmd := exec.Command(binary, "get", ts.URL+"/api/x", "--session", session, "--fail")
				cmd.Stderr = &stderr
				err := cmd.Run()
				runs.Add(1)
				if err != nil {
					failed.Add(1)
					mu.Lock()
					causes[fmt.Sprintf("%v: %s", err, bytes.TrimSpace(stderr.Bytes()))]++
					mu.Unlock()
				}
			}
		}()
	}
	wg.Wait()
	c := ts.Counts()
	// One refresh per half-life of the tokens over the whole run, which a
	// loaded machine stretches past d (the last runs end after it).
	elapsed := max(d, time.Since(deadline.Add(-d)))
	maxRefreshes := int64(math.Ceil(float64(elapsed)/float64(time.Second))) + 2
	t.Logf("%d runs of get (%d failed) in %v: %d logins, %d refreshes (at most %d), %d reuses",
		runs.Load(), failed.Load(), elapsed.Round(time.Millisecond), c.Logins, c.Refreshes, maxRefreshes, c.Reuses)
	for _, cause := range slices.Sorted(maps.Keys(causes)) {
		t.Logf("%d runs failed with: %s", causes[cause], cause)
	}
	if failed.Load() > 0 {
		t.Errorf("%d of %d runs failed", failed.Load(), runs.Load())
	}
	if c.Logins != 1 || c.Reuses != 0 || c.Refreshes < 1 || c.Refreshes > maxRefreshes {
		t.Errorf("token server saw %s, want 1 login, 0 reuses, 1 to %d refreshes", fmt.Sprintf("%d logins, %d reuses, %d refreshes", c.Logins, c.Reuses, c.Refreshes), maxRefreshes)
	}
}
