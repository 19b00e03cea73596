package httpsession_test

import (
	"context"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/httpsession/httpsession"
	"github.com/httpsession/httpsession/internal/fleettest"
	"github.com/httpsession/httpsession/internal/nodeservers"
)

// statusCounter counts the responses of the base transport by status.
type statusCounter struct {
	base              http.RoundTripper
	attempts, tooMany atomic.Int64
}

func (s *statusCounter) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := s.base.RoundTrip(req)
	s.attempts.Add(1)
	if err == nil && resp.StatusCode == http.StatusTooManyRequests {
		s.tooMany.Add(1)
	}
	return resp, err
}

// TestExpressRateLimit: against an API behind express-rate-limit 8 (npm,
// run by node; standardHeaders 'draft-8' and the X-RateLimit-* fields),
// 150 requests a second, 16 goroutines get at most 1% 429s and no failed
// request. The short run sends 400 requests; HTTPSESSION_LONG=1 sends
// 2,000.
func TestExpressRateLimit(t *testing.T) {
	url := nodeservers.Start(t, "ratelimit", "LIMIT=150", "WINDOW_MS=1000") + "/"

	counter := &statusCounter{base: http.DefaultTransport}
	var mu sync.Mutex
	waits := make(map[string]int) // waits by the field (or backoff) that asked for them
	retry := httpsession.DefaultRetryPolicy()
	retry.OnRetry = func(ev httpsession.RetryEvent) {
		src, _, _ := strings.Cut(ev.Source, " ")
		mu.Lock()
		waits[src]++
		mu.Unlock()
	}
	c, err := httpsession.New(httpsession.Options{Transport: counter, Retry: retry})
	if err != nil {
		t.Fatal(err)
	}
	total := 400
	if fleettest.Long() {
		total = 2000
	}
	const goroutines = 16
	var failed atomic.Int64
	var wg sync.WaitGroup
	for g := range goroutines {
		wg.Go(func() {
			for i := g; i < total; i += goroutines {
				resp, err := c.Get(context.Background(), url)
				if err != nil {
					t.Error(err)
					failed.Add(1)
					continue
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					failed.Add(1)
				}
			}
		})
	}
	wg.Wait()
	attempts, tooMany := counter.attempts.Load(), counter.tooMany.Load()
	t.Logf("%d requests, 16 goroutines: %d attempts, %d × 429 (%.2f%%), %d failed; waits by source: %v", total, attempts, tooMany, 100*float64(tooMany)/float64(attempts), failed.Load(), waits)
	if float64(tooMany) > 0.01*float64(attempts) || failed.Load() != 0 {
		t.Errorf("%d × 429 of %d attempts and %d failed; want at most 1%% and none", tooMany, attempts, failed.Load())
	}
}
