package httpsession

import (
	"encoding/base64"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/dunglas/httpsfv"
)

// A signal is what one response says about its origin's rate limit. It is
// read from every response, whatever its status, by readSignal:
//
//   - RateLimit and RateLimit-Policy (draft-ietf-httpapi-ratelimit-headers,
//     drafts 8 to 11): Structured Field Lists (RFC 9651) of named policies,
//     with the parameters q (quota), w (window, seconds) and pk (partition
//     key) on RateLimit-Policy, and r (remaining) and t (seconds to reset)
//     on RateLimit. When RateLimit names several policies, the one that
//     leaves the least (the longest t/r) is followed. A field that does not
//     parse, or a member with a missing, negative or non-integer r or t, is
//     ignored, as the draft requires.
//   - The older RateLimit-Limit, RateLimit-Remaining and RateLimit-Reset,
//     when RateLimit is absent.
//   - X-RateLimit-Limit, X-RateLimit-Remaining and X-RateLimit-Reset, when
//     neither of the above is there, with X-RateLimit-Resource (GitHub)
//     naming the bucket. Reset is delta seconds in most APIs and epoch
//     seconds in others (GitHub, Twitter); see resetIn for the rule.
//   - Retry-After on a 429 or 503, which wins over all of them: the
//     origin is held until then.
//
// Values that make no sense are tamed rather than followed: r above q is
// taken as q, a reset in the past as now, and a reset or Retry-After
// beyond maxReset as maxReset. A wait the pacer derives from them is still
// refused above RetryPolicy.MaxRetryAfter, so no signal stalls a caller
// beyond the cap.
type signal struct {
	bucket     string        // policy name and partition key, or X-RateLimit-Resource
	quota      int64         // q or Limit; 0 when unknown
	window     time.Duration // w; 0 when unknown
	remaining  int64         // r or Remaining; -1 when unknown
	reset      time.Duration // t or Reset, from now; -1 when unknown
	retryAfter time.Duration // Retry-After of a 429 or 503; -1 when none
	source     string        // the header that says so, for events and logs
}

// maxReset bounds a reset or Retry-After a signal may name: one day. A
// server that names a later one is held to a day; the wait is above any
// sensible cap either way.
const maxReset = 24 * time.Hour

// epochThreshold tells epoch seconds from delta seconds in a Reset value:
// a delta is the time left in a window, and no rate-limit window is a year
// long, while an epoch time in seconds is above 1.7e9 today. A value above
// a year of seconds is taken as a Unix time, and one above 1e12 as a Unix
// time in milliseconds.
const epochThreshold = 365 * 24 * 3600

// readSignal returns what resp says about its origin's rate limit, and
// false when it says nothing. now is when the response arrived; the
// absolute times a response names are read on the server's clock (see
// serverNow), which is looked up only for a response that names one: it
// runs on every response.
func readSignal(h http.Header, status int, now time.Time) (signal, bool) {
	s := signal{remaining: -1, reset: -1, retryAfter: -1}
	found := false
	switch {
	case len(h["Ratelimit"]) > 0:
		found = s.readIETF(h)
	case len(h["Ratelimit-Remaining"]) > 0:
		found = s.readTriple(h, "Ratelimit-", now)
		if found {
			s.source = "RateLimit-Remaining=" + strconv.FormatInt(s.remaining, 10)
		}
	case len(h["X-Ratelimit-Remaining"]) > 0:
		found = s.readTriple(h, "X-Ratelimit-", now)
		if found {
			s.bucket = h.Get("X-Ratelimit-Resource")
			s.source = "x-ratelimit-remaining=" + strconv.FormatInt(s.remaining, 10)
			if s.remaining == 0 {
				s.source = "x-ratelimit-reset"
			}
		}
	}
	if status == http.StatusTooManyRequests || status == http.StatusServiceUnavailable {
		if d, ok := parseRetryAfter(h.Get("Retry-After"), serverNow(h, now)); ok {
			s.retryAfter = min(d, maxReset)
			s.source = "Retry-After"
			found = true
		}
	}
	return s, found
}

// readIETF reads RateLimit and RateLimit-Policy.
func (s *signal) readIETF(h http.Header) bool {
	limits, err := httpsfv.UnmarshalList(h["Ratelimit"])
	if err != nil {
		return false
	}
	best := -1.0
	for _, m := range limits {
		it, ok := m.(httpsfv.Item)
		if !ok {
			continue
		}
		r, okR := nonNegative(it.Params, "r")
		t, okT := nonNegative(it.Params, "t")
		if !okR || !okT {
			continue
		}
		// The policy that leaves the least time per request left.
		score := math.Inf(1)
		if r > 0 {
			score = float64(t) / float64(r)
		}
		if score <= best {
			continue
		}
		best = score
		s.remaining, s.reset = r, min(time.Duration(t)*time.Second, maxReset)
		s.bucket = policyKey(it)
		s.source = "RateLimit r=" + strconv.FormatInt(r, 10) + " t=" + strconv.FormatInt(t, 10)
	}
	if best < 0 {
		return false
	}
	s.readPolicy(h)
	return true
}

