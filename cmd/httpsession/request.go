package main

import (
	"bytes"
	"cmp"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"net/url"
	"os"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/httpsession/httpsession"
	"github.com/httpsession/httpsession/internal/origin"
	"github.com/httpsession/httpsession/internal/termtext"
)

// requestNotes ends "get -h", "post -h" and "do -h": what differs from
// curl on purpose, and the TLS environment.
const requestNotes = `Where this differs from curl on purpose:
  - redirects are followed by default (curl needs -L); --no-follow stops, --max-redirs N caps them
  - 429, 502, 503, 504 and connection errors are retried 3 times (4 tries) by default, honouring
    Retry-After up to --max-wait; --retry 0 disables retries (curl's default)
  - get takes no -d (a usage error): use post, or do -X METHOD
  - -v prints each hop's status line and Set-Cookie names with masked values, never cookie values or tokens
  - --fail exits 22 without printing the body, as curl -f does
As curl: -H sent as given (repeated -H sends every value; Authorization and Cookie given with -H are
dropped on a redirect to another scheme, host or port), -d @FILE strips CR and LF, --data-binary @FILE
keeps them, -i prints the head of every hop before the body, --cacert FILE, -k/--insecure,
--connect-timeout and --max-time (seconds, or a duration such as 1m30s).
TLS: the system's CA certificates are used; SSL_CERT_FILE (a PEM file) or SSL_CERT_DIR replace them,
--cacert FILE trusts only FILE's certificates.`

// requestFlags are the flags of get, post and do.
type requestFlags struct {
	session                 *string
	headers                 stringList
	data, dataBinary        string
	jsonBody, include, fail bool
	output, method          string
	maxTime, connectTimeout time.Duration
	retry                   int
	maxWait                 time.Duration
	cacert                  string
	insecure                bool
	maxRedirs               int
	noFollow                bool
}

// runRequest returns the command for get, post (method fixed) and do
// (method from -X).
func runRequest(method string) func(ctx context.Context, e *env, args []string) error {
	return func(ctx context.Context, e *env, args []string) error {
		name := strings.ToLower(method)
		usage := name + " URL [flags]"
		if method == "" {
			name, usage = "do", "do -X METHOD URL [flags]"
		}
		fs := newFlagSet(e, name, usage, requestNotes)
		f := &requestFlags{}
		f.session = sessionFlag(fs, e, "loaded before and saved after the request")
		fs.Var(&f.headers, "H", "request header `'Name: value'` (repeatable; a repeated name sends every value)")
		fs.StringVar(&f.data, "d", "", "request body; @FILE reads a file without its CR and LF (as curl), @- standard input")
		fs.StringVar(&f.data, "data", "", "same as -d")
		fs.StringVar(&f.dataBinary, "data-binary", "", "request body sent as is; @FILE reads a file, @- standard input")
		fs.BoolVar(&f.jsonBody, "json", false, "send and accept JSON (Content-Type and Accept: application/json)")
		fs.BoolVar(&f.include, "i", false, "print the status line and response headers before the body")
		fs.StringVar(&f.output, "o", "", "write the body to `file` instead of standard output: a regular file complete or not at all; a device, FIFO or link (/dev/null, /dev/stdout) written into, as curl. Created 0600 when sent with a session, user info, Authorization or Cookie; else 0666 less the umask, as curl")
		fs.BoolVar(&f.fail, "fail", false, "on an HTTP status of 400 or more print no body and exit with code 22")
		fs.Var((*seconds)(&f.maxTime), "max-time", "give up after this long, retries and waits included: seconds as curl takes them (2.5) or a duration (1m30s); 0 = no limit")
		fs.Var((*seconds)(&f.maxTime), "timeout", "same as --max-time")
		fs.Var((*seconds)(&f.connectTimeout), "connect-timeout", "give up connecting (TCP and TLS) after this long, in seconds or as a duration; 0 = no limit")
		fs.IntVar(&f.retry, "retry", 3, "retry 429, 502, 503, 504 and connection errors up to `N` times (0 = never)")
		fs.DurationVar(&f.maxWait, "max-wait", time.Minute, "longest wait for one retry; a Retry-After above it is not waited for")
		fs.StringVar(&f.cacert, "cacert", "", "trust only the CA certificates in this PEM `file`")
		fs.BoolVar(&f.insecure, "k", false, "do not check the server's certificate (insecure)")
		fs.BoolVar(&f.insecure, "insecure", false, "same as -k")
		fs.IntVar(&f.maxRedirs, "max-redirs", 10, "follow at most `N` redirects")
		fs.BoolVar(&f.noFollow, "no-follow", false, "do not follow redirects: print the 3xx answer")
		fs.BoolVar(&e.verbose, "v", false, "print each hop, retries, refreshes and the library's log on standard error (redacted)")
		fs.StringVar(&f.method, "X", method, "request `method`")
		pos, err := parseInterleaved(fs, args)
		if err != nil {
			return err
		}
		if len(pos) != 1 {
			return usagef("want exactly one URL, got %d arguments", len(pos))
		}
		if method == "" && f.method == "" {
			return usagef("do needs -X METHOD")
		}
		if method == "GET" && (f.data != "" || f.dataBinary != "") {
			return usagef("get sends no body: use post, or do -X METHOD with -d")
		}
		if f.data != "" && f.dataBinary != "" {
			return usagef("give -d or --data-binary, not both")
		}
		if f.retry < 0 || f.maxRedirs < 0 {
			return usagef("--retry and --max-redirs take a number of 0 or more")
		}
		u, err := url.Parse(pos[0])
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return usagef("bad URL %q: want http:// or https:// and a host", pos[0])
		}
		return doRequest(ctx, e, name, u, f)
	}
}

