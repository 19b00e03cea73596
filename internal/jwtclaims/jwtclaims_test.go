package jwtclaims

import (
	"encoding/base64"
	"testing"
	"time"
)

// jwt builds an unsigned JWT with the given claims.
func jwt(claims string) string {
	enc := base64.RawURLEncoding.EncodeToString
	return enc([]byte(`{"alg":"none"}`)) + "." + enc([]byte(claims)) + ".sig"
}

func TestJWTExpiry(t *testing.T) {
	tests := []struct {
		in   string
		want time.Time
		ok   bool
	}{
		{jwt(`{"exp":1900000000}`), time.Unix(1900000000, 0).UTC(), true},
		{jwt(`{"exp":1900000000.5,"sub":"x"}`), time.Unix(1900000000, 0).UTC(), true},
		{jwt(`{"sub":"x"}`), time.Time{}, false},
		{jwt(`{"exp":"soon"}`), time.Time{}, false},
		{jwt(`{"exp":-5}`), time.Time{}, false},
		{jwt(`{"exp":1e300}`), time.Time{}, false},
		{jwt(`not json`), time.Time{}, false},
		{"opaque-token", time.Time{}, false},
		{"a.b", time.Time{}, false},
		{"a.!!!.c", time.Time{}, false},
		{"", time.Time{}, false},
	}
	for _, tt := range tests {
		got, _, ok := Times(tt.in)
		if !got.Equal(tt.want) || ok != tt.ok {
			t.Errorf("Times(%q) = exp %v, ok %v, want %v, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}
