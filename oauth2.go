package httpsession

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"time"

	"golang.org/x/oauth2"
	"golang.org/x/term"
)

// This file holds what the two flows that need a person have in common —
// OAuth2Browser (authorization code + PKCE) and OAuth2Device (device
// authorization grant): the errors they return, the refresh_token grant
// through golang.org/x/oauth2, and the conversion of its tokens.

var (
	// ErrLoginRequired is matched (errors.Is) by the error of a login that
	// needs the user — a browser or a device code — in a process that is
	// not interactive: there is no token yet, or its refresh token was
	// rejected (invalid_grant) or has expired. Run an interactive login
	// (for the CLI, "httpsession login") to go on.
	ErrLoginRequired = errors.New("httpsession: login needs the user")

	// ErrAccessDenied is matched by the error of a login the user (or the
	// server on their behalf) refused: "access_denied" (RFC 6749 §4.1.2.1,
	// RFC 8628 §3.5).
	ErrAccessDenied = errors.New("httpsession: access denied")

	// ErrStateMismatch is matched by the error of an authorization code
	// login whose redirect carried a state other than the one sent: the
	// response does not belong to this login (RFC 6749 §10.12).
	ErrStateMismatch = errors.New("httpsession: authorization response with the wrong state")

	// ErrDeviceCodeExpired is matched by the error of a device login that
	// the user did not complete before the device code expired
	// ("expired_token", or its expires_in elapsed).
	ErrDeviceCodeExpired = errors.New("httpsession: device code expired")
)

// A FlowError reports why a login through the authorization code or device
// flow ended without a token for a reason other than a failed request:
// Err is ErrLoginRequired, ErrAccessDenied, ErrStateMismatch or
// ErrDeviceCodeExpired. It never contains a code, token or verifier.
type FlowError struct {
	Flow        string // "authorization code" or "device"
	Err         error  // one of the sentinels above
	Code        string // the OAuth "error" parameter, if the server sent one
	Description string // "error_description", bounded and printable
}

func (e *FlowError) Error() string {
	s := "httpsession: oauth2 " + e.Flow + " login: " + strings.TrimPrefix(e.Err.Error(), "httpsession: ")
	if e.Code != "" {
		s += " (" + strconv.Quote(e.Code)
		if e.Description != "" {
			s += ": " + e.Description
		}
		s += ")"
	}
	return s
}

// Unwrap returns Err.
func (e *FlowError) Unwrap() error { return e.Err }

// Interactive reports whether a person can be asked to log in: whether the
// standard input or the standard error of the process is a terminal. It is
// what OAuth2Browser and OAuth2Device use when their Interactive field is
// nil.
func Interactive() bool {
	return term.IsTerminal(int(os.Stdin.Fd())) || term.IsTerminal(int(os.Stderr.Fd()))
}

// OpenBrowser opens u in the user's web browser: with the command in
// $BROWSER when it is set (the URL is its one argument), else with the
// platform's opener — xdg-open on Linux and the BSDs, open on macOS,
// rundll32 url.dll on Windows. It returns once the opener has started (or
// finished, for an opener that exits at once) and reports an error when
// none could be run; OAuth2Browser then prints the URL instead.
func OpenBrowser(ctx context.Context, u string) error {
	var name string
	var args []string
	if b := os.Getenv("BROWSER"); b != "" {
		// $BROWSER may hold arguments, but no shell syntax: split on blanks.
		f := strings.Fields(b)
		name, args = f[0], f[1:]
	} else {
		switch runtime.GOOS {
		case "darwin":
			name = "open"
		case "windows":
			name, args = "rundll32", []string{"url.dll,FileProtocolHandler"}
		default:
			name = "xdg-open"
		}
	}
	cmd := exec.CommandContext(ctx, name, append(args, u)...)
	cmd.Stdout, cmd.Stderr = io.Discard, io.Discard
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("httpsession: open a browser: %w", err)
	}
	// Reap the opener without waiting for it: a browser started by $BROWSER
	// may run for as long as the user keeps it open.
	go func() { _ = cmd.Wait() }()
	return nil
}

// interactive calls f, or Interactive when f is nil.
func interactive(f func() bool) bool {
	if f == nil {
		return Interactive()
	}
	return f()
}

// stderrOr returns w, or os.Stderr when w is nil.
func stderrOr(w io.Writer) io.Writer {
	if w == nil {
		return os.Stderr
	}
	return w
}

// oauth2Context returns ctx carrying the client golang.org/x/oauth2 uses for
// its requests: hc — the session's authenticator client, with its cookies
// and retry but never the bearer token — made not to follow redirects, so
// that a request carrying a code, verifier or refresh token goes only to the
// endpoint configured.
func oauth2Context(ctx context.Context, hc *http.Client) context.Context {
	if hc == nil {
		hc = http.DefaultClient
	}
	c := *hc
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return context.WithValue(ctx, oauth2.HTTPClient, &c)
}

