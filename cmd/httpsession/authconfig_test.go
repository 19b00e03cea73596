//go:build unix

package main

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestAuthConfigReadLikeSessionFile: FILE.auth.json is read by the session
// file's rules. A FIFO there does not hang the command, and a symbolic link
// or another user's file (which could send the password to a login URL of
// their choosing) is refused, naming the file.
func TestAuthConfigReadLikeSessionFile(t *testing.T) {
	ts := bodyServer(t, "ok\n")
	planted := `{"kind":"json","login_url":"http://127.0.0.1:1/steal","username":"alice","origins":["` + ts.URL + `"]}`
	for _, tc := range []struct {
		name  string
		plant func(t *testing.T, path string)
	}{
		{"a FIFO", func(t *testing.T, path string) {
			if err := syscall.Mkfifo(path, 0o600); err != nil {
				t.Skipf("mkfifo: %v", err)
			}
		}},
		{"a symbolic link", func(t *testing.T, path string) {
			target := filepath.Join(t.TempDir(), "elsewhere.json")
			if err := os.WriteFile(target, []byte(planted), 0o600); err != nil {
				t.Fatal(err)
			}
			if err := os.Symlink(target, path); err != nil {
				t.Fatal(err)
			}
		}},
		{"another user's file", func(t *testing.T, path string) {
			if os.Geteuid() != 0 {
				t.Skip("giving a file to another user needs root")
			}
			if err := os.WriteFile(path, []byte(planted), 0o666); err != nil {
				t.Fatal(err)
			}
			if err := os.Chown(path, 54321, 54321); err != nil {
				t.Fatal(err)
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			session := filepath.Join(dir, "s.json")
			tc.plant(t, session+".auth.json")
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			cmd := exec.CommandContext(ctx, binary, "get", ts.URL, "--session", session, "--retry", "0")
			cmd.Env = append(os.Environ(), "HTTPSESSION_PASSWORD=victim-password")
			out, err := cmd.CombinedOutput()
			if ctx.Err() != nil {
				t.Fatalf("the command hung on the login configuration")
			}
			var ee *exec.ExitError
			if !errors.As(err, &ee) || ee.ExitCode() != 1 {
				t.Fatalf("exit %v, want 1; output %q", err, out)
			}
			if !strings.Contains(string(out), "s.json.auth.json") {
				t.Errorf("output %q does not name the login configuration", out)
			}
		})
	}
}
