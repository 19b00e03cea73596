package httpsession

import (
	"bytes"
	"errors"
	"fmt"
	"hash/maphash"
	"log/slog"
	"sync"
	"time"

	"github.com/spf13/afero"
)

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

// Unwrap returns ErrCorruptSession and the underlying error, if any.
func (e *SessionFileError) Unwrap() []error {
	if e.Err == nil {
		return []error{ErrCorruptSession}
	}
	return []error{ErrCorruptSession, e.Err}
}

// SessionOptions configures how a session is persisted. The zero value
// (and a nil *SessionOptions) writes persistent cookies only and refuses to
// start from a corrupt file.
type SessionOptions struct {
	// SaveSessionCookies also writes session cookies (those without
	// Expires or Max-Age), so that a restarted program still has them.
	// False means only persistent cookies are written, as browsers and
	// curl do. Expired cookies are never written. Processes sharing one
	// file should agree on this: one that does not save session cookies
	// drops those another one saved.
	SaveSessionCookies bool

	// StartFresh, when the session file is corrupt or of an unknown
	// version, renames it to <path>.corrupt-<UTC time> and starts an empty
	// session. False means opening fails with a *SessionFileError and the
	// file is never written over.
	StartFresh bool
}

// LoadSession reads the session held by st into jar, merging it with what
// jar holds, and returns the stored token (nil if none). Nothing stored is
// an empty session. A corrupt document gives a *SessionFileError
// (errors.Is(err, ErrCorruptSession)).
func LoadSession(st Store, jar *Jar) (*Token, error) {
	s := newSession(st, nil, jar, nil)
	if err := s.load(); err != nil {
		return nil, err
	}
	return s.token(), nil
}

// SaveSession stores jar and tok in st, merged under st's lock with what
// another writer stored meanwhile: cookies it saved are added to jar, and
// cookies either side deleted stay deleted. A nil tok keeps the stored
// token; otherwise tok replaces it unless the stored one changed after
// this call started. Nothing is written when the result equals what st
// holds. A corrupt stored document is left as it is and gives a
// *SessionFileError.
func SaveSession(st Store, jar *Jar, tok *Token, o *SessionOptions) error {
	s := newSession(st, o, jar, nil)
	return s.persist(tok, tok != nil, false)
}

// A session ties a Jar and a TokenManager to a Store. Saves merge with the
// stored document under the store's lock; nothing is written when neither
// the jar nor the token changed since the last load or save.
type session struct {
	tokens *TokenManager // set after open; may stay nil

	store Store
	jar   *Jar
	opts  SessionOptions
	log   *slog.Logger

	// mu guards the fields below. It is never held during store I/O;
	// the store's lock orders saves.
	mu        sync.Mutex
	gen       uint64    // jar generation written or loaded last
	synced    *Token    // token the store held after the last load or save
	syncedAt  time.Time // its token_updated
	sizeHint  int       // size of the last document, to size the next buffer
	known     bool      // knownHash is set
	knownHash uint64    // hash of the document last loaded or written

	seed maphash.Seed
}

