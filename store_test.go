package httpsession

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/spf13/afero"
)

func TestFileStoreUpdate(t *testing.T) {
	for _, fsys := range testFileSystems(t) {
		t.Run(fsys.Name(), func(t *testing.T) {
			dir := tempDir(t, fsys)
			path := filepath.Join(dir, "sub", "dir", "session.json")
			st := NewFileStore(fsys, path)
			got, err := st.Load()
			if got != nil || err != nil {
				t.Fatalf("Load() of a missing file = %q, %v, want nil, nil", got, err)
			}
			err = st.Update(func(cur []byte) ([]byte, error) {
				if cur != nil {
					t.Errorf("Update saw %q for a missing file, want nil", cur)
				}
				return []byte("one"), nil
			})
			if err != nil {
				t.Fatalf("Update error: %v", err)
			}
			if got, err := st.Load(); string(got) != "one" || err != nil {
				t.Errorf("Load() = %q, %v, want %q", got, err, "one")
			}
			fi, err := fsys.Stat(path)
			if err != nil {
				t.Fatal(err)
			}
			if perm := fi.Mode().Perm(); perm != 0o600 {
				t.Errorf("file mode = %v, want 0600", perm)
			}
			di, err := fsys.Stat(filepath.Join(dir, "sub"))
			if err != nil {
				t.Fatal(err)
			}
			if perm := di.Mode().Perm(); perm != 0o700 {
				t.Errorf("created directory mode = %v, want 0700", perm)
			}

			// nil or an error from fn write nothing.
			errBoom := errors.New("boom")
			if err := st.Update(func([]byte) ([]byte, error) { return nil, errBoom }); !errors.Is(err, errBoom) {
				t.Errorf("Update error = %v, want %v", err, errBoom)
			}
			if err := st.Update(func([]byte) ([]byte, error) { return nil, nil }); err != nil {
				t.Errorf("Update error = %v", err)
			}
			if got, _ := st.Load(); string(got) != "one" {
				t.Errorf("Load() after no-op updates = %q, want %q", got, "one")
			}
			// No temporary file is left behind.
			entries, err := afero.ReadDir(fsys, filepath.Dir(path))
			if err != nil {
				t.Fatal(err)
			}
			for _, e := range entries {
				if strings.Contains(e.Name(), ".tmp-") {
					t.Errorf("temporary file %s left behind", e.Name())
				}
			}
		})
	}
}

func TestFileStoreRemovesStaleTemps(t *testing.T) {
	fsys := afero.NewMemMapFs()
	st := NewFileStore(fsys, "/s/session.json")
	stale := "/s/.session.json.tmp-12345"
	if err := afero.WriteFile(fsys, stale, []byte("half"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := st.Update(func([]byte) ([]byte, error) { return []byte("x"), nil }); err != nil {
		t.Fatal(err)
	}
	if ok, _ := afero.Exists(fsys, stale); ok {
		t.Errorf("stale %s still exists after a save", stale)
	}
}

func TestFileStoreTooLarge(t *testing.T) {
	// A sparse file: its size is what counts, and writing 64 MiB takes time.
	fsys := afero.NewOsFs()
	path := filepath.Join(t.TempDir(), "big.json")
	if err := afero.WriteFile(fsys, path, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(path, maxSessionFileSize+1); err != nil {
		t.Fatal(err)
	}
	st := NewFileStore(fsys, path)
	_, err := st.Load()
	var se *SessionFileError
	if !errors.As(err, &se) || se.Path != path {
		t.Fatalf("Load() of an oversized file error = %v, want a *SessionFileError for %s", err, path)
	}
	called := false
	err = st.Update(func([]byte) ([]byte, error) { called = true; return []byte("x"), nil })
	if !errors.Is(err, ErrCorruptSession) || called {
		t.Errorf("Update of an oversized file = %v (fn called: %v), want ErrCorruptSession without calling fn", err, called)
	}
}

// TestFileStoreLock runs read-modify-write cycles from many goroutines, each
// with its own FileStore: no increment may be lost.
func TestFileStoreLock(t *testing.T) {
	t.Parallel()
	for _, fsys := range testFileSystems(t) {
		t.Run(fsys.Name(), func(t *testing.T) {
			path := filepath.Join(tempDir(t, fsys), "counter")
			const workers, rounds = 8, 25
			var wg sync.WaitGroup
			for range workers {
				wg.Go(func() {
					st := NewFileStore(fsys, path)
					for range rounds {
						err := st.Update(func(cur []byte) ([]byte, error) {
							n := 0
							if cur != nil {
								if _, err := fmt.Sscan(string(cur), &n); err != nil {
									return nil, err
								}
							}
							return fmt.Appendf(nil, "%d", n+1), nil
						})
						if err != nil {
							t.Error(err)
							return
						}
					}
				})
			}
			wg.Wait()
			got, err := NewFileStore(fsys, path).Load()
			if want := fmt.Sprint(workers * rounds); string(got) != want || err != nil {
				t.Errorf("counter = %q, %v, want %s", got, err, want)
			}
		})
	}
}

func TestFileStoreMoveAside(t *testing.T) {
	fsys := afero.NewMemMapFs()
	path := "/d/session.json"
	bad := []byte(`{"version":`)
	if err := afero.WriteFile(fsys, path, bad, 0o600); err != nil {
		t.Fatal(err)
	}
	st := NewFileStore(fsys, path)
	isBad := func(b []byte) bool { _, err := decodeSession(b); return err != nil }
	name, err := st.moveAside(t0, isBad)
	if want := path + ".corrupt-20260102T150405.000Z"; name != want || err != nil {
		t.Fatalf("moveAside() = %q, %v, want %q", name, err, want)
	}
	if got, _ := afero.ReadFile(fsys, name); !bytes.Equal(got, bad) {
		t.Errorf("moved file holds %q, want %q", got, bad)
	}
	if ok, _ := afero.Exists(fsys, path); ok {
		t.Errorf("%s still exists", path)
	}
	// A second corrupt file in the same millisecond gets its own name.
	afero.WriteFile(fsys, path, bad, 0o600)
	name2, err := st.moveAside(t0, isBad)
	if name2 == name || err != nil {
		t.Errorf("second moveAside() = %q, %v, want a new name", name2, err)
	}
	// A good file is left alone.
	good := sampleDoc().encode(nil)
	afero.WriteFile(fsys, path, good, 0o600)
	if name, err := st.moveAside(t0, isBad); name != "" || err != nil {
		t.Errorf("moveAside() of a good file = %q, %v, want \"\", nil", name, err)
	}
}

// testFileSystems returns the file systems the store tests run on: the
// operating system's (with flock) and an in-memory one.
func testFileSystems(t *testing.T) []afero.Fs {
	return []afero.Fs{afero.NewOsFs(), afero.NewMemMapFs()}
}

// tempDir returns a fresh directory on fsys.
func tempDir(t *testing.T, fsys afero.Fs) string {
	t.Helper()
	if _, ok := fsys.(*afero.OsFs); ok {
		return t.TempDir()
	}
	dir, err := afero.TempDir(fsys, "", "httpsession")
	if err != nil {
		t.Fatal(err)
	}
	return dir
}
