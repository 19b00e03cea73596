package redisstore

import (
	"context"
	"fmt"
	"time"

	"github.com/httpsession/httpsession"
	"github.com/redis/go-redis/v9"
)

var _ httpsession.PaceStore = (*Store)(nil)

// Pacing: each rate-limit bucket's next free send slot is a key of its
// own, "{K}:pace:" followed by the bucket (origin and policy), holding
// microseconds on the Redis server's clock (so the workers' clocks need
// not agree), expiring a minute after the slot. One script call per
// paced request takes the slot: one round trip, and none for origins
// that never sent a rate-limit signal.
var (
	// paceScript is httpsession.PaceRequest's rule: KEYS[1] the bucket;
	// ARGV interval, hold, remaining, reset, max (µs; remaining a count,
	// -1 when unknown). It returns {wait, slot} in µs, slot 0 when
	// the slot was further than max and not taken.
	paceScript = redis.NewScript(`
local t = redis.call("TIME")
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local interval, hold = tonumber(ARGV[1]), tonumber(ARGV[2])
local remaining, reset, maxwait = tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5])
local slot = now
local nxt = tonumber(redis.call("GET", KEYS[1]) or "0") or 0
if nxt > now and nxt - now <= 86400000000 then slot = nxt end
if hold > 0 and now + hold > slot then slot = now + hold end
if remaining == 0 and reset > 0 and now + reset > slot then slot = now + reset end
if slot - now > maxwait then return {slot - now, 0} end
local newnext = slot + interval
redis.call("SET", KEYS[1], string.format("%d", newnext), "PX", math.floor((newnext - now) / 1000) + 60000)
return {slot - now, slot}`)

	// unpaceScript gives a slot back if no later one was taken: KEYS[1]
	// the bucket; ARGV the slot and the interval (µs).
	unpaceScript = redis.NewScript(`
local slot, interval = tonumber(ARGV[1]), tonumber(ARGV[2])
if tonumber(redis.call("GET", KEYS[1]) or "0") == slot + interval then
	redis.call("SET", KEYS[1], string.format("%d", slot), "KEEPTTL")
	return 1
end
return 0`)
)

// ReservePace implements httpsession.PaceStore with one script call, atomic
// on the server, within Timeout. An error (matching ErrUnavailable when
// Redis is down) makes the client pace alone.
func (s *Store) ReservePace(ctx context.Context, key string, r httpsession.PaceRequest) (time.Duration, func(), error) {
	ctx, cancel := context.WithTimeout(ctx, s.timeout())
	defer cancel()
	bucket := s.doc + ":pace:" + key
	us := func(d time.Duration) int64 { return d.Microseconds() }
	res, err := paceScript.Run(ctx, s.rdb, []string{bucket},
		us(r.Interval), us(r.Hold), r.Remaining, us(r.Reset), us(r.Max)).Int64Slice()
	if err != nil {
		return 0, nil, s.error("pace", err)
	}
	if len(res) != 2 {
		return 0, nil, s.error("pace", fmt.Errorf("script returned %d values", len(res)))
	}
	wait := time.Duration(res[0]) * time.Microsecond
	slot := res[1]
	if slot == 0 {
		return wait, nil, nil
	}
	interval := us(r.Interval)
	return wait, func() {
		ctx, cancel := context.WithTimeout(context.Background(), s.timeout())
		defer cancel()
		unpaceScript.Run(ctx, s.rdb, []string{bucket}, slot, interval)
	}, nil
}
