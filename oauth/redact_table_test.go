package oauth

import (
	"bytes"
	"encoding/hex"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"golang.org/x/oauth2"
)

// The secrets of TestSecretsRedacted; each appears in no output.
var tableSecrets = []string{"SECRETPW2", "SECRETCS5"}

// TestSecretsRedacted prints every exported type of the package that holds
// a secret — as a value and through a pointer — under every fmt verb and
// through both slog handlers: no secret appears, in clear or in hex.
func TestSecretsRedacted(t *testing.T) {
	cred := Credentials{TokenURL: "https://example.com/token", ClientID: "app", ClientSecret: "SECRETCS5", Username: "alice", Password: "SECRETPW2"}
	cfg := &oauth2.Config{ClientID: "app", ClientSecret: "SECRETCS5", Endpoint: oauth2.Endpoint{TokenURL: "https://example.com/token"}}
	browser := Browser{Config: cfg}
	device := Device{Config: cfg}
	values := []struct {
		name string
		v    any
	}{
		{"Credentials", cred},
		{"*Credentials", &cred},
		{"Browser", browser},
		{"*Browser", &browser},
		{"Device", device},
		{"*Device", &device},
	}
	for _, tt := range values {
		t.Run(tt.name, func(t *testing.T) {
			for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "%d", "%10.4s", "%-v"} {
				noSecret(t, fmt.Sprintf("Sprintf(%q)", verb), fmt.Sprintf(verb, tt.v))
			}
			noSecret(t, "Sprint", fmt.Sprint(tt.v))
			if s, ok := tt.v.(fmt.Stringer); ok {
				noSecret(t, "String", s.String())
			}
			for _, h := range []struct {
				name string
				new  func(*bytes.Buffer) slog.Handler
			}{
				{"slog text", func(b *bytes.Buffer) slog.Handler { return slog.NewTextHandler(b, nil) }},
				{"slog JSON", func(b *bytes.Buffer) slog.Handler { return slog.NewJSONHandler(b, nil) }},
			} {
				var buf bytes.Buffer
				slog.New(h.new(&buf)).Info("m", "v", tt.v, slog.Group("g", "v", tt.v))
				noSecret(t, h.name, buf.String())
			}
		})
	}
}

func noSecret(t *testing.T, what, out string) {
	t.Helper()
	for _, s := range tableSecrets {
		for _, form := range []string{s, hex.EncodeToString([]byte(s)), strings.ToUpper(hex.EncodeToString([]byte(s)))} {
			if strings.Contains(out, form) {
				t.Errorf("%s shows %s:\n%s", what, s, out)
				return
			}
		}
	}
}
