package oauth

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/httpsession/httpsession"
	"github.com/httpsession/httpsession/internal/authtest"
	"golang.org/x/oauth2"
)

func TestCredentialsBadAnswers(t *testing.T) {
	for _, tt := range authtest.BadAnswers {
		if tt.Name == "wrong credentials" {
			continue // a §5.2 error there; see TestCredentialsErrors
		}
		t.Run(tt.Name, func(t *testing.T) {
			srv := httptest.NewServer(tt.Handler)
			defer srv.Close()
			a := &Credentials{TokenURL: srv.URL + "/token?key=" + querySecret, ClientID: "c", ClientSecret: "s3cr3t-client", Username: "alice", Password: testPassword}
			_, err := a.Login(context.Background(), viaSession(srv.Client()))
			checkAuthError(t, err, tt.WantStatus, tt.WantReason)
		})
	}
}

func TestCredentialsNoRedirect(t *testing.T) {
	authtest.CheckNoRedirect(t, func(endpoint string) error {
		a := &Credentials{TokenURL: endpoint, ClientID: "c", ClientSecret: "x", Username: "alice", Password: testPassword}
		_, err := a.Login(context.Background(), viaSession(http.DefaultClient))
		return err
	}, func(t *testing.T, err error, status int) { checkAuthError(t, err, status, "unexpected status") })
}

func TestCredentials(t *testing.T) {
	type seen struct {
		Form     url.Values
		User     string
		Password string
		Basic    bool
	}
	tests := []struct {
		name     string
		a        Credentials
		refresh  *httpsession.Token
		answer   string
		ctype    string
		wantSeen seen
		want     *httpsession.Token
	}{
		{
			name: "password grant, basic client auth",
			a: Credentials{ClientID: "my id:1", ClientSecret: "s3cr3t-client&x", Username: "alice", Password: testPassword,
				Scopes: []string{"read", "write"}, Params: url.Values{"audience": {"api"}}},
			answer: `{"access_token":"A","token_type":"Bearer","refresh_token":"R","expires_in":120}`,
			wantSeen: seen{Basic: true, User: "my id:1", Password: "s3cr3t-client&x", Form: url.Values{
				"grant_type": {"password"}, "username": {"alice"}, "password": {testPassword}, "scope": {"read write"}, "audience": {"api"},
			}},
			want: &httpsession.Token{AccessToken: "A", TokenType: "Bearer", RefreshToken: "R", ExpiresIn: 120},
		},
		{
			name:   "client credentials in the body",
			a:      Credentials{ClientID: "cid", ClientSecret: "s3cr3t-client", AuthStyle: oauth2.AuthStyleInParams},
			answer: `{"access_token":"A","expires_in":"30"}`,
			wantSeen: seen{Form: url.Values{
				"grant_type": {"client_credentials"}, "client_id": {"cid"}, "client_secret": {"s3cr3t-client"},
			}},
			want: &httpsession.Token{AccessToken: "A", ExpiresIn: 30},
		},
		{
			name:     "public client",
			a:        Credentials{ClientID: "cid", Username: "alice", Password: testPassword},
			answer:   `{"access_token":"A"}`,
			wantSeen: seen{Form: url.Values{"grant_type": {"password"}, "client_id": {"cid"}, "username": {"alice"}, "password": {testPassword}}},
			want:     &httpsession.Token{AccessToken: "A"},
		},
		{
			name:     "refresh grant",
			a:        Credentials{ClientID: "cid", ClientSecret: "sec"},
			refresh:  &httpsession.Token{AccessToken: "old", RefreshToken: "R1"},
			answer:   `{"access_token":"A2","expires_in":60}`,
			wantSeen: seen{Basic: true, User: "cid", Password: "sec", Form: url.Values{"grant_type": {"refresh_token"}, "refresh_token": {"R1"}}},
			// No new refresh token: the old one stays (RFC 6749 §6).
			want: &httpsession.Token{AccessToken: "A2", RefreshToken: "R1", ExpiresIn: 60},
		},
		{
			name:     "form-encoded answer",
			a:        Credentials{ClientID: "cid", ClientSecret: "sec"},
			answer:   "access_token=A&token_type=bearer&scope=repo",
			ctype:    "application/x-www-form-urlencoded; charset=utf-8",
			wantSeen: seen{Basic: true, User: "cid", Password: "sec", Form: url.Values{"grant_type": {"client_credentials"}}},
			want:     &httpsession.Token{AccessToken: "A", TokenType: "bearer"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got seen
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if err := r.ParseForm(); err != nil || r.Method != http.MethodPost {
					http.Error(w, "bad", http.StatusBadRequest)
					return
				}
				got.Form = r.PostForm
				if u, p, ok := r.BasicAuth(); ok {
					got.Basic = true
					got.User, _ = url.QueryUnescape(u)
					got.Password, _ = url.QueryUnescape(p)
				}
				ctype := tt.ctype
				if ctype == "" {
					ctype = "application/json"
				}
				w.Header().Set("Content-Type", ctype)
				io.WriteString(w, tt.answer)
			}))
			defer srv.Close()
			a := tt.a
			a.TokenURL = srv.URL + "/token"
			var tok *httpsession.Token
			var err error
			if tt.refresh != nil {
				tok, err = a.Refresh(context.Background(), viaSession(srv.Client()), tt.refresh)
			} else {
				tok, err = a.Login(context.Background(), viaSession(srv.Client()))
			}
			if err != nil {
				t.Fatalf("error = %v", err)
			}
			if diff := cmp.Diff(tt.want, tok); diff != "" {
				t.Errorf("token mismatch (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.wantSeen, got); diff != "" {
				t.Errorf("request mismatch (-want +got):\n%s", diff)
			}
		})
	}
	if _, err := (&Credentials{TokenURL: "http://127.0.0.1:1/"}).Refresh(context.Background(), nil, &httpsession.Token{}); !errors.Is(err, httpsession.ErrNoRefresh) {
		t.Errorf("Refresh() without a refresh token error = %v, want ErrNoRefresh", err)
	}
}

