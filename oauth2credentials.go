package httpsession

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// maxAuthBody is the most read from any login, refresh or token endpoint.
const maxAuthBody = 1 << 20

var (
	// ErrAuthResponse is matched (errors.Is) by every error caused by what a
	// login, refresh or token endpoint answered: an unexpected status,
	// HTML, an empty, truncated, malformed or oversized body, a missing
	// access token, an OAuth 2.0 error response, a rejected form login.
	ErrAuthResponse = errors.New("httpsession: unusable authentication response")

	errNoToken = &AuthError{Reason: "login returned no token"}
)

// An AuthError reports a failed login or refresh request. Its message names
// the endpoint (without query or credentials) and the status, and never
// contains a response body, token or password.
type AuthError struct {
	Endpoint string // scheme://host/path of the request, "" if unknown
	Status   int    // HTTP status, 0 if no response was received
	Reason   string // what went wrong, free of secrets
	Hint     string // what the user can do about it, "" if nothing to say
	Err      error  // underlying error (network, context, read), or nil
}

// Error reads "httpsession: ENDPOINT: REASON (STATUS TEXT): HINT: ERR",
// the parts that are unknown left out.
func (e *AuthError) Error() string {
	var b strings.Builder
	b.WriteString("httpsession: ")
	if e.Endpoint != "" {
		b.WriteString(e.Endpoint)
		b.WriteString(": ")
	}
	b.WriteString(e.Reason)
	if e.Status != 0 {
		fmt.Fprintf(&b, " (%d %s)", e.Status, http.StatusText(e.Status))
	}
	if e.Hint != "" {
		b.WriteString(": ")
		b.WriteString(e.Hint)
	}
	if e.Err != nil {
		b.WriteString(": ")
		b.WriteString(e.Err.Error())
	}
	return b.String()
}

// Unwrap makes errors.Is(err, ErrAuthResponse) hold when the endpoint
// answered (or the authenticator returned nothing usable), and exposes Err.
func (e *AuthError) Unwrap() []error {
	var errs []error
	if e.Status != 0 || e.Err == nil {
		errs = append(errs, ErrAuthResponse)
	}
	if e.Err != nil {
		errs = append(errs, e.Err)
	}
	return errs
}

// An OAuth2Error is an error response from an OAuth 2.0 token endpoint
// (RFC 6749 §5.2), such as Code "invalid_grant" for a revoked refresh token
// or wrong password. It matches ErrAuthResponse.
type OAuth2Error struct {
	Endpoint    string // scheme://host/path of the token endpoint
	Status      int    // HTTP status
	Code        string // the "error" parameter
	Description string // "error_description", bounded, credentials removed
	URI         string // "error_uri"
}

func (e *OAuth2Error) Error() string {
	s := "httpsession: " + e.Endpoint + ": oauth2 error " + strconv.Quote(e.Code)
	if e.Description != "" {
		s += ": " + e.Description
	}
	return s + " (status " + strconv.Itoa(e.Status) + ")"
}

// Unwrap returns ErrAuthResponse.
func (e *OAuth2Error) Unwrap() error { return ErrAuthResponse }

// parseEndpoint checks that raw is an absolute http(s) URL.
func parseEndpoint(raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, &AuthError{Reason: "invalid endpoint URL"}
	}
	return u, nil
}

// exchange sends req with hc and reads at most maxAuthBody of the answer.
// Unless follow is set, redirects are not followed: a request carrying
// credentials goes only to the URL the user configured.
func exchange(hc *http.Client, req *http.Request, follow bool) (*http.Response, []byte, error) {
	if hc == nil {
		hc = http.DefaultClient
	}
	if !follow {
		c := *hc
		c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
		hc = &c
	}
	endpoint := redactURL(req.URL)
	resp, err := hc.Do(req)
	if err != nil {
		// *url.Error would print the full URL; keep only its cause.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return nil, nil, &AuthError{Endpoint: endpoint, Reason: "request failed", Err: err}
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxAuthBody+1))
	if err != nil {
		return nil, nil, &AuthError{Endpoint: endpoint, Status: resp.StatusCode, Reason: "truncated response", Err: err}
	}
	if len(body) > maxAuthBody {
		return nil, nil, &AuthError{Endpoint: endpoint, Status: resp.StatusCode, Reason: "response larger than 1 MiB"}
	}
	return resp, body, nil
}

