package bench

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/httpsession/httpsession"
	"github.com/httpsession/httpsession/oauth"
)

// TestLoad runs 64 goroutines × 10,000 requests through one Client against
// a server whose access tokens live one second and that answers one request
// in ten with 429 Retry-After: 0. Every request must succeed, and the
// Client must refresh once per token, not once per waiting goroutine. It
// takes a while, so it runs only with HTTPSESSION_LOAD=1:
//
//	HTTPSESSION_LOAD=1 go test -run TestLoad -v
//
// HTTPSESSION_LOAD_REQUESTS sets the requests per goroutine (default 10000).
func TestLoad(t *testing.T) {
	if os.Getenv("HTTPSESSION_LOAD") == "" {
		t.Skip("set HTTPSESSION_LOAD=1 to run the load test")
	}
	const goroutines = 64
	perG := 10_000
	if s := os.Getenv("HTTPSESSION_LOAD_REQUESTS"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n <= 0 {
			t.Fatalf("HTTPSESSION_LOAD_REQUESTS=%q: want a positive number", s)
		}
		perG = n
	}

	ls := newLoadServer(time.Second)
	srv := httptest.NewServer(ls)
	defer srv.Close()

	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = goroutines // keep one connection per goroutine alive
	defer tr.CloseIdleConnections()
	var retries atomic.Int64
	c, err := httpsession.New(httpsession.Options{
		Transport: tr,
		Auth: &oauth.Credentials{
			TokenURL: srv.URL + "/token",
			ClientID: "load",
			Username: "load",
			Password: "secret",
		},
		AuthOrigins: []string{srv.URL},
		// The server asks for no wait (Retry-After: 0); keep the backoff
		// floor short so that the run measures the client, not its sleeps.
		Retry: &httpsession.RetryPolicy{
			BaseDelay: time.Millisecond,
			MaxDelay:  10 * time.Millisecond,
			OnRetry:   func(httpsession.RetryEvent) { retries.Add(1) },
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	hc := c.HTTPClient()

	var (
		failed   atomic.Int64
		firstErr sync.Once
		wg       sync.WaitGroup
	)
	latencies := make([][]time.Duration, goroutines)
	start := time.Now()
	for g := range goroutines {
		wg.Add(1)
		go func() {
			defer wg.Done()
			lat := make([]time.Duration, 0, perG)
			for i := range perG {
				t0 := time.Now()
				err := loadRequest(hc, srv.URL+"/api/data", fmt.Sprintf("%d-%d", g, i))
				lat = append(lat, time.Since(t0))
				if err != nil {
					failed.Add(1)
					firstErr.Do(func() { t.Errorf("first failure: %v", err) })
				}
			}
			latencies[g] = lat
		}()
	}
	wg.Wait()
	end := time.Now()
	elapsed := end.Sub(start)

	all := slices.Concat(latencies...)
	slices.Sort(all)
	pct := func(p float64) time.Duration { return all[int(p*float64(len(all)-1))] }
	total := goroutines * perG
	expired := ls.expiredBy(end)
	logins, refreshes := ls.logins.Load(), ls.refreshes.Load()

	t.Logf("requests            %d (%d goroutines × %d)", total, goroutines, perG)
	t.Logf("failed              %d", failed.Load())
	t.Logf("elapsed             %v (%.0f requests/s)", elapsed.Round(time.Millisecond), float64(total)/elapsed.Seconds())
	t.Logf("latency             p50 %v  p99 %v  max %v", pct(0.50), pct(0.99), all[len(all)-1])
	t.Logf("429 answered        %d (%.1f%% of requests), retries %d", ls.tooMany.Load(), 100*float64(ls.tooMany.Load())/float64(total), retries.Load())
	t.Logf("401 answered        %d", ls.unauthorized.Load())
	t.Logf("logins              %d", logins)
	t.Logf("refreshes           %d", refreshes)
	t.Logf("tokens expired      %d (of %d issued, lifetime 1s)", expired, logins+refreshes)

	if n := failed.Load(); n != 0 {
		t.Errorf("%d of %d requests failed, want 0", n, total)
	}
	if logins != 1 {
		t.Errorf("logins = %d, want 1", logins)
	}
	// Every expired token was replaced by exactly one refresh. The token in
	// use at the end has not expired yet, and the one before it may not
	// have either when the manager refreshes ahead of expiry.
	if d := refreshes - int64(expired); d < 0 || d > 2 {
		t.Errorf("refreshes = %d, tokens expired = %d: want one refresh per expired token (difference 0..2)", refreshes, expired)
	}
	if n := ls.badRequests.Load(); n != 0 {
		t.Errorf("server saw %d bad token requests", n)
	}
}

func loadRequest(hc *http.Client, target, id string) error {
	req, err := http.NewRequestWithContext(context.Background(), http.MethodGet, target, nil)
	if err != nil {
		return err
	}
	req.Header.Set("X-Request-ID", id)
	resp, err := hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if _, err := io.Copy(io.Discard, resp.Body); err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: status %d", target, resp.StatusCode)
	}
	return nil
}
