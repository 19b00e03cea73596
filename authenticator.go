package httpsession

import (
	"context"
	"errors"
	"net/http"
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
// token from the TokenManager. A token's lifetime is returned as
// Token.ExpiresIn: the TokenManager dates it on the session's clock
// (Options.Now), so an Authenticator needs no clock of its own. Refresh may return ErrNoRefresh when the
// flow has no refresh; the manager then logs in again. Errors should not
// contain credentials or tokens: they end up in logs.
type Authenticator interface {
	Login(ctx context.Context, hc *http.Client) (*Token, error)
	Refresh(ctx context.Context, hc *http.Client, t *Token) (*Token, error)
}

// A cookieLogin is an Authenticator whose login lives in the session's
// cookies rather than in a bearer token, as FormLogin's does. It is the
// seam between such a login and the Client it serves:
//
//   - New hands it the session's Jar through bindJar, once, and uses the
//     Authenticator bindJar returns (a copy: the one in Options is not
//     modified and may serve other Clients), so that the login can check
//     the cookies it stored;
//   - its login page's origin (loginPage) stands in for empty
//     Options.AuthOrigins: a 401 from there means the session ended.
type cookieLogin interface {
	Authenticator
	loginPage() string
	bindJar(j *Jar) Authenticator
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
