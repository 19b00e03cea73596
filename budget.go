package httpsession

import (
	"sync"
	"time"
)

// The retry budget bounds the retries of each origin to a share of its
// requests, as Finagle's RetryBudget and Envoy's retry budgets do, so that
// an outage does not multiply the load on a server that is already down:
// every first try deposits RetryPolicy.RetryBudget (0.2 by default) of a
// retry, a small floor of budgetFloor retries a second is added for
// origins that see few requests, and each retry withdraws one. Up to
// budgetCap retries may be saved up; a retry the budget cannot pay for is
// not made, and the caller gets the last response (or error) as it came. A
// retry of a 429, or one the server asked for with Retry-After, is not
// drawn from the budget: the pacer holds the origin until the reset.
const (
	defaultRetryShare = 0.2
	budgetFloor       = 1.0 // retries a second, whatever the traffic
	budgetCap         = 3.0 // retries saved up at most: a lone request's three
)

// budgets holds the retry budget of each origin.
type budgets struct {
	share float64 // < 0: no budget

	// mu guards byOrigin.
	mu       sync.Mutex
	byOrigin map[originKey]*budget
}

type budget struct {
	balance float64
	at      time.Time // when balance was last brought up to date
}

// refill brings b up to date at now.
func (b *budget) refill(now time.Time) {
	if d := now.Sub(b.at); d > 0 {
		b.balance = min(b.balance+d.Seconds()*budgetFloor, budgetCap)
	}
	b.at = now
}

func (bs *budgets) get(k originKey, now time.Time) *budget {
	if bs.byOrigin == nil {
		bs.byOrigin = make(map[originKey]*budget)
	}
	b := bs.byOrigin[k]
	if b == nil {
		if len(bs.byOrigin) >= minSweep {
			// A full budget holds no state a new one would not have.
			for k, old := range bs.byOrigin {
				if old.refill(now); old.balance >= budgetCap {
					delete(bs.byOrigin, k)
				}
			}
		}
		b = &budget{balance: budgetCap, at: now}
		bs.byOrigin[k] = b
	}
	b.refill(now)
	return b
}

// deposit records a first try to k.
func (bs *budgets) deposit(k originKey, now time.Time) {
	if bs == nil || bs.share < 0 {
		return
	}
	bs.mu.Lock()
	defer bs.mu.Unlock()
	b := bs.get(k, now)
	b.balance = min(b.balance+bs.share, budgetCap)
}

// withdraw takes one retry from k's budget, reporting whether there was one.
func (bs *budgets) withdraw(k originKey, now time.Time) bool {
	if bs == nil || bs.share < 0 {
		return true
	}
	bs.mu.Lock()
	defer bs.mu.Unlock()
	b := bs.get(k, now)
	if b.balance < 1 {
		return false
	}
	b.balance--
	return true
}
