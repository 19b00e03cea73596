package httpsession

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"time"
	"unicode/utf8"
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
//	],
//	"origins":[
//	{"origin":"https://app.example.com","u":1767366245000,"state":{"origin":"https://app.example.com","localStorage":[…]}},
//	…
//	]}
//
// "origins", written only when there are any, holds the storageState
// origins (localStorage) of siteorigins.go, sorted by origin: u is when
// the origin was stored, and state its object as the storageState
// document had it. A reader that knows no origins skips the key.
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

// sessionVersion is the only version of the session file format.
const sessionVersion = 1

// sessionDoc is the decoded content of a session file.
type sessionDoc struct {
	cookies      []Cookie
	tombs        []tombstone
	token        *Token
	tokenUpdated time.Time // zero when the token never changed
	origins      []storedOrigin
}

// cookieRecord is a cookie's line in the file. A pointer is a key whose
// absence means something.
type cookieRecord struct {
	Name       string  `json:"n"`
	NameBytes  []byte  `json:"nb,omitempty"`
	Value      string  `json:"v,omitempty"`
	ValueBytes []byte  `json:"vb,omitempty"`
	Domain     string  `json:"d"`
	Path       *string `json:"p"`
	PathBytes  []byte  `json:"pb,omitempty"`
	Flags      string  `json:"f,omitempty"`
	SameSite   *string `json:"ss,omitempty"`
	Expires    *int64  `json:"e,omitempty"`
	Created    *int64  `json:"c,omitempty"`
	CreatedNS  *int64  `json:"cn,omitempty"`
	LastAccess *int64  `json:"a,omitempty"`
	Updated    *int64  `json:"u,omitempty"`

	ms [5]int64 // what the times point to when encoding
}

// tombstoneRecord is a tombstone's line in the file.
type tombstoneRecord struct {
	Name      string `json:"n"`
	NameBytes []byte `json:"nb,omitempty"`
	Domain    string `json:"d"`
	Path      string `json:"p"`
	PathBytes []byte `json:"pb,omitempty"`
	Flags     string `json:"f,omitempty"`
	Deleted   *int64 `json:"del"`
	Until     *int64 `json:"until"`
}

// tokenRecord is the token object: golang.org/x/oauth2's names, the
// expiry in UTC.
type tokenRecord struct {
	AccessToken  string `json:"access_token"`
	TokenType    string `json:"token_type,omitempty"`
	RefreshToken string `json:"refresh_token,omitempty"`
	Expiry       string `json:"expiry,omitempty"`
	IDToken      string `json:"id_token,omitempty"`
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
	w := newRecordWriter(b)
	w.buf.WriteString(`{"version":1`)
	if t := d.token; t != nil {
		w.buf.WriteString(",\n" + `"token":`)
		r := tokenRecord{AccessToken: t.AccessToken, TokenType: t.TokenType, RefreshToken: t.RefreshToken, IDToken: t.IDToken}
		if !t.Expiry.IsZero() {
			r.Expiry = t.Expiry.UTC().Format(time.RFC3339Nano)
		}
		w.put(&r)
	}
	if !d.tokenUpdated.IsZero() {
		w.buf.WriteString(",\n" + `"token_updated":`)
		w.put(milli(d.tokenUpdated))
	}
	w.buf.WriteString(",\n" + `"cookies":[`)
	var cr cookieRecord
	tied := sharedMillis(d.cookies)
	for i := range d.cookies {
		if i > 0 {
			w.buf.WriteByte(',')
		}
		w.buf.WriteByte('\n')
		c := &d.cookies[i]
		cr.set(c, tied[milli(c.Created)])
		w.put(&cr)
	}
	w.buf.WriteString("\n],\n" + `"tombstones":[`)
	var tr tombstoneRecord
	for i := range d.tombs {
		if i > 0 {
			w.buf.WriteByte(',')
		}
		w.buf.WriteByte('\n')
		tr.set(&d.tombs[i])
		w.put(&tr)
	}
	w.buf.WriteString("\n]")
	if len(d.origins) > 0 {
		// Optional: a reader that knows no origins skips the key.
		w.buf.WriteString(",\n" + `"origins":[`)
		for i, o := range d.origins {
			if i > 0 {
				w.buf.WriteByte(',')
			}
			w.buf.WriteByte('\n')
			w.put(&originRecord{Origin: o.origin, Updated: milli(o.updated), State: o.state})
		}
		w.buf.WriteString("\n]")
	}
	w.buf.WriteString("}\n")
	return w.buf.Bytes()
}

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

