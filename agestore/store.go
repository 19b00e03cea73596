package agestore

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/httpsession/httpsession"
	"github.com/spf13/afero"
)

// A Store is an httpsession.Store that keeps the session document in
// another Store (a FileStore, a networked store) encrypted as an age file.
// The session code above it sees plain JSON, so everything it does holds
// as for the plain store: Update merges under the inner store's lock
// (decrypt, merge, encrypt), writes nothing when fn stores nothing (the
// comparison is of plaintexts, since two encryptions of one document never
// match), and the inner store's atomic writes and file mode apply to the
// ciphertext.
//
// Reading:
//   - an age file is decrypted with the Key. A Key that doesn't open it
//     gives a *KeyError (ErrSessionKey); a malformed, truncated or altered
//     one a *httpsession.SessionFileError (httpsession.ErrCorruptSession).
//     Either way Update stores nothing.
//   - a plain document is passed through, and the next Update stores it
//     encrypted even if fn stores nothing: a session file written before
//     encryption was turned on is migrated by its next save. NeedsWrite
//     tells the session code that such a save has something to write
//     although the session is unchanged. Encrypt migrates at once.
//
// A Store never writes plain text; Decrypt is the explicit way back.
//
// A Store is safe for concurrent use by multiple goroutines.
type Store struct {
	inner httpsession.Store
	key   *Key

	refresh chan struct{} // the refresh lock when inner has none

	// sawPlain is whether the document this Store last read from or wrote
	// to inner was plain text; see NeedsWrite.
	sawPlain atomic.Bool
}

var (
	_ httpsession.Store         = (*Store)(nil)
	_ httpsession.PaceStore     = (*Store)(nil)
	_ httpsession.RefreshLocker = (*Store)(nil)
)

// New returns a Store that encrypts what it stores in inner with key.
// It panics if inner or key is nil.
func New(inner httpsession.Store, key *Key) *Store {
	if inner == nil || key == nil {
		panic("agestore: New with a nil store or key")
	}
	return &Store{inner: inner, key: key, refresh: make(chan struct{}, 1)}
}

// NewFile returns a Store for an encrypted session file at path on fsys
// (nil: the operating system's file system), kept by an
// httpsession.FileStore.
func NewFile(fsys afero.Fs, path string, key *Key) *Store {
	return New(httpsession.NewFileStore(fsys, path), key)
}

// Key returns the store's key.
func (s *Store) Key() *Key { return s.key }

// String names the inner store (the session file's path for a FileStore).
func (s *Store) String() string { return storeName(s.inner) }

func storeName(st httpsession.Store) string {
	if n, ok := st.(fmt.Stringer); ok {
		return n.String()
	}
	return fmt.Sprintf("%T", st)
}

// NeedsWrite reports whether the document this Store last read from the
// inner store (by Load, Update, Encrypt or Decrypt) was plain text and has
// not been written encrypted since: the next Update will write it
// encrypted even if its fn stores nothing. httpsession's Client asks
// before a save of an unchanged session, which it would otherwise skip,
// so that a plain session file opened with a Key is migrated by the next
// Save. A store that holds nothing, an encrypted document, or one whose
// read failed to decrypt, needs no write.
//
// After Decrypt it is true: a Client saving through this Store encrypts
// the file again. Use the inner store for a file meant to stay plain.
func (s *Store) NeedsWrite() bool { return s.sawPlain.Load() }

var _ httpsession.MigratingStore = (*Store)(nil)

// Load returns the stored document decrypted; see Store for the errors.
func (s *Store) Load() ([]byte, error) {
	data, err := s.inner.Load()
	if err != nil {
		return nil, err
	}
	plain, encrypted, err := s.open(data)
	s.sawPlain.Store(data != nil && !encrypted)
	return plain, err
}

// Update implements httpsession.Store: fn sees and returns plain documents.
func (s *Store) Update(fn func(current []byte) ([]byte, error)) error {
	return s.update(func(cur []byte, encrypted bool) ([]byte, bool, error) {
		next, err := fn(cur)
		switch {
		case err != nil:
			return nil, false, err
		case next == nil && (cur == nil || encrypted):
			return nil, false, nil
		case next == nil:
			// fn accepted the plain document as it is: migrate it.
			next = cur
		}
		return next, true, nil
	})
}

