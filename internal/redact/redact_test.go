package redact

import (
	"encoding/base64"
	"testing"
)

func TestClean(t *testing.T) {
	basic := base64.StdEncoding.EncodeToString([]byte("my-client:s3cr3t+x"))
	tests := []struct {
		in, want string
		secrets  []string
	}{
		{"plain s3cr3t+x here", "plain [redacted] here", []string{"s3cr3t+x"}},
		{"form s3cr3t%2Bx", "form [redacted]", []string{"s3cr3t+x"}},
		{"echo: Basic " + basic, "echo: Basic [redacted]", []string{"s3cr3t+x"}},
		{"url-safe " + base64.RawURLEncoding.EncodeToString([]byte("id:s3cr3t+x")), "url-safe [redacted]", []string{"s3cr3t+x"}},
		{"unrelated base64 " + base64.StdEncoding.EncodeToString([]byte("nothing")), "unrelated base64 " + base64.StdEncoding.EncodeToString([]byte("nothing")), []string{"s3cr3t+x"}},
		{"no secrets: " + basic, "no secrets: " + basic, nil},
		{"ctl\x00s3c\nr3t+x", "ctl[redacted]", []string{"s3cr3t+x"}},
	}
	for _, tt := range tests {
		if got := Clean(tt.in, 200, tt.secrets...); got != tt.want {
			t.Errorf("Clean(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
