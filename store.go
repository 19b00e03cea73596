package httpsession

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/httpsession/httpsession/internal/atomicfile"
	"github.com/httpsession/httpsession/internal/limits"
	"github.com/spf13/afero"
)

// A Store keeps the persisted form of a session: one document (the session
// file's JSON) that several processes may read and replace. FileStore keeps
// it in a file; a networked store (Redis, a database) can take its place by
// implementing the same two methods. The session code does the decoding and
// the merging, so a Store only has to move bytes and serialise updates.
type Store interface {
	// Load returns the stored document, or nil and no error when nothing
	// is stored yet. It must never return a partly written document.
	Load() ([]byte, error)

	// Update calls fn with the stored document (nil when there is none)
	// while holding a lock that excludes every other Update of the same
	// session, in this process and in others, and then stores what fn
	// returned, atomically. When fn returns an error or a nil slice,
	// nothing is stored.
	Update(fn func(current []byte) ([]byte, error)) error
}

// A Store may also implement MigratingStore, and a Store that other
// processes share implements RefreshLocker.

// A MigratingStore is a Store that may hold its document in an older form
// than the one it writes, as agestore's Store does with a plain-text file
// it encrypts. A save of a session that did not change, otherwise skipped,
// still calls Update while NeedsWrite reports true, so that the next Save
// migrates the document.
type MigratingStore interface {
	// NeedsWrite reports whether the document last read must be written
	// again although the session did not change.
	NeedsWrite() bool
}

// A RefreshLocker is a Store that lets the processes sharing it take turns
// refreshing the session's token, so that a single-use refresh token is
// presented once however many processes find the token expired. The token
// manager holds the lock while it re-reads the store, refreshes (unless
// another process already did) and stores the new token.
type RefreshLocker interface {
	// LockRefresh waits until the caller holds the refresh lock of the
	// session, or until ctx ends, which returns ctx's error. unlock
	// releases the lock; it is safe to call more than once. A holder
	// that dies must not keep the lock forever (a file lock dies with its
	// process, a lease expires).
	LockRefresh(ctx context.Context) (unlock func(), err error)
}

// A PaceStore is a Store that shares the pacing of the rate limits servers
// advertise among the processes using it, so that a fleet acting as one
// user keeps to one quota: FileStore (a side file beside the session file)
// and redisstore implement it, and New uses it with no option. The pacer
// asks it for a send slot before each request to an origin that has sent
// a rate-limit signal, and never for other origins.
type PaceStore interface {
	// ReservePace takes the next send slot of the bucket named key, as r
	// describes (see PaceRequest), in one atomic step shared by every
	// process using the store, and returns the wait until that slot.
	// When the slot would be more than r.Max away, it is not taken:
	// wait says how far it was and release is nil. Otherwise release
	// gives the slot back if no later one was taken meanwhile (a wait
	// cancelled by its context); it may be called once. An error means
	// the shared state could not be reached; the caller then paces alone.
	ReservePace(ctx context.Context, key string, r PaceRequest) (wait time.Duration, release func(), err error)
}

// ErrForeignFile is matched (errors.Is) by the *OwnerError of a session or
// lock file that belongs to another user.
var ErrForeignFile = errors.New("httpsession: file belongs to another user")

// An OwnerError reports a session file, or its lock file, that belongs to
// another user than the one running the process. FileStore refuses such a
// file on Unix: another user's session file could hand this process their
// cookies and token, and another user's lock file could block every save.
type OwnerError struct {
	Path string
	UID  int // the file's owner
	Want int // the effective user ID of this process
}

func (e *OwnerError) Error() string {
	return fmt.Sprintf("httpsession: %s belongs to user %d, not to this process's user %d: refusing to use it", e.Path, e.UID, e.Want)
}

// Is reports whether target is ErrForeignFile.
func (e *OwnerError) Is(target error) bool { return target == ErrForeignFile }

// checkOwner refuses a file of the operating system's file system that
// belongs to another user: someone else's session file could feed this
// process their cookies, and someone else's lock file could block every
// save. Files without an owner (afero.MemMapFs, Windows) pass.
func checkOwner(fi os.FileInfo, path string) error {
	uid, ok := fileOwner(fi)
	if !ok {
		return nil
	}
	if me := os.Geteuid(); uid != me {
		return &OwnerError{Path: path, UID: uid, Want: me}
	}
	return nil
}

// maxSessionFileSize is the largest session file FileStore reads.
const maxSessionFileSize = limits.MaxSessionSize

