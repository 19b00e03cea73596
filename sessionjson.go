package httpsession

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
)

// The session file's format is described in sessionrecords.go.
//
// The codec is encoding/json/v2's, with its jsontext package for the
// streaming, imported as github.com/go-json-experiment/json v1.27: that
// module mirrors the standard library's encoding/json/v2 (stable since Go
// 1.27). Built with the goexperiment.jsonv2 build tag, which Go 1.27 sets
// by default (and Go 1.25 and 1.26 under GOEXPERIMENT=jsonv2), its two
// packages are aliases of encoding/json/v2 and encoding/json/jsontext;
// without it, as on Go 1.26 by default, they compile the same code from
// the module. When Go 1.26 is no longer supported, the imports become
// encoding/json/v2 and encoding/json/jsontext, and nothing else changes.
// The record types below and their tags define the format; the code
// around them lays out the lines, reads one record at a time and keeps
// the escapes files have always had (fileEscapes). Cookie records, the
// bulk of a file, are read and written as the encoder's and decoder's
// tokens, key by key in the order of the struct (readCookie,
// recordWriter.cookie), and their rarer values through the struct's
// types, as the tags say.
//
// Files written by encoding/json (v1) read as they did: a byte that is not
// UTF-8 reads as U+FFFD, and of a key given twice the last wins. Keys
// match exactly, where encoding/json also matched them regardless of
// case; no file this package wrote differs.
//
// Adding a key to the document is a case in docReader.member and a
// member call in encode; readers that do not know a key pass over it.

// sessionVersion is the only version of the session file format.
const sessionVersion = 1

// cookieRecordOf is a cookie's line in the file. Its keys of type I
// (integers) and S (strings) are those whose absence means something:
// cookieRecord reads them as opt values and cookieOut writes them from
// pointers, each with no allocation per record.
type cookieRecordOf[I, S any] struct {
	Name       string `json:"n"`
	NameBytes  []byte `json:"nb,omitzero"`
	Value      string `json:"v,omitzero"`
	ValueBytes []byte `json:"vb,omitzero"`
	Domain     string `json:"d"`
	Path       S      `json:"p"`
	PathBytes  []byte `json:"pb,omitzero"`
	Flags      string `json:"f,omitzero"`
	SameSite   S      `json:"ss,omitzero"`
	Expires    I      `json:"e,omitzero"`
	Created    I      `json:"c,omitzero"`
	CreatedNS  I      `json:"cn,omitzero"`
	LastAccess I      `json:"a,omitzero"`
	Updated    I      `json:"u,omitzero"`
}

type (
	cookieRecord cookieRecordOf[optInt, optString] // as read
	cookieOut    cookieRecordOf[*int64, *string]   // as written
)

// tombstoneRecordOf is a tombstone's line in the file, as
// cookieRecordOf.
type tombstoneRecordOf[I any] struct {
	Name      string `json:"n"`
	NameBytes []byte `json:"nb,omitzero"`
	Domain    string `json:"d"`
	Path      string `json:"p"`
	PathBytes []byte `json:"pb,omitzero"`
	Flags     string `json:"f,omitzero"`
	Deleted   I      `json:"del"`
	Until     I      `json:"until"`
}

type (
	tombstoneRecord tombstoneRecordOf[optInt]
	tombstoneOut    tombstoneRecordOf[*int64]
)

// An optInt is an integer key that may be absent: set says whether it is
// there. A null reads as absent, as it did into a pointer. Unlike a
// pointer, it costs no allocation per record.
type optInt struct {
	v   int64
	set bool
}

// errNotInteger is the error of a key that is no JSON integer in the range
// of int64, as the decoder reports for an int64 (1.5, 1e3, "1").
var errNotInteger = errors.New("not an integer")

func (o *optInt) UnmarshalJSONFrom(dec *jsontext.Decoder) error {
	switch dec.PeekKind() {
	case 'n':
		*o = optInt{}
		_, err := dec.ReadToken()
		return err
	case '0':
		tok, err := dec.ReadToken()
		if err != nil {
			return err
		}
		// The decoder has checked the JSON number; Int takes the
		// integers of int64 of it.
		v, err := tok.Int()
		if err != nil {
			return errNotInteger
		}
		*o = optInt{v, true}
		return nil
	}
	if _, err := dec.ReadValue(); err != nil { // or the reason it could not peek
		return err
	}
	return errNotInteger
}

