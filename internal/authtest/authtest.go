// Package authtest holds what the tests of package httpsession's logins
// and of package oauth's token requests both put to their authenticators
// (the answers of a broken login or token endpoint, URLs with secrets) and
// how both check what comes back: no secret in an error or a printed
// value.
package authtest

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/httpsession/httpsession/internal/redacttest"
)

const (
	// Password is the user's password in the tests: no error, log or
	// printed value may hold it.
	Password = "hunter2-password"
	// SecretPrefix starts every token the tests hand out.
	SecretPrefix = "s3cr3t"
	// QuerySecret is in the query of endpoint URLs: no error or printed
	// value may hold it.
	QuerySecret = "s3cr3t-query"
	// URLWithSecrets is an endpoint URL with the password in its user info
	// and QuerySecret in its query: printed, it shows example.com/login
	// and neither secret.
	URLWithSecrets = "https://alice:" + Password + "@example.com/login?api_key=" + QuerySecret
)

// NoSecret reports an error if s, what names, holds Password or a token
// (SecretPrefix), in clear or hex-encoded.
func NoSecret(t testing.TB, what, s string) {
	t.Helper()
	redacttest.NotShown(t, what, s, SecretPrefix, Password)
}

// CheckAuthError checks that err is an E (the *httpsession.AuthError,
// which this package cannot name: package httpsession's own tests import
// it) matching authResponse (ErrAuthResponse), with status wantStatus, a
// message holding wantReason, an endpoint without its query and no
// secret; fields gives an E's Status and Endpoint.
func CheckAuthError[E error](t testing.TB, err, authResponse error, wantStatus int, wantReason string, fields func(E) (status int, endpoint string)) {
	t.Helper()
	var ae E
	if !errors.As(err, &ae) {
		t.Fatalf("error = %v, want %T", err, ae)
	}
	if !errors.Is(err, authResponse) {
		t.Errorf("errors.Is(%v, %v) = false, want true", err, authResponse)
	}
	status, endpoint := fields(ae)
	if status != wantStatus || !strings.Contains(ae.Error(), wantReason) {
		t.Errorf("error = %v (status %d), want status %d and %q", err, status, wantStatus, wantReason)
	}
	if strings.Contains(endpoint, "?") || endpoint == "" {
		t.Errorf("Endpoint = %q, want the URL without query", endpoint)
	}
	NoSecret(t, "error", err.Error())
	if strings.Contains(err.Error(), QuerySecret) {
		t.Errorf("error = %q, contains the URL's query", err)
	}
}

// CheckURLsRedacted prints each of values, authenticators whose endpoint
// URLs are URLWithSecrets, under %v, %+v, %#v and %s and through slog
// (redacttest.Printed): no output shows the URL's user info or query,
// every output shows its endpoint.
func CheckURLsRedacted(t *testing.T, values ...any) {
	t.Helper()
	for _, v := range values {
		for what, out := range redacttest.Printed(v, "%v", "%+v", "%#v", "%s") {
			if strings.Contains(out, Password) || strings.Contains(out, QuerySecret) {
				t.Errorf("%s of %T = %q, shows a URL's secret", what, v, out)
			}
			if !strings.Contains(out, "example.com/login") {
				t.Errorf("%s of %T = %q, want the endpoint", what, v, out)
			}
		}
	}
}

// BadAnswers are login endpoint answers that must give an *AuthError
// matching ErrAuthResponse. The password and a token appear in some of the
// bodies to prove that bodies never reach the error.
var BadAnswers = []struct {
	Name       string
	Handler    http.HandlerFunc
	WantStatus int
	WantReason string
}{
	{"html", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		io.WriteString(w, "\n<!doctype html><p>Welcome "+Password+"</p>")
	}, 200, "HTML"},
	{"empty", func(w http.ResponseWriter, r *http.Request) {}, 200, "empty"},
	{"truncated json", func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, `{"access_token":"`+SecretPrefix+`-access`)
	}, 200, "malformed"},
	{"trailing data", func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, `{"access_token":"`+SecretPrefix+`-access"} {}`)
	}, 200, "malformed"},
	{"not an object", func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, `["`+SecretPrefix+`"]`)
	}, 200, "not an object"},
	{"no access token", func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, `{"refresh_token":"`+SecretPrefix+`-refresh"}`)
	}, 200, "access_token"},
	{"access token not a string", func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, `{"access_token":12345}`)
	}, 200, "access_token"},
	{"huge", func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, `{"access_token":"`+SecretPrefix+`-access","pad":"`)
		io.WriteString(w, strings.Repeat("x", 2<<20))
		io.WriteString(w, `"}`)
	}, 200, "1 MiB"},
	{"connection cut mid-body", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "1000")
		io.WriteString(w, `{"access_token":"`+SecretPrefix)
	}, 200, "truncated"},
	{"server error echoing the password", func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "no user with password "+Password, http.StatusInternalServerError)
	}, 500, "unexpected status"},
	{"wrong credentials", func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, `{"error":"bad password"}`, http.StatusUnauthorized)
	}, 401, "login rejected (401 Unauthorized): check the user name and password"},
}

// CheckNoRedirect puts login to an endpoint that answers every redirect
// status with a redirect to another server: login, given the endpoint's
// URL, must not follow it (credentials go only to the URL the user
// configured) and must fail as check says of an error with that status.
// The other server must see no request.
func CheckNoRedirect(t *testing.T, login func(endpoint string) error, check func(t *testing.T, err error, status int)) {
	t.Helper()
	var elsewhere atomic.Int32
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		elsewhere.Add(1)
		io.WriteString(w, `{"access_token":"stolen"}`)
	}))
	defer other.Close()
	for _, code := range []int{301, 302, 303, 307, 308} {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, other.URL+"/steal", code)
		}))
		check(t, login(srv.URL+"/login"), code)
		srv.Close()
	}
	if n := elsewhere.Load(); n != 0 {
		t.Errorf("redirect target got %d requests, want 0", n)
	}
}