// doRequest sends the request the flags describe and prints the answer,
// in curl's own sequence: the request (body and headers), the session's
// client, the exchange, the output, the save, the exit status.
func doRequest(ctx context.Context, e *env, name string, u *url.URL, f *requestFlags) error {
	if f.maxTime > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, f.maxTime)
		defer cancel()
	}
	req, err := newRequest(ctx, e, u, f)
	if err != nil {
		return err
	}
	base, err := baseTransport(e, f)
	if err != nil {
		return err
	}
	var attempts atomic.Int32
	retry := retryPolicy(e, f, &attempts)
	c, ac, err := openClientWith(e, *f.session, true, httpsession.Options{Retry: retry, Transport: base})
	if err != nil {
		return err
	}
	defer c.Close() // saves what came before an error or Ctrl-C
	resp, err := send(e, c, req, f, &attempts)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	explain(e, name, resp, ac, retry)
	failed := f.fail && resp.StatusCode >= 400
	if err := writeAnswer(e, resp, f, failed); err != nil {
		return err
	}
	if err := c.Save(); err != nil {
		return err
	}
	if failed {
		return &exitError{code: 22, msg: fmt.Sprintf("httpsession %s: the server answered %s", name, termtext.Escape(resp.Status))}
	}
	return nil
}

// newRequest builds the request of the flags: its body (-d, --data-binary)
// and headers (--json, -H).
func newRequest(ctx context.Context, e *env, u *url.URL, f *requestFlags) (*http.Request, error) {
	var body io.Reader
	if f.data != "" || f.dataBinary != "" {
		b, err := readData(e, cmp.Or(f.data, f.dataBinary), f.data != "")
		if err != nil {
			return nil, err
		}
		body = bytes.NewReader(b) // NewRequest sets GetBody, so retries can replay it
	}
	req, err := http.NewRequestWithContext(ctx, strings.ToUpper(f.method), u.String(), body)
	if err != nil {
		return nil, usagef("%v", err)
	}
	if f.jsonBody {
		req.Header.Set("Accept", "application/json")
		if body != nil {
			req.Header.Set("Content-Type", "application/json")
		}
	} else if body != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	fromH := make(map[string]bool)
	for _, h := range f.headers {
		k, v, ok := strings.Cut(h, ":")
		if !ok || strings.TrimSpace(k) == "" {
			return nil, usagef("bad header %q: want 'Name: value'", h)
		}
		k = http.CanonicalHeaderKey(strings.TrimSpace(k))
		if !fromH[k] {
			req.Header.Del(k) // -H replaces what --json or -d set
			fromH[k] = true
		}
		req.Header[k] = append(req.Header[k], strings.TrimSpace(v)) // a repeated -H adds a value
	}
	return req, nil
}

