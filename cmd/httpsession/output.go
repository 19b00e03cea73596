package main

import (
	"fmt"
	"io"
	"os"

	"github.com/httpsession/httpsession/internal/atomicfile"
	"github.com/spf13/afero"
)

// An atomicFile is written under a temporary name beside its path and
// renamed over it only when complete, the way the session file is (package
// atomicfile): a reader never sees half a file, an interrupted command
// leaves the old one, a symbolic link at path is replaced rather than
// followed, and the mode is the one asked for, not that of a file already
// there.
type atomicFile struct {
	*atomicfile.File
	path string
}

// createAtomic starts writing path with mode perm (before umask for
// modes wider than 0600; a 0600 file is 0600 whatever the umask).
func createAtomic(path string, perm os.FileMode) (*atomicFile, error) {
	if perm != 0o600 {
		// Wider modes follow the umask like os.Create's would.
		umask := os.FileMode(0o022)
		perm &^= umask
	}
	f, err := atomicfile.Create(afero.NewOsFs(), path, perm)
	if err != nil {
		return nil, err
	}
	return &atomicFile{File: f, path: path}, nil
}

// finish makes the file take path's place when keep is true, and removes
// it otherwise.
func (a *atomicFile) finish(keep bool) error {
	if !keep {
		a.Abort()
		return nil
	}
	if err := a.Commit(); err != nil {
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
