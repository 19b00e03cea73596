package httpsession

import (
	"bytes"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"
	"unicode/utf16"
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

// sessionDoc is the decoded content of a session file.
type sessionDoc struct {
	cookies      []Cookie
	tombs        []tombstone
	token        *Token
	tokenUpdated time.Time // zero when the token never changed
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
		if t.IDToken != "" {
			b = append(b, `,"id_token":`...)
			b = appendString(b, t.IDToken)
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

// encodedSize is about the size of the encoded document, a little more
// unless strings need escaping, so that encode can write into one buffer.
func (d *sessionDoc) encodedSize() int {
	// Keys, quotes, flags, SameSite, four times and separators of the
	// longest record; the strings come on top.
	const cookieFixed, tombFixed = 128, 80
	n := 256
	if t := d.token; t != nil {
		n += len(t.AccessToken) + len(t.TokenType) + len(t.RefreshToken) + len(t.IDToken)
	}
	for i := range d.cookies {
		c := &d.cookies[i]
		n += cookieFixed + len(c.Name) + len(c.Value) + len(c.Domain) + len(c.Path)
	}
	for i := range d.tombs {
		t := &d.tombs[i]
		n += tombFixed + len(t.Name) + len(t.Domain) + len(t.Path)
	}
	return n
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

// inRecord reports err, met while decoding record i of a kind: as it is
// if it already says what is wrong, else with the record and position.
func (d *decoder) inRecord(err error, kind string, i int) error {
	var se *SessionFileError
	if errors.As(err, &se) {
		return err
	}
	return d.reason("%s %d at byte %d: %v", kind, i, d.pos, err)
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
			if doc.cookies == nil && d.peek() == '[' {
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
		case "id_token":
			t.IDToken, err = d.str()
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
		return c, d.inRecord(err, "cookie", i)
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
		return t, d.inRecord(err, "tombstone", i)
	}
	if !hasD || t.Domain == "" || !hasDel || !hasUntil {
		return t, d.reason("tombstone %d: missing domain, del or until", i)
	}
	return t, nil
}
