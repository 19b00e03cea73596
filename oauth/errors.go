package oauth

import (
	"errors"

	"github.com/httpsession/httpsession"
)

// The ways a browser or device login ends without a token other than a
// failed request: each is the Err of an [*httpsession.FlowError].

var (
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
	// issuer, when Browser.Issuer asks for it (RFC 9207).
	ErrIssuerMismatch = errors.New("httpsession: authorization response from another issuer")

	// ErrDeviceCodeExpired is matched by the error of a device login that
	// the user did not complete before the device code expired
	// ("expired_token", or its expires_in elapsed).
	ErrDeviceCodeExpired = errors.New("httpsession: device code expired")
)

// loginRequired is the error of Login when no one can be asked.
func loginRequired(flow string) error {
	return &httpsession.FlowError{Flow: flow, Err: httpsession.ErrLoginRequired}
}

// flowError converts an OAuth error code that ends a flow into a
// [*httpsession.FlowError], and returns any other error as it is.
func flowError(flow string, err error) error {
	var oe *httpsession.OAuth2Error
	if !errors.As(err, &oe) {
		return err
	}
	fe := &httpsession.FlowError{Flow: flow, Code: oe.Code, Description: oe.Description}
	switch oe.Code {
	case "access_denied":
		fe.Err = ErrAccessDenied
	case "expired_token":
		fe.Err = ErrDeviceCodeExpired
	default:
		return err
	}
	return fe
}
