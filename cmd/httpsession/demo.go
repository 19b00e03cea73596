package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/httpsession/httpsession"
	"github.com/httpsession/httpsession/agestore"
	"github.com/httpsession/httpsession/internal/demoserver"
	"github.com/httpsession/httpsession/internal/memnet"
)

// demoURL is the demo API's address. The API runs in the process and is
// reached through an in-memory connection (package memnet), not a socket:
// the name is a *.localhost one, which never leaves the machine.
const demoURL = "http://api.demo.localhost"

// demoAPI serves srv on an in-memory listener and returns it with the
// transport that reaches it.
func demoAPI(srv *demoserver.Server) (io.Closer, http.RoundTripper) {
	ln := memnet.NewListener("api.demo.localhost:80")
	hs := &http.Server{Handler: srv.Handler()}
	go hs.Serve(ln)
	base := http.DefaultTransport.(*http.Transport).Clone()
	base.DialContext = ln.Dial
	return hs, base
}

// sleep waits for d, or until ctx ends.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

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
// when enc is not nil: one step after the other, each printing what the
// server counted.
func demo(ctx context.Context, e *env, file string, enc *agestore.Store, verbose bool) error {
	srv := demoserver.New(demoserver.Options{TokenTTL: demoTTL})
	api, base := demoAPI(srv)
	defer api.Close()
	fmt.Fprintf(e.stdout, "demo API running in this process at %s (tokens live %s and are refreshed %s ahead)\n", demoURL, demoTTL, demoSkew)
	d, err := openDemo(ctx, e, srv, base, file, enc, verbose)
	if err != nil {
		return err
	}
	defer d.c.Close()
	// Every line a step prints is derived from what the server counted,
	// never assumed: a resumed session may skip a step.
	for _, step := range []func() error{d.bearer, d.visits, d.formLogin, d.refreshAhead, d.revoked, d.rateLimited, d.save} {
		if err := step(); err != nil {
			return err
		}
	}
	fmt.Fprintln(e.stdout)
	if d.resumed {
		fmt.Fprintln(e.stdout, "This run resumed the saved session. Start over with: go run ./cmd/httpsession demo --fresh")
	} else {
		fmt.Fprintln(e.stdout, "Run it again to resume the saved session without logging in: go run ./cmd/httpsession demo")
	}
	return nil
}

// A demoRun is one run of the demo: the Client and the server whose
// counts each step reports.
type demoRun struct {
	ctx     context.Context
	out     *demoStep
	srv     *demoserver.Server
	c       *httpsession.Client
	file    string
	enc     *agestore.Store
	resumed bool
	before  demoserver.Stats // the server's counts when delta last looked
}

