package httpsession

import (
	"cmp"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/httpsession/httpsession/internal/redact"
	"golang.org/x/time/rate"
)

// Defaults used when the corresponding RetryPolicy field is zero.
const (
	defaultMaxAttempts   = 4
	defaultBaseDelay     = time.Second
	defaultMaxDelay      = 30 * time.Second
	defaultMaxElapsed    = 2 * time.Minute
	defaultMaxRetryAfter = 60 * time.Second
)

// RetryPolicy decides whether, when and how often a request is tried again
// after a 429, 502, 503 or 504 response or a connection error.
//
// Retries run per hop inside the session transport, below *http.Client's
// redirect handling: every try sends the jar's cookies as they are at that
// moment, and the Set-Cookie of every response, including a 429, 502, 503
// or 504 that is about to be retried, is stored.
//
// A request is replayed only when it is safe to send twice and its body can
// be rebuilt:
//
//   - its method is idempotent (GET, HEAD, OPTIONS, TRACE, PUT, DELETE), or it
//     carries an Idempotency-Key or X-Idempotency-Key header, or
//     RetryNonIdempotent is set, or the last try could not connect at all
//     (nothing was sent); and
//   - it has no body (nil or http.NoBody) or Request.GetBody is set, as
//     http.NewRequest does for *bytes.Buffer, *bytes.Reader and
//     *strings.Reader bodies. The body is rebuilt through GetBody for every
//     replay.
//
// When the policy gives up, the caller gets the last response exactly as the
// server sent it, body unread, or the last transport error. A non-2xx
// response is not an error, as with http.Client. Every response the policy
// discards is drained (up to 64 KiB) and closed, so its connection is reused.
//
// The zero value of each field means the documented default, so
// &RetryPolicy{} and DefaultRetryPolicy() behave the same.
//
// A RetryPolicy is safe for concurrent use by multiple goroutines and may be
// shared by several clients (they then share its per-host rate limiters). Set
// its fields before first use and do not change or copy it afterwards.
type RetryPolicy struct {
	// MaxAttempts is the number of tries, the first one included.
	// 0 means 4; 1 disables retries; a negative value is treated as 1.
	MaxAttempts int

	// BaseDelay and MaxDelay shape the exponential backoff used when the
	// server sends no Retry-After: the wait before try n+1 is drawn
	// uniformly from [0, min(MaxDelay, BaseDelay·2^(n-1))) ("full jitter").
	//
	// 0 means a BaseDelay of 1s and a MaxDelay of 30s. With the default four
	// tries the three waits are drawn from [0,1s), [0,2s) and [0,4s): at
	// most 7s, 3.5s on average, long enough to ride out a dropped connection
	// or a short overload, short enough for an interactive program, and the
	// jitter keeps many clients from coming back in lockstep. MaxDelay keeps
	// the growth bounded when MaxAttempts is raised.
	BaseDelay time.Duration
	MaxDelay  time.Duration

	// MaxElapsed is the time budget for all tries and waits of one request,
	// counted from the start of the first try. A wait that would end past
	// the budget is not started; the last response is returned instead.
	// 0 means 2 minutes, which leaves room for one Retry-After at its
	// default cap; a negative value means no budget.
	MaxElapsed time.Duration

	// MaxRetryAfter caps the wait the server may ask for with Retry-After.
	// A response asking for longer is not retried: it is returned at once,
	// unmodified, and RetryAfter reports the wait it asked for. 0 means 60s;
	// a negative value means a response carrying Retry-After is never
	// retried.
	MaxRetryAfter time.Duration

	// RetryNonIdempotent allows replaying requests whose method is not
	// idempotent (POST, PATCH, ...) even without an Idempotency-Key header.
	// The body must still be rebuildable through GetBody.
	RetryNonIdempotent bool

	// CheckRetry reports whether the outcome of a try (a response, or err
	// when the try failed) calls for another try. It is consulted after
	// every try but cannot widen what is replayable: a request that is not
	// replayable (see above) is never sent twice, and the policy still
	// applies MaxAttempts, MaxElapsed, MaxRetryAfter and the context
	// deadline. resp must not be read or closed. nil means
	// DefaultCheckRetry.
	CheckRetry func(req *http.Request, resp *http.Response, err error) bool

	// Backoff returns the wait before the next try when try number attempt
	// (1 for the first) has failed; resp is nil when the try failed with an
	// error. base and limit are the policy's BaseDelay and MaxDelay with their
	// defaults applied. A Retry-After the server sent acts as a floor on the
	// result. nil means DefaultBackoff.
	Backoff func(attempt int, base, limit time.Duration, resp *http.Response) time.Duration

	// OnRetry, when set, is called before each wait, for metrics. It must
	// not block.
	OnRetry func(RetryEvent)

	// NoPacing turns off the pacing to the rate limits servers advertise.
	// By default every response's RateLimit and RateLimit-Policy fields,
	// the older RateLimit-Limit/-Remaining/-Reset, X-RateLimit-* and the
	// Retry-After of a 429 or 503 feed a pacer per origin that spreads the
	// quota evenly over its window (and holds the origin when nothing is
	// left), instead of letting a burst run into 429s. An origin that has
	// sent none of these fields is not paced; while the first request to
	// an origin is in flight, others to it wait for its answer, up to a
	// second. A wait longer than MaxRetryAfter is not made: the try
	// fails at once with a *RateLimitError. Clients sharing a Store that
	// implements PaceStore share the pacing, across processes too.
	NoPacing bool

	// RetryBudget is the share of an origin's requests that may be retried
	// (Finagle's and Envoy's retry budgets): each first try adds
	// RetryBudget of a retry to the origin's budget, plus one retry a
	// second whatever the traffic, up to three saved up; each retry takes
	// one. A retry the budget cannot pay for is not made, so an outage
	// multiplies the load on the server by 1+RetryBudget at most, not by
	// MaxAttempts. A retry of a 429, or one the server asked for with
	// Retry-After, costs nothing: the pacer holds the whole origin until
	// the server's reset. 0 means 0.2; a negative value means no budget.
	RetryBudget float64

	// BreakAfter, when positive, gives each origin a circuit breaker
	// (sony/gobreaker): after BreakAfter tries in a row that failed with a
	// connection error, a timeout or a 5xx status, tries to that origin
	// fail at once with a *CircuitOpenError for BreakFor; then one probe
	// goes through, and its success closes the breaker. 0 means no
	// breaker: it is off by default because a session acts for one user
	// on few origins, where failing fast turns a server's short hiccup
	// into errors the caller would not have seen, and the retry budget
	// already bounds the load an outage adds. Turn it on for a fleet that
	// should stop knocking on a dead origin.
	BreakAfter int
	// BreakFor is how long an open breaker fails tries before a probe.
	// 0 means 2 seconds.
	BreakFor time.Duration

	// RateLimit, when positive, limits the tries sent to each host
	// (host:port of the request URL) to that many per second, with bursts of
	// RateBurst, so a program can stay under a site's limits before it is
	// told 429. Every try, replays included, takes a token; a replay waits
	// for the longer of its backoff and its token. 0 means no limit.
	// A host's limiter is kept while it holds state: once it has filled
	// up again to RateBurst it may be dropped, since a new one would act
	// the same, so a policy used for many hosts holds limiters only for
	// those it is pacing.
	// A wait for a token that would outlive the request's context deadline
	// fails with an error for which errors.Is(err, context.DeadlineExceeded)
	// holds.
	RateLimit rate.Limit
	// RateBurst is the per-host burst size; 0 means 1.
	RateBurst int

	// Sleep is every wait of the policy, between tries and for a rate
	// limit token; it must return ctx's error, early, if ctx ends first.
	// nil means a timer. MaxElapsed is measured on the wall clock, so a
	// wait that Sleep skips does not count towards it. Like Options.Now,
	// it is there for programs built on httpsession to test their own
	// Retry-After handling against real sockets (httptest servers), where
	// testing/synctest cannot move time.
	Sleep func(ctx context.Context, d time.Duration) error

	// mu guards limiters and sweepAt.
	mu       sync.Mutex
	limiters map[string]*rate.Limiter // by URL host, created on first use
	sweepAt  int                      // len(limiters) at which idle ones are dropped
}

