package httpsession

import (
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/httpsession/httpsession/internal/redact"
	"golang.org/x/net/http/httpguts"
)

var (
	_ fmt.Stringer   = Token{}
	_ fmt.GoStringer = Token{}
	_ fmt.Formatter  = Token{}
	_ slog.LogValuer = Token{}
)

// A Token is the credential a TokenManager attaches to requests. Its JSON
// form is that of golang.org/x/oauth2's Token, so a session file can hold
// either.
//
// A Token with an empty AccessToken stands for a cookie-only session (see
// FormLogin): the login happened, the session lives in cookies, and no
// Authorization header is sent.
//
// String, GoString, Format and LogValue never reveal AccessToken or
// RefreshToken, whether the Token is printed as a value, through a pointer,
// or as an exported field of another struct printed by fmt or slog's text
// handler. encoding/json is unaffected: marshalling a Token gives its exact
// contents, for the session file. Hence slog's JSON handler, which encodes
// any other struct with encoding/json, redacts a Token logged as itself but
// not one inside a struct logged whole; and fmt cannot call methods on an
// unexported field, so a Token value there is printed raw.
type Token struct {
	// AccessToken is sent in the Authorization header.
	AccessToken string `json:"access_token"`

	// TokenType is the scheme of the Authorization header; Type returns
	// "Bearer" when it is empty.
	TokenType string `json:"token_type,omitempty"`

	// RefreshToken, when set, lets the Authenticator obtain a new access
	// token without logging in again.
	RefreshToken string `json:"refresh_token,omitempty"`

	// Expiry is when AccessToken stops working. The zero value means unknown:
	// the token is used until the server rejects it.
	Expiry time.Time `json:"expiry,omitempty"`

	// ExpiresIn is the lifetime in seconds the server gave the token
	// (expires_in, RFC 6749 §5.1). An Authenticator returns it rather than
	// dating the token itself: the TokenManager turns it into Expiry on its
	// clock (Options.Now) when it receives the token, unless Expiry is set,
	// and keeps no ExpiresIn. A session file never holds it.
	ExpiresIn int64 `json:"expires_in,omitempty"`

	// IDToken is the OpenID Connect ID token (a JWT) the token endpoint
	// returned with the access token, if any; oauth.DecodeIDToken decodes it. It is
	// persisted and redacted like the other secrets.
	IDToken string `json:"id_token,omitempty"`
}

// Type returns the authorization scheme of t: "Bearer" when TokenType is
// empty, with the common schemes in their canonical case ("bearer" becomes
// "Bearer").
func (t Token) Type() string {
	switch {
	case t.TokenType == "", strings.EqualFold(t.TokenType, "bearer"):
		return "Bearer"
	case strings.EqualFold(t.TokenType, "mac"):
		return "MAC"
	case strings.EqualFold(t.TokenType, "basic"):
		return "Basic"
	}
	return t.TokenType
}

// String returns a description of t without its secrets.
func (t Token) String() string {
	s := "Token{Type: " + t.Type() +
		", AccessToken: " + redact.Secret(t.AccessToken) +
		", RefreshToken: " + redact.Secret(t.RefreshToken) +
		", Expiry: " + expiryString(t.Expiry)
	if t.IDToken != "" {
		s += ", IDToken: " + redact.Mark
	}
	return s + "}"
}

// GoString returns a Go-syntax-like description of t without its secrets,
// for %#v.
func (t Token) GoString() string {
	id := ""
	if t.IDToken != "" {
		id = ", IDToken:" + strconv.Quote(redact.Mark)
	}
	return fmt.Sprintf("httpsession.Token{AccessToken:%q, TokenType:%q, RefreshToken:%q, Expiry:%q%s}",
		redact.Secret(t.AccessToken), t.TokenType, redact.Secret(t.RefreshToken), expiryString(t.Expiry), id)
}

// Format implements fmt.Formatter so that every verb (%v, %+v, %#v, %s, %q,
// %x, …) prints the redacted description and never the secrets.
func (t Token) Format(f fmt.State, verb rune) { redact.Format(f, verb, t.String(), t.GoString()) }

// LogValue implements slog.LogValuer: the secrets are logged as
// "[redacted]" (or "" when empty).
func (t Token) LogValue() slog.Value {
	attrs := []slog.Attr{
		slog.String("type", t.Type()),
		slog.String("access_token", redact.Secret(t.AccessToken)),
		slog.String("refresh_token", redact.Secret(t.RefreshToken)),
		slog.String("expiry", expiryString(t.Expiry)),
	}
	if t.IDToken != "" {
		attrs = append(attrs, slog.String("id_token", redact.Mark))
	}
	return slog.GroupValue(attrs...)
}

// headerSafe reports whether t can be sent: its Authorization header
// value holds no character a header can't carry (CR, LF, NUL and the
// other controls but tab), which net/http would refuse on every request.
func headerSafe(t *Token) bool {
	return t.AccessToken == "" || httpguts.ValidHeaderFieldValue(t.Type()+" "+t.AccessToken)
}

func copyToken(t *Token) *Token {
	if t == nil {
		return nil
	}
	c := *t
	return &c
}

func tokenEqual(a, b *Token) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.AccessToken == b.AccessToken && a.TokenType == b.TokenType &&
		a.RefreshToken == b.RefreshToken && a.Expiry.Equal(b.Expiry) && a.IDToken == b.IDToken
}

// expiryString renders an expiry time for a redacted description and the
// logs.
func expiryString(t time.Time) string {
	if t.IsZero() {
		return "unknown"
	}
	return t.Format(time.RFC3339)
}