// send sends req through the session's client, following redirects as
// --no-follow, --max-redirs and -i say, and tells how many attempts an
// error took.
func send(e *env, c *httpsession.Client, req *http.Request, f *requestFlags, attempts *atomic.Int32) (*http.Response, error) {
	hc := *c.HTTPClient()
	hc.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		if f.noFollow {
			return http.ErrUseLastResponse
		}
		if len(via) > f.maxRedirs {
			return fmt.Errorf("stopped after %d redirects (--max-redirs)", f.maxRedirs)
		}
		if f.include && req.Response != nil {
			writeHead(e.stdout, req.Response) // each hop's head, as curl -i -L prints it
		}
		return nil
	}
	resp, err := hc.Do(req)
	switch {
	case err == nil:
		return resp, nil
	case f.maxTime > 0 && errors.Is(err, context.DeadlineExceeded):
		return nil, fmt.Errorf("timed out after %v (--max-time): %w", f.maxTime, err)
	case attempts.Load() > 0:
		return nil, fmt.Errorf("%w (gave up after %d attempts)", err, attempts.Load()+1)
	}
	return nil, err
}

// writeAnswer prints the answer: its head with -i, and its body to
// standard output or -o's file, unless failed (--fail and a status of 400
// or more) drops it.
func writeAnswer(e *env, resp *http.Response, f *requestFlags, failed bool) error {
	if f.include {
		writeHead(e.stdout, resp)
	}
	dst, closeOut := io.Writer(io.Discard), func(bool) error { return nil }
	if !failed {
		var err error
		if dst, closeOut, err = openOutput(e, f.output, bodyMode(*f.session, resp.Request)); err != nil {
			return err
		}
	}
	_, err := copyWithProgress(dst, resp.Body, resp.ContentLength, e.stderr)
	if cerr := closeOut(err == nil); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("reading the response: %w", err)
	}
	return nil
}

// explain tells on standard error what the answer alone does not: a
// Retry-After that was not waited for, a 401 where the token was not sent.
func explain(e *env, name string, resp *http.Response, ac *authConfig, retry *httpsession.RetryPolicy) {
	if resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode == http.StatusServiceUnavailable {
		if d, ok := httpsession.RetryAfter(resp); ok && d > retry.MaxRetryAfter {
			fmt.Fprintf(e.stderr, "httpsession %s: the server asked to wait %s (Retry-After), more than --max-wait %s: not retried\n",
				name, d.Round(time.Second), retry.MaxRetryAfter)
		}
	}
	if resp.StatusCode == http.StatusUnauthorized && e.verbose {
		switch {
		case ac == nil:
			fmt.Fprintf(e.stderr, "httpsession: token not sent: the session has no login (run \"httpsession login\")\n")
		case !allowedOrigin(ac.Origins, resp.Request.URL):
			o, _ := origin.Of(resp.Request.URL)
			fmt.Fprintf(e.stderr, "httpsession: token not sent: %s is not an allowed origin (allowed: %s)\n", o, strings.Join(ac.Origins, ", "))
		}
	}
}

// allowedOrigin reports whether u's origin is one of origins, by the rules
// the library applies to Options.AuthOrigins.
func allowedOrigin(origins []string, u *url.URL) bool {
	return slices.ContainsFunc(origins, func(s string) bool {
		a, err := url.Parse(s)
		return err == nil && origin.Same(a, u)
	})
}

// retryPolicy is the library's default policy shaped by --retry and
// --max-wait, counting retries in attempts and reporting them with -v, and
// a long wait on a terminal.
func retryPolicy(e *env, f *requestFlags, attempts *atomic.Int32) *httpsession.RetryPolicy {
	p := httpsession.DefaultRetryPolicy()
	p.MaxAttempts = f.retry + 1
	p.MaxRetryAfter = f.maxWait
	p.MaxDelay = min(p.MaxDelay, f.maxWait)
	p.OnRetry = func(ev httpsession.RetryEvent) {
		if ev.Pacing {
			announcePacing(e, ev)
			return
		}
		attempts.Add(1)
		what := fmt.Sprintf("%d %s", ev.StatusCode, http.StatusText(ev.StatusCode))
		if ev.StatusCode == 0 {
			what = cause(ev.Err)
		}
		switch {
		case e.verbose:
			fmt.Fprintf(e.stderr, "httpsession: retry: %s %s: %s (try %d of %d); waiting %s\n",
				ev.Method, redact(ev.URL), what, ev.Attempt, p.MaxAttempts, ev.Wait.Round(time.Millisecond))
		case ev.Wait >= longWait && isTerminalWriter(e.stderr):
			fmt.Fprintf(e.stderr, "httpsession: %s; waiting %s before trying again (Ctrl-C to stop)\n", what, ev.Wait.Round(time.Second))
		}
	}
	return p
}

