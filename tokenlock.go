package httpsession

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// A sharedToken is the store a Client's token is persisted in, when other
// processes may share it. Before a login or refresh the manager takes the
// store's refresh lock and re-reads the stored token: one that another
// process obtained meanwhile is adopted instead of refreshing again, since
// a refresh token is often good for one use only. The new token is stored
// (OnTokenChange) before the lock is released.
type sharedToken interface {
	// lockRefresh takes the refresh lock; unlock releases it.
	lockRefresh(ctx context.Context) (unlock func(), err error)
	// storedToken re-reads the store's token and when it last changed.
	storedToken() (t *Token, updated time.Time, err error)
}

// fetch obtains a new token in place of old (nil: none yet). With a shared
// store it does so under the store's refresh lock, adopting a token another
// process stored meanwhile.
func (m *TokenManager) fetch(ctx context.Context, old *tokenState) (*tokenState, error) {
	relogin := m.relogin.Swap(false)
	if m.shared == nil {
		return m.obtain(ctx, old)
	}
	unlock, err := m.shared.lockRefresh(ctx)
	if err != nil {
		if keep := m.keepWithoutLock(old, err); keep != nil {
			return keep, nil
		}
		if unlock, err = m.waitLock(ctx, err); err != nil {
			return nil, err
		}
	}
	defer unlock()
	if relogin {
		return m.obtain(ctx, nil)
	}
	base, adopted := m.newer(old)
	if adopted {
		return base, nil
	}
	return m.obtain(ctx, base)
}

// ErrStoreUnavailable is matched by the error of a request that needed a
// new token while the refresh lock of the Store it shares with other
// processes could not be taken (a store that is down) before its
// RefreshTimeout. The error wraps the store's own as well.
var ErrStoreUnavailable = errors.New("httpsession: session store unavailable")

// keepWithoutLock returns what to use while the shared store's refresh lock
// can't be had (lockErr): a copy of old if its token still works, due to
// try the lock again within a second; nil if old has expired, was rejected
// or is missing. No login or refresh runs without the lock: another
// process could present the same single-use refresh token, which revokes
// the grant for all of them.
func (m *TokenManager) keepWithoutLock(old *tokenState, lockErr error) *tokenState {
	now := m.now()
	if old == nil || old.stale || !old.tok.Expiry.IsZero() && !now.Before(old.tok.Expiry) {
		return nil
	}
	m.log.Warn("httpsession: refresh lock unavailable; keeping the current token for now", "error", lockErr)
	keep := *old
	keep.refreshAt = now.Add(time.Second)
	if !old.tok.Expiry.IsZero() {
		keep.refreshAt = now.Add(min(time.Second, old.tok.Expiry.Sub(now)))
	}
	return &keep
}

// waitLock tries again to take the shared store's refresh lock, which
// failed with err, pausing between tries (from 100ms, doubling, up to 1s),
// until it is taken or ctx (the login or refresh's, bounded by
// RefreshTimeout) ends; each request waits for it under its own context.
// When ctx ends first the error matches ErrStoreUnavailable.
func (m *TokenManager) waitLock(ctx context.Context, err error) (unlock func(), _ error) {
	m.log.Warn("httpsession: refresh lock unavailable; waiting for it", "error", err)
	for pause := 100 * time.Millisecond; ; pause = min(2*pause, time.Second) {
		if ctx.Err() == nil {
			t := time.NewTimer(pause)
			select {
			case <-ctx.Done():
			case <-t.C:
			}
			t.Stop()
		}
		if ctx.Err() != nil {
			return nil, fmt.Errorf("%w: refresh lock: %w", ErrStoreUnavailable, err)
		}
		if unlock, err = m.shared.lockRefresh(ctx); err == nil {
			return unlock, nil
		}
	}
}

// newer re-reads the shared store. A token there that differs from old and
// changed after old was obtained is newer: it is adopted (adopted true) if
// it can be used, and otherwise returned as the base to refresh, since its
// refresh token is the current one. Else old is returned.
func (m *TokenManager) newer(old *tokenState) (base *tokenState, adopted bool) {
	stored, updated, err := m.shared.storedToken()
	if err != nil {
		m.log.Warn("httpsession: re-reading the stored token failed", "error", err)
		return old, false
	}
	if stored == nil || old != nil && (tokenEqual(stored, &old.tok) || !old.issued.IsZero() && !updated.After(old.issued)) {
		return old, false
	}
	s := m.newState(*stored, updated)
	if s.usable(m.now()) {
		m.log.Debug("httpsession: adopted the token another process stored", "expiry", expiryString(s.tok.Expiry))
		return s, true
	}
	return s, false
}
