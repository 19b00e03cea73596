package httpsession

import (
	"bytes"
	"errors"
	"fmt"
	"hash/maphash"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/spf13/afero"
)

// The session file is one JSON document:
//
//	{"version":1,
//	"token":{"access_token":"…","token_type":"Bearer","refresh_token":"…","expiry":"2026-01-02T15:04:05Z"},
//	"token_updated":1767366245000,
//	"cookies":[
//	{"n":"sid","v":"…","d":"example.com","p":"/","f":"hso","ss":"lax","e":1767366245000,"c":1767366245000,"a":…,"u":…},
//	…
//	],
//	"tombstones":[
//	{"n":"old","d":"example.com","p":"/","f":"h","del":1767366245000,"until":1769958245000},
//	…
//	]}
//
// Cookies and tombstones are sorted by domain, path, name and host-only flag,
// one per line, so that the same state always gives the same bytes. Cookie
// records use one- and two-letter keys because there are thousands of them:
//
//	n   name                     v   value (omitted when empty)
//	d   domain (no leading dot)  p   path
//	f   flags, any of: h host-only, s Secure, o HttpOnly, p Partitioned (omitted when none)
//	ss  SameSite: "default", "lax", "strict", "none" (omitted when unset)
//	e   expiry (omitted for a session cookie)
//	c   creation time            a   last access (omitted when equal to c)
//	u   last update (omitted when equal to c)
//
// All times are Unix milliseconds; merging needs sub-second order between a
// cookie's last update and a tombstone's deletion time. The token object uses
// the JSON names of golang.org/x/oauth2's Token; token_updated records when
// the token last changed (kept also after the token was cleared), so that
// the newer token wins when two processes save.

// sessionVersion is the only version of the session file format.
const sessionVersion = 1

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
	loaded    *Token    // token read when the session was opened
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
		s.log.Warn("httpsession: corrupt session file moved aside; starting a new session",
			"path", path, "moved_to", moved, "reason", se.Reason)
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
	s.loaded, s.synced, s.syncedAt = doc.token, doc.token, doc.tokenUpdated
	s.sizeHint = len(data)
	s.known, s.knownHash = data != nil, maphash.Bytes(s.seed, data)
	return nil
}

// token returns the token loaded from the store, nil if none.
func (s *session) token() *Token {
	s.mu.Lock()
	defer s.mu.Unlock()
	return copyToken(s.loaded)
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
	return s.tokens != nil && !tokenEqual(s.tokens.Current(), synced)
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

// sessionDoc is the decoded content of a session file.
type sessionDoc struct {
	cookies      []Cookie
	tombs        []tombstone
	token        *Token
	tokenUpdated time.Time // zero when the token never changed
}

// cookieCmp orders cookie identities: domain, path, name, host-only.
func cookieCmp(ad, ap, an string, ah bool, bd, bp, bn string, bh bool) int {
	if c := strings.Compare(ad, bd); c != 0 {
		return c
	}
	if c := strings.Compare(ap, bp); c != 0 {
		return c
	}
	if c := strings.Compare(an, bn); c != 0 {
		return c
	}
	switch {
	case ah == bh:
		return 0
	case ah:
		return 1
	default:
		return -1
	}
}

// encode appends the JSON document to b. It sorts d.cookies and d.tombs in
// place.
func (d *sessionDoc) encode(b []byte) []byte {
	// The jar's snapshot comes sorted; a stable sort keeps records of one
	// identity (only in hand-edited files) in a fixed order.
	byCookieID := func(x, y Cookie) int {
		return cookieCmp(x.Domain, x.Path, x.Name, x.HostOnly, y.Domain, y.Path, y.Name, y.HostOnly)
	}
	if !slices.IsSortedFunc(d.cookies, byCookieID) {
		slices.SortStableFunc(d.cookies, byCookieID)
	}
	byTombID := func(x, y tombstone) int {
		return cookieCmp(x.Domain, x.Path, x.Name, x.HostOnly, y.Domain, y.Path, y.Name, y.HostOnly)
	}
	if !slices.IsSortedFunc(d.tombs, byTombID) {
		slices.SortStableFunc(d.tombs, byTombID)
	}
	b = append(b, `{"version":1`...)
	if t := d.token; t != nil {
		b = append(b, ",\n"+`"token":{"access_token":`...)
		b = appendString(b, t.AccessToken)
		if t.TokenType != "" {
			b = append(b, `,"token_type":`...)
			b = appendString(b, t.TokenType)
		}
		if t.RefreshToken != "" {
			b = append(b, `,"refresh_token":`...)
			b = appendString(b, t.RefreshToken)
		}
		if !t.Expiry.IsZero() {
			b = append(b, `,"expiry":"`...)
			b = t.Expiry.UTC().AppendFormat(b, time.RFC3339Nano)
			b = append(b, '"')
		}
		b = append(b, '}')
	}
	if !d.tokenUpdated.IsZero() {
		b = append(b, ",\n"+`"token_updated":`...)
		b = appendMilli(b, d.tokenUpdated)
	}
	b = append(b, ",\n"+`"cookies":[`...)
	for i := range d.cookies {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, '\n')
		b = d.cookies[i].appendJSON(b)
	}
	b = append(b, "\n],\n"+`"tombstones":[`...)
	for i := range d.tombs {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, '\n')
		b = d.tombs[i].appendJSON(b)
	}
	b = append(b, "\n]}\n"...)
	return b
}

