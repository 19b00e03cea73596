package oauth

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"time"

	"github.com/httpsession/httpsession"
	"github.com/httpsession/httpsession/internal/jwtclaims"
)

// The identity claims of an OpenID Connect ID token, read without
// verifying it.

var (
	// ErrNoIDToken is returned by DecodeIDToken for a Token without an
	// ID token.
	ErrNoIDToken = errors.New("httpsession: no id_token")

	// ErrIDTokenExpired is matched by the error of DecodeIDToken for an
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

// DecodeIDToken decodes the claims of t.IDToken and checks that it has not
// expired at now. It verifies nothing else — not the signature, the issuer
// or the audience: the token came straight from the token endpoint over the
// connection the session trusts, and the claims describe the user to this
// program, not to a third party. A relying party that accepts ID tokens
// from elsewhere must verify them with an OpenID Connect library instead.
func DecodeIDToken(t *httpsession.Token, now time.Time) (*IDTokenClaims, error) {
	if t == nil || t.IDToken == "" {
		return nil, ErrNoIDToken
	}
	parts := strings.Split(t.IDToken, ".")
	if len(t.IDToken) > jwtclaims.MaxLen || len(parts) != 3 {
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
		Expiry: jwtclaims.NumericDate(c.Exp), IssuedAt: jwtclaims.NumericDate(c.Iat)}
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