func newSession(st Store, o *SessionOptions, jar *Jar, log *slog.Logger) *session {
	if o == nil {
		o = &SessionOptions{}
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &session{store: st, opts: *o, jar: jar, log: log, seed: maphash.MakeSeed()}
}

// openSession opens the session file at path and loads it into jar. A
// missing file is an empty session.
func openSession(fsys afero.Fs, path string, o *SessionOptions, jar *Jar, log *slog.Logger) (*session, error) {
	st := NewFileStore(fsys, path)
	s := newSession(st, o, jar, log)
	if fi, err := st.fs.Stat(path); err == nil && fi.Mode().Perm()&0o077 != 0 {
		s.log.Warn("httpsession: session file is accessible by group or others; it holds credentials",
			"path", path, "mode", fi.Mode().Perm().String())
	}
	err := s.load()
	var se *SessionFileError
	if errors.As(err, &se) && s.opts.StartFresh {
		isBad := func(b []byte) bool { _, err := decodeSession(b); return err != nil }
		moved, merr := st.moveAside(jar.now(), isBad)
		if merr != nil {
			return nil, merr
		}
		if moved != "" {
			s.log.Warn("httpsession: corrupt session file moved aside; starting a new session",
				"path", path, "moved_to", moved, "reason", se.Reason)
		}
		err = s.load()
	}
	if err != nil {
		return nil, err
	}
	return s, nil
}

// storeName names st in errors.
func storeName(st Store) string {
	if n, ok := st.(fmt.Stringer); ok {
		return n.String()
	}
	return fmt.Sprintf("%T", st)
}

// decode decodes a stored document; nil is an empty session.
func (s *session) decode(data []byte) (*sessionDoc, error) {
	if data == nil {
		return &sessionDoc{}, nil
	}
	doc, err := decodeSession(data)
	if err != nil {
		var se *SessionFileError
		if errors.As(err, &se) && se.Path == "" {
			se.Path = storeName(s.store)
		}
		return nil, err
	}
	return doc, nil
}

// load reads the store into the jar.
func (s *session) load() error {
	data, err := s.store.Load()
	if err != nil {
		return err
	}
	doc, err := s.decode(data)
	if err != nil {
		return err
	}
	before := s.jar.generation()
	s.jar.merge(doc.cookies, doc.tombs)
	s.mu.Lock()
	defer s.mu.Unlock()
	if before == 0 {
		// The jar held nothing of its own: it now equals the file.
		s.gen = s.jar.generation()
	} else {
		s.gen = ^uint64(0) // what the jar held before is not in the file
	}
	s.synced, s.syncedAt = doc.token, doc.tokenUpdated
	s.sizeHint = len(data)
	s.known, s.knownHash = data != nil, maphash.Bytes(s.seed, data)
	return nil
}

// token returns the token loaded from the store, nil if none.
func (s *session) token() *Token {
	s.mu.Lock()
	defer s.mu.Unlock()
	return copyToken(s.synced)
}

// dirty reports whether the jar or the token changed since the last load
// or save.
func (s *session) dirty() bool {
	s.mu.Lock()
	gen, synced := s.gen, s.synced
	s.mu.Unlock()
	if s.jar.generation() != gen {
		return true
	}
	return s.tokens != nil && !s.tokens.holds(synced)
}

// save merges the jar and the current token with the store and writes the
// result, if anything changed since the last load or save.
func (s *session) save() error {
	if !s.dirty() {
		return nil
	}
	var tok *Token
	if s.tokens != nil {
		tok = s.tokens.Current()
	}
	return s.persist(tok, s.tokens != nil, true)
}

// saveToken saves t, a token just obtained, together with the jar.
func (s *session) saveToken(t *Token) error {
	return s.persist(copyToken(t), true, false)
}

// persist does a merge-save. ours is this process's token; haveToken
// says whether it has one to contribute at all. adopt makes a newer stored
// token replace the TokenManager's.
func (s *session) persist(ours *Token, haveToken, adopt bool) error {
	s.mu.Lock()
	synced, syncedAt, hint := s.synced, s.syncedAt, s.sizeHint
	known, knownHash := s.known, s.knownHash
	s.mu.Unlock()
	changed := haveToken && !tokenEqual(ours, synced)
	var (
		gen     uint64
		size    int
		hash    uint64
		written *sessionDoc
		stored  *Token
	)
	err := s.store.Update(func(cur []byte) ([]byte, error) {
		var disk *sessionDoc
		if known && cur != nil && maphash.Bytes(s.seed, cur) == knownHash {
			// The document is the one this session last loaded or
			// wrote: the jar holds all of it already.
			disk = &sessionDoc{token: synced, tokenUpdated: syncedAt}
		} else {
			var err error
			if disk, err = s.decode(cur); err != nil {
				return nil, err
			}
			s.jar.merge(disk.cookies, disk.tombs)
		}
		now := s.jar.now()
		out := &sessionDoc{token: disk.token, tokenUpdated: disk.tokenUpdated}
		// The newer token wins: ours changed now, unless the stored one
		// changed later (another process's clock ahead of ours).
		if changed && !tokenEqual(ours, disk.token) && !disk.tokenUpdated.After(now) {
			out.token, out.tokenUpdated = ours, now
		}
		gen = s.jar.generation()
		cookies, tombs := s.jar.snapshot()
		out.cookies = cookies[:0]
		for _, c := range cookies {
			if c.Expires.IsZero() && !s.opts.SaveSessionCookies || !c.Expires.IsZero() && !c.Expires.After(now) {
				continue
			}
			out.cookies = append(out.cookies, c)
		}
		out.tombs = tombs
		data := out.encode(make([]byte, 0, hint+hint/8+512))
		written, stored, size = out, disk.token, len(data)
		hash = maphash.Bytes(s.seed, data)
		if bytes.Equal(data, cur) {
			return nil, nil
		}
		return data, nil
	})
	if err != nil {
		return err
	}
	s.mu.Lock()
	s.gen, s.synced, s.syncedAt = gen, written.token, written.tokenUpdated
	s.sizeHint = size
	s.known, s.knownHash = true, hash
	s.mu.Unlock()
	if adopt && s.tokens != nil && written.token == stored && !tokenEqual(written.token, s.tokens.Current()) {
		// Another process changed the token later than we did: use its.
		s.tokens.SetToken(written.token)
	}
	return nil
}

func copyToken(t *Token) *Token {
	if t == nil {
		return nil
	}
	c := *t
	return &c
}

func tokenEqual(a, b *Token) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.AccessToken == b.AccessToken && a.TokenType == b.TokenType &&
		a.RefreshToken == b.RefreshToken && a.Expiry.Equal(b.Expiry)
}
