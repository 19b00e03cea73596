package oauth

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"

	"github.com/httpsession/httpsession"
	"github.com/httpsession/httpsession/internal/redact"
	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"
)

// Credentials obtains tokens from an OAuth 2.0 token endpoint (RFC 6749)
// through golang.org/x/oauth2: the resource owner password credentials grant
// (§4.3) when Username is set, the client credentials grant (§4.4) otherwise,
// and the refresh_token grant (§6). Error responses (§5.2) are returned as
// [*httpsession.OAuth2Error]. Redirects are not followed.
//
// Printing a Credentials (fmt or slog) shows neither the client
// secret, the password, nor the user info, query or fragment of TokenURL.
type Credentials struct {
	TokenURL     string
	ClientID     string
	ClientSecret string // "" for a public client
	// AuthStyle is how the client authenticates to TokenURL. Zero
	// (oauth2.AuthStyleAutoDetect) means HTTP Basic with a ClientSecret and
	// client_id in the body without one; never a request the server
	// refuses to find out which it takes.
	AuthStyle oauth2.AuthStyle

	Username string // set for the password grant
	Password string

	Scopes []string   // sent as "scope" on login; nil means none
	Params url.Values // extra parameters for login requests (audience, …); may be nil
}

// Login implements [httpsession.Authenticator].
func (a *Credentials) Login(ctx context.Context, hc *http.Client) (*httpsession.Token, error) {
	if err := parseEndpoint(a.TokenURL); err != nil {
		return nil, err
	}
	params := url.Values{}
	for k, vs := range a.Params {
		params[k] = append([]string(nil), vs...)
	}
	if a.Username != "" {
		// Config.PasswordCredentialsToken sends no extra parameters
		// (audience, …): the password grant takes the client credentials
		// path with its grant_type replaced, which x/oauth2 allows.
		params.Set("grant_type", "password")
		params.Set("username", a.Username)
		params.Set("password", a.Password)
	}
	cc := clientcredentials.Config{
		ClientID: a.ClientID, ClientSecret: a.ClientSecret, TokenURL: a.TokenURL,
		Scopes: a.Scopes, EndpointParams: params, AuthStyle: clientAuth(a.ClientSecret, a.AuthStyle),
	}
	octx, ans := oauth2Context(ctx, hc)
	ot, err := cc.Token(octx)
	if err != nil {
		return nil, oauth2Failure(ctx, redact.URLString(a.TokenURL), err, ans, a.Password, a.ClientSecret)
	}
	return fromOAuth2(ot), nil
}

// Refresh implements [httpsession.Authenticator] with the refresh_token grant.
func (a *Credentials) Refresh(ctx context.Context, hc *http.Client, t *httpsession.Token) (*httpsession.Token, error) {
	if t == nil || t.RefreshToken == "" {
		return nil, httpsession.ErrNoRefresh
	}
	if err := parseEndpoint(a.TokenURL); err != nil {
		return nil, err
	}
	cfg := &oauth2.Config{
		ClientID: a.ClientID, ClientSecret: a.ClientSecret,
		Endpoint: oauth2.Endpoint{TokenURL: a.TokenURL, AuthStyle: a.AuthStyle},
	}
	return refreshOAuth2(ctx, hc, cfg, t, a.Password)
}

func (a Credentials) String() string {
	return fmt.Sprintf("Credentials{TokenURL: %s, ClientID: %q, ClientSecret: %s, Username: %q, Password: %s}",
		redact.URLString(a.TokenURL), a.ClientID, redact.Secret(a.ClientSecret), a.Username, redact.Secret(a.Password))
}

// Format implements fmt.Formatter without the secrets.
func (a Credentials) Format(f fmt.State, verb rune) {
	redact.Format(f, verb, a.String(), "oauth."+a.String())
}

// LogValue implements slog.LogValuer without the secrets.
func (a Credentials) LogValue() slog.Value {
	return slog.GroupValue(slog.String("token_url", redact.URLString(a.TokenURL)), slog.String("client_id", a.ClientID),
		slog.String("client_secret", redact.Secret(a.ClientSecret)), slog.String("username", a.Username),
		slog.String("password", redact.Secret(a.Password)))
}

var _ httpsession.Authenticator = (*Credentials)(nil)
