//go:build unix

package main

import (
	"bytes"
	"database/sql"
	"errors"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/httpsession/httpsession/internal/browserfixture"
	_ "modernc.org/sqlite"
)

// TestSignalRemovesDatabaseCopy: SIGINT or SIGTERM while a browser import
// waits (here for a Secret Service that never answers, to get the key of a
// v11 cookie) ends the command with exit 130 and removes the temporary,
// plain-text copy of the cookie database.
func TestSignalRemovesDatabaseCopy(t *testing.T) {
	for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGTERM} {
		t.Run(sig.String(), func(t *testing.T) {
			home := t.TempDir()
			profile := filepath.Join(home, ".config", "chromium", "Default")
			if err := os.MkdirAll(profile, 0o700); err != nil {
				t.Fatal(err)
			}
			data, err := os.ReadFile(filepath.Join("..", "..", "browsercookies", "testdata", "chromium", "Cookies"))
			if err != nil {
				t.Fatal(err)
			}
			db := filepath.Join(profile, "Cookies")
			if err := os.WriteFile(db, data, 0o600); err != nil {
				t.Fatal(err)
			}
			if err := browserfixture.RestampChromium(db, time.Now().Add(24*time.Hour)); err != nil {
				t.Fatal(err)
			}
			setV11(t, db)

			// A session bus that accepts and never answers.
			bus := filepath.Join(t.TempDir(), "bus")
			ln, err := net.Listen("unix", bus)
			if err != nil {
				t.Skipf("unix socket: %v", err)
			}
			defer ln.Close()
			accepted := make(chan net.Conn, 1)
			go func() {
				if c, err := ln.Accept(); err == nil {
					accepted <- c
				}
			}()

			tmp := t.TempDir()
			cmd := exec.Command(binary, "cookies", "import", "--from-browser", "chromium", "--session", filepath.Join(home, "s.json"))
			cmd.Env = append(os.Environ(), "HOME="+home, "XDG_CONFIG_HOME="+filepath.Join(home, ".config"), "TMPDIR="+tmp,
				"DBUS_SESSION_BUS_ADDRESS=unix:path="+bus)
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			select {
			case c := <-accepted:
				defer c.Close()
			case <-time.After(30 * time.Second):
				cmd.Process.Kill()
				cmd.Wait()
				t.Fatalf("the import never asked the Secret Service; stderr %q", stderr.String())
			}
			if copies, _ := filepath.Glob(filepath.Join(tmp, "browsercookies-*")); len(copies) != 1 {
				t.Fatalf("temporary copies %q while the import waits, want one", copies)
			}
			if err := cmd.Process.Signal(sig); err != nil {
				t.Fatal(err)
			}
			waited := make(chan error, 1)
			go func() { waited <- cmd.Wait() }()
			var werr error
			select {
			case werr = <-waited:
			case <-time.After(30 * time.Second):
				cmd.Process.Kill()
				<-waited
				t.Fatalf("%v did not end the import", sig)
			}
			var ee *exec.ExitError
			if !errors.As(werr, &ee) || ee.ExitCode() != exitInterrupted {
				t.Errorf("after %v: %v, want exit %d; stderr %q", sig, werr, exitInterrupted, stderr.String())
			}
			if left, _ := os.ReadDir(tmp); len(left) > 0 {
				t.Errorf("after %v the temporary directory holds %v: the database copy was left behind", sig, left)
			}
		})
	}
}

// setV11 gives every cookie of the Chromium database at path a v11
// encrypted value, whose key only the Secret Service has.
func setV11(t *testing.T, path string) {
	t.Helper()
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(`UPDATE cookies SET encrypted_value = X'763131000102030405060708090a0b0c0d0e0f', value = ''`); err != nil {
		t.Fatal(err)
	}
}
