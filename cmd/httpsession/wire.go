package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"slices"
	"strings"
	"sync"

	"github.com/httpsession/httpsession/internal/termtext"
)

// net/http hands a response's headers over as a map, in no order, and
// never shows the request head it wrote. -i and -v print both as they
// went over the wire: each connection records the head of the request
// written on it and of the response read from it, and the transport
// looks up the connection of each round trip with httptrace.GotConn.
// Over HTTP/2, or TLS inside a proxy's CONNECT tunnel, nothing readable
// is recorded, and the headers are printed sorted.

// maxHead bounds what a connection records of each exchange.
const maxHead = 64 << 10

// recordConn is a connection that keeps the start of the bytes written
// and read in the current exchange: a write after a read starts the next.
type recordConn struct {
	net.Conn
	mu      sync.Mutex
	out, in []byte
	reading bool
}

func (c *recordConn) Write(b []byte) (int, error) {
	c.mu.Lock()
	if c.reading {
		c.out, c.in, c.reading = c.out[:0], c.in[:0], false
	}
	c.out = appendCapped(c.out, b)
	c.mu.Unlock()
	return c.Conn.Write(b)
}

func (c *recordConn) Read(b []byte) (int, error) {
	n, err := c.Conn.Read(b)
	c.mu.Lock()
	c.reading = true
	c.in = appendCapped(c.in, b[:n])
	c.mu.Unlock()
	return n, err
}

func appendCapped(dst, b []byte) []byte {
	return append(dst, b[:min(len(b), max(0, maxHead-len(dst)))]...)
}

// heads returns the request head written and the final (not 1xx)
// response head read so far, each as its lines.
func (c *recordConn) heads() (req, resp []string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	req, _ = headLines(c.out)
	in := c.in
	for {
		lines, rest := headLines(in)
		if lines == nil || !is1xx(lines[0]) {
			return req, lines
		}
		in = rest
	}
}

func is1xx(statusLine string) bool {
	_, code, _ := strings.Cut(statusLine, " ")
	return len(code) >= 3 && code[0] == '1'
}

// headLines splits the head at the start of b into its lines (the
// start line first), and returns what follows it; nil when b holds no
// complete head.
func headLines(b []byte) ([]string, []byte) {
	end := bytes.Index(b, []byte("\r\n\r\n"))
	if end < 0 {
		return nil, nil
	}
	return strings.Split(string(b[:end]), "\r\n"), b[end+4:]
}

// wireLog remembers the recorded heads of each response the transport
// returned, for -i, and prints each exchange with -v.
type wireLog struct {
	verbose io.Writer // nil without -v

	mu    sync.Mutex
	heads map[*http.Response][]string
}

