package oauth

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/httpsession/httpsession"
	"github.com/httpsession/httpsession/internal/authresp"
	"github.com/httpsession/httpsession/internal/redact"
	"golang.org/x/oauth2"
)

// The bridge to golang.org/x/oauth2 that the OAuth 2.0 authenticators
// share: the client its requests go through, the conversion of its tokens
// and errors, and the refresh_token grant.

// oauth2Context returns ctx carrying the client golang.org/x/oauth2 uses for
// its requests: hc — the session's authenticator client, with its cookies
// and retry but never the bearer token — made not to follow redirects, so
// that a request carrying a code, verifier or refresh token goes only to the
// endpoint configured, and sending through an *answers, returned too, that
// oauth2Failure reads.
func oauth2Context(ctx context.Context, hc *http.Client) (context.Context, *answers) {
	if hc == nil {
		hc = http.DefaultClient
	}
	ans := &answers{base: hc.Transport}
	if ans.base == nil {
		ans.base = http.DefaultTransport
	}
	c := *hc
	c.Transport = ans
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return context.WithValue(ctx, oauth2.HTTPClient, &c), ans
}

// answers is the transport below golang.org/x/oauth2's requests. It reads each
// answer itself, at most authresp.MaxBody, and keeps the last one, so that
// oauth2Failure can say what was wrong with an answer that gave no token
// (x/oauth2 says it only in the text of its errors, which is never matched). A
// body larger than authresp.MaxBody or cut short fails the request with an
// [*httpsession.AuthError]. JSON served as text/plain is handed on as JSON, as
// [httpsession.JSONLogin] reads it.
type answers struct {
	base   http.RoundTripper
	status int    // of the last answer, 0 before one
	form   bool   // the last answer was form-encoded
	body   []byte // of the last answer
}

func (a *answers) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := a.base.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, authresp.MaxBody+1))
	resp.Body.Close()
	switch {
	case err != nil:
		return nil, &httpsession.AuthError{Endpoint: redact.URL(req.URL), Status: resp.StatusCode, Reason: "truncated response", Err: err}
	case len(body) > authresp.MaxBody:
		return nil, &httpsession.AuthError{Endpoint: redact.URL(req.URL), Status: resp.StatusCode, Reason: "response larger than 1 MiB"}
	}
	ct, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	a.form = ct == "application/x-www-form-urlencoded" || (ct == "text/plain" && looksLikeForm(body))
	if ct == "text/plain" && !a.form {
		resp.Header.Set("Content-Type", "application/json")
	}
	a.status, a.body = resp.StatusCode, body
	resp.Body = io.NopCloser(bytes.NewReader(body))
	return resp, nil
}

// reason says why the last answer, a success status that
// golang.org/x/oauth2 took no token from, gave none.
func (a *answers) reason() string {
	if a.form {
		if q, err := url.ParseQuery(string(a.body)); err != nil || len(q) == 0 {
			return "malformed form-encoded response"
		}
	} else if _, reason := authresp.DecodeObject(a.body); reason != "" {
		return reason
	}
	return `no "access_token" in response`
}

// looksLikeForm reports whether a text/plain body is form-encoded rather
// than JSON or HTML served with the wrong type.
func looksLikeForm(b []byte) bool {
	b = bytes.TrimSpace(b)
	return len(b) > 0 && !strings.ContainsRune("{[<\"", rune(b[0]))
}

// ClientAuth is how a client authenticates to a token endpoint (RFC 6749
// §2.3.1), the one rule every flow of this package and the CLI follow: a
// public client (no secret) sends client_id in the body, having no secret
// to put in a Basic header; a client with a secret uses HTTP Basic
// (client_secret_basic, which every server must accept and OpenID Connect
// Discovery's default), unless supported, the provider's
// token_endpoint_auth_methods_supported, lists client_secret_post and not
// client_secret_basic. supported is nil when the provider did not say.
//
// It is never golang.org/x/oauth2's AuthStyleAutoDetect, which finds out
// by sending a request that the server refuses first.
func ClientAuth(secret string, supported []string) oauth2.AuthStyle {
	switch {
	case secret == "":
		return oauth2.AuthStyleInParams
	case len(supported) > 0 && !slices.Contains(supported, "client_secret_basic") &&
		slices.Contains(supported, "client_secret_post"):
		return oauth2.AuthStyleInParams
	}
	return oauth2.AuthStyleInHeader
}

// clientAuth is style when one is set, else ClientAuth's rule.
func clientAuth(secret string, style oauth2.AuthStyle) oauth2.AuthStyle {
	if style != oauth2.AuthStyleAutoDetect {
		return style
	}
	return ClientAuth(secret, nil)
}

