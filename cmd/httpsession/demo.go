package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/httpsession/httpsession"
	"github.com/httpsession/httpsession/agestore"
	"github.com/httpsession/httpsession/internal/demoserver"
)

// Demo timing: tokens live demoTTL and are refreshed demoSkew ahead of
// expiry, so the demo shows a refresh ahead of time within a few seconds.
const (
	demoTTL  = 4 * time.Second
	demoSkew = 2 * time.Second
)

func runDemo(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet(e, "demo", "demo [--file F] [--fresh] [--encrypt [--key-file K | --keyring]] [-v]")
	file := fs.String("file", "httpsession-demo.json", "session `file` the demo saves and resumes")
	fresh := fs.Bool("fresh", false, "delete the session file first and start over")
	verbose := fs.Bool("v", false, "also print the library's debug log (redacted)")
	encrypt := fs.Bool("encrypt", false, "encrypt the session file with age; the key is --key-file, --keyring, $HTTPSESSION_PASSPHRASE, or else a key file created beside the session file")
	e.keys = addKeyFlags(fs, e)
	if err := parseNoArgs(fs, args); err != nil {
		return err
	}
	if *fresh {
		if err := os.Remove(*file); err != nil && !errors.Is(err, os.ErrNotExist) {
			return err
		}
	}
	var st *agestore.Store
	if *encrypt {
		var err error
		if st, err = demoStore(e, *file); err != nil {
			return err
		}
	}
	return demo(ctx, e, *file, st, *verbose)
}

// demoStep prints one step of the story.
type demoStep struct {
	w io.Writer
	n int
}

func (d *demoStep) title(format string, args ...any) {
	d.n++
	fmt.Fprintf(d.w, "\n%d. %s\n", d.n, fmt.Sprintf(format, args...))
}

func (d *demoStep) say(format string, args ...any) {
	fmt.Fprintf(d.w, "   %s\n", fmt.Sprintf(format, args...))
}