// RetryEvent describes a retry about to happen. It is passed to
// RetryPolicy.OnRetry.
type RetryEvent struct {
	Method string
	// URL is the request's URL; do not modify it. It may carry credentials
	// (user info, query parameters): redact it before recording it.
	URL *url.URL
	// StatusCode is the status of the response being retried, or 0 when the
	// try failed with Err.
	StatusCode int
	Err        error
	// Attempt is the number of the try that just failed, 1 for the first.
	Attempt int
	// Wait is how long the policy will wait before the next try.
	Wait time.Duration
	// Source says what set Wait: "Retry-After", "backoff", or, for a
	// pacing wait, the server's field ("RateLimit r=0 t=1",
	// "x-ratelimit-reset").
	Source string
	// Pacing is true for a wait before try Attempt to keep to the
	// origin's advertised rate limit; StatusCode and Err are then zero.
	Pacing bool
}

// DefaultRetryPolicy returns a new policy with every default spelled out:
// 4 tries, backoff from 1s up to 30s with full jitter, a 2 minute budget,
// Retry-After honoured up to 60s, idempotent requests only, no rate limit.
// The hooks are set to DefaultCheckRetry and DefaultBackoff so they can be
// wrapped.
func DefaultRetryPolicy() *RetryPolicy {
	return &RetryPolicy{
		MaxAttempts:   defaultMaxAttempts,
		BaseDelay:     defaultBaseDelay,
		MaxDelay:      defaultMaxDelay,
		MaxElapsed:    defaultMaxElapsed,
		MaxRetryAfter: defaultMaxRetryAfter,
		CheckRetry:    DefaultCheckRetry,
		Backoff:       DefaultBackoff,
	}
}

