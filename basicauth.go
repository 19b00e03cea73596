package httpsession

import (
	"context"
	"encoding/base64"
	"fmt"
	"log/slog"
	"net/http"
	"strings"

	"github.com/httpsession/httpsession/internal/redact"
)

// BasicAuth is an Authenticator for HTTP Basic authentication (RFC 7617):
// the session's token is the "Authorization: Basic …" credential, sent
// like a bearer token, on every request to Options.AuthOrigins and to no
// other origin, whatever a redirect says.
//
// Login and Refresh send no request: they encode Username and Password.
// A 401 from an allowed origin is therefore replayed once with the same
// credentials and then returned. The encoded credentials are saved in the
// session like any token; use an encrypted store, or no SessionFile, where
// that matters. A changed Password takes over at the first 401.
type BasicAuth struct {
	Username string // must not contain a colon (RFC 7617 §2)
	Password string
}

var _ Authenticator = (*BasicAuth)(nil)

// Login returns the credentials as a Token of type "Basic". A Username
// with a colon cannot be encoded: that is an *AuthError.
func (a *BasicAuth) Login(context.Context, *http.Client) (*Token, error) {
	if strings.Contains(a.Username, ":") {
		return nil, &AuthError{Reason: "basic auth: the user name contains a colon", Hint: "RFC 7617 cannot encode it"}
	}
	cred := base64.StdEncoding.EncodeToString([]byte(a.Username + ":" + a.Password))
	return &Token{AccessToken: cred, TokenType: "Basic"}, nil
}

// Refresh encodes the credentials again, as Login: a Password changed
// since the token was saved is sent from then on.
func (a *BasicAuth) Refresh(ctx context.Context, hc *http.Client, _ *Token) (*Token, error) {
	return a.Login(ctx, hc)
}

func (a BasicAuth) String() string {
	return fmt.Sprintf("BasicAuth{Username: %q, Password: %s}", a.Username, redact.Secret(a.Password))
}

// Format implements fmt.Formatter without the password.
func (a BasicAuth) Format(f fmt.State, verb rune) {
	redact.Format(f, verb, a.String(), "httpsession."+a.String())
}

// LogValue implements slog.LogValuer without the password.
func (a BasicAuth) LogValue() slog.Value {
	return slog.GroupValue(slog.String("username", a.Username), slog.String("password", redact.Secret(a.Password)))
}