// set makes r the record of c; tied says that another record has c's
// creation millisecond, so that cn is written.
func (r *cookieRecord) set(c *Cookie, tied bool) {
	*r = cookieRecord{Name: c.Name, Value: c.Value, Domain: c.Domain, Path: &c.Path,
		NameBytes: rawBytes(c.Name), ValueBytes: rawBytes(c.Value), PathBytes: rawBytes(c.Path)}
	var f []byte
	if c.HostOnly {
		f = append(f, 'h')
	}
	if c.Secure {
		f = append(f, 's')
	}
	if c.HttpOnly {
		f = append(f, 'o')
	}
	if c.Partitioned {
		f = append(f, 'p')
	}
	r.Flags = string(f)
	if sameSiteName(c.SameSite) != "" {
		r.SameSite = &sameSiteNames[c.SameSite]
	}
	r.ms = [5]int64{milli(c.Expires), milli(c.Created), milli(c.LastAccess), milli(c.Updated), int64(c.Created.Nanosecond() % 1e6)}
	if !c.Expires.IsZero() {
		r.Expires = &r.ms[0]
	}
	if !c.Created.IsZero() {
		r.Created = &r.ms[1]
		if tied && r.ms[4] != 0 {
			r.CreatedNS = &r.ms[4]
		}
	}
	if c.LastAccess.UnixMilli() != c.Created.UnixMilli() || c.LastAccess.IsZero() != c.Created.IsZero() {
		r.LastAccess = &r.ms[2]
	}
	if c.Updated.UnixMilli() != c.Created.UnixMilli() || c.Updated.IsZero() != c.Created.IsZero() {
		r.Updated = &r.ms[3]
	}
}

