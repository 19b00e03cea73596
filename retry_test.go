package httpsession

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"testing/synctest"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/httpsession/httpsession/internal/redact"
)

// retryStart is the time a synctest bubble starts at, midnight UTC at the
// start of 2000: the clock of the tests that run in one.
var retryStart = time.Date(2000, time.January, 1, 0, 0, 0, 0, time.UTC)

// fakeWaits records every wait of a policy.
type fakeWaits struct {
	mu    sync.Mutex
	waits []time.Duration
	sleep bool // sit through the waits, on a synctest bubble's fake clock
}

// withFakeWaits records p's waits and skips them: the clock does not move.
func withFakeWaits(p *RetryPolicy) *fakeWaits {
	f := &fakeWaits{}
	p.Sleep = f.wait
	return f
}

// withBubbleWaits records p's waits and sits through them on the fake
// clock of the synctest bubble the test runs in, so that time passes as
// it would. Outside a bubble it fails the test.
func withBubbleWaits(t *testing.T, p *RetryPolicy) *fakeWaits {
	t.Helper()
	if !time.Now().Equal(retryStart) {
		t.Fatal("withBubbleWaits outside a synctest bubble, or after time passed in it")
	}
	f := &fakeWaits{sleep: true}
	p.Sleep = f.wait
	return f
}

func (f *fakeWaits) wait(ctx context.Context, d time.Duration) error {
	f.mu.Lock()
	f.waits = append(f.waits, d)
	f.mu.Unlock()
	if f.sleep {
		return sleepContext(ctx, d)
	}
	return ctx.Err()
}

func (f *fakeWaits) recorded() []time.Duration {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]time.Duration(nil), f.waits...)
}

// newTransport returns a transport of its own, so connection counts and
// idle pools do not leak between tests.
func newTransport(t *testing.T) *http.Transport {
	t.Helper()
	tr := http.DefaultTransport.(*http.Transport).Clone()
	t.Cleanup(tr.CloseIdleConnections)
	return tr
}

// hitServer starts a server whose handler learns the 1-based number of the
// request it serves.
func hitServer(t *testing.T, h func(n int, w http.ResponseWriter, r *http.Request)) (*httptest.Server, *atomic.Int32) {
	t.Helper()
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h(int(hits.Add(1)), w, r)
	}))
	t.Cleanup(srv.Close)
	return srv, &hits
}

// memHitServer is hitServer on an in-memory listener, for tests in a
// synctest bubble; memTransport reaches it.
func memHitServer(t *testing.T, h func(n int, w http.ResponseWriter, r *http.Request)) (*httptest.Server, *atomic.Int32) {
	t.Helper()
	var hits atomic.Int32
	srv := newMemServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h(int(hits.Add(1)), w, r)
	}))
	return srv, &hits
}

func newRequest(t *testing.T, ctx context.Context, method, url string, body io.Reader) *http.Request {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx, method, url, body)
	if err != nil {
		t.Fatal(err)
	}
	return req
}

func readBody(t *testing.T, resp *http.Response) string {
	t.Helper()
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("reading the returned body: %v", err)
	}
	return string(b)
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, time.March, 1, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		value  string
		want   time.Duration
		wantOK bool
	}{
		{"", 0, false},
		{"0", 0, true},
		{"5", 5 * time.Second, true},
		{"120", 2 * time.Minute, true},
		{" 7 ", 7 * time.Second, true},
		{"007", 7 * time.Second, true},
		{"3600", time.Hour, true},
		{"99999999999999999999999", maxDuration, true},
		{"9223372036854775807", maxDuration, true},
		{"-1", 0, false},
		{"+5", 0, false},
		{"1.5", 0, false},
		{"5s", 0, false},
		{"soon", 0, false},
		{"Sun, 01 Mar 2026 12:00:30 GMT", 30 * time.Second, true},     // IMF-fixdate
		{"Sunday, 01-Mar-26 12:01:00 GMT", time.Minute, true},         // RFC 850
		{"Sun Mar  1 12:00:10 2026", 10 * time.Second, true},          // ANSI C asctime
		{"Sun, 01 Mar 2026 11:59:00 GMT", 0, true},                    // past
		{"Sun, 01 Mar 2026 12:00:00 GMT", 0, true},                    // now
		{"Thu, 01 Jan 1970 00:00:00 GMT", 0, true},                    // long past
		{"Sun, 01 Mar 2026 12:00:30 +0100", 0, false},                 // not an HTTP-date
		{"Sun, 32 Mar 2026 12:00:30 GMT", 0, false},                   // no such day
		{"Mon, 01 Mar 2027 12:00:00 GMT", 365 * 24 * time.Hour, true}, // far future
		{"Sun, 01 Mar 2026 12:00:30 GMT trailing", 0, false},          // garbage after the date
		{"Sun, 01 Mar 2026 12:00:30.5 GMT", 31 * time.Second, true},   // http.ParseTime takes fractions; rounded up
		{"1, 2", 0, false},   // a list
		{"\u0661", 0, false}, // a non-ASCII digit
		{"Sun, 01 Mar 2026 12:00:30 GMT", 30 * time.Second, true},        // same again: no state
		{"Sun, 01 Mar 2026 12:00:00 GMT", 0, true},                       // exactly now
		{"Sun, 01 Mar 2026 12:00:01 GMT", time.Second, true},             // one second ahead
		{"Sunday, 01-Mar-26 11:00:00 GMT", 0, true},                      // RFC 850 past
		{"Sun Mar  1 11:00:00 2026", 0, true},                            // asctime past
		{"Sun, 01 Mar 2026 12:00:30 UTC", 0, false},                      // zone must be GMT
		{"2026-03-01T12:00:30Z", 0, false},                               // RFC 3339 is not an HTTP-date
		{"30 ", 30 * time.Second, true},                                  // trailing space
		{"3 0", 0, false},                                                // inner space
		{"0x10", 0, false},                                               // hex
		{"1e3", 0, false},                                                // exponent
		{"18446744073709551616", maxDuration, true},                      // beyond uint64
		{"9223372036", 9223372036 * time.Second, true},                   // largest that fits
		{"9223372037", maxDuration, true},                                // first that does not
		{"00000000000000000000000000000000000000001", time.Second, true}, // leading zeros
		{"Fri, 01 Oct 2700 00:00:00 GMT", maxDuration, true},             // beyond what a Duration holds
		{"Fri, 31 Dec 9999 23:59:59 GMT", maxDuration, true},             // the last HTTP-date
	}
	for _, tt := range tests {
		got, ok := parseRetryAfter(tt.value, now)
		if got != tt.want || ok != tt.wantOK {
			t.Errorf("parseRetryAfter(%q) = %v, %v, want %v, %v", tt.value, got, ok, tt.want, tt.wantOK)
		}
	}
}

