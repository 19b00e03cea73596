package httpsession

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/spf13/afero"
)

// TestFileStoreLocksThroughWrappers: a FileStore on an operating-system file
// system wrapped by afero's BasePathFs still finds the OS file under the
// lock file, so the lock holds across processes; an in-memory one does not
// pretend to.
func TestFileStoreLocksThroughWrappers(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name string
		fs   afero.Fs
		os   bool
	}{
		{"OsFs", afero.NewOsFs(), true},
		{"BasePathFs", afero.NewBasePathFs(afero.NewOsFs(), dir), true},
		{"BasePathFs over BasePathFs", afero.NewBasePathFs(afero.NewBasePathFs(afero.NewOsFs(), filepath.Dir(dir)), "/"+filepath.Base(dir)), true},
		{"MemMapFs", afero.NewMemMapFs(), false},
	}
	for _, tt := range tests {
		name := filepath.Join(dir, "x.lock")
		if tt.name != "OsFs" && tt.name != "MemMapFs" {
			name = "/x.lock"
		}
		f, err := tt.fs.OpenFile(name, os.O_RDWR|os.O_CREATE, 0o600)
		if err != nil {
			t.Fatalf("%s: open: %v", tt.name, err)
		}
		osf, ok := osFile(f)
		f.Close()
		if ok != tt.os {
			t.Errorf("%s: osFile found an OS file = %v, want %v", tt.name, ok, tt.os)
		}
		if ok && osf.Name() != filepath.Join(dir, "x.lock") {
			t.Errorf("%s: OS file %q, want %q", tt.name, osf.Name(), filepath.Join(dir, "x.lock"))
		}
	}
}

// TestFileStoreOnReadOnlyFs: a ReadOnlyFs refuses to open the lock file
// for writing, so a FileStore on one reads the session but its Update
// fails rather than writing without the lock; the file is unchanged.
func TestFileStoreOnReadOnlyFs(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "s.json")
	if err := os.WriteFile(path, []byte(`{"version":1}`), 0o600); err != nil {
		t.Fatal(err)
	}
	st := NewFileStore(afero.NewReadOnlyFs(afero.NewOsFs()), path)
	if data, err := st.Load(); err != nil || string(data) != `{"version":1}` {
		t.Fatalf("Load = %q, %v; want the file", data, err)
	}
	ran := false
	err := st.Update(func([]byte) ([]byte, error) { ran = true; return []byte(`{"version":1,"x":1}`), nil })
	if err == nil || ran {
		t.Errorf("Update on a ReadOnlyFs: err %v, fn ran %v; want an error before fn", err, ran)
	}
	if b, _ := os.ReadFile(path); string(b) != `{"version":1}` {
		t.Errorf("file after Update = %q, want it unchanged", b)
	}
}
