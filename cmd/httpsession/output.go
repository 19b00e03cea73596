package main

import (
	"fmt"
	"io"
	"net/http"
	"os"

	"github.com/httpsession/httpsession/internal/atomicfile"
	"github.com/spf13/afero"
)

// An atomicFile is written under a temporary name beside its path and
// renamed over it only when complete, the way the session file is (package
// atomicfile): a reader never sees half a file, an interrupted command
// leaves the old one, and the mode is the one asked for (less the umask),
// not that of a file already there.
type atomicFile struct {
	*atomicfile.File
	path string
}

// createAtomic starts writing path with mode perm less the process's
// umask, as open(2) gives it.
func createAtomic(path string, perm os.FileMode) (*atomicFile, error) {
	f, err := atomicfile.CreateUmask(afero.NewOsFs(), path, perm)
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

// openOutput opens path for writing with mode perm (less the umask), or
// standard output for "" and "-". A new path or a regular file is written
// through an atomicFile: done(true) puts the complete file in place,
// done(false) leaves whatever was at path untouched. Anything else at path
// — a character device such as /dev/null, a FIFO, a symbolic link such as
// /dev/stdout — is opened and written into, as curl does: replacing it
// would turn a device into a regular file, and renaming in /dev fails.
func openOutput(e *env, path string, perm os.FileMode) (w io.Writer, done func(keep bool) error, err error) {
	if path == "" || path == "-" {
		return e.stdout, func(bool) error { return nil }, nil
	}
	if fi, err := os.Lstat(path); err == nil && !fi.Mode().IsRegular() && !fi.IsDir() {
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, perm)
		if err != nil {
			return nil, nil, err
		}
		return f, func(bool) error { return f.Close() }, nil
	}
	f, err := createAtomic(path, perm)
	if err != nil {
		return nil, nil, err
	}
	return f, f.finish, nil
}

// bodyMode is the mode -o creates a response body with. A response the
// request may have been authenticated for — one sent with a session file
// (its cookies, its token), user info in the URL, or an Authorization or
// Cookie header — is 0600, readable by its owner alone; any other is 0666
// less the umask, as curl creates it.
func bodyMode(session string, req *http.Request) os.FileMode {
	if session != "" || req.URL.User != nil || req.Header.Get("Authorization") != "" || req.Header.Get("Cookie") != "" {
		return 0o600
	}
	return 0o666
}