// demo runs the story with the session in file, encrypted through enc
// when enc is not nil. It is one piece because it is the story, told in
// order: each step's error check is what makes it long, and the numbered
// steps it prints are its sections.
func demo(ctx context.Context, e *env, file string, enc *agestore.Store, verbose bool) error {
	srv := demoserver.New(demoserver.Options{TokenTTL: demoTTL, Now: e.now})
	ts := httptest.NewServer(srv.Handler())
	defer ts.Close()
	out := &demoStep{w: e.stdout}
	fmt.Fprintf(e.stdout, "demo API listening on %s (tokens live %s and are refreshed %s ahead)\n", ts.URL, demoTTL, demoSkew)

	_, statErr := os.Stat(file)
	resumed := statErr == nil
	var logger *slog.Logger
	if verbose {
		logger = slog.New(slog.NewTextHandler(e.stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	retry := httpsession.DefaultRetryPolicy()
	retry.Sleep = e.sleep
	auth := &httpsession.JSONLogin{
		LoginURL:   ts.URL + "/auth/login",
		RefreshURL: ts.URL + "/auth/refresh",
		Username:   "demo",
		Password:   "demo-password",
	}
	opts := httpsession.Options{
		SessionFile:  file,
		Auth:         auth,
		AuthOrigins:  []string{ts.URL},
		TokenOptions: &httpsession.TokenOptions{Skew: demoSkew},
		Retry:        retry,
		Now:          e.now,
		Logger:       logger,
	}
	if enc != nil {
		opts.SessionFile, opts.Store = "", enc
	}
	c, err := httpsession.New(opts)
	if err != nil {
		return err
	}
	defer c.Close()

	if resumed {
		tok := c.Tokens().Current()
		fmt.Fprintf(e.stdout, "session file %s: resumed, %s", file, plural(c.Jar().Len(), "cookie"))
		if tok != nil {
			fmt.Fprintf(e.stdout, ", a saved token (%s)", describeExpiry(tok, e.clock()))
		}
		fmt.Fprintln(e.stdout)
	} else {
		fmt.Fprintf(e.stdout, "session file %s: none yet, starting a new session\n", file)
	}

	get := func(path string) (int, string, error) {
		resp, err := c.Get(ctx, ts.URL+path)
		if err != nil {
			return 0, "", err
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(io.LimitReader(resp.Body, 4096))
		return resp.StatusCode, strings.TrimSpace(string(b)), err
	}
	before := srv.Stats()
	delta := func() demoserver.Stats {
		s := srv.Stats()
		d := s.Sub(before)
		before = s
		return d
	}

	// Every line below is derived from what the server counted, never
	// assumed: a resumed session may skip a step.
	// 1. The bearer token: log in on first use, or use the saved one.
	out.title("GET /api/me, an API that wants a bearer token")
	code, body, err := get("/api/me")
	if err != nil {
		return err
	}
	d := delta()
	out.say("→ %d %s (server counted: %s)", code, body, counts(d))
	switch {
	case d.Logins > 0:
		out.say("the token manager logged in (POST /auth/login) and saved the token to %s before using it", file)
	case d.Refreshes > 0 && d.Unauthorized > 0:
		out.say("resumed without logging in: the saved token was refused, so the saved refresh token got a new one and the request was replayed")
	case d.Refreshes > 0:
		out.say("resumed without logging in: the saved token was near expiry, so the saved refresh token got a new one first")
	default:
		out.say("resumed without logging in: the saved token was still valid")
	}

	// 2. A cookie session that survives restarts.
	out.title("GET /page, a page that counts visits in a persistent cookie")
	code, body, err = get("/page")
	if err != nil {
		return err
	}
	var page struct{ Visits int }
	_ = json.Unmarshal([]byte(body), &page)
	if page.Visits > 1 {
		out.say("→ %d %s: the jar sent the cookie saved by an earlier run", code, body)
	} else {
		out.say("→ %d %s: a first visit; the jar keeps the cookie for the next run", code, body)
	}

	// 3. Form login with a CSRF token: cookies only, no bearer.
	out.title("form login: GET /login for the CSRF cookie and field, POST /login, follow to /account")
	form := &httpsession.FormLogin{
		LoginURL:        ts.URL + "/login",
		Fields:          url.Values{"username": {"demo"}, "password": {"demo-password"}},
		CSRFField:       "csrf_token",
		SuccessRedirect: "/account",
	}
	if _, err := form.Login(ctx, c.HTTPClient()); err != nil {
		return err
	}
	code, body, err = get("/account")
	if err != nil {
		return err
	}
	d = delta()
	out.say("→ GET /account %d %s (form logins: %d); the session cookie \"sid\" is in the jar", code, body, d.FormLogins)

	// 4. Refresh ahead of expiry.
	tok := c.Tokens().Current()
	if tok != nil && !tok.Expiry.IsZero() {
		wait := tok.Expiry.Add(-demoSkew).Sub(e.clock()) + 200*time.Millisecond
		if wait > 0 {
			out.title("waiting %s until the token is within %s of expiry", wait.Round(100*time.Millisecond), demoSkew)
			if err := e.wait(ctx, wait); err != nil {
				return err
			}
		} else {
			out.title("the token is already within %s of expiry", demoSkew)
		}
	} else {
		out.title("the token has no known expiry")
	}
	delta()
	code, body, err = get("/api/me")
	if err != nil {
		return err
	}
	d = delta()
	out.say("GET /api/me → %d %s (server counted: %s)", code, body, counts(d))
	switch {
	case d.Refreshes > 0 && d.Unauthorized == 0:
		out.say("refreshed ahead of expiry, not after a failure")
	case d.Refreshes > 0:
		out.say("the token was refused first, then refreshed and the request replayed")
	case d.Logins > 0:
		out.say("the refresh token was no longer accepted: the token manager logged in again")
	default:
		out.say("no refresh was needed")
	}

	// 5. A revoked token: 401 → refresh → replay.
	out.title("the server revokes every access token")
	srv.RevokeAll()
	code, body, err = get("/api/me")
	if err != nil {
		return err
	}
	d = delta()
	out.say("GET /api/me → %d %s (server counted: %s)", code, body, counts(d))
	switch {
	case d.Unauthorized > 0 && d.Refreshes > 0:
		out.say("the server answered 401; the token manager refreshed %s and replayed the request", times(d.Refreshes))
	case d.Unauthorized > 0 && d.Logins > 0:
		out.say("the server answered 401; the token manager logged in again and replayed the request")
	case d.Unauthorized > 0:
		out.say("the server answered 401 and the request was not replayed")
	default:
		out.say("the token sent had been issued after the revocation: no 401, nothing to refresh")
	}

	// 6. 429 with Retry-After and an anti-bot cookie.
	out.title("GET /api/limited answers 429, Retry-After: 1 and a challenge cookie to a client without the cookie")
	start := e.clock()
	code, body, err = get("/api/limited")
	if err != nil {
		return err
	}
	d = delta()
	if d.Throttled > 0 {
		out.say("→ 429 %s; waited %s as asked, retried with the cookie the 429 set → %d %s",
			times(d.Throttled), e.clock().Sub(start).Round(100*time.Millisecond), code, body)
	} else {
		out.say("→ %d %s at once: the jar sent the challenge cookie an earlier run saved (429s: 0)", code, body)
	}

	// 7. Save.
	out.title("saving the session")
	if err := c.Save(); err != nil {
		return err
	}
	st, err := os.Stat(file)
	if err != nil {
		return err
	}
	out.say("%s: %d bytes, mode %v: the token and the jar's %s, session cookies included, so the next run resumes;",
		file, st.Size(), st.Mode().Perm(), plural(c.Jar().Len(), "cookie"))
	out.say("cookie values and tokens are never printed")
	if enc != nil {
		demoSayEncrypted(out, file, enc)
	}
	fmt.Fprintln(e.stdout)
	if resumed {
		fmt.Fprintln(e.stdout, "This run resumed the saved session. Start over with: go run ./cmd/httpsession demo --fresh")
	} else {
		fmt.Fprintln(e.stdout, "Run it again to resume the saved session without logging in: go run ./cmd/httpsession demo")
	}
	return nil
}

// counts says what the server counted in d.
func counts(d demoserver.Stats) string {
	return fmt.Sprintf("logins: %d, refreshes: %d, 401s: %d", d.Logins, d.Refreshes, d.Unauthorized)
}

// times reads 1 as "once", 2 as "twice", n as "n times".
func times(n int) string {
	switch n {
	case 1:
		return "once"
	case 2:
		return "twice"
	}
	return fmt.Sprintf("%d times", n)
}

// demoStore returns the encrypted store of demo --encrypt: the key the
// flags or the environment choose, or else file+".key", created on the
// first run.
func demoStore(e *env, file string) (*agestore.Store, error) {
	key, err := sessionKey(e, e.keys)
	if err != nil {
		return nil, err
	}
	if key == nil {
		keyFile := file + ".key"
		if key, err = agestore.KeyFromFile(nil, keyFile); errors.Is(err, os.ErrNotExist) {
			key, err = agestore.GenerateKeyFile(nil, keyFile)
			if err == nil {
				fmt.Fprintf(e.stdout, "created the age identity %s (mode 0600) for --encrypt\n", keyFile)
			}
		}
		if err != nil {
			return nil, err
		}
	}
	if fileIsEncrypted(file) || !fileExists(file) {
		return agestore.NewFile(nil, file, key), nil
	}
	// A plain file from an earlier run: encrypt it now, so the story
	// starts from what it will show.
	st := agestore.NewFile(nil, file, key)
	if _, err := st.Encrypt(); err != nil {
		return nil, err
	}
	fmt.Fprintf(e.stdout, "encrypted the plain session file %s from an earlier run\n", file)
	return st, nil
}

// demoSayEncrypted tells how the demo's file is protected.
func demoSayEncrypted(out *demoStep, file string, st *agestore.Store) {
	out.say("the file is an age file (key from %s): no cookie value or token appears in it", st.Key().Source())
	out.say("decrypt it by hand: age -d -i KEYFILE %s   (a passphrase file: age -d %s)", file, file)
}

func fileExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}