// announcePacing tells of a wait the server's rate limit asks for before a
// try: each one with -v, a long one on a terminal.
func announcePacing(e *env, ev httpsession.RetryEvent) {
	switch {
	case e.verbose:
		fmt.Fprintf(e.stderr, "httpsession: rate limit: %s %s: waiting %s (%s)\n",
			ev.Method, redact(ev.URL), ev.Wait.Round(time.Millisecond), ev.Source)
	case ev.Wait >= longWait && isTerminalWriter(e.stderr):
		fmt.Fprintf(e.stderr, "httpsession: the server's rate limit (%s); waiting %s before sending (Ctrl-C to stop)\n", ev.Source, ev.Wait.Round(time.Second))
	}
}

// longWait is the wait from which a retry is announced on a terminal
// without -v.
const longWait = 3 * time.Second

func isTerminalWriter(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && isTerminal(f)
}

// cause is the innermost message of a transport error: "connection
// refused" rather than the whole chain with the URL.
func cause(err error) string {
	for {
		u := errors.Unwrap(err)
		if u == nil {
			return err.Error()
		}
		err = u
	}
}

// redact returns u without user info, and its query masked.
func redact(u *url.URL) string {
	r := *u
	r.User = nil
	if r.RawQuery != "" {
		r.RawQuery = "…"
	}
	r.Fragment = ""
	return r.String()
}

