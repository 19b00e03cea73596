package oauth

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/httpsession/httpsession"
	"golang.org/x/oauth2"
)

// TestOpenerEnvironment: the browser opener gets the environment without
// the variables that hold secrets, and with everything it needs.
func TestOpenerEnvironment(t *testing.T) {
	in := []string{
		"PATH=/usr/bin", "DISPLAY=:0", "WAYLAND_DISPLAY=wayland-0", "DBUS_SESSION_BUS_ADDRESS=unix:path=/run/bus",
		"HOME=/home/u", "XDG_SESSION_TYPE=x11", "HTTPSESSION_SESSION=s.json", "HTTPSESSION_KEY_FILE=key.txt", "SSH_AUTH_SOCK=/tmp/agent",
		"HTTPSESSION_PASSWORD=pw", "HTTPSESSION_PASSPHRASE=pp", "HTTPSESSION_CLIENT_SECRET=cs",
		"GITHUB_TOKEN=gt", "AWS_SECRET_ACCESS_KEY=ak", "AWS_SESSION_TOKEN=st", "OPENAI_API_KEY=ok",
		"db_password=dp", "MYSQL_PWD_PASSWD=x", "SLACK_APIKEY=sk",
	}
	want := []string{
		"PATH=/usr/bin", "DISPLAY=:0", "WAYLAND_DISPLAY=wayland-0", "DBUS_SESSION_BUS_ADDRESS=unix:path=/run/bus",
		"HOME=/home/u", "XDG_SESSION_TYPE=x11", "HTTPSESSION_SESSION=s.json", "HTTPSESSION_KEY_FILE=key.txt", "SSH_AUTH_SOCK=/tmp/agent",
	}
	if diff := cmp.Diff(want, openerEnv(in)); diff != "" {
		t.Errorf("openerEnv (-want +got):\n%s", diff)
	}
}

// TestInsecureEndpointsRefused: a browser or device login whose endpoints
// are not https (or http on a loopback host) fails with ErrBadOrigin
// before anything is opened or sent, and the opener opens only http and
// https URLs.
func TestInsecureEndpointsRefused(t *testing.T) {
	var requests int
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests++
		http.Error(w, "no", http.StatusBadRequest)
	}))
	defer ts.Close()
	yes := func() bool { return true }
	for _, tc := range []struct {
		name              string
		auth, device, tok string
	}{
		{"a file: authorization endpoint", "file:///etc/passwd", "", ts.URL + "/token"},
		{"a javascript: authorization endpoint", "javascript:alert(1)", "", ts.URL + "/token"},
		{"plain http to another host", "http://idp.example/authorize", "", ts.URL + "/token"},
		{"a plain-http token endpoint", ts.URL + "/authorize", "", "http://idp.example/token"},
		{"a file: device endpoint", "", "file:///etc/passwd", ts.URL + "/token"},
		{"plain http device endpoint on another host", "", "http://idp.example/device", ts.URL + "/token"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := &oauth2.Config{ClientID: "app", Endpoint: oauth2.Endpoint{AuthURL: tc.auth, DeviceAuthURL: tc.device, TokenURL: tc.tok}}
			opened := 0
			var a httpsession.Authenticator = &Browser{Config: cfg, Interactive: yes,
				OpenURL: func(context.Context, string) error { opened++; return nil }}
			if tc.device != "" {
				a = &Device{Config: cfg, Interactive: yes, Prompt: func(context.Context, DeviceCode) error { opened++; return nil }}
			}
			// Without the check, the login would wait for a browser.
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			tok, err := a.Login(ctx, ts.Client())
			var ae *httpsession.AuthError
			if !errors.Is(err, httpsession.ErrBadOrigin) || !errors.As(err, &ae) || tok != nil {
				t.Errorf("Login = %v, %v; want an *AuthError matching ErrBadOrigin", tok, err)
			}
			if opened > 0 || requests > 0 {
				t.Errorf("opened %d, sent %d requests; want none", opened, requests)
			}
		})
	}
	for _, u := range []string{"file:///etc/passwd", "javascript:alert(1)", "/etc/passwd", "mailto:a@example.com"} {
		if err := openBrowser(context.Background(), u); !errors.Is(err, httpsession.ErrBadOrigin) {
			t.Errorf("openBrowser(%q) = %v, want ErrBadOrigin", u, err)
		}
	}
}
