// Package fleettest runs a fleet of workers sharing one session: OS
// processes (the test binary, run again) with goroutines each, all logged
// in as one user against a tokenserver whose refresh tokens are single use,
// each setting cookies of its own and saving the session to a shared
// store. It reports what the token server saw and what the workers got, so
// that a test can assert one login, one refresh per expiry, no reuse, no
// failed request and no lost cookie.
//
// A test calls Child first, with the function that opens the store in a
// worker process, and Run after:
//
//	func TestFleet(t *testing.T) {
//		fleettest.Child(func() (httpsession.Store, error) { … })
//		res := fleettest.Run(t, fleettest.Config{Test: "TestFleet", …})
//		res.Check(t)
//	}
package fleettest

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"math"
	"net/http"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/httpsession/httpsession"
	"github.com/httpsession/httpsession/internal/proctest"
	"github.com/httpsession/httpsession/internal/tokenserver"
	"github.com/httpsession/httpsession/oauth"
)

// Environment of a worker process.
const (
	envChild      = "HTTPSESSION_FLEET_CHILD"
	envAPI        = "HTTPSESSION_FLEET_API"
	envTokenURL   = "HTTPSESSION_FLEET_TOKEN_URL"
	envProc       = "HTTPSESSION_FLEET_PROC"
	envGoroutines = "HTTPSESSION_FLEET_GOROUTINES"
	envDuration   = "HTTPSESSION_FLEET_DURATION"
)

// Long reports whether the long versions of the fleet tests were asked
// for (HTTPSESSION_LONG=1).
func Long() bool { return os.Getenv("HTTPSESSION_LONG") == "1" }

// Config describes a fleet run.
type Config struct {
	Test       string        // the test function that calls Run; the workers run it again
	Procs      int           // worker processes
	Goroutines int           // goroutines per process, each making requests
	Duration   time.Duration // how long the workers make requests
	TokenLife  time.Duration // access token lifetime
	Every429   int           // every n-th API request gets 429 (0: none)
	Env        []string      // more environment for the workers (the store's address)
	Midway     func()        // called once, halfway through (restart a server)
	// Open opens the shared store in the test's process, to check what
	// the workers saved.
	Open func() (httpsession.Store, error)
}

// Report is what one worker process tells the test.
type Report struct {
	Proc     int   `json:"proc"`
	Requests int64 `json:"requests"`
	Failed   int64 `json:"failed"`
	// Failures counts the failed requests by cause: the error, or the
	// status with what the server said about it.
	Failures   map[string]int64 `json:"failures,omitempty"`
	SaveErrors int64            `json:"save_errors"`
	// Warnings counts what the client logged at level Warn or above, by
	// message and error: what went wrong around a failure.
	Warnings map[string]int64 `json:"warnings,omitempty"`
	Cookies  []string         `json:"cookies"` // the cookies it set
}

// Result is the outcome of a run.
type Result struct {
	Config  Config
	Server  tokenserver.Counts
	Reports []Report
	Missing []string      // cookies set by a worker but not in the store at the end
	Stored  int           // cookies in the store at the end
	Elapsed time.Duration // from the start of the workers to the last one's exit
}

// Child runs the worker's part when the process is a fleet worker, and
// exits; otherwise it returns at once.
func Child(open func() (httpsession.Store, error)) {
	proctest.Report(envChild, func() (*Report, error) { return work(open) })
}

