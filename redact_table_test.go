package httpsession

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/url"
	"testing"
	"time"

	"github.com/httpsession/httpsession/internal/redacttest"
	"github.com/spf13/afero"
)

// The secrets of TestSecretsRedacted; each appears in no output.
var tableSecrets = []string{"SECRETVAL1", "SECRETPW2", "SECRETTOK3", "SECRETRT4", "SECRETCS5", "SECRETFORM6"}

// TestSecretsRedacted prints every exported type that holds a secret
// (package oauth's have a test of their own) —
// as a value and through a pointer — under every fmt verb and through
// both slog handlers: no secret appears, in clear or in hex.
func TestSecretsRedacted(t *testing.T) {
	jar := NewJar(nil)
	u := mustParseURL(t, "https://www.example.com/")
	jar.SetCookieHeaders(u, []string{"sid=SECRETVAL1; Max-Age=3600; Secure; HttpOnly"})
	cookie := jar.All()[0]
	tok := Token{AccessToken: "SECRETTOK3", RefreshToken: "SECRETRT4", IDToken: jwt(`{"sub":"SECRETTOK3"}`)}
	login := JSONLogin{LoginURL: "https://example.com/login?key=SECRETPW2", Username: "alice", Password: "SECRETPW2"}
	tm := newTokenManager(&login, nil, nil, time.Now)
	tm.SetToken(&tok)
	tmFuncs := newTokenManager(AuthFuncs{LoginFunc: login.Login}, nil, nil, time.Now)
	tmFuncs.SetToken(&tok)
	form := FormLogin{LoginURL: "https://example.com/login", Fields: url.Values{"user": {"alice"}, "pass": {"SECRETFORM6"}}}
	client, err := New(Options{Auth: &login, AuthOrigins: []string{"https://www.example.com"}, FS: afero.NewMemMapFs(), SessionFile: "/s.json"})
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	client.Jar().SetCookieHeaders(u, []string{"sid=SECRETVAL1; Max-Age=3600"})
	client.Tokens().SetToken(&tok)

	values := []struct {
		name string
		v    any
	}{
		{"*Jar", jar},
		{"*TokenManager", tm},
		{"*TokenManager of AuthFuncs", tmFuncs},
		{"Token", tok},
		{"*Token", &tok},
		{"Cookie", cookie},
		{"*Cookie", &cookie},
		{"JSONLogin", login},
		{"*JSONLogin", &login},
		{"FormLogin", form},
		{"*FormLogin", &form},
		{"*Client", client},
	}
	for _, tt := range values {
		t.Run(tt.name, func(t *testing.T) {
			for what, out := range redacttest.Printed(tt.v, redacttest.Verbs...) {
				redacttest.NotShown(t, what, out, tableSecrets...)
			}
		})
	}
}

// TestCookieJSONExact: encoding/json gives a Cookie's exact contents, as
// it does a Token's, for programs that store cookies as JSON; slog's JSON
// handler, which encodes a []Cookie with encoding/json, shows its values
// too. A Cookie logged as itself is redacted by both handlers.
func TestCookieJSONExact(t *testing.T) {
	c := Cookie{Name: "sid", Value: "SECRETVAL1", Domain: "example.com", Path: "/"}
	data, err := json.Marshal([]Cookie{c})
	if err != nil {
		t.Fatal(err)
	}
	var back []Cookie
	if err := json.Unmarshal(data, &back); err != nil || len(back) != 1 || back[0].Value != c.Value {
		t.Errorf("json round trip of %s = %+v, %v; want the value back", data, back, err)
	}
}

// TestTokenManagerDescribed: a TokenManager describes itself, under fmt
// and slog, by its Authenticator's type and its token's redacted
// description (type and expiry), or "none" before it has one; a nil one
// says so.
func TestTokenManagerDescribed(t *testing.T) {
	m := newTokenManager(&JSONLogin{Username: "alice", Password: "pw"}, nil, nil, time.Now)
	var nilM *TokenManager
	logged := func(v any) string {
		var buf bytes.Buffer
		noTime := func(groups []string, a slog.Attr) slog.Attr {
			if a.Key == slog.TimeKey && len(groups) == 0 {
				return slog.Attr{}
			}
			return a
		}
		slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{ReplaceAttr: noTime})).Info("m", "tm", v)
		return buf.String()
	}
	check := func(what, got, want string) {
		t.Helper()
		if got != want {
			t.Errorf("%s = %q, want %q", what, got, want)
		}
	}

	check("String before a token", m.String(), "TokenManager{Authenticator: *httpsession.JSONLogin, Token: none}")
	check("logged before a token", logged(m), "level=INFO msg=m tm.authenticator=*httpsession.JSONLogin\n")

	m.SetToken(&Token{AccessToken: "at", RefreshToken: "rt", Expiry: time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)})
	const with = "TokenManager{Authenticator: *httpsession.JSONLogin, Token: Token{Type: Bearer, AccessToken: [redacted], RefreshToken: [redacted], Expiry: 2030-01-02T03:04:05Z}}"
	check("String", m.String(), with)
	for _, verb := range []string{"%v", "%+v", "%s"} {
		check(fmt.Sprintf("Sprintf(%q)", verb), fmt.Sprintf(verb, m), with)
	}
	check(`Sprintf("%#v")`, fmt.Sprintf("%#v", m), "&httpsession."+with)
	check("logged", logged(m), "level=INFO msg=m tm.authenticator=*httpsession.JSONLogin tm.token.type=Bearer "+
		"tm.token.access_token=[redacted] tm.token.refresh_token=[redacted] tm.token.expiry=2030-01-02T03:04:05Z\n")

	check("String of nil", nilM.String(), "TokenManager(nil)")
	check("logged nil", logged(nilM), "level=INFO msg=m tm=TokenManager(nil)\n")
}