func (c *Cookie) appendJSON(b []byte) []byte {
	b = append(b, `{"n":`...)
	b = appendString(b, c.Name)
	if c.Value != "" {
		b = append(b, `,"v":`...)
		b = appendString(b, c.Value)
	}
	b = append(b, `,"d":`...)
	b = appendString(b, c.Domain)
	b = append(b, `,"p":`...)
	b = appendString(b, c.Path)
	if c.HostOnly || c.Secure || c.HttpOnly || c.Partitioned {
		b = append(b, `,"f":"`...)
		if c.HostOnly {
			b = append(b, 'h')
		}
		if c.Secure {
			b = append(b, 's')
		}
		if c.HttpOnly {
			b = append(b, 'o')
		}
		if c.Partitioned {
			b = append(b, 'p')
		}
		b = append(b, '"')
	}
	if s := sameSiteName(c.SameSite); s != "" {
		b = append(b, `,"ss":"`...)
		b = append(b, s...)
		b = append(b, '"')
	}
	if !c.Expires.IsZero() {
		b = append(b, `,"e":`...)
		b = appendMilli(b, c.Expires)
	}
	if !c.Created.IsZero() {
		b = append(b, `,"c":`...)
		b = appendMilli(b, c.Created)
	}
	if c.LastAccess.UnixMilli() != c.Created.UnixMilli() || c.LastAccess.IsZero() != c.Created.IsZero() {
		b = append(b, `,"a":`...)
		b = appendMilli(b, c.LastAccess)
	}
	if c.Updated.UnixMilli() != c.Created.UnixMilli() || c.Updated.IsZero() != c.Created.IsZero() {
		b = append(b, `,"u":`...)
		b = appendMilli(b, c.Updated)
	}
	return append(b, '}')
}

func (t *tombstone) appendJSON(b []byte) []byte {
	b = append(b, `{"n":`...)
	b = appendString(b, t.Name)
	b = append(b, `,"d":`...)
	b = appendString(b, t.Domain)
	b = append(b, `,"p":`...)
	b = appendString(b, t.Path)
	if t.HostOnly {
		b = append(b, `,"f":"h"`...)
	}
	b = append(b, `,"del":`...)
	b = appendMilli(b, t.Deleted)
	b = append(b, `,"until":`...)
	b = appendMilli(b, t.Until)
	return append(b, '}')
}

var sameSiteNames = [...]string{
	http.SameSiteDefaultMode: "default",
	http.SameSiteLaxMode:     "lax",
	http.SameSiteStrictMode:  "strict",
	http.SameSiteNoneMode:    "none",
}

