package httpsession

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"time"
)

// Claims read from JWTs without verifying them: the exp and iat of an
// access token, for its expiry, and the ID token's identity claims.

var (
	// ErrNoIDToken is returned by IDTokenClaims for a Token without an
	// ID token.
	ErrNoIDToken = errors.New("httpsession: no id_token")

	// ErrIDTokenExpired is matched by the error of IDTokenClaims for an
	// ID token whose exp claim has passed.
	ErrIDTokenExpired = errors.New("httpsession: id_token expired")
)

// IDTokenClaims are the standard claims of an OpenID Connect ID token
// (OpenID Connect Core 1.0 §2, §5.1) that a program acting as the user
// commonly needs: who logged in.
type IDTokenClaims struct {
	Issuer        string    // iss
	Subject       string    // sub: the user's stable identifier at Issuer
	Audience      []string  // aud
	Expiry        time.Time // exp
	IssuedAt      time.Time // iat; zero if absent
	Email         string    // email, when the scopes asked for it
	EmailVerified bool      // email_verified
	Name          string    // name
	Username      string    // preferred_username
}

// IDTokenClaims decodes the claims of t.IDToken and checks that it has not
// expired at now. It verifies nothing else — not the signature, the issuer
// or the audience: the token came straight from the token endpoint over the
// connection the session trusts, and the claims describe the user to this
// program, not to a third party. A relying party that accepts ID tokens
// from elsewhere must verify them with an OpenID Connect library instead.
func (t *Token) IDTokenClaims(now time.Time) (*IDTokenClaims, error) {
	if t == nil || t.IDToken == "" {
		return nil, ErrNoIDToken
	}
	const maxJWT = 64 << 10
	parts := strings.Split(t.IDToken, ".")
	if len(t.IDToken) > maxJWT || len(parts) != 3 {
		return nil, errors.New("httpsession: id_token is not a JWT")
	}
	raw, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(parts[1], "="))
	if err != nil {
		return nil, errors.New("httpsession: id_token payload is not base64url")
	}
	var c struct {
		Iss           string          `json:"iss"`
		Sub           string          `json:"sub"`
		Aud           json.RawMessage `json:"aud"`
		Exp           json.Number     `json:"exp"`
		Iat           json.Number     `json:"iat"`
		Email         string          `json:"email"`
		EmailVerified any             `json:"email_verified"`
		Name          string          `json:"name"`
		Username      string          `json:"preferred_username"`
	}
	if err := json.Unmarshal(raw, &c); err != nil {
		return nil, errors.New("httpsession: id_token payload is not a JSON object of claims")
	}
	claims := &IDTokenClaims{Issuer: c.Iss, Subject: c.Sub, Email: c.Email, Name: c.Name, Username: c.Username,
		Expiry: unixClaim(c.Exp), IssuedAt: unixClaim(c.Iat)}
	// aud is a string or an array of strings (RFC 7519 §4.1.3).
	var one string
	if json.Unmarshal(c.Aud, &one) == nil {
		claims.Audience = []string{one}
	} else {
		_ = json.Unmarshal(c.Aud, &claims.Audience)
	}
	// Some providers send email_verified as a string.
	claims.EmailVerified = c.EmailVerified == true || c.EmailVerified == "true"
	if claims.Expiry.IsZero() {
		return nil, errors.New("httpsession: id_token without a valid exp claim")
	}
	if !now.Before(claims.Expiry) {
		return nil, ErrIDTokenExpired
	}
	return claims, nil
}

// jwtExpiry returns the "exp" claim of a JWT access token, decoded but not
// verified (RFC 7519 §4.1.4). ok is false when s is not a JWT with a
// usable exp.
func jwtExpiry(s string) (exp time.Time, ok bool) {
	exp, _, ok = jwtTimes(s)
	return exp, ok
}

// jwtTimes returns the "exp" claim of a JWT access token and its "iat"
// claim (RFC 7519 §4.1.6), zero when absent or unusable, decoded but not
// verified. ok is false when s is not a JWT with a usable exp.
func jwtTimes(s string) (exp, iat time.Time, ok bool) {
	const maxJWT = 64 << 10
	if len(s) > maxJWT {
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
	if exp = unixClaim(claims.Exp); exp.IsZero() {
		return time.Time{}, time.Time{}, false
	}
	return exp, unixClaim(claims.Iat), true
}

// unixClaim converts a NumericDate (RFC 7519 §2) to a time; zero if absent
// or implausible.
func unixClaim(n json.Number) time.Time {
	f, err := n.Float64()
	if err != nil || f <= 0 || f > 253402300799 {
		return time.Time{}
	}
	return time.Unix(int64(f), 0).UTC()
}
