// Package nodeservers runs, for a test, server software from npm under
// node: each subdirectory holds a server.js and the package.json and
// package-lock.json that pin what it runs. Start installs the packages
// with "npm ci" when they are missing, starts node on a free loopback port
// and stops it when the test ends. Without node and npm the test is
// skipped, or fails when the environment variable CI is "true".
//
//	formsite      express + passport-local + csrf-sync, lusca under /ng
//	oidcprovider  panva/oidc-provider 9
//	ratelimit     express + express-rate-limit 8 (draft-8 RateLimit fields)
package nodeservers

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

// Dir is the directory of the server called name.
func Dir(name string) string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), name)
}

var installs sync.Map // name → *sync.Once-guarded error

type install struct {
	once sync.Once
	err  error
	out  []byte
}

// need skips t (or fails it when CI is "true") without node and npm, and
// installs the packages of name once per test binary.
func need(t testing.TB, name string) string {
	t.Helper()
	node, err := exec.LookPath("node")
	if err == nil {
		_, err = exec.LookPath("npm")
	}
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("node or npm not found (CI must run the %s tests; install the nodejs and npm packages): %v", name, err)
		}
		t.Skipf("node or npm not found: %v", err)
	}
	v, _ := installs.LoadOrStore(name, &install{})
	in := v.(*install)
	in.once.Do(func() {
		dir := Dir(name)
		if _, err := os.Stat(filepath.Join(dir, "node_modules", ".package-lock.json")); err == nil {
			return
		}
		cmd := exec.Command("npm", "ci", "--no-audit", "--no-fund")
		cmd.Dir = dir
		in.out, in.err = cmd.CombinedOutput()
	})
	if in.err != nil {
		if os.Getenv("CI") != "true" {
			t.Skipf("npm ci in %s failed (offline?): %v\n%s", name, in.err, in.out)
		}
		t.Fatalf("npm ci in %s: %v\n%s", name, in.err, in.out)
	}
	return node
}

// Start runs the server called name with env added to the environment and
// returns its base URL, http://127.0.0.1:PORT. The server is killed when t
// ends.
func Start(t testing.TB, name string, env ...string) string {
	t.Helper()
	node := need(t, name)
	cmd := exec.Command(node, "server.js")
	cmd.Dir = Dir(name)
	cmd.Env = append(append(os.Environ(), "PORT=0", "NODE_ENV=production"), env...)
	cmd.Stderr = &logWriter{t: t, prefix: name + ": "}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", name, err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	ready := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if port, ok := strings.CutPrefix(sc.Text(), "listening "); ok {
				ready <- port
			}
		}
		close(ready)
	}()
	select {
	case port, ok := <-ready:
		if !ok {
			t.Fatalf("%s exited before listening", name)
		}
		return "http://127.0.0.1:" + port
	case <-time.After(30 * time.Second):
		t.Fatalf("%s did not start within 30s", name)
	}
	return ""
}

// logWriter passes the server's standard error to the test log.
type logWriter struct {
	mu     sync.Mutex
	t      testing.TB
	prefix string
}

func (w *logWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, line := range strings.Split(strings.TrimRight(string(p), "\n"), "\n") {
		w.t.Log(w.prefix + line)
	}
	return len(p), nil
}