// baseTransport is the transport below the session: TLS as --cacert and
// -k say, --connect-timeout, and each hop on stderr with -v.
func baseTransport(e *env, f *requestFlags) (http.RoundTripper, error) {
	t := http.DefaultTransport.(*http.Transport).Clone()
	if f.cacert != "" || f.insecure {
		t.TLSClientConfig = &tls.Config{MinVersion: tls.VersionTLS12}
	}
	if f.cacert != "" {
		pem, err := os.ReadFile(f.cacert)
		if err != nil {
			return nil, fmt.Errorf("--cacert: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("--cacert %s: no PEM certificate in it", f.cacert)
		}
		t.TLSClientConfig.RootCAs = pool
	}
	if f.insecure {
		t.TLSClientConfig.InsecureSkipVerify = true
		fmt.Fprintln(e.stderr, "httpsession: warning: -k/--insecure: the server's certificate is not checked; anyone in between can read the session's cookies and token")
	}
	if f.connectTimeout > 0 {
		d := &net.Dialer{Timeout: f.connectTimeout, KeepAlive: 30 * time.Second}
		t.DialContext = d.DialContext
		t.TLSHandshakeTimeout = f.connectTimeout
	}
	if !e.verbose {
		return t, nil
	}
	return &hopLogger{base: t, w: e.stderr}, nil
}

// hopLogger prints each try of each hop: the request line, the status line
// and the Set-Cookie lines with their values masked.
type hopLogger struct {
	base http.RoundTripper
	w    io.Writer
}

func (h *hopLogger) RoundTrip(req *http.Request) (*http.Response, error) {
	fmt.Fprintf(h.w, "> %s %s\n", req.Method, redact(req.URL))
	resp, err := h.base.RoundTrip(req)
	if err != nil {
		fmt.Fprintf(h.w, "! %s\n", cause(err))
		return resp, err
	}
	// Status, Location and Set-Cookie are the server's text, on stderr.
	fmt.Fprintf(h.w, "< %s %s\n", resp.Proto, termtext.Escape(resp.Status))
	if loc := resp.Header.Get("Location"); loc != "" {
		fmt.Fprintf(h.w, "< Location: %s\n", termtext.Escape(loc))
	}
	for _, line := range resp.Header["Set-Cookie"] {
		fmt.Fprintf(h.w, "< Set-Cookie: %s\n", termtext.Escape(maskSetCookie(line)))
	}
	for _, k := range rateLimitHeaders {
		for _, v := range resp.Header.Values(k) {
			fmt.Fprintf(h.w, "< %s: %s\n", k, v)
		}
	}
	return resp, nil
}

// rateLimitHeaders are the fields -v shows of each response: what the
// session's pacer reads.
var rateLimitHeaders = []string{
	"RateLimit-Policy", "RateLimit",
	"RateLimit-Limit", "RateLimit-Remaining", "RateLimit-Reset",
	"X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset", "X-RateLimit-Resource",
	"Retry-After",
}

// maskSetCookie replaces the value of a Set-Cookie line by its length.
func maskSetCookie(line string) string {
	pair, attrs, _ := strings.Cut(line, ";")
	name, value, _ := strings.Cut(pair, "=")
	out := strings.TrimSpace(name) + "=" + mask(strings.TrimSpace(value))
	if attrs != "" {
		out += ";" + attrs
	}
	return out
}

// readData reads a -d or --data-binary argument: @FILE a file, @- standard
// input; strip removes CR and LF, as curl does for -d @FILE.
func readData(e *env, d string, strip bool) ([]byte, error) {
	if !strings.HasPrefix(d, "@") {
		return []byte(d), nil
	}
	var b []byte
	var err error
	if d == "@-" {
		b, err = io.ReadAll(e.stdin)
	} else {
		b, err = os.ReadFile(d[1:])
	}
	if err != nil {
		return nil, fmt.Errorf("reading request body: %w", err)
	}
	if strip {
		b = bytes.ReplaceAll(bytes.ReplaceAll(b, []byte("\r"), nil), []byte("\n"), nil)
	}
	return b, nil
}

func writeHead(w io.Writer, resp *http.Response) {
	fmt.Fprintf(w, "%s %s\n", resp.Proto, resp.Status)
	keys := make([]string, 0, len(resp.Header))
	for k := range resp.Header {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		for _, v := range resp.Header[k] {
			fmt.Fprintf(w, "%s: %s\n", k, v)
		}
	}
	fmt.Fprintln(w)
}

// progressMin is the download size from which a progress bar is shown.
const progressMin = 4 << 20

// copyWithProgress copies src to dst, drawing a progress bar on stderr when
// stderr is a terminal and the body is large.
func copyWithProgress(dst io.Writer, src io.Reader, size int64, stderr io.Writer) (int64, error) {
	f, ok := stderr.(*os.File)
	if !ok || !isTerminal(f) || (size >= 0 && size < progressMin) {
		return io.Copy(dst, src)
	}
	p := &progress{w: f, total: size, start: time.Now()}
	n, err := io.Copy(dst, io.TeeReader(src, p))
	p.finish()
	return n, err
}

type progress struct {
	w     io.Writer
	total int64
	done  int64
	last  time.Time
	start time.Time
}

func (p *progress) Write(b []byte) (int, error) {
	p.done += int64(len(b))
	if p.done >= progressMin && time.Since(p.last) > 100*time.Millisecond {
		p.last = time.Now()
		p.draw()
	}
	return len(b), nil
}

func (p *progress) draw() {
	const width = 30
	mb := float64(p.done) / (1 << 20)
	if p.total > 0 {
		frac := float64(p.done) / float64(p.total)
		filled := int(frac * width)
		fmt.Fprintf(p.w, "\r[%s%s] %5.1f%% %.1f MiB", strings.Repeat("=", filled), strings.Repeat(" ", width-filled), frac*100, mb)
		return
	}
	fmt.Fprintf(p.w, "\r%.1f MiB", mb)
}

func (p *progress) finish() {
	if p.done >= progressMin {
		p.draw()
		fmt.Fprintln(p.w)
	}
}

func isTerminal(f *os.File) bool {
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// seconds is a flag holding a duration written as curl writes its
// timeouts, a number of seconds ("10", "2.5"), or as a Go duration
// ("1m30s").
type seconds time.Duration

func (s *seconds) String() string { return time.Duration(*s).String() }

func (s *seconds) Set(v string) error {
	if f, err := strconv.ParseFloat(v, 64); err == nil {
		if f < 0 || f > float64(math.MaxInt64)/float64(time.Second) {
			return errors.New("out of range")
		}
		*s = seconds(f * float64(time.Second))
		return nil
	}
	d, err := time.ParseDuration(v)
	if err != nil || d < 0 {
		return errors.New("want seconds (2.5) or a duration (1m30s)")
	}
	*s = seconds(d)
	return nil
}
