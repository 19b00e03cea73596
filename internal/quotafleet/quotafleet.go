// Package quotafleet runs a fleet of worker processes (the test binary,
// run again) with goroutines each, sharing one session store and sending
// requests as fast as they are let to a quotaserver, and reports what the
// server saw: 429s, throughput against the quota, and, through an outage,
// the attempts per request and how soon throughput came back.
//
// A test calls Child first, with the function that opens the store in a
// worker process, and Run after.
package quotafleet

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/httpsession/httpsession"
	"github.com/httpsession/httpsession/internal/proctest"
	"github.com/httpsession/httpsession/internal/quotaserver"
)

// Environment of a worker process.
const (
	envChild      = "HTTPSESSION_QUOTAFLEET_CHILD"
	envAPI        = "HTTPSESSION_QUOTAFLEET_API"
	envGoroutines = "HTTPSESSION_QUOTAFLEET_GOROUTINES"
	envUntil      = "HTTPSESSION_QUOTAFLEET_UNTIL"        // Unix ns: stop starting requests
	envOutage     = "HTTPSESSION_QUOTAFLEET_OUTAGE_START" // Unix ns
	envOutageEnd  = "HTTPSESSION_QUOTAFLEET_OUTAGE_END"
)

// Config describes a run.
type Config struct {
	Test       string // the test function that calls Run; the workers run it again
	Procs      int
	Goroutines int
	Duration   time.Duration
	Quota      int // requests per Window
	Window     time.Duration
	Style      string        // quotaserver.IETF, GitHub or RetryAfter
	Outage     time.Duration // a total outage of that length, starting at a third of Duration; 0: none
	Env        []string      // more environment for the workers (the store's address)
}

// Report is what one worker tells the test.
type Report struct {
	Requests       int64  `json:"requests"`
	Failed         int64  `json:"failed"`
	FirstError     string `json:"first_error,omitempty"`
	OutageRequests int64  `json:"outage_requests"` // requests that overlapped the outage
	OutageTries    int64  `json:"outage_tries"`    // the tries they sent
}

// triesKey is the context key of a request's try counter.
type triesKey struct{}

// countingTransport counts the tries of each request in its context.
type countingTransport struct{ base http.RoundTripper }

func (t countingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if n, ok := req.Context().Value(triesKey{}).(*atomic.Int64); ok {
		n.Add(1)
	}
	return t.base.RoundTrip(req)
}

// Result is the outcome of a run.
type Result struct {
	Config      Config
	Server      quotaserver.Counts
	Requests    int64
	Failed      int64
	FirstError  string
	OutageReqs  int64
	OutageTries int64
	Elapsed     time.Duration // first request to the last
	OutageEnd   time.Time
	outageStart time.Time
}

// Child runs the worker's part when the process is a worker, and exits;
// otherwise it returns at once.
func Child(open func() (httpsession.Store, error)) {
	proctest.Report(envChild, func() (*Report, error) { return work(open) })
}

func unixEnv(name string) time.Time {
	n, _ := strconv.ParseInt(os.Getenv(name), 10, 64)
	if n == 0 {
		return time.Time{}
	}
	return time.Unix(0, n)
}

func work(open func() (httpsession.Store, error)) (*Report, error) {
	goroutines, _ := strconv.Atoi(os.Getenv(envGoroutines))
	until, oStart, oEnd := unixEnv(envUntil), unixEnv(envOutage), unixEnv(envOutageEnd)
	api := os.Getenv(envAPI)
	st, err := open()
	if err != nil {
		return nil, err
	}
	c, err := httpsession.New(httpsession.Options{Store: st, Transport: countingTransport{http.DefaultTransport}})
	if err != nil {
		return nil, fmt.Errorf("new client: %w", err)
	}
	defer c.Close()
	var (
		rep                                     Report
		requests, failed, inOutage, outageTries atomic.Int64
		firstErr                                sync.Once
	)
	fail := func(err error) {
		failed.Add(1)
		firstErr.Do(func() { rep.FirstError = err.Error() })
	}
	var wg sync.WaitGroup
	for range goroutines {
		wg.Go(func() {
			for {
				start := time.Now()
				if !start.Before(until) {
					return
				}
				requests.Add(1)
				tries := new(atomic.Int64)
				req, _ := http.NewRequestWithContext(context.WithValue(context.Background(), triesKey{}, tries), http.MethodGet, api, nil)
				resp, err := c.Do(req)
				if end := time.Now(); !oStart.IsZero() && start.Before(oEnd) && end.After(oStart) {
					inOutage.Add(1)
					outageTries.Add(tries.Load())
				}
				if err != nil {
					fail(err)
					continue
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					fail(fmt.Errorf("GET: %s", resp.Status))
				}
			}
		})
	}
	wg.Wait()
	rep.Requests, rep.Failed = requests.Load(), failed.Load()
	rep.OutageRequests, rep.OutageTries = inOutage.Load(), outageTries.Load()
	return &rep, nil
}

