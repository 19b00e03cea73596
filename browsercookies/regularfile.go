package browsercookies

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"syscall"
)

// ErrNotRegularFile matches the error for a file of a browser profile —
// the cookie database, its -wal or -journal file, profiles.ini, Local
// State, the session store — that is not a regular file: a FIFO (whose
// open or read would wait forever for a writer), a device, a socket or a
// directory. Such a file is not read, and the import ends with this error.
var ErrNotRegularFile = errors.New("browsercookies: not a regular file")

// maxProfileFile bounds what readRegular reads of a profile file that is
// read whole (profiles.ini, Local State, the session store): a session
// store of a few thousand tabs is tens of megabytes.
const maxProfileFile = 256 << 20

// openRegular opens path for reading if it is a regular file. The open
// does not block (O_NONBLOCK: a FIFO would otherwise wait there for a
// writer, beyond the reach of Ctrl-C), and the type is checked on the
// opened file, so that nothing swapped in after a check is read.
func openRegular(path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, err
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		f.Close()
		return nil, &fs.PathError{Op: "open", Path: path, Err: ErrNotRegularFile}
	}
	return f, nil
}

// readRegular reads the regular file at path (see openRegular), at most
// maxProfileFile bytes of it.
func readRegular(path string) ([]byte, error) {
	f, err := openRegular(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxProfileFile+1))
	if err != nil {
		return nil, err
	}
	if len(data) > maxProfileFile {
		return nil, fmt.Errorf("%s: larger than %d bytes", path, maxProfileFile)
	}
	return data, nil
}
