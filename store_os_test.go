package httpsession

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/spf13/afero"
)

// TestFileStoreLocksThroughWrappers: a FileStore on an operating-system file
// system wrapped by afero (BasePathFs, ReadOnlyFs, CopyOnWriteFs) still
// finds the OS file under the lock file, so the lock holds across
// processes; an in-memory one does not pretend to.
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
