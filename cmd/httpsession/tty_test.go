package main

import (
	"bufio"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// onTerminal runs the built command under script(1), which gives it a
// pseudo-terminal, and returns the terminal's output, writing input once
// the output shows prompt (nothing to write when prompt is "").
func onTerminal(t *testing.T, prompt, input string, args ...string) string {
	t.Helper()
	script, err := exec.LookPath("script")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("script(1) not found: it comes with util-linux on every Debian system")
		}
		t.Skip("script(1) not found")
	}
	line := binary
	for _, a := range args {
		line += " '" + strings.ReplaceAll(a, "'", `'\''`) + "'"
	}
	cmd := exec.Command(script, "-q", "-e", "-c", line, "/dev/null")
	cmd.Dir = t.TempDir()
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	timer := time.AfterFunc(30*time.Second, func() { cmd.Process.Kill() })
	defer timer.Stop()
	var out strings.Builder
	r := bufio.NewReader(stdout)
	if prompt != "" {
		for !strings.Contains(out.String(), prompt) {
			b, err := r.ReadByte()
			if err != nil {
				t.Fatalf("no prompt %q on the terminal; it showed %q", prompt, out.String())
			}
			out.WriteByte(b)
		}
		if _, err := stdin.Write([]byte(input)); err != nil {
			t.Fatal(err)
		}
	}
	rest, _ := io.ReadAll(r)
	out.Write(rest)
	stdin.Close()
	cmd.Wait()
	return out.String()
}

// TestPasswordPromptOnTerminal: on a terminal, login asks for the password
// naming the user and the site, reads it, and logs in. (Whether the
// terminal echoes what is typed before the prompt's read turns echo off is
// the terminal's race, not checked here.)
func TestPasswordPromptOnTerminal(t *testing.T) {
	_, ts := demoServer(t)
	session := filepath.Join(t.TempDir(), "s.json")
	prompt := "Password for demo at " + ts.URL + ": "
	out := onTerminal(t, prompt, "demo-password\r", "login", "--session", session, "--kind", "json",
		"--login-url", ts.URL+"/auth/login", "--username", "demo")
	if !strings.Contains(out, "logged in") {
		t.Errorf("terminal after the prompt: %q, want a login", out)
	}
}

// TestLongWaitAnnouncedOnTerminal: a retry wait of longWait or more is
// announced on a terminal, without -v (TestRetryVisible covers -v and a
// pipe). It sits through the wait, in parallel with the other tests.
func TestLongWaitAnnouncedOnTerminal(t *testing.T) {
	t.Parallel()
	ts := retryAfterServer(t, int(longWait/time.Second))
	out := onTerminal(t, "", "", "get", ts.URL)
	want := "httpsession: 429 Too Many Requests; waiting " + longWait.String() + " before trying again (Ctrl-C to stop)"
	if !strings.Contains(out, want) {
		t.Errorf("terminal shows %q, want the line %q", out, want)
	}
}

// retryAfterServer answers 429 with Retry-After: secs once, then 200.
func retryAfterServer(t *testing.T, secs int) *httptest.Server {
	var n atomic.Int32
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if n.Add(1) == 1 {
			w.Header().Set("Retry-After", strconv.Itoa(secs))
			w.WriteHeader(http.StatusTooManyRequests)
			return
		}
		io.WriteString(w, "ok")
	}))
	t.Cleanup(ts.Close)
	return ts
}