// An optString is a string key that may be absent, as optInt.
type optString struct {
	v   string
	set bool
}

func (o *optString) UnmarshalJSONFrom(dec *jsontext.Decoder) error {
	if dec.PeekKind() == 'n' {
		*o = optString{}
		_, err := dec.ReadToken()
		return err
	}
	o.set = true
	return json.UnmarshalDecode(dec, &o.v)
}

// tokenRecord is the token object: golang.org/x/oauth2's names, the
// expiry in UTC.
type tokenRecord struct {
	AccessToken  string `json:"access_token"`
	TokenType    string `json:"token_type,omitzero"`
	RefreshToken string `json:"refresh_token,omitzero"`
	Expiry       string `json:"expiry,omitzero"`
	IDToken      string `json:"id_token,omitzero"`
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
	buf := bytes.NewBuffer(b)
	w := recordWriter{buf: buf, enc: jsontext.NewEncoder(buf, tokenOptions)}
	w.buf.WriteString(`{"version":1`)
	if t := d.token; t != nil {
		r := tokenRecord{AccessToken: t.AccessToken, TokenType: t.TokenType, RefreshToken: t.RefreshToken, IDToken: t.IDToken}
		if !t.Expiry.IsZero() {
			r.Expiry = t.Expiry.UTC().Format(time.RFC3339Nano)
		}
		w.member("token", &r)
	}
	if !d.tokenUpdated.IsZero() {
		ms := milli(d.tokenUpdated)
		w.member("token_updated", &ms)
	}
	var lw lineWriter
	tied := sharedMillis(d.cookies)
	w.array("cookies", len(d.cookies), func(i int) any {
		c := &d.cookies[i]
		return lw.cookieLine(c, tied[milli(c.Created)])
	})
	w.array("tombstones", len(d.tombs), func(i int) any {
		return lw.tombLine(&d.tombs[i])
	})
	w.origins(d.origins)
	w.buf.WriteString("}\n")
	return w.buf.Bytes()
}

// A recordWriter writes the members of the document, each on a line of
// its own, and the records of its arrays one per line: the layout that
// makes a file readable and diffable, which no encoder option gives.
// Each record is marshaled straight into the buffer.
type recordWriter struct {
	buf *bytes.Buffer
	enc *jsontext.Encoder // for cookie records
}

// member writes the document's member name with the value v.
func (w recordWriter) member(name string, v any) {
	w.buf.WriteString(",\n\"" + name + "\":")
	w.put(v)
}

// array writes the document's member name, an array of n records; rec
// returns record i.
func (w recordWriter) array(name string, n int, rec func(i int) any) {
	w.buf.WriteString(",\n\"" + name + "\":[")
	for i := range n {
		if i > 0 {
			w.buf.WriteByte(',')
		}
		w.buf.WriteByte('\n')
		w.put(rec(i))
	}
	w.buf.WriteString("\n]")
}

// encodeOptions are the marshal options of every record. A string that
// is not UTF-8 is written with U+FFFD for each invalid byte (its exact
// bytes go under a "…b" key); <, >, &, U+2028 and U+2029 are written as
// they are, which is the default.
var encodeOptions = jsontext.AllowInvalidUTF8(true)

func (w recordWriter) put(v any) {
	start := w.buf.Len()
	if c, ok := v.(*cookieOut); ok {
		w.cookie(c)
	} else if err := json.MarshalWrite(w.buf, v, encodeOptions); err != nil {
		// Records hold strings, byte slices and integers only.
		panic("httpsession: encoding a session record: " + err.Error())
	}
	if rec := w.buf.Bytes()[start:]; bytes.IndexByte(rec, '\\') >= 0 {
		rec = fileEscapes(rec)
		w.buf.Truncate(start)
		w.buf.Write(rec)
	}
}

// tokenOptions are the options of the encoder of cookie records: those
// of encodeOptions, and no check for duplicate keys, which a record
// written from its fields has none of.
var tokenOptions = json.JoinOptions(encodeOptions, jsontext.AllowDuplicateNames(true))

