// Package authtest holds the answers of a broken login or token endpoint
// that the tests of package httpsession's logins and of package oauth's
// token requests both put to their authenticators.
package authtest

import (
	"io"
	"net/http"
	"strings"
)

const (
	// Password is the user's password in the tests: no error, log or
	// printed value may hold it.
	Password = "hunter2-password"
	// SecretPrefix starts every token the tests hand out.
	SecretPrefix = "s3cr3t"
)

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
