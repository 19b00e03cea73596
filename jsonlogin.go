package httpsession

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"

	"github.com/httpsession/httpsession/internal/authresp"
	"github.com/httpsession/httpsession/internal/redact"
)

// JSONLogin logs in by POSTing {"username": …, "password": …} as JSON to
// LoginURL, and refreshes by POSTing the refresh token to RefreshURL the
// way RefreshStyle says: in a JSON body (the default), as
// "Authorization: Bearer <refresh token>" (flask-jwt-extended and many
// others), or in a cookie. The answer must be a JSON object with the access
// token; the refresh token, expires_in (seconds) and token_type are used
// when present. Field names are configurable; response fields may be dotted
// paths into nested objects ("data.token"). Redirects are not followed.
//
// A 401 or 403 from LoginURL is an *AuthError whose Reason is "login
// rejected"; a 400, 401, 403 or 422 from RefreshURL one whose Reason is
// "refresh rejected" (the TokenManager then logs in again). A 403 (or 419)
// whose body speaks of CSRF is neither: its *AuthError matches ErrCSRF.
// An empty Password is refused before anything is sent.
//
// Printing a JSONLogin (fmt or slog) shows neither the password nor the
// user info, query or fragment of its URLs.
type JSONLogin struct {
	LoginURL   string
	RefreshURL string // "" means no refresh: log in again
	Username   string
	Password   string

	// RefreshStyle says how the refresh token travels to RefreshURL; the
	// zero value is RefreshInBody.
	RefreshStyle RefreshStyle
	// RefreshCookie names the cookie of RefreshInCookie; "" means
	// "refresh_token". A login answer without a refresh token in its JSON
	// takes it from the Set-Cookie of that name (an HttpOnly cookie, as
	// servers that refresh by cookie set it).
	RefreshCookie string

	// Extra fields added to the login object, such as {"remember": true}.
	Extra map[string]any
	// Header holds extra request headers (an API key, say); may be nil.
	Header http.Header

	UsernameField     string // "" means "username"
	PasswordField     string // "" means "password"
	AccessTokenField  string // "" means "access_token"
	RefreshTokenField string // "" means "refresh_token"; its last element names the field sent to RefreshURL
	ExpiresInField    string // "" means "expires_in"
	TokenTypeField    string // "" means "token_type"
}

// RefreshStyle says how JSONLogin sends the refresh token.
type RefreshStyle int

const (
	// RefreshInBody POSTs {"refresh_token": …} (the field named by
	// RefreshTokenField's last element).
	RefreshInBody RefreshStyle = iota
	// RefreshInBearer POSTs {} with "Authorization: Bearer <refresh
	// token>", as flask-jwt-extended's refresh endpoints want it.
	RefreshInBearer
	// RefreshInCookie POSTs {} with the refresh token in the cookie named
	// by RefreshCookie.
	RefreshInCookie
)

// String returns "body", "bearer" or "cookie".
func (s RefreshStyle) String() string {
	switch s {
	case RefreshInBody:
		return "body"
	case RefreshInBearer:
		return "bearer"
	case RefreshInCookie:
		return "cookie"
	}
	return "RefreshStyle(" + strconv.Itoa(int(s)) + ")"
}

// Login implements Authenticator.
func (a *JSONLogin) Login(ctx context.Context, hc *http.Client) (*Token, error) {
	u, err := parseEndpoint(a.LoginURL)
	if err != nil {
		return nil, err
	}
	if a.Password == "" {
		return nil, &AuthError{Endpoint: redact.URL(u), Reason: "empty password", Hint: "nothing was sent"}
	}
	body := make(map[string]any, len(a.Extra)+2)
	for k, v := range a.Extra {
		body[k] = v
	}
	body[cmp.Or(a.UsernameField, "username")] = a.Username
	body[cmp.Or(a.PasswordField, "password")] = a.Password
	return a.post(ctx, hc, u, body, nil, false)
}

// Refresh implements Authenticator. Without a RefreshURL it returns
// ErrNoRefresh.
func (a *JSONLogin) Refresh(ctx context.Context, hc *http.Client, t *Token) (*Token, error) {
	if a.RefreshURL == "" || t == nil || t.RefreshToken == "" {
		return nil, ErrNoRefresh
	}
	u, err := parseEndpoint(a.RefreshURL)
	if err != nil {
		return nil, err
	}
	body := map[string]any{}
	h := make(http.Header)
	switch a.RefreshStyle {
	case RefreshInBearer:
		h.Set("Authorization", "Bearer "+t.RefreshToken)
	case RefreshInCookie:
		// The transport merges this with the jar's cookies; ours wins
		// over a cookie of the same name there.
		h.Set("Cookie", (&http.Cookie{Name: a.refreshCookie(), Value: t.RefreshToken}).String())
	default:
		body[lastField(cmp.Or(a.RefreshTokenField, "refresh_token"))] = t.RefreshToken
	}
	return a.post(ctx, hc, u, body, h, true)
}

