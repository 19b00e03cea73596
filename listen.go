package httpsession

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/httpsession/httpsession/internal/redact"
)

// A listener is what the transport learns from the servers it talks to and
// applies to every try: the pacing their rate-limit fields ask for, the
// retry budget and the circuit breakers of each origin.
type listener struct {
	pace     *pacer // nil: RetryPolicy.NoPacing
	budgets  *budgets
	breakers *breakers
	log      *slog.Logger

	// noContact leaves out the wait for an origin's first answer: the
	// token manager's requests (a login, a refresh) are made on behalf of
	// a request that may be that first one, waiting for them.
	noContact bool
	parent    *listener // the listener forTokens was made from; nil for one from newListener

	// skipped is the time, in nanoseconds, that the policy's waits were
	// shorter than asked: a RetryPolicy.Sleep that does not sleep (a
	// program testing itself against real sockets) moves the pacer's
	// clock as a timer would, so that a hold it waited out is over.
	skipped atomic.Int64
}

// forTokens returns the listener of the token manager's requests: the same
// pacing, budgets and breakers, without the wait for a first answer.
func (l *listener) forTokens() *listener {
	if l == nil {
		return nil
	}
	return &listener{pace: l.pace, budgets: l.budgets, breakers: l.breakers, log: l.log, noContact: true, parent: l}
}

// now is the listener's clock: the wall clock plus what Sleep skipped.
func (l *listener) now() time.Time { return time.Now().Add(time.Duration(l.root().skipped.Load())) }

func (l *listener) root() *listener {
	if l.parent != nil {
		return l.parent
	}
	return l
}

// waited records a wait of d that started at start and ended now.
func (l *listener) waited(d time.Duration, start time.Time) {
	if l == nil {
		return
	}
	if skipped := d - time.Since(start); skipped > time.Millisecond {
		l.root().skipped.Add(int64(skipped))
	}
}

// newListener returns the listener of a transport with policy p, sharing
// pacing through shared when it is not nil.
func newListener(p *RetryPolicy, shared PaceStore, log *slog.Logger) *listener {
	if p == nil {
		return nil
	}
	l := &listener{log: log, budgets: &budgets{share: p.retryShare()}}
	if !p.NoPacing {
		l.pace = &pacer{shared: shared, log: log}
	}
	if p.BreakAfter > 0 {
		l.breakers = &breakers{after: p.BreakAfter, open: p.breakFor()}
	}
	return l
}

// try sends try number n of req through attempt: after the breaker lets
// it and the pacer's wait, and it reads the response's rate-limit fields.
// waited says the caller has just waited out a Retry-After: the pacer's
// hold from it is then not waited for again.
func (l *listener) try(p *RetryPolicy, req *http.Request, n int, waited bool, attempt func(*http.Request) (*http.Response, error)) (*http.Response, error) {
	if l == nil {
		return attempt(req)
	}
	k := keyOf(req)
	if n == 1 {
		l.budgets.deposit(k, l.now())
	}
	done, err := l.breakers.allow(k)
	if err != nil {
		closeRequestBody(req)
		return nil, err
	}
	var first func()
	if l.pace != nil {
		if !l.noContact {
			first, err = l.pace.contact(req, k)
		}
		if err == nil {
			err = l.paceWait(p, req, n, waited)
		}
		if err != nil {
			if first != nil {
				first()
			}
			done(nil, err)
			closeRequestBody(req)
			return nil, err
		}
	}
	sent := l.now()
	resp, err := attempt(req)
	done(resp, err)
	if err == nil && l.pace != nil {
		l.pace.observe(req, resp, sent, l.now())
	}
	if first != nil {
		first()
	}
	return resp, err
}

// paceWait waits for req's send slot, reporting a wait to OnRetry and the
// log. A wait cut short by the request's context gives the slot back.
func (l *listener) paceWait(p *RetryPolicy, req *http.Request, n int, waited bool) error {
	limit := p.maxRetryAfter()
	if limit < 0 {
		limit = defaultMaxRetryAfter
	}
	wait, release, source, err := l.pace.reserve(req, l.now(), limit, waited)
	if err != nil || wait <= 0 {
		return err
	}
	ctx := req.Context()
	if deadline, ok := ctx.Deadline(); ok && wait >= time.Until(deadline) {
		if release != nil {
			release()
		}
		return fmt.Errorf("httpsession: rate limit wait of %v (%s) would outlive the request: %w", wait, source, context.DeadlineExceeded)
	}
	if p.OnRetry != nil {
		p.OnRetry(RetryEvent{Method: req.Method, URL: req.URL, Attempt: n, Wait: wait, Source: source, Pacing: true})
	}
	if l.log != nil && l.log.Enabled(ctx, slog.LevelDebug) {
		l.log.LogAttrs(ctx, slog.LevelDebug, "httpsession: pacing",
			slog.String("method", req.Method),
			slog.String("url", redact.URL(req.URL)),
			slog.Int("attempt", n),
			slog.Duration("wait", wait),
			slog.String("source", source))
	}
	start := time.Now()
	if err := p.wait(ctx, wait); err != nil {
		if release != nil {
			release()
		}
		return fmt.Errorf("httpsession: rate limit wait: %w", err)
	}
	l.waited(wait, start)
	return nil
}

// mayRetry reports whether req's origin has a retry left in its budget
// for a retry after status, taking it. A retry the server asked for with
// Retry-After (asked), or of a 429, is paced instead: the pacer holds the
// whole origin until the server's reset. It costs no budget, which is for
// outages.
func (l *listener) mayRetry(req *http.Request, status int, asked bool) bool {
	if l == nil || asked || status == http.StatusTooManyRequests {
		return true
	}
	return l.budgets.withdraw(keyOf(req), l.now())
}
