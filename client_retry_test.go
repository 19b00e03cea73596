package httpsession

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// doer is one of the two ways users send a request through a Client.
type doer struct {
	name string
	do   func(c *Client, req *http.Request) (*http.Response, error)
}

var doers = []doer{
	{"Client.Do", func(c *Client, req *http.Request) (*http.Response, error) { return c.Do(req) }},
	{"HTTPClient().Do", func(c *Client, req *http.Request) (*http.Response, error) { return c.HTTPClient().Do(req) }},
}

// resetConn ends the connection of w with a TCP RST before any response.
func resetConn(t *testing.T, w http.ResponseWriter) {
	conn, _, err := w.(http.Hijacker).Hijack()
	if err != nil {
		t.Error(err)
		return
	}
	if tc, ok := conn.(*net.TCPConn); ok {
		tc.SetLinger(0)
	}
	conn.Close()
}

// TestRetryThroughClient runs the retry scenarios end to end through both
// entry points: the waits asked of the clock are recorded, never slept.
func TestRetryThroughClient(t *testing.T) {
	type step struct {
		status     int
		retryAfter string
		reset      bool
	}
	tests := []struct {
		name       string
		method     string
		body       string
		getBody    bool
		header     map[string]string
		steps      []step // answers in order; the last repeats
		attempts   int
		wantHits   int
		wantStatus int
		wantErr    bool
		wantWaits  []time.Duration // nil: don't check
	}{
		{name: "429 with Retry-After then 200", method: "GET", steps: []step{{status: 429, retryAfter: "3"}, {status: 200}},
			wantHits: 2, wantStatus: 200, wantWaits: []time.Duration{3 * time.Second}},
		{name: "hour-long Retry-After returns the 429 at once", method: "GET", steps: []step{{status: 429, retryAfter: "3600"}, {status: 200}},
			wantHits: 1, wantStatus: 429, wantWaits: []time.Duration{}},
		{name: "503 forever, 3 attempts, final 503 returned", method: "GET", steps: []step{{status: 503}}, attempts: 3,
			wantHits: 3, wantStatus: 503},
		{name: "POST without GetBody is sent once", method: "POST", body: "order", steps: []step{{status: 503}, {status: 200}},
			wantHits: 1, wantStatus: 503},
		{name: "POST with GetBody but no key is sent once", method: "POST", body: "order", getBody: true, steps: []step{{status: 503}, {status: 200}},
			wantHits: 1, wantStatus: 503},
		{name: "POST with Idempotency-Key is replayed with its body", method: "POST", body: "order", getBody: true,
			header: map[string]string{"Idempotency-Key": "k1"}, steps: []step{{status: 429, retryAfter: "1"}, {status: 200}},
			wantHits: 2, wantStatus: 200, wantWaits: []time.Duration{time.Second}},
		{name: "connection reset on GET is retried", method: "GET", steps: []step{{reset: true}, {status: 200}},
			wantHits: 2, wantStatus: 200},
		{name: "connection reset on POST is not retried", method: "POST", body: "order", getBody: true, steps: []step{{reset: true}, {status: 200}},
			wantHits: 1, wantErr: true},
		{name: "400 is not retried", method: "GET", steps: []step{{status: 400}, {status: 200}},
			wantHits: 1, wantStatus: 400},
	}
	for _, d := range doers {
		for _, tt := range tests {
			t.Run(d.name+"/"+tt.name, func(t *testing.T) {
				var hits atomic.Int32
				var mu sync.Mutex
				var bodies []string
				ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					n := int(hits.Add(1))
					b, _ := io.ReadAll(r.Body)
					mu.Lock()
					bodies = append(bodies, string(b))
					mu.Unlock()
					s := tt.steps[min(n, len(tt.steps))-1]
					if s.reset {
						resetConn(t, w)
						return
					}
					if s.retryAfter != "" {
						w.Header().Set("Retry-After", s.retryAfter)
					}
					w.WriteHeader(s.status)
					io.WriteString(w, "answer "+http.StatusText(s.status))
				}))
				defer ts.Close()

				waits := []time.Duration{}
				p := noWaitRetry(&waits)
				if tt.attempts > 0 {
					p.MaxAttempts = tt.attempts
				}
				c, err := New(Options{Retry: p})
				if err != nil {
					t.Fatal(err)
				}
				var body io.Reader
				if tt.body != "" {
					body = io.NopCloser(strings.NewReader(tt.body)) // hides the type, so no GetBody
				}
				req, _ := http.NewRequest(tt.method, ts.URL, body)
				if tt.getBody {
					req.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(strings.NewReader(tt.body)), nil }
				}
				for k, v := range tt.header {
					req.Header.Set(k, v)
				}
				resp, err := d.do(c, req)
				if tt.wantErr {
					if err == nil {
						resp.Body.Close()
						t.Fatalf("got %d, want an error", resp.StatusCode)
					}
				} else {
					if err != nil {
						t.Fatal(err)
					}
					b, err := io.ReadAll(resp.Body)
					resp.Body.Close()
					if err != nil {
						t.Fatalf("final response body unreadable: %v", err)
					}
					if resp.StatusCode != tt.wantStatus || string(b) != "answer "+http.StatusText(tt.wantStatus) {
						t.Errorf("final response %d %q, want %d with its body", resp.StatusCode, b, tt.wantStatus)
					}
				}
				if got := int(hits.Load()); got != tt.wantHits {
					t.Errorf("server hit %d times, want %d", got, tt.wantHits)
				}
				if tt.wantWaits != nil && !equalDurations(waits, tt.wantWaits) {
					t.Errorf("waits %v, want %v", waits, tt.wantWaits)
				}
				if tt.body != "" {
					mu.Lock()
					for i, b := range bodies {
						if b != tt.body {
							t.Errorf("attempt %d sent body %q, want %q", i+1, b, tt.body)
						}
					}
					mu.Unlock()
				}
			})
		}
	}
}