func (a *JSONLogin) refreshCookie() string { return cmp.Or(a.RefreshCookie, "refresh_token") }

// post sends body as JSON to u with the extra headers h and reads the token
// from the answer; refresh says whether it is a refresh or a login. Its
// branches are the answers a login endpoint gives (a rejection, a wrong
// status, HTML, a body without the token), each with its own error.
func (a *JSONLogin) post(ctx context.Context, hc *http.Client, u *url.URL, body map[string]any, h http.Header, refresh bool) (*Token, error) {
	endpoint := redact.URL(u)
	payload, err := json.Marshal(body)
	if err != nil {
		return nil, &AuthError{Endpoint: endpoint, Reason: "cannot encode the request"}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u.String(), bytes.NewReader(payload))
	if err != nil {
		return nil, &AuthError{Endpoint: endpoint, Reason: "cannot build the request"}
	}
	for k, vs := range a.Header {
		req.Header[k] = append([]string(nil), vs...)
	}
	for k, vs := range h {
		req.Header[k] = vs
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	resp, data, err := exchange(hc, req, false)
	if err != nil {
		return nil, err
	}
	switch code := resp.StatusCode; {
	case speaksOfCSRF(code, data):
		return nil, &AuthError{Endpoint: endpoint, Status: code, Reason: "CSRF token refused",
			Hint: "send the site's token with Options.CSRF (the CLI's --csrf)", Err: ErrCSRF}
	case !refresh && (code == http.StatusUnauthorized || code == http.StatusForbidden):
		return nil, &AuthError{Endpoint: endpoint, Status: code, Reason: "login rejected", Hint: "check the user name and password"}
	case refresh && (code == http.StatusBadRequest || code == http.StatusUnauthorized ||
		code == http.StatusForbidden || code == http.StatusUnprocessableEntity):
		return nil, &AuthError{Endpoint: endpoint, Status: code, Reason: "refresh rejected", Hint: "the refresh token is no longer accepted; log in again"}
	case code < 200 || code > 299:
		return nil, &AuthError{Endpoint: endpoint, Status: code, Reason: "unexpected status"}
	}
	m, reason := authresp.DecodeObject(data)
	if reason != "" {
		return nil, &AuthError{Endpoint: endpoint, Status: resp.StatusCode, Reason: reason}
	}
	accessField := cmp.Or(a.AccessTokenField, "access_token")
	t := &Token{
		AccessToken:  lookupString(m, accessField),
		TokenType:    lookupString(m, cmp.Or(a.TokenTypeField, "token_type")),
		RefreshToken: lookupString(m, cmp.Or(a.RefreshTokenField, "refresh_token")),
	}
	if t.AccessToken == "" {
		return nil, &AuthError{Endpoint: endpoint, Status: resp.StatusCode, Reason: "no " + strconv.Quote(accessField) + " in response"}
	}
	if t.RefreshToken == "" && a.RefreshStyle == RefreshInCookie {
		for _, c := range resp.Cookies() {
			if c.Name == a.refreshCookie() {
				t.RefreshToken = c.Value
			}
		}
	}
	if v, ok := lookup(m, cmp.Or(a.ExpiresInField, "expires_in")); ok {
		t.ExpiresIn = authresp.Lifetime(v)
	}
	return t, nil
}

func (a JSONLogin) String() string {
	return fmt.Sprintf("JSONLogin{LoginURL: %s, RefreshURL: %s, Username: %q, Password: %s}",
		redact.URLString(a.LoginURL), redact.URLString(a.RefreshURL), a.Username, redact.Secret(a.Password))
}

// Format implements fmt.Formatter without the password.
func (a JSONLogin) Format(f fmt.State, verb rune) {
	redact.Format(f, verb, a.String(), "httpsession."+a.String())
}

// LogValue implements slog.LogValuer without the password.
func (a JSONLogin) LogValue() slog.Value {
	return slog.GroupValue(slog.String("login_url", redact.URLString(a.LoginURL)), slog.String("username", a.Username),
		slog.String("password", redact.Secret(a.Password)))
}

var _ Authenticator = (*JSONLogin)(nil)
