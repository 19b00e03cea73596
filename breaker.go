package httpsession

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/sony/gobreaker/v2"
)

// A CircuitOpenError is returned, without sending the request, while the
// circuit breaker of the request's origin is open: RetryPolicy.BreakAfter
// tries in a row failed (a connection error, a timeout or a 5xx status).
// Until is when one probe request will be let through again; its success
// closes the breaker.
type CircuitOpenError struct {
	Origin string
	Until  time.Time
}

func (e *CircuitOpenError) Error() string {
	return fmt.Sprintf("httpsession: %s failed repeatedly: circuit open until %s", e.Origin, e.Until.Format(time.RFC3339Nano))
}

// defaultBreakFor is how long a breaker stays open when
// RetryPolicy.BreakFor is zero.
const defaultBreakFor = 2 * time.Second

// errTryFailed is what a breaker is told of a failed try.
var errTryFailed = errors.New("try failed")

// breakers holds a circuit breaker (sony/gobreaker) per origin.
type breakers struct {
	after int
	open  time.Duration

	// mu guards byOrigin.
	mu       sync.Mutex
	byOrigin map[originKey]*originBreaker
}

type originBreaker struct {
	cb *gobreaker.TwoStepCircuitBreaker[struct{}]

	mu    sync.Mutex // guards until
	until time.Time
}

func (bs *breakers) get(k originKey) *originBreaker {
	bs.mu.Lock()
	defer bs.mu.Unlock()
	if b := bs.byOrigin[k]; b != nil {
		return b
	}
	if bs.byOrigin == nil {
		bs.byOrigin = make(map[originKey]*originBreaker)
	}
	b := &originBreaker{}
	after := uint32(bs.after)
	b.cb = gobreaker.NewTwoStepCircuitBreaker[struct{}](gobreaker.Settings{
		Name:        k.String(),
		MaxRequests: 1, // one probe while half-open
		Timeout:     bs.open,
		ReadyToTrip: func(c gobreaker.Counts) bool { return c.ConsecutiveFailures >= after },
		OnStateChange: func(_ string, _, to gobreaker.State) {
			if to == gobreaker.StateOpen {
				b.mu.Lock()
				b.until = time.Now().Add(bs.open)
				b.mu.Unlock()
			}
		},
		IsExcluded: func(err error) bool { return errors.Is(err, context.Canceled) },
	})
	bs.byOrigin[k] = b
	return b
}

// allow asks k's breaker for a try. done reports the try's outcome.
func (bs *breakers) allow(k originKey) (done func(*http.Response, error), err error) {
	if bs == nil || bs.after <= 0 {
		return func(*http.Response, error) {}, nil
	}
	b := bs.get(k)
	report, err := b.cb.Allow()
	if err != nil {
		b.mu.Lock()
		until := b.until
		b.mu.Unlock()
		return nil, &CircuitOpenError{Origin: k.String(), Until: until}
	}
	return func(resp *http.Response, err error) {
		switch {
		case errors.Is(err, context.Canceled):
			report(err)
		case err != nil, resp.StatusCode >= 500:
			report(errTryFailed)
		default:
			report(nil)
		}
	}, nil
}
