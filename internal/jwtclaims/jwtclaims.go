// Package jwtclaims reads the claims of a JWT (RFC 7519) without verifying
// it, as package httpsession does for the expiry of an access token and
// package oauth for the identity claims of an ID token.
package jwtclaims

import (
	"encoding/base64"
	"encoding/json"
	"strings"
	"time"
)

// MaxLen is the longest JWT read; a longer one is not decoded.
const MaxLen = 64 << 10

// Times returns the "exp" claim of a JWT access token (RFC 7519 §4.1.4)
// and its "iat" claim (§4.1.6), zero when absent or unusable, decoded but
// not verified. ok is false when s is not a JWT with a usable exp.
func Times(s string) (exp, iat time.Time, ok bool) {
	if len(s) > MaxLen {
		return time.Time{}, time.Time{}, false
	}
	header, rest, ok1 := strings.Cut(s, ".")
	payload, _, ok2 := strings.Cut(rest, ".")
	if !ok1 || !ok2 || header == "" || payload == "" {
		return time.Time{}, time.Time{}, false
	}
	raw, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(payload, "="))
	if err != nil {
		return time.Time{}, time.Time{}, false
	}
	var claims struct {
		Exp json.Number `json:"exp"`
		Iat json.Number `json:"iat"`
	}
	if json.Unmarshal(raw, &claims) != nil || claims.Exp == "" {
		return time.Time{}, time.Time{}, false
	}
	if exp = NumericDate(claims.Exp); exp.IsZero() {
		return time.Time{}, time.Time{}, false
	}
	return exp, NumericDate(claims.Iat), true
}

// NumericDate converts a NumericDate (RFC 7519 §2) to a time; zero if
// absent or implausible.
func NumericDate(n json.Number) time.Time {
	f, err := n.Float64()
	if err != nil || f <= 0 || f > 253402300799 {
		return time.Time{}
	}
	return time.Unix(int64(f), 0).UTC()
}
