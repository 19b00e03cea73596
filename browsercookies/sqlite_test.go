//go:build unix

package browsercookies

import (
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// TestProfileFIFOsNotRead: a FIFO in place of any file of a profile — the
// cookie database, its -wal file, the session store, profiles.ini, Local
// State — is not opened for a read that would wait forever: the import
// ends at once with ErrNotRegularFile.
func TestProfileFIFOsNotRead(t *testing.T) {
	for _, tc := range []struct {
		name string
		fifo string // the file made a FIFO, in a copy of the fixtures
		read func(dir string) error
	}{
		{"Firefox cookies.sqlite", "cookies.sqlite", func(dir string) error {
			var r Report
			_, err := readFirefox(dir, &r)
			return err
		}},
		{"Firefox cookies.sqlite-wal", "cookies.sqlite-wal", func(dir string) error {
			var r Report
			_, err := readFirefox(dir, &r)
			return err
		}},
		{"Firefox session store", "sessionstore.jsonlz4", func(dir string) error {
			var r Report
			_, err := readFirefox(dir, &r)
			return err
		}},
		{"Firefox profiles.ini", "profiles.ini", func(dir string) error {
			_, err := firefoxProfiles(dir)
			return err
		}},
		{"Chromium Cookies", "Cookies", func(dir string) error {
			_, err := readChromiumDB(filepath.Join(dir, "Cookies"), linuxDecrypter(noV11), &Report{})
			return err
		}},
		{"Chromium Local State", "Local State", func(dir string) error {
			_, err := readLocalState(dir)
			return err
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			copyFixture(t, dir, map[string]string{
				"firefox/cookies.sqlite": "cookies.sqlite", "firefox/sessionstore.jsonlz4": "sessionstore.jsonlz4",
				"chromium/Cookies": "Cookies",
			})
			fifo := filepath.Join(dir, tc.fifo)
			os.Remove(fifo)
			if err := syscall.Mkfifo(fifo, 0o600); err != nil {
				t.Skipf("mkfifo: %v", err)
			}
			done := make(chan error, 1)
			go func() { done <- tc.read(dir) }()
			select {
			case err := <-done:
				if !errors.Is(err, ErrNotRegularFile) {
					t.Errorf("read with a FIFO as %s: %v, want ErrNotRegularFile", tc.fifo, err)
				}
			case <-time.After(20 * time.Second):
				// Unblock the reader that waits for a writer, then fail.
				if w, err := os.OpenFile(fifo, os.O_WRONLY|syscall.O_NONBLOCK, 0); err == nil {
					w.Close()
				}
				t.Fatalf("read with a FIFO as %s hangs", tc.fifo)
			}
		})
	}
}

// TestDatabaseCopyPrivateAndRemoved: the temporary copy of a cookie
// database is a 0600 file in a 0700 directory, and cleanup removes it all.
func TestDatabaseCopyPrivateAndRemoved(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	db, cleanup, err := openCopy(filepath.Join("testdata", "chromium", "Cookies"))
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Ping(); err != nil {
		t.Fatal(err)
	}
	dirs, _ := filepath.Glob(filepath.Join(tmp, "browsercookies-*"))
	if len(dirs) != 1 {
		t.Fatalf("temporary directories %q, want one", dirs)
	}
	if fi, err := os.Stat(dirs[0]); err != nil || fi.Mode().Perm() != 0o700 {
		t.Errorf("temporary directory mode %v (%v), want 0700", fi.Mode().Perm(), err)
	}
	files, _ := filepath.Glob(filepath.Join(dirs[0], "*"))
	for _, f := range files {
		if fi, err := os.Stat(f); err != nil || fi.Mode().Perm() != 0o600 {
			t.Errorf("%s mode %v (%v), want 0600", filepath.Base(f), fi.Mode().Perm(), err)
		}
	}
	cleanup()
	if left, _ := os.ReadDir(tmp); len(left) > 0 {
		t.Errorf("left after cleanup: %v", left)
	}
}
