package httpsession

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// TestManagerClockAhead: a token whose expiry comes only from its JWT exp,
// issued by a server whose clock is behind ours by more than the token's
// lifetime, arrives expired by our clock. It is used rather than
// replaced on every request: its lifetime counted from when we got it
// when the JWT says when it was issued (iat), else until the server
// rejects it.
func TestManagerClockAhead(t *testing.T) {
	const ahead = 6 * time.Minute
	const life = 5 * time.Minute
	tests := []struct {
		name       string
		claims     func(server time.Time) string
		wantExpiry func(got time.Time) time.Time // zero: unknown
		wantLogins int                           // over 50 requests a second apart
	}{
		{"exp and iat", func(s time.Time) string { return fmt.Sprintf(`{"iat":%d,"exp":%d}`, s.Unix(), s.Add(life).Unix()) },
			func(got time.Time) time.Time { return got.Add(life) }, 1},
		{"exp only", func(s time.Time) string { return fmt.Sprintf(`{"exp":%d}`, s.Add(life).Unix()) },
			func(time.Time) time.Time { return time.Time{} }, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clk := newTokenClock()
			var logins atomic.Int32
			a := AuthFuncs{LoginFunc: func(context.Context, *http.Client) (*Token, error) {
				logins.Add(1)
				return &Token{AccessToken: jwt(tt.claims(clk.Now().Add(-ahead)))}, nil
			}}
			m := newTokenManager(a, nil, nil, clk.Now)
			got := clk.Now()
			for i := range 50 {
				if _, _, err := m.authorization(context.Background()); err != nil {
					t.Fatalf("request %d: %v", i, err)
				}
				clk.Advance(time.Second)
			}
			if n := int(logins.Load()); n != tt.wantLogins {
				t.Errorf("logins for 50 requests = %d, want %d", n, tt.wantLogins)
			}
			if exp, want := m.Current().Expiry, tt.wantExpiry(got); !exp.Equal(want) {
				t.Errorf("Expiry = %v, want %v", exp, want)
			}
		})
	}

	// Without iat, the server's 401 ends the token: one login, not one
	// per request after it.
	clk := newTokenClock()
	var logins atomic.Int32
	a := AuthFuncs{LoginFunc: func(context.Context, *http.Client) (*Token, error) {
		logins.Add(1)
		return &Token{AccessToken: jwt(fmt.Sprintf(`{"exp":%d,"n":%d}`, clk.Now().Add(-time.Minute).Unix(), logins.Load()))}, nil
	}}
	m := newTokenManager(a, nil, nil, clk.Now)
	sent, _, err := m.authorization(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	m.invalidate(sent)
	for range 10 {
		if _, _, err := m.authorization(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	if n := logins.Load(); n != 2 {
		t.Errorf("logins after one 401 and 10 requests = %d, want 2", n)
	}
}

// TestManagerClockBehind: a server whose clock is ahead of ours issues a
// JWT whose exp, read on our clock, lies past its real end; iat corrects
// it.
func TestManagerClockBehind(t *testing.T) {
	clk := newTokenClock()
	server := clk.Now().Add(10 * time.Minute)
	a := AuthFuncs{LoginFunc: func(context.Context, *http.Client) (*Token, error) {
		return &Token{AccessToken: jwt(fmt.Sprintf(`{"iat":%d,"exp":%d}`, server.Unix(), server.Add(time.Hour).Unix()))}, nil
	}}
	m := newTokenManager(a, nil, nil, clk.Now)
	if got, want := mustToken(t, m).Expiry, clk.Now().Add(time.Hour); !got.Equal(want) {
		t.Errorf("Expiry = %v, want %v (an hour after we got it)", got, want)
	}
}

// TestManagerInSyncKeepsExp: with the clocks in step the JWT's exp is the
// expiry, to the second.
func TestManagerInSyncKeepsExp(t *testing.T) {
	clk := newTokenClock()
	clk.Advance(700 * time.Millisecond)
	exp := clk.Now().Add(time.Hour).Truncate(time.Second)
	a := AuthFuncs{LoginFunc: func(context.Context, *http.Client) (*Token, error) {
		return &Token{AccessToken: jwt(fmt.Sprintf(`{"iat":%d,"exp":%d}`, clk.Now().Add(-2*time.Second).Unix(), exp.Unix()))}, nil
	}}
	m := newTokenManager(a, nil, nil, clk.Now)
	if got := mustToken(t, m).Expiry; !got.Equal(exp) {
		t.Errorf("Expiry = %v, want the exp %v", got, exp)
	}
}

// TestManagerRefusesTokenBreakingHeader: a token that can't go into an
// Authorization header (CR, LF, NUL, …) is refused when it is issued, with
// an error that matches ErrAuthResponse and does not quote it; a login
// happens once per use, never in a loop; a refresh that returns one logs
// in instead; one handed to SetToken is replaced before it is sent.
func TestManagerRefusesTokenBreakingHeader(t *testing.T) {
	for _, bad := range []Token{
		{AccessToken: "s3cr3t\r\nX-Injected: 1"},
		{AccessToken: "s3cr3t\x00"},
		{AccessToken: "s3cr3t\n"},
		{AccessToken: "s3cr3t", TokenType: "Bearer\r\nX-Injected: 1"},
	} {
		t.Run(fmt.Sprintf("%q %q", bad.TokenType, bad.AccessToken), func(t *testing.T) {
			var logins, refreshes atomic.Int32
			loginBad := true
			a := AuthFuncs{
				LoginFunc: func(context.Context, *http.Client) (*Token, error) {
					logins.Add(1)
					if loginBad {
						t := bad
						return &t, nil
					}
					return &Token{AccessToken: "good", RefreshToken: "r"}, nil
				},
				RefreshFunc: func(context.Context, *http.Client, *Token) (*Token, error) {
					refreshes.Add(1)
					t := bad
					return &t, nil
				},
			}
			m := newTokenManager(a, nil, nil, time.Now)
			for range 3 {
				_, err := m.Token(context.Background())
				var ae *AuthError
				if !errors.Is(err, ErrAuthResponse) || !errors.As(err, &ae) {
					t.Fatalf("Token() error = %v, want an *AuthError matching ErrAuthResponse", err)
				}
				if strings.Contains(err.Error(), "s3cr3t") {
					t.Errorf("error %q quotes the token", err)
				}
			}
			if n := logins.Load(); n != 3 {
				t.Errorf("logins for 3 uses = %d, want 3", n)
			}

			loginBad = false
			logins.Store(0)
			tok := mustToken(t, m)
			m.invalidate(tok)
			if _, header, err := m.authorization(context.Background()); err != nil || len(header) != 1 || header[0] != "Bearer good" {
				t.Errorf("after a refresh returned a bad token: header %q, %v; want a login's token", header, err)
			}
			if l, r := logins.Load(), refreshes.Load(); l != 2 || r != 1 {
				t.Errorf("logins, refreshes = %d, %d, want 2, 1", l, r)
			}

			logins.Store(0)
			b := bad
			m.SetToken(&b)
			if _, header, err := m.authorization(context.Background()); err != nil || len(header) != 1 || header[0] != "Bearer good" {
				t.Errorf("after SetToken of a bad token: header %q, %v; want a login's token", header, err)
			}
			if l := logins.Load(); l != 1 {
				t.Errorf("logins after SetToken of a bad token = %d, want 1", l)
			}
		})
	}
}

// TestManagerDatesExpiresIn: an Authenticator returns the server's
// expires_in as Token.ExpiresIn and the TokenManager dates it on the
// session's clock (Options.Now), which is days away from the real one
// here; the token the Client keeps and saves has an Expiry and no
// ExpiresIn, and it is refreshed Skew before that Expiry.
func TestManagerDatesExpiresIn(t *testing.T) {
	srv := newAuthServer(t)
	srv.expiresIn = 90
	clk := newTokenClock()
	start := clk.Now()
	c, err := New(Options{
		Auth:         &JSONLogin{LoginURL: srv.URL + "/login", RefreshURL: srv.URL + "/refresh", Username: "alice", Password: testPassword},
		AuthOrigins:  []string{srv.URL},
		Transport:    memTransport(t),
		Now:          clk.Now,
		TokenOptions: &TokenOptions{Skew: 30 * time.Second},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	tok, err := c.Tokens().Token(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if want := start.Add(90 * time.Second); !tok.Expiry.Equal(want) || tok.ExpiresIn != 0 {
		t.Errorf("token Expiry, ExpiresIn = %v, %d; want %v, 0", tok.Expiry, tok.ExpiresIn, want)
	}
	clk.Advance(59 * time.Second)
	if _, err := c.Tokens().Token(context.Background()); err != nil || srv.refreshes.Load() != 0 {
		t.Fatalf("at 59s: err %v, %d refreshes; want none", err, srv.refreshes.Load())
	}
	clk.Advance(2 * time.Second)
	tok, err = c.Tokens().Token(context.Background())
	if err != nil || srv.refreshes.Load() != 1 {
		t.Fatalf("at 61s: err %v, %d refreshes; want 1", err, srv.refreshes.Load())
	}
	if want := clk.Now().Add(90 * time.Second); !tok.Expiry.Equal(want) {
		t.Errorf("refreshed token Expiry = %v, want %v", tok.Expiry, want)
	}
}
