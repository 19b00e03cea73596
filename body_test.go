package httpsession

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync/atomic"
	"testing"
	"time"
)

// TestSlowDiscardedBodyDoesNotStall: a 429 or a 401 whose body trickles in
// (64 KiB announced, a byte every 200 ms) is dropped rather than drained:
// the retry and the replay go out at once, and the caller gets the final
// answer well within a deadline that an unbounded drain (hours) would blow.
func TestSlowDiscardedBodyDoesNotStall(t *testing.T) {
	for _, status := range []int{http.StatusTooManyRequests, http.StatusUnauthorized} {
		t.Run(strconv.Itoa(status), func(t *testing.T) {
			var n atomic.Int32
			stop := make(chan struct{})
			ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if n.Add(1) > 1 {
					io.WriteString(w, "ok")
					return
				}
				w.Header().Set("Content-Length", strconv.Itoa(64<<10))
				w.Header().Set("Retry-After", "0")
				w.WriteHeader(status)
				for range 64 << 10 {
					if _, err := w.Write([]byte{'x'}); err != nil {
						return
					}
					w.(http.Flusher).Flush()
					select {
					case <-time.After(200 * time.Millisecond):
					case <-r.Context().Done():
						return
					case <-stop:
						return
					}
				}
			}))
			defer ts.Close()
			defer close(stop)
			c, err := New(Options{
				Auth:        &staticAuth{},
				AuthOrigins: []string{ts.URL},
				Retry:       &RetryPolicy{MaxAttempts: 2, BaseDelay: time.Millisecond},
			})
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			req, _ := http.NewRequestWithContext(ctx, "GET", ts.URL, nil)
			resp, err := c.Do(req)
			if err != nil {
				t.Fatalf("Do error: %v (the discarded body held the request up)", err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 || string(b) != "ok" {
				t.Errorf("Do = %d %q, want 200 \"ok\"", resp.StatusCode, b)
			}
		})
	}
}
