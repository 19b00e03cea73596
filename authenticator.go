package httpsession

import (
	"context"
	"errors"
	"net/http"
	"time"
)

// The Authenticator interface a TokenManager obtains tokens through, and
// AuthFuncs, which adapts two functions to it.

// ErrNoRefresh is returned by an Authenticator's Refresh when the flow
// cannot refresh; the TokenManager then logs in again.
var ErrNoRefresh = errors.New("httpsession: refresh not supported")

// An Authenticator obtains tokens: Login with the user's credentials,
// Refresh with the refresh token of t. A TokenManager calls at most one of
// them at a time, under a context with the manager's RefreshTimeout.
//
// hc carries the session's cookies (login forms, CSRF cookies) but never a
// token from the TokenManager. Refresh may return ErrNoRefresh when the
// flow has no refresh; the manager then logs in again. Errors should not
// contain credentials or tokens: they end up in logs.
type Authenticator interface {
	Login(ctx context.Context, hc *http.Client) (*Token, error)
	Refresh(ctx context.Context, hc *http.Client, t *Token) (*Token, error)
}

// sessionClock is implemented by the transport of a Client's session: the
// client a Client hands its Authenticator sends through it.
type sessionClock interface {
	sessionNow() time.Time
}

// nowFor returns the time on the clock of the session hc belongs to
// (Options.Now), or time.Now for any other client. The ready-made
// authenticators date an expires_in with it.
//
// The clock travels with hc rather than as an argument or a context value:
// the Authenticator interface has no place for one, and a clock carried in
// a context is a hidden parameter that any context in between may drop.
// hc is the session's own client, its cookies and retry policy; its clock
// is part of the session in the same way, and a TokenManager used without
// a Client runs on time.Now like hc.
func nowFor(hc *http.Client) time.Time {
	if hc != nil {
		if s, ok := hc.Transport.(sessionClock); ok {
			return s.sessionNow()
		}
	}
	return time.Now()
}

// AuthFuncs adapts two functions to an Authenticator.
type AuthFuncs struct {
	LoginFunc   func(ctx context.Context, hc *http.Client) (*Token, error)
	RefreshFunc func(ctx context.Context, hc *http.Client, t *Token) (*Token, error) // nil means no refresh
}

// Login calls LoginFunc.
func (a AuthFuncs) Login(ctx context.Context, hc *http.Client) (*Token, error) {
	if a.LoginFunc == nil {
		return nil, errors.New("httpsession: AuthFuncs without LoginFunc")
	}
	return a.LoginFunc(ctx, hc)
}

// Refresh calls RefreshFunc, or returns ErrNoRefresh if it is nil.
func (a AuthFuncs) Refresh(ctx context.Context, hc *http.Client, t *Token) (*Token, error) {
	if a.RefreshFunc == nil {
		return nil, ErrNoRefresh
	}
	return a.RefreshFunc(ctx, hc, t)
}

var _ Authenticator = AuthFuncs{}
