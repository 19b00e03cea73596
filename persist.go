package httpsession

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/spf13/afero"
)

// SessionOptions configures how a session is persisted. The zero value
// (and a nil *SessionOptions) writes every live cookie, session cookies
// included, and refuses to start from a corrupt file.
type SessionOptions struct {
	// DropSessionCookies leaves out of the file the session cookies (those
	// without Expires or Max-Age) this process set, so that they end with
	// the program as they end with a browser. False means they are written
	// like the others, so that a restarted program resumes its login (curl
	// -c writes them too, with expiry 0). Expired cookies are never
	// written. A process that drops its session cookies still keeps those
	// another process sharing the file saved: it never deletes them.
	DropSessionCookies bool

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
//
// A stored document that jar last read or wrote, here or through
// LoadSession or a Client (the hash of its bytes tells), is not decoded
// again: jar holds it already.
func SaveSession(st Store, jar *Jar, tok *Token, o *SessionOptions) error {
	s := newSession(st, o, jar, nil)
	return s.persist(tok, tok != nil, false, time.Time{})
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
	// stored are the session cookies of the document last loaded or
	// written, kept only with DropSessionCookies: those are another
	// writer's, and a dropping writer keeps them.
	stored map[cookieID]bool
}

func newSession(st Store, o *SessionOptions, jar *Jar, log *slog.Logger) *session {
	if o == nil {
		o = &SessionOptions{}
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &session{store: st, opts: *o, jar: jar, log: log}
	s.resume(jar.lastDoc())
	return s
}

// resume starts s from d, the document its jar last read or wrote (nil if
// none): a store that still holds it needs no decoding. A session that
// drops its session cookies needs to know those of the document, and
// resumes only from a document whose session cookies were noted.
func (s *session) resume(d *docState) {
	if d == nil || (s.opts.DropSessionCookies && !d.hasIDs) {
		return
	}
	s.known, s.knownHash, s.sizeHint = true, d.hash, d.size
	s.synced, s.syncedAt = d.token, d.tokenUpdated
	if s.opts.DropSessionCookies {
		s.stored = d.sessionIDs
	}
}

// remember records, in s and in its jar, the document s last read or
// wrote: data's hash and size, its token and its session cookies. The
// caller holds s.mu.
func (s *session) remember(hash uint64, size int, tok *Token, tokUpdated time.Time, ids map[cookieID]bool) {
	s.synced, s.syncedAt = tok, tokUpdated
	s.stored = ids
	s.sizeHint = size
	s.known, s.knownHash = true, hash
	s.jar.setLastDoc(&docState{hash: hash, size: size, token: tok, tokenUpdated: tokUpdated,
		sessionIDs: ids, hasIDs: s.opts.DropSessionCookies})
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
		isBad := func(b []byte) bool { return readSession(b, &sessionDoc{}, func(*Cookie) {}) != nil }
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

// named gives a *SessionFileError from the codec the store's name.
func (s *session) named(err error) error {
	var se *SessionFileError
	if errors.As(err, &se) && se.Path == "" {
		se.Path = storeName(s.store)
	}
	return err
}

// mergeDoc decodes a stored document (nil is an empty session) into the
// jar, and returns it without its cookies, and the identities of its
// session cookies when the session drops its own. On an error the jar is
// unchanged.
func (s *session) mergeDoc(data []byte) (*sessionDoc, map[cookieID]bool, error) {
	if data == nil {
		return &sessionDoc{}, s.sessionCookieIDs(nil), nil
	}
	ids := s.sessionCookieIDs(nil)
	var seen func(*Cookie)
	if ids != nil {
		seen = func(c *Cookie) {
			if c.Expires.IsZero() {
				ids[c.id()] = true
			}
		}
	}
	doc, err := s.jar.mergeSession(data, seen)
	if err != nil {
		return nil, nil, s.named(err)
	}
	s.jar.mergeOrigins(doc.origins) // after the merge: it takes the jar's lock
	return doc, ids, nil
}

// tokenOf decodes a stored document's token and when it last changed,
// passing over its cookies.
func (s *session) tokenOf(data []byte) (*Token, time.Time, error) {
	var doc sessionDoc
	if err := readSession(data, &doc, func(*Cookie) {}); err != nil {
		return nil, time.Time{}, s.named(err)
	}
	return doc.token, doc.tokenUpdated, nil
}

// load reads the store into the jar. A document the jar read or wrote
// last is not decoded again: the jar holds it.
func (s *session) load() error {
	data, err := s.store.Load()
	if err != nil {
		return err
	}
	hash := docHash(data)
	s.mu.Lock()
	same := s.known && data != nil && hash == s.knownHash
	doc, ids := &sessionDoc{token: s.synced, tokenUpdated: s.syncedAt}, s.stored
	s.mu.Unlock()
	before := s.jar.generation()
	if !same {
		if doc, ids, err = s.mergeDoc(data); err != nil {
			return err
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if before == 0 {
		// The jar held nothing of its own: it now equals the file.
		s.gen = s.jar.generation()
	} else {
		s.gen = ^uint64(0) // what the jar held before is not in the file
	}
	if data == nil {
		s.synced, s.syncedAt, s.stored, s.sizeHint = doc.token, doc.tokenUpdated, ids, 0
		s.known = false
		return nil
	}
	s.remember(hash, len(data), doc.token, doc.tokenUpdated, ids)
	return nil
}

// sessionCookieIDs returns the identities of the session cookies among
// cookies, when the session drops its own (nil otherwise: nothing needs
// them).
func (s *session) sessionCookieIDs(cookies []Cookie) map[cookieID]bool {
	if !s.opts.DropSessionCookies {
		return nil
	}
	ids := make(map[cookieID]bool)
	for i := range cookies {
		if cookies[i].Expires.IsZero() {
			ids[cookies[i].id()] = true
		}
	}
	return ids
}

// newerToken decides which token a save writes: the stored one (disk's),
// or ours, obtained at oursAt (zero: now), when it changed since the last
// sync (changed) and the stored one did not change later (another process
// refreshed after we got ours, or its clock is ahead). A store that lost
// its token (a Redis restarted empty) gets ours back with the time it last
// changed, syncedAt.
func newerToken(disk *sessionDoc, ours *Token, haveToken, changed bool, oursAt, syncedAt, now time.Time) (*Token, time.Time) {
	at := cmp.Or(oursAt, now)
	switch {
	case changed && !tokenEqual(ours, disk.token) && !disk.tokenUpdated.After(at):
		return ours, at
	case haveToken && ours != nil && disk.token == nil && disk.tokenUpdated.IsZero():
		return ours, cmp.Or(syncedAt, now)
	}
	return disk.token, disk.tokenUpdated
}

// writes reports whether a save writes c: not when it has expired, nor
// when it is a session cookie of this process's own and the session drops
// those (onDisk holds the ones another process saved, which stay).
func (s *session) writes(c *Cookie, onDisk map[cookieID]bool, now time.Time) bool {
	if c.Expires.IsZero() {
		return !s.opts.DropSessionCookies || onDisk[c.id()]
	}
	return c.Expires.After(now)
}

// needsWrite reports whether st asks to be written even though the session
// did not change: a store that encrypts, for one, after reading a
// plain-text document it is to replace with an encrypted one.
func needsWrite(st Store) bool {
	nw, ok := st.(MigratingStore)
	return ok && nw.NeedsWrite()
}

// lockRefresh takes the store's refresh lock when it has one (a
// RefreshLocker); other stores serialise nothing across processes.
func (s *session) lockRefresh(ctx context.Context) (unlock func(), err error) {
	if rl, ok := s.store.(RefreshLocker); ok {
		return rl.LockRefresh(ctx)
	}
	return func() {}, nil
}

// storedToken re-reads the token the store holds and when it last changed.
func (s *session) storedToken() (*Token, time.Time, error) {
	data, err := s.store.Load()
	if err != nil || data == nil {
		return nil, time.Time{}, err
	}
	return s.tokenOf(data)
}

// tokenUpdated returns when the token loaded from the store last changed.
func (s *session) tokenUpdated() time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.syncedAt
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
// result. When neither changed since the last load or save, it only reads
// the store: a document another writer changed is merged in (so a worker
// sees what the others saved), and one that went missing (a Redis
// restarted empty, a deleted file) is written again.
func (s *session) save() error {
	if !s.dirty() {
		data, err := s.store.Load()
		if err != nil {
			return err
		}
		s.mu.Lock()
		same := s.known && data != nil && docHash(data) == s.knownHash
		empty := !s.known && data == nil
		s.mu.Unlock()
		if (same || empty) && !needsWrite(s.store) {
			return nil
		}
	}
	var (
		tok *Token
		at  time.Time
	)
	if s.tokens != nil {
		tok, at = s.tokens.current()
	}
	return s.persist(tok, s.tokens != nil, true, at)
}

// saveToken saves t, a token just obtained, together with the jar.
func (s *session) saveToken(t *Token) error {
	return s.persist(copyToken(t), true, false, time.Time{})
}

// persist does a merge-save. ours is this process's token; haveToken
// says whether it has one to contribute at all, and oursAt when it was
// obtained (zero: now). adopt makes a newer stored token replace the
// TokenManager's.
func (s *session) persist(ours *Token, haveToken, adopt bool, oursAt time.Time) error {
	s.mu.Lock()
	synced, syncedAt, hint := s.synced, s.syncedAt, s.sizeHint
	known, knownHash, onDisk := s.known, s.knownHash, s.stored
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
		if known && cur != nil && docHash(cur) == knownHash {
			// The document is the one this session (or its jar) last
			// loaded or wrote: the jar holds all of it already.
			disk = &sessionDoc{token: synced, tokenUpdated: syncedAt}
		} else {
			var err error
			if disk, onDisk, err = s.mergeDoc(cur); err != nil {
				return nil, err
			}
		}
		now := s.jar.now()
		out := &sessionDoc{}
		out.token, out.tokenUpdated = newerToken(disk, ours, haveToken, changed, oursAt, syncedAt, now)
		gen = s.fillFromJar(out, onDisk, now)
		// Room for a quarter more than last time: the encoder grows a
		// buffer that has less than a quarter of its length to spare.
		data := out.encode(make([]byte, 0, hint+hint/4+4096))
		written, stored, size = out, disk.token, len(data)
		hash = docHash(data)
		if bytes.Equal(data, cur) {
			return nil, nil
		}
		return data, nil
	})
	if err != nil {
		return err
	}
	s.saved(gen, hash, size, written, stored, ours, adopt)
	return nil
}

// fillFromJar puts in out the jar's cookies that are to be written (see
// writes; onDisk are those the store held), its tombstones and its
// origins, and returns the jar generation they are at least as new as.
func (s *session) fillFromJar(out *sessionDoc, onDisk map[cookieID]bool, now time.Time) (gen uint64) {
	gen = s.jar.generation()
	cookies, tombs := s.jar.snapshot()
	out.cookies = cookies[:0]
	for _, c := range cookies {
		if s.writes(&c, onDisk, now) {
			out.cookies = append(out.cookies, c)
		}
	}
	out.tombs = tombs
	out.origins = s.jar.origins.snapshot()
	return gen
}

// saved records what a merge-save wrote: written, as a document of size
// bytes hashing to hash, holding the jar at generation gen. stored is
// the token the store held and ours the one this process offered; when
// adopt is set and the store's was newer, it replaces the TokenManager's.
func (s *session) saved(gen, hash uint64, size int, written *sessionDoc, stored, ours *Token, adopt bool) {
	s.mu.Lock()
	s.gen = gen
	s.remember(hash, size, written.token, written.tokenUpdated, s.sessionCookieIDs(written.cookies))
	s.mu.Unlock()
	if adopt && s.tokens != nil && written.token == stored && !tokenEqual(written.token, ours) {
		// Another process changed the token later than we did: use its,
		// unless a login or refresh replaced ours during the save.
		s.tokens.adopt(ours, written.token, written.tokenUpdated)
	}
}
