package httpsession

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
)

// TestShortcuts: Head, Post and PostForm send what http.Client's do, and
// a 401 is replayed only when the body can be rebuilt.
func TestShortcuts(t *testing.T) {
	var mu sync.Mutex
	var seen []string
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		seen = append(seen, r.Method+" "+r.Header.Get("Content-Type")+" "+string(b))
		first := len(seen) == 1
		mu.Unlock()
		if first && r.URL.Path == "/once-401" {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		w.Header().Set("X-Seen", "yes")
		io.WriteString(w, "ok")
	}))
	defer ts.Close()
	c, err := New(Options{Auth: &BasicAuth{Username: "u", Password: "p"}, AuthOrigins: []string{ts.URL}})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ctx := context.Background()

	tests := []struct {
		name     string
		send     func() (*http.Response, error)
		status   int
		wantSeen []string
	}{
		{"Head", func() (*http.Response, error) { return c.Head(ctx, ts.URL+"/h") }, 200, []string{"HEAD  "}},
		{"PostForm", func() (*http.Response, error) {
			return c.PostForm(ctx, ts.URL+"/f", url.Values{"a": {"1 2"}})
		}, 200, []string{"POST application/x-www-form-urlencoded a=1+2"}},
		{"Post rewindable, replayed after a 401", func() (*http.Response, error) {
			return c.Post(ctx, ts.URL+"/once-401", "text/plain", strings.NewReader("body"))
		}, 200, []string{"POST text/plain body", "POST text/plain body"}},
		{"Post not rewindable, sent once", func() (*http.Response, error) {
			return c.Post(ctx, ts.URL+"/once-401", "text/plain", io.MultiReader(strings.NewReader("body")))
		}, 401, []string{"POST text/plain body"}},
	}
	for _, tt := range tests {
		mu.Lock()
		seen = nil
		mu.Unlock()
		resp, err := tt.send()
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		resp.Body.Close()
		mu.Lock()
		got := strings.Join(seen, " | ")
		mu.Unlock()
		if resp.StatusCode != tt.status || got != strings.Join(tt.wantSeen, " | ") {
			t.Errorf("%s: status %d, server saw %q; want %d and %q", tt.name, resp.StatusCode, got, tt.status, tt.wantSeen)
		}
	}
	if _, err := c.Post(ctx, "://bad", "text/plain", nil); err == nil {
		t.Error("Post to a bad URL: no error")
	}
}
