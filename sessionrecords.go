package httpsession

import (
	"fmt"
	"hash/maphash"
	"net/http"
	"time"
	"unicode/utf8"
)

// The session file's format, and the conversions between the jar's
// cookies and tombstones and the records of the file: what each key
// holds, and what a record must hold to be read; and the parts of the
// codec that name no JSON package (sessionjson.go has the codec): the
// document's escapes, its errors, the strings it shares, the walk over an
// array of records.

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
//	],
//	"origins":[{"origin":"https://app.example.com","u":1767366245000,"state":{…}}, …]}
//
// "origins" is optional: see siteorigins.go.
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
//	cn  nanoseconds of the creation time past c, 1–999999, written only
//	    when another cookie has the same c (omitted when 0)
//	nb, vb, pb   the name, value or path as base64 (RFC 4648 §4, padded),
//	    only when it is not valid UTF-8
//
// JSON strings are Unicode, but a cookie's name, value and path are bytes
// that need not be UTF-8 (a server may send Latin-1). Such a string is
// written under n, v or p with each invalid byte as U+FFFD, for readers
// that know no better, and exactly under nb, vb or pb, which a reader
// prefers. Tombstones have nb and pb too.
//
// All times are Unix milliseconds; merging needs sub-second order between a
// cookie's last update and a tombstone's deletion time. Cookies of equal
// path length are sent in the order of their creation (RFC 6265 §5.4), and
// a jar gives the cookies it creates distinct creation times, a nanosecond
// apart when they are created at once; cn keeps that order where c alone
// would not, among cookies created in the same millisecond. A file
// without cn (or one that reads it as unknown) orders such cookies as the
// file lists them. The token object uses
// the JSON names of golang.org/x/oauth2's Token; token_updated records when
// the token last changed (kept also after the token was cleared), so that
// the newer token wins when two processes save.
//

// sharedMillis returns the creation times, in Unix milliseconds, that
// more than one of cookies has and that need cn: those of a cookie
// created past the start of its millisecond. nil when there are none.
func sharedMillis(cookies []Cookie) map[int64]bool {
	var subMilli bool
	for i := range cookies {
		if cookies[i].Created.Nanosecond()%1e6 != 0 {
			subMilli = true
			break
		}
	}
	if !subMilli {
		return nil
	}
	seen := make(map[int64]bool, len(cookies))
	for i := range cookies {
		ms := milli(cookies[i].Created)
		_, again := seen[ms]
		seen[ms] = again
	}
	return seen
}

// A lineWriter makes the lines of cookies and tombstones, and holds what
// their pointers point to.
type lineWriter struct {
	cookie cookieOut
	tomb   tombstoneOut
	ms     [5]int64
}

// cookieLine returns the line of c; tied says that another record has
// c's creation millisecond, so that cn is written.
func (w *lineWriter) cookieLine(c *Cookie, tied bool) *cookieOut {
	r := &w.cookie
	*r = cookieOut{Name: c.Name, Value: c.Value, Domain: c.Domain, Path: &c.Path,
		NameBytes: rawBytes(c.Name), ValueBytes: rawBytes(c.Value), PathBytes: rawBytes(c.Path)}
	var f int
	for i, set := range [...]bool{c.HostOnly, c.Secure, c.HttpOnly, c.Partitioned} {
		if set {
			f |= 1 << i
		}
	}
	r.Flags = flagNames[f]
	if sameSiteName(c.SameSite) != "" {
		r.SameSite = &sameSiteNames[c.SameSite]
	}
	w.ms = [5]int64{milli(c.Expires), milli(c.Created), milli(c.LastAccess), milli(c.Updated), int64(c.Created.Nanosecond() % 1e6)}
	if !c.Expires.IsZero() {
		r.Expires = &w.ms[0]
	}
	if !c.Created.IsZero() {
		r.Created = &w.ms[1]
		if tied && w.ms[4] != 0 {
			r.CreatedNS = &w.ms[4]
		}
	}
	if c.LastAccess.UnixMilli() != c.Created.UnixMilli() || c.LastAccess.IsZero() != c.Created.IsZero() {
		r.LastAccess = &w.ms[2]
	}
	if c.Updated.UnixMilli() != c.Created.UnixMilli() || c.Updated.IsZero() != c.Created.IsZero() {
		r.Updated = &w.ms[3]
	}
	return r
}

