package oauth

import (
	"testing"

	"github.com/httpsession/httpsession/internal/redacttest"
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
			for what, out := range redacttest.Printed(tt.v, redacttest.Verbs...) {
				redacttest.NotShown(t, what, out, tableSecrets...)
			}
		})
	}
}