// cookie writes the cookie record r as json.MarshalWrite does, field by
// field in the order of cookieRecordOf, omitting the same zero values,
// but as tokens of the encoder, without the reflection over each field
// that marshaling spends, half of a save. Byte slices, in the few records
// that have them, go through json.MarshalEncode.
func (w recordWriter) cookie(r *cookieOut) {
	enc := w.enc
	enc.Reset(w.buf, tokenOptions)
	var err error
	check := func(e error) {
		if e != nil {
			err = e
		}
	}
	put := func(key string, val jsontext.Token) {
		check(enc.WriteToken(jsontext.String(key)))
		check(enc.WriteToken(val))
	}
	putBytes := func(key string, b []byte) {
		if b != nil {
			check(enc.WriteToken(jsontext.String(key)))
			check(json.MarshalEncode(enc, b))
		}
	}
	putInt := func(key string, v *int64) {
		if v != nil {
			put(key, jsontext.Int(*v))
		}
	}
	putStr := func(key string, s *string) {
		if s != nil {
			put(key, jsontext.String(*s))
		}
	}
	check(enc.WriteToken(jsontext.BeginObject))
	put("n", jsontext.String(r.Name))
	putBytes("nb", r.NameBytes)
	if r.Value != "" {
		put("v", jsontext.String(r.Value))
	}
	putBytes("vb", r.ValueBytes)
	put("d", jsontext.String(r.Domain))
	put("p", jsontext.String(*r.Path)) // cookieLine sets it
	putBytes("pb", r.PathBytes)
	if r.Flags != "" {
		put("f", jsontext.String(r.Flags))
	}
	putStr("ss", r.SameSite)
	putInt("e", r.Expires)
	putInt("c", r.Created)
	putInt("cn", r.CreatedNS)
	putInt("a", r.LastAccess)
	putInt("u", r.Updated)
	check(enc.WriteToken(jsontext.EndObject))
	if err != nil {
		// Records hold strings, byte slices and integers only.
		panic("httpsession: encoding a session record: " + err.Error())
	}
	// The encoder ends each top-level value with a newline; the layout
	// puts its own.
	w.buf.Truncate(w.buf.Len() - 1)
}

// decodeOptions are the options of the decoder. Files written by
// encoding/json (v1) load as they did: a byte that is not UTF-8 reads as
// U+FFFD, and of a key given twice the last wins.
var decodeOptions = json.JoinOptions(jsontext.AllowInvalidUTF8(true), jsontext.AllowDuplicateNames(true))

// readSession parses a session file into doc, but for its cookies: it
// hands each one to cookie as it is read, in the file's order, without
// keeping them. Every error it returns is a *SessionFileError without
// Path; none contains data from the file. On an error, cookie may have
// been called for the records before it.
func readSession(data []byte, doc *sessionDoc, cookie func(*Cookie)) error {
	switch rest := bytes.TrimLeft(data, " \t\r\n"); {
	case len(rest) == 0:
		// A 0-byte file (touch, mktemp) holds no session yet; a save is
		// atomic, so it is never the remains of a broken one.
		return nil
	case rest[0] != '{':
		return corrupt("not a JSON object")
	}
	// The decoder reads the records one at a time, so that an error can
	// name the record, and parses straight from data.
	r := docReader{dec: jsontext.NewDecoder(bytes.NewBuffer(data), decodeOptions), doc: doc, cookie: cookie}
	if _, err := r.dec.ReadToken(); err != nil { // the '{' seen above
		return invalid(err, "")
	}
	hasVersion := false
	for r.dec.PeekKind() != '}' {
		tok, err := r.dec.ReadToken()
		if err != nil {
			return invalid(err, "")
		}
		key := tok.String() // a key, or ReadToken fails
		if err := r.member(key); err != nil {
			return err
		}
		hasVersion = hasVersion || key == "version"
	}
	if _, err := r.dec.ReadToken(); err != nil { // the '}'
		return invalid(err, "")
	}
	end := int(r.dec.InputOffset())
	if rest := bytes.TrimLeft(data[end:], " \t\r\n"); len(rest) > 0 {
		return corrupt("data after the JSON object at byte %d", len(data)-len(rest))
	}
	if !hasVersion {
		return corrupt("no version")
	}
	return nil
}

