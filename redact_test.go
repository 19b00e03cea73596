package httpsession

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestClean(t *testing.T) {
	basic := base64.StdEncoding.EncodeToString([]byte("my-client:s3cr3t+x"))
	tests := []struct {
		in, want string
		secrets  []string
	}{
		{"plain s3cr3t+x here", "plain [redacted] here", []string{"s3cr3t+x"}},
		{"form s3cr3t%2Bx", "form [redacted]", []string{"s3cr3t+x"}},
		{"echo: Basic " + basic, "echo: Basic [redacted]", []string{"s3cr3t+x"}},
		{"url-safe " + base64.RawURLEncoding.EncodeToString([]byte("id:s3cr3t+x")), "url-safe [redacted]", []string{"s3cr3t+x"}},
		{"unrelated base64 " + base64.StdEncoding.EncodeToString([]byte("nothing")), "unrelated base64 " + base64.StdEncoding.EncodeToString([]byte("nothing")), []string{"s3cr3t+x"}},
		{"no secrets: " + basic, "no secrets: " + basic, nil},
		{"ctl\x00s3c\nr3t+x", "ctl[redacted]", []string{"s3cr3t+x"}},
	}
	for _, tt := range tests {
		if got := clean(tt.in, 200, tt.secrets...); got != tt.want {
			t.Errorf("clean(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// TestOAuth2ErrorEchoingBasicAuth: a token endpoint that echoes the
// request's Authorization header in its error never gets the client secret
// into the *OAuth2Error, in any of its forms.
func TestOAuth2ErrorEchoingBasicAuth(t *testing.T) {
	const secret = "cl1ent-s3cr3t"
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusBadRequest)
		json.NewEncoder(w).Encode(map[string]string{
			"error":             "invalid_client",
			"error_description": "bad credentials in " + r.Header.Get("Authorization"),
		})
	}))
	defer ts.Close()
	a := &OAuth2Credentials{TokenURL: ts.URL, ClientID: "app", ClientSecret: secret}
	_, err := a.Login(context.Background(), ts.Client())
	var oe *OAuth2Error
	if !errors.As(err, &oe) {
		t.Fatalf("Login error = %v, want an *OAuth2Error", err)
	}
	encoded := base64.StdEncoding.EncodeToString([]byte("app:" + secret))
	for _, s := range []string{err.Error(), fmt.Sprintf("%+v", oe), oe.Description} {
		if strings.Contains(s, secret) || strings.Contains(s, encoded) {
			t.Errorf("error text %q holds the client secret", s)
		}
	}
	if !strings.Contains(oe.Description, "Basic "+redacted) {
		t.Errorf("Description = %q, want the Basic credential redacted", oe.Description)
	}
}