// sameSiteName returns the file's name for s, "" for unset or unknown modes.
func sameSiteName(s http.SameSite) string {
	if s > 0 && int(s) < len(sameSiteNames) {
		return sameSiteNames[s]
	}
	return ""
}

// appendMilli appends t as Unix milliseconds. The zero time is written as 0
// only where a field can't be omitted (tombstones), which decodes to 1970.
func appendMilli(b []byte, t time.Time) []byte {
	if t.IsZero() {
		return append(b, '0')
	}
	return appendInt(b, t.UnixMilli())
}

func appendInt(b []byte, n int64) []byte {
	var buf [20]byte
	i := len(buf)
	u := uint64(n)
	if n < 0 {
		u = uint64(-n)
	}
	for u >= 10 {
		i--
		buf[i] = byte('0' + u%10)
		u /= 10
	}
	i--
	buf[i] = byte('0' + u)
	if n < 0 {
		b = append(b, '-')
	}
	return append(b, buf[i:]...)
}

const hexDigits = "0123456789abcdef"

// appendString appends s as a JSON string. Invalid UTF-8 becomes U+FFFD, as
// with encoding/json.
func appendString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' && c < utf8.RuneSelf {
			i++
			continue
		}
		if c < utf8.RuneSelf {
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, string(utf8.RuneError)...)
			i++
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// maxNesting bounds the nesting of unknown values the decoder skips.
const maxNesting = 64

// decodeSession parses a session file. Every error it returns is a
// *SessionFileError without Path; none contains data from the file.
func decodeSession(data []byte) (*sessionDoc, error) {
	d := &decoder{data: data, intern: make(map[string]string)}
	doc, err := d.session()
	if err != nil {
		var se *SessionFileError
		if errors.As(err, &se) {
			return nil, se
		}
		return nil, &SessionFileError{Reason: fmt.Sprintf("invalid JSON at byte %d", d.pos), Err: err}
	}
	return doc, nil
}

// decoder is a strict JSON reader for the session file's schema. It is
// several times faster than encoding/json on large files and reports what is
// wrong without quoting the file.
type decoder struct {
	data   []byte
	pos    int
	intern map[string]string // domains and paths repeat; share their strings
}

var errUnexpectedEOF = errors.New("unexpected end of file")

func (d *decoder) syntax(what string) error {
	if d.pos >= len(d.data) {
		return errUnexpectedEOF
	}
	return fmt.Errorf("expected %s", what)
}

func (d *decoder) reason(format string, args ...any) error {
	return &SessionFileError{Reason: fmt.Sprintf(format, args...)}
}

func (d *decoder) ws() {
	for d.pos < len(d.data) {
		switch d.data[d.pos] {
		case ' ', '\t', '\n', '\r':
			d.pos++
		default:
			return
		}
	}
}

// peek skips white space and returns the next byte, 0 at the end.
func (d *decoder) peek() byte {
	d.ws()
	if d.pos < len(d.data) {
		return d.data[d.pos]
	}
	return 0
}

func (d *decoder) consume(c byte) bool {
	if d.peek() == c {
		d.pos++
		return true
	}
	return false
}

func (d *decoder) literal(lit string) bool {
	d.ws()
	if len(d.data)-d.pos >= len(lit) && string(d.data[d.pos:d.pos+len(lit)]) == lit {
		d.pos += len(lit)
		return true
	}
	return false
}

// object reads an object, calling field for each key with the decoder
// positioned at the value. A null is an empty object.
func (d *decoder) object(field func(key []byte) error) error {
	if d.literal("null") {
		return nil
	}
	if !d.consume('{') {
		return d.syntax("object")
	}
	if d.consume('}') {
		return nil
	}
	for {
		if d.peek() != '"' {
			return d.syntax("string key")
		}
		key, err := d.rawString()
		if err != nil {
			return err
		}
		if !d.consume(':') {
			return d.syntax("':'")
		}
		if err := field(key); err != nil {
			return err
		}
		if d.consume(',') {
			continue
		}
		if d.consume('}') {
			return nil
		}
		return d.syntax("',' or '}'")
	}
}