func TestParseRetryAfterRoundsUp(t *testing.T) {
	now := time.Date(2026, time.March, 1, 12, 0, 0, 0, time.UTC).Add(-300 * time.Millisecond)
	got, ok := parseRetryAfter("Sun, 01 Mar 2026 12:00:05 GMT", now)
	if want := 6 * time.Second; got != want || !ok {
		t.Errorf("parseRetryAfter 5.3s ahead = %v, %v, want %v, true", got, ok, want)
	}
}

func TestRetryAfterFunc(t *testing.T) {
	tests := []struct {
		resp   *http.Response
		want   time.Duration
		wantOK bool
	}{
		{nil, 0, false},
		{&http.Response{Header: http.Header{}}, 0, false},
		{&http.Response{Header: http.Header{"Retry-After": {"3600"}}}, time.Hour, true},
		{&http.Response{Header: http.Header{"Retry-After": {"later"}}}, 0, false},
	}
	for _, tt := range tests {
		got, ok := RetryAfter(tt.resp)
		if got != tt.want || ok != tt.wantOK {
			t.Errorf("RetryAfter(%v) = %v, %v, want %v, %v", tt.resp, got, ok, tt.want, tt.wantOK)
		}
	}
}

func TestDefaultBackoffBounds(t *testing.T) {
	tests := []struct {
		attempt     int
		base, limit time.Duration
		ceiling     time.Duration // every wait is in [0, ceiling)
	}{
		{1, time.Second, 30 * time.Second, time.Second},
		{2, time.Second, 30 * time.Second, 2 * time.Second},
		{3, time.Second, 30 * time.Second, 4 * time.Second},
		{5, time.Second, 30 * time.Second, 16 * time.Second},
		{6, time.Second, 30 * time.Second, 30 * time.Second},
		{1000, time.Second, 30 * time.Second, 30 * time.Second},
		{70, time.Nanosecond, maxDuration, maxDuration},
		{0, time.Second, 30 * time.Second, time.Second},
		{-3, time.Second, 30 * time.Second, time.Second},
		{1, time.Minute, time.Second, time.Second},
		{4, 100 * time.Millisecond, 250 * time.Millisecond, 250 * time.Millisecond},
		{1, 0, 30 * time.Second, 0},
		{1, time.Second, 0, 0},
		{1, -time.Second, time.Second, 0},
	}
	for _, tt := range tests {
		var largest time.Duration
		for range 2000 {
			got := DefaultBackoff(tt.attempt, tt.base, tt.limit, nil)
			if tt.ceiling == 0 {
				if got != 0 {
					t.Fatalf("DefaultBackoff(%d, %v, %v) = %v, want 0", tt.attempt, tt.base, tt.limit, got)
				}
				continue
			}
			if got < 0 || got >= tt.ceiling {
				t.Fatalf("DefaultBackoff(%d, %v, %v) = %v, want in [0, %v)", tt.attempt, tt.base, tt.limit, got, tt.ceiling)
			}
			largest = max(largest, got)
		}
		// Full jitter spreads over the whole range: in 2000 draws one lands
		// in the upper half unless the generator is broken.
		if tt.ceiling > 0 && largest < tt.ceiling/2 {
			t.Errorf("DefaultBackoff(%d, %v, %v): largest of 2000 draws %v, want some >= %v", tt.attempt, tt.base, tt.limit, largest, tt.ceiling/2)
		}
	}
}

func TestDefaultCheckRetry(t *testing.T) {
	canceled, cancel := context.WithCancel(context.Background())
	cancel()
	get := newRequest(t, context.Background(), http.MethodGet, "http://example.com/", nil)
	getCanceled := newRequest(t, canceled, http.MethodGet, "http://example.com/", nil)
	status := func(code int) *http.Response { return &http.Response{StatusCode: code, Body: http.NoBody} }
	reset := &net.OpError{Op: "read", Net: "tcp", Err: &net.OpError{Op: "read", Err: syscall.ECONNRESET}}
	tests := []struct {
		name string
		req  *http.Request
		resp *http.Response
		err  error
		want bool
	}{
		{"200", get, status(200), nil, false},
		{"204", get, status(204), nil, false},
		{"301", get, status(301), nil, false},
		{"400", get, status(400), nil, false},
		{"401", get, status(401), nil, false},
		{"404", get, status(404), nil, false},
		{"408", get, status(408), nil, false},
		{"429", get, status(429), nil, true},
		{"500", get, status(500), nil, false},
		{"501", get, status(501), nil, false},
		{"502", get, status(502), nil, true},
		{"503", get, status(503), nil, true},
		{"504", get, status(504), nil, true},
		{"no response and no error", get, nil, nil, false},
		{"reset", get, nil, reset, true},
		{"reset wrapped", get, nil, fmt.Errorf("net/http: HTTP/1.x transport connection broken: %w", reset), true},
		{"refused", get, nil, &net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}, true},
		{"aborted", get, nil, syscall.ECONNABORTED, true},
		{"broken pipe", get, nil, &net.OpError{Op: "write", Err: syscall.EPIPE}, true},
		{"EOF before response", get, nil, io.EOF, true},
		{"unexpected EOF", get, nil, io.ErrUnexpectedEOF, true},
		{"dial timeout", get, nil, &net.OpError{Op: "dial", Err: timeoutError{}}, true},
		{"read timeout", get, nil, &net.OpError{Op: "read", Err: timeoutError{}}, true},
		{"temporary DNS", get, nil, &net.OpError{Op: "dial", Err: &net.DNSError{Err: "server misbehaving", IsTemporary: true}}, true},
		{"no such host", get, nil, &net.OpError{Op: "dial", Err: &net.DNSError{Err: "no such host", IsNotFound: true}}, false},
		{"context canceled", get, nil, context.Canceled, false},
		{"deadline exceeded", get, nil, fmt.Errorf("wrapped: %w", context.DeadlineExceeded), false},
		{"reset after the request's context ended", getCanceled, nil, reset, false},
		{"unknown authority", get, nil, &tls.CertificateVerificationError{Err: x509.UnknownAuthorityError{}}, false},
		{"bare unknown authority", get, nil, x509.UnknownAuthorityError{}, false},
		{"hostname mismatch", get, nil, x509.HostnameError{Host: "example.com", Certificate: &x509.Certificate{}}, false},
		{"expired", get, nil, x509.CertificateInvalidError{Reason: x509.Expired, Cert: &x509.Certificate{}}, false},
		{"not TLS", get, nil, tls.RecordHeaderError{Msg: "first record does not look like a TLS handshake"}, false},
		{"bad certificate alert", get, nil, &net.OpError{Op: "remote error", Err: tls.AlertError(42)}, false},
		{"other error", get, nil, errors.New("unsupported protocol scheme"), false},
	}
	for _, tt := range tests {
		if got := DefaultCheckRetry(tt.req, tt.resp, tt.err); got != tt.want {
			t.Errorf("DefaultCheckRetry(%s) = %v, want %v", tt.name, got, tt.want)
		}
	}
}

