package httpsession

import (
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// A RateLimitError is returned, without sending the request, when the
// origin's rate limit, as the server advertised it, asks for a wait longer
// than RetryPolicy.MaxRetryAfter. Wait is how long the server asked for;
// Source names the field that said so ("RateLimit r=0 t=3600",
// "x-ratelimit-reset", "Retry-After").
type RateLimitError struct {
	Origin string
	Wait   time.Duration
	Source string
}

func (e *RateLimitError) Error() string {
	return fmt.Sprintf("httpsession: %s asks to wait %v (%s), more than the retry policy's cap: not sent", e.Origin, e.Wait, e.Source)
}

// A PaceRequest asks for the next send slot of one rate-limit bucket. It is
// computed by the pacer from the latest signal the bucket's origin sent,
// and is all a PaceStore needs to share the pacing of several processes.
// Times are durations from the moment the store takes the request (its own
// clock, so machines need not agree on the time).
//
// The slot is the latest of: now, the bucket's next free slot, now+Hold,
// and now+Reset when Remaining is 0. Taking the slot moves the bucket's
// next free slot to slot+Interval. A slot further than Max from now is not
// taken.
type PaceRequest struct {
	Interval  time.Duration // spacing of sends: the quota spread over its window
	Hold      time.Duration // no send before now+Hold (Retry-After, r=0)
	Remaining int64         // what the server said is left; -1 when unknown
	Reset     time.Duration // when Remaining renews, from now; 0 when unknown
	Max       time.Duration // the longest wait the caller accepts
}

// slot applies r at now to a bucket whose next free slot is next. It
// returns the slot and the bucket's new next free slot, or ok false when
// the slot is further than r.Max away (next then stays as it was).
func (r PaceRequest) slot(now, next time.Time) (slot, newNext time.Time, ok bool) {
	slot = now
	if next.After(slot) && next.Sub(now) <= maxReset {
		slot = next // a next slot beyond maxReset is a broken record: ignored
	}
	if r.Hold > 0 {
		slot = later(slot, now.Add(r.Hold))
	}
	if r.Remaining == 0 && r.Reset > 0 {
		slot = later(slot, now.Add(r.Reset))
	}
	if slot.Sub(now) > r.Max {
		return slot, next, false
	}
	return slot, slot.Add(r.Interval), true
}

func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// paceMargin widens the interval derived from a policy's quota and window
// by 6%, so that the jitter of timers and of the network (a send a few tens
// of milliseconds late on a loaded machine) never puts one request too many
// into a server's window.
const paceMargin = 1.06

// pacer spreads each origin's advertised quota over its window. An origin
// is paced once it has sent a signal; until then its requests go out at
// once (after its first answer, see contact) and cost a map lookup.
type pacer struct {
	active atomic.Bool // some origin has sent a signal
	shared PaceStore   // nil: this process alone
	log    *slog.Logger
	warned atomic.Bool // the shared state failed once and was logged

	// mu guards origins, routes, last and contacts.
	mu      sync.Mutex
	origins map[paceKey]*paceState
	// routes names the bucket the latest response to a path's first
	// segment named, and last the latest one of each origin, for the
	// paths that have none yet: so that endpoints with quotas of their
	// own on one origin (GitHub's search and core) are paced apart.
	routes map[routeKey]string
	last   map[originKey]string
	// contacts holds, for each origin this process has sent to, a channel
	// closed once the first request's answer is in.
	contacts map[originKey]chan struct{}
}

// maxContacts bounds the origins whose first contact is remembered; past
// it, the answered ones are forgotten (a later request to one of them is
// a first contact again, which costs nothing).
const maxContacts = 4096

// contact returns once req's origin has answered a first request, and
// returns a first, nil, when req is that first request: the caller must
// call it once the answer is in. While the first request to an origin is
// in flight, the others to it wait for its answer, which may carry the
// origin's quota: so a burst of concurrent first requests does not run
// past a quota nobody has read yet. The wait ends with req's context, and
// after maxContactWait.
func (p *pacer) contact(req *http.Request, k originKey) (first func(), err error) {
	p.mu.Lock()
	ch, ok := p.contacts[k]
	if !ok {
		if p.contacts == nil {
			p.contacts = make(map[originKey]chan struct{})
		}
		if len(p.contacts) >= maxContacts {
			for k, ch := range p.contacts {
				select {
				case <-ch:
					delete(p.contacts, k)
				default:
				}
			}
		}
		ch = make(chan struct{})
		p.contacts[k] = ch
	}
	p.mu.Unlock()
	if !ok {
		return func() { close(ch) }, nil
	}
	select {
	case <-ch:
		return nil, nil
	default:
	}
	t := time.NewTimer(maxContactWait)
	defer t.Stop()
	select {
	case <-ch:
		return nil, nil
	case <-t.C:
		return nil, nil // a slow first answer: go unpaced
	case <-req.Context().Done():
		return nil, fmt.Errorf("httpsession: waiting for the first answer of %s: %w", k, req.Context().Err())
	}
}

// maxContactWait bounds the wait for an origin's first answer: a server
// slow to answer one request does not hold the others for long.
const maxContactWait = time.Second

type originKey struct{ scheme, host string }

// A paceKey names a bucket of an origin.
type paceKey struct {
	origin originKey
	bucket string
}

// A routeKey names the first segment of a path on an origin.
type routeKey struct {
	origin  originKey
	segment string
}

// firstSegment returns the first segment of u's path ("search" for
// "/search/issues").
func firstSegment(u *url.URL) string {
	seg := strings.TrimPrefix(u.Path, "/")
	if i := strings.IndexByte(seg, '/'); i >= 0 {
		seg = seg[:i]
	}
	return seg
}

func (k originKey) String() string { return k.scheme + "://" + k.host }

// paceState is what the pacer knows of one bucket of an origin: the latest
// signal it followed, and the next free slot when the pacing is local.
type paceState struct {
	bucket    string
	sent      time.Time // when the request whose signal is followed was sent
	remaining int64
	resetAt   time.Time // zero when unknown
	hold      time.Time // Retry-After
	quota     int64
	window    time.Duration
	interval  time.Duration
	source    string
	next      time.Time // local next free slot
	expires   time.Time // forgotten after this
}

func keyOf(r *http.Request) originKey {
	return originKey{strings.ToLower(r.URL.Scheme), strings.ToLower(r.URL.Host)}
}

// observe records the signal of a response to a request sent at sent.
func (p *pacer) observe(req *http.Request, resp *http.Response, sent, now time.Time) {
	sig, ok := readSignal(resp.Header, resp.StatusCode, now)
	if !ok {
		return
	}
	k := keyOf(req)
	route := routeKey{k, firstSegment(req.URL)}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.origins == nil {
		p.origins = make(map[paceKey]*paceState)
		p.routes = make(map[routeKey]string)
		p.last = make(map[originKey]string)
	}
	bucket := sig.bucket
	if sig.remaining < 0 {
		// A Retry-After alone names no bucket: it holds the path's.
		bucket = p.bucketOf(route)
	}
	pk := paceKey{k, bucket}
	st := p.origins[pk]
	if st == nil {
		if len(p.origins) >= minSweep || len(p.routes) >= minSweep {
			p.dropExpired(now)
		}
		st = &paceState{remaining: -1}
		p.origins[pk] = st
		p.active.Store(true)
	}
	p.routes[route] = bucket
	p.last[k] = bucket
	st.update(sig, sent, now)
}

// bucketOf returns the bucket that paces route: the one its latest answer
// named, or else the origin's latest. p.mu must be held.
func (p *pacer) bucketOf(route routeKey) string {
	if b, ok := p.routes[route]; ok {
		return b
	}
	return p.last[route.origin]
}

// update folds sig, from the response to a request sent at sent, into st.
// A response to a request sent before the one st follows is older news:
// only its Retry-After and policy count.
func (st *paceState) update(sig signal, sent, now time.Time) {
	if sig.retryAfter >= 0 {
		st.hold = later(st.hold, now.Add(sig.retryAfter))
		st.source = sig.source
	}
	if sig.quota > 0 && sig.window > 0 {
		st.quota, st.window = sig.quota, sig.window
	}
	if sig.remaining >= 0 {
		st.follow(sig, sent, now)
	}
	st.expires = later(later(st.resetAt, st.hold), now).Add(max(st.window, time.Minute))
}

// follow takes sig's remaining quota and reset as the ones to pace by,
// unless it is older news than what st follows.
func (st *paceState) follow(sig signal, sent, now time.Time) {
	var resetAt time.Time
	same := false
	if sig.reset >= 0 {
		resetAt = now.Add(sig.reset)
		same = st.sameWindow(sig, resetAt, now)
	}
	// Within one window the least remaining is the latest news, whatever
	// the order the responses came in (the server counts concurrent
	// requests in an order of its own). Otherwise a response to a request
	// sent before the one followed is older news.
	if !same && sent.Before(st.sent) {
		return
	}
	switch {
	case same:
		// Reset counts whole seconds, rounded up by most servers: within
		// one window, the earliest reset named is the closest.
		resetAt = st.resetAt
	case sig.reset >= 0 && sig.window == 0 && sig.quota > 0 && !st.resetAt.IsZero():
		// Without a window, a fixed window's length shows as the step
		// between two resets. Rounding makes a step a second too long at
		// times: the shortest one seen counts.
		if step := resetAt.Sub(st.resetAt).Round(time.Second); step >= time.Second && (st.window == 0 || step < st.window) {
			st.quota, st.window = sig.quota, step
		}
	}
	if st.window == 0 && sig.quota > 0 && sig.reset >= 0 {
		// A quota with no window: the window is at least as long as the
		// time to its reset; until two resets show its length, take the
		// next of a second, a minute, an hour or a day. Too long a guess
		// paces slower than allowed, never faster.
		st.quota, st.window = sig.quota, guessWindow(sig.reset)
	}
	st.bucket, st.sent, st.remaining, st.resetAt = sig.bucket, sent, sig.remaining, resetAt
	if sig.retryAfter < 0 {
		st.source = sig.source
	}
	first := st.interval == 0
	if spread := st.spread(sig); spread > 0 {
		st.interval = time.Duration(float64(spread) * paceMargin)
	}
	if first && st.interval > 0 {
		// The request that brought the first signal went out unpaced:
		// it took the first slot.
		st.hold = later(st.hold, sent.Add(st.interval))
	}
}

// guessWindow returns the shortest of a second, a minute, an hour and a
// day that is at least d.
func guessWindow(d time.Duration) time.Duration {
	for _, w := range []time.Duration{time.Second, time.Minute, time.Hour} {
		if d <= w {
			return w
		}
	}
	return maxReset
}

// spread is the time between two sends that keeps to the quota: the quota
// spread over its window; or what is left spread over the time left, when
// no window is known, or when that is more than twice as fast and the
// reset a minute away or more (a daily quota with much left): the server
// grants both. Closer to a reset the window's rate is kept: what is left
// does not count the sends already scheduled, which would spill into the
// next window.
func (st *paceState) spread(sig signal) time.Duration {
	var spread time.Duration
	if st.quota > 0 && st.window > 0 {
		spread = st.window / time.Duration(st.quota)
	}
	if sig.remaining > 0 && sig.reset > 0 {
		if left := sig.reset / time.Duration(sig.remaining); spread == 0 || (left < spread/2 && sig.reset >= time.Minute) {
			spread = left
		}
	}
	return spread
}

// sameWindow reports whether a signal saying sig.remaining is left until
// resetAt is about the window st knows: nothing was given back and the
// reset is less than a second (its rounding) later than st's, which is
// still ahead.
func (st *paceState) sameWindow(sig signal, resetAt, now time.Time) bool {
	return !st.resetAt.IsZero() && st.resetAt.After(now) && st.bucket == sig.bucket &&
		sig.remaining <= st.remaining && !resetAt.Before(st.resetAt) && resetAt.Sub(st.resetAt) < time.Second
}

// dropExpired forgets the origins that have sent nothing for long.
// p.mu must be held.
func (p *pacer) dropExpired(now time.Time) {
	for k, st := range p.origins {
		if now.After(st.expires) {
			delete(p.origins, k)
		}
	}
	for r, b := range p.routes {
		if p.origins[paceKey{r.origin, b}] == nil {
			delete(p.routes, r)
		}
	}
	for o, b := range p.last {
		if p.origins[paceKey{o, b}] == nil {
			delete(p.last, o)
		}
	}
}

// request returns the PaceRequest of req's origin at now, its shared key
// and the source of its pacing; ok false when the origin is not paced.
func (p *pacer) request(route routeKey, now time.Time, limit time.Duration) (r PaceRequest, pk paceKey, source string, ok bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	pk = paceKey{route.origin, p.bucketOf(route)}
	st := p.origins[pk]
	if st == nil {
		return r, pk, "", false
	}
	if now.After(st.expires) {
		delete(p.origins, pk)
		return r, pk, "", false
	}
	r = PaceRequest{Interval: st.interval, Remaining: st.remaining, Max: limit}
	if st.hold.After(now) {
		r.Hold = st.hold.Sub(now)
	}
	if !st.resetAt.IsZero() && st.remaining >= 0 {
		r.Reset = st.resetAt.Sub(now)
	}
	return r, pk, st.source, true
}

// reserveLocal takes the next slot of bucket pk from the local state.
func (p *pacer) reserveLocal(pk paceKey, r PaceRequest, now time.Time) (wait time.Duration, release func(), ok bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	st := p.origins[pk]
	if st == nil {
		return 0, func() {}, true
	}
	slot, next, ok := r.slot(now, st.next)
	if !ok {
		return slot.Sub(now), nil, false
	}
	st.next = next
	return slot.Sub(now), func() {
		p.mu.Lock()
		defer p.mu.Unlock()
		// Like rate.Reservation.Cancel: the slot goes back when no later
		// one was handed out meanwhile.
		if st.next.Equal(next) {
			st.next = slot
		}
	}, true
}

// reserve takes the next send slot of req's origin at now. It returns the wait
// before sending, a release that gives the slot back (nil when there is
// nothing to give back), and the source of the wait. A wait above limit is
// a *RateLimitError, and nothing is reserved. skipHold leaves out the hold
// of a Retry-After the caller has waited out already.
func (p *pacer) reserve(req *http.Request, now time.Time, limit time.Duration, skipHold bool) (wait time.Duration, release func(), source string, err error) {
	if p == nil || !p.active.Load() {
		return 0, nil, "", nil
	}
	k := keyOf(req)
	r, pk, source, ok := p.request(routeKey{k, firstSegment(req.URL)}, now, limit)
	if !ok {
		return 0, nil, "", nil
	}
	if skipHold {
		r.Hold = 0
	}
	if r.Interval == 0 && r.Hold == 0 && (r.Remaining != 0 || r.Reset <= 0) {
		return 0, nil, "", nil // nothing to keep to: no store traffic
	}
	ok = false
	if p.shared != nil {
		var serr error
		wait, release, serr = p.shared.ReservePace(req.Context(), k.String()+" "+pk.bucket, r)
		switch {
		case serr == nil:
			ok = wait <= limit
		case req.Context().Err() != nil:
			return 0, nil, source, serr
		default:
			if p.warned.CompareAndSwap(false, true) {
				p.log.Warn("httpsession: shared rate-limit state unreachable, pacing this process alone", "err", serr)
			}
			wait, release, ok = p.reserveLocal(pk, r, now)
		}
	} else {
		wait, release, ok = p.reserveLocal(pk, r, now)
	}
	if !ok {
		if release != nil {
			release()
		}
		return 0, nil, source, &RateLimitError{Origin: k.String(), Wait: wait, Source: source}
	}
	return wait, release, source, nil
}