// array reads an array, calling elem for each element. A null is an empty
// array.
func (d *decoder) array(elem func(i int) error) error {
	if d.literal("null") {
		return nil
	}
	if !d.consume('[') {
		return d.syntax("array")
	}
	if d.consume(']') {
		return nil
	}
	for i := 0; ; i++ {
		if err := elem(i); err != nil {
			return err
		}
		if d.consume(',') {
			continue
		}
		if d.consume(']') {
			return nil
		}
		return d.syntax("',' or ']'")
	}
}

// rawString reads a string. The result aliases d.data when the string has
// no escapes; otherwise it is a new slice.
func (d *decoder) rawString() ([]byte, error) {
	if !d.consume('"') {
		return nil, d.syntax("string")
	}
	start := d.pos
	for d.pos < len(d.data) {
		c := d.data[d.pos]
		switch {
		case c == '"':
			s := d.data[start:d.pos]
			d.pos++
			return s, nil
		case c == '\\':
			return d.escapedString(start)
		case c < 0x20:
			return nil, errors.New("control character in string")
		}
		d.pos++
	}
	return nil, errUnexpectedEOF
}

func (d *decoder) escapedString(start int) ([]byte, error) {
	b := append([]byte(nil), d.data[start:d.pos]...)
	for d.pos < len(d.data) {
		c := d.data[d.pos]
		switch {
		case c == '"':
			d.pos++
			return b, nil
		case c < 0x20:
			return nil, errors.New("control character in string")
		case c != '\\':
			b = append(b, c)
			d.pos++
			continue
		}
		d.pos++
		if d.pos >= len(d.data) {
			return nil, errUnexpectedEOF
		}
		c = d.data[d.pos]
		d.pos++
		switch c {
		case '"', '\\', '/':
			b = append(b, c)
		case 'b':
			b = append(b, '\b')
		case 'f':
			b = append(b, '\f')
		case 'n':
			b = append(b, '\n')
		case 'r':
			b = append(b, '\r')
		case 't':
			b = append(b, '\t')
		case 'u':
			r, ok := d.hex4()
			if !ok {
				return nil, errors.New("invalid \\u escape")
			}
			if utf16.IsSurrogate(r) {
				// A surrogate pair is two escapes; anything else is U+FFFD.
				save, r2 := d.pos, rune(-1)
				if len(d.data)-d.pos >= 2 && d.data[d.pos] == '\\' && d.data[d.pos+1] == 'u' {
					d.pos += 2
					if x, ok := d.hex4(); ok {
						r2 = x
					}
				}
				if r = utf16.DecodeRune(r, r2); r == utf8.RuneError {
					d.pos = save
				}
			}
			b = utf8.AppendRune(b, r)
		default:
			return nil, errors.New("invalid escape in string")
		}
	}
	return nil, errUnexpectedEOF
}

func (d *decoder) hex4() (rune, bool) {
	if len(d.data)-d.pos < 4 {
		return 0, false
	}
	var r rune
	for _, c := range d.data[d.pos : d.pos+4] {
		switch {
		case '0' <= c && c <= '9':
			c -= '0'
		case 'a' <= c && c <= 'f':
			c = c - 'a' + 10
		case 'A' <= c && c <= 'F':
			c = c - 'A' + 10
		default:
			return 0, false
		}
		r = r<<4 | rune(c)
	}
	d.pos += 4
	return r, true
}

// str reads a string value and returns it as a new string.
func (d *decoder) str() (string, error) {
	b, err := d.rawString()
	return string(b), err
}

// shared reads a string value that is likely to repeat (domains, paths,
// names) and returns one string per distinct value.
func (d *decoder) shared() (string, error) {
	b, err := d.rawString()
	if err != nil {
		return "", err
	}
	if s, ok := d.intern[string(b)]; ok {
		return s, nil
	}
	s := string(b)
	d.intern[s] = s
	return s, nil
}