type timeoutError struct{}

func (timeoutError) Error() string   { return "i/o timeout" }
func (timeoutError) Timeout() bool   { return true }
func (timeoutError) Temporary() bool { return true }

func TestRetry429ThenOK(t *testing.T) {
	tests := []struct {
		name       string
		retryAfter string
		backoff    time.Duration
		wantWait   time.Duration
		date       string // the server's Date, "" for its own
	}{
		{"delay-seconds", "2", 0, 2 * time.Second, ""},
		{"HTTP-date", retryStart.Add(5 * time.Second).Format(http.TimeFormat), 0, 5 * time.Second, ""},
		{"backoff above Retry-After wins", "2", 3 * time.Second, 3 * time.Second, ""},
		{"zero falls back to backoff", "0", 700 * time.Millisecond, 700 * time.Millisecond, ""},
		{"garbage falls back to backoff", "later", 700 * time.Millisecond, 700 * time.Millisecond, ""},
		{"past date falls back to backoff", "Thu, 01 Jan 1970 00:00:00 GMT", 700 * time.Millisecond, 700 * time.Millisecond, ""},
		{"negative falls back to backoff", "-5", 700 * time.Millisecond, 700 * time.Millisecond, ""},
		// A server whose clock is behind names a date the local clock has
		// passed: read on its Date, it still asks for the wait it meant.
		{"HTTP-date on a server clock an hour behind", retryStart.Add(-time.Hour + 5*time.Second).Format(http.TimeFormat), 0, 5 * time.Second,
			retryStart.Add(-time.Hour).Format(http.TimeFormat)},
		{"HTTP-date on a server clock an hour ahead", retryStart.Add(time.Hour + 5*time.Second).Format(http.TimeFormat), 0, 5 * time.Second,
			retryStart.Add(time.Hour).Format(http.TimeFormat)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				srv, hits := memHitServer(t, func(n int, w http.ResponseWriter, r *http.Request) {
					if n == 1 {
						w.Header().Set("Retry-After", tt.retryAfter)
						if tt.date != "" {
							w.Header().Set("Date", tt.date)
						}
						w.WriteHeader(http.StatusTooManyRequests)
						return
					}
					fmt.Fprint(w, "ok")
				})
				p := &RetryPolicy{Backoff: func(int, time.Duration, time.Duration, *http.Response) time.Duration { return tt.backoff }}
				f := withBubbleWaits(t, p)
				req := newRequest(t, context.Background(), http.MethodGet, srv.URL, nil)
				resp, err := p.do(req, nil, memTransport(t).RoundTrip)
				if err != nil {
					t.Fatal(err)
				}
				if got := readBody(t, resp); resp.StatusCode != 200 || got != "ok" {
					t.Errorf("response = %d %q, want 200 %q", resp.StatusCode, got, "ok")
				}
				if got := hits.Load(); got != 2 {
					t.Errorf("server hits = %d, want 2", got)
				}
				if diff := cmp.Diff([]time.Duration{tt.wantWait}, f.recorded()); diff != "" {
					t.Errorf("waits (-want +got):\n%s", diff)
				}
			})
		})
	}
}

func TestRetryAfterAboveCapReturnsAtOnce(t *testing.T) {
	tests := []struct {
		name          string
		maxRetryAfter time.Duration
		retryAfter    string
		wantHits      int32
		wantWaits     []time.Duration
	}{
		{"an hour over the default cap", 0, "3600", 1, nil},
		{"61s over the default cap", 0, "61", 1, nil},
		{"60s at the default cap", 0, "60", 2, []time.Duration{time.Minute}},
		{"an hour under a raised cap", 2 * time.Hour, "3600", 2, []time.Duration{time.Hour}},
		{"any Retry-After with a negative cap", -1, "1", 1, nil},
		{"HTTP-date over the cap", 0, retryStart.Add(2 * time.Minute).Format(http.TimeFormat), 1, nil},
		{"HTTP-date in 2099", 0, "Thu, 01 Oct 2099 00:00:00 GMT", 1, nil},
		{"HTTP-date in 2700, past what a Duration holds", 0, "Fri, 01 Oct 2700 00:00:00 GMT", 1, nil},
		{"HTTP-date in 2700 under a huge cap", 1 << 62, "Fri, 01 Oct 2700 00:00:00 GMT", 1, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				srv, hits := memHitServer(t, func(n int, w http.ResponseWriter, r *http.Request) {
					if n == 1 {
						w.Header().Set("Retry-After", tt.retryAfter)
						w.WriteHeader(http.StatusTooManyRequests)
						fmt.Fprint(w, "slow down")
						return
					}
					fmt.Fprint(w, "ok")
				})
				p := &RetryPolicy{MaxRetryAfter: tt.maxRetryAfter, MaxElapsed: -1}
				f := withBubbleWaits(t, p)
				req := newRequest(t, context.Background(), http.MethodGet, srv.URL, nil)
				resp, err := p.do(req, nil, memTransport(t).RoundTrip)
				if err != nil {
					t.Fatal(err)
				}
				body := readBody(t, resp)
				if got := hits.Load(); got != tt.wantHits {
					t.Errorf("server hits = %d, want %d", got, tt.wantHits)
				}
				if diff := cmp.Diff(tt.wantWaits, f.recorded()); diff != "" {
					t.Errorf("waits (-want +got):\n%s", diff)
				}
				if tt.wantHits == 1 {
					if resp.StatusCode != 429 || body != "slow down" || resp.Header.Get("Retry-After") != tt.retryAfter {
						t.Errorf("response = %d %q Retry-After %q, want the server's 429 unmodified", resp.StatusCode, body, resp.Header.Get("Retry-After"))
					}
				}
			})
		})
	}
}

func TestRetryAboveCapReportsRetryAfter(t *testing.T) {
	srv, _ := hitServer(t, func(n int, w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Retry-After", "3600")
		w.WriteHeader(http.StatusServiceUnavailable)
	})
	p := DefaultRetryPolicy()
	p.Sleep = func(context.Context, time.Duration) error {
		t.Error("waited for a Retry-After above the cap")
		return nil
	}
	resp, err := p.do(newRequest(t, context.Background(), http.MethodGet, srv.URL, nil), nil, newTransport(t).RoundTrip)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if got, ok := RetryAfter(resp); got != time.Hour || !ok {
		t.Errorf("RetryAfter(resp) = %v, %v, want 1h0m0s, true", got, ok)
	}
}

