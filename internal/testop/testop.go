// Package testop is an OpenID provider for the tests of the oauth.Browser
// and oauth.Device authenticators and the CLI's browser and device logins,
// built
// from zitadel/oidc's OP package and the in-memory storage of its example
// server: PKCE is required (a native client has no secret, and the OP
// refuses its code exchange without a verifier), the device flow is on, and
// the storage rotates refresh tokens (a used one is deleted). zitadel's OP
// leaves the login and device pages to the application, as a real
// deployment would; the small pages below are ours.
package testop

import (
	"context"
	"crypto/sha256"
	"fmt"
	"html/template"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/zitadel/oidc/v3/example/server/storage"
	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"
)

// The client and the user the provider knows.
const (
	ClientID = "cli"
	User     = "test-user2"
	Password = "verysecure"
)

// An OP is a running provider.
type OP struct {
	Issuer   string
	Handler  http.Handler
	Storage  *opStorage
	provider *op.Provider
}

// opStorage is the example storage with what the device flow needs on top:
// the native client may use the device grant, a device login gets a
// refresh token bound to the client, and a number of polls can be answered
// with slow_down (the OP says slow_down when its storage reports a
// deadline, as a rate-limited one would).
type opStorage struct {
	*storage.Storage
	SlowDowns atomic.Int32
	Refreshes atomic.Int32 // refresh_token grants answered
}

type deviceGrantClient struct{ op.Client }

func (c deviceGrantClient) GrantTypes() []oidc.GrantType {
	return append(slices.Clone(c.Client.GrantTypes()), oidc.GrantTypeDeviceCode)
}

func (s *opStorage) GetClientByClientID(ctx context.Context, id string) (op.Client, error) {
	c, err := s.Storage.GetClientByClientID(ctx, id)
	if err != nil {
		return nil, err
	}
	return deviceGrantClient{c}, nil
}

func (s *opStorage) GetDeviceAuthorizatonState(ctx context.Context, clientID, deviceCode string) (*op.DeviceAuthorizationState, error) {
	if s.SlowDowns.Add(-1) >= 0 {
		return nil, context.DeadlineExceeded
	}
	return s.Storage.GetDeviceAuthorizatonState(ctx, clientID, deviceCode)
}

func (s *opStorage) CreateAccessAndRefreshTokens(ctx context.Context, req op.TokenRequest, current string) (string, string, time.Time, error) {
	if ds, ok := req.(*op.DeviceAuthorizationState); ok {
		req = &storage.RefreshTokenRequest{RefreshToken: &storage.RefreshToken{
			ApplicationID: ds.ClientID, UserID: ds.Subject, Audience: ds.GetAudience(), Scopes: ds.Scopes, AuthTime: ds.AuthTime,
		}}
	}
	if current != "" {
		s.Refreshes.Add(1)
	}
	return s.Storage.CreateAccessAndRefreshTokens(ctx, req, current)
}

// New builds a provider for issuer, asking device clients to poll every
// pollInterval; the caller serves its Handler there.
func New(t testing.TB, issuer string, pollInterval time.Duration) *OP {
	t.Helper()
	st := &opStorage{Storage: storage.NewStorageWithClients(storage.NewUserStore(issuer), map[string]*storage.Client{
		ClientID: storage.NativeClient(ClientID, "http://127.0.0.1/callback"),
	})}
	cfg := &op.Config{
		CryptoKey:             sha256.Sum256([]byte("test key")),
		CodeMethodS256:        true,
		AuthMethodPost:        true,
		GrantTypeRefreshToken: true,
		DeviceAuthorization: op.DeviceAuthorizationConfig{
			Lifetime:     5 * time.Minute,
			PollInterval: pollInterval,
			UserFormPath: "/device",
			UserCode:     op.UserCodeBase20,
		},
	}
	p, err := op.NewProvider(cfg, st, op.StaticIssuer(issuer), op.WithAllowInsecure(),
		op.WithLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		t.Fatal(err)
	}
	o := &OP{Issuer: issuer, Storage: st, provider: p}
	mux := http.NewServeMux()
	intercept := op.NewIssuerInterceptor(p.IssuerFromRequest)
	mux.HandleFunc("GET /login/username", o.loginPage)
	mux.HandleFunc("POST /login/username", intercept.HandlerFunc(o.login))
	mux.HandleFunc("GET /device", o.devicePage)
	mux.HandleFunc("POST /device", o.deviceApprove)
	mux.Handle("/", p)
	o.Handler = mux
	return o
}

// Serve runs a provider on a loopback httptest server.
func Serve(t testing.TB, pollInterval time.Duration) *OP {
	t.Helper()
	ts := httptest.NewUnstartedServer(nil)
	o := New(t, "http://"+ts.Listener.Addr().String(), pollInterval)
	ts.Config.Handler = o.Handler
	ts.Start()
	t.Cleanup(ts.Close)
	return o
}

