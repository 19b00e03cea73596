package oauth

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/httpsession/httpsession"
	"github.com/httpsession/httpsession/internal/authtest"
)

// TestCredentialsRedactURLs prints a Credentials whose token URL carries
// user info and query values: neither is shown.
func TestCredentialsRedactURLs(t *testing.T) {
	o := Credentials{TokenURL: authtest.URLWithSecrets}
	authtest.CheckURLsRedacted(t, o, &o)
}

// TestOAuth2ErrorEchoesSecret has a token endpoint echo the refresh token,
// password and client secret in its error description, altered the ways
// cleaning or encoding alter them: none of them shows in the error.
func TestOAuth2ErrorEchoesSecret(t *testing.T) {
	const (
		refresh = "s3cr3t-refresh/+=x"
		pass    = "hunter2-pässwörd"
		client  = "s3cr3t-client"
	)
	tests := []struct{ name, desc string }{
		{"control character inside", "bad token s3cr3t-ref\u0001resh/+=x"},
		{"non-ASCII password", "wrong password " + pass},
		{"form-encoded refresh token", "refresh_token=" + url.QueryEscape(refresh) + " revoked"},
		{"control character in the client secret", "client s3cr3t\u007f-client unknown"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(http.StatusBadRequest)
				b, _ := json.Marshal(map[string]string{"error": "invalid_grant", "error_description": tt.desc})
				w.Write(b)
			}))
			defer srv.Close()
			a := &Credentials{TokenURL: srv.URL, ClientID: "c", ClientSecret: client, Username: "alice", Password: pass}
			_, err := a.Refresh(context.Background(), viaSession(srv.Client()), &httpsession.Token{RefreshToken: refresh})
			var oe *httpsession.OAuth2Error
			if !errors.As(err, &oe) {
				t.Fatalf("Refresh() error = %v, want *OAuth2Error", err)
			}
			for _, sec := range []string{"s3cr3t-refresh", "s3cr3t-client", "hunter2-p", "psswrd"} {
				if strings.Contains(err.Error(), sec) {
					t.Errorf("Refresh() error = %q, shows a secret", err)
				}
			}
		})
	}
}

// hostileText drives a terminal: an OSC 8 fake link, a title change, a
// screen clear and a CR that rewrites the line.
const hostileText = "\x1b]8;;https://evil.example\x1b\\x\x1b]8;;\x1b\\\x1b]0;t\x07\x1b[2J\rY"

func holdsControls(s string) bool { return strings.ContainsAny(s, "\x1b\r\x07") }

// TestDevicePromptEscaped: a device login's user code and verification
// URI (from the server) never bring a control character onto the
// terminal; they appear escaped.
func TestDevicePromptEscaped(t *testing.T) {
	var buf bytes.Buffer
	(&Device{Stderr: &buf}).printPrompt(DeviceCode{
		UserCode:                "ABCD" + hostileText,
		VerificationURI:         "https://idp.example/device" + hostileText,
		VerificationURIComplete: "https://idp.example/device?c=1" + hostileText,
	})
	if out := buf.String(); holdsControls(out) || !strings.Contains(out, `ABCD\x1b]8;;`) {
		t.Errorf("device prompt = %q, want the server's text escaped", out)
	}
}