func TestRetryReplaysOnlyReplayableRequests(t *testing.T) {
	const payload = `{"amount":100}`
	tests := []struct {
		name          string
		method        string
		rebuildable   bool // body through http.NewRequest from a *strings.Reader, so GetBody is set
		header        string
		nonIdempotent bool
		wantHits      int32
	}{
		{"POST without GetBody is sent once", http.MethodPost, false, "", false, 1},
		{"POST without GetBody but with a key is sent once", http.MethodPost, false, "Idempotency-Key", false, 1},
		{"POST without a key is sent once", http.MethodPost, true, "", false, 1},
		{"PATCH without a key is sent once", http.MethodPatch, true, "", false, 1},
		{"POST with Idempotency-Key is replayed", http.MethodPost, true, "Idempotency-Key", false, 2},
		{"POST with X-Idempotency-Key is replayed", http.MethodPost, true, "X-Idempotency-Key", false, 2},
		{"POST with RetryNonIdempotent is replayed", http.MethodPost, true, "", true, 2},
		{"POST without GetBody and RetryNonIdempotent is sent once", http.MethodPost, false, "", true, 1},
		{"PUT is replayed", http.MethodPut, true, "", false, 2},
		{"PUT without GetBody is sent once", http.MethodPut, false, "", false, 1},
		{"DELETE is replayed", http.MethodDelete, true, "", false, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var mu sync.Mutex
			var bodies []string
			srv, hits := hitServer(t, func(n int, w http.ResponseWriter, r *http.Request) {
				b, _ := io.ReadAll(r.Body)
				mu.Lock()
				bodies = append(bodies, string(b))
				mu.Unlock()
				if n == 1 {
					w.WriteHeader(http.StatusServiceUnavailable)
					fmt.Fprint(w, "busy")
					return
				}
				fmt.Fprint(w, "done")
			})
			var body io.Reader = strings.NewReader(payload)
			if !tt.rebuildable {
				body = io.NopCloser(body)
			}
			req := newRequest(t, context.Background(), tt.method, srv.URL, body)
			if tt.header != "" {
				req.Header.Set(tt.header, "k-123")
			}
			p := &RetryPolicy{RetryNonIdempotent: tt.nonIdempotent}
			withFakeWaits(p)
			resp, err := p.do(req, nil, newTransport(t).RoundTrip)
			if err != nil {
				t.Fatal(err)
			}
			got := readBody(t, resp)
			if hits.Load() != tt.wantHits {
				t.Errorf("server hits = %d, want %d", hits.Load(), tt.wantHits)
			}
			if tt.wantHits == 1 && (resp.StatusCode != 503 || got != "busy") {
				t.Errorf("response = %d %q, want the 503 %q", resp.StatusCode, got, "busy")
			}
			want := make([]string, tt.wantHits)
			for i := range want {
				want[i] = payload
			}
			mu.Lock()
			defer mu.Unlock()
			if diff := cmp.Diff(want, bodies); diff != "" {
				t.Errorf("bodies received (-want +got):\n%s", diff)
			}
		})
	}
}

func TestRetryExhaustedReturnsLastResponse(t *testing.T) {
	srv, hits := hitServer(t, func(n int, w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Try", strconv.Itoa(n))
		w.WriteHeader(http.StatusServiceUnavailable)
		fmt.Fprintf(w, "overloaded %d", n)
	})
	p := &RetryPolicy{MaxAttempts: 3}
	f := withFakeWaits(p)
	resp, err := p.do(newRequest(t, context.Background(), http.MethodGet, srv.URL, nil), nil, newTransport(t).RoundTrip)
	if err != nil {
		t.Fatalf("do: %v, want the last 503", err)
	}
	if got := readBody(t, resp); resp.StatusCode != 503 || got != "overloaded 3" || resp.Header.Get("X-Try") != "3" {
		t.Errorf("response = %d %q, want 503 %q", resp.StatusCode, got, "overloaded 3")
	}
	if got := hits.Load(); got != 3 {
		t.Errorf("server hits = %d, want 3", got)
	}
	if got := len(f.recorded()); got != 2 {
		t.Errorf("waits = %d, want 2", got)
	}
}

func TestRetryMaxAttempts(t *testing.T) {
	tests := []struct {
		policy   *RetryPolicy
		wantHits int32
	}{
		{nil, 1},
		{&RetryPolicy{}, 4},
		{DefaultRetryPolicy(), 4},
		{&RetryPolicy{MaxAttempts: 1}, 1},
		{&RetryPolicy{MaxAttempts: -2}, 1},
		{&RetryPolicy{MaxAttempts: 2}, 2},
		{&RetryPolicy{MaxAttempts: 6}, 6},
	}
	for _, tt := range tests {
		srv, hits := hitServer(t, func(n int, w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(http.StatusBadGateway)
		})
		name := "nil"
		if tt.policy != nil {
			name = strconv.Itoa(tt.policy.MaxAttempts)
			withFakeWaits(tt.policy)
		}
		resp, err := tt.policy.do(newRequest(t, context.Background(), http.MethodGet, srv.URL, nil), nil, newTransport(t).RoundTrip)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if got := hits.Load(); got != tt.wantHits || resp.StatusCode != 502 {
			t.Errorf("MaxAttempts %s: hits = %d, status %d, want %d, 502", name, got, resp.StatusCode, tt.wantHits)
		}
	}
}

func TestRetryCancelDuringWait(t *testing.T) {
	srv, hits := hitServer(t, func(n int, w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusServiceUnavailable)
	})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	entered := make(chan struct{})
	p := &RetryPolicy{}
	p.Sleep = func(ctx context.Context, d time.Duration) error {
		close(entered)
		<-ctx.Done()
		return ctx.Err()
	}
	go func() {
		<-entered
		cancel()
	}()
	resp, err := p.do(newRequest(t, ctx, http.MethodGet, srv.URL, nil), nil, newTransport(t).RoundTrip)
	if resp != nil {
		resp.Body.Close()
		t.Errorf("do returned a response %d, want none", resp.StatusCode)
	}
	if !errors.Is(err, context.Canceled) {
		t.Errorf("do error = %v, want one wrapping context.Canceled", err)
	}
	if got := hits.Load(); got != 1 {
		t.Errorf("server hits = %d, want 1", got)
	}
}

// The real timer: a cancel ends an hour-long wait at once.
func TestRetryCancelEndsRealWait(t *testing.T) {
	srv, _ := hitServer(t, func(n int, w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusServiceUnavailable)
	})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	p := &RetryPolicy{
		MaxElapsed: -1,
		Backoff:    func(int, time.Duration, time.Duration, *http.Response) time.Duration { return time.Hour },
		OnRetry:    func(RetryEvent) { cancel() },
	}
	done := make(chan error, 1)
	go func() {
		_, err := p.do(newRequest(t, ctx, http.MethodGet, srv.URL, nil), nil, newTransport(t).RoundTrip)
		done <- err
	}()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("do error = %v, want one wrapping context.Canceled", err)
		}
	case <-time.After(time.Minute):
		t.Fatal("do still waiting a minute after the cancel")
	}
}

