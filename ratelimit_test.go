package httpsession

import (
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// TestReadSignal: what each response's fields say about the rate limit,
// including the bad input a server may send.
func TestReadSignal(t *testing.T) {
	now := time.Date(2030, 5, 1, 12, 0, 0, 0, time.UTC)
	epoch := func(d time.Duration) string { return fmtInt(now.Add(d).Unix()) }
	none := signal{remaining: -1, reset: -1, retryAfter: -1}
	with := func(f func(*signal)) signal { s := none; f(&s); return s }
	tests := []struct {
		name   string
		status int
		header map[string]string
		want   signal
		found  bool
	}{
		{"no field", 200, nil, none, false},
		{"IETF draft 11", 200, map[string]string{
			"RateLimit-Policy": `"burst";q=100;w=60, "day";q=1000;w=86400`,
			"RateLimit":        `"burst";r=40;t=30, "day";r=900;t=3600`,
		}, with(func(s *signal) {
			// 900 over an hour leaves less a request than 40 over 30 s.
			s.bucket, s.quota, s.window, s.remaining, s.reset, s.source = "day", 1000, 24*time.Hour, 900, time.Hour, "RateLimit r=900 t=3600"
		}), true},
		{"the policy that leaves least wins", 200, map[string]string{
			"RateLimit": `"a";r=100;t=10, "b";r=1;t=10`,
		}, with(func(s *signal) {
			s.bucket, s.remaining, s.reset, s.source = "b", 1, 10*time.Second, "RateLimit r=1 t=10"
		}), true},
		{"draft 8, partition key on the policy (express-rate-limit)", 200, map[string]string{
			"RateLimit-Policy": `"150-in-1sec"; q=150; w=1; pk=:MTI3LjAuMC4x:`,
			"RateLimit":        `"150-in-1sec"; r=149; t=1`,
		}, with(func(s *signal) {
			s.bucket, s.quota, s.window, s.remaining, s.reset, s.source = "150-in-1sec;pk=MTI3LjAuMC4x", 150, time.Second, 149, time.Second, "RateLimit r=149 t=1"
		}), true},
		{"r=0", 200, map[string]string{"RateLimit": `"default";r=0;t=1`},
			with(func(s *signal) {
				s.bucket, s.remaining, s.reset, s.source = "default", 0, time.Second, "RateLimit r=0 t=1"
			}), true},
		{"malformed RateLimit is ignored", 200, map[string]string{"RateLimit": `"default";r=;t=1`}, none, false},
		{"negative r is ignored", 200, map[string]string{"RateLimit": `"default";r=-5;t=1`}, none, false},
		{"non-integer t is ignored", 200, map[string]string{"RateLimit": `"default";r=5;t=1.5`}, none, false},
		{"t far in the future is a day", 200, map[string]string{"RateLimit": `"default";r=0;t=999999999999`},
			with(func(s *signal) {
				s.bucket, s.remaining, s.reset, s.source = "default", 0, maxReset, "RateLimit r=0 t=999999999999"
			}), true},
		{"r larger than q is q", 200, map[string]string{
			"RateLimit-Policy": `"default";q=10;w=1`,
			"RateLimit":        `"default";r=500;t=1`,
		}, with(func(s *signal) {
			s.bucket, s.quota, s.window, s.remaining, s.reset, s.source = "default", 10, time.Second, 10, time.Second, "RateLimit r=500 t=1"
		}), true},
		{"older triple", 200, map[string]string{"RateLimit-Limit": "100", "RateLimit-Remaining": "7", "RateLimit-Reset": "20"},
			with(func(s *signal) {
				s.quota, s.remaining, s.reset, s.source = 100, 7, 20*time.Second, "RateLimit-Remaining=7"
			}), true},
		{"X-RateLimit, delta reset", 200, map[string]string{"X-RateLimit-Limit": "60", "X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "42"},
			with(func(s *signal) { s.quota, s.remaining, s.reset, s.source = 60, 0, 42*time.Second, "x-ratelimit-reset" }), true},
		{"X-RateLimit, epoch reset and resource (GitHub)", 200, map[string]string{
			"X-RateLimit-Limit": "5000", "X-RateLimit-Remaining": "4999", "X-RateLimit-Reset": epoch(50 * time.Minute), "X-RateLimit-Resource": "core",
		}, with(func(s *signal) {
			s.bucket, s.quota, s.remaining, s.reset, s.source = "core", 5000, 4999, 50*time.Minute, "x-ratelimit-remaining=4999"
		}), true},
		{"X-RateLimit, epoch milliseconds", 200, map[string]string{"X-RateLimit-Remaining": "3", "X-RateLimit-Reset": fmtInt(now.Add(90 * time.Second).UnixMilli())},
			with(func(s *signal) { s.remaining, s.reset, s.source = 3, 90*time.Second, "x-ratelimit-remaining=3" }), true},
		{"a reset in the past is now", 200, map[string]string{"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": epoch(-time.Hour)},
			with(func(s *signal) { s.remaining, s.reset, s.source = 0, 0, "x-ratelimit-reset" }), true},
		{"a negative reset is none", 200, map[string]string{"X-RateLimit-Remaining": "2", "X-RateLimit-Reset": "-5"},
			with(func(s *signal) { s.remaining, s.source = 2, "x-ratelimit-remaining=2" }), true},
		{"non-numeric remaining is ignored", 200, map[string]string{"X-RateLimit-Remaining": "lots", "X-RateLimit-Reset": "5"}, none, false},
		{"NaN reset is none", 200, map[string]string{"X-RateLimit-Remaining": "2", "X-RateLimit-Reset": "NaN"},
			with(func(s *signal) { s.remaining, s.source = 2, "x-ratelimit-remaining=2" }), true},
		{"Retry-After on a 429 wins", 429, map[string]string{"RateLimit": `"default";r=0;t=1`, "Retry-After": "7"},
			with(func(s *signal) {
				s.bucket, s.remaining, s.reset, s.retryAfter, s.source = "default", 0, time.Second, 7*time.Second, "Retry-After"
			}), true},
		{"epoch reset on a server clock 10 minutes ahead", 200, map[string]string{
			"Date": now.Add(10 * time.Minute).Format(http.TimeFormat), "X-RateLimit-Remaining": "0", "X-RateLimit-Reset": epoch(10*time.Minute + 30*time.Second),
		}, with(func(s *signal) { s.remaining, s.reset, s.source = 0, 30*time.Second, "x-ratelimit-reset" }), true},
		{"epoch reset on a server clock 10 minutes behind", 200, map[string]string{
			"Date": now.Add(-10 * time.Minute).Format(http.TimeFormat), "X-RateLimit-Remaining": "0", "X-RateLimit-Reset": epoch(-10*time.Minute + 30*time.Second),
		}, with(func(s *signal) { s.remaining, s.reset, s.source = 0, 30*time.Second, "x-ratelimit-reset" }), true},
		{"Retry-After date on a server clock an hour behind", 429, map[string]string{
			"Date": now.Add(-time.Hour).Format(http.TimeFormat), "Retry-After": now.Add(-time.Hour + 20*time.Second).Format(http.TimeFormat),
		}, with(func(s *signal) { s.retryAfter, s.source = 20*time.Second, "Retry-After" }), true},
		{"a delta reset does not depend on Date", 200, map[string]string{
			"Date": now.Add(time.Hour).Format(http.TimeFormat), "X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "42",
		}, with(func(s *signal) { s.remaining, s.reset, s.source = 0, 42*time.Second, "x-ratelimit-reset" }), true},
		{"Retry-After on a 200 is not a signal", 200, map[string]string{"Retry-After": "7"}, none, false},
		{"Retry-After of a year is a day", 503, map[string]string{"Retry-After": "31536000"},
			with(func(s *signal) { s.retryAfter, s.source = maxReset, "Retry-After" }), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := make(http.Header)
			for k, v := range tt.header {
				h.Set(k, v)
			}
			got, found := readSignal(h, tt.status, now)
			if found != tt.found {
				t.Errorf("found = %v, want %v", found, tt.found)
			}
			if diff := cmp.Diff(tt.want, got, cmp.AllowUnexported(signal{})); diff != "" {
				t.Errorf("readSignal (-want +got):\n%s", diff)
			}
		})
	}
}

func fmtInt(n int64) string { return fmt.Sprint(n) }

// TestServerNow: when a response's Date stands in for the local clock.
func TestServerNow(t *testing.T) {
	now := time.Date(2030, 5, 1, 12, 0, 0, 500e6, time.UTC)
	date := func(d time.Duration) string { return now.Add(d).Format(http.TimeFormat) }
	tests := []struct {
		name      string
		date, age string
		want      time.Time
	}{
		{"no Date", "", "", now},
		{"malformed Date", "yesterday", "", now},
		{"Date within the skew allowed", date(-1500 * time.Millisecond), "", now},
		{"Date ahead", date(5 * time.Minute), "", now.Add(5 * time.Minute).Truncate(time.Second)},
		{"Date behind", date(-time.Hour), "", now.Add(-time.Hour).Truncate(time.Second)},
		{"a cached response's Age is added", date(-time.Hour), "600", now.Add(-50 * time.Minute).Truncate(time.Second)},
		{"Age that brings Date back to now", date(-time.Minute), "60", now},
		{"malformed Age is ignored", date(-time.Hour), "soon", now.Add(-time.Hour).Truncate(time.Second)},
		{"Age above a day is ignored", date(-time.Hour), "999999999", now.Add(-time.Hour).Truncate(time.Second)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := http.Header{}
			if tt.date != "" {
				h.Set("Date", tt.date)
			}
			if tt.age != "" {
				h.Set("Age", tt.age)
			}
			if got := serverNow(h, now); !got.Equal(tt.want) {
				t.Errorf("serverNow(Date %q, Age %q) = %v, want %v", tt.date, tt.age, got, tt.want)
			}
		})
	}
}

// FuzzReadSignal: no field value makes the reader panic or name a wait
// beyond a day.
func FuzzReadSignal(f *testing.F) {
	f.Add(`"default";r=0;t=1`, `"default";q=10;w=1`, "5", "1700000000", "3")
	f.Add(`x, y;r=?1`, `"a";q=-1`, "-1", "1e400", "Fri, 31 Dec 9999 23:59:59 GMT")
	now := time.Date(2030, 5, 1, 12, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, rl, policy, remaining, reset, retryAfter string) {
		for _, h := range []http.Header{
			{"Ratelimit": {rl}, "Ratelimit-Policy": {policy}, "Retry-After": {retryAfter}},
			{"X-Ratelimit-Remaining": {remaining}, "X-Ratelimit-Reset": {reset}, "Retry-After": {retryAfter}},
		} {
			s, _ := readSignal(h, 429, now)
			if s.reset > maxReset || s.retryAfter > maxReset || s.window > maxReset {
				t.Errorf("readSignal(%v) = %+v: a wait beyond %v", h, s, maxReset)
			}
		}
	})
}