var loginForm = template.Must(template.New("").Parse(`<!doctype html><title>Log in</title>
<form method=post action="/login/username"><input type=hidden name=id value="{{.}}">
<input name=username><input name=password type=password>
<button name=action value=allow>Log in</button><button name=action value=deny>Deny</button></form>`))

func (o *OP) loginPage(w http.ResponseWriter, r *http.Request) {
	_ = loginForm.Execute(w, r.FormValue("authRequestID"))
}

func (o *OP) login(w http.ResponseWriter, r *http.Request) {
	id := r.FormValue("id")
	if r.FormValue("action") == "deny" {
		req, err := o.Storage.AuthRequestByID(r.Context(), id)
		if err != nil {
			http.Error(w, "no such request", http.StatusBadRequest)
			return
		}
		op.AuthRequestError(w, r, req, oidc.ErrAccessDenied().WithDescription("the user said no"), o.provider)
		return
	}
	if err := o.Storage.CheckUsernamePassword(r.FormValue("username"), r.FormValue("password"), id); err != nil {
		http.Error(w, err.Error(), http.StatusForbidden)
		return
	}
	http.Redirect(w, r, op.AuthCallbackURL(o.provider)(r.Context(), id), http.StatusFound)
}

var deviceForm = template.Must(template.New("").Parse(`<!doctype html><title>Device login</title>
<form method=post action="/device"><input name=user_code value="{{.}}">
<input name=username><input name=password type=password>
<button name=action value=allow>Allow</button><button name=action value=deny>Deny</button></form>`))

func (o *OP) devicePage(w http.ResponseWriter, r *http.Request) {
	_ = deviceForm.Execute(w, r.FormValue("user_code"))
}

func (o *OP) deviceApprove(w http.ResponseWriter, r *http.Request) {
	code := r.FormValue("user_code")
	if err := o.Storage.CheckUsernamePasswordSimple(r.FormValue("username"), r.FormValue("password")); err != nil {
		http.Error(w, err.Error(), http.StatusForbidden)
		return
	}
	var err error
	if r.FormValue("action") == "deny" {
		err = o.Storage.DenyDeviceAuthorization(r.Context(), code)
	} else {
		err = o.Storage.CompleteDeviceAuthorization(r.Context(), code, "id2")
	}
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	io.WriteString(w, "done")
}

// Browser is the user's browser: a client with its own cookies that
// follows redirects, over transport (nil: the default).
func Browser(transport http.RoundTripper) *http.Client {
	jar, _ := cookiejar.New(nil)
	return &http.Client{Jar: jar, Transport: transport}
}

var hiddenID = regexp.MustCompile(`name=id value="([^"]+)"`)

// Authorize plays the user in the browser: it opens the authorization URL,
// submits the provider's login form with action ("allow" or "deny"), and
// follows the redirects back to the program's loopback listener. tamper, if
// set, may change that last redirect. It returns the page the program
// answered with.
func Authorize(hc *http.Client, authURL, action string, tamper func(*url.URL)) (int, string, error) {
	resp, err := hc.Get(authURL)
	if err != nil {
		return 0, "", err
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	m := hiddenID.FindSubmatch(body)
	if resp.StatusCode != http.StatusOK || m == nil {
		return 0, "", fmt.Errorf("login page: status %d, body %.300s", resp.StatusCode, body)
	}
	c := *hc
	c.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		if tamper != nil && req.URL.Hostname() == "127.0.0.1" && req.URL.Port() != via[0].URL.Port() {
			tamper(req.URL)
		}
		return nil
	}
	form := url.Values{"id": {string(m[1])}, "username": {User}, "password": {Password}, "action": {action}}
	resp, err = c.PostForm(resp.Request.URL.ResolveReference(&url.URL{Path: "/login/username"}).String(), form)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	body, _ = io.ReadAll(resp.Body)
	return resp.StatusCode, string(body), nil
}

// ApproveDevice plays the user on another device: it opens the
// verification URI and submits the user code with action.
func ApproveDevice(t testing.TB, hc *http.Client, verificationURI, userCode, action string) {
	t.Helper()
	form := url.Values{"user_code": {userCode}, "username": {User}, "password": {Password}, "action": {action}}
	resp, err := hc.PostForm(verificationURI, form)
	if err != nil {
		t.Errorf("approve device: %v", err)
		return
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(b), "done") {
		t.Errorf("approve device: status %d, body %.200s", resp.StatusCode, b)
	}
}

// HandlerTransport serves requests with a handler in memory, so that tests
// of timing run entirely inside a testing/synctest bubble.
type HandlerTransport struct{ H http.Handler }

// RoundTrip implements http.RoundTripper.
func (t HandlerTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	sr := r.Clone(r.Context())
	sr.RequestURI = r.URL.RequestURI()
	sr.RemoteAddr = "127.0.0.1:40000"
	if sr.Body == nil {
		sr.Body = http.NoBody
	}
	rec := httptest.NewRecorder()
	t.H.ServeHTTP(rec, sr)
	if r.Body != nil {
		r.Body.Close()
	}
	resp := rec.Result()
	resp.Request = r
	return resp, nil
}