func work(open func() (httpsession.Store, error)) (*Report, error) {
	proc, _ := strconv.Atoi(os.Getenv(envProc))
	goroutines, _ := strconv.Atoi(os.Getenv(envGoroutines))
	d, err := time.ParseDuration(os.Getenv(envDuration))
	if err != nil {
		return nil, err
	}
	api := os.Getenv(envAPI)
	st, err := open()
	if err != nil {
		return nil, err
	}
	retry := httpsession.DefaultRetryPolicy()
	retry.MaxAttempts = 8
	warnings := newTally()
	c, err := httpsession.New(httpsession.Options{
		Store: st,
		Auth: &oauth.Credentials{
			TokenURL: os.Getenv(envTokenURL),
			ClientID: tokenserver.ClientID,
			Username: tokenserver.Username,
			Password: tokenserver.Password,
		},
		AuthOrigins: []string{api},
		Retry:       retry,
		Jar:         &httpsession.JarOptions{MaxCookiesPerDomain: 5000, MaxCookies: 5000},
		Logger:      slog.New(warnings),
	})
	if err != nil {
		return nil, fmt.Errorf("new client: %w", err)
	}
	rep := &Report{Proc: proc}
	var requests, saveErrors atomic.Int64
	failures := newTally()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	var wg sync.WaitGroup
	for g := range goroutines {
		name := fmt.Sprintf("p%dg%d", proc, g)
		rep.Cookies = append(rep.Cookies, name)
		wg.Go(func() {
			tick := time.NewTicker(20 * time.Millisecond)
			defer tick.Stop()
			for ctx.Err() == nil {
				requests.Add(1)
				// A request is not bound to the run's end: one
				// cut short would count as failed.
				req, _ := http.NewRequestWithContext(context.Background(), http.MethodGet, api+"/api/data?set="+name, nil)
				resp, err := c.Do(req)
				if err != nil {
					failures.add(err.Error())
				} else {
					if resp.StatusCode != http.StatusOK {
						failures.add(describe(resp))
					}
					resp.Body.Close()
				}
				select {
				case <-ctx.Done():
				case <-tick.C:
				}
			}
		})
	}
	wg.Go(func() {
		// Save every 250ms, as a worker with a save loop would; a save
		// while the store is down fails and the next one catches up.
		tick := time.NewTicker(250 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
				if err := c.Save(); err != nil {
					saveErrors.Add(1)
				}
			}
		}
	})
	wg.Wait()
	// The last save must land: retry while the store comes back.
	deadline := time.Now().Add(20 * time.Second)
	for {
		err := c.Close()
		if err == nil {
			break
		}
		saveErrors.Add(1)
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("final save: %w", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	rep.Requests, rep.SaveErrors = requests.Load(), saveErrors.Load()
	rep.Failures, rep.Failed = failures.counts()
	rep.Warnings, _ = warnings.counts()
	return rep, nil
}

// describe names the cause of a response that is not 200 OK: its status
// and what the server said about it (the headers that explain a 401 or a
// 429, and the start of the body).
func describe(resp *http.Response) string {
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 100))
	s := "GET: " + resp.Status
	for _, h := range [...]string{"WWW-Authenticate", "Retry-After"} {
		if v := resp.Header.Get(h); v != "" {
			s += ", " + h + ": " + v
		}
	}
	return s + fmt.Sprintf(", body %q", strings.TrimSpace(string(body)))
}

// A tally counts texts; it is also a slog.Handler that counts the records
// of level Warn and above by message and error.
type tally struct {
	mu sync.Mutex
	n  map[string]int64
}

func newTally() *tally { return &tally{n: make(map[string]int64)} }

func (t *tally) add(s string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.n[s]++
}

// counts returns a copy of the counts and their sum.
func (t *tally) counts() (map[string]int64, int64) {
	t.mu.Lock()
	defer t.mu.Unlock()
	var sum int64
	for _, n := range t.n {
		sum += n
	}
	return maps.Clone(t.n), sum
}

func (t *tally) Enabled(_ context.Context, l slog.Level) bool { return l >= slog.LevelWarn }

func (t *tally) Handle(_ context.Context, r slog.Record) error {
	s := r.Message
	r.Attrs(func(a slog.Attr) bool {
		if a.Key == "error" {
			s += ": " + a.Value.String()
		}
		return true
	})
	t.add(s)
	return nil
}

func (t *tally) WithAttrs([]slog.Attr) slog.Handler { return t }
func (t *tally) WithGroup(string) slog.Handler      { return t }

