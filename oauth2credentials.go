package httpsession

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"
)

// OAuth2Credentials obtains tokens from an OAuth 2.0 token endpoint (RFC
// 6749) through golang.org/x/oauth2: the resource owner password
// credentials grant (§4.3) when Username is set, the client credentials
// grant (§4.4) otherwise, and the refresh_token grant (§6). Error responses
// (§5.2) are returned as *OAuth2Error. Redirects are not followed.
//
// Printing an OAuth2Credentials (fmt or slog) shows neither the client
// secret, the password, nor the user info, query or fragment of TokenURL.
type OAuth2Credentials struct {
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

// Login implements Authenticator.
func (a *OAuth2Credentials) Login(ctx context.Context, hc *http.Client) (*Token, error) {
	if _, err := parseEndpoint(a.TokenURL); err != nil {
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
		return nil, oauth2Failure(ctx, redactURLString(a.TokenURL), err, ans, a.Password, a.ClientSecret)
	}
	return fromOAuth2(ot), nil
}

// Refresh implements Authenticator with the refresh_token grant.
func (a *OAuth2Credentials) Refresh(ctx context.Context, hc *http.Client, t *Token) (*Token, error) {
	if t == nil || t.RefreshToken == "" {
		return nil, ErrNoRefresh
	}
	if _, err := parseEndpoint(a.TokenURL); err != nil {
		return nil, err
	}
	cfg := &oauth2.Config{
		ClientID: a.ClientID, ClientSecret: a.ClientSecret,
		Endpoint: oauth2.Endpoint{TokenURL: a.TokenURL, AuthStyle: a.AuthStyle},
	}
	return refreshOAuth2(ctx, hc, cfg, t, a.Password)
}

func (a OAuth2Credentials) String() string {
	return fmt.Sprintf("OAuth2Credentials{TokenURL: %s, ClientID: %q, ClientSecret: %s, Username: %q, Password: %s}",
		redactURLString(a.TokenURL), a.ClientID, secretMark(a.ClientSecret), a.Username, secretMark(a.Password))
}

// Format implements fmt.Formatter without the secrets.
func (a OAuth2Credentials) Format(f fmt.State, verb rune) {
	formatRedacted(f, verb, a.String(), "httpsession."+a.String())
}

// LogValue implements slog.LogValuer without the secrets.
func (a OAuth2Credentials) LogValue() slog.Value {
	return slog.GroupValue(slog.String("token_url", redactURLString(a.TokenURL)), slog.String("client_id", a.ClientID),
		slog.String("client_secret", secretMark(a.ClientSecret)), slog.String("username", a.Username),
		slog.String("password", secretMark(a.Password)))
}

var _ Authenticator = (*OAuth2Credentials)(nil)