// flagNames are the values of the f key, indexed by the flags h (1), s
// (2), o (4) and p (8).
var flagNames = func() (names [16]string) {
	for i := range names {
		for bit, x := range "hsop" {
			if i&(1<<bit) != 0 {
				names[i] += string(x)
			}
		}
	}
	return names
}()

// tombLine returns the line of t.
func (w *lineWriter) tombLine(t *tombstone) *tombstoneOut {
	w.ms[0], w.ms[1] = milli(t.Deleted), milli(t.Until)
	w.tomb = tombstoneOut{Name: t.Name, NameBytes: rawBytes(t.Name), Domain: t.Domain,
		Path: t.Path, PathBytes: rawBytes(t.Path), Deleted: &w.ms[0], Until: &w.ms[1]}
	if t.HostOnly {
		w.tomb.Flags = "h"
	}
	return &w.tomb
}

// rawBytes returns s for a "…b" key: nil when s is valid UTF-8 and its
// string key holds it exactly.
func rawBytes(s string) []byte {
	if utf8.ValidString(s) {
		return nil
	}
	return []byte(s)
}

// milli returns t as Unix milliseconds. The zero time is 0, written only
// where a key can't be omitted (tombstones), which decodes to 1970.
func milli(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
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

func (r *tokenRecord) token() (*Token, error) {
	if r == nil {
		return nil, nil
	}
	t := &Token{AccessToken: r.AccessToken, TokenType: r.TokenType, RefreshToken: r.RefreshToken, IDToken: r.IDToken}
	if r.Expiry != "" {
		var err error
		t.Expiry, err = time.Parse(time.RFC3339Nano, r.Expiry)
		if y := t.Expiry.UTC().Year(); err != nil || y < 0 || y > 9999 {
			return nil, corrupt("token: invalid expiry")
		}
	}
	return t, nil
}

// cookieInto sets *c to the cookie r, record i, holds. It checks each key
// of the record in turn, which is why it is one piece. It writes c in
// place, for a c on the heap: a copy of a whole Cookie there costs the
// garbage collector's write barrier on every pointer in it.
func (r *cookieRecord) cookieInto(c *Cookie, i int) error {
	*c = Cookie{Name: exact(r.Name, r.NameBytes), Value: exact(r.Value, r.ValueBytes), Domain: r.Domain}
	switch {
	case c.Domain == "":
		return corrupt("cookie %d: no domain", i)
	case !r.Path.set:
		return corrupt("cookie %d: no path", i)
	}
	c.Path = exact(r.Path.v, r.PathBytes)
	for _, x := range []byte(r.Flags) {
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
			return corrupt("cookie %d: unknown flag %q", i, x)
		}
	}
	if r.SameSite.set {
		for m, name := range sameSiteNames {
			if name != "" && name == r.SameSite.v {
				c.SameSite = http.SameSite(m)
			}
		}
		if c.SameSite == 0 {
			return corrupt("cookie %d: unknown SameSite mode", i)
		}
	}
	if r.Expires.set {
		c.Expires = time.UnixMilli(r.Expires.v)
	}
	if r.Created.set {
		c.Created = time.UnixMilli(r.Created.v)
	}
	if ns := r.CreatedNS; ns.set {
		if !r.Created.set || ns.v < 0 || ns.v >= 1e6 {
			return corrupt("cookie %d: cn out of range or without c", i)
		}
		c.Created = c.Created.Add(time.Duration(ns.v))
	}
	c.LastAccess, c.Updated = c.Created, c.Created
	if r.LastAccess.set {
		c.LastAccess = time.UnixMilli(r.LastAccess.v)
	}
	if r.Updated.set {
		c.Updated = time.UnixMilli(r.Updated.v)
	}
	return nil
}

// tombstone returns the tombstone r, record i, holds.
func (r *tombstoneRecord) tombstone(i int) (tombstone, error) {
	t := tombstone{Name: exact(r.Name, r.NameBytes), Domain: r.Domain, Path: exact(r.Path, r.PathBytes)}
	for _, x := range []byte(r.Flags) {
		if x != 'h' {
			return t, corrupt("tombstone %d: unknown flag %q", i, x)
		}
		t.HostOnly = true
	}
	if t.Domain == "" || !r.Deleted.set || !r.Until.set {
		return t, corrupt("tombstone %d: missing domain, del or until", i)
	}
	t.Deleted, t.Until = time.UnixMilli(r.Deleted.v), time.UnixMilli(r.Until.v)
	return t, nil
}