// Run starts the quota server and the workers, plays the outage if asked,
// and collects the reports.
func Run(t *testing.T, cfg Config) *Result {
	t.Helper()
	qs := quotaserver.New(cfg.Quota, cfg.Window, cfg.Style)
	srv := httptest.NewServer(qs)
	defer srv.Close()
	// The workers start together, a moment from now, once all are up.
	start := time.Now().Add(time.Second)
	until := start.Add(cfg.Duration)
	res := &Result{Config: cfg}
	env := []string{envChild + "=1", envAPI + "=" + srv.URL,
		envGoroutines + "=" + strconv.Itoa(cfg.Goroutines),
		envUntil + "=" + strconv.FormatInt(until.UnixNano(), 10)}
	if cfg.Outage > 0 {
		res.outageStart = start.Add(cfg.Duration / 3)
		res.OutageEnd = res.outageStart.Add(cfg.Outage)
		env = append(env, envOutage+"="+strconv.FormatInt(res.outageStart.UnixNano(), 10),
			envOutageEnd+"="+strconv.FormatInt(res.OutageEnd.UnixNano(), 10))
	}
	type proc struct {
		cmd *exec.Cmd
		out *bufio.Reader
	}
	var procs []proc
	for range cfg.Procs {
		cmd, _, out := proctest.Start(t, cfg.Test, slices.Concat(cfg.Env, env)...)
		procs = append(procs, proc{cmd, out})
	}
	if cfg.Outage > 0 {
		time.Sleep(time.Until(res.outageStart))
		qs.Outage(cfg.Outage)
	}
	for _, pr := range procs {
		rep := proctest.Collect[Report](t, pr.cmd, pr.out)
		res.Requests += rep.Requests
		res.Failed += rep.Failed
		res.OutageReqs += rep.OutageRequests
		res.OutageTries += rep.OutageTries
		if res.FirstError == "" {
			res.FirstError = rep.FirstError
		}
	}
	res.Server = qs.Counts()
	if n := len(res.Server.OKAt); n > 0 {
		res.Elapsed = res.Server.OKAt[n-1].Sub(res.Server.OKAt[0])
	}
	return res
}

// rate is the quota in requests a second.
func (r *Result) rate() float64 { return float64(r.Config.Quota) / r.Config.Window.Seconds() }

// Throughput is the share of the quota the 200s used, over the server's
// windows that lie wholly within the run (from the first 200 to the last),
// leaving out those that overlap the outage.
func (r *Result) Throughput() float64 {
	ok := r.Server.OKAt
	if len(ok) == 0 {
		return 0
	}
	w := r.Config.Window
	from := ok[0].Truncate(w).Add(w)
	to := ok[len(ok)-1].Truncate(w)
	var used, windows int64
	for start := from; start.Before(to); start = start.Add(w) {
		end := start.Add(w)
		if r.Config.Outage > 0 && start.Before(r.OutageEnd) && end.After(r.outageStart) {
			continue
		}
		windows++
		for _, at := range ok {
			if !at.Before(start) && at.Before(end) {
				used++
			}
		}
	}
	if windows == 0 {
		return 0
	}
	return float64(used) / float64(windows*int64(r.Config.Quota))
}

// Check asserts the quota targets: at most 1% of attempts answered 429,
// no failed request and a throughput of at least 0.9 of the quota; with an
// outage, at most 1.5 tries per request that overlapped it, and half
// the quota back within 2 s of its end (requests failed by the outage are
// then expected).
func (r *Result) Check(t *testing.T) {
	t.Helper()
	c := r.Server
	share429 := float64(c.TooMany) / float64(max(c.Attempts, 1))
	t.Logf("%s: %d processes × %d goroutines for %v against %d per %v: %d requests (%d failed), %d attempts, %d × 429 (%.2f%%), throughput %.3f of the quota",
		r.Config.Style, r.Config.Procs, r.Config.Goroutines, r.Config.Duration, r.Config.Quota, r.Config.Window,
		r.Requests, r.Failed, c.Attempts, c.TooMany, 100*share429, r.Throughput())
	if share429 > 0.01 {
		t.Errorf("%.2f%% of attempts were 429, want at most 1%%", 100*share429)
	}
	if r.Config.Outage == 0 {
		if r.Failed > 0 {
			t.Errorf("%d of %d requests failed, the first with: %s", r.Failed, r.Requests, r.FirstError)
		}
		if r.Throughput() < 0.9 {
			t.Errorf("throughput %.3f of the quota, want at least 0.9", r.Throughput())
		}
		return
	}
	amp := float64(r.OutageTries) / float64(max(r.OutageReqs, 1))
	back := c.Recovery(r.OutageEnd, r.rate()/2)
	t.Logf("outage of %v: %d requests overlapped it with %d tries (%.2f a request), %d answered 503; half the quota back %v after", r.Config.Outage, r.OutageReqs, r.OutageTries, amp, c.Down, back)
	if amp > 1.5 {
		t.Errorf("%.2f attempts a request during the outage, want at most 1.5", amp)
	}
	if back < 0 || back > 2*time.Second {
		t.Errorf("half the quota came back %v after the outage, want within 2s", back)
	}
}
