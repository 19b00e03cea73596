package httpsession

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"testing/synctest"
	"time"
)

// FuzzRetryAfter parses a Retry-After value and runs a policy on a 429
// carrying it: the wait is never negative, a value that does not parse
// is no wait, and the policy waits exactly what was asked when that is
// within MaxRetryAfter and returns the 429 at once, without waiting,
// when it is not. Seeds are in testdata/fuzz/FuzzRetryAfter.
func FuzzRetryAfter(f *testing.F) {
	for _, v := range []string{
		"0", "5", "60", "61", "99999999999999999999",
		"Sun, 01 Mar 2026 12:00:30 GMT", "Sunday, 01-Mar-26 12:01:00 GMT", "Sun Mar  1 12:00:10 2026",
		"Thu, 01 Oct 2099 00:00:00 GMT", "Fri, 01 Oct 2700 00:00:00 GMT", "Fri, 31 Dec 9999 23:59:59 GMT",
		"Sat, 01 Jan 2000 00:00:30.5 GMT",
	} {
		f.Add(v)
	}
	const maxRetryAfter = time.Minute
	f.Fuzz(func(t *testing.T, v string) {
		synctest.Test(t, func(t *testing.T) {
			now := time.Now()
			asked, ok := parseRetryAfter(v, now)
			switch {
			case asked < 0:
				t.Fatalf("parseRetryAfter(%q) = %v, want a wait ≥ 0", v, asked)
			case !ok && asked != 0:
				t.Fatalf("parseRetryAfter(%q) = %v, false, want 0 for a value it refuses", v, asked)
			}
			if date, err := http.ParseTime(strings.TrimSpace(v)); ok && err == nil && asked < date.Sub(now) {
				t.Fatalf("parseRetryAfter(%q) = %v, shorter than the %v to the date", v, asked, date.Sub(now))
			}

			p := &RetryPolicy{MaxAttempts: 2, MaxElapsed: -1, MaxRetryAfter: maxRetryAfter,
				Backoff: func(int, time.Duration, time.Duration, *http.Response) time.Duration { return 0 }}
			w := withFakeWaits(p)
			tries := 0
			attempt := func(*http.Request) (*http.Response, error) {
				tries++
				h := http.Header{}
				h["Retry-After"] = []string{v}
				return &http.Response{StatusCode: http.StatusTooManyRequests, Header: h, Body: io.NopCloser(strings.NewReader(""))}, nil
			}
			req, err := http.NewRequestWithContext(context.Background(), http.MethodGet, "http://example.com/", nil)
			if err != nil {
				t.Fatal(err)
			}
			resp, err := p.do(req, nil, attempt)
			if err != nil {
				t.Fatalf("do: %v", err)
			}
			resp.Body.Close()
			waits := w.recorded()
			switch {
			case ok && asked > maxRetryAfter:
				if tries != 1 || len(waits) != 0 {
					t.Fatalf("Retry-After %q (%v, above the cap): %d tries, waits %v; want 1 try, no wait", v, asked, tries, waits)
				}
			case ok:
				if tries != 2 || len(waits) != 1 || waits[0] != asked {
					t.Fatalf("Retry-After %q (%v): %d tries, waits %v; want 2 tries, one wait of %v", v, asked, tries, waits, asked)
				}
			default:
				if tries != 2 || len(waits) != 1 || waits[0] != 0 {
					t.Fatalf("Retry-After %q (refused): %d tries, waits %v; want 2 tries, no wait", v, tries, waits)
				}
			}
		})
	})
}