// A FileStore is a Store that keeps the session in a file on an afero.Fs.
//
// Saves are atomic: the new document is written to a temporary file in the
// same directory, synced, closed and renamed over the old one, and the
// directory is synced too. A crash at
// any moment leaves the old file or the new one. The file is created with
// mode 0600 and a missing directory with 0700.
//
// Update serialises writers with an exclusive lock on a side file,
// path+".lock" (flock(2) on Unix, LockFileEx on Windows), whenever the file
// system gives operating-system files: afero.OsFs, or a BasePathFs over it.
// On other file systems (MemMapFs) it serialises the Updates of this
// process only. A ReadOnlyFs cannot open the lock file for writing: Update
// (and LockRefresh) fail there, as any write would; Load works. The lock file is opened
// without following a symbolic link. The lock is held only during Update,
// and the kernel releases it when a process dies, so it never goes stale.
// The side file is left in place: removing it would let two writers lock
// different files.
//
// A FileStore is safe for concurrent use by multiple goroutines.
type FileStore struct {
	fs   afero.Fs
	path string
}

var _ Store = (*FileStore)(nil)

// NewFileStore returns a store for the file at path on fsys. A nil fsys is
// the operating system's file system.
func NewFileStore(fsys afero.Fs, path string) *FileStore {
	if fsys == nil {
		fsys = afero.NewOsFs()
	}
	return &FileStore{fs: fsys, path: path}
}

// String returns the session file's path.
func (s *FileStore) String() string { return s.path }

// Load reads the session file. A missing file is no document and no error.
// A file larger than 64 MiB gives a *SessionFileError.
func (s *FileStore) Load() ([]byte, error) {
	return s.read()
}

// Update implements Store.
func (s *FileStore) Update(fn func(current []byte) ([]byte, error)) error {
	unlock, err := s.lock()
	if err != nil {
		return err
	}
	defer unlock()
	cur, err := s.read()
	if err != nil {
		return err
	}
	next, err := fn(cur)
	if err != nil || next == nil {
		return err
	}
	return s.write(next)
}

// read returns the session file's content, nil when there is none. Only a
// regular file of this process's user is read: a symbolic link is refused
// (the file is opened with O_NOFOLLOW where the system has it), a FIFO
// (which would block the open) or a device (which never ends) too, checked
// before the open and again on the opened file, which is opened without
// blocking. No more than maxSessionFileSize+1 bytes are ever read.
func (s *FileStore) read() ([]byte, error) {
	fi, err := s.lstat()
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("httpsession: read session file: %w", err)
	}
	if err := s.checkFile(fi); err != nil {
		return nil, err
	}
	f, err := s.fs.OpenFile(s.path, os.O_RDONLY|readFlags, 0)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil // removed meanwhile
	}
	if err != nil {
		return nil, fmt.Errorf("httpsession: read session file: %w", err)
	}
	defer f.Close()
	if fi, err = f.Stat(); err != nil {
		return nil, fmt.Errorf("httpsession: read session file: %w", err)
	}
	if err := s.checkFile(fi); err != nil {
		return nil, err // replaced between the lstat and the open
	}
	// One byte past the limit notices a file that grew since Stat.
	buf := bytes.NewBuffer(make([]byte, 0, fi.Size()+bytes.MinRead))
	if _, err := buf.ReadFrom(io.LimitReader(f, maxSessionFileSize+1)); err != nil {
		return nil, fmt.Errorf("httpsession: read session file: %w", err)
	}
	if buf.Len() > maxSessionFileSize {
		return nil, s.tooLarge()
	}
	return buf.Bytes(), nil
}

// lstat describes the session file without following a symbolic link,
// where the file system can tell one.
func (s *FileStore) lstat() (os.FileInfo, error) {
	if ls, ok := s.fs.(afero.Lstater); ok {
		fi, _, err := ls.LstatIfPossible(s.path)
		return fi, err
	}
	return s.fs.Stat(s.path)
}

// checkFile refuses what fi describes unless it is a regular file of this
// process's user, no larger than maxSessionFileSize.
func (s *FileStore) checkFile(fi os.FileInfo) error {
	if err := checkOwner(fi, s.path); err != nil {
		return err
	}
	switch {
	case fi.IsDir():
		return &SessionFileError{Path: s.path, Reason: "is a directory"}
	case fi.Mode()&fs.ModeSymlink != 0:
		return &SessionFileError{Path: s.path, Reason: "is a symbolic link"}
	case !fi.Mode().IsRegular():
		return &SessionFileError{Path: s.path, Reason: "is not a regular file (" + fi.Mode().Type().String() + ")"}
	case fi.Size() > maxSessionFileSize:
		return s.tooLarge()
	}
	return nil
}

