package httpsession_test

import (
	"context"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/httpsession/httpsession"
	"github.com/httpsession/httpsession/internal/testop"
)

// TestOAuth2BrowserForgedCallbackIgnored: a request to the callback URL
// with another state — any local process can send one before the browser
// comes back — is answered 400 and does not end the login; the real
// redirect that follows completes it.
func TestOAuth2BrowserForgedCallbackIgnored(t *testing.T) {
	o := testop.Serve(t, 5*time.Second)
	forged := make(chan int, 2)
	pages := make(chan int, 1)
	open := func(_ context.Context, u string) error {
		q, err := url.Parse(u)
		if err != nil {
			t.Fatal(err)
		}
		go func() {
			for _, query := range []string{"state=forged&code=attacker-code", "error=access_denied"} {
				resp, err := http.Get(q.Query().Get("redirect_uri") + "?" + query)
				if err != nil {
					t.Error(err)
					forged <- 0
					continue
				}
				resp.Body.Close()
				forged <- resp.StatusCode
			}
			status, _, err := testop.Authorize(testop.Browser(nil), u, "allow", nil)
			if err != nil {
				t.Error(err)
			}
			pages <- status
		}()
		return nil
	}
	a := &httpsession.OAuth2Browser{Config: opConfig(o.Issuer), OpenURL: open, Interactive: yes}
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	tok, err := a.Login(ctx, nil)
	if err != nil || tok == nil || tok.AccessToken == "" {
		t.Fatalf("Login = %v, %v; want the token of the real redirect", tok, err)
	}
	for range 2 {
		if got := <-forged; got != http.StatusBadRequest {
			t.Errorf("forged callback answered %d, want 400", got)
		}
	}
	if got := <-pages; got != http.StatusOK {
		t.Errorf("the browser's redirect answered %d, want 200", got)
	}
}
