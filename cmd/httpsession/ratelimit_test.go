package main

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
)

// TestRateLimitVisible: -v shows the rate-limit fields of each response
// and each wait the server's rate limit asks for, once, with its source.
// It sits through the wait (a second at most).
func TestRateLimitVisible(t *testing.T) {
	var hits atomic.Int32
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if hits.Add(1) == 1 {
			w.Header().Set("RateLimit-Policy", `"default";q=10;w=1`)
			w.Header().Set("RateLimit", `"default";r=0;t=1`)
			w.WriteHeader(http.StatusTooManyRequests)
			return
		}
		io.WriteString(w, "ok")
	}))
	defer ts.Close()
	r := runIn(t, context.Background(), nil, "get", ts.URL+"/", "-v")
	if r.code != 0 || r.stdout != "ok" {
		t.Fatalf("exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}
	for _, want := range []string{
		`< RateLimit-Policy: "default";q=10;w=1`,
		`< RateLimit: "default";r=0;t=1`,
		"httpsession: rate limit: GET " + ts.URL + "/: waiting ",
		"(RateLimit r=0 t=1)",
	} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, r.stderr)
		}
	}
	if n := strings.Count(r.stderr, "httpsession: rate limit:"); n != 1 {
		t.Errorf("%d rate-limit waits printed, want 1:\n%s", n, r.stderr)
	}
}

// TestLongPacingWaitAnnouncedOnTerminal: a wait of longWait or more that
// the server's rate limit asks for is announced on a terminal, without
// -v, with the field that asked. It sits through the wait, in parallel
// with the other tests.
func TestLongPacingWaitAnnouncedOnTerminal(t *testing.T) {
	t.Parallel()
	var hits atomic.Int32
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if hits.Add(1) == 1 {
			w.Header().Set("RateLimit", `"default";r=0;t=4`)
			w.WriteHeader(http.StatusTooManyRequests)
			return
		}
		io.WriteString(w, "ok")
	}))
	defer ts.Close()
	out := onTerminal(t, "", "", "get", ts.URL)
	want := "httpsession: the server's rate limit (RateLimit r=0 t=4); waiting "
	if !strings.Contains(out, want) || !strings.Contains(out, "before sending (Ctrl-C to stop)") {
		t.Errorf("terminal shows %q, want a line starting %q", out, want)
	}
}