func (s *FileStore) tooLarge() error {
	return &SessionFileError{Path: s.path, Reason: fmt.Sprintf("larger than %d bytes", maxSessionFileSize)}
}

// write replaces the session file with data, atomically (temporary file,
// fsync, rename), mode 0600. It runs under the lock.
func (s *FileStore) write(data []byte) error {
	dir := filepath.Dir(s.path)
	if err := s.fs.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("httpsession: create session directory: %w", err)
	}
	s.removeStaleTemps(dir)
	if err := atomicfile.WriteFile(s.fs, s.path, data, 0o600); err != nil {
		return fmt.Errorf("httpsession: write session file: %w", err)
	}
	return nil
}

// removeStaleTemps removes temporary files left by a save that crashed.
// Only a lock holder writes temporary files, so under the lock every one
// that exists is stale.
func (s *FileStore) removeStaleTemps(dir string) {
	d, err := s.fs.Open(dir)
	if err != nil {
		return
	}
	names, _ := d.Readdirnames(-1)
	d.Close()
	prefix := atomicfile.TempPrefix(s.path)
	for _, n := range names {
		if strings.HasPrefix(n, prefix) {
			s.fs.Remove(filepath.Join(dir, n))
		}
	}
}

// moveAside renames the session file to path+".corrupt-<UTC time>" if
// isBad still holds for its content under the lock, and returns the new
// name ("" when the file was missing or had been repaired meanwhile).
func (s *FileStore) moveAside(now time.Time, isBad func([]byte) bool) (string, error) {
	unlock, err := s.lock()
	if err != nil {
		return "", err
	}
	defer unlock()
	cur, err := s.read()
	var se *SessionFileError
	switch {
	case errors.As(err, &se):
		// Too large or a directory: move it aside as well.
	case err != nil:
		return "", err
	case cur == nil || !isBad(cur):
		return "", nil
	}
	base := s.path + ".corrupt-" + now.UTC().Format("20060102T150405.000Z")
	name := base
	for i := 2; ; i++ {
		if _, err := s.fs.Stat(name); errors.Is(err, fs.ErrNotExist) {
			break
		}
		name = fmt.Sprintf("%s-%d", base, i)
	}
	if err := s.fs.Rename(s.path, name); err != nil {
		return "", fmt.Errorf("httpsession: move corrupt session file aside: %w", err)
	}
	return name, nil
}

// lock takes the store's exclusive lock and returns its release. The lock
// file, path+".lock", is opened through the store's file system; when that
// gives an operating-system file (afero.OsFs, or a BasePathFs over it), the
// lock is also held against other processes (flock(2), or LockFileEx on
// Windows). On other file systems it serialises this process only; on a
// ReadOnlyFs, which refuses to open the lock file for writing, it fails.
func (s *FileStore) lock() (unlock func(), err error) {
	if err := s.fs.MkdirAll(filepath.Dir(s.path), 0o700); err != nil {
		return nil, fmt.Errorf("httpsession: create session directory: %w", err)
	}
	lf, err := s.fs.OpenFile(s.path+".lock", os.O_RDWR|os.O_CREATE|lockFlags, 0o600)
	if err != nil {
		return nil, fmt.Errorf("httpsession: lock session file: %w", err)
	}
	key := "fs:" + s.path
	osf, isOS := osFile(lf)
	if isOS {
		key = "os:" + osf.Name()
	}
	mu := pathMutex(key)
	mu.Lock()
	if isOS {
		if fi, err := osf.Stat(); err == nil {
			if err := checkOwner(fi, osf.Name()); err != nil {
				mu.Unlock()
				lf.Close()
				return nil, err
			}
		}
		if err := lockOSFile(osf); err != nil {
			mu.Unlock()
			lf.Close()
			return nil, fmt.Errorf("httpsession: lock session file: %w", &os.PathError{Op: "lock", Path: osf.Name(), Err: err})
		}
	}
	return func() {
		lf.Close() // releases the file lock
		mu.Unlock()
	}, nil
}

var _ RefreshLocker = (*FileStore)(nil)

