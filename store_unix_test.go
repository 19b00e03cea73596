//go:build unix

package httpsession

import (
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// TestFileStoreRefusesPlantedLockLink: a symbolic link planted as the lock
// file (in a shared directory, say) is not followed: the save fails and the
// link's target is neither created nor touched.
func TestFileStoreRefusesPlantedLockLink(t *testing.T) {
	dir := t.TempDir()
	target := filepath.Join(dir, "victim")
	path := filepath.Join(dir, "session.json")
	if err := os.Symlink(target, path+".lock"); err != nil {
		t.Fatal(err)
	}
	st := NewFileStore(nil, path)
	err := st.Update(func([]byte) ([]byte, error) { return []byte(`{"version":1}`), nil })
	if err == nil {
		t.Fatal("Update through a planted lock link succeeded")
	}
	if _, err := os.Lstat(target); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the link's target exists after Update (Lstat error %v)", err)
	}
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("session file written despite the lock failure (Stat error %v)", err)
	}
}

// TestFileStoreRefusesSpecialFiles: only a regular file is read: a FIFO
// would block the open forever and a device never ends.
func TestFileStoreRefusesSpecialFiles(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo.json")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	zero := filepath.Join(dir, "zero.json")
	if err := os.Symlink("/dev/zero", zero); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{fifo, zero} {
		_, err := NewFileStore(nil, path).Load()
		var se *SessionFileError
		if !errors.As(err, &se) || !errors.Is(err, ErrCorruptSession) {
			t.Errorf("Load(%s) error = %v, want a *SessionFileError", filepath.Base(path), err)
		}
	}
}

// TestFileStoreRefusesForeignFiles: a session file or a lock file that
// belongs to another user is refused with an *OwnerError naming the file
// and the owner, and nothing is written.
func TestFileStoreRefusesForeignFiles(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("giving a file to another user needs root")
	}
	const other = 54321
	for _, which := range []string{"session", "lock"} {
		dir := t.TempDir()
		path := filepath.Join(dir, "session.json")
		foreign := path
		if which == "lock" {
			foreign = path + ".lock"
		}
		if err := os.WriteFile(foreign, []byte(`{"version":1}`), 0o666); err != nil {
			t.Fatal(err)
		}
		if err := os.Chown(foreign, other, other); err != nil {
			t.Fatal(err)
		}
		st := NewFileStore(nil, path)
		err := st.Update(func([]byte) ([]byte, error) { return []byte(`{"version":1,"x":1}`), nil })
		var oe *OwnerError
		if !errors.As(err, &oe) || !errors.Is(err, ErrForeignFile) || oe.UID != other || oe.Path != foreign {
			t.Errorf("%s: Update error = %v, want an *OwnerError for %s owned by %d", which, err, foreign, other)
		}
		if which == "session" {
			if _, err := st.Load(); !errors.Is(err, ErrForeignFile) {
				t.Errorf("Load error = %v, want ErrForeignFile", err)
			}
		}
		if b, _ := os.ReadFile(path); which == "session" && string(b) != `{"version":1}` {
			t.Errorf("%s: session file now %q, want it untouched", which, b)
		}
	}
}

// TestFileStoreRefusesLinkedFile: a symbolic link at the session file's
// path is not followed to read another file (a save would replace the link
// anyway): Load refuses it with a *SessionFileError.
func TestFileStoreRefusesLinkedFile(t *testing.T) {
	dir := t.TempDir()
	target := filepath.Join(dir, "elsewhere.json")
	if err := os.WriteFile(target, []byte(`{"version":1}`), 0o600); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "session.json")
	if err := os.Symlink(target, path); err != nil {
		t.Fatal(err)
	}
	b, err := NewFileStore(nil, path).Load()
	var se *SessionFileError
	if !errors.As(err, &se) || se.Path != path {
		t.Errorf("Load through a link = %q, %v; want a *SessionFileError for %s", b, err, path)
	}
}