// Run starts the token server and cfg.Procs worker processes, calls
// cfg.Midway halfway through, waits for the workers and collects their
// reports and what the store holds.
func Run(t *testing.T, cfg Config) *Result {
	t.Helper()
	ts := tokenserver.Start(tokenserver.Options{TokenLife: cfg.TokenLife, Every429: cfg.Every429})
	defer ts.Close()

	type proc struct {
		cmd *exec.Cmd
		out *bufio.Reader
	}
	var procs []proc
	start := time.Now()
	for p := range cfg.Procs {
		cmd, _, out := proctest.Start(t, cfg.Test, slices.Concat(cfg.Env, []string{
			envChild + "=1",
			envAPI + "=" + ts.URL,
			envTokenURL + "=" + ts.TokenURL,
			envProc + "=" + strconv.Itoa(p),
			envGoroutines + "=" + strconv.Itoa(cfg.Goroutines),
			envDuration + "=" + cfg.Duration.String(),
		})...)
		procs = append(procs, proc{cmd, out})
	}
	if cfg.Midway != nil {
		time.Sleep(cfg.Duration / 2)
		cfg.Midway()
	}
	res := &Result{Config: cfg}
	for _, pr := range procs {
		res.Reports = append(res.Reports, proctest.Collect[Report](t, pr.cmd, pr.out))
	}
	res.Server = ts.Counts()
	res.Elapsed = time.Since(start)

	st, err := cfg.Open()
	if err != nil {
		t.Fatal(err)
	}
	jar := httpsession.NewJar(&httpsession.JarOptions{MaxCookiesPerDomain: 5000, MaxCookies: 5000})
	if _, err := httpsession.LoadSession(st, jar); err != nil {
		t.Fatalf("loading the shared session: %v", err)
	}
	have := make(map[string]bool)
	for _, c := range jar.All() {
		have[c.Name] = true
	}
	res.Stored = len(have)
	for _, rep := range res.Reports {
		for _, name := range rep.Cookies {
			if !have[name] {
				res.Missing = append(res.Missing, name)
			}
		}
	}
	slices.Sort(res.Missing)
	return res
}

// MaxRefreshes is the most refreshes the run may make: one per expiry,
// the token being refreshed halfway through its life, plus two for the
// edges of the run.
func (r *Result) MaxRefreshes() int64 {
	per := r.Config.TokenLife / 2
	// The workers stop sending after Duration, but a loaded machine may
	// keep the last ones busy (and their tokens due) for a while after.
	d := max(r.Config.Duration, r.Elapsed)
	return int64(math.Ceil(float64(d)/float64(per))) + 2
}

// Check asserts what the fleet must get right: no failed request, no lost
// cookie, and the token coordination: one login, at most one refresh per
// expiry, no reuse. It logs every failed request's cause and what the
// workers logged as warnings.
//
// The one failure a loaded machine can still cause is a request whose
// token and whose one replay's token both reach the API after their life
// (a second 401 is the caller's answer): with 2 s tokens refreshed at 1 s,
// two stalls of about a second each. The failures then read "GET: 401
// Unauthorized".
func (r *Result) Check(t *testing.T) {
	t.Helper()
	var requests, failed, saveErrors int64
	for _, rep := range r.Reports {
		requests += rep.Requests
		failed += rep.Failed
		saveErrors += rep.SaveErrors
		if rep.Failed > 0 {
			t.Logf("worker %d: %d of %d requests failed", rep.Proc, rep.Failed, rep.Requests)
		}
		for _, cause := range slices.Sorted(maps.Keys(rep.Failures)) {
			t.Logf("worker %d: %d failed with: %s", rep.Proc, rep.Failures[cause], cause)
		}
		for _, w := range slices.Sorted(maps.Keys(rep.Warnings)) {
			t.Logf("worker %d: logged %d times: %s", rep.Proc, rep.Warnings[w], w)
		}
	}
	c := r.Server
	t.Logf("%d processes × %d goroutines for %v (all done after %v), tokens living %v: %d requests (%d failed), %d failed saves; server: %d logins, %d refreshes (at most %d expected), %d reuses, %d refused refreshes, %d 401, %d 429; %d cookies stored",
		r.Config.Procs, r.Config.Goroutines, r.Config.Duration, r.Elapsed.Round(time.Millisecond), r.Config.TokenLife,
		requests, failed, saveErrors, c.Logins, c.Refreshes, r.MaxRefreshes(), c.Reuses, c.Rejected, c.Denied, c.TooMany, r.Stored)
	if len(r.Missing) > 0 {
		t.Errorf("%d cookies set by the workers are not in the store: %q", len(r.Missing), r.Missing)
	}
	if failed > 0 {
		t.Errorf("%d of %d requests failed", failed, requests)
	}
	if c.Logins != 1 {
		t.Errorf("the fleet logged in %d times, want 1", c.Logins)
	}
	if c.Reuses != 0 {
		t.Errorf("the fleet presented a used refresh token %d times, want 0", c.Reuses)
	}
	if c.Refreshes > r.MaxRefreshes() || c.Refreshes < 1 {
		t.Errorf("the fleet refreshed %d times, want between 1 and %d (one per expiry)", c.Refreshes, r.MaxRefreshes())
	}
}
