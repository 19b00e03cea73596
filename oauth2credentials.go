package httpsession

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"log/slog"
	"mime"
	"net/http"
	"net/url"
	"strings"
)

// OAuth2ClientAuth says how an OAuth2Credentials authenticator authenticates the
// client to the token endpoint (RFC 6749 §2.3.1). The names are the
// token_endpoint_auth_method values of OpenID Connect and RFC 8414. Unlike
// golang.org/x/oauth2's AuthStyle, whose zero value auto-detects, the zero
// value here is always HTTP Basic.
type OAuth2ClientAuth int

const (
	// ClientSecretBasic sends client_id and client_secret in an HTTP Basic
	// Authorization header, which every server must support.
	ClientSecretBasic OAuth2ClientAuth = iota
	// ClientSecretPost sends them as client_id and client_secret in the
	// request body.
	ClientSecretPost
)

// OAuth2Credentials obtains tokens from an OAuth 2.0 token endpoint (RFC 6749): the
// resource owner password credentials grant (§4.3) when Username is set,
// the client credentials grant (§4.4) otherwise, and the refresh_token
// grant (§6). Error responses (§5.2) are returned as *OAuth2Error.
// Redirects are not followed.
//
// Printing an OAuth2Credentials (fmt or slog) shows neither the client secret, the
// password, nor the user info, query or fragment of TokenURL.
type OAuth2Credentials struct {
	TokenURL     string
	ClientID     string
	ClientSecret string           // "" for a public client: client_id goes in the body
	ClientAuth   OAuth2ClientAuth // zero means ClientSecretBasic

	Username string // set for the password grant
	Password string

	Scopes []string   // sent as "scope" on login; nil means none
	Params url.Values // extra parameters for login requests (audience, …); may be nil
}

// Login implements Authenticator.
func (a *OAuth2Credentials) Login(ctx context.Context, hc *http.Client) (*Token, error) {
	v := url.Values{}
	for k, vs := range a.Params {
		v[k] = append([]string(nil), vs...)
	}
	if a.Username != "" {
		v.Set("grant_type", "password")
		v.Set("username", a.Username)
		v.Set("password", a.Password)
	} else {
		v.Set("grant_type", "client_credentials")
	}
	if len(a.Scopes) > 0 {
		v.Set("scope", strings.Join(a.Scopes, " "))
	}
	return a.token(ctx, hc, v)
}

// Refresh implements Authenticator with the refresh_token grant.
func (a *OAuth2Credentials) Refresh(ctx context.Context, hc *http.Client, t *Token) (*Token, error) {
	if t == nil || t.RefreshToken == "" {
		return nil, ErrNoRefresh
	}
	v := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {t.RefreshToken}}
	return a.token(ctx, hc, v, t.RefreshToken)
}

// token posts the grant v to the token endpoint and reads the token from
// the answer; secrets are redacted from any error text taken from it. Its
// branches are the answers token endpoints give: JSON or form-encoded, an
// OAuth error (RFC 6749 §5.2), HTML, a body without an access token.
func (a *OAuth2Credentials) token(ctx context.Context, hc *http.Client, v url.Values, secrets ...string) (*Token, error) {
	u, err := parseEndpoint(a.TokenURL)
	if err != nil {
		return nil, err
	}
	endpoint := redactURL(u)
	basic := a.ClientAuth == ClientSecretBasic && a.ClientSecret != ""
	if !basic && a.ClientID != "" {
		v.Set("client_id", a.ClientID)
		if a.ClientSecret != "" {
			v.Set("client_secret", a.ClientSecret)
		}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u.String(), strings.NewReader(v.Encode()))
	if err != nil {
		return nil, &AuthError{Endpoint: endpoint, Reason: "cannot build the request"}
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	if basic {
		// §2.3.1: both parts are form-encoded before Basic encoding.
		cred := url.QueryEscape(a.ClientID) + ":" + url.QueryEscape(a.ClientSecret)
		req.Header.Set("Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte(cred)))
	}
	resp, data, err := exchange(hc, req, false)
	if err != nil {
		return nil, err
	}
	secrets = append(secrets, a.Password, a.ClientSecret)

	var m map[string]any
	reason := ""
	ct, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	if ct == "application/x-www-form-urlencoded" || (ct == "text/plain" && looksLikeForm(data)) {
		// Some servers (GitHub, older Facebook) answer in form encoding.
		q, perr := url.ParseQuery(string(data))
		if perr != nil || len(q) == 0 {
			reason = "malformed form-encoded response"
		} else {
			m = make(map[string]any, len(q))
			for k := range q {
				m[k] = q.Get(k)
			}
		}
	} else {
		m, reason = decodeObject(data)
	}
	if code := lookupString(m, "error"); code != "" {
		return nil, &OAuth2Error{
			Endpoint:    endpoint,
			Status:      resp.StatusCode,
			Code:        clean(code, 64, secrets...),
			Description: clean(lookupString(m, "error_description"), 200, secrets...),
			URI:         clean(lookupString(m, "error_uri"), 200, secrets...),
		}
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return nil, &AuthError{Endpoint: endpoint, Status: resp.StatusCode, Reason: "unexpected status"}
	}
	if reason != "" {
		return nil, &AuthError{Endpoint: endpoint, Status: resp.StatusCode, Reason: reason}
	}
	t := &Token{
		AccessToken:  lookupString(m, "access_token"),
		TokenType:    lookupString(m, "token_type"),
		RefreshToken: lookupString(m, "refresh_token"),
	}
	if t.AccessToken == "" {
		return nil, &AuthError{Endpoint: endpoint, Status: resp.StatusCode, Reason: `no "access_token" in response`}
	}
	if v, ok := m["expires_in"]; ok {
		t.Expiry = expiryFrom(v, nowFor(hc))
	}
	return t, nil
}

// looksLikeForm reports whether a text/plain body is form-encoded rather
// than JSON or HTML served with the wrong type.
func looksLikeForm(b []byte) bool {
	b = bytes.TrimSpace(b)
	return len(b) > 0 && !strings.ContainsRune("{[<\"", rune(b[0]))
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