// DefaultCheckRetry retries responses with status 429 (Too Many Requests),
// 502 (Bad Gateway), 503 (Service Unavailable) and 504 (Gateway Timeout), and
// connection errors: refused, reset or aborted connections, a connection
// closed before the response arrived, DNS failures marked temporary, and
// network timeouts. It never retries once the request's context is done,
// nor context errors, nor failed TLS handshakes over certificates or
// protocol (x509 errors, *tls.CertificateVerificationError, TLS alerts, a
// server that does not speak TLS): those do not heal by trying again.
func DefaultCheckRetry(req *http.Request, resp *http.Response, err error) bool {
	if err == nil {
		if resp == nil {
			return false
		}
		switch resp.StatusCode {
		case http.StatusTooManyRequests, http.StatusBadGateway,
			http.StatusServiceUnavailable, http.StatusGatewayTimeout:
			return true
		}
		return false
	}
	if req != nil && req.Context().Err() != nil {
		return false
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return false
	}
	if isTLSVerifyError(err) {
		return false
	}
	return isRetryableConnError(err)
}

// isTLSVerifyError reports whether err comes from a TLS handshake that
// failed over a certificate or the protocol.
func isTLSVerifyError(err error) bool {
	var (
		verifyErr    *tls.CertificateVerificationError
		recordErr    tls.RecordHeaderError
		alertErr     tls.AlertError
		unknownAuth  x509.UnknownAuthorityError
		hostnameErr  x509.HostnameError
		invalidErr   x509.CertificateInvalidError
		systemRoots  x509.SystemRootsError
		constraints  x509.ConstraintViolationError
		insecureAlgo x509.InsecureAlgorithmError
	)
	return errors.As(err, &verifyErr) || errors.As(err, &recordErr) ||
		errors.As(err, &alertErr) || errors.As(err, &unknownAuth) ||
		errors.As(err, &hostnameErr) || errors.As(err, &invalidErr) ||
		errors.As(err, &systemRoots) || errors.As(err, &constraints) ||
		errors.As(err, &insecureAlgo)
}

// isRetryableConnError reports whether err is a connection failure that a
// new connection may not see.
func isRetryableConnError(err error) bool {
	switch {
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF),
		errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.ECONNREFUSED),
		errors.Is(err, syscall.ECONNABORTED), errors.Is(err, syscall.EPIPE):
		return true
	}
	var dnsErr *net.DNSError
	if errors.As(err, &dnsErr) {
		return dnsErr.IsTemporary || dnsErr.IsTimeout
	}
	if isDialError(err) {
		return true
	}
	var netErr net.Error
	return errors.As(err, &netErr) && netErr.Timeout()
}

