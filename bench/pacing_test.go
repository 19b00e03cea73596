package bench

import (
	"context"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/httpsession/httpsession"
)

// quotaServer enforces quota requests per fixed one-second window and
// advertises it as style says: "ietf" (RateLimit-Policy and RateLimit),
// "github" (x-ratelimit-*, epoch reset, no Retry-After) or "retryafter"
// (nothing until a 429 with Retry-After).
type quotaServer struct {
	quota int
	style string

	mu                sync.Mutex
	window            int64 // Unix second of the current window
	used              int
	attempts, tooMany int64
}

func (s *quotaServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	now := time.Now()
	s.mu.Lock()
	s.attempts++
	if sec := now.Unix(); sec != s.window {
		s.window, s.used = sec, 0
	}
	ok := s.used < s.quota
	if ok {
		s.used++
	} else {
		s.tooMany++
	}
	remaining := s.quota - s.used
	s.mu.Unlock()
	reset := time.Unix(s.window+1, 0)
	secs := int64(math.Ceil(reset.Sub(now).Seconds()))
	h := w.Header()
	switch s.style {
	case "ietf":
		h.Set("RateLimit-Policy", fmt.Sprintf(`"default";q=%d;w=1`, s.quota))
		h.Set("RateLimit", fmt.Sprintf(`"default";r=%d;t=%d`, remaining, secs))
	case "github":
		h.Set("X-RateLimit-Limit", strconv.Itoa(s.quota))
		h.Set("X-RateLimit-Remaining", strconv.Itoa(remaining))
		h.Set("X-RateLimit-Reset", strconv.FormatInt(reset.Unix(), 10))
	}
	if !ok {
		if s.style != "github" {
			h.Set("Retry-After", strconv.FormatInt(secs, 10))
		}
		w.WriteHeader(http.StatusTooManyRequests)
		return
	}
	io.WriteString(w, "ok")
}

// BenchmarkPacedFleet is the fleet scenario in one process: 8 Clients
// sharing one session file (and so its pacing side file), 16 goroutines
// each, against a server that allows 500 requests a second and says so
// with the IETF fields, GitHub's, or only with 429 and Retry-After (the
// baseline: the limit is found by hitting it). One op is one request that
// ended in a 200 (or failed). Reports the share of tries answered 429
// (429/try), the share of the quota the run used (quota-used) and the
// failed requests per op.
func BenchmarkPacedFleet(b *testing.B) {
	for _, style := range []string{"ietf", "github", "retryafter"} {
		b.Run("signal="+style, func(b *testing.B) {
			qs := &quotaServer{quota: 500, style: style}
			srv := httptest.NewServer(qs)
			defer srv.Close()
			path := filepath.Join(b.TempDir(), "session.json")
			var clients []*httpsession.Client
			for range 8 {
				c, err := httpsession.New(httpsession.Options{SessionFile: path, Transport: newTransport(b)})
				if err != nil {
					b.Fatal(err)
				}
				defer c.Close()
				clients = append(clients, c)
			}
			var next, failed atomic.Int64
			var wg sync.WaitGroup
			b.ResetTimer()
			start := time.Now()
			for _, c := range clients {
				for range 16 {
					wg.Go(func() {
						for next.Add(1) <= int64(b.N) {
							resp, err := c.Get(context.Background(), srv.URL)
							if err != nil {
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
			}
			wg.Wait()
			elapsed := time.Since(start)
			b.StopTimer()
			qs.mu.Lock()
			attempts, tooMany := qs.attempts, qs.tooMany
			qs.mu.Unlock()
			b.ReportMetric(float64(tooMany)/float64(max(attempts, 1)), "429/try")
			b.ReportMetric(float64(int64(b.N)-failed.Load())/elapsed.Seconds()/float64(qs.quota), "quota-used")
			b.ReportMetric(float64(failed.Load())/float64(b.N), "failed/op")
		})
	}
}
