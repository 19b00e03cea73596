package redisstore

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// The lease is a key set with SET NX PX to a random value that only its
// holder knows; renewing and releasing compare that value first, so a
// holder whose lease expired and was taken by another worker can touch
// neither.
var (
	// renewScript extends the lease if it is still ours: KEYS[1] lease,
	// ARGV[1] our value, ARGV[2] TTL in ms.
	renewScript = redis.NewScript(`
if redis.call("GET", KEYS[1]) == ARGV[1] then
	return redis.call("PEXPIRE", KEYS[1], ARGV[2])
end
return 0`)

	// releaseScript deletes the lease if it is still ours and tells the
	// waiters: KEYS[1] lease, ARGV[1] our value, ARGV[2] the channel.
	releaseScript = redis.NewScript(`
if redis.call("GET", KEYS[1]) == ARGV[1] then
	redis.call("DEL", KEYS[1])
	redis.call("PUBLISH", ARGV[2], "released")
	return 1
end
return 0`)
)

func (s *Store) leaseTTL() time.Duration {
	if s.LeaseTTL > 0 {
		return s.LeaseTTL
	}
	return DefaultLeaseTTL
}

func (s *Store) pollInterval() time.Duration {
	if s.PollInterval > 0 {
		return s.PollInterval
	}
	return DefaultPollInterval
}

// LockRefresh implements httpsession.RefreshLocker with a lease: a key set
// with SET NX PX to a random value, renewed every LeaseTTL/3 while held
// (for at most MaxHold) and deleted by unlock only if it still holds that
// value. A waiter subscribes to the lease's release channel and tries
// again when a release is published, when the lease's TTL runs out (its
// holder died) or, at the latest, after PollInterval; it never spins. It
// returns ctx's error when ctx ends first, and an *Error (matching
// ErrUnavailable when Redis is down) when Redis fails.
//
// unlock releases the lease; it is safe to call more than once and does
// not block for longer than Timeout. A failed release is logged, and the
// lease then expires after LeaseTTL.
func (s *Store) LockRefresh(ctx context.Context) (unlock func(), err error) {
	var b [16]byte
	rand.Read(b[:])
	val := hex.EncodeToString(b[:])
	ttl := s.leaseTTL()

	var w *waker
	defer func() {
		if w != nil {
			w.close()
		}
	}()
	for {
		ok, err := s.setNX(ctx, val, ttl)
		if err != nil {
			return nil, s.ctxOr(ctx, "lock refresh", err)
		}
		if ok {
			return s.hold(val), nil
		}
		if w == nil && !s.NoPubSub {
			// Subscribe, then try again at once: a release published
			// before the subscription took effect would be missed.
			if w, err = s.subscribe(ctx); err != nil {
				return nil, s.ctxOr(ctx, "lock refresh", err)
			}
			continue
		}
		wait := s.pollInterval()
		if !s.NoPubSub {
			// The holder may die without releasing: try again when
			// its lease runs out.
			left, err := s.pttl(ctx)
			if err != nil {
				return nil, s.ctxOr(ctx, "lock refresh", err)
			}
			switch {
			case left == -2: // go-redis passes PTTL's -2 and -1 through as they are
				continue // released meanwhile: try now
			case left >= 0:
				wait = min(wait, left+time.Millisecond)
			}
			// Otherwise a key without a TTL that no lease of ours set:
			// poll.
		}
		if err := w.wait(ctx, wait); err != nil {
			return nil, err
		}
	}
}

// setNX tries to take the lease, within Timeout.
func (s *Store) setNX(ctx context.Context, val string, ttl time.Duration) (bool, error) {
	ctx, cancel := context.WithTimeout(ctx, s.timeout())
	defer cancel()
	return s.rdb.SetNX(ctx, s.lease, val, ttl).Result()
}

// pttl returns the time left on the lease, within Timeout.
func (s *Store) pttl(ctx context.Context) (time.Duration, error) {
	ctx, cancel := context.WithTimeout(ctx, s.timeout())
	defer cancel()
	return s.rdb.PTTL(ctx, s.lease).Result()
}

// ctxOr returns ctx's error when ctx has ended (the Redis error is then
// only its consequence), and an *Error for op otherwise.
func (s *Store) ctxOr(ctx context.Context, op string, err error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	return s.error(op, err)
}

// hold starts renewing the lease val and returns its release.
func (s *Store) hold(val string) (unlock func()) {
	ttl := s.leaseTTL()
	maxHold := s.MaxHold
	if maxHold <= 0 {
		maxHold = DefaultMaxHold
	}
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		tick := time.NewTicker(ttl / 3)
		defer tick.Stop()
		limit := time.NewTimer(maxHold)
		defer limit.Stop()
		for {
			select {
			case <-stop:
				return
			case <-limit.C:
				s.log().Warn("redisstore: refresh lease held too long; no longer renewed", "key", s.lease, "max_hold", maxHold)
				return
			case <-tick.C:
				ctx, cancel := context.WithTimeout(context.Background(), s.timeout())
				n, err := renewScript.Run(ctx, s.rdb, []string{s.lease}, val, ttl.Milliseconds()).Int()
				cancel()
				switch {
				case err != nil:
					s.log().Warn("redisstore: renewing the refresh lease failed", "key", s.lease, "error", err)
				case n == 0:
					s.log().Warn("redisstore: refresh lease lost before its release", "key", s.lease)
					return
				}
			}
		}
	}()
	var once sync.Once
	return func() {
		once.Do(func() {
			close(stop)
			<-done
			ctx, cancel := context.WithTimeout(context.Background(), s.timeout())
			defer cancel()
			if err := releaseScript.Run(ctx, s.rdb, []string{s.lease}, val, s.channel).Err(); err != nil {
				s.log().Warn("redisstore: releasing the refresh lease failed; it expires by itself",
					"key", s.lease, "error", s.error("unlock refresh", err))
			}
		})
	}
}

// A waker wakes a LockRefresh waiter when the lease is released. A nil
// *waker only times out.
type waker struct {
	ps *redis.PubSub
	ch <-chan *redis.Message
}

func (s *Store) subscribe(ctx context.Context) (*waker, error) {
	ctx, cancel := context.WithTimeout(ctx, s.timeout())
	defer cancel()
	ps := s.rdb.Subscribe(ctx, s.channel)
	// Receive waits for the confirmation, so that a release published
	// from now on reaches us.
	if _, err := ps.Receive(ctx); err != nil {
		ps.Close()
		return nil, err
	}
	return &waker{ps: ps, ch: ps.Channel()}, nil
}

// wait returns when a release is announced, after d, or with ctx's error
// when ctx ends first.
func (w *waker) wait(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	var ch <-chan *redis.Message
	if w != nil {
		ch = w.ch
	}
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	case _, ok := <-ch:
		if !ok {
			w.ch = nil // closed: poll from now on
		}
		return nil
	}
}

func (w *waker) close() { w.ps.Close() }
