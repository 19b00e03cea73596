package demoserver

import (
	"encoding/json"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"
)

type fakeClock struct{ t time.Time }

func (c *fakeClock) now() time.Time { return c.t }

func post(t *testing.T, hc *http.Client, u, body string) (int, map[string]any) {
	t.Helper()
	resp, err := hc.Post(u, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var m map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&m)
	return resp.StatusCode, m
}

func getStatus(t *testing.T, hc *http.Client, u, bearer string) int {
	t.Helper()
	req, _ := http.NewRequest("GET", u, nil)
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	resp, err := hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

func TestTokenLifecycle(t *testing.T) {
	clk := &fakeClock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	s := New(Options{TokenTTL: 10 * time.Second, Now: clk.now})
	ts := httptest.NewServer(s.Handler())
	defer ts.Close()
	hc := ts.Client()

	if code, _ := post(t, hc, ts.URL+"/auth/login", `{"username":"demo","password":"wrong"}`); code != 401 {
		t.Errorf("login with a bad password = %d, want 401", code)
	}
	code, tok := post(t, hc, ts.URL+"/auth/login", `{"username":"demo","password":"demo-password"}`)
	if code != 200 {
		t.Fatalf("login = %d, want 200", code)
	}
	at, rt := tok["access_token"].(string), tok["refresh_token"].(string)
	if got := getStatus(t, hc, ts.URL+"/api/me", at); got != 200 {
		t.Errorf("GET /api/me with a fresh token = %d, want 200", got)
	}
	clk.t = clk.t.Add(11 * time.Second)
	if got := getStatus(t, hc, ts.URL+"/api/me", at); got != 401 {
		t.Errorf("GET /api/me with an expired token = %d, want 401", got)
	}
	code, tok2 := post(t, hc, ts.URL+"/auth/refresh", `{"refresh_token":"`+rt+`"}`)
	if code != 200 {
		t.Fatalf("refresh = %d, want 200", code)
	}
	if code, _ := post(t, hc, ts.URL+"/auth/refresh", `{"refresh_token":"`+rt+`"}`); code != 401 {
		t.Errorf("second use of a rotated refresh token = %d, want 401", code)
	}
	at2 := tok2["access_token"].(string)
	if got := getStatus(t, hc, ts.URL+"/api/me", at2); got != 200 {
		t.Errorf("GET /api/me with the refreshed token = %d, want 200", got)
	}
	clk.t = clk.t.Add(time.Second)
	s.RevokeAll()
	if got := getStatus(t, hc, ts.URL+"/api/me", at2); got != 401 {
		t.Errorf("GET /api/me with a revoked token = %d, want 401", got)
	}

	// A new server with the same key accepts the old refresh token: the demo
	// resumes across runs this way.
	s2 := New(Options{Now: clk.now})
	ts2 := httptest.NewServer(s2.Handler())
	defer ts2.Close()
	if code, _ := post(t, hc, ts2.URL+"/auth/refresh", `{"refresh_token":"`+tok2["refresh_token"].(string)+`"}`); code != 200 {
		t.Errorf("refresh on a restarted server = %d, want 200", code)
	}
	if got, want := s.Stats(), (Stats{Logins: 1, Refreshes: 1, Unauthorized: 2, APIRequests: 4}); got != want {
		t.Errorf("Stats() = %+v, want %+v", got, want)
	}
}

func TestFormLoginAndChallenge(t *testing.T) {
	s := New(Options{})
	ts := httptest.NewServer(s.Handler())
	defer ts.Close()
	jar, _ := cookiejar.New(nil)
	hc := &http.Client{Jar: jar}

	if got := getStatus(t, hc, ts.URL+"/api/limited", ""); got != 429 {
		t.Errorf("first GET /api/limited = %d, want 429", got)
	}
	if got := getStatus(t, hc, ts.URL+"/api/limited", ""); got != 200 {
		t.Errorf("GET /api/limited with the challenge cookie = %d, want 200", got)
	}

	resp, err := hc.Get(ts.URL + "/login")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	u, _ := url.Parse(ts.URL)
	var csrf string
	for _, c := range jar.Cookies(u) {
		if c.Name == "csrf" {
			csrf = c.Value
		}
	}
	if csrf == "" {
		t.Fatal("GET /login set no csrf cookie")
	}
	form := url.Values{"username": {"demo"}, "password": {"demo-password"}}
	resp, err = hc.PostForm(ts.URL+"/login", form)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("form login without the CSRF field = %d, want 403", resp.StatusCode)
	}
	resp, _ = hc.Get(ts.URL + "/login")
	resp.Body.Close()
	for _, c := range jar.Cookies(u) {
		if c.Name == "csrf" {
			csrf = c.Value
		}
	}
	form.Set("csrf_token", csrf)
	resp, err = hc.PostForm(ts.URL+"/login", form)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.Request.URL.Path != "/account" {
		t.Errorf("form login ended at %s with %d, want /account with 200", resp.Request.URL.Path, resp.StatusCode)
	}
}