// readPolicy fills quota and window from the RateLimit-Policy member that
// names s.bucket. A malformed field is ignored.
func (s *signal) readPolicy(h http.Header) {
	if len(h["Ratelimit-Policy"]) == 0 {
		return
	}
	policies, err := httpsfv.UnmarshalList(h["Ratelimit-Policy"])
	if err != nil {
		return
	}
	for _, m := range policies {
		it, ok := m.(httpsfv.Item)
		if !ok {
			continue
		}
		key := policyKey(it)
		name, pk, _ := strings.Cut(key, ";pk=")
		if key != s.bucket && name != s.bucket {
			continue
		}
		if pk != "" {
			// Draft 8 sends the partition key on RateLimit-Policy only.
			s.bucket = key
		}
		q, okQ := nonNegative(it.Params, "q")
		if !okQ || q == 0 {
			return
		}
		s.quota = q
		s.remaining = min(s.remaining, q)
		if w, ok := nonNegative(it.Params, "w"); ok && w > 0 {
			s.window = min(time.Duration(w)*time.Second, maxReset)
		}
		return
	}
}

// policyKey names an IETF policy member: its name (a String or Token,
// drafts 8 to 11) and its partition key, if any.
func policyKey(it httpsfv.Item) string {
	var name string
	switch v := it.Value.(type) {
	case string:
		name = v
	case httpsfv.Token:
		name = string(v)
	}
	if pk, ok := it.Params.Get("pk"); ok {
		if b, ok := pk.([]byte); ok {
			name += ";pk=" + base64.RawStdEncoding.EncodeToString(b)
		}
	}
	return name
}

// nonNegative returns the integer parameter name of p, if it is there and
// not negative.
func nonNegative(p *httpsfv.Params, name string) (int64, bool) {
	if p == nil {
		return 0, false
	}
	v, ok := p.Get(name)
	if !ok {
		return 0, false
	}
	n, ok := v.(int64)
	return n, ok && n >= 0
}

// readTriple reads prefix+Limit, -Remaining and -Reset: the older IETF
// fields or the X-RateLimit ones. A non-numeric or negative Remaining
// makes the whole triple ignored; a bad Limit or Reset is left out. now is
// when the response arrived, on the local clock.
func (s *signal) readTriple(h http.Header, prefix string, now time.Time) bool {
	r, ok := parseCount(h.Get(prefix + "Remaining"))
	if !ok {
		return false
	}
	s.remaining = r
	if q, ok := parseCount(h.Get(prefix + "Limit")); ok && q > 0 {
		s.quota = q
		s.remaining = min(r, q)
	}
	if v := h.Get(prefix + "Reset"); v != "" {
		if d, ok := resetIn(v, h, now); ok {
			s.reset = d
		}
	}
	return true
}

// parseCount parses a non-negative decimal count. Some servers append a
// policy after a comma or semicolon ("100, 100;w=60"); the first number
// counts.
func parseCount(v string) (int64, bool) {
	v = strings.TrimSpace(v)
	if i := strings.IndexAny(v, ",;"); i >= 0 {
		v = strings.TrimSpace(v[:i])
	}
	if v == "" || !isDigits(v) {
		return 0, false
	}
	n, err := strconv.ParseInt(v, 10, 64)
	return n, err == nil
}

// resetIn returns the time from now to the reset a Reset value names.
// Delta seconds (possibly fractional, "1.5") are the time left; a value
// above epochThreshold is a Unix time in seconds, and above 1e12 one in
// milliseconds. A reset in the past is now; one beyond maxReset is
// maxReset. A negative, non-numeric or non-finite value is no reset.
// now is when the response with header h arrived; a Unix time is read on
// the server's clock (serverNow), which only such a value needs.
func resetIn(v string, h http.Header, now time.Time) (time.Duration, bool) {
	v = strings.TrimSpace(v)
	if v == "" || v[0] < '0' || v[0] > '9' {
		return 0, false
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil || math.IsInf(f, 0) || math.IsNaN(f) || f < 0 {
		return 0, false
	}
	var d time.Duration
	switch {
	case f > 1e12: // Unix milliseconds
		d = time.UnixMilli(int64(min(f, 1e15))).Sub(serverNow(h, now))
	case f > epochThreshold: // Unix seconds
		d = time.Unix(int64(min(f, 1e12)), 0).Sub(serverNow(h, now))
	default:
		d = time.Duration(f * float64(time.Second))
	}
	return min(max(d, 0), maxReset), true
}

// maxSkew is how far a response's Date may be from the local clock before
// the absolute times the response names are read on the server's clock.
// Within it the local clock, which has more than Date's one-second
// resolution, reads them better.
const maxSkew = 2 * time.Second

// serverNow is the moment the response with header h was sent, on the
// server's clock, for reading the absolute times it names: a Retry-After
// HTTP-date, a reset given as a Unix time. The server dates them on its
// own clock, so a reset is as far from the response's Date (plus its Age,
// for a response from a cache) as it was from the moment the server
// answered, whatever the skew between the two clocks: a client whose clock
// is ahead of the server's would otherwise take a reset for passed and
// spend the next window's quota at once, and one behind would wait the
// skew on top of every reset. now is when the response arrived. Without
// a valid Date, or with one within maxSkew of now, it is now. Date has
// whole seconds and is taken before the response travels, so a wait read
// on it errs long, by up to a second plus the time in transit.
func serverNow(h http.Header, now time.Time) time.Time {
	date, err := http.ParseTime(h.Get("Date"))
	if err != nil {
		return now
	}
	if age, err := strconv.ParseInt(strings.TrimSpace(h.Get("Age")), 10, 64); err == nil && age > 0 && age <= int64(maxReset/time.Second) {
		date = date.Add(time.Duration(age) * time.Second)
	}
	if skew := date.Sub(now); skew > -maxSkew && skew < maxSkew {
		return now
	}
	return date
}
