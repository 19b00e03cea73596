// Package proctest runs a test's own binary again as a child process, for
// tests that need several processes (sharing a session file, killed in
// the middle of a save).
package proctest

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"testing"
)

// Start runs the test binary again with only the test named test, and the
// environment variables env ("NAME=value") added; the test sees them and
// plays the child. It returns the process, its standard input and its
// standard output; its standard error is the parent's. The child is killed
// when the test ends, if it is still running.
func Start(t testing.TB, test string, env ...string) (*exec.Cmd, io.WriteCloser, *bufio.Reader) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^"+test+"$")
	cmd.Env = append(os.Environ(), env...)
	cmd.Stderr = os.Stderr
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
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	return cmd, stdin, bufio.NewReader(stdout)
}

// Fail ends a child with err on standard error and exit status 2.
func Fail(err error) {
	fmt.Fprintln(os.Stderr, "child:", err)
	os.Exit(2)
}

// Report is the child's side of a process that reports one result: when
// the environment variable env is "1" (the parent started this process
// with it), it runs work, writes its result to standard output as JSON and
// exits (Fail on an error); otherwise it returns at once.
func Report[R any](env string, work func() (R, error)) {
	if os.Getenv(env) != "1" {
		return
	}
	rep, err := work()
	if err != nil {
		Fail(err)
	}
	if err := json.NewEncoder(os.Stdout).Encode(rep); err != nil {
		Fail(err)
	}
	os.Exit(0)
}

// Collect is the parent's side of Report: it reads the JSON result of the
// child cmd from its standard output out and waits for the child to end.
func Collect[R any](t testing.TB, cmd *exec.Cmd, out *bufio.Reader) R {
	t.Helper()
	var rep R
	err := json.NewDecoder(out).Decode(&rep)
	if werr := cmd.Wait(); werr != nil || err != nil {
		t.Fatalf("child %d: %v (report: %v)", cmd.Process.Pid, werr, err)
	}
	return rep
}