func equalDurations(a, b []time.Duration) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestRetryWaitCancel cancels the request while the policy waits after a
// 503: the call returns at once with context.Canceled.
func TestRetryWaitCancel(t *testing.T) {
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Retry-After", "30")
		w.WriteHeader(http.StatusServiceUnavailable)
	}))
	defer ts.Close()
	for _, d := range doers {
		t.Run(d.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			p := DefaultRetryPolicy()
			waiting := make(chan struct{})
			p.Sleep = func(ctx context.Context, d time.Duration) error {
				close(waiting)
				<-ctx.Done()
				return ctx.Err()
			}
			c, err := New(Options{Retry: p})
			if err != nil {
				t.Fatal(err)
			}
			go func() {
				<-waiting
				cancel()
			}()
			req, _ := http.NewRequestWithContext(ctx, "GET", ts.URL, nil)
			resp, err := d.do(c, req)
			if err == nil {
				resp.Body.Close()
			}
			if !errors.Is(err, context.Canceled) {
				t.Errorf("error %v, want context.Canceled", err)
			}
		})
	}
}

// TestRefusedPOSTIsRetried: a POST whose connection was refused was never
// sent, so it is replayed even without an idempotency key; the server comes
// up while the policy waits.
func TestRefusedPOSTIsRetried(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // refused until the server below starts

	var got atomic.Value
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		got.Store(r.Method + " " + string(b))
	})}
	defer srv.Close()
	p := DefaultRetryPolicy()
	waits := 0
	p.Sleep = func(ctx context.Context, d time.Duration) error {
		waits++
		if waits == 1 {
			ln, err := net.Listen("tcp", addr)
			if err != nil {
				return err
			}
			go srv.Serve(ln)
		}
		return nil
	}
	c, err := New(Options{Retry: p})
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest("POST", "http://"+addr+"/orders", strings.NewReader("order-1"))
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("POST after a refused connection: %v", err)
	}
	resp.Body.Close()
	if g, _ := got.Load().(string); g != "POST order-1" || waits != 1 {
		t.Errorf("server got %q after %d waits, want \"POST order-1\" after 1", g, waits)
	}
}
