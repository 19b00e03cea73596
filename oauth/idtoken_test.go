package oauth_test

import (
	"encoding/base64"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/httpsession/httpsession"
	"github.com/httpsession/httpsession/oauth"
)

func TestDecodeIDToken(t *testing.T) {
	jwt := func(payload string) string {
		return "eyJhbGciOiJSUzI1NiJ9." + base64.RawURLEncoding.EncodeToString([]byte(payload)) + ".c2ln"
	}
	now := time.Unix(1_700_000_000, 0)
	tok := &httpsession.Token{IDToken: jwt(`{"iss":"https://op","sub":"u1","aud":"app","exp":1700000100,"iat":1699999000,` +
		`"email":"u@example.com","email_verified":"true","name":"U","preferred_username":"u"}`)}
	c, err := oauth.DecodeIDToken(tok, now)
	want := &oauth.IDTokenClaims{Issuer: "https://op", Subject: "u1", Audience: []string{"app"},
		Expiry: time.Unix(1700000100, 0).UTC(), IssuedAt: time.Unix(1699999000, 0).UTC(),
		Email: "u@example.com", EmailVerified: true, Name: "U", Username: "u"}
	if err != nil || fmt.Sprint(c) != fmt.Sprint(want) {
		t.Errorf("DecodeIDToken = %+v, %v; want %+v", c, err, want)
	}
	for _, tc := range []struct {
		tok  *httpsession.Token
		want error
	}{
		{&httpsession.Token{}, oauth.ErrNoIDToken},
		{&httpsession.Token{IDToken: jwt(`{"sub":"u1","exp":1700000000}`)}, oauth.ErrIDTokenExpired},
	} {
		if _, err := oauth.DecodeIDToken(tc.tok, now); !errors.Is(err, tc.want) {
			t.Errorf("DecodeIDToken(%v) error = %v, want %v", tc.tok, err, tc.want)
		}
	}
	for _, bad := range []string{"x", "a.b", jwt(`[1]`), jwt(`{"sub":"u1"}`), "a.!!!.c"} {
		if c, err := oauth.DecodeIDToken(&httpsession.Token{IDToken: bad}, now); err == nil {
			t.Errorf("DecodeIDToken(%q) = %+v, want an error", bad, c)
		}
	}
}
