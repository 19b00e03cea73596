package oauth

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/httpsession/httpsession"
	"github.com/spf13/afero"
	"golang.org/x/oauth2"
)

// What a TokenManager does with the answers of a real token endpoint
// behind a Browser: a provider that is down, a refresh token it refused.

// A token endpoint that can't be reached is not a refused refresh token:
// the error names the host, and no login is attempted.
func TestRefreshProviderDown(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	tokenURL := srv.URL + "/token"
	srv.Close()
	var logins atomic.Int32
	a := &Browser{Config: &oauth2.Config{ClientID: "c", Endpoint: oauth2.Endpoint{TokenURL: tokenURL}},
		Interactive: func() bool { logins.Add(1); return false }}
	c, err := httpsession.New(httpsession.Options{Auth: a, AuthOrigins: []string{srv.URL}})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	m := c.Tokens()
	m.SetToken(&httpsession.Token{AccessToken: "a", RefreshToken: "r", Expiry: time.Unix(1, 0)})
	_, err = m.Token(t.Context())
	var ae *httpsession.AuthError
	if !errors.As(err, &ae) || errors.Is(err, httpsession.ErrLoginRequired) || !strings.Contains(err.Error(), strings.TrimPrefix(srv.URL, "http://")) {
		t.Errorf("Token() error = %v, want the connection error naming the host, not ErrLoginRequired", err)
	}
	if logins.Load() != 0 {
		t.Errorf("a login was attempted while the provider was down")
	}
	if m.Current().RefreshToken != "r" {
		t.Errorf("the refresh token was dropped while the provider was down")
	}
}

// A refresh token the provider refused (invalid_grant) is removed from the
// session file: the next process does not present it again.
func TestRefreshInvalidGrantForgotten(t *testing.T) {
	var requests atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusBadRequest)
		io.WriteString(w, `{"error":"invalid_grant","error_description":"grant request is invalid"}`)
	}))
	defer srv.Close()
	fs := afero.NewMemMapFs()
	open := func() *httpsession.Client {
		c, err := httpsession.New(httpsession.Options{SessionFile: "/s/session.json", FS: fs, AuthOrigins: []string{srv.URL},
			Auth: &Browser{Config: &oauth2.Config{ClientID: "c", Endpoint: oauth2.Endpoint{TokenURL: srv.URL + "/token"}},
				Interactive: func() bool { return false }}})
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	c := open()
	c.Tokens().SetToken(&httpsession.Token{AccessToken: "a", RefreshToken: "refused-refresh", Expiry: time.Unix(1, 0)})
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	var first int32
	for i := range 2 {
		c := open()
		c.Tokens().Invalidate(c.Tokens().Current()) // a 401
		_, err := c.Tokens().Token(t.Context())
		c.Close()
		if i == 0 {
			first = requests.Load()
		}
		if !errors.Is(err, httpsession.ErrLoginRequired) {
			t.Errorf("Token() #%d error = %v, want ErrLoginRequired", i+1, err)
		}
	}
	raw, _ := afero.ReadFile(fs, "/s/session.json")
	if bytes.Contains(raw, []byte("refused-refresh")) {
		t.Errorf("session file still holds the refused refresh token")
	}
	if n := requests.Load(); n != first || n != 1 {
		t.Errorf("%d token requests after the second process, %d after the first: want one, by the first", n, first)
	}
}
