package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"time"

	"github.com/httpsession/httpsession"
)

func runToken(ctx context.Context, e *env, args []string) error {
	if len(args) == 0 || (args[0] != "show" && args[0] != "refresh") {
		return usagef("want a subcommand: show or refresh")
	}
	sub, args := args[0], args[1:]
	fs := newFlagSet(e, "token "+sub, "token "+sub+" --session FILE")
	session := sessionFlag(fs, e, "holding the token")
	if err := parseNoArgs(fs, args); err != nil {
		return err
	}
	if *session == "" {
		return errNoSession
	}
	if err := mustExist(*session); err != nil {
		return err
	}
	c, _, err := openClient(e, *session, true)
	if err != nil {
		return err
	}
	defer c.Close()
	m := c.Tokens()
	if m == nil {
		return fmt.Errorf("no login configuration for %s: run \"httpsession login\" first", *session)
	}
	if sub == "refresh" {
		if tok := m.Current(); tok != nil {
			m.Invalidate(tok)
		}
		if _, err := m.Token(ctx); err != nil {
			return err
		}
		if err := c.Save(); err != nil {
			return err
		}
	}
	tok := m.Current()
	if tok == nil {
		fmt.Fprintln(e.stdout, "no token saved")
		return nil
	}
	fmt.Fprintf(e.stdout, "type:          %s\n", tok.Type())
	fmt.Fprintf(e.stdout, "access token:  %s\n", fingerprint(tok.AccessToken))
	fmt.Fprintf(e.stdout, "refresh token: %s\n", fingerprint(tok.RefreshToken))
	fmt.Fprintf(e.stdout, "expiry:        %s\n", describeExpiry(tok, time.Now()))
	return nil
}

// fingerprint identifies a secret without revealing it: its length and the
// start of its SHA-256, enough to tell two tokens apart.
func fingerprint(s string) string {
	if s == "" {
		return "(none)"
	}
	sum := sha256.Sum256([]byte(s))
	return fmt.Sprintf("redacted, %d chars, sha256:%s", len(s), hex.EncodeToString(sum[:4]))
}

func describeExpiry(tok *httpsession.Token, now time.Time) string {
	if tok.Expiry.IsZero() {
		return "expiry unknown"
	}
	left := tok.Expiry.Sub(now).Round(time.Second)
	if left <= 0 {
		return fmt.Sprintf("expired at %s", tok.Expiry.Format(time.RFC3339))
	}
	return fmt.Sprintf("expires %s, in %s", tok.Expiry.Format(time.RFC3339), left)
}
