package oauth

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"time"

	"github.com/httpsession/httpsession"
	"github.com/httpsession/httpsession/internal/redact"
	"github.com/httpsession/httpsession/internal/termtext"
	"golang.org/x/oauth2"
)

// Device logs the user in with the OAuth 2.0 device authorization
// grant (RFC 8628), for a program without a browser of its own (an SSH
// session, a headless box): it requests a device code, shows the user code
// and the verification URI through Prompt, and polls the token endpoint at
// the server's interval — five seconds longer after each slow_down — until
// the user approves or denies, the code expires, or ctx is done. Refresh
// uses the refresh_token grant; a rotated refresh token replaces the old
// one.
//
// Login needs a person: when Interactive reports false it fails at once with an
// error matching [httpsession.ErrLoginRequired], without requesting a code. The
// TokenManager bounds a login by [httpsession.TokenOptions].RefreshTimeout:
// give it longer than the user needs (device codes live 5–15 minutes), or log
// in with Login directly.
//
// The requests go through the hc the TokenManager passes (the session's
// cookies, never its bearer token) and do not follow redirects. Printing
// a Device shows neither the client secret nor the query of its URLs.
type Device struct {
	// Config holds the endpoints (DeviceAuthURL, TokenURL), ClientID and
	// Scopes. A zero Endpoint.AuthStyle means HTTP Basic for a client with
	// a ClientSecret and client_id in the body for one without. Config is
	// not modified.
	Config *oauth2.Config

	// AuthParams are extra parameters of the device authorization request,
	// such as audience; may be nil.
	AuthParams url.Values

	// Prompt shows the user what to do. Nil means printing the
	// verification URI and the user code on Stderr. An error from Prompt
	// ends the login with that error.
	Prompt func(ctx context.Context, d DeviceCode) error

	// Stderr receives the default prompt. Nil means os.Stderr.
	Stderr io.Writer

	// Interactive reports whether a person is there to log in. Nil means
	// whether standard input or standard error is a terminal.
	Interactive func() bool
}

// A DeviceCode is what the user needs to approve a device login (RFC 8628
// §3.2). It holds no secret: the device code itself stays with the
// authenticator.
type DeviceCode struct {
	UserCode        string // the code the user types
	VerificationURI string // where they type it
	// VerificationURIComplete, when the server sends one, already carries
	// the user code: a link or QR code to it needs no typing.
	VerificationURIComplete string
	Expiry                  time.Time // when the code expires; zero if unknown
}

const flowDevice = "device"

// Login implements [httpsession.Authenticator].
func (a *Device) Login(ctx context.Context, hc *http.Client) (*httpsession.Token, error) {
	if a.Config == nil {
		return nil, errors.New("httpsession: oauth.Device without Config")
	}
	if !interactive(a.Interactive) {
		return nil, loginRequired(flowDevice)
	}
	cfg := tokenConfig(a.Config)
	if err := checkEndpoints(flowDevice, "the device authorization endpoint", cfg.Endpoint.DeviceAuthURL, "the token endpoint", cfg.Endpoint.TokenURL); err != nil {
		return nil, err
	}
	var opts []oauth2.AuthCodeOption
	for k, vs := range a.AuthParams {
		for _, v := range vs {
			opts = append(opts, oauth2.SetAuthURLParam(k, v))
		}
	}
	octx, ans := oauth2Context(ctx, hc)
	da, err := cfg.DeviceAuth(octx, opts...)
	if err != nil {
		return nil, flowError(flowDevice, oauth2Failure(ctx, redact.URLString(cfg.Endpoint.DeviceAuthURL), err, ans, cfg.ClientSecret))
	}
	if da.DeviceCode == "" || da.UserCode == "" || da.VerificationURI == "" {
		return nil, &httpsession.AuthError{Endpoint: redact.URLString(cfg.Endpoint.DeviceAuthURL), Status: http.StatusOK,
			Reason: "device authorization response without device_code, user_code or verification_uri"}
	}
	d := DeviceCode{UserCode: da.UserCode, VerificationURI: da.VerificationURI,
		VerificationURIComplete: da.VerificationURIComplete, Expiry: da.Expiry}
	if a.Prompt != nil {
		if err := a.Prompt(ctx, d); err != nil {
			return nil, err
		}
	} else {
		a.printPrompt(d)
	}

	// DeviceAccessToken polls at da.Interval (5s if none), adds 5s on
	// slow_down, and stops at da.Expiry or when ctx is done.
	ot, err := cfg.DeviceAccessToken(octx, da)
	if err != nil {
		if ctx.Err() == nil && errors.Is(err, context.DeadlineExceeded) {
			return nil, &httpsession.FlowError{Flow: flowDevice, Err: ErrDeviceCodeExpired}
		}
		if ctx.Err() != nil {
			return nil, fmt.Errorf("httpsession: oauth2 %s login: waiting for the user: %w", flowDevice, ctx.Err())
		}
		return nil, flowError(flowDevice, oauth2Failure(ctx, redact.URLString(cfg.Endpoint.TokenURL), err, ans, da.DeviceCode, cfg.ClientSecret))
	}
	return fromOAuth2(ot), nil
}

func (a *Device) printPrompt(d DeviceCode) {
	w := stderrOr(a.Stderr)
	// The server chose all three: none may drive the terminal.
	fmt.Fprintf(w, "To log in, open %s and enter the code %s\n", termtext.Escape(d.VerificationURI), termtext.Escape(d.UserCode))
	if d.VerificationURIComplete != "" {
		fmt.Fprintf(w, "(or open %s)\n", termtext.Escape(d.VerificationURIComplete))
	}
}

// Refresh implements [httpsession.Authenticator] with the refresh_token grant.
func (a *Device) Refresh(ctx context.Context, hc *http.Client, t *httpsession.Token) (*httpsession.Token, error) {
	return refreshOAuth2(ctx, hc, a.Config, t)
}

func (a Device) String() string { return "Device{" + describeConfig(a.Config) + "}" }

// GoString implements fmt.GoStringer without the client secret.
func (a Device) GoString() string { return "oauth." + a.String() }

// Format implements fmt.Formatter without the client secret.
func (a Device) Format(f fmt.State, verb rune) {
	redact.Format(f, verb, a.String(), a.GoString())
}

// LogValue implements slog.LogValuer without the client secret.
func (a Device) LogValue() slog.Value { return slog.StringValue(a.String()) }

var _ httpsession.Authenticator = (*Device)(nil)