func TestSleepContext(t *testing.T) {
	canceled, cancel := context.WithCancel(context.Background())
	cancel()
	tests := []struct {
		ctx  context.Context
		d    time.Duration
		want error
	}{
		{context.Background(), 0, nil},
		{context.Background(), -time.Second, nil},
		{context.Background(), time.Nanosecond, nil},
		{canceled, 0, context.Canceled},
		{canceled, time.Hour, context.Canceled},
	}
	for _, tt := range tests {
		if err := sleepContext(tt.ctx, tt.d); !errors.Is(err, tt.want) {
			t.Errorf("sleepContext(%v) = %v, want %v", tt.d, err, tt.want)
		}
	}
}

func TestRetryMaxElapsed(t *testing.T) {
	tests := []struct {
		maxElapsed time.Duration
		wantHits   int32
		wantWaits  []time.Duration
	}{
		{5 * time.Second, 2, []time.Duration{3 * time.Second}},
		{6 * time.Second, 3, []time.Duration{3 * time.Second, 3 * time.Second}},
		{2 * time.Second, 1, nil},
		{-1, 4, []time.Duration{3 * time.Second, 3 * time.Second, 3 * time.Second}},
	}
	for _, tt := range tests {
		synctest.Test(t, func(t *testing.T) {
			srv, hits := memHitServer(t, func(n int, w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(http.StatusServiceUnavailable)
				fmt.Fprintf(w, "try %d", n)
			})
			p := &RetryPolicy{
				MaxElapsed: tt.maxElapsed,
				Backoff:    func(int, time.Duration, time.Duration, *http.Response) time.Duration { return 3 * time.Second },
			}
			f := withBubbleWaits(t, p)
			resp, err := p.do(newRequest(t, context.Background(), http.MethodGet, srv.URL, nil), nil, memTransport(t).RoundTrip)
			if err != nil {
				t.Fatal(err)
			}
			want := fmt.Sprintf("try %d", tt.wantHits)
			if got := readBody(t, resp); got != want || hits.Load() != tt.wantHits {
				t.Errorf("MaxElapsed %v: body %q after %d hits, want %q after %d", tt.maxElapsed, got, hits.Load(), want, tt.wantHits)
			}
			if diff := cmp.Diff(tt.wantWaits, f.recorded()); diff != "" {
				t.Errorf("MaxElapsed %v: waits (-want +got):\n%s", tt.maxElapsed, diff)
			}
		})
	}
}

func TestRetryWaitPastDeadlineNotStarted(t *testing.T) {
	tests := []struct {
		name       string
		retryAfter string
		backoff    time.Duration
	}{
		{"Retry-After", "30", 0},
		{"backoff", "", 45 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, hits := hitServer(t, func(n int, w http.ResponseWriter, r *http.Request) {
				if tt.retryAfter != "" {
					w.Header().Set("Retry-After", tt.retryAfter)
				}
				w.WriteHeader(http.StatusTooManyRequests)
				fmt.Fprint(w, "slow down")
			})
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			p := &RetryPolicy{Backoff: func(int, time.Duration, time.Duration, *http.Response) time.Duration { return tt.backoff }}
			p.Sleep = func(context.Context, time.Duration) error {
				t.Error("started a wait that outlives the context deadline")
				return nil
			}
			resp, err := p.do(newRequest(t, ctx, http.MethodGet, srv.URL, nil), nil, newTransport(t).RoundTrip)
			if err != nil {
				t.Fatal(err)
			}
			if got := readBody(t, resp); resp.StatusCode != 429 || got != "slow down" {
				t.Errorf("response = %d %q, want the 429 %q", resp.StatusCode, got, "slow down")
			}
			if got := hits.Load(); got != 1 {
				t.Errorf("server hits = %d, want 1", got)
			}
		})
	}
}

// dropConn takes the connection away from the server once it has read the
// request and ends it without a response: reset (RST) or closed (FIN).
func dropConn(t *testing.T, w http.ResponseWriter, reset bool) {
	conn, _, err := w.(http.Hijacker).Hijack()
	if err != nil {
		t.Errorf("hijack: %v", err)
		return
	}
	if tc, ok := conn.(*net.TCPConn); ok && reset {
		tc.SetLinger(0) // close with RST
	}
	conn.Close()
}

func TestRetryConnectionDropped(t *testing.T) {
	tests := []struct {
		name     string
		method   string
		header   string
		reset    bool
		wantHits int32
	}{
		{"GET reset is retried", http.MethodGet, "", true, 2},
		{"GET closed is retried", http.MethodGet, "", false, 2},
		{"POST reset is not retried", http.MethodPost, "", true, 1},
		{"POST closed is not retried", http.MethodPost, "", false, 1},
		{"POST with a key reset is retried", http.MethodPost, "Idempotency-Key", true, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, hits := hitServer(t, func(n int, w http.ResponseWriter, r *http.Request) {
				io.Copy(io.Discard, r.Body)
				if n == 1 {
					dropConn(t, w, tt.reset)
					return
				}
				fmt.Fprint(w, "ok")
			})
			req := newRequest(t, context.Background(), tt.method, srv.URL, strings.NewReader("payload"))
			if tt.header != "" {
				req.Header.Set(tt.header, "k-1")
			}
			p := &RetryPolicy{}
			withFakeWaits(p)
			resp, err := p.do(req, nil, newTransport(t).RoundTrip)
			if got := hits.Load(); got != tt.wantHits {
				t.Errorf("server hits = %d, want %d", got, tt.wantHits)
			}
			if tt.wantHits == 1 {
				if err == nil {
					resp.Body.Close()
					t.Fatalf("do = %d, want the connection error", resp.StatusCode)
				}
				if !DefaultCheckRetry(req, nil, err) {
					t.Errorf("DefaultCheckRetry(%v) = false, want true: the POST was held back only for being non-idempotent", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := readBody(t, resp); got != "ok" {
				t.Errorf("body = %q, want %q", got, "ok")
			}
		})
	}
}

func TestRetryConnectionRefused(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	tr := newTransport(t)
	var calls int
	attempt := func(r *http.Request) (*http.Response, error) {
		calls++
		return tr.RoundTrip(r)
	}
	p := &RetryPolicy{MaxAttempts: 3}
	f := withFakeWaits(p)
	resp, err := p.do(newRequest(t, context.Background(), http.MethodGet, "http://"+addr+"/", nil), nil, attempt)
	if resp != nil {
		resp.Body.Close()
	}
	if !errors.Is(err, syscall.ECONNREFUSED) {
		t.Errorf("do error = %v, want connection refused", err)
	}
	if calls != 3 || len(f.recorded()) != 2 {
		t.Errorf("tries = %d, waits = %d, want 3, 2", calls, len(f.recorded()))
	}
}

func TestRetryDrainsDiscardedBodies(t *testing.T) {
	var conns atomic.Int32
	var hits atomic.Int32
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if hits.Add(1) <= 2 {
			w.WriteHeader(http.StatusServiceUnavailable)
			w.Write([]byte(strings.Repeat("x", 16<<10)))
			return
		}
		fmt.Fprint(w, "ok")
	}))
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}
	srv.Start()
	defer srv.Close()
	p := &RetryPolicy{}
	withFakeWaits(p)
	resp, err := p.do(newRequest(t, context.Background(), http.MethodGet, srv.URL, nil), nil, newTransport(t).RoundTrip)
	if err != nil {
		t.Fatal(err)
	}
	if got := readBody(t, resp); got != "ok" || hits.Load() != 3 {
		t.Fatalf("body %q after %d hits, want %q after 3", got, hits.Load(), "ok")
	}
	if got := conns.Load(); got != 1 {
		t.Errorf("connections opened = %d, want 1: discarded bodies must be drained so the connection is reused", got)
	}
}

