package httpsession

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/spf13/afero"
)

// faultFs is a file system whose operations on one session file (and the
// temporary files of its saves) fail as the test sets: each field, when
// set, is the error of that operation.
type faultFs struct {
	afero.Fs
	path string

	mu                                        sync.Mutex
	stat, open, read, chmod, write, sync, ren error
}

func (f *faultFs) fault(p *error) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	return *p
}

func (f *faultFs) set(p *error, err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	*p = err
}

func (f *faultFs) isTemp(name string) bool {
	return filepath.Dir(name) == filepath.Dir(f.path) && strings.HasPrefix(filepath.Base(name), "."+filepath.Base(f.path)+".tmp-")
}

func (f *faultFs) Stat(name string) (os.FileInfo, error) {
	if err := f.fault(&f.stat); err != nil && name == f.path {
		return nil, &fs.PathError{Op: "stat", Path: name, Err: err}
	}
	return f.Fs.Stat(name)
}

func (f *faultFs) Open(name string) (afero.File, error) {
	return f.OpenFile(name, os.O_RDONLY, 0)
}

func (f *faultFs) OpenFile(name string, flag int, perm os.FileMode) (afero.File, error) {
	if err := f.fault(&f.open); err != nil && name == f.path {
		return nil, &fs.PathError{Op: "open", Path: name, Err: err}
	}
	file, err := f.Fs.OpenFile(name, flag, perm)
	if err != nil || name != f.path && !f.isTemp(name) {
		return file, err
	}
	return &faultFile{File: file, fs: f}, nil
}

func (f *faultFs) Chmod(name string, mode os.FileMode) error {
	if err := f.fault(&f.chmod); err != nil && f.isTemp(name) {
		return &fs.PathError{Op: "chmod", Path: name, Err: err}
	}
	return f.Fs.Chmod(name, mode)
}

func (f *faultFs) Rename(oldname, newname string) error {
	if err := f.fault(&f.ren); err != nil && newname == f.path {
		return &os.LinkError{Op: "rename", Old: oldname, New: newname, Err: err}
	}
	return f.Fs.Rename(oldname, newname)
}

type faultFile struct {
	afero.File
	fs *faultFs
}

func (f *faultFile) Read(p []byte) (int, error) {
	if err := f.fs.fault(&f.fs.read); err != nil {
		return 0, &fs.PathError{Op: "read", Path: f.Name(), Err: err}
	}
	return f.File.Read(p)
}

func (f *faultFile) Write(p []byte) (int, error) {
	if err := f.fs.fault(&f.fs.write); err != nil {
		// A full disk takes part of the write.
		n, _ := f.File.Write(p[:len(p)/2])
		return n, &fs.PathError{Op: "write", Path: f.Name(), Err: err}
	}
	return f.File.Write(p)
}

func (f *faultFile) Sync() error {
	if err := f.fs.fault(&f.fs.sync); err != nil {
		return &fs.PathError{Op: "sync", Path: f.Name(), Err: err}
	}
	return f.File.Sync()
}

// faultSession returns a faultFs holding a session file with one cookie,
// and the file's content.
func faultSession(t *testing.T) (*faultFs, []byte) {
	t.Helper()
	ffs := &faultFs{Fs: afero.NewMemMapFs(), path: "/s/session.json"}
	c, err := New(Options{FS: ffs, SessionFile: ffs.path})
	if err != nil {
		t.Fatal(err)
	}
	c.Jar().SetCookieHeaders(psURL(t, "https://shop.example/"), []string{"a=1; Max-Age=3600"})
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	data, err := afero.ReadFile(ffs.Fs, ffs.path)
	if err != nil {
		t.Fatal(err)
	}
	return ffs, data
}

