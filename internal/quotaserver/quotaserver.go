// Package quotaserver is an API that enforces a request quota per fixed
// window and advertises it the way real servers do: the IETF RateLimit
// and RateLimit-Policy fields, GitHub's x-ratelimit-* fields with an epoch
// reset, or nothing but a 429 with Retry-After. It counts what it served,
// and can play a total outage (503 to everything) for a while.
package quotaserver

import (
	"fmt"
	"math"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// Styles of advertising the quota.
const (
	IETF       = "ietf"       // RateLimit-Policy: "default";q=Q;w=W and RateLimit: "default";r=R;t=T
	GitHub     = "github"     // x-ratelimit-limit/-remaining/-reset (epoch seconds)/-resource
	RetryAfter = "retryafter" // nothing until a 429, which carries Retry-After
)

// Server enforces its quota of requests per Window, in fixed windows that
// start at multiples of Window since the Unix epoch (a counter per window,
// as most rate limiters keep).
type Server struct {
	Window time.Duration
	Style  string
	// Skew is how far the server's clock is ahead of the local one
	// (negative: behind). Its windows, its Date header and the Unix times
	// it names (GitHub's reset) are on its own clock, as a server with a
	// wrong clock would send them.
	Skew time.Duration

	mu        sync.Mutex // guards the fields below
	quota     int
	start     time.Time // of the current window
	used      int
	downUntil time.Time
	counts    Counts
}

// Counts is what the server answered.
type Counts struct {
	Attempts int64 // every request
	OK       int64 // 200s
	TooMany  int64 // 429s
	Down     int64 // 503s of an outage
	// OKAt are the times of the 200s, for throughput over time.
	OKAt []time.Time
	// TooManyAt are the times of the 429s.
	TooManyAt []time.Time
}

// New returns a server for quota requests per window, advertised in style.
func New(quota int, window time.Duration, style string) *Server {
	return &Server{quota: quota, Window: window, Style: style}
}

// SetQuota changes the quota from the next request on.
func (s *Server) SetQuota(q int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.quota = q
}

// Outage makes the server answer 503, with no rate-limit field, for d.
func (s *Server) Outage(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.downUntil = time.Now().Add(d)
}

// Counts returns a copy of the counts so far.
func (s *Server) Counts() Counts {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.counts
	c.OKAt = append([]time.Time(nil), s.counts.OKAt...)
	c.TooManyAt = append([]time.Time(nil), s.counts.TooManyAt...)
	return c
}

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	local := time.Now()
	now := local.Add(s.Skew)
	if s.Skew != 0 {
		w.Header().Set("Date", now.UTC().Format(http.TimeFormat))
	}
	s.mu.Lock()
	s.counts.Attempts++
	if local.Before(s.downUntil) {
		s.counts.Down++
		s.mu.Unlock()
		http.Error(w, "down", http.StatusServiceUnavailable)
		return
	}
	if start := now.Truncate(s.Window); !start.Equal(s.start) {
		s.start, s.used = start, 0
	}
	quota := s.quota
	ok := s.used < quota
	if ok {
		s.used++
		s.counts.OK++
		s.counts.OKAt = append(s.counts.OKAt, local)
	} else {
		s.counts.TooMany++
		s.counts.TooManyAt = append(s.counts.TooManyAt, local)
	}
	remaining, resetAt := quota-s.used, s.start.Add(s.Window)
	s.mu.Unlock()

	left := resetAt.Sub(now)
	secs := int64(math.Ceil(left.Seconds()))
	h := w.Header()
	switch s.Style {
	case IETF:
		h.Set("RateLimit-Policy", fmt.Sprintf(`"default";q=%d;w=%d`, quota, int64(s.Window/time.Second)))
		h.Set("RateLimit", fmt.Sprintf(`"default";r=%d;t=%d`, remaining, secs))
	case GitHub:
		h.Set("X-RateLimit-Limit", strconv.Itoa(quota))
		h.Set("X-RateLimit-Remaining", strconv.Itoa(remaining))
		h.Set("X-RateLimit-Reset", strconv.FormatInt(int64(math.Ceil(float64(resetAt.UnixNano())/1e9)), 10))
		h.Set("X-RateLimit-Resource", "core")
	}
	if !ok {
		if s.Style != GitHub { // GitHub sends no Retry-After on its primary limit
			h.Set("Retry-After", strconv.FormatInt(secs, 10))
		}
		http.Error(w, "too many requests", http.StatusTooManyRequests)
		return
	}
	fmt.Fprintln(w, "ok")
}

// Recovery returns how long after t the server's 200s reached rate per
// second, measured over a sliding window of 250ms; -1 when they never did.
func (c Counts) Recovery(t time.Time, rate float64) time.Duration {
	const win = 250 * time.Millisecond
	need := int(math.Ceil(rate * win.Seconds()))
	var after []time.Time
	for _, at := range c.OKAt {
		if !at.Before(t) {
			after = append(after, at)
		}
	}
	for i := range after {
		if i+need-1 < len(after) && after[i+need-1].Sub(after[i]) <= win {
			return after[i+need-1].Sub(t)
		}
	}
	return -1
}