// isDialError reports whether err is a failure to connect (refused, no
// route, a DNS failure): the request was never sent.
func isDialError(err error) bool {
	var opErr *net.OpError
	return errors.As(err, &opErr) && opErr.Op == "dial"
}

// DefaultBackoff returns a wait drawn uniformly from
// [0, min(limit, base·2^(attempt-1))): exponential backoff with full jitter.
// It ignores resp; the policy applies Retry-After itself.
func DefaultBackoff(attempt int, base, limit time.Duration, resp *http.Response) time.Duration {
	if base <= 0 || limit <= 0 {
		return 0
	}
	ceiling := min(base, limit)
	for i := 1; i < attempt && ceiling < limit; i++ {
		if ceiling > limit/2 {
			ceiling = limit
			break
		}
		ceiling *= 2
	}
	return time.Duration(rand.Int64N(int64(ceiling)))
}

// RetryAfter reports the wait resp's Retry-After header asks for (RFC 9110
// section 10.2.3), measured from now. It accepts delay-seconds and every
// HTTP-date form http.ParseTime does; a date is read against the
// response's Date when the two clocks differ by more than two seconds,
// as the server meant it whatever the skew. A date in the past or "0" gives
// (0, true); a missing, negative or malformed value gives (0, false).
//
// Use it on a 429 or 503 (the statuses that carry Retry-After) the policy
// returned without retrying because the server asked for a wait above
// MaxRetryAfter.
func RetryAfter(resp *http.Response) (time.Duration, bool) {
	if resp == nil {
		return 0, false
	}
	return parseRetryAfter(resp.Header.Get("Retry-After"), serverNow(resp.Header, time.Now()))
}

// parseRetryAfter parses a Retry-After value relative to now.
func parseRetryAfter(v string, now time.Time) (time.Duration, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	if isDigits(v) {
		// RFC 9110: delay-seconds = 1*DIGIT. Values too large for a
		// Duration saturate; they are far above any cap anyway.
		secs, err := strconv.ParseInt(v, 10, 64)
		if err != nil || secs > int64(maxDuration/time.Second) {
			return maxDuration, true
		}
		return time.Duration(secs) * time.Second, true
	}
	t, err := http.ParseTime(v)
	if err != nil {
		return 0, false
	}
	// Sub saturates at maxDuration for a date some 292 years ahead (the
	// year 2700 is a valid HTTP-date): that is far above any cap, and
	// must stay so rather than wrap when rounded up below.
	d := t.Sub(now)
	switch {
	case d < 0:
		return 0, true
	case d > maxDuration-time.Second:
		return maxDuration, true
	}
	// Retry-After has a one second resolution; round up so a client does
	// not come back just before the moment the server named.
	if r := d % time.Second; r != 0 {
		d += time.Second - r
	}
	return d, true
}

const maxDuration = time.Duration(1<<63 - 1)

// replayable reports whether req may be sent again after the outcome resp,
// err: its body can be rebuilt, and its method is idempotent or it carries
// an idempotency key (or nonIdempotent allows any method) — or the last try
// never reached the server because the connection could not be made, so
// nothing was sent that a replay could repeat.
func replayable(req *http.Request, nonIdempotent bool, resp *http.Response, err error) bool {
	if !canRewind(req) {
		return false
	}
	if nonIdempotent || (resp == nil && isDialError(err)) {
		return true
	}
	switch req.Method {
	case "", http.MethodGet, http.MethodHead, http.MethodOptions,
		http.MethodTrace, http.MethodPut, http.MethodDelete:
		return true
	}
	return req.Header.Get("Idempotency-Key") != "" || req.Header.Get("X-Idempotency-Key") != ""
}

// do sends req through attempt, once per try, until a try succeeds, the
// outcome is not worth retrying, or a limit is reached. attempt sends one
// request and returns its response, as http.RoundTripper does. log, when not
// nil, receives one debug record per retry.
//
// It returns the last response unmodified, or the last error. A wait ended
// by the request's context gives an error wrapping the context's error. A
// nil policy tries once.
func (p *RetryPolicy) do(req *http.Request, log *slog.Logger, attempt func(*http.Request) (*http.Response, error)) (*http.Response, error) {
	return p.doListening(req, log, nil, attempt)
}