// fromOAuth2 converts a token from golang.org/x/oauth2, taking its expiry
// from the expires_in (or the non-standard expires) the server sent,
// counted from now (the session's clock), and keeping an OpenID Connect
// id_token.
func fromOAuth2(now time.Time, ot *oauth2.Token) *Token {
	t := &Token{AccessToken: ot.AccessToken, TokenType: ot.TokenType, RefreshToken: ot.RefreshToken, Expiry: ot.Expiry}
	v := ot.Extra("expires_in")
	if v == nil {
		v = ot.Extra("expires") // Facebook and others of its age
	}
	if f, ok := v.(float64); ok {
		v = json.Number(strconv.FormatFloat(f, 'f', -1, 64))
	}
	if exp := expiryFrom(v, now); !exp.IsZero() {
		t.Expiry = exp
	}
	if id, ok := ot.Extra("id_token").(string); ok {
		t.IDToken = id
	}
	return t
}

// oauth2Failure converts an error of golang.org/x/oauth2 into ours: an
// *OAuth2Error for an OAuth error response, an *AuthError otherwise. Its
// own errors may quote the response body, so none is wrapped; secrets are
// removed from what the server sent back.
func oauth2Failure(ctx context.Context, endpoint string, err error, secrets ...string) error {
	var re *oauth2.RetrieveError
	if errors.As(err, &re) {
		status := 0
		if re.Response != nil {
			status = re.Response.StatusCode
		}
		if re.ErrorCode != "" {
			return &OAuth2Error{
				Endpoint:    endpoint,
				Status:      status,
				Code:        clean(re.ErrorCode, 64, secrets...),
				Description: clean(re.ErrorDescription, 200, secrets...),
				URI:         clean(re.ErrorURI, 200, secrets...),
			}
		}
		return &AuthError{Endpoint: endpoint, Status: status, Reason: "unexpected status"}
	}
	if cerr := ctx.Err(); cerr != nil {
		return &AuthError{Endpoint: endpoint, Reason: "request failed", Err: cerr}
	}
	msg := err.Error()
	switch {
	case strings.Contains(msg, "missing access_token"):
		return &AuthError{Endpoint: endpoint, Status: http.StatusOK, Reason: `no "access_token" in response`}
	case strings.Contains(msg, "cannot parse"), strings.HasPrefix(msg, "unmarshal"):
		return &AuthError{Endpoint: endpoint, Status: http.StatusOK, Reason: "malformed response"}
	}
	return &AuthError{Endpoint: endpoint, Reason: "request failed", Err: errors.New(clean(msg, 200, secrets...))}
}

// refreshOAuth2 runs the refresh_token grant of cfg (RFC 6749 §6) for t.
// A new refresh token (rotation) replaces the old; without one the old one
// stays, and so does the ID token unless a new one came.
func refreshOAuth2(ctx context.Context, hc *http.Client, cfg *oauth2.Config, t *Token) (*Token, error) {
	if cfg == nil {
		return nil, errors.New("httpsession: oauth2 refresh: no Config")
	}
	if t == nil || t.RefreshToken == "" {
		return nil, ErrNoRefresh
	}
	endpoint := redactURLString(cfg.Endpoint.TokenURL)
	ot, err := cfg.TokenSource(oauth2Context(ctx, hc), &oauth2.Token{RefreshToken: t.RefreshToken}).Token()
	if err != nil {
		return nil, oauth2Failure(ctx, endpoint, err, t.RefreshToken, cfg.ClientSecret)
	}
	nt := fromOAuth2(nowFor(hc), ot)
	if nt.RefreshToken == "" {
		nt.RefreshToken = t.RefreshToken
	}
	if nt.IDToken == "" {
		nt.IDToken = t.IDToken
	}
	return nt, nil
}

// loginRequired is the error of Login when no one can be asked.
func loginRequired(flow string) error {
	return &FlowError{Flow: flow, Err: ErrLoginRequired}
}

// flowError converts an OAuth error code that ends a flow into a
// *FlowError, and returns any other error as it is.
func flowError(flow string, err error) error {
	var oe *OAuth2Error
	if !errors.As(err, &oe) {
		return err
	}
	fe := &FlowError{Flow: flow, Code: oe.Code, Description: oe.Description}
	switch oe.Code {
	case "access_denied":
		fe.Err = ErrAccessDenied
	case "expired_token":
		fe.Err = ErrDeviceCodeExpired
	default:
		return err
	}
	return fe
}
