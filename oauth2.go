package httpsession

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"golang.org/x/oauth2"
)

// The bridge to golang.org/x/oauth2 that the OAuth 2.0 authenticators
// share: the client its requests go through, the conversion of its tokens
// and errors, and the refresh_token grant.

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
