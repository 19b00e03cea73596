package httpsession

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/httpsession/httpsession/internal/authtest"
	"github.com/httpsession/httpsession/internal/nodeservers"
)

// The form-login and CSRF rules against a real express site: passport-local
// behind a form, express-session, csrf-sync's synchronizer token, lusca's
// Angular-style XSRF cookie (internal/nodeservers/formsite).

type formsiteStats struct{ Logins, Failures, Notes int }

func formsiteStatsOf(t *testing.T, base string) formsiteStats {
	t.Helper()
	resp, err := http.Get(base + "/stats")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var s formsiteStats
	if err := json.NewDecoder(resp.Body).Decode(&s); err != nil {
		t.Fatal(err)
	}
	return s
}

func mustDo(t *testing.T, c *Client, method, url, body string) (int, string) {
	t.Helper()
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, url, r)
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestFormLoginPassport(t *testing.T) {
	base := nodeservers.Start(t, "formsite", "FORMSITE_PASSWORD="+testPassword)
	c, err := New(Options{
		Auth: &FormLogin{LoginURL: base + "/login", Username: "alice", Password: testPassword},
		CSRF: &CSRF{Convention: "rails"}, // csrf-sync's token, from <meta name="csrf-token">
	})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()

	if code, body := mustDo(t, c, "GET", base+"/account", ""); code != 200 || !strings.Contains(body, "Hello alice") {
		t.Fatalf("GET /account = %d %q, want the account page after the form login", code, body)
	}
	if code, body := mustDo(t, c, "POST", base+"/notes", `{"text":"x"}`); code != 200 {
		t.Fatalf("POST /notes = %d %q, want 200 with the CSRF token of the last page", code, body)
	}
	// Every session ends on the server; the next request is redirected to
	// /login, which logs in once and replays it.
	if code, _ := mustDo(t, c, "POST", base+"/expire", ""); code != 200 {
		t.Fatalf("POST /expire = %d", code)
	}
	if code, body := mustDo(t, c, "GET", base+"/account", ""); code != 200 || !strings.Contains(body, "Hello alice") {
		t.Fatalf("GET /account after the logout = %d %q, want the account page after a new login", code, body)
	}
	if s := formsiteStatsOf(t, base); s.Logins != 2 || s.Failures != 0 || s.Notes != 1 {
		t.Errorf("site stats = %+v, want 2 logins, no failure, 1 note", s)
	}
}

func TestFormLoginPassportWrongPassword(t *testing.T) {
	base := nodeservers.Start(t, "formsite", "FORMSITE_PASSWORD="+testPassword)
	c, err := New(Options{})
	if err != nil {
		t.Fatal(err)
	}
	a := &FormLogin{LoginURL: base + "/login", Username: "alice", Password: "wrong-" + testPassword}
	_, err = a.Login(context.Background(), c.HTTPClient())
	var fe *FormLoginError
	if !errors.As(err, &fe) || !errors.Is(err, ErrAuthResponse) || errors.Is(err, ErrCSRF) {
		t.Fatalf("Login() error = %v, want a *FormLoginError that is not a CSRF refusal", err)
	}
	want := FormLoginError{Path: "/login", Status: http.StatusFound, Message: "Invalid username or password."}
	if *fe != want {
		t.Errorf("Login() error = %#v, want %#v", *fe, want)
	}
	authtest.NoSecret(t, "error", err.Error())
	if s := formsiteStatsOf(t, base); s.Failures != 1 || s.Logins != 0 {
		t.Errorf("site stats = %+v, want one failed login", s)
	}
}

func TestFormLoginPassportCSRFRefused(t *testing.T) {
	base := nodeservers.Start(t, "formsite", "FORMSITE_PASSWORD="+testPassword)
	c, err := New(Options{})
	if err != nil {
		t.Fatal(err)
	}
	// A login "page" without the form: the post carries no token.
	a := &FormLogin{LoginURL: base + "/stats", PostURL: base + "/login", Username: "alice", Password: testPassword}
	_, err = a.Login(context.Background(), c.HTTPClient())
	var fe *FormLoginError
	if !errors.As(err, &fe) || !errors.Is(err, ErrCSRF) || fe.Status != http.StatusForbidden {
		t.Fatalf("Login() error = %v, want a CSRF refusal (ErrCSRF, 403)", err)
	}
}

func TestCSRFAngularLusca(t *testing.T) {
	base := nodeservers.Start(t, "formsite")
	for _, tt := range []struct {
		name string
		csrf *CSRF
		want int
	}{
		{"angular convention", &CSRF{Convention: "angular"}, http.StatusOK},
		{"custom pair", &CSRF{Cookie: "XSRF-TOKEN", Header: "X-XSRF-TOKEN"}, http.StatusOK},
		{"none", nil, http.StatusForbidden},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c, err := New(Options{CSRF: tt.csrf})
			if err != nil {
				t.Fatal(err)
			}
			if code, _ := mustDo(t, c, "GET", base+"/ng/", ""); code != 200 {
				t.Fatalf("GET /ng/ = %d", code)
			}
			if code, body := mustDo(t, c, "POST", base+"/ng/items", `{}`); code != tt.want {
				t.Errorf("POST /ng/items = %d %q, want %d", code, body, tt.want)
			}
		})
	}
}