// decodeObject decodes a JSON object, describing what is wrong otherwise.
func decodeObject(body []byte) (map[string]any, string) {
	b := bytes.TrimSpace(body)
	switch {
	case len(b) == 0:
		return nil, "empty response"
	case b[0] == '<':
		return nil, "HTML instead of JSON"
	}
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		return nil, "malformed or truncated JSON"
	}
	if d.More() {
		return nil, "malformed JSON: data after the object"
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, "JSON is not an object"
	}
	return m, ""
}

// lookup finds a dotted path ("data.token") in a decoded JSON object.
func lookup(m map[string]any, path string) (any, bool) {
	var v any = m
	for part := range strings.SplitSeq(path, ".") {
		obj, ok := v.(map[string]any)
		if !ok {
			return nil, false
		}
		if v, ok = obj[part]; !ok {
			return nil, false
		}
	}
	return v, true
}

func lookupString(m map[string]any, path string) string {
	v, _ := lookup(m, path)
	s, _ := v.(string)
	return s
}

// expiryFrom turns an expires_in value (a number or a numeric string of
// seconds) into an Expiry; zero if absent or implausible.
func expiryFrom(v any, now time.Time) time.Time {
	var s string
	switch x := v.(type) {
	case json.Number:
		s = string(x)
	case string:
		s = x
	default:
		return time.Time{}
	}
	sec, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil || math.IsNaN(sec) || sec <= 0 || sec > 100*365*24*3600 {
		return time.Time{}
	}
	return now.Add(time.Duration(sec * float64(time.Second)))
}

// lastField is the last element of a dotted path.
func lastField(path string) string {
	return path[strings.LastIndexByte(path, '.')+1:]
}

// OAuth2ClientAuth says how an OAuth2 authenticator authenticates the
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

// OAuth2 obtains tokens from an OAuth 2.0 token endpoint (RFC 6749): the
// resource owner password credentials grant (§4.3) when Username is set,
// the client credentials grant (§4.4) otherwise, and the refresh_token
// grant (§6). Error responses (§5.2) are returned as *OAuth2Error.
// Redirects are not followed.
//
// Printing an OAuth2 (fmt or slog) shows neither the client secret, the
// password, nor the user info, query or fragment of TokenURL.
type OAuth2 struct {
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
func (a *OAuth2) Login(ctx context.Context, hc *http.Client) (*Token, error) {
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
func (a *OAuth2) Refresh(ctx context.Context, hc *http.Client, t *Token) (*Token, error) {
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
func (a *OAuth2) token(ctx context.Context, hc *http.Client, v url.Values, secrets ...string) (*Token, error) {
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

func (a OAuth2) String() string {
	return fmt.Sprintf("OAuth2{TokenURL: %s, ClientID: %q, ClientSecret: %s, Username: %q, Password: %s}",
		redactURLString(a.TokenURL), a.ClientID, secretMark(a.ClientSecret), a.Username, secretMark(a.Password))
}

// Format implements fmt.Formatter without the secrets.
func (a OAuth2) Format(f fmt.State, verb rune) {
	formatRedacted(f, verb, a.String(), "httpsession."+a.String())
}

// LogValue implements slog.LogValuer without the secrets.
func (a OAuth2) LogValue() slog.Value {
	return slog.GroupValue(slog.String("token_url", redactURLString(a.TokenURL)), slog.String("client_id", a.ClientID),
		slog.String("client_secret", secretMark(a.ClientSecret)), slog.String("username", a.Username),
		slog.String("password", secretMark(a.Password)))
}

// AuthFuncs adapts two functions to an Authenticator.
type AuthFuncs struct {
	LoginFunc   func(ctx context.Context, hc *http.Client) (*Token, error)
	RefreshFunc func(ctx context.Context, hc *http.Client, t *Token) (*Token, error) // nil means no refresh
}

// Login calls LoginFunc.
func (a AuthFuncs) Login(ctx context.Context, hc *http.Client) (*Token, error) {
	if a.LoginFunc == nil {
		return nil, errors.New("httpsession: AuthFuncs without LoginFunc")
	}
	return a.LoginFunc(ctx, hc)
}

// Refresh calls RefreshFunc, or returns ErrNoRefresh if it is nil.
func (a AuthFuncs) Refresh(ctx context.Context, hc *http.Client, t *Token) (*Token, error) {
	if a.RefreshFunc == nil {
		return nil, ErrNoRefresh
	}
	return a.RefreshFunc(ctx, hc, t)
}

var (
	_ Authenticator = (*OAuth2)(nil)
	_ Authenticator = AuthFuncs{}
)
