package httpsession

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
)

// The errors of the ready-made authenticators: a login, refresh or token
// request whose answer is unusable (AuthError, OAuth2Error) and a browser
// or device login that ends without a token (FlowError).

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
		writeStatus(&b, e.Status)
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

// Is reports whether target is ErrAuthResponse and the endpoint answered
// (or the authenticator returned nothing usable).
func (e *AuthError) Is(target error) bool {
	return target == ErrAuthResponse && (e.Status != 0 || e.Err == nil)
}

// Unwrap returns Err.
func (e *AuthError) Unwrap() error { return e.Err }

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

// Is reports whether target is ErrAuthResponse.
func (e *OAuth2Error) Is(target error) bool { return target == ErrAuthResponse }

var (
	// ErrLoginRequired is matched (errors.Is) by the error of a login that
	// needs the user — a browser or a device code — in a process that is
	// not interactive: there is no token yet, or its refresh token was
	// rejected (invalid_grant) or has expired. Run an interactive login
	// (for the CLI, "httpsession login") to go on.
	ErrLoginRequired = errors.New("httpsession: login needs the user")

	// ErrAccessDenied is matched by the error of a login the user (or the
	// server on their behalf) refused: "access_denied" (RFC 6749 §4.1.2.1,
	// RFC 8628 §3.5).
	ErrAccessDenied = errors.New("httpsession: access denied")

	// ErrStateMismatch is matched by the error of an authorization code
	// login that ended (its context done) after refusing redirects that
	// carried a state other than the one sent: such a response does not
	// belong to this login (RFC 6749 §10.12). Each one is answered 400 and
	// the login keeps waiting for the right one, so that any local process
	// requesting the callback URL cannot end it.
	ErrStateMismatch = errors.New("httpsession: authorization response with the wrong state")

	// ErrIssuerMismatch is matched by the error of an authorization code
	// login whose redirect lacked the iss parameter, or named another
	// issuer, when OAuth2Browser.Issuer asks for it (RFC 9207).
	ErrIssuerMismatch = errors.New("httpsession: authorization response from another issuer")

	// ErrDeviceCodeExpired is matched by the error of a device login that
	// the user did not complete before the device code expired
	// ("expired_token", or its expires_in elapsed).
	ErrDeviceCodeExpired = errors.New("httpsession: device code expired")
)

// A FlowError reports why a login through the authorization code or device
// flow ended without a token for a reason other than a failed request:
// Err is ErrLoginRequired, ErrAccessDenied, ErrStateMismatch,
// ErrIssuerMismatch or ErrDeviceCodeExpired. It never contains a code, token or verifier.
type FlowError struct {
	Flow        string // "authorization code" or "device"
	Err         error  // one of the sentinels above
	Code        string // the OAuth "error" parameter, if the server sent one
	Description string // "error_description", bounded and printable
}

func (e *FlowError) Error() string {
	s := "httpsession: oauth2 " + e.Flow + " login: " + strings.TrimPrefix(e.Err.Error(), "httpsession: ")
	if e.Code != "" {
		s += " (" + strconv.Quote(e.Code)
		if e.Description != "" {
			s += ": " + e.Description
		}
		s += ")"
	}
	return s
}

// Is reports whether target is Err.
func (e *FlowError) Is(target error) bool { return target == e.Err }

// writeStatus writes " (STATUS TEXT)", or " (STATUS)" for a status
// net/http has no text for (Laravel's 419).
func writeStatus(b *strings.Builder, status int) {
	if text := http.StatusText(status); text != "" {
		fmt.Fprintf(b, " (%d %s)", status, text)
		return
	}
	fmt.Fprintf(b, " (%d)", status)
}
