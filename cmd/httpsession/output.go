package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// An atomicFile is written under a temporary name beside its path and
// renamed over it only when complete, the way the session file is: a
// reader never sees half a file, an interrupted command leaves the old one,
// a symbolic link at path is replaced rather than followed, and the mode is
// the one asked for, not that of a file already there.
type atomicFile struct {
	*os.File
	path string
}

// createAtomic starts writing path with mode perm (before umask for
// modes wider than 0600; a 0600 file is 0600 whatever the umask).
func createAtomic(path string, perm os.FileMode) (*atomicFile, error) {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return nil, err
	}
	if perm != 0o600 {
		// CreateTemp makes 0600; wider modes follow the umask like
		// os.Create's would.
		umask := os.FileMode(0o022)
		perm &^= umask
	}
	if err := f.Chmod(perm); err != nil {
		f.Close()
		os.Remove(f.Name())
		return nil, err
	}
	return &atomicFile{File: f, path: path}, nil
}

// finish makes the file take path's place when keep is true, and removes
// it otherwise.
func (a *atomicFile) finish(keep bool) error {
	if !keep {
		a.File.Close()
		os.Remove(a.File.Name())
		return nil
	}
	err := a.File.Sync()
	if cerr := a.File.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(a.File.Name(), a.path)
	}
	if err != nil {
		os.Remove(a.File.Name())
		return fmt.Errorf("writing %s: %w", a.path, err)
	}
	return nil
}

// writeFileAtomic writes data to path through an atomicFile.
func writeFileAtomic(path string, data []byte, perm os.FileMode) error {
	f, err := createAtomic(path, perm)
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if ferr := f.finish(err == nil); err == nil {
		err = ferr
	}
	return err
}

// openOutput opens path for writing with mode perm, or standard output for
// "" and "-". done(true) puts the complete file in place; done(false)
// leaves whatever was at path untouched.
func openOutput(e *env, path string, perm os.FileMode) (w io.Writer, done func(keep bool) error, err error) {
	if path == "" || path == "-" {
		return e.stdout, func(bool) error { return nil }, nil
	}
	f, err := createAtomic(path, perm)
	if err != nil {
		return nil, nil, err
	}
	return f, f.finish, nil
}
