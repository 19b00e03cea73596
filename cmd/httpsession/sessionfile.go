package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"sync"

	"github.com/httpsession/httpsession"
)

// sessionFlags are the options of the session file every command with
// --session takes.
type sessionFlags struct {
	fresh bool // --fresh: SessionOptions.StartFresh
	drop  bool // --drop-session-cookies: SessionOptions.DropSessionCookies
}

// sessionFlag declares the --session flag, defaulting to $HTTPSESSION_SESSION,
// with --fresh, --drop-session-cookies and the key flags that encrypt the
// session file.
func sessionFlag(fs *flag.FlagSet, e *env, what string) *string {
	e.keys = addKeyFlags(fs, e)
	e.sess = &sessionFlags{}
	fs.BoolVar(&e.sess.fresh, "fresh", false, "if the session file is corrupt, move it aside (FILE.corrupt-TIME) and start an empty session")
	fs.BoolVar(&e.sess.drop, "drop-session-cookies", false, "do not save the session cookies (no Expires/Max-Age) this command receives, as a browser forgets them on exit; by default they are saved, as curl -c does")
	return fs.String("session", e.getenv("HTTPSESSION_SESSION"), "session `file` "+what+" ($HTTPSESSION_SESSION)")
}

// errNoSession is the usage error of a command that needs a session file.
var errNoSession = &usageError{msg: "no session file: pass --session FILE or set HTTPSESSION_SESSION"}

// mustExist is for the commands that only read the session file: a path
// that names nothing is an error, and nothing is created.
func mustExist(path string) error {
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("no such session file: %s", path)
	}
	return nil
}

// logger is the library's log on standard error: warnings (such as a
// session file others can read) always, everything with -v. The library
// logs no secret.
func (e *env) logger() *slog.Logger {
	level := slog.LevelWarn
	if e.verbose {
		level = slog.LevelDebug
	}
	return slog.New(&lineHandler{w: e.stderr, level: level, mu: new(sync.Mutex)})
}

// libraryRetryRecord names the library's debug records of retries and
// rate-limit waits, which the request commands report themselves, once,
// with the reason and the wait (retryPolicy, explain and the pacing
// report).
var libraryRetryRecord = map[string]bool{
	"httpsession: retrying":                            true,
	"httpsession: Retry-After above cap, not retrying": true,
	"httpsession: pacing":                              true,
}

// lineHandler writes one plain line per record: "httpsession: warning:
// MESSAGE (key=value …)".
type lineHandler struct {
	w     io.Writer
	level slog.Level
	attrs []slog.Attr
	mu    *sync.Mutex
}

func (h *lineHandler) Enabled(_ context.Context, l slog.Level) bool { return l >= h.level }

func (h *lineHandler) Handle(_ context.Context, r slog.Record) error {
	if r.Level < slog.LevelInfo && libraryRetryRecord[r.Message] {
		return nil
	}
	var b strings.Builder
	b.WriteString("httpsession: ")
	if r.Level >= slog.LevelWarn {
		b.WriteString(strings.ToLower(r.Level.String()) + ": ")
	}
	b.WriteString(strings.TrimPrefix(r.Message, "httpsession: "))
	var kv []string
	add := func(a slog.Attr) bool {
		kv = append(kv, a.Key+"="+a.Value.Resolve().String())
		return true
	}
	for _, a := range h.attrs {
		add(a)
	}
	r.Attrs(add)
	if len(kv) > 0 {
		b.WriteString(" (" + strings.Join(kv, " ") + ")")
	}
	b.WriteString("\n")
	h.mu.Lock()
	defer h.mu.Unlock()
	_, err := io.WriteString(h.w, b.String())
	return err
}

func (h *lineHandler) WithAttrs(as []slog.Attr) slog.Handler {
	h2 := *h
	h2.attrs = append(append([]slog.Attr(nil), h.attrs...), as...)
	return &h2
}

func (h *lineHandler) WithGroup(string) slog.Handler { return h }

// resetSession moves a corrupt session file aside, as --fresh does.
func resetSession(e *env, session string) error {
	if err := mustExist(session); err != nil {
		return err
	}
	o, err := sessionOptions(e, session)
	if err != nil {
		return err
	}
	if c, err := httpsession.New(o); err == nil {
		c.Close()
		fmt.Fprintf(e.stderr, "%s is a readable session file: nothing to reset (\"httpsession cookies clear\" empties it)\n", session)
		return nil
	} else if !errors.Is(err, httpsession.ErrCorruptSession) {
		return err
	}
	o.Session = &httpsession.SessionOptions{StartFresh: true}
	o.Logger = slog.New(&lineHandler{w: e.stderr, level: slog.LevelWarn, mu: new(sync.Mutex)})
	c, err := httpsession.New(o)
	if err != nil {
		return err
	}
	return c.Close()
}
