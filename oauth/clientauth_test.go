package oauth

import (
	"context"
	"encoding/json"
	"net/http"
	"sync"
	"testing"
	"testing/synctest"

	"github.com/httpsession/httpsession"
	"golang.org/x/oauth2"
)

// strictTokenServer is a token endpoint that takes the client's credentials
// in one form only, as many do: client_id in the body for a public client,
// HTTP Basic for one with a secret. Every request in the other form is
// refused (400 invalid_client) and counted. Device codes are approved on
// the second poll.
type strictTokenServer struct {
	secret string // "" for a public client

	mu      sync.Mutex
	refused int
	grants  []string // the grant_type of every request taken
	polls   int
}

func (s *strictTokenServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	if err := r.ParseForm(); err != nil {
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	if r.URL.Path == "/device" {
		json.NewEncoder(w).Encode(map[string]any{"device_code": "D", "user_code": "U", "verification_uri": "https://example.test/v", "expires_in": 600, "interval": 5})
		return
	}
	user, pass, basic := r.BasicAuth()
	ok := r.PostForm.Get("client_id") == "cid" && !basic && r.PostForm.Get("client_secret") == ""
	if s.secret != "" {
		// x/oauth2 names the client in the body of a device poll too; that
		// is not a second authentication.
		ok = basic && user == "cid" && pass == s.secret && r.PostForm.Get("client_secret") == ""
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if !ok {
		s.refused++
		w.WriteHeader(http.StatusBadRequest)
		json.NewEncoder(w).Encode(map[string]string{"error": "invalid_client"})
		return
	}
	grant := r.PostForm.Get("grant_type")
	s.grants = append(s.grants, grant)
	if grant == "urn:ietf:params:oauth:grant-type:device_code" {
		if s.polls++; s.polls < 2 {
			w.WriteHeader(http.StatusBadRequest)
			json.NewEncoder(w).Encode(map[string]string{"error": "authorization_pending"})
			return
		}
	}
	json.NewEncoder(w).Encode(map[string]any{"access_token": "A", "refresh_token": "R", "expires_in": 3600})
}

// TestTokenRequestClientAuth: every token request of every grant —
// password, client credentials, refresh, each device poll — authenticates
// the client the one way its kind calls for from the first request: a
// client without a secret sends client_id in the body (never an HTTP Basic
// header with an empty secret, refused by strict servers), one with a
// secret uses HTTP Basic. A server that takes only that form refuses
// nothing in a whole session.
func TestTokenRequestClientAuth(t *testing.T) {
	for _, secret := range []string{"", "s3cr3t-client"} {
		name := "public client"
		if secret != "" {
			name = "confidential client"
		}
		t.Run(name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				s := &strictTokenServer{secret: secret}
				srv := newMemServer(t, s)
				hc := srv.Client()
				ctx := context.Background()
				cfg := &oauth2.Config{ClientID: "cid", ClientSecret: secret, Endpoint: oauth2.Endpoint{
					TokenURL: srv.URL + "/token", DeviceAuthURL: srv.URL + "/device"}}
				auths := []httpsession.Authenticator{
					&Credentials{TokenURL: srv.URL + "/token", ClientID: "cid", ClientSecret: secret, Username: "alice", Password: testPassword},
					&Credentials{TokenURL: srv.URL + "/token", ClientID: "cid", ClientSecret: secret},
					&Device{Config: cfg, Interactive: func() bool { return true }, Prompt: func(context.Context, DeviceCode) error { return nil }},
					&Browser{Config: cfg}, // refresh only: its login needs a browser
				}
				for i, a := range auths {
					tok := &httpsession.Token{RefreshToken: "R0"}
					if i < 3 {
						var err error
						if tok, err = a.Login(ctx, hc); err != nil {
							t.Fatalf("%T.Login: %v", a, err)
						}
					}
					if _, err := a.Refresh(ctx, hc, tok); err != nil {
						t.Fatalf("%T.Refresh: %v", a, err)
					}
				}
				s.mu.Lock()
				defer s.mu.Unlock()
				if s.refused != 0 {
					t.Errorf("the server refused %d token requests, want 0 (grants taken: %q)", s.refused, s.grants)
				}
				if want := 8; len(s.grants) != want {
					t.Errorf("grants taken = %q, want %d", s.grants, want)
				}
			})
		})
	}
}

// TestClientAuth: the one client-authentication rule, with and without
// the methods a provider's discovery document lists.
func TestClientAuth(t *testing.T) {
	for _, tc := range []struct {
		name      string
		secret    string
		supported []string
		want      oauth2.AuthStyle
	}{
		{"public client", "", nil, oauth2.AuthStyleInParams},
		{"public client, basic listed", "", []string{"client_secret_basic"}, oauth2.AuthStyleInParams},
		{"secret, provider silent", "s", nil, oauth2.AuthStyleInHeader},
		{"secret, both listed", "s", []string{"client_secret_post", "client_secret_basic"}, oauth2.AuthStyleInHeader},
		{"secret, post only", "s", []string{"client_secret_post", "none"}, oauth2.AuthStyleInParams},
		{"secret, neither listed", "s", []string{"private_key_jwt"}, oauth2.AuthStyleInHeader},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := ClientAuth(tc.secret, tc.supported); got != tc.want {
				t.Errorf("ClientAuth(%q, %q) = %v, want %v", tc.secret, tc.supported, got, tc.want)
			}
		})
	}
}