// LockRefresh implements RefreshLocker with a second side file,
// path+".refresh.lock", locked like Update's (across processes on the
// operating system's file system) and held while a token is refreshed and
// stored; saves go on meanwhile. Waiting polls the lock every few
// milliseconds, up to 100 ms apart, and ends with ctx.
func (s *FileStore) LockRefresh(ctx context.Context) (unlock func(), err error) {
	if err := s.fs.MkdirAll(filepath.Dir(s.path), 0o700); err != nil {
		return nil, fmt.Errorf("httpsession: create session directory: %w", err)
	}
	lf, err := s.fs.OpenFile(s.path+".refresh.lock", os.O_RDWR|os.O_CREATE|lockFlags, 0o600)
	if err != nil {
		return nil, fmt.Errorf("httpsession: lock session file for a refresh: %w", err)
	}
	key := "refresh fs:" + s.path
	osf, isOS := osFile(lf)
	if isOS {
		key = "refresh os:" + osf.Name()
	}
	turn := refreshTurn(key)
	select {
	case turn <- struct{}{}:
	case <-ctx.Done():
		lf.Close()
		return nil, ctx.Err()
	}
	release := func() {
		lf.Close() // releases the file lock
		<-turn
	}
	if isOS {
		if err := s.lockRefreshFile(ctx, osf); err != nil {
			release()
			return nil, err
		}
	}
	var once sync.Once
	return func() {
		once.Do(func() {
			// A login that saved nothing (it failed) leaves no lock file
			// beside a session file that does not exist. A process
			// waiting on the removed file and one creating it anew may
			// then both log in: with no session there is no refresh token
			// two logins could both spend.
			if _, err := s.fs.Stat(s.path); errors.Is(err, os.ErrNotExist) {
				_ = s.fs.Remove(s.path + ".refresh.lock")
			}
			release()
		})
	}, nil
}

// lockRefreshFile takes the operating-system lock on f, waiting for it
// until ctx ends.
func (s *FileStore) lockRefreshFile(ctx context.Context, f *os.File) error {
	if fi, err := f.Stat(); err == nil {
		if err := checkOwner(fi, f.Name()); err != nil {
			return err
		}
	}
	for wait := 2 * time.Millisecond; ; wait = min(2*wait, 100*time.Millisecond) {
		ok, err := tryLockOSFile(f)
		if err != nil {
			return fmt.Errorf("httpsession: lock session file for a refresh: %w", &os.PathError{Op: "lock", Path: f.Name(), Err: err})
		}
		if ok {
			return nil
		}
		t := time.NewTimer(wait)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		}
	}
}

// refreshTurns hands out the refresh lock of one path within this process:
// a channel of capacity one, so that a wait can end with its context.
var refreshTurns sync.Map // string → chan struct{}

func refreshTurn(key string) chan struct{} {
	if ch, ok := refreshTurns.Load(key); ok {
		return ch.(chan struct{})
	}
	ch, _ := refreshTurns.LoadOrStore(key, make(chan struct{}, 1))
	return ch.(chan struct{})
}

// osFile returns the operating system's file behind f, if there is one:
// f itself from afero.OsFs, or the file a BasePathFs wraps.
func osFile(f afero.File) (*os.File, bool) {
	for {
		switch v := f.(type) {
		case *os.File:
			return v, true
		case *afero.BasePathFile:
			f = v.File
		default:
			return nil, false
		}
	}
}

// pathMutexes serialises Updates of one path within this process. The
// entries are never removed; there is one per session path used.
var pathMutexes sync.Map // string → *sync.Mutex

func pathMutex(key string) *sync.Mutex {
	if mu, ok := pathMutexes.Load(key); ok {
		return mu.(*sync.Mutex)
	}
	mu, _ := pathMutexes.LoadOrStore(key, new(sync.Mutex))
	return mu.(*sync.Mutex)
}

// ErrCorruptSession is matched (with errors.Is) by every error that reports
// a session file which cannot be read: malformed JSON, wrong types, missing
// fields, an unknown version or an oversized file. The concrete error is a
// *SessionFileError.
var ErrCorruptSession = errors.New("httpsession: corrupt session file")

// A SessionFileError reports a session file that is corrupt, truncated, of
// an unknown version or too large. It never contains cookie values or tokens.
// errors.Is(err, ErrCorruptSession) holds for it.
type SessionFileError struct {
	Path   string // the file (or the store's name)
	Reason string // what is wrong, e.g. "unsupported version 2"
	Err    error  // the underlying error, if any
}

func (e *SessionFileError) Error() string {
	s := fmt.Sprintf("httpsession: session file %q: %s", e.Path, e.Reason)
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

// Is reports whether target is ErrCorruptSession.
func (e *SessionFileError) Is(target error) bool { return target == ErrCorruptSession }

// Unwrap returns Err.
func (e *SessionFileError) Unwrap() error { return e.Err }