// doListening is do with every try sent through l (pacing, breaker) and
// every retry paid from l's budget; a nil l is none of these.
func (p *RetryPolicy) doListening(req *http.Request, log *slog.Logger, l *listener, attempt func(*http.Request) (*http.Response, error)) (*http.Response, error) {
	if p == nil {
		return attempt(req)
	}
	if p.RateLimit > 0 {
		if err := p.rateWait(req); err != nil {
			closeRequestBody(req)
			return nil, err
		}
	}
	maxAttempts := p.maxAttempts()
	if maxAttempts <= 1 {
		return l.try(p, req, 1, false, attempt)
	}
	start := time.Now()
	resp, err := l.try(p, req, 1, false, attempt)
	if !p.checkRetry(req, resp, err) {
		return resp, err
	}
	return p.retry(req, log, l, attempt, start, maxAttempts, resp, err)
}

// retry is do's slow path, entered once the first try's outcome calls for a
// retry.
func (p *RetryPolicy) retry(req *http.Request, log *slog.Logger, l *listener, attempt func(*http.Request) (*http.Response, error),
	start time.Time, maxAttempts int, resp *http.Response, err error) (*http.Response, error) {
	ctx := req.Context()
	for n := 1; ; n++ {
		if n > 1 && !p.checkRetry(req, resp, err) {
			return resp, err
		}
		if !replayable(req, p.RetryNonIdempotent, resp, err) {
			return resp, err
		}
		if n >= maxAttempts {
			return resp, err
		}
		next, wait, source, token, ok := p.nextTry(req, log, l, start, n, resp)
		if !ok {
			return resp, err
		}
		status := statusOf(resp)
		if p.OnRetry != nil {
			p.OnRetry(RetryEvent{Method: req.Method, URL: req.URL, StatusCode: status, Err: err, Attempt: n, Wait: wait, Source: source})
		}
		p.logf(ctx, log, "httpsession: retrying", req, status, n, wait)
		if resp != nil {
			drainAndClose(resp.Body)
		}
		waitStart := time.Now()
		if werr := p.wait(ctx, wait); werr != nil {
			if token != nil {
				token.CancelAt(time.Now())
			}
			closeRequestBody(next)
			return nil, fmt.Errorf("httpsession: retry wait: %w", werr)
		}
		l.waited(wait, waitStart)
		// The wait just made honoured the Retry-After that also holds
		// the origin's pacer: this try takes its slot without waiting
		// for the hold again.
		resp, err = l.try(p, next, n+1, source == "Retry-After", attempt)
	}
}

// nextTry decides on try n+1 after the outcome resp of try n (nil after
// an error): the wait and its source, within every cap and budget, the
// rate limit token taken for it (nil for none) and the request rewound.
// ok is false for no retry, with no token held.
func (p *RetryPolicy) nextTry(req *http.Request, log *slog.Logger, l *listener, start time.Time, n int, resp *http.Response) (next *http.Request, wait time.Duration, source string, token *rate.Reservation, ok bool) {
	ctx := req.Context()
	now, status := time.Now(), statusOf(resp)
	wait, source, asked, ok := p.nextWait(n, resp, now)
	if !ok {
		p.logf(ctx, log, "httpsession: Retry-After above cap, not retrying", req, status, n, wait)
		return nil, 0, "", nil, false
	}
	// The replay takes a rate limit token like any try; reserving it
	// now folds its delay into this wait, so that a wait refused below
	// still leaves the caller the last response.
	if p.RateLimit > 0 {
		token = p.reserve(req.URL.Host, now)
		wait = max(wait, token.DelayFrom(now))
	}
	next, ok = p.retryAllowed(req, start, now, wait)
	if ok && !l.mayRetry(req, status, asked) {
		p.logf(ctx, log, "httpsession: retry budget spent, not retrying", req, status, n, 0)
		closeRequestBody(next)
		ok = false
	}
	if !ok {
		if token != nil {
			token.CancelAt(now)
		}
		return nil, 0, "", nil, false
	}
	return next, wait, source, token, true
}

// statusOf is resp's status, 0 for none.
func statusOf(resp *http.Response) int {
	if resp == nil {
		return 0
	}
	return resp.StatusCode
}