// exact returns a string read from its key s and its "…b" key raw: raw
// when present.
func exact(s string, raw []byte) string {
	if raw != nil {
		return string(raw)
	}
	return s
}

// A stringCache makes strings of the bytes of a document, sharing those
// that recur (domains, paths, common names and values), as
// encoding/json/v2 does for the strings it decodes. A string of 2–256
// bytes is kept in one of 256 sets of 4 chosen by its hash, the most
// recently used first, so that strings read once pass through without
// evicting those that recur.
type stringCache [256][4]string

// maxShared is the length of the longest string a stringCache keeps.
const maxShared = 256

// get returns b as a string.
func (c *stringCache) get(b []byte) string {
	if len(b) < 2 || len(b) > maxShared {
		return string(b)
	}
	set := &c[maphash.Bytes(docSeed, b)%uint64(len(c))]
	i := 0
	for i < len(set)-1 && set[i] != string(b) {
		i++
	}
	s := set[i]
	if s != string(b) {
		s = string(b) // a miss: the last, least recently used, goes
	}
	copy(set[1:i+1], set[:i])
	set[0] = s
	return s
}

// sessionDoc is the decoded content of a session file.
type sessionDoc struct {
	cookies      []Cookie
	tombs        []tombstone
	token        *Token
	tokenUpdated time.Time // zero when the token never changed
	origins      []storedOrigin
}

// fileEscapes returns rec, JSON from the marshaler, with the string
// escapes of the session file where the two differ: \b and \f are written
// \u0008 and \u000c, as files written so far have them, so that the same
// state gives the same bytes.
func fileEscapes(rec []byte) []byte {
	out := make([]byte, 0, len(rec)+16)
	for i := 0; i < len(rec); i++ {
		if rec[i] != '\\' {
			out = append(out, rec[i])
			continue
		}
		i++ // JSON never ends a value with a backslash
		switch rec[i] {
		case 'b':
			out = append(out, `\u0008`...)
		case 'f':
			out = append(out, `\u000c`...)
		default:
			out = append(out, '\\', rec[i])
		}
	}
	return out
}

func corrupt(format string, args ...any) error {
	return &SessionFileError{Reason: fmt.Sprintf(format, args...)}
}

// recordKeys are the keys of the records and the token object, which an
// error may name.
var recordKeys = map[string]bool{
	"n": true, "nb": true, "v": true, "vb": true, "d": true, "p": true, "pb": true, "f": true,
	"ss": true, "e": true, "c": true, "cn": true, "a": true, "u": true, "del": true, "until": true,
	"access_token": true, "token_type": true, "refresh_token": true, "expiry": true, "id_token": true,
}

// decodeSession parses a session file. Every error it returns is a
// *SessionFileError without Path; none contains data from the file.
func decodeSession(data []byte) (*sessionDoc, error) {
	doc := &sessionDoc{}
	err := readSession(data, doc, func(c *Cookie) { doc.cookies = append(doc.cookies, *c) })
	if err != nil {
		return nil, err
	}
	return doc, nil
}

// array reads an array of records (null is none), calling rec for each
// with its index.
func (r *docReader) array(kind string, rec func(i int) error) error {
	switch r.dec.PeekKind() {
	case 'n':
		_, err := r.dec.ReadToken()
		return err
	case '[':
		if _, err := r.dec.ReadToken(); err != nil {
			return err
		}
	case 0:
		_, err := r.dec.ReadToken() // the reason it could not peek
		return err
	default:
		return corrupt("%ss: not an array", kind)
	}
	for i := 0; r.dec.PeekKind() != ']'; i++ {
		if err := rec(i); err != nil {
			return invalid(err, fmt.Sprintf("%s %d", kind, i))
		}
	}
	_, err := r.dec.ReadToken() // the ']'
	return err
}

// smallInt returns the value of a JSON number of 1 to 18 digits and
// nothing else, the form of every time in a session file, as ParseInt
// would, without its general case; ok is false for any other number.
func smallInt(num []byte) (v int64, ok bool) {
	if len(num) == 0 || len(num) > 18 {
		return 0, false
	}
	for _, c := range num {
		if c < '0' || c > '9' {
			return 0, false
		}
		v = v*10 + int64(c-'0')
	}
	return v, true
}
