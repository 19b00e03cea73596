package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/httpsession/httpsession"
)

// Opening the session's Client for a command: the session file, the login
// configuration saved beside it, and credentials asked for only when a
// login needs them.

// lazyAuth asks for credentials only when a login is really needed: a
// refresh with the saved refresh token needs none.
type lazyAuth struct {
	ac *authConfig
	s  *secrets
	a  httpsession.Authenticator
	// refreshErr is why the last refresh failed; a login that then
	// can't get a password says it.
	refreshErr error
}

func (l *lazyAuth) get() (httpsession.Authenticator, error) {
	if l.a == nil {
		a, err := l.ac.authenticator(l.s)
		if err != nil {
			return nil, err
		}
		l.a = a
	}
	return l.a, nil
}

func (l *lazyAuth) Login(ctx context.Context, hc *http.Client) (*httpsession.Token, error) {
	a, err := l.get()
	if err != nil {
		if l.refreshErr != nil {
			// "refresh rejected (401 Unauthorized): …; to log in again: no password …"
			return nil, fmt.Errorf("%w; to log in again: %v", l.refreshErr, err)
		}
		return nil, err
	}
	return a.Login(ctx, hc)
}

func (l *lazyAuth) Refresh(ctx context.Context, hc *http.Client, t *httpsession.Token) (*httpsession.Token, error) {
	// A refresh needs no password: build the authenticator without asking
	// for anything that is not in the environment already.
	a, err := l.ac.authenticator(&secrets{e: l.s.e, noPrompt: true})
	if err != nil {
		return nil, err
	}
	tok, err := a.Refresh(ctx, hc, t)
	if err != nil && !errors.Is(err, httpsession.ErrNoRefresh) {
		l.refreshErr = err // the library logs it as a warning too
	}
	return tok, err
}

// openClient opens the session file (if any) with the login configuration
// saved beside it, so requests carry the saved token and can refresh it.
// It returns the configuration too, nil without one.
func openClient(e *env, session string, withAuth bool) (*httpsession.Client, *authConfig, error) {
	return openClientWith(e, session, withAuth, httpsession.Options{})
}

// openClientWith is openClient with the request options base (retry,
// transport) filled in.
func openClientWith(e *env, session string, withAuth bool, base httpsession.Options) (*httpsession.Client, *authConfig, error) {
	o, err := sessionOptions(e, session)
	if err != nil {
		return nil, nil, err
	}
	o.Retry, o.Transport = base.Retry, base.Transport
	var ac *authConfig
	if session != "" && withAuth {
		if ac, err = readAuthConfig(session); err != nil {
			return nil, nil, err
		}
		if ac != nil {
			o.Auth = &lazyAuth{ac: ac, s: &secrets{e: e}}
			o.AuthOrigins = ac.Origins
			if o.CSRF, err = ac.csrf(); err != nil {
				return nil, nil, err
			}
		}
	}
	c, err := newClient(e, session, o)
	return c, ac, err
}

// newClient is httpsession.New with the command's session flags, its
// logger, and a corrupt session file's error telling the way forward.
func newClient(e *env, session string, o httpsession.Options) (*httpsession.Client, error) {
	if session != "" && e.sess != nil {
		o.Session = &httpsession.SessionOptions{StartFresh: e.sess.fresh, DropSessionCookies: e.sess.drop}
	}
	if o.Logger == nil {
		o.Logger = e.logger()
	}
	c, err := httpsession.New(o)
	if errors.Is(err, httpsession.ErrCorruptSession) {
		return nil, fmt.Errorf("%w; it was left as it is: start over with --fresh (it is moved aside), or run \"httpsession session reset --session %s\"", err, session)
	}
	return c, err
}

// LoggedOut implements httpsession.LogoutDetector for a form login: a
// redirect to its login page ends the session, as FormLogin says.
func (l *lazyAuth) LoggedOut(resp *http.Response) bool {
	if l.ac.Kind != "form" {
		return false
	}
	return (&httpsession.FormLogin{LoginURL: l.ac.LoginURL}).LoggedOut(resp)
}