// TestSessionFileReadErrors: a session file that exists but can't be read
// (an I/O error, no permission, a directory at the path) is an error, for
// New and for every Save, never an empty session: the file is left as it
// is, and no save writes over it.
func TestSessionFileReadErrors(t *testing.T) {
	tests := []struct {
		name  string
		fault func(*faultFs)
		want  error
	}{
		{"stat fails with EIO", func(f *faultFs) { f.set(&f.stat, syscall.EIO) }, syscall.EIO},
		{"stat fails with EACCES", func(f *faultFs) { f.set(&f.stat, syscall.EACCES) }, fs.ErrPermission},
		{"open fails with EACCES", func(f *faultFs) { f.set(&f.open, syscall.EACCES) }, fs.ErrPermission},
		{"open fails with EIO", func(f *faultFs) { f.set(&f.open, syscall.EIO) }, syscall.EIO},
		{"read fails with EIO", func(f *faultFs) { f.set(&f.read, syscall.EIO) }, syscall.EIO},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ffs, before := faultSession(t)
			tt.fault(ffs)
			if c, err := New(Options{FS: ffs, SessionFile: ffs.path}); !errors.Is(err, tt.want) {
				if err == nil {
					c.Close()
				}
				t.Errorf("New with the session file unreadable: %v, want an error matching %v", err, tt.want)
			}

			// A Client that loaded the file before it became unreadable.
			*ffs = faultFs{Fs: ffs.Fs, path: ffs.path}
			c, err := New(Options{FS: ffs, SessionFile: ffs.path})
			if err != nil {
				t.Fatal(err)
			}
			tt.fault(ffs)
			if err := c.Save(); !errors.Is(err, tt.want) {
				t.Errorf("Save of an unchanged session, file unreadable: %v, want an error matching %v", err, tt.want)
			}
			c.Jar().SetCookieHeaders(psURL(t, "https://shop.example/"), []string{"b=2; Max-Age=3600"})
			if err := c.Save(); !errors.Is(err, tt.want) {
				t.Errorf("Save of a changed session, file unreadable: %v, want an error matching %v", err, tt.want)
			}
			if after, _ := afero.ReadFile(ffs.Fs, ffs.path); !bytes.Equal(after, before) {
				t.Errorf("the unreadable session file was written over:\n%s\nwas\n%s", after, before)
			}
		})
	}

	t.Run("a directory at the path", func(t *testing.T) {
		ffs, _ := faultSession(t)
		c, err := New(Options{FS: ffs, SessionFile: ffs.path})
		if err != nil {
			t.Fatal(err)
		}
		if err := ffs.Remove(ffs.path); err != nil {
			t.Fatal(err)
		}
		if err := ffs.Mkdir(ffs.path, 0o700); err != nil {
			t.Fatal(err)
		}
		if _, err := New(Options{FS: ffs, SessionFile: ffs.path}); !errors.Is(err, ErrCorruptSession) {
			t.Errorf("New with a directory at the path: %v, want ErrCorruptSession", err)
		}
		c.Jar().SetCookieHeaders(psURL(t, "https://shop.example/"), []string{"b=2; Max-Age=3600"})
		if err := c.Save(); !errors.Is(err, ErrCorruptSession) {
			t.Errorf("Save with a directory at the path: %v, want ErrCorruptSession", err)
		}
		if fi, err := ffs.Stat(ffs.path); err != nil || !fi.IsDir() {
			t.Errorf("the directory at the path after Save: %v, %v; want it still a directory", fi, err)
		}
	})
}

