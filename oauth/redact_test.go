package oauth

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

	"github.com/httpsession/httpsession"
	"github.com/httpsession/httpsession/internal/redact"
)

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
	a := &Credentials{TokenURL: ts.URL, ClientID: "app", ClientSecret: secret}
	_, err := a.Login(context.Background(), ts.Client())
	var oe *httpsession.OAuth2Error
	if !errors.As(err, &oe) {
		t.Fatalf("Login error = %v, want an *OAuth2Error", err)
	}
	encoded := base64.StdEncoding.EncodeToString([]byte("app:" + secret))
	for _, s := range []string{err.Error(), fmt.Sprintf("%+v", oe), oe.Description} {
		if strings.Contains(s, secret) || strings.Contains(s, encoded) {
			t.Errorf("error text %q holds the client secret", s)
		}
	}
	if !strings.Contains(oe.Description, "Basic "+redact.Mark) {
		t.Errorf("Description = %q, want the Basic credential redacted", oe.Description)
	}
}