// update runs inner's Update with fn, which sees the document decrypted
// and whether it was encrypted, and returns the plain document to store
// (encrypted if seal is set, else as it is) or nil for no write. It keeps
// NeedsWrite up to date with what was read and written.
func (s *Store) update(fn func(plain []byte, encrypted bool) (next []byte, seal bool, err error)) error {
	var ran, sawPlain, wrote, wrotePlain bool
	err := s.inner.Update(func(cur []byte) ([]byte, error) {
		// inner may call this more than once (an optimistic store retries
		// on a conflict): the last call is the one that counts.
		ran, sawPlain, wrote, wrotePlain = true, false, false, false
		plain, encrypted, err := s.open(cur)
		if err != nil {
			return nil, err
		}
		sawPlain = cur != nil && !encrypted
		next, seal, err := fn(plain, encrypted)
		if err != nil || next == nil {
			return nil, err
		}
		if !seal {
			wrote, wrotePlain = true, true
			return next, nil
		}
		out, err := s.seal(next)
		wrote = err == nil
		return out, err
	})
	if ran {
		// What was written, or else (no write, or a failed one) what
		// was read.
		plainNow := sawPlain
		if err == nil && wrote {
			plainNow = wrotePlain
		}
		s.sawPlain.Store(plainNow)
	}
	return err
}

// Encrypt stores a plain document encrypted now, rather than at the next
// save, and reports whether it wrote. Nothing stored, or a document already
// encrypted with a key that opens it, is left alone; a document the key
// doesn't open gives a *KeyError. A corrupt plain document is left as it
// is and gives a *httpsession.SessionFileError.
func (s *Store) Encrypt() (wrote bool, err error) {
	err = s.update(func(plain []byte, encrypted bool) ([]byte, bool, error) {
		wrote = false // inner may call this again
		if plain == nil || encrypted {
			return nil, false, nil
		}
		if err := s.validate(plain); err != nil {
			return nil, false, err
		}
		wrote = true
		return plain, true, nil
	})
	return wrote && err == nil, err
}

// Decrypt stores the document as plain text, the one explicit step back
// from encryption, and reports whether it wrote (false: nothing stored, or
// already plain). The document is decoded first: a corrupt one is left as
// it is. After Decrypt, use the inner store directly; the next Update of
// this Store would encrypt the document again.
func (s *Store) Decrypt() (wrote bool, err error) {
	err = s.update(func(plain []byte, encrypted bool) ([]byte, bool, error) {
		wrote = false // inner may call this again
		if plain == nil || !encrypted {
			return nil, false, nil
		}
		if err := s.validate(plain); err != nil {
			return nil, false, err
		}
		wrote = true
		return plain, false, nil
	})
	return wrote && err == nil, err
}

// LockRefresh implements httpsession.RefreshLocker with the inner store's
// refresh lock. An inner store without one gets a lock within this Store
// only: token refreshes are serialised among the Clients sharing it, not
// with other processes.
func (s *Store) LockRefresh(ctx context.Context) (unlock func(), err error) {
	if rl, ok := s.inner.(httpsession.RefreshLocker); ok {
		return rl.LockRefresh(ctx)
	}
	select {
	case s.refresh <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	var done bool
	return func() {
		if !done {
			done = true
			<-s.refresh
		}
	}, nil
}

// ReservePace implements httpsession.PaceStore with the inner store's
// shared pacing, which holds no secret and is not encrypted (FileStore's
// side file, redisstore's keys). An inner store that shares none makes it
// fail, and the Client paces its process alone.
func (s *Store) ReservePace(ctx context.Context, key string, r httpsession.PaceRequest) (time.Duration, func(), error) {
	if ps, ok := s.inner.(httpsession.PaceStore); ok {
		return ps.ReservePace(ctx, key, r)
	}
	return 0, nil, errors.New("agestore: the inner store shares no pacing")
}

// open decrypts data if it is an age file and reports whether it was.
func (s *Store) open(data []byte) (plain []byte, encrypted bool, err error) {
	if data == nil || !IsEncrypted(data) {
		return data, false, nil
	}
	plain, err = s.key.open(data)
	switch {
	case errors.Is(err, errWrongKey):
		return nil, true, &KeyError{Path: s.String(), Source: s.key.source, Reason: "wrong key: it does not open the file"}
	case err != nil:
		return nil, true, &httpsession.SessionFileError{Path: s.String(), Reason: "encrypted session file is malformed, truncated or altered", Err: err}
	}
	return plain, true, nil
}

func (s *Store) seal(plain []byte) ([]byte, error) {
	out, err := s.key.seal(plain)
	if err != nil {
		return nil, fmt.Errorf("agestore: encrypt session for %s: %w", s.String(), err)
	}
	return out, nil
}

// validate decodes plain as a session document.
func (s *Store) validate(plain []byte) error {
	_, err := httpsession.LoadSession(memStore{doc: plain, name: s.String()}, httpsession.NewJar(nil))
	return err
}

// memStore holds one document for validate.
type memStore struct {
	doc  []byte
	name string
}

func (m memStore) Load() ([]byte, error) { return m.doc, nil }
func (m memStore) Update(func([]byte) ([]byte, error)) error {
	return errors.New("agestore: read-only")
}
func (m memStore) String() string { return m.name }