// set makes r the record of t.
func (r *tombstoneRecord) set(t *tombstone) {
	del, until := milli(t.Deleted), milli(t.Until)
	*r = tombstoneRecord{Name: t.Name, NameBytes: rawBytes(t.Name), Domain: t.Domain,
		Path: t.Path, PathBytes: rawBytes(t.Path), Deleted: &del, Until: &until}
	if t.HostOnly {
		r.Flags = "h"
	}
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

// A recordWriter appends JSON values to a buffer without the newline that
// json.Encoder ends each with.
type recordWriter struct {
	buf *bytes.Buffer
	enc *json.Encoder
}

func newRecordWriter(b []byte) recordWriter {
	w := recordWriter{buf: bytes.NewBuffer(b)}
	w.enc = json.NewEncoder(w.buf)
	w.enc.SetEscapeHTML(false)
	return w
}

func (w recordWriter) put(v any) {
	start := w.buf.Len()
	if err := w.enc.Encode(v); err != nil {
		// Records hold strings, byte slices and integers only.
		panic("httpsession: encoding a session record: " + err.Error())
	}
	w.buf.Truncate(w.buf.Len() - 1)
	if rec := w.buf.Bytes()[start:]; bytes.IndexByte(rec, '\\') >= 0 {
		rec = fileEscapes(rec)
		w.buf.Truncate(start)
		w.buf.Write(rec)
	}
}

// fileEscapes returns rec, JSON from encoding/json, with the string
// escapes of the session file where the two differ: \b and \f are written
// \u0008 and \u000c; U+2028, U+2029 and U+FFFD (also for each byte that is
// not UTF-8) as they are. Files written so far have these bytes, and the
// same state must give the same bytes.
func fileEscapes(rec []byte) []byte {
	out := make([]byte, 0, len(rec)+16)
	for i := 0; i < len(rec); i++ {
		if rec[i] != '\\' {
			out = append(out, rec[i])
			continue
		}
		i++ // encoding/json never ends a value with a backslash
		switch e := rec[i]; {
		case e == 'b':
			out = append(out, `\u0008`...)
		case e == 'f':
			out = append(out, `\u000c`...)
		case e == 'u' && string(rec[i+1:i+5]) == "2028":
			out, i = append(out, "\u2028"...), i+4
		case e == 'u' && string(rec[i+1:i+5]) == "2029":
			out, i = append(out, "\u2029"...), i+4
		case e == 'u' && string(rec[i+1:i+5]) == "fffd":
			out, i = append(out, "\ufffd"...), i+4
		default:
			out = append(out, '\\', e)
		}
	}
	return out
}

// decodeSession parses a session file. Every error it returns is a
// *SessionFileError without Path; none contains data from the file.
//
// Measured on 2 shared cores, encoding/json decodes a file of 3,000
// cookies in 5–13 ms where a hand-written decoder took 0.8–2.2 ms: paid
// when loading and when saving after another process saved, and not worth
// 700 lines of our own.
func decodeSession(data []byte) (*sessionDoc, error) {
	switch rest := bytes.TrimLeft(data, " \t\r\n"); {
	case len(rest) == 0:
		// A 0-byte file (touch, mktemp) holds no session yet; a save is
		// atomic, so it is never the remains of a broken one.
		return &sessionDoc{}, nil
	case rest[0] != '{':
		return nil, corrupt("not a JSON object")
	}
	// A json.Decoder reads the records one at a time, so that an error
	// can name the record.
	dec := json.NewDecoder(bytes.NewReader(data))
	if _, err := dec.Token(); err != nil { // the '{' seen above
		return nil, invalid(dec, "", err)
	}
	doc, hasVersion := &sessionDoc{}, false
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, invalid(dec, "", err)
		}
		key, _ := tok.(string) // a key, or Token fails
		if err := doc.decodeValue(dec, key); err != nil {
			return nil, err
		}
		hasVersion = hasVersion || key == "version"
	}
	if _, err := dec.Token(); err != nil { // the '}'
		return nil, invalid(dec, "", err)
	}
	if rest := bytes.TrimLeft(data[dec.InputOffset():], " \t\r\n"); len(rest) > 0 {
		return nil, corrupt("data after the JSON object at byte %d", len(data)-len(rest))
	}
	if !hasVersion {
		return nil, corrupt("no version")
	}
	return doc, nil
}

// decodeValue reads the value of the document's key into doc.
func (doc *sessionDoc) decodeValue(dec *json.Decoder, key string) error {
	var err error
	switch key {
	case "version":
		var v *int64
		switch err = dec.Decode(&v); {
		case err == nil && v == nil:
			return corrupt("no version")
		case err == nil && *v != sessionVersion:
			return corrupt("unsupported version %d", *v)
		}
	case "token":
		var r *tokenRecord
		if err = dec.Decode(&r); err == nil {
			doc.token, err = r.token()
		}
	case "token_updated":
		var ms *int64
		if err = dec.Decode(&ms); err == nil && ms != nil {
			doc.tokenUpdated = time.UnixMilli(*ms)
		}
	case "cookies":
		doc.cookies, err = decodeRecords(dec, "cookie", doc.cookies, (*cookieRecord).cookie)
	case "tombstones":
		doc.tombs, err = decodeRecords(dec, "tombstone", doc.tombs, (*tombstoneRecord).tombstone)
	case "origins":
		doc.origins, err = decodeRecords(dec, "origin", doc.origins, (*originRecord).storedOrigin)
	default:
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			return invalid(dec, "", err) // not naming a key from the file
		}
	}
	if err != nil {
		return invalid(dec, key, err)
	}
	return nil
}

