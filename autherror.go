package httpsession

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
)

// The errors of the ready-made authenticators, here and in package oauth,
// that a TokenManager reads: a login, refresh or token request whose answer
// is unusable (AuthError, OAuth2Error — invalid_grant drops the refresh
// token) and a browser or device login that ends without a token
// (FlowError).

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
// or wrong password. It matches ErrAuthResponse. When a Refresh fails with
// Code "invalid_grant", the TokenManager drops the refresh token, from the
// store too, before it logs in again: any Authenticator may return one to
// say its refresh token is dead.
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

// ErrLoginRequired is matched (errors.Is) by the error of a login that
// needs the user — a browser or a device code (package oauth) — in a
// process that is not interactive: there is no token yet, or its refresh
// token was rejected (invalid_grant) or has expired. Run an interactive
// login (for the CLI, "httpsession login") to go on.
var ErrLoginRequired = errors.New("httpsession: login needs the user")

// A FlowError reports why a login through the authorization code or device
// flow (package oauth) ended without a token for a reason other than a
// failed request: Err is ErrLoginRequired, ErrAuthResponse, or one of
// package oauth's ErrAccessDenied, ErrStateMismatch, ErrIssuerMismatch and
// ErrDeviceCodeExpired. It never contains a code, token or verifier. A
// TokenManager returns it as it is, like an *AuthError or *OAuth2Error:
// it names its flow already.
type FlowError struct {
	Flow        string // "authorization code" or "device"
	Err         error  // ErrLoginRequired, ErrAuthResponse or a sentinel of package oauth
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
