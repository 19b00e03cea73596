package httpsession

import (
	"bytes"
	"fmt"
	"log/slog"
	"testing"
	"time"
)

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
