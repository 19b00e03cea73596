// Package atomicfile writes a file the way the session file is written:
// under a temporary name beside its path, synced, and renamed over the
// path only when complete. A reader never sees half a file, an interrupted
// write leaves the old one, a symbolic link at the path is replaced rather
// than followed, and the mode is the one asked for, not that of a file
// already there. The core package's FileStore and the command-line tool
// share it.
package atomicfile

import (
	"errors"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"

	"github.com/spf13/afero"
)

// A File is being written to take the place of the path it was created
// for: Commit puts it there, Abort drops it.
type File struct {
	afero.File
	fsys afero.Fs
	path string
}

// TempPrefix is the name prefix of path's temporary files, in path's
// directory: a writer that holds a lock can remove the ones a crash left.
func TempPrefix(path string) string {
	return "." + filepath.Base(path) + ".tmp-"
}

// Create starts writing path on fsys, with mode perm exactly (the umask
// does not apply). The directory must exist.
func Create(fsys afero.Fs, path string, perm os.FileMode) (*File, error) {
	f, err := afero.TempFile(fsys, filepath.Dir(path), TempPrefix(path)+"*")
	if err != nil {
		return nil, err
	}
	if err := fsys.Chmod(f.Name(), perm); err != nil {
		f.Close()
		fsys.Remove(f.Name())
		return nil, err
	}
	return &File{File: f, fsys: fsys, path: path}, nil
}

// CreateUmask is Create with mode perm less the process's umask, as open(2)
// gives a new file (and curl its output): the temporary file is created
// with perm by an exclusive open, and the kernel applies the umask.
// afero.TempFile has no mode and a later chmod would have to read the
// umask, a process-wide setting that can only be read by changing it.
func CreateUmask(fsys afero.Fs, path string, perm os.FileMode) (*File, error) {
	dir, prefix := filepath.Dir(path), TempPrefix(path)
	for range 10000 {
		name := filepath.Join(dir, prefix+strconv.FormatUint(uint64(rand.Uint32()), 10))
		f, err := fsys.OpenFile(name, os.O_RDWR|os.O_CREATE|os.O_EXCL, perm)
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		if err != nil {
			return nil, err
		}
		return &File{File: f, fsys: fsys, path: path}, nil
	}
	return nil, &fs.PathError{Op: "createtemp", Path: filepath.Join(dir, prefix+"*"), Err: fs.ErrExist}
}

// Commit syncs and closes the file and renames it over its path, then
// syncs the directory so that the rename is durable too (best effort: a
// few file systems refuse to sync a directory, and the new file is in
// place either way). On an error the temporary file is removed and the
// path left as it was.
func (f *File) Commit() error {
	err := f.File.Sync()
	if cerr := f.File.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = f.fsys.Rename(f.File.Name(), f.path)
	}
	if err != nil {
		f.fsys.Remove(f.File.Name())
		return err
	}
	if d, err := f.fsys.Open(filepath.Dir(f.path)); err == nil {
		d.Sync()
		d.Close()
	}
	return nil
}

// Abort closes and removes the temporary file; the path is left as it was.
func (f *File) Abort() {
	f.File.Close()
	f.fsys.Remove(f.File.Name())
}

// WriteFile writes data to path on fsys through a File.
func WriteFile(fsys afero.Fs, path string, data []byte, perm os.FileMode) error {
	f, err := Create(fsys, path, perm)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Abort()
		return err
	}
	return f.Commit()
}