// A docReader reads the members of a session document.
type docReader struct {
	dec    *jsontext.Decoder
	doc    *sessionDoc
	cookie func(*Cookie)
	// strings holds the strings of recent records: their domains and
	// paths recur, and a loaded jar shares them.
	strings stringCache
}

// member reads the value of the document's member key. Adding a member
// to the format is a case here and a member call in encode.
func (r *docReader) member(key string) error {
	var err error
	switch key {
	case "version":
		var v *int64
		switch err = r.decode(&v); {
		case err == nil && v == nil:
			return corrupt("no version")
		case err == nil && *v != sessionVersion:
			return corrupt("unsupported version %d", *v)
		}
	case "token":
		var t *tokenRecord
		if err = r.decode(&t); err == nil {
			r.doc.token, err = t.token()
		}
	case "token_updated":
		var ms *int64
		if err = r.decode(&ms); err == nil && ms != nil {
			r.doc.tokenUpdated = time.UnixMilli(*ms)
		}
	case "cookies":
		var (
			rec cookieRecord
			c   Cookie
		)
		err = r.array("cookie", func(i int) error {
			if err := r.readCookie(&rec); err != nil {
				return err
			}
			var err error
			if err = rec.cookieInto(&c, i); err == nil {
				r.cookie(&c)
			}
			return err
		})
	case "tombstones":
		var rec tombstoneRecord
		err = r.array("tombstone", func(i int) error {
			rec = tombstoneRecord{}
			if err := r.decode(&rec); err != nil {
				return err
			}
			t, err := rec.tombstone(i)
			if err == nil {
				r.doc.tombs = append(r.doc.tombs, t)
			}
			return err
		})
	case "origins":
		err = r.origins()
	default:
		if err := r.dec.SkipValue(); err != nil {
			return invalid(err, "") // not naming a key from the file
		}
	}
	return invalid(err, key)
}

// readCookie reads the next cookie record into rec key by key, as
// json.UnmarshalDecode would into the struct: its keys are few and fixed,
// and taking them off the decoder's tokens spares the reflection that
// unmarshaling spends on each key, half of a load. Each key is read as a
// raw value and matched by its bytes (unquoted only when it has an
// escape), so that no string is made of it. A value of a rarer form
// (null, a wrong type, base64, a record that is no object) goes through
// json.UnmarshalDecode, so that it reads, and fails, as in the struct.
// It is one piece on purpose: it runs for every record of a load, and its
// key switch is a table best read in place.
func (r *docReader) readCookie(rec *cookieRecord) error {
	*rec = cookieRecord{}
	if r.dec.PeekKind() != '{' {
		var whole cookieRecord // here only, so that rec stays on the stack
		err := r.decode(&whole)
		*rec = whole
		return err
	}
	if _, err := r.dec.ReadToken(); err != nil {
		return err
	}
	for r.dec.PeekKind() == '"' {
		// A key read as a value: its bytes, without the string a token
		// makes of it.
		name, err := r.dec.ReadValue()
		if err != nil {
			return err
		}
		key := []byte(name[1 : len(name)-1])
		if bytes.IndexByte(key, '\\') >= 0 {
			key, err = jsontext.AppendUnquote(nil, name)
			if err != nil { // invalid UTF-8, allowed: U+FFFD, a key of no record
				key = nil
			}
		}
		switch string(key) {
		case "n":
			err = r.readString(&rec.Name)
		case "v":
			err = r.readString(&rec.Value)
		case "d":
			err = r.readString(&rec.Domain)
		case "f":
			err = r.readString(&rec.Flags)
		case "p":
			err = r.readOptString(&rec.Path)
		case "ss":
			err = r.readOptString(&rec.SameSite)
		case "e":
			err = r.readInt(&rec.Expires)
		case "c":
			err = r.readInt(&rec.Created)
		case "cn":
			err = r.readInt(&rec.CreatedNS)
		case "a":
			err = r.readInt(&rec.LastAccess)
		case "u":
			err = r.readInt(&rec.Updated)
		case "nb":
			rec.NameBytes, err = r.decodeBytes()
		case "vb":
			rec.ValueBytes, err = r.decodeBytes()
		case "pb":
			rec.PathBytes, err = r.decodeBytes()
		default:
			err = r.dec.SkipValue()
		}
		if err != nil {
			return err
		}
	}
	_, err := r.dec.ReadToken() // the '}', or the reason it could not peek
	return err
}