// tokenConfig returns a copy of cfg that authenticates the client as
// clientAuth says.
func tokenConfig(cfg *oauth2.Config) *oauth2.Config {
	c := *cfg
	c.Endpoint.AuthStyle = clientAuth(c.ClientSecret, c.Endpoint.AuthStyle)
	return &c
}

// fromOAuth2 converts a token from golang.org/x/oauth2, with the
// expires_in (or the non-standard expires) the server sent as ExpiresIn —
// not x/oauth2's Expiry, which is on time.Now — and an OpenID Connect
// id_token.
func fromOAuth2(ot *oauth2.Token) *httpsession.Token {
	t := &httpsession.Token{AccessToken: ot.AccessToken, TokenType: ot.TokenType, RefreshToken: ot.RefreshToken}
	v := ot.Extra("expires_in")
	if v == nil {
		v = ot.Extra("expires") // Facebook and others of its age
	}
	if f, ok := v.(float64); ok {
		v = json.Number(strconv.FormatFloat(f, 'f', -1, 64))
	}
	t.ExpiresIn = authresp.Lifetime(v)
	if id, ok := ot.Extra("id_token").(string); ok {
		t.IDToken = id
	}
	return t
}

// oauth2Failure converts an error of golang.org/x/oauth2 into ours, by its type
// and by what ans kept of the answer, never by its text: an
// [*httpsession.OAuth2Error] for an OAuth error response (RFC 6749 §5.2), an
// [*httpsession.AuthError] otherwise. x/oauth2's own errors may quote the
// response body, so none is wrapped; secrets are removed from what the server
// sent back.
func oauth2Failure(ctx context.Context, endpoint string, err error, ans *answers, secrets ...string) error {
	var re *oauth2.RetrieveError
	var ae *httpsession.AuthError
	switch {
	case errors.As(err, &re):
		status := 0
		if re.Response != nil {
			status = re.Response.StatusCode
		}
		if re.ErrorCode == "" {
			return &httpsession.AuthError{Endpoint: endpoint, Status: status, Reason: "unexpected status"}
		}
		return &httpsession.OAuth2Error{
			Endpoint:    endpoint,
			Status:      status,
			Code:        redact.Clean(re.ErrorCode, 64, secrets...),
			Description: redact.Clean(re.ErrorDescription, 200, secrets...),
			URI:         redact.Clean(re.ErrorURI, 200, secrets...),
		}
	case errors.As(err, &ae):
		return ae
	case ctx.Err() != nil:
		return &httpsession.AuthError{Endpoint: endpoint, Reason: "request failed", Err: ctx.Err()}
	case ans.status != 0:
		return &httpsession.AuthError{Endpoint: endpoint, Status: ans.status, Reason: ans.reason()}
	}
	// No answer: *url.Error would print the full URL; keep only its cause.
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	return &httpsession.AuthError{Endpoint: endpoint, Reason: "request failed", Err: err}
}

// refreshOAuth2 runs the refresh_token grant of cfg (RFC 6749 §6) for t.
// A new refresh token (rotation) replaces the old; without one the old one
// stays, and so does the ID token unless a new one came. secrets are
// removed from an error's text, as are the refresh token and the client
// secret.
func refreshOAuth2(ctx context.Context, hc *http.Client, cfg *oauth2.Config, t *httpsession.Token, secrets ...string) (*httpsession.Token, error) {
	if cfg == nil {
		return nil, errors.New("httpsession: oauth2 refresh: no Config")
	}
	if t == nil || t.RefreshToken == "" {
		return nil, httpsession.ErrNoRefresh
	}
	endpoint := redact.URLString(cfg.Endpoint.TokenURL)
	octx, ans := oauth2Context(ctx, hc)
	ot, err := tokenConfig(cfg).TokenSource(octx, &oauth2.Token{RefreshToken: t.RefreshToken}).Token()
	if err != nil {
		return nil, oauth2Failure(ctx, endpoint, err, ans, append(secrets, t.RefreshToken, cfg.ClientSecret)...)
	}
	nt := fromOAuth2(ot)
	if nt.RefreshToken == "" {
		nt.RefreshToken = t.RefreshToken
	}
	if nt.IDToken == "" {
		nt.IDToken = t.IDToken
	}
	return nt, nil
}

// parseEndpoint checks that raw is an absolute http(s) URL.
func parseEndpoint(raw string) error {
	if _, ok := authresp.Endpoint(raw); !ok {
		return &httpsession.AuthError{Reason: "invalid endpoint URL"}
	}
	return nil
}