// order returns the response head of resp as received: its status line
// and header lines, or nil if none was recorded.
func (l *wireLog) order(resp *http.Response) []string {
	if l == nil {
		return nil
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.heads[resp]
}

// wireTransport records the heads of each round trip of base and, with
// -v, prints them (redacted).
type wireTransport struct {
	base http.RoundTripper
	log  *wireLog
}

func (t *wireTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	var (
		mu   sync.Mutex // GotConn need not run on this goroutine
		conn net.Conn
	)
	trace := &httptrace.ClientTrace{GotConn: func(i httptrace.GotConnInfo) {
		mu.Lock()
		conn = i.Conn
		mu.Unlock()
	}}
	req = req.WithContext(httptrace.WithClientTrace(req.Context(), trace))
	resp, err := t.base.RoundTrip(req)
	var reqHead, respHead []string
	mu.Lock()
	rc, ok := conn.(*recordConn)
	mu.Unlock()
	if ok {
		reqHead, respHead = rc.heads()
	}
	if w := t.log.verbose; w != nil {
		printRequestHead(w, req, reqHead)
		if err != nil {
			fmt.Fprintf(w, "! %s\n", termtext.Escape(cause(err)))
		}
	}
	if err != nil {
		return resp, err
	}
	if respHead != nil {
		t.log.mu.Lock()
		t.log.heads[resp] = respHead
		t.log.mu.Unlock()
	}
	if w := t.log.verbose; w != nil {
		for _, line := range responseLines(resp, respHead) {
			// The server's text, on stderr: no escape sequence reaches the terminal.
			fmt.Fprintf(w, "< %s\n", termtext.Escape(redactHeaderLine(line)))
		}
		fmt.Fprintln(w, "<")
	}
	return resp, nil
}

// printRequestHead prints the request head as written, or as net/http
// holds it when nothing was recorded.
func printRequestHead(w io.Writer, req *http.Request, head []string) {
	if head == nil {
		head = []string{req.Method + " " + req.URL.RequestURI() + " " + req.Proto, "Host: " + requestHost(req)}
		keys := slices.Sorted(func(yield func(string) bool) {
			for k := range req.Header {
				if !yield(k) {
					return
				}
			}
		})
		for _, k := range keys {
			for _, v := range req.Header[k] {
				head = append(head, k+": "+v)
			}
		}
	}
	for i, line := range head {
		if i == 0 {
			line = redactRequestLine(line)
		} else {
			line = redactHeaderLine(line)
		}
		fmt.Fprintf(w, "> %s\n", termtext.Escape(line))
	}
	fmt.Fprintln(w, ">")
}

// requestHost is the Host header req goes with.
func requestHost(req *http.Request) string {
	if req.Host != "" {
		return req.Host
	}
	return req.URL.Host
}

// responseLines is the response's head as received, or as net/http holds
// it (sorted) when nothing was recorded.
func responseLines(resp *http.Response, head []string) []string {
	if head != nil {
		return head
	}
	lines := []string{resp.Proto + " " + resp.Status}
	keys := slices.Sorted(func(yield func(string) bool) {
		for k := range resp.Header {
			if !yield(k) {
				return
			}
		}
	})
	for _, k := range keys {
		for _, v := range resp.Header[k] {
			lines = append(lines, k+": "+v)
		}
	}
	return lines
}

// redactRequestLine masks the query of "METHOD TARGET PROTO".
func redactRequestLine(line string) string {
	method, rest, _ := strings.Cut(line, " ")
	target, proto, _ := strings.Cut(rest, " ")
	if p, _, ok := strings.Cut(target, "?"); ok {
		target = p + "?…"
	}
	return method + " " + target + " " + proto
}

// redactHeaderLine masks the values of the header lines that carry
// credentials: Authorization and Proxy-Authorization keep their scheme,
// Cookie its names, Set-Cookie its name and attributes.
func redactHeaderLine(line string) string {
	name, value, ok := strings.Cut(line, ":")
	if !ok {
		return line
	}
	value = strings.TrimSpace(value)
	switch http.CanonicalHeaderKey(strings.TrimSpace(name)) {
	case "Authorization", "Proxy-Authorization":
		scheme, cred, _ := strings.Cut(value, " ")
		value = scheme + " " + mask(cred)
	case "Cookie":
		var pairs []string
		for pair := range strings.SplitSeq(value, ";") {
			n, v, _ := strings.Cut(strings.TrimSpace(pair), "=")
			pairs = append(pairs, n+"="+mask(v))
		}
		value = strings.Join(pairs, "; ")
	case "Set-Cookie":
		value = maskSetCookie(value)
	}
	return name + ": " + value
}

// recordingDialers makes t's connections record their heads: plain ones
// through DialContext, https ones through a DialTLSContext that does the
// handshake itself and offers HTTP/1.1 only, so that what is recorded
// can be read.
func recordingDialers(t *http.Transport) {
	dial := t.DialContext
	if dial == nil {
		dial = (&net.Dialer{}).DialContext
	}
	t.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := dial(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		return &recordConn{Conn: c}, nil
	}
	t.DialTLSContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := dial(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		cfg := &tls.Config{MinVersion: tls.VersionTLS12}
		if t.TLSClientConfig != nil {
			cfg = t.TLSClientConfig.Clone()
		}
		if cfg.ServerName == "" {
			cfg.ServerName, _, _ = net.SplitHostPort(addr)
		}
		cfg.NextProtos = []string{"http/1.1"}
		tc := tls.Client(c, cfg)
		if t.TLSHandshakeTimeout > 0 {
			var cancel context.CancelFunc
			ctx, cancel = context.WithTimeout(ctx, t.TLSHandshakeTimeout)
			defer cancel()
		}
		if err := tc.HandshakeContext(ctx); err != nil {
			c.Close()
			return nil, err
		}
		return &recordConn{Conn: tc}, nil
	}
}
