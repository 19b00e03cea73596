package tokenserver

import (
	"encoding/json"
	"net/http"
	"net/url"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func grant(t *testing.T, s *Server, v url.Values) (status int, tok map[string]any) {
	t.Helper()
	resp, err := http.PostForm(s.TokenURL, v)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	json.NewDecoder(resp.Body).Decode(&tok)
	return resp.StatusCode, tok
}

func call(t *testing.T, s *Server, at string) int {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, s.URL+"/api/x", nil)
	req.Header.Set("Authorization", "Bearer "+at)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// TestRotationAndReuse: a refresh token works once; presenting it again
// revokes the family, so even the newest tokens stop working.
func TestRotationAndReuse(t *testing.T) {
	s := Start(Options{})
	defer s.Close()
	login := url.Values{"grant_type": {"password"}, "username": {Username}, "password": {Password}}
	status, t1 := grant(t, s, login)
	if status != http.StatusOK {
		t.Fatalf("login: %d", status)
	}
	refresh := func(rt any) (int, map[string]any) {
		return grant(t, s, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt.(string)}})
	}
	status, t2 := refresh(t1["refresh_token"])
	if status != http.StatusOK {
		t.Fatalf("first refresh: %d", status)
	}
	if got := call(t, s, t2["access_token"].(string)); got != http.StatusOK {
		t.Errorf("API with the refreshed token: %d, want 200", got)
	}
	if status, _ := refresh(t1["refresh_token"]); status != http.StatusBadRequest {
		t.Errorf("reused refresh token: %d, want 400", status)
	}
	if got := call(t, s, t2["access_token"].(string)); got != http.StatusUnauthorized {
		t.Errorf("API after the family was revoked: %d, want 401", got)
	}
	if status, _ := refresh(t2["refresh_token"]); status != http.StatusBadRequest {
		t.Errorf("refresh in a revoked family: %d, want 400", status)
	}
	want := Counts{Logins: 1, Refreshes: 1, Reuses: 1, Rejected: 2, Requests: 2, Accepted: 1, Denied: 1}
	if diff := cmp.Diff(want, s.Counts()); diff != "" {
		t.Errorf("counts (-want +got):\n%s", diff)
	}
}

func TestEvery429(t *testing.T) {
	s := Start(Options{Every429: 3})
	defer s.Close()
	_, tok := grant(t, s, url.Values{"grant_type": {"password"}, "username": {Username}, "password": {Password}})
	var got []int
	for range 6 {
		got = append(got, call(t, s, tok["access_token"].(string)))
	}
	want := []int{200, 200, 429, 200, 200, 429}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("statuses (-want +got):\n%s", diff)
	}
}
