package browsercookies

// This file reads the files of a browser profile: only regular files, and
// a SQLite database through a private copy.

import (
	"database/sql"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"

	_ "modernc.org/sqlite" // the pure-Go SQLite driver "sqlite"
)

// openCopy copies the SQLite database at path, with its -wal and -journal
// files, into a temporary directory and opens the copy, so that a running
// browser's lock is no obstacle and the browser's files are never written.
// The directory is 0700 and the copies 0600: they hold the cookies in
// clear. cleanup closes the database and removes the copy; it runs on
// every return of the readers, and the CLI turns SIGINT and SIGTERM into
// a cancelled context, so that it runs then too.
func openCopy(path string) (db *sql.DB, cleanup func(), err error) {
	tmp, err := os.MkdirTemp("", "browsercookies-")
	if err != nil {
		return nil, nil, fmt.Errorf("browsercookies: copy database: %w", err)
	}
	rm := func() { os.RemoveAll(tmp) }
	dst := filepath.Join(tmp, "db.sqlite")
	for _, suffix := range []string{"", "-wal", "-journal"} {
		err := copyFile(path+suffix, dst+suffix)
		if suffix != "" && errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			rm()
			return nil, nil, fmt.Errorf("browsercookies: copy database: %w", err)
		}
	}
	db, err = sql.Open("sqlite", dst)
	if err != nil {
		rm()
		return nil, nil, fmt.Errorf("browsercookies: open database: %w", err)
	}
	db.SetMaxOpenConns(1)
	return db, func() { db.Close(); rm() }, nil
}

// copyFile copies the regular file src (see openRegular) to a new file dst
// readable by the owner only: the copy holds the same secrets as the
// original.
func copyFile(src, dst string) error {
	in, err := openRegular(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// columns returns the column names of table.
func columns(db *sql.DB, table string) (map[string]bool, error) {
	rows, err := db.Query("SELECT name FROM pragma_table_info(?)", table)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	cols := map[string]bool{}
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return nil, err
		}
		cols[n] = true
	}
	return cols, rows.Err()
}

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
