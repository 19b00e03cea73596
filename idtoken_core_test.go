package httpsession

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/spf13/afero"
)

// An ID token is a secret like the others: never printed, always persisted.
func TestTokenIDTokenRedactedAndPersisted(t *testing.T) {
	const id = "eyJhbGciOiJub25lIn0.eyJzdWIiOiJzZWNyZXQtaWQtdG9rZW4ifQ."
	tok := Token{AccessToken: "at", RefreshToken: "rt", IDToken: id, Expiry: time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)}
	var logged bytes.Buffer
	slog.New(slog.NewTextHandler(&logged, nil)).Info("x", "tok", tok, "ptr", &tok)
	for _, s := range []string{
		tok.String(), tok.GoString(), fmt.Sprintf("%v %+v %#v %s %q %x", tok, &tok, tok, tok, &tok, tok),
		fmt.Sprintf("%+v", struct{ T Token }{tok}), logged.String(),
	} {
		if strings.Contains(s, id) || strings.Contains(s, "eyJ") {
			t.Errorf("ID token printed: %s", s)
		}
		if !strings.Contains(s, "IDToken") && !strings.Contains(s, "id_token") && !strings.Contains(s, "%!") {
			t.Errorf("%q does not say an ID token is present", s)
		}
	}
	if s := (Token{AccessToken: "at"}).String(); strings.Contains(s, "IDToken") {
		t.Errorf("String() = %q mentions an absent ID token", s)
	}

	fsys := afero.NewMemMapFs()
	auth := AuthFuncs{LoginFunc: func(context.Context, *http.Client) (*Token, error) { t := tok; return &t, nil }}
	// The session runs on a fixed clock a day before the token's expiry,
	// so the test means the same on any day.
	now := func() time.Time { return tok.Expiry.Add(-24 * time.Hour) }
	c, err := New(Options{SessionFile: "/s/session.json", FS: fsys, Auth: auth, AuthOrigins: []string{"https://api.example"}, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Tokens().Token(t.Context()); err != nil {
		t.Fatal(err)
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	c, err = New(Options{SessionFile: "/s/session.json", FS: fsys, Auth: auth, AuthOrigins: []string{"https://api.example"}, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if got := c.Tokens().Current(); got == nil || got.IDToken != id {
		t.Errorf("IDToken after reload = %v, want it kept", got)
	}
}
