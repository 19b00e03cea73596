package httpsession

import (
	"errors"
	"io"
	"io/fs"
	"testing"
)

// TestErrorsMatchTheirSentinels: every typed error of the package matches
// its sentinel one way, through an Is method, and exposes its cause (if
// any) through Unwrap; a CookieError matches whether it is held by value
// (a report's list) or through a pointer (Jar.Add).
func TestErrorsMatchTheirSentinels(t *testing.T) {
	cause := io.ErrUnexpectedEOF
	tests := []struct {
		name     string
		err      error
		sentinel error
		match    bool
	}{
		{"AuthError with a status", &AuthError{Status: 500, Reason: "unexpected status"}, ErrAuthResponse, true},
		{"AuthError without an answer", &AuthError{Reason: "request failed", Err: cause}, ErrAuthResponse, false},
		{"AuthError, nothing usable", &AuthError{Reason: "login returned no token"}, ErrAuthResponse, true},
		{"OAuth2Error", &OAuth2Error{Code: "invalid_grant"}, ErrAuthResponse, true},
		{"FlowError", &FlowError{Flow: "device", Err: ErrLoginRequired}, ErrLoginRequired, true},
		{"FlowError, another sentinel", &FlowError{Flow: "device", Err: ErrLoginRequired}, ErrAuthResponse, false},
		{"*CookieError", &CookieError{Name: "a", Reason: "expired"}, ErrCookieRejected, true},
		{"CookieError value", CookieError{Name: "a", Reason: "expired"}, ErrCookieRejected, true},
		{"OwnerError", &OwnerError{Path: "/f"}, ErrForeignFile, true},
		{"SessionFileError", &SessionFileError{Path: "/f", Reason: "truncated", Err: cause}, ErrCorruptSession, true},
		{"origin error", &originError{s: "ftp://x", reason: "scheme"}, ErrBadOrigin, true},
	}
	for _, tt := range tests {
		if got := errors.Is(tt.err, tt.sentinel); got != tt.match {
			t.Errorf("%s: errors.Is(%v, %v) = %v, want %v", tt.name, tt.err, tt.sentinel, got, tt.match)
		}
	}
	for _, err := range []error{
		&AuthError{Reason: "request failed", Err: cause},
		&SessionFileError{Path: "/f", Reason: "truncated", Err: cause},
	} {
		if !errors.Is(err, cause) || errors.Unwrap(err) != cause {
			t.Errorf("%T: cause not reached through Unwrap", err)
		}
		if errors.Is(err, fs.ErrNotExist) {
			t.Errorf("%T matches fs.ErrNotExist", err)
		}
	}
}