func TestRetryTLSVerifyErrorNotRetried(t *testing.T) {
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	srv.StartTLS()
	defer srv.Close()
	tr := newTransport(t) // does not trust the test server's certificate
	var calls int
	attempt := func(r *http.Request) (*http.Response, error) {
		calls++
		return tr.RoundTrip(r)
	}
	p := &RetryPolicy{}
	withFakeWaits(p)
	resp, err := p.do(newRequest(t, context.Background(), http.MethodGet, srv.URL, nil), nil, attempt)
	if resp != nil {
		resp.Body.Close()
	}
	var verifyErr *tls.CertificateVerificationError
	if !errors.As(err, &verifyErr) {
		t.Errorf("do error = %v, want a *tls.CertificateVerificationError", err)
	}
	if calls != 1 {
		t.Errorf("tries = %d, want 1", calls)
	}
}

// Every try is a new call to attempt, so state that attempt reads (the
// cookie jar) is as it is now, and a cookie set on the 429 goes out with
// the retry.
func TestRetryEachTrySeesCurrentCookies(t *testing.T) {
	srv, hits := hitServer(t, func(n int, w http.ResponseWriter, r *http.Request) {
		if c, err := r.Cookie("challenge"); err == nil && c.Value == "passed" {
			fmt.Fprint(w, "welcome")
			return
		}
		http.SetCookie(w, &http.Cookie{Name: "challenge", Value: "passed"})
		w.WriteHeader(http.StatusTooManyRequests)
	})
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	tr := newTransport(t)
	attempt := func(r *http.Request) (*http.Response, error) {
		r = r.Clone(r.Context())
		for _, c := range jar.Cookies(r.URL) {
			r.AddCookie(c)
		}
		resp, err := tr.RoundTrip(r)
		if err == nil {
			jar.SetCookies(r.URL, resp.Cookies())
		}
		return resp, err
	}
	p := &RetryPolicy{}
	withFakeWaits(p)
	resp, err := p.do(newRequest(t, context.Background(), http.MethodGet, srv.URL, nil), nil, attempt)
	if err != nil {
		t.Fatal(err)
	}
	if got := readBody(t, resp); got != "welcome" || hits.Load() != 2 {
		t.Errorf("body %q after %d hits, want %q after 2", got, hits.Load(), "welcome")
	}
}

func TestRetryHooks(t *testing.T) {
	srv, hits := hitServer(t, func(n int, w http.ResponseWriter, r *http.Request) {
		if n == 1 {
			w.WriteHeader(http.StatusInternalServerError)
			return
		}
		fmt.Fprint(w, "ok")
	})
	p := DefaultRetryPolicy()
	next := p.CheckRetry
	p.CheckRetry = func(req *http.Request, resp *http.Response, err error) bool {
		return (err == nil && resp.StatusCode == http.StatusInternalServerError) || next(req, resp, err)
	}
	var gotAttempt int
	var gotBase, gotLimit time.Duration
	p.Backoff = func(attempt int, base, limit time.Duration, resp *http.Response) time.Duration {
		gotAttempt, gotBase, gotLimit = attempt, base, limit
		return 1500 * time.Millisecond
	}
	var events []RetryEvent
	p.OnRetry = func(e RetryEvent) { events = append(events, e) }
	f := withFakeWaits(p)
	req := newRequest(t, context.Background(), http.MethodGet, srv.URL+"/a?b=c", nil)
	resp, err := p.do(req, nil, newTransport(t).RoundTrip)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || hits.Load() != 2 {
		t.Errorf("status %d after %d hits, want 200 after 2", resp.StatusCode, hits.Load())
	}
	if gotAttempt != 1 || gotBase != time.Second || gotLimit != 30*time.Second {
		t.Errorf("Backoff called with (%d, %v, %v), want (1, 1s, 30s)", gotAttempt, gotBase, gotLimit)
	}
	if diff := cmp.Diff([]time.Duration{1500 * time.Millisecond}, f.recorded()); diff != "" {
		t.Errorf("waits (-want +got):\n%s", diff)
	}
	want := []RetryEvent{{Method: "GET", URL: req.URL, StatusCode: 500, Attempt: 1, Wait: 1500 * time.Millisecond, Source: "backoff"}}
	if diff := cmp.Diff(want, events); diff != "" {
		t.Errorf("OnRetry events (-want +got):\n%s", diff)
	}
}

func TestRetryOnRetryEventForError(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	var events []RetryEvent
	p := &RetryPolicy{MaxAttempts: 2, OnRetry: func(e RetryEvent) { events = append(events, e) }}
	withFakeWaits(p)
	_, err = p.do(newRequest(t, context.Background(), http.MethodHead, "http://"+addr+"/", nil), nil, newTransport(t).RoundTrip)
	if err == nil {
		t.Fatal("do succeeded against a closed port")
	}
	if len(events) != 1 || events[0].StatusCode != 0 || !errors.Is(events[0].Err, syscall.ECONNREFUSED) || events[0].Method != "HEAD" || events[0].Attempt != 1 {
		t.Errorf("OnRetry events = %+v, want one HEAD attempt 1 with the refused connection", events)
	}
}

// recordHandler keeps the attributes of every record, as strings.
type recordHandler struct {
	mu      sync.Mutex
	records []map[string]string
}

func (h *recordHandler) Enabled(context.Context, slog.Level) bool { return true }
func (h *recordHandler) WithAttrs([]slog.Attr) slog.Handler       { return h }
func (h *recordHandler) WithGroup(string) slog.Handler            { return h }
func (h *recordHandler) Handle(_ context.Context, r slog.Record) error {
	m := map[string]string{"level": r.Level.String(), "msg": r.Message}
	r.Attrs(func(a slog.Attr) bool {
		m[a.Key] = a.Value.String()
		return true
	})
	h.mu.Lock()
	defer h.mu.Unlock()
	h.records = append(h.records, m)
	return nil
}

