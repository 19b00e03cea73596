// Package lock is a minimal stand-in for github.com/juju/go4/lock, which
// github.com/juju/persistent-cookiejar imports. It provides the one function
// that package calls, Lock, with an exclusive, non-blocking flock on the
// named file, which is how the original behaves on Linux.
package lock

import (
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
	"syscall"
)

// ErrLocked is returned by Lock when the file is held by someone else.
var ErrLocked = errors.New("lock: file already locked")

var (
	mu   sync.Mutex
	held = map[string]bool{} // flock is per open file; keep in-process holders out too
)

// Lock takes an exclusive lock on the file name, creating it if needed.
// It does not wait: when the lock is held it fails at once, and callers
// retry. Close releases the lock.
func Lock(name string) (io.Closer, error) {
	mu.Lock()
	defer mu.Unlock()
	if held[name] {
		return nil, fmt.Errorf("lock %s: %w", name, ErrLocked)
	}
	f, err := os.OpenFile(name, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("lock: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		return nil, fmt.Errorf("lock %s: %w", name, err)
	}
	held[name] = true
	return &unlocker{f: f, name: name}, nil
}

type unlocker struct {
	f    *os.File
	name string
	once sync.Once
}

func (u *unlocker) Close() error {
	var err error
	u.once.Do(func() {
		mu.Lock()
		delete(held, u.name)
		mu.Unlock()
		err = u.f.Close() // closing the descriptor releases the flock
	})
	return err
}
