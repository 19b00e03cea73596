package httpsession

import (
	"bytes"
	"cmp"
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
	"sort"
	"strconv"
	"strings"
	"time"

	"golang.org/x/net/html"
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
// "refresh rejected" (the TokenManager then logs in again). An empty
// Password is refused before anything is sent.
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

// String returns "body", "bearer" or "cookie", the names ParseRefreshStyle
// takes.
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

// ParseRefreshStyle returns the RefreshStyle named "body", "bearer" or
// "cookie" ("" is "body").
func ParseRefreshStyle(name string) (RefreshStyle, error) {
	switch strings.ToLower(name) {
	case "", "body":
		return RefreshInBody, nil
	case "bearer":
		return RefreshInBearer, nil
	case "cookie":
		return RefreshInCookie, nil
	}
	return 0, fmt.Errorf("httpsession: unknown refresh style %q: want body, bearer or cookie", name)
}

// Login implements Authenticator.
func (a *JSONLogin) Login(ctx context.Context, hc *http.Client) (*Token, error) {
	u, err := parseEndpoint(a.LoginURL)
	if err != nil {
		return nil, err
	}
	if a.Password == "" {
		return nil, &AuthError{Endpoint: redactURL(u), Reason: "empty password", Hint: "nothing was sent"}
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
// from the answer; refresh says whether it is a refresh or a login.
func (a *JSONLogin) post(ctx context.Context, hc *http.Client, u *url.URL, body map[string]any, h http.Header, refresh bool) (*Token, error) {
	endpoint := redactURL(u)
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
	case !refresh && (code == http.StatusUnauthorized || code == http.StatusForbidden):
		return nil, &AuthError{Endpoint: endpoint, Status: code, Reason: "login rejected", Hint: "check the user name and password"}
	case refresh && (code == http.StatusBadRequest || code == http.StatusUnauthorized ||
		code == http.StatusForbidden || code == http.StatusUnprocessableEntity):
		return nil, &AuthError{Endpoint: endpoint, Status: code, Reason: "refresh rejected", Hint: "the refresh token is no longer accepted; log in again"}
	case code < 200 || code > 299:
		return nil, &AuthError{Endpoint: endpoint, Status: code, Reason: "unexpected status"}
	}
	m, reason := decodeObject(data)
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
		t.Expiry = expiryFrom(v, nowFor(hc))
	}
	return t, nil
}

func (a JSONLogin) String() string {
	return fmt.Sprintf("JSONLogin{LoginURL: %s, RefreshURL: %s, Username: %q, Password: %s}",
		redactURLString(a.LoginURL), redactURLString(a.RefreshURL), a.Username, secretMark(a.Password))
}

// Format implements fmt.Formatter without the password.
func (a JSONLogin) Format(f fmt.State, verb rune) {
	formatRedacted(f, verb, a.String(), "httpsession."+a.String())
}

// LogValue implements slog.LogValuer without the password.
func (a JSONLogin) LogValue() slog.Value {
	return slog.GroupValue(slog.String("login_url", redactURLString(a.LoginURL)), slog.String("username", a.Username),
		slog.String("password", secretMark(a.Password)))
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

// FormLogin logs in the way a browser does, for sites that keep the session
// in cookies: it GETs LoginURL (collecting its cookies and, if CSRFField is
// set, the value of that hidden input field), then POSTs Fields as a form
// to PostURL. Success is decided by the configured checks on the POST's
// response, which is not followed if it redirects.
//
// The cookies travel through hc: use the Client's authenticator client, or
// an *http.Client with a Jar. Login returns a Token with an empty
// AccessToken and no Expiry: nothing is added to requests, the session
// cookie in the jar does the work, and the session counts as logged in
// until a 401 invalidates it, which makes the TokenManager log in again.
// Refresh returns ErrNoRefresh.
//
// Printing a FormLogin (fmt or slog) shows only the names of Fields, and
// its URLs without user info, query or fragment.
type FormLogin struct {
	LoginURL  string     // the login page
	PostURL   string     // where the form is posted; "" means LoginURL
	Fields    url.Values // the form, e.g. {"user": {…}, "pass": {…}}
	CSRFField string     // name of a hidden input copied from the page; "" means none
	Header    http.Header

	// Checks on the POST's response; all that are set must hold.
	SuccessStatus   int    // 0 means any 2xx or 3xx status
	SuccessCookie   string // a cookie that must now be set for PostURL
	SuccessRedirect string // the POST must redirect here: a path, or an absolute URL
}

// Login implements Authenticator.
func (a *FormLogin) Login(ctx context.Context, hc *http.Client) (*Token, error) {
	if hc == nil {
		hc = http.DefaultClient
	}
	page, err := parseEndpoint(a.LoginURL)
	if err != nil {
		return nil, err
	}
	target := page
	if a.PostURL != "" {
		if target, err = parseEndpoint(a.PostURL); err != nil {
			return nil, err
		}
	}

	form := url.Values{}
	for k, vs := range a.Fields {
		form[k] = append([]string(nil), vs...)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, page.String(), nil)
	if err != nil {
		return nil, &AuthError{Endpoint: redactURL(page), Reason: "cannot build the request"}
	}
	a.setHeader(req)
	req.Header.Set("Accept", "text/html,application/xhtml+xml")
	resp, data, err := exchange(hc, req, true)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return nil, &AuthError{Endpoint: redactURL(page), Status: resp.StatusCode, Reason: "unexpected status for the login page"}
	}
	if a.CSRFField != "" {
		v, ok := inputValue(data, a.CSRFField)
		if !ok {
			return nil, &AuthError{Endpoint: redactURL(page), Status: resp.StatusCode,
				Reason: "no input " + strconv.Quote(clean(a.CSRFField, 64)) + " on the login page"}
		}
		form.Set(a.CSRFField, v)
	}

	req, err = http.NewRequestWithContext(ctx, http.MethodPost, target.String(), strings.NewReader(form.Encode()))
	if err != nil {
		return nil, &AuthError{Endpoint: redactURL(target), Reason: "cannot build the request"}
	}
	a.setHeader(req)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if req.Header.Get("Referer") == "" {
		req.Header.Set("Referer", redactURL(page))
	}
	if req.Header.Get("Origin") == "" {
		req.Header.Set("Origin", page.Scheme+"://"+page.Host)
	}
	resp, _, err = exchange(hc, req, false)
	if err != nil {
		return nil, err
	}
	if reason := a.check(hc, target, resp); reason != "" {
		return nil, &AuthError{Endpoint: redactURL(target), Status: resp.StatusCode, Reason: "login not accepted: " + reason}
	}
	return &Token{}, nil
}

func (a *FormLogin) setHeader(req *http.Request) {
	for k, vs := range a.Header {
		req.Header[k] = append([]string(nil), vs...)
	}
}

// check applies the success checks to the POST's response and says what
// failed, or "".
func (a *FormLogin) check(hc *http.Client, target *url.URL, resp *http.Response) string {
	switch {
	case a.SuccessStatus != 0 && resp.StatusCode != a.SuccessStatus:
		return "status " + strconv.Itoa(resp.StatusCode) + ", want " + strconv.Itoa(a.SuccessStatus)
	case a.SuccessStatus == 0 && (resp.StatusCode < 200 || resp.StatusCode > 399):
		return "unexpected status"
	}
	if a.SuccessCookie != "" && !hasCookie(hc, target, resp, a.SuccessCookie) {
		return "cookie " + strconv.Quote(clean(a.SuccessCookie, 64)) + " not set"
	}
	if a.SuccessRedirect != "" {
		want, err := target.Parse(a.SuccessRedirect)
		if err != nil {
			return "invalid SuccessRedirect"
		}
		loc, err := resp.Location()
		if err != nil {
			return "no redirect"
		}
		if loc.Scheme != want.Scheme || !strings.EqualFold(loc.Host, want.Host) || loc.EscapedPath() != want.EscapedPath() {
			return "redirected elsewhere"
		}
	}
	return ""
}

// cookieSource is a RoundTripper that keeps cookies itself, as a Client's
// session does, instead of leaving them to http.Client.Jar.
type cookieSource interface {
	SessionJar() http.CookieJar
}

// hasCookie reports whether the response set a cookie called name, or hc's
// jar holds one for u.
func hasCookie(hc *http.Client, u *url.URL, resp *http.Response, name string) bool {
	for _, c := range resp.Cookies() {
		if c.Name == name && c.Value != "" && c.MaxAge >= 0 {
			return true
		}
	}
	var jar http.CookieJar = hc.Jar
	if s, ok := hc.Transport.(cookieSource); ok && jar == nil {
		jar = s.SessionJar() // a Client's session: its cookies live in the transport
	}
	if jar != nil {
		for _, c := range jar.Cookies(u) {
			if c.Name == name && c.Value != "" {
				return true
			}
		}
	}
	return false
}

// inputValue returns the value of the first <input name=name> in an HTML
// page.
func inputValue(page []byte, name string) (string, bool) {
	z := html.NewTokenizer(bytes.NewReader(page))
	for {
		switch z.Next() {
		case html.ErrorToken:
			return "", false
		case html.StartTagToken, html.SelfClosingTagToken:
			tn, hasAttr := z.TagName()
			if string(tn) != "input" || !hasAttr {
				continue
			}
			var n, v string
			for more := true; more; {
				var k, val []byte
				k, val, more = z.TagAttr()
				switch string(k) {
				case "name":
					n = string(val)
				case "value":
					v = string(val)
				}
			}
			if n == name {
				return v, true
			}
		}
	}
}

// Refresh implements Authenticator: a form login cannot be refreshed, so it
// returns ErrNoRefresh.
func (a *FormLogin) Refresh(context.Context, *http.Client, *Token) (*Token, error) {
	return nil, ErrNoRefresh
}

func (a FormLogin) String() string {
	names := make([]string, 0, len(a.Fields))
	for k := range a.Fields {
		names = append(names, k)
	}
	sort.Strings(names)
	return fmt.Sprintf("FormLogin{LoginURL: %s, PostURL: %s, Fields: %s}",
		redactURLString(a.LoginURL), redactURLString(a.PostURL), strings.Join(names, ","))
}

// Format implements fmt.Formatter without the field values.
func (a FormLogin) Format(f fmt.State, verb rune) {
	formatRedacted(f, verb, a.String(), "httpsession."+a.String())
}

// LogValue implements slog.LogValuer without the field values: the URLs
// redacted and the names of the fields.
func (a FormLogin) LogValue() slog.Value {
	names := make([]string, 0, len(a.Fields))
	for k := range a.Fields {
		names = append(names, k)
	}
	sort.Strings(names)
	return slog.GroupValue(slog.String("login_url", redactURLString(a.LoginURL)),
		slog.String("post_url", redactURLString(a.PostURL)), slog.Any("fields", names))
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
	_ Authenticator = (*JSONLogin)(nil)
	_ Authenticator = (*OAuth2)(nil)
	_ Authenticator = (*FormLogin)(nil)
	_ Authenticator = AuthFuncs{}
)