func TestRetryLogsRedacted(t *testing.T) {
	srv, _ := hitServer(t, func(n int, w http.ResponseWriter, r *http.Request) {
		switch n {
		case 1:
			w.WriteHeader(http.StatusServiceUnavailable)
		case 2:
			w.Header().Set("Retry-After", "3600")
			w.WriteHeader(http.StatusTooManyRequests)
		}
	})
	host := strings.TrimPrefix(srv.URL, "http://")
	req := newRequest(t, context.Background(), http.MethodGet, "http://user:hunter2@"+host+"/items?token=s3cret&page=2#frag", nil)
	req.Header.Set("Authorization", "Bearer s3cret-token")
	p := &RetryPolicy{Backoff: func(int, time.Duration, time.Duration, *http.Response) time.Duration { return time.Second }}
	withFakeWaits(p)
	h := &recordHandler{}
	resp, err := p.do(req, slog.New(h), newTransport(t).RoundTrip)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	url := "http://" + host + "/items" // no query: values and keys stay out of logs
	want := []map[string]string{
		{"level": "DEBUG", "msg": "httpsession: retrying", "method": "GET", "url": url, "status": "503", "attempt": "1", "wait": "1s"},
		{"level": "DEBUG", "msg": "httpsession: Retry-After above cap, not retrying", "method": "GET", "url": url, "status": "429", "attempt": "2", "wait": "1h0m0s"},
	}
	if diff := cmp.Diff(want, h.records); diff != "" {
		t.Errorf("log records (-want +got):\n%s", diff)
	}
}

func TestRetryRateLimit(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv, _ := memHitServer(t, func(n int, w http.ResponseWriter, r *http.Request) {})
		other, _ := memHitServer(t, func(n int, w http.ResponseWriter, r *http.Request) {})
		p := &RetryPolicy{RateLimit: 0.5, RateBurst: 2}
		f := withBubbleWaits(t, p)
		tr := memTransport(t)
		get := func(url string) {
			t.Helper()
			resp, err := p.do(newRequest(t, context.Background(), http.MethodGet, url, nil), nil, tr.RoundTrip)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
		}
		for range 4 {
			get(srv.URL)
		}
		get(other.URL) // another host has its own limiter
		want := []time.Duration{2 * time.Second, 2 * time.Second}
		if diff := cmp.Diff(want, f.recorded()); diff != "" {
			t.Errorf("waits for the rate limit (-want +got):\n%s", diff)
		}
	})
}

func TestRetryRateLimitAppliesToReplays(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv, hits := memHitServer(t, func(n int, w http.ResponseWriter, r *http.Request) {
			if n == 1 {
				w.WriteHeader(http.StatusServiceUnavailable)
			}
		})
		p := &RetryPolicy{
			RateLimit: 1,
			Backoff:   func(int, time.Duration, time.Duration, *http.Response) time.Duration { return 200 * time.Millisecond },
		}
		f := withBubbleWaits(t, p)
		resp, err := p.do(newRequest(t, context.Background(), http.MethodGet, srv.URL, nil), nil, memTransport(t).RoundTrip)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		// One wait: the longer of the backoff and the limiter's second.
		want := []time.Duration{time.Second}
		if diff := cmp.Diff(want, f.recorded()); diff != "" || hits.Load() != 2 {
			t.Errorf("after %d hits, waits (-want +got):\n%s", hits.Load(), diff)
		}
	})
}

func TestRetryRateLimitPastDeadline(t *testing.T) {
	srv, hits := hitServer(t, func(n int, w http.ResponseWriter, r *http.Request) {})
	p := &RetryPolicy{RateLimit: 0.01} // one request per 100s
	p.Sleep = func(context.Context, time.Duration) error {
		t.Error("started a rate limit wait that outlives the context deadline")
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	tr := newTransport(t)
	resp, err := p.do(newRequest(t, ctx, http.MethodGet, srv.URL, nil), nil, tr.RoundTrip)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	var closed atomic.Bool
	body := &closeRecorder{Reader: strings.NewReader("x"), closed: &closed}
	resp, err = p.do(newRequest(t, ctx, http.MethodPut, srv.URL, body), nil, tr.RoundTrip)
	if resp != nil {
		resp.Body.Close()
	}
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("second do error = %v, want one wrapping context.DeadlineExceeded", err)
	}
	if hits.Load() != 1 {
		t.Errorf("server hits = %d, want 1", hits.Load())
	}
	if !closed.Load() {
		t.Error("request body not closed")
	}
}

// A replay whose rate limit token comes after the context deadline is not
// waited for: the caller keeps the last response, and the token is given
// back.
func TestRetryRateLimitTokenPastDeadline(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv, hits := memHitServer(t, func(n int, w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(http.StatusServiceUnavailable)
			fmt.Fprint(w, "busy")
		})
		p := &RetryPolicy{RateLimit: 0.01} // one request per 100s
		f := withBubbleWaits(t, p)
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		tr := memTransport(t)
		resp, err := p.do(newRequest(t, ctx, http.MethodGet, srv.URL, nil), nil, tr.RoundTrip)
		if err != nil {
			t.Fatal(err)
		}
		if got := readBody(t, resp); resp.StatusCode != 503 || got != "busy" || hits.Load() != 1 {
			t.Errorf("response = %d %q after %d hits, want the 503 %q after 1", resp.StatusCode, got, hits.Load(), "busy")
		}
		if got := f.recorded(); len(got) != 0 {
			t.Errorf("waits = %v, want none", got)
		}
		// The refused replay's token was given back: the next request waits
		// for one token, not two.
		p.MaxAttempts = 1
		resp, err = p.do(newRequest(t, context.Background(), http.MethodGet, srv.URL, nil), nil, tr.RoundTrip)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if diff := cmp.Diff([]time.Duration{100 * time.Second}, f.recorded()); diff != "" {
			t.Errorf("waits (-want +got):\n%s", diff)
		}
	})
}

type closeRecorder struct {
	io.Reader
	closed *atomic.Bool
}

func (c *closeRecorder) Close() error {
	c.closed.Store(true)
	return nil
}

func TestRetryRateLimitConcurrent(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv, hits := memHitServer(t, func(n int, w http.ResponseWriter, r *http.Request) {})
		p := &RetryPolicy{RateLimit: 10, RateBurst: 3}
		f := withBubbleWaits(t, p)
		tr := memTransport(t)
		var wg sync.WaitGroup
		for range 8 {
			wg.Go(func() {
				resp, err := p.do(newRequest(t, context.Background(), http.MethodGet, srv.URL, nil), nil, tr.RoundTrip)
				if err != nil {
					t.Error(err)
					return
				}
				resp.Body.Close()
			})
		}
		wg.Wait()
		if hits.Load() != 8 || len(f.recorded()) < 5 {
			t.Errorf("hits = %d, rate limit waits = %d, want 8 and at least 5", hits.Load(), len(f.recorded()))
		}
	})
}

