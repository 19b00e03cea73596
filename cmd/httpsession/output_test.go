//go:build unix

package main

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// bodyServer answers every request with body.
func bodyServer(t *testing.T, body string) *httptest.Server {
	t.Helper()
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, body)
	}))
	t.Cleanup(ts.Close)
	return ts
}

// TestOutputIntoSpecialFiles: -o into a path that is not a regular file —
// a FIFO, a link to /dev/null — writes into it, as curl does, and leaves
// it what it was; only a regular or new file is replaced by a rename.
func TestOutputIntoSpecialFiles(t *testing.T) {
	ts := bodyServer(t, "the body\n")
	dir := t.TempDir()

	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	// A reader opened without blocking lets the command's open for
	// writing go through; the small body waits in the pipe.
	r, err := os.OpenFile(fifo, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	null := filepath.Join(dir, "null")
	if err := os.Symlink("/dev/null", null); err != nil {
		t.Fatal(err)
	}

	for _, tc := range []struct {
		path string
		want os.FileMode // the type that must still be at path
	}{
		{fifo, os.ModeNamedPipe},
		{null, os.ModeSymlink},
	} {
		res := runIn(t, context.Background(), nil, "get", ts.URL, "-o", tc.path)
		if res.code != 0 {
			t.Fatalf("get -o %s: exit %d, stderr %q", filepath.Base(tc.path), res.code, res.stderr)
		}
		fi, err := os.Lstat(tc.path)
		if err != nil {
			t.Fatal(err)
		}
		if got := fi.Mode().Type(); got != tc.want {
			t.Errorf("after get -o %s the path is %v, want %v: it was replaced", filepath.Base(tc.path), got, tc.want)
		}
	}
	buf := make([]byte, 64)
	n, _ := r.Read(buf)
	if got := string(buf[:n]); got != "the body\n" {
		t.Errorf("read from the FIFO %q, want the body", got)
	}
	if left, _ := filepath.Glob(filepath.Join(dir, ".*.tmp-*")); len(left) > 0 {
		t.Errorf("temporary files left: %q", left)
	}
}

// TestOutputMode: -o creates the body with 0666 less the umask, as curl
// does, and 0600 whatever the umask when the request went with a session
// file or credentials, so an authenticated response is never readable by
// others.
func TestOutputMode(t *testing.T) {
	ts := bodyServer(t, "secret account data\n")
	for _, tc := range []struct {
		name  string
		umask string
		args  []string
		want  os.FileMode
	}{
		{"umask 077, no session", "077", nil, 0o600},
		{"umask 022, no session", "022", nil, 0o644},
		{"umask 002, no session", "002", nil, 0o664},
		{"umask 022, a session", "022", []string{"--session", "s.json"}, 0o600},
		{"umask 022, an Authorization header", "022", []string{"-H", "Authorization: Bearer x"}, 0o600},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			args := append([]string{binary, "get", ts.URL, "-o", "out"}, tc.args...)
			cmd := exec.Command("/bin/sh", append([]string{"-c", "umask " + tc.umask + ` && exec "$@"`, "sh"}, args...)...)
			cmd.Dir = dir
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("%v: %s", err, out)
			}
			fi, err := os.Stat(filepath.Join(dir, "out"))
			if err != nil {
				t.Fatal(err)
			}
			if got := fi.Mode().Perm(); got != tc.want {
				t.Errorf("mode %v, want %v", got, tc.want)
			}
			if b, _ := os.ReadFile(filepath.Join(dir, "out")); !strings.Contains(string(b), "account") {
				t.Errorf("body %q", b)
			}
		})
	}
}