// openDemo opens the session in file (or enc) with a JSON login at the
// demo API reached through base, and says whether it resumed one.
func openDemo(ctx context.Context, e *env, srv *demoserver.Server, base http.RoundTripper, file string, enc *agestore.Store, verbose bool) (*demoRun, error) {
	_, statErr := os.Stat(file)
	d := &demoRun{ctx: ctx, out: &demoStep{w: e.stdout}, srv: srv, file: file, enc: enc, resumed: statErr == nil}
	var logger *slog.Logger
	if verbose {
		logger = slog.New(slog.NewTextHandler(e.stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	opts := httpsession.Options{
		SessionFile: file,
		Auth: &httpsession.JSONLogin{
			LoginURL:   demoURL + "/auth/login",
			RefreshURL: demoURL + "/auth/refresh",
			Username:   "demo",
			Password:   "demo-password",
		},
		AuthOrigins:  []string{demoURL},
		TokenOptions: &httpsession.TokenOptions{Skew: demoSkew},
		Transport:    base,
		Logger:       logger,
	}
	if enc != nil {
		opts.SessionFile, opts.Store = "", enc
	}
	var err error
	if d.c, err = httpsession.New(opts); err != nil {
		return nil, err
	}
	if !d.resumed {
		fmt.Fprintf(e.stdout, "session file %s: none yet, starting a new session\n", file)
	} else {
		fmt.Fprintf(e.stdout, "session file %s: resumed, %s", file, plural(len(d.c.Jar().All()), "cookie"))
		if tok := d.c.Tokens().Current(); tok != nil {
			fmt.Fprintf(e.stdout, ", a saved token (%s)", describeExpiry(tok, time.Now()))
		}
		fmt.Fprintln(e.stdout)
	}
	d.before = srv.Stats()
	return d, nil
}

// get GETs path of the demo API and returns the status and the body.
func (d *demoRun) get(path string) (int, string, error) {
	resp, err := d.c.Get(d.ctx, demoURL+path)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 4096))
	return resp.StatusCode, strings.TrimSpace(string(b)), err
}

// delta returns what the server counted since the last delta.
func (d *demoRun) delta() demoserver.Stats {
	s := d.srv.Stats()
	diff := s.Sub(d.before)
	d.before = s
	return diff
}

// bearer is step 1: the bearer token, logged in on first use, or the
// saved one.
func (d *demoRun) bearer() error {
	d.out.title("GET /api/me, an API that wants a bearer token")
	code, body, err := d.get("/api/me")
	if err != nil {
		return err
	}
	n := d.delta()
	d.out.say("→ %d %s (server counted: %s)", code, body, counts(n))
	switch {
	case n.Logins > 0:
		d.out.say("the token manager logged in (POST /auth/login) and saved the token to %s before using it", d.file)
	case n.Refreshes > 0 && n.Unauthorized > 0:
		d.out.say("resumed without logging in: the saved token was refused, so the saved refresh token got a new one and the request was replayed")
	case n.Refreshes > 0:
		d.out.say("resumed without logging in: the saved token was near expiry, so the saved refresh token got a new one first")
	default:
		d.out.say("resumed without logging in: the saved token was still valid")
	}
	return nil
}

// visits is step 2: a cookie that survives restarts.
func (d *demoRun) visits() error {
	d.out.title("GET /page, a page that counts visits in a persistent cookie")
	code, body, err := d.get("/page")
	if err != nil {
		return err
	}
	var page struct{ Visits int }
	_ = json.Unmarshal([]byte(body), &page)
	if page.Visits > 1 {
		d.out.say("→ %d %s: the jar sent the cookie saved by an earlier run", code, body)
	} else {
		d.out.say("→ %d %s: a first visit; the jar keeps the cookie for the next run", code, body)
	}
	return nil
}

// formLogin is step 3: a form login with a CSRF token, cookies only, no
// bearer.
func (d *demoRun) formLogin() error {
	d.out.title("form login: GET /login for the CSRF cookie and field, POST /login, follow to /account")
	form := &httpsession.FormLogin{
		LoginURL:        demoURL + "/login",
		Fields:          url.Values{"username": {"demo"}, "password": {"demo-password"}},
		CSRFField:       "csrf_token",
		SuccessRedirect: "/account",
	}
	if _, err := form.Login(d.ctx, d.c.HTTPClient()); err != nil {
		return err
	}
	code, body, err := d.get("/account")
	if err != nil {
		return err
	}
	d.out.say("→ GET /account %d %s (form logins: %d); the session cookie \"sid\" is in the jar", code, body, d.delta().FormLogins)
	return nil
}

// refreshAhead is step 4: a refresh ahead of expiry, after waiting for
// the token to come within demoSkew of it.
func (d *demoRun) refreshAhead() error {
	tok := d.c.Tokens().Current()
	switch {
	case tok == nil || tok.Expiry.IsZero():
		d.out.title("the token has no known expiry")
	case time.Until(tok.Expiry.Add(-demoSkew)) <= -200*time.Millisecond:
		d.out.title("the token is already within %s of expiry", demoSkew)
	default:
		wait := time.Until(tok.Expiry.Add(-demoSkew)) + 200*time.Millisecond
		d.out.title("waiting %s until the token is within %s of expiry", wait.Round(100*time.Millisecond), demoSkew)
		if err := sleep(d.ctx, wait); err != nil {
			return err
		}
	}
	d.delta()
	code, body, err := d.get("/api/me")
	if err != nil {
		return err
	}
	n := d.delta()
	d.out.say("GET /api/me → %d %s (server counted: %s)", code, body, counts(n))
	switch {
	case n.Refreshes > 0 && n.Unauthorized == 0:
		d.out.say("refreshed ahead of expiry, not after a failure")
	case n.Refreshes > 0:
		d.out.say("the token was refused first, then refreshed and the request replayed")
	case n.Logins > 0:
		d.out.say("the refresh token was no longer accepted: the token manager logged in again")
	default:
		d.out.say("no refresh was needed")
	}
	return nil
}

// revoked is step 5: a revoked token, 401, refresh, replay.
func (d *demoRun) revoked() error {
	d.out.title("the server revokes every access token")
	d.srv.RevokeAll()
	code, body, err := d.get("/api/me")
	if err != nil {
		return err
	}
	n := d.delta()
	d.out.say("GET /api/me → %d %s (server counted: %s)", code, body, counts(n))
	switch {
	case n.Unauthorized > 0 && n.Refreshes > 0:
		d.out.say("the server answered 401; the token manager refreshed %s and replayed the request", times(n.Refreshes))
	case n.Unauthorized > 0 && n.Logins > 0:
		d.out.say("the server answered 401; the token manager logged in again and replayed the request")
	case n.Unauthorized > 0:
		d.out.say("the server answered 401 and the request was not replayed")
	default:
		d.out.say("the token sent had been issued after the revocation: no 401, nothing to refresh")
	}
	return nil
}

// rateLimited is step 6: a 429 with Retry-After and an anti-bot cookie.
func (d *demoRun) rateLimited() error {
	d.out.title("GET /api/limited answers 429, Retry-After: 1 and a challenge cookie to a client without the cookie")
	start := time.Now()
	code, body, err := d.get("/api/limited")
	if err != nil {
		return err
	}
	if n := d.delta(); n.Throttled > 0 {
		d.out.say("→ 429 %s; waited %s as asked, retried with the cookie the 429 set → %d %s",
			times(n.Throttled), time.Since(start).Round(100*time.Millisecond), code, body)
	} else {
		d.out.say("→ %d %s at once: the jar sent the challenge cookie an earlier run saved (429s: 0)", code, body)
	}
	return nil
}

// save is step 7: the session saved, and what the file holds.
func (d *demoRun) save() error {
	d.out.title("saving the session")
	if err := d.c.Save(); err != nil {
		return err
	}
	st, err := os.Stat(d.file)
	if err != nil {
		return err
	}
	d.out.say("%s: %d bytes, mode %v: the token and the jar's %s, session cookies included, so the next run resumes;",
		d.file, st.Size(), st.Mode().Perm(), plural(len(d.c.Jar().All()), "cookie"))
	d.out.say("cookie values and tokens are never printed")
	if d.enc != nil {
		demoSayEncrypted(d.out, d.file, d.enc)
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