// nextWait returns the wait before try n+1 after the outcome resp of try n
// (nil after an error): the longer of the Retry-After the server asked for
// and the backoff, with its source, and whether the server asked. ok is
// false when the Retry-After is above the cap; wait is then what it asked.
func (p *RetryPolicy) nextWait(n int, resp *http.Response, now time.Time) (wait time.Duration, source string, asked, ok bool) {
	source = "backoff"
	if resp != nil {
		if askedFor, found := parseRetryAfter(resp.Header.Get("Retry-After"), serverNow(resp.Header, now)); found {
			if capped := p.maxRetryAfter(); capped < 0 || askedFor > capped {
				return askedFor, "Retry-After", true, false
			}
			wait, source, asked = askedFor, "Retry-After", true
		}
	}
	backoff := p.Backoff
	if backoff == nil {
		backoff = DefaultBackoff
	}
	if b := backoff(n, p.baseDelay(), p.maxDelay(), resp); b > wait {
		wait, source = b, "backoff"
	}
	return wait, source, asked, true
}

// retryAllowed reports whether a wait of d, starting now, fits the time
// budget and the context deadline, and if so returns req ready to be sent
// again.
func (p *RetryPolicy) retryAllowed(req *http.Request, start, now time.Time, d time.Duration) (*http.Request, bool) {
	// Compared without adding to d, which a Retry-After or a Backoff hook
	// may make large enough to overflow.
	if budget := p.maxElapsed(); budget >= 0 {
		elapsed := max(now.Sub(start), 0)
		if elapsed > budget || d > budget-elapsed {
			return nil, false
		}
	}
	// Like rate.Limiter.Wait: do not start a wait the context would cut
	// short. Deadlines are on the wall clock, so compare with the real one.
	if deadline, ok := req.Context().Deadline(); ok && d >= time.Until(deadline) {
		return nil, false
	}
	next, err := rewindBody(req)
	if err != nil {
		return nil, false
	}
	return next, true
}

func (p *RetryPolicy) checkRetry(req *http.Request, resp *http.Response, err error) bool {
	if p.CheckRetry != nil {
		return p.CheckRetry(req, resp, err)
	}
	return DefaultCheckRetry(req, resp, err)
}

func (p *RetryPolicy) maxAttempts() int {
	switch {
	case p.MaxAttempts == 0:
		return defaultMaxAttempts
	case p.MaxAttempts < 0:
		return 1
	}
	return p.MaxAttempts
}

func (p *RetryPolicy) baseDelay() time.Duration { return cmp.Or(p.BaseDelay, defaultBaseDelay) }

func (p *RetryPolicy) maxDelay() time.Duration { return cmp.Or(p.MaxDelay, defaultMaxDelay) }

func (p *RetryPolicy) maxElapsed() time.Duration { return cmp.Or(p.MaxElapsed, defaultMaxElapsed) }

func (p *RetryPolicy) retryShare() float64 { return cmp.Or(p.RetryBudget, defaultRetryShare) }

func (p *RetryPolicy) breakFor() time.Duration { return cmp.Or(p.BreakFor, defaultBreakFor) }

func (p *RetryPolicy) maxRetryAfter() time.Duration {
	return cmp.Or(p.MaxRetryAfter, defaultMaxRetryAfter)
}

// wait blocks for d or until ctx is done, whichever comes first.
func (p *RetryPolicy) wait(ctx context.Context, d time.Duration) error {
	if p.Sleep != nil {
		return p.Sleep(ctx, d)
	}
	return sleepContext(ctx, d)
}

// sleepContext waits for d on a timer it stops on return, or until ctx is
// done, returning ctx's error.
func sleepContext(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// logf records a retry decision at debug level: method, redacted URL,
// status (0 for a transport error), attempt and wait, nothing else.
func (p *RetryPolicy) logf(ctx context.Context, log *slog.Logger, msg string, req *http.Request, status, attempt int, wait time.Duration) {
	if log == nil || !log.Enabled(ctx, slog.LevelDebug) {
		return
	}
	log.LogAttrs(ctx, slog.LevelDebug, msg,
		slog.String("method", req.Method),
		slog.String("url", redact.URL(req.URL)),
		slog.Int("status", status),
		slog.Int("attempt", attempt),
		slog.Duration("wait", wait))
}
