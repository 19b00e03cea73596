package httpsession

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"
)

var _ PaceStore = (*FileStore)(nil)

// ReservePace implements PaceStore with a side file, path+".pace": a small
// JSON object holding each paced bucket's next free slot (Unix
// microseconds), read and rewritten under an exclusive lock on that file
// alone (flock(2), or LockFileEx on Windows, across processes on the
// operating system's file system; within this process on others). The
// session file's own lock is never taken, so a pacing step never waits
// for a save. The side file holds no secret, only origins and times; a
// broken one is read as empty. Buckets whose slot lies an hour in the past
// are dropped as it is rewritten.
func (s *FileStore) ReservePace(ctx context.Context, key string, r PaceRequest) (time.Duration, func(), error) {
	if err := ctx.Err(); err != nil {
		return 0, nil, err
	}
	var (
		wait       time.Duration
		slot, next int64
		taken      bool
	)
	err := s.updatePace(func(m map[string]int64, now time.Time) bool {
		var cur time.Time
		if v, ok := m[key]; ok {
			cur = time.UnixMicro(v)
		}
		sl, nx, ok := r.slot(now, cur)
		wait = sl.Sub(now)
		if !ok {
			return false
		}
		slot, next, taken = sl.UnixMicro(), nx.UnixMicro(), true
		m[key] = next
		for k, v := range m {
			if now.Sub(time.UnixMicro(v)) > time.Hour {
				delete(m, k)
			}
		}
		return true
	})
	if err != nil || !taken {
		return wait, nil, err
	}
	return wait, func() {
		s.updatePace(func(m map[string]int64, _ time.Time) bool {
			if m[key] != next {
				return false
			}
			m[key] = slot
			return true
		})
	}, nil
}

// updatePace calls fn with the side file's buckets under its lock, and
// writes them back when fn reports a change.
func (s *FileStore) updatePace(fn func(m map[string]int64, now time.Time) bool) error {
	path := s.path + ".pace"
	if err := s.fs.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("httpsession: pace file: %w", err)
	}
	f, err := s.fs.OpenFile(path, os.O_RDWR|os.O_CREATE|lockFlags, 0o600)
	if err != nil {
		return fmt.Errorf("httpsession: pace file: %w", err)
	}
	defer f.Close() // releases the file lock
	key := "pace fs:" + path
	osf, isOS := osFile(f)
	if isOS {
		key = "pace os:" + osf.Name()
	}
	mu := pathMutex(key)
	mu.Lock()
	defer mu.Unlock()
	if isOS {
		if fi, err := osf.Stat(); err == nil {
			if err := checkOwner(fi, osf.Name()); err != nil {
				return err
			}
		}
		if err := lockOSFile(osf); err != nil {
			return fmt.Errorf("httpsession: pace file: %w", &os.PathError{Op: "lock", Path: osf.Name(), Err: err})
		}
	}
	// The file is a few hundred bytes; 1 MiB bounds what a broken one costs.
	data, err := io.ReadAll(io.LimitReader(f, 1<<20))
	if err != nil {
		return fmt.Errorf("httpsession: pace file: %w", err)
	}
	m := make(map[string]int64)
	if json.Unmarshal(data, &m) != nil {
		clear(m)
	}
	if !fn(m, time.Now()) {
		return nil
	}
	out, err := json.Marshal(m)
	if err != nil {
		return fmt.Errorf("httpsession: pace file: %w", err)
	}
	if err := f.Truncate(0); err != nil {
		return fmt.Errorf("httpsession: pace file: %w", err)
	}
	if _, err := f.WriteAt(out, 0); err != nil {
		return fmt.Errorf("httpsession: pace file: %w", err)
	}
	return nil
}
