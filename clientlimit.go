package httpsession

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"golang.org/x/time/rate"
)

// The client-side rate limit of RetryPolicy.RateLimit and RateBurst: a
// token bucket per host (golang.org/x/time/rate) that the program sets for
// itself, before and whatever the server advertises. Every try takes a
// token, then waits for the pacing of the server's own signals (pacer.go):
// the two limits add up, the stricter one wins.

// minSweep is the least number of limiters a policy keeps before it
// looks for idle ones to drop.
const minSweep = 256

// allow takes a rate limit token for host at now if one is there, and
// otherwise reserves the next one.
func (p *RetryPolicy) allow(host string, now time.Time) (ok bool, r *rate.Reservation) {
	p.mu.Lock()
	defer p.mu.Unlock()
	l := p.limiter(host, now)
	if l.AllowN(now, 1) {
		return true, nil // no allocation while under the limit
	}
	return false, l.ReserveN(now, 1)
}

// reserve reserves a rate limit token for host at now.
func (p *RetryPolicy) reserve(host string, now time.Time) *rate.Reservation {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.limiter(host, now).ReserveN(now, 1)
}

// limiter returns the rate limiter for host, creating it on first use.
// Tokens are taken under p.mu too, so that a limiter found full here, and
// dropped, has had none taken that a new one would forget. p.mu must be
// held.
func (p *RetryPolicy) limiter(host string, now time.Time) *rate.Limiter {
	if l := p.limiters[host]; l != nil {
		return l
	}
	if p.limiters == nil {
		p.limiters = make(map[string]*rate.Limiter)
	}
	if len(p.limiters) >= max(p.sweepAt, minSweep) {
		p.dropIdle(now)
	}
	l := rate.NewLimiter(p.RateLimit, max(p.RateBurst, 1))
	p.limiters[host] = l
	return l
}

// dropIdle drops the limiters that are full at now: they hold no state, a
// new limiter starts full too. The next sweep comes when the map has
// doubled, so sweeps cost O(1) a limiter created. p.mu must be held.
func (p *RetryPolicy) dropIdle(now time.Time) {
	for host, l := range p.limiters {
		if l.TokensAt(now) >= float64(l.Burst()) {
			delete(p.limiters, host)
		}
	}
	p.sweepAt = 2 * len(p.limiters)
}

// rateWait waits for req's host to allow one more request.
func (p *RetryPolicy) rateWait(req *http.Request) error {
	ctx := req.Context()
	now := time.Now()
	ok, r := p.allow(req.URL.Host, now)
	if ok {
		return nil
	}
	if !r.OK() {
		return errors.New("httpsession: rate limit: burst is zero")
	}
	d := r.DelayFrom(now)
	if d == 0 {
		return nil
	}
	if deadline, ok := ctx.Deadline(); ok && d >= time.Until(deadline) {
		r.CancelAt(now)
		return fmt.Errorf("httpsession: rate limit wait of %v would outlive the request: %w", d, context.DeadlineExceeded)
	}
	if err := p.wait(ctx, d); err != nil {
		r.CancelAt(time.Now())
		return fmt.Errorf("httpsession: rate limit wait: %w", err)
	}
	return nil
}
