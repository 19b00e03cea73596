package httpsession

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

// TestRedirectDropsCallerCredentials checks that the Authorization,
// Proxy-Authorization and Cookie headers a caller sets on a request go to
// its origin only: a redirect to another port of the same host (which
// http.Client alone would send them to) or another host drops them, as
// curl does, while a redirect within the origin keeps them.
func TestRedirectDropsCallerCredentials(t *testing.T) {
	sensitive := []string{"Authorization", "Proxy-Authorization", "Cookie"}
	seen := make(chan http.Header, 1)
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seen <- r.Header.Clone()
	}))
	defer other.Close()
	first := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/away":
			http.Redirect(w, r, other.URL+"/landed", http.StatusFound)
		case "/stay":
			http.Redirect(w, r, "/landed", http.StatusFound)
		default:
			seen <- r.Header.Clone()
		}
	}))
	defer first.Close()

	c, err := New(Options{Header: http.Header{"X-Default": {"d"}}})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for _, tt := range []struct {
		path     string
		wantKept bool
	}{
		{"/stay", true},
		{"/away", false}, // 127.0.0.1, another port
	} {
		req, _ := http.NewRequest("GET", first.URL+tt.path, nil)
		req.Header.Set("Authorization", "Basic dTpw")
		req.Header.Set("Proxy-Authorization", "Basic dTpw")
		req.Header.Set("Cookie", "own=1")
		req.Header.Set("X-Other", "kept")
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		h := <-seen
		for _, k := range sensitive {
			if got := h.Get(k) != ""; got != tt.wantKept {
				t.Errorf("GET %s: %s sent after the redirect = %v, want %v", tt.path, k, got, tt.wantKept)
			}
		}
		if h.Get("X-Other") != "kept" || h.Get("X-Default") != "d" {
			t.Errorf("GET %s: other headers after the redirect: %v", tt.path, h)
		}
	}
}