// TestRetryRateLimitersBounded visits many hosts once each, as a crawler
// does: a limiter that has filled up again is dropped, so the policy holds
// limiters only for the hosts it is pacing, and a host being paced keeps
// its own.
func TestRetryRateLimitersBounded(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := &RetryPolicy{RateLimit: 10, RateBurst: 1} // a token every 100ms
		f := withBubbleWaits(t, p)
		ok := func(*http.Request) (*http.Response, error) {
			return &http.Response{StatusCode: http.StatusOK, Body: http.NoBody}, nil
		}
		get := func(host string) {
			t.Helper()
			req := newRequest(t, context.Background(), http.MethodGet, "http://"+host+"/", nil)
			if _, err := p.do(req, nil, ok); err != nil {
				t.Fatal(err)
			}
		}
		held := func() int {
			p.mu.Lock()
			defer p.mu.Unlock()
			return len(p.limiters)
		}
		most := 0
		for i := range 20000 {
			get(fmt.Sprintf("host%d.example", i))
			time.Sleep(time.Millisecond) // a hundred hosts per refill
			most = max(most, held())
		}
		if most > 2*minSweep {
			t.Errorf("%d limiters held for 20000 hosts visited once each, want at most %d", most, 2*minSweep)
		}

		// A host being paced keeps its limiter however many others come.
		get("paced.example")
		for i := range 4 * minSweep {
			get(fmt.Sprintf("other%d.example", i))
		}
		get("paced.example")
		if diff := cmp.Diff([]time.Duration{100 * time.Millisecond}, f.recorded()); diff != "" {
			t.Errorf("waits (-want +got):\n%s", diff)
		}
	})
}

func TestRewindBody(t *testing.T) {
	type ctxKey struct{}
	ctx := context.WithValue(context.Background(), ctxKey{}, "v")
	tests := []struct {
		name     string
		req      func() *http.Request
		wantBody string
		wantErr  bool
	}{
		{"no body", func() *http.Request { return newRequest(t, ctx, "GET", "http://example.com/", nil) }, "", false},
		{"NoBody", func() *http.Request {
			r := newRequest(t, ctx, "POST", "http://example.com/", nil)
			r.Body = http.NoBody
			return r
		}, "", false},
		{"GetBody", func() *http.Request {
			r := newRequest(t, ctx, "POST", "http://example.com/", strings.NewReader("hello"))
			io.ReadAll(r.Body) // the first try consumed it
			return r
		}, "hello", false},
		{"no GetBody", func() *http.Request {
			return newRequest(t, ctx, "POST", "http://example.com/", io.NopCloser(strings.NewReader("hello")))
		}, "", true},
		{"GetBody fails", func() *http.Request {
			r := newRequest(t, ctx, "POST", "http://example.com/", strings.NewReader("hello"))
			r.GetBody = func() (io.ReadCloser, error) { return nil, errors.New("gone") }
			return r
		}, "", true},
	}
	for _, tt := range tests {
		req := tt.req()
		got, err := rewindBody(req)
		if (err != nil) != tt.wantErr {
			t.Errorf("rewindBody(%s) error = %v, want error %v", tt.name, err, tt.wantErr)
			continue
		}
		if err != nil {
			continue
		}
		if got == req || got.Context() != ctx {
			t.Errorf("rewindBody(%s) = the same request or another context, want a clone with the same context", tt.name)
		}
		var body string
		if got.Body != nil {
			b, _ := io.ReadAll(got.Body)
			body = string(b)
		}
		if body != tt.wantBody {
			t.Errorf("rewindBody(%s) body = %q, want %q", tt.name, body, tt.wantBody)
		}
	}
}

func TestDrainAndClose(t *testing.T) {
	var closed atomic.Bool
	r := strings.NewReader(strings.Repeat("x", drainLimit+100))
	drainAndClose(&closeRecorder{Reader: r, closed: &closed})
	if !closed.Load() || r.Len() != 100 {
		t.Errorf("after drainAndClose: closed %v, %d bytes left, want true, 100", closed.Load(), r.Len())
	}
	drainAndClose(nil) // no panic
}

func TestRedactURL(t *testing.T) {
	tests := []struct{ in, want string }{
		{"https://example.com/a/b", "https://example.com/a/b"},
		{"https://u:p@example.com/a?x=1&y=&z#f", "https://example.com/a"},
		{"http://127.0.0.1:8080/?", "http://127.0.0.1:8080/"},
	}
	for _, tt := range tests {
		u, err := http.NewRequest("GET", tt.in, nil)
		if err != nil {
			t.Fatal(err)
		}
		if got := redact.URL(u.URL); got != tt.want {
			t.Errorf("redact.URL(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// A first try that succeeds costs no allocation beyond the try itself.
func TestRetryFirstTryAllocs(t *testing.T) {
	resp := &http.Response{StatusCode: 200, Body: http.NoBody, Header: http.Header{}}
	attempt := func(*http.Request) (*http.Response, error) { return resp, nil }
	req := newRequest(t, context.Background(), http.MethodGet, "http://example.com/", nil)
	log := slog.New(&recordHandler{})
	bare := testing.AllocsPerRun(1000, func() { attempt(req) })
	for _, p := range []*RetryPolicy{DefaultRetryPolicy(), {}, {MaxAttempts: 1}, {RateLimit: 1e9, RateBurst: 1 << 30}} {
		got := testing.AllocsPerRun(1000, func() { p.do(req, log, attempt) })
		if got != bare {
			t.Errorf("do allocations per first-try success = %v, want %v as a bare try", got, bare)
		}
	}
}

func BenchmarkRetryFirstTry(b *testing.B) {
	resp := &http.Response{StatusCode: 200, Body: http.NoBody, Header: http.Header{}}
	attempt := func(*http.Request) (*http.Response, error) { return resp, nil }
	req, _ := http.NewRequest(http.MethodGet, "http://example.com/", nil)
	p := DefaultRetryPolicy()
	b.ReportAllocs()
	for b.Loop() {
		p.do(req, nil, attempt)
	}
}

// BenchmarkRetryRoundTrip compares a request that needs no retry sent
// through the policy with the same request sent bare, on one loopback
// server and transport.
func BenchmarkRetryRoundTrip(b *testing.B) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, "ok")
	}))
	defer srv.Close()
	tr := http.DefaultTransport.(*http.Transport).Clone()
	defer tr.CloseIdleConnections()
	req, _ := http.NewRequest(http.MethodGet, srv.URL, nil)
	p := DefaultRetryPolicy()
	for _, bm := range []struct {
		name string
		send func() (*http.Response, error)
	}{
		{"bare", func() (*http.Response, error) { return tr.RoundTrip(req) }},
		{"policy", func() (*http.Response, error) { return p.do(req, nil, tr.RoundTrip) }},
	} {
		b.Run(bm.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				resp, err := bm.send()
				if err != nil {
					b.Fatal(err)
				}
				drainAndClose(resp.Body)
			}
		})
	}
}