// readString reads a string value into s, as json.UnmarshalDecode does:
// a JSON string with neither escapes nor invalid UTF-8 straight from the
// decoder's buffer, through the reader's string cache, and any other
// value through json.UnmarshalDecode, which unescapes, reads invalid
// UTF-8 as U+FFFD, null as "", and reports a wrong type.
func (r *docReader) readString(s *string) error {
	_, err := r.readStringOrNull(s)
	return err
}

// readOptString reads a string key that may be absent into o, as its
// UnmarshalJSONFrom.
func (r *docReader) readOptString(o *optString) error {
	null, err := r.readStringOrNull(&o.v)
	o.set = !null
	return err
}

// readStringOrNull is readString, also reporting whether the value was
// null.
func (r *docReader) readStringOrNull(s *string) (null bool, err error) {
	val, err := r.dec.ReadValue()
	if err != nil {
		return false, err
	}
	if val[0] == '"' {
		if raw := val[1 : len(val)-1]; bytes.IndexByte(raw, '\\') < 0 && utf8.Valid(raw) {
			*s = r.strings.get(raw)
			return false, nil
		}
	}
	var v string // here only, so that s's record stays on the stack
	err = json.Unmarshal(val, &v, decodeOptions)
	*s = v
	return val[0] == 'n', r.at(err)
}

// decodeBytes unmarshals the next value as base64 bytes.
func (r *docReader) decodeBytes() ([]byte, error) {
	var b []byte
	err := r.decode(&b)
	return b, err
}

// readInt reads an integer key into o, as its UnmarshalJSONFrom.
func (r *docReader) readInt(o *optInt) error {
	val, err := r.dec.ReadValue()
	switch {
	case err != nil:
		return err
	case val[0] == 'n':
		*o = optInt{}
		return nil
	case val.Kind() == '0':
		// The decoder has checked the JSON number; an integer of int64
		// is what ParseInt accepts of it.
		if v, ok := smallInt(val); ok {
			*o = optInt{v, true}
			return nil
		}
		if v, err := strconv.ParseInt(string(val), 10, 64); err == nil {
			*o = optInt{v, true}
			return nil
		}
	}
	return r.at(&json.SemanticError{Err: errNotInteger})
}

// at places err, an error of the value just read, at that value: the key
// it names is the reason of the error (invalid).
func (r *docReader) at(err error) error {
	var se *json.SemanticError
	if errors.As(err, &se) && se.JSONPointer == "" {
		se.JSONPointer = r.dec.StackPointer()
	}
	return err
}

// decode unmarshals the next value into v.
func (r *docReader) decode(v any) error {
	return json.UnmarshalDecode(r.dec, v)
}

// invalid describes err, met in the record where ("" at the top), without
// the file's content that the decoder's messages can quote. A nil err is
// nil.
func invalid(err error, where string) error {
	var (
		se       *SessionFileError
		syntax   *jsontext.SyntacticError
		semantic *json.SemanticError
		b64      base64.CorruptInputError
		reason   string
	)
	switch {
	case err == nil:
		return nil
	case errors.As(err, &se):
		return se
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		reason, err = "truncated", io.ErrUnexpectedEOF
	case errors.As(err, &syntax):
		reason, err = fmt.Sprintf("invalid JSON near byte %d", syntax.ByteOffset), nil
	case errors.As(err, &b64):
		reason, err = "invalid base64", nil
	case errors.As(err, &semantic) && recordKeys[semantic.JSONPointer.LastToken()]:
		reason, err = fmt.Sprintf("wrong type of %q", semantic.JSONPointer.LastToken()), nil
	case errors.As(err, &semantic):
		reason, err = "wrong type", nil
	default:
		reason, err = "invalid JSON", nil
	}
	if where != "" {
		reason = where + ": " + reason
	}
	return &SessionFileError{Reason: reason, Err: err}
}
