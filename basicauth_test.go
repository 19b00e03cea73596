package httpsession

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
)

// TestBasicAuth: the credentials go to the allowed origin on every
// request, never to another origin a redirect leads to, and never into
// %v or %+v.
func TestBasicAuth(t *testing.T) {
	var mu sync.Mutex
	seen := map[string]string{}
	record := func(name string) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			mu.Lock()
			seen[name+r.URL.Path] = r.Header.Get("Authorization")
			mu.Unlock()
			if to := r.URL.Query().Get("to"); to != "" {
				http.Redirect(w, r, to, http.StatusFound)
				return
			}
			io.WriteString(w, "ok")
		}
	}
	other := httptest.NewServer(record("other"))
	defer other.Close()
	api := httptest.NewServer(record("api"))
	defer api.Close()

	auth := &BasicAuth{Username: "alice", Password: "pass-word"}
	c, err := New(Options{Auth: auth, AuthOrigins: []string{api.URL}})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for _, path := range []string{"/first", "/hop?to=/second", "/away?to=" + other.URL + "/landed"} {
		resp, err := c.Get(context.Background(), api.URL+path)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	want := "Basic YWxpY2U6cGFzcy13b3Jk" // alice:pass-word
	for key, wantAuth := range map[string]string{"api/first": want, "api/hop": want, "api/second": want, "api/away": want, "other/landed": ""} {
		if got := seen[key]; got != wantAuth {
			t.Errorf("%s got Authorization %q, want %q", key, got, wantAuth)
		}
	}
	for _, s := range []string{fmt.Sprintf("%v", auth), fmt.Sprintf("%+v", *auth), fmt.Sprintf("%#v", auth)} {
		if strings.Contains(s, "pass-word") {
			t.Errorf("BasicAuth printed %q", s)
		}
	}
	_, err = (&BasicAuth{Username: "a:b"}).Login(context.Background(), nil)
	if ae := new(AuthError); !errors.As(err, &ae) {
		t.Errorf("user name with a colon: err %v, want an *AuthError", err)
	}
}