// TestSessionFileSaveErrors: a save that fails part way (chmod, write,
// fsync or rename of the new file fails) reports the error, leaves the old
// file as it was and no temporary file behind; the next save, once the
// file system works again, writes the change.
func TestSessionFileSaveErrors(t *testing.T) {
	tests := []struct {
		name  string
		fault func(f *faultFs) *error
		err   error
	}{
		{"chmod", func(f *faultFs) *error { return &f.chmod }, syscall.EPERM},
		{"write on a full disk", func(f *faultFs) *error { return &f.write }, syscall.ENOSPC},
		{"fsync", func(f *faultFs) *error { return &f.sync }, syscall.EIO},
		{"rename", func(f *faultFs) *error { return &f.ren }, syscall.EACCES},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ffs, before := faultSession(t)
			c, err := New(Options{FS: ffs, SessionFile: ffs.path})
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			c.Jar().SetCookieHeaders(psURL(t, "https://shop.example/"), []string{"b=2; Max-Age=3600"})
			ffs.set(tt.fault(ffs), tt.err)
			if err := c.Save(); !errors.Is(err, tt.err) {
				t.Errorf("Save with %s failing: %v, want an error matching %v", tt.name, err, tt.err)
			}
			if after, _ := afero.ReadFile(ffs.Fs, ffs.path); !bytes.Equal(after, before) {
				t.Errorf("the session file after the failed save:\n%s\nwant it unchanged:\n%s", after, before)
			}
			names, err := afero.ReadDir(ffs.Fs, filepath.Dir(ffs.path))
			if err != nil {
				t.Fatal(err)
			}
			for _, fi := range names {
				if ffs.isTemp(filepath.Join(filepath.Dir(ffs.path), fi.Name())) {
					t.Errorf("temporary file %s left behind by the failed save", fi.Name())
				}
			}

			ffs.set(tt.fault(ffs), nil)
			if err := c.Save(); err != nil {
				t.Fatalf("Save once the file system works again: %v", err)
			}
			if after, _ := afero.ReadFile(ffs.Fs, ffs.path); !bytes.Contains(after, []byte(`"b"`)) {
				t.Errorf("the session file after the next save lacks the cookie the failed save did not write:\n%s", after)
			}
		})
	}
}

// lossyStore is a Store in memory that can lose its document, as a Redis
// restarted empty does, and whose Load can fail.
type lossyStore struct {
	mu      sync.Mutex
	data    []byte
	loadErr error
}

func (s *lossyStore) Load() ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.data, s.loadErr
}

func (s *lossyStore) Update(fn func([]byte) ([]byte, error)) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.loadErr != nil {
		return s.loadErr
	}
	next, err := fn(s.data)
	if err == nil && next != nil {
		s.data = next
	}
	return err
}

func (s *lossyStore) setData(b []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.data = b
}

func (s *lossyStore) setLoadErr(err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.loadErr = err
}

// TestSaveRestoresLostToken: a store that lost the session (emptied, or
// rewritten without a token by a writer that had none) gets the token back
// on the next save, even one that changed nothing; a save whose reading of
// the store fails reports the error, whether the session changed or not.
func TestSaveRestoresLostToken(t *testing.T) {
	ts := okServer(t)
	st := &lossyStore{}
	c, err := New(Options{Store: st, Auth: &rotatingAuth{}, AuthOrigins: []string{ts.URL}})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	get(t, c, ts.URL)
	stored := func() *Token {
		t.Helper()
		tok, err := LoadSession(st, NewJar(nil))
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
	if tok := stored(); tok == nil || tok.AccessToken != "at-1" {
		t.Fatalf("stored token after login = %v, want at-1", tok)
	}

	st.setData(nil) // restarted empty
	if err := c.Save(); err != nil {
		t.Fatal(err)
	}
	if tok := stored(); tok == nil || tok.AccessToken != "at-1" {
		t.Errorf("stored token after a save into an emptied store = %v, want at-1 back", tok)
	}

	other := &lossyStore{} // a writer without a token
	jar := NewJar(nil)
	jar.SetCookieHeaders(psURL(t, ts.URL), []string{"x=1; Max-Age=3600"})
	if err := SaveSession(other, jar, nil, nil); err != nil {
		t.Fatal(err)
	}
	st.setData(other.data)
	if err := c.Save(); err != nil {
		t.Fatal(err)
	}
	if tok := stored(); tok == nil || tok.AccessToken != "at-1" {
		t.Errorf("stored token after a save into a document without one = %v, want at-1 back", tok)
	}

	st.setLoadErr(syscall.EIO)
	if err := c.Save(); !errors.Is(err, syscall.EIO) {
		t.Errorf("Save of an unchanged session, store failing: %v, want EIO", err)
	}
	resp, err := c.Get(context.Background(), ts.URL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	c.Jar().SetCookieHeaders(psURL(t, ts.URL), []string{"y=2; Max-Age=3600"})
	if err := c.Save(); !errors.Is(err, syscall.EIO) {
		t.Errorf("Save of a changed session, store failing: %v, want EIO", err)
	}
}