func TestCredentialsErrors(t *testing.T) {
	tests := []struct {
		name     string
		status   int
		body     string
		wantCode string
		wantDesc string
	}{
		{"invalid_grant", 400, `{"error":"invalid_grant","error_description":"The password hunter2-password is wrong"}`,
			"invalid_grant", "The password [redacted] is wrong"},
		{"invalid_client with 401", 401, `{"error":"invalid_client","error_uri":"https://example.com/e"}`, "invalid_client", ""},
		{"error in a 200", 200, `{"error":"slow_down"}`, "slow_down", ""},
		{"form-encoded error", 200, "error=bad_verification_code&error_description=expired", "bad_verification_code", "expired"},
		{"control characters", 400, `{"error":"x\u0000y","error_description":"a\nb"}`, "xy", "ab"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if strings.HasPrefix(tt.body, "{") {
					w.Header().Set("Content-Type", "application/json")
				} else {
					w.Header().Set("Content-Type", "application/x-www-form-urlencoded")
				}
				w.WriteHeader(tt.status)
				io.WriteString(w, tt.body)
			}))
			defer srv.Close()
			a := &Credentials{TokenURL: srv.URL + "/token", ClientID: "c", ClientSecret: "s3cr3t-client", Username: "alice", Password: testPassword}
			_, err := a.Login(context.Background(), viaSession(srv.Client()))
			var oe *httpsession.OAuth2Error
			if !errors.As(err, &oe) {
				t.Fatalf("Login() error = %v, want *OAuth2Error", err)
			}
			if oe.Code != tt.wantCode || oe.Description != tt.wantDesc || oe.Status != tt.status {
				t.Errorf("OAuth2Error = %+v, want code %q, description %q, status %d", oe, tt.wantCode, tt.wantDesc, tt.status)
			}
			if !errors.Is(err, httpsession.ErrAuthResponse) {
				t.Errorf("errors.Is(%v, ErrAuthResponse) = false, want true", err)
			}
			authtest.NoSecret(t, "error", err.Error())
		})
	}
}

func TestCredentialsRedacted(t *testing.T) {
	o := Credentials{TokenURL: "https://example.com/token", ClientID: "c", ClientSecret: secretPrefix + "-client", Username: "alice", Password: testPassword}
	type config struct {
		Auth httpsession.Authenticator
	}
	for _, v := range []any{o, &o, config{&o}} {
		for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q"} {
			authtest.NoSecret(t, fmt.Sprintf("Sprintf(%q, %T)", verb, v), fmt.Sprintf(verb, v))
		}
	}
	var buf bytes.Buffer
	for _, h := range []slog.Handler{slog.NewTextHandler(&buf, nil), slog.NewJSONHandler(&buf, nil)} {
		slog.New(h).Info("auth", "oauth2", o)
	}
	authtest.NoSecret(t, "log", buf.String())
	if !strings.Contains(buf.String(), "alice") {
		t.Errorf("log = %q, want the user name", buf.String())
	}
}