// int reads an integer without fraction or exponent.
func (d *decoder) int() (int64, error) {
	d.ws()
	start, neg := d.pos, false
	if d.pos < len(d.data) && d.data[d.pos] == '-' {
		neg = true
		d.pos++
	}
	var n uint64
	digits := 0
	for d.pos < len(d.data) {
		c := d.data[d.pos]
		if c < '0' || c > '9' {
			break
		}
		if n > (1<<63-1)/10 {
			return 0, errors.New("integer out of range")
		}
		n = n*10 + uint64(c-'0')
		digits++
		d.pos++
	}
	if n > 1<<63-1 {
		return 0, errors.New("integer out of range")
	}
	if digits == 0 {
		d.pos = start
		return 0, d.syntax("integer")
	}
	if d.pos < len(d.data) {
		switch d.data[d.pos] {
		case '.', 'e', 'E':
			return 0, errors.New("expected integer, found a fraction")
		}
	}
	if neg {
		return -int64(n), nil
	}
	return int64(n), nil
}

func (d *decoder) milli() (time.Time, error) {
	n, err := d.int()
	if err != nil {
		return time.Time{}, err
	}
	return time.UnixMilli(n), nil
}

// skip reads and discards any value.
func (d *decoder) skip(depth int) error {
	if depth > maxNesting {
		return errors.New("nesting too deep")
	}
	switch c := d.peek(); {
	case c == '{':
		return d.object(func([]byte) error { return d.skip(depth + 1) })
	case c == '[':
		return d.array(func(int) error { return d.skip(depth + 1) })
	case c == '"':
		_, err := d.rawString()
		return err
	case c == '-' || '0' <= c && c <= '9':
		d.pos++
		for d.pos < len(d.data) && strings.IndexByte("0123456789.eE+-", d.data[d.pos]) >= 0 {
			d.pos++
		}
		return nil
	case d.literal("true"), d.literal("false"), d.literal("null"):
		return nil
	default:
		return d.syntax("value")
	}
}