// decodeRecords reads an array of records R (null is none), appending to
// out what conv makes of each.
func decodeRecords[R, T any](dec *json.Decoder, kind string, out []T, conv func(r *R, i int) (T, error)) ([]T, error) {
	switch tok, err := dec.Token(); {
	case err != nil:
		return out, err
	case tok == nil:
		return out, nil
	case tok != json.Delim('['):
		return out, corrupt("%ss: not an array", kind)
	}
	for i := 0; dec.More(); i++ {
		var r R
		if err := dec.Decode(&r); err != nil {
			return out, invalid(dec, fmt.Sprintf("%s %d", kind, i), err)
		}
		v, err := conv(&r, i)
		if err != nil {
			return out, err
		}
		out = append(out, v)
	}
	_, err := dec.Token() // the ']'
	return out, err
}

func corrupt(format string, args ...any) error {
	return &SessionFileError{Reason: fmt.Sprintf(format, args...)}
}

// invalid describes err, met by dec in the record where ("" at the top),
// without the file's content that encoding/json's messages can quote.
func invalid(dec *json.Decoder, where string, err error) error {
	var (
		se     *SessionFileError
		syntax *json.SyntaxError
		typ    *json.UnmarshalTypeError
		b64    base64.CorruptInputError
		reason string
	)
	switch {
	case errors.As(err, &se):
		return se
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		reason, err = "truncated", io.ErrUnexpectedEOF
	case errors.As(err, &syntax):
		reason, err = fmt.Sprintf("invalid JSON near byte %d", dec.InputOffset()), nil
	case errors.As(err, &typ) && typ.Field != "":
		reason, err = fmt.Sprintf("wrong type of %q", typ.Field), nil
	case errors.As(err, &typ):
		reason, err = "wrong type", nil
	case errors.As(err, &b64):
		reason, err = "invalid base64", nil
	default:
		reason, err = "invalid JSON", nil
	}
	if where != "" {
		reason = where + ": " + reason
	}
	return &SessionFileError{Reason: reason, Err: err}
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

// cookie returns the cookie r, record i, holds. It checks each key of the
// record in turn, which is why it is one piece.
func (r *cookieRecord) cookie(i int) (Cookie, error) {
	c := Cookie{Name: exact(r.Name, r.NameBytes), Value: exact(r.Value, r.ValueBytes), Domain: r.Domain}
	switch {
	case c.Domain == "":
		return c, corrupt("cookie %d: no domain", i)
	case r.Path == nil:
		return c, corrupt("cookie %d: no path", i)
	}
	c.Path = exact(*r.Path, r.PathBytes)
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
			return c, corrupt("cookie %d: unknown flag %q", i, x)
		}
	}
	if r.SameSite != nil {
		for m, name := range sameSiteNames {
			if name != "" && name == *r.SameSite {
				c.SameSite = http.SameSite(m)
			}
		}
		if c.SameSite == 0 {
			return c, corrupt("cookie %d: unknown SameSite mode", i)
		}
	}
	if r.Expires != nil {
		c.Expires = time.UnixMilli(*r.Expires)
	}
	if r.Created != nil {
		c.Created = time.UnixMilli(*r.Created)
	}
	if r.CreatedNS != nil {
		if r.Created == nil || *r.CreatedNS < 0 || *r.CreatedNS >= 1e6 {
			return c, corrupt("cookie %d: cn out of range or without c", i)
		}
		c.Created = c.Created.Add(time.Duration(*r.CreatedNS))
	}
	c.LastAccess, c.Updated = c.Created, c.Created
	if r.LastAccess != nil {
		c.LastAccess = time.UnixMilli(*r.LastAccess)
	}
	if r.Updated != nil {
		c.Updated = time.UnixMilli(*r.Updated)
	}
	return c, nil
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
	if t.Domain == "" || r.Deleted == nil || r.Until == nil {
		return t, corrupt("tombstone %d: missing domain, del or until", i)
	}
	t.Deleted, t.Until = time.UnixMilli(*r.Deleted), time.UnixMilli(*r.Until)
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
