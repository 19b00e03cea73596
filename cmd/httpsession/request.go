package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"sort"
	"strings"
	"time"
)

// runRequest returns the command for get, post (method fixed) and do
// (method from -X).
func runRequest(method string) func(ctx context.Context, e *env, args []string) error {
	return func(ctx context.Context, e *env, args []string) error {
		name := strings.ToLower(method)
		usage := name + " URL [flags]"
		if method == "" {
			name, usage = "do", "do -X METHOD URL [flags]"
		}
		fs := newFlagSet(e, name, usage)
		session := sessionFlag(fs, e, "loaded before and saved after the request")
		var headers stringList
		fs.Var(&headers, "H", "request header `'Name: value'` (repeatable)")
		data := fs.String("d", "", "request body; @FILE reads a file, @- standard input")
		fs.StringVar(data, "data", "", "same as -d")
		jsonBody := fs.Bool("json", false, "send and accept JSON (Content-Type and Accept: application/json)")
		include := fs.Bool("i", false, "print the status line and response headers before the body")
		output := fs.String("o", "", "write the body to `file` instead of standard output")
		fail := fs.Bool("fail", false, "exit with code 22 on an HTTP status of 400 or more")
		timeout := fs.Duration("timeout", 0, "give up after this long (0 = no limit)")
		m := fs.String("X", method, "request `method`")
		pos, err := parseInterleaved(fs, args)
		if err != nil {
			return err
		}
		if len(pos) != 1 {
			return usagef("want exactly one URL, got %d arguments", len(pos))
		}
		if method == "" && *m == "" {
			return usagef("do needs -X METHOD")
		}
		u, err := url.Parse(pos[0])
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return usagef("bad URL %q: want http:// or https:// and a host", pos[0])
		}

		var body io.Reader
		if *data != "" {
			b, err := readData(e, *data)
			if err != nil {
				return err
			}
			body = bytes.NewReader(b) // NewRequest sets GetBody, so retries can replay it
		}
		if *timeout > 0 {
			var cancel context.CancelFunc
			ctx, cancel = context.WithTimeout(ctx, *timeout)
			defer cancel()
		}
		req, err := http.NewRequestWithContext(ctx, strings.ToUpper(*m), u.String(), body)
		if err != nil {
			return usagef("%v", err)
		}
		if *jsonBody {
			req.Header.Set("Accept", "application/json")
			if body != nil {
				req.Header.Set("Content-Type", "application/json")
			}
		} else if body != nil {
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
		for _, h := range headers {
			k, v, ok := strings.Cut(h, ":")
			if !ok || strings.TrimSpace(k) == "" {
				return usagef("bad header %q: want 'Name: value'", h)
			}
			req.Header.Set(strings.TrimSpace(k), strings.TrimSpace(v))
		}

		c, err := openClient(e, *session, true)
		if err != nil {
			return err
		}
		defer c.Close()
		resp, err := c.Do(req)
		if err != nil {
			return err
		}
		defer resp.Body.Close()

		if *include {
			writeHead(e.stdout, resp)
		}
		out, closeOut, err := openOutput(e, *output, 0o666)
		if err != nil {
			return err
		}
		_, err = copyWithProgress(out, resp.Body, resp.ContentLength, e.stderr)
		if cerr := closeOut(err == nil); err == nil {
			err = cerr
		}
		if err != nil {
			return fmt.Errorf("reading the response: %w", err)
		}
		if err := c.Save(); err != nil {
			return err
		}
		if *fail && resp.StatusCode >= 400 {
			return &exitError{code: 22, msg: fmt.Sprintf("httpsession %s: %s", name, resp.Status)}
		}
		return nil
	}
}

func readData(e *env, d string) ([]byte, error) {
	if !strings.HasPrefix(d, "@") {
		return []byte(d), nil
	}
	if d == "@-" {
		return io.ReadAll(e.stdin)
	}
	b, err := os.ReadFile(d[1:])
	if err != nil {
		return nil, fmt.Errorf("reading request body: %w", err)
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

// errNoSession is the usage error of a command that needs a session file.
var errNoSession = &usageError{msg: "no session file: pass --session FILE or set HTTPSESSION_SESSION"}

// sessionFlag declares the --session flag, defaulting to $HTTPSESSION_SESSION.
// It also declares the key flags that encrypt the session file.
func sessionFlag(fs *flag.FlagSet, e *env, what string) *string {
	e.keys = addKeyFlags(fs, e)
	return fs.String("session", e.getenv("HTTPSESSION_SESSION"), "session `file` "+what+" ($HTTPSESSION_SESSION)")
}