func (d *decoder) session() (*sessionDoc, error) {
	doc := &sessionDoc{}
	switch d.peek() {
	case '{':
	case 0:
		return nil, d.reason("empty file")
	default:
		return nil, d.reason("not a JSON object")
	}
	version := int64(-1)
	err := d.object(func(key []byte) error {
		var err error
		switch string(key) {
		case "version":
			version, err = d.int()
			if err == nil && version != sessionVersion {
				return d.reason("unsupported version %d", version)
			}
		case "token":
			err = d.token(doc)
		case "token_updated":
			doc.tokenUpdated, err = d.milli()
		case "cookies":
			if doc.cookies == nil {
				// Records are one per line in files this package
				// writes: size the slice once, within what the
				// bytes can hold (a record takes 18 or more).
				rest := d.data[d.pos:]
				n := min(bytes.Count(rest, []byte("\n{")), len(rest)/18, 1<<20)
				doc.cookies = make([]Cookie, 0, n)
			}
			err = d.array(func(i int) error {
				c, err := d.cookie(i)
				if err == nil {
					doc.cookies = append(doc.cookies, c)
				}
				return err
			})
		case "tombstones":
			err = d.array(func(i int) error {
				t, err := d.tombstone(i)
				if err == nil {
					doc.tombs = append(doc.tombs, t)
				}
				return err
			})
		default:
			err = d.skip(0)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	if d.peek() != 0 {
		return nil, d.reason("data after the JSON object at byte %d", d.pos)
	}
	if version < 0 {
		return nil, d.reason("no version")
	}
	return doc, nil
}

func (d *decoder) token(doc *sessionDoc) error {
	if d.literal("null") {
		doc.token = nil
		return nil
	}
	t := &Token{}
	err := d.object(func(key []byte) error {
		var err error
		switch string(key) {
		case "access_token":
			t.AccessToken, err = d.str()
		case "token_type":
			t.TokenType, err = d.str()
		case "refresh_token":
			t.RefreshToken, err = d.str()
		case "expiry":
			var s string
			if s, err = d.str(); err == nil && s != "" {
				t.Expiry, err = time.Parse(time.RFC3339Nano, s)
				if y := t.Expiry.UTC().Year(); err != nil || y < 0 || y > 9999 {
					return d.reason("token: invalid expiry")
				}
			}
		default:
			err = d.skip(0)
		}
		return err
	})
	if err != nil {
		return err
	}
	doc.token = t
	return nil
}

func (d *decoder) cookie(i int) (Cookie, error) {
	var c Cookie
	var hasA, hasU, hasD, hasP bool
	err := d.object(func(key []byte) error {
		var err error
		switch string(key) {
		case "n":
			c.Name, err = d.shared()
		case "v":
			c.Value, err = d.str()
		case "d":
			c.Domain, err = d.shared()
			hasD = true
		case "p":
			c.Path, err = d.shared()
			hasP = true
		case "f":
			var f []byte
			if f, err = d.rawString(); err != nil {
				return err
			}
			for _, x := range f {
				switch x {
				case 'h':
					c.HostOnly = true
				case 's':
					c.Secure = true
				case 'o':
					c.HttpOnly = true
				case 'p':
					c.Partitioned = true
				default:
					return d.reason("cookie %d: unknown flag %q", i, x)
				}
			}
		case "ss":
			var s []byte
			if s, err = d.rawString(); err != nil {
				return err
			}
			c.SameSite = 0
			for m, name := range sameSiteNames {
				if name != "" && name == string(s) {
					c.SameSite = http.SameSite(m)
				}
			}
			if c.SameSite == 0 {
				return d.reason("cookie %d: unknown SameSite mode", i)
			}
		case "e":
			c.Expires, err = d.milli()
		case "c":
			c.Created, err = d.milli()
		case "a":
			c.LastAccess, err = d.milli()
			hasA = true
		case "u":
			c.Updated, err = d.milli()
			hasU = true
		default:
			err = d.skip(0)
		}
		return err
	})
	if err != nil {
		var se *SessionFileError
		if errors.As(err, &se) {
			return c, err
		}
		return c, d.reason("cookie %d at byte %d: %v", i, d.pos, err)
	}
	switch {
	case !hasD || c.Domain == "":
		return c, d.reason("cookie %d: no domain", i)
	case !hasP:
		return c, d.reason("cookie %d: no path", i)
	}
	if !hasA {
		c.LastAccess = c.Created
	}
	if !hasU {
		c.Updated = c.Created
	}
	return c, nil
}

func (d *decoder) tombstone(i int) (tombstone, error) {
	var t tombstone
	var hasDel, hasUntil, hasD bool
	err := d.object(func(key []byte) error {
		var err error
		switch string(key) {
		case "n":
			t.Name, err = d.shared()
		case "d":
			t.Domain, err = d.shared()
			hasD = true
		case "p":
			t.Path, err = d.shared()
		case "f":
			var f []byte
			if f, err = d.rawString(); err != nil {
				return err
			}
			for _, x := range f {
				if x != 'h' {
					return d.reason("tombstone %d: unknown flag %q", i, x)
				}
				t.HostOnly = true
			}
		case "del":
			t.Deleted, err = d.milli()
			hasDel = true
		case "until":
			t.Until, err = d.milli()
			hasUntil = true
		default:
			err = d.skip(0)
		}
		return err
	})
	if err != nil {
		var se *SessionFileError
		if errors.As(err, &se) {
			return t, err
		}
		return t, d.reason("tombstone %d at byte %d: %v", i, d.pos, err)
	}
	if !hasD || t.Domain == "" || !hasDel || !hasUntil {
		return t, d.reason("tombstone %d: missing domain, del or until", i)
	}
	return t, nil
}
