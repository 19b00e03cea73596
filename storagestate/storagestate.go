// Package storagestate reads and writes Playwright's storageState, the JSON
// document that Playwright, Puppeteer tools and crawlee save a logged-in
// browser context to, and moves it into and out of an [httpsession.Jar]:
//
//	{"cookies": [{"name": "sid", "value": "…", "domain": ".example.com",
//	              "path": "/", "expires": 1767225600, "httpOnly": true,
//	              "secure": true, "sameSite": "Lax"}],
//	 "origins": [{"origin": "https://example.com", "localStorage": […]}]}
//
// A domain cookie's domain has a leading dot, a host-only cookie's has
// none; expires is in Unix seconds, fractional for Chromium, and -1 for a
// session cookie; sameSite is "Strict", "Lax" or "None".
//
// The origins (localStorage, where single-page apps keep their tokens)
// that [Import] gives a jar stay with it: a Client's session file keeps
// them under an optional key, merged with other writers origin by origin
// (the newer wins), and [FromJar] gives them back.
package storagestate

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/httpsession/httpsession"
	"github.com/httpsession/httpsession/internal/jarorigins"
	"github.com/httpsession/httpsession/internal/redact"
)

// maxSize bounds the document Read reads.
const maxSize = 64 << 20

// ErrInvalid matches the error of a document that is not a storageState.
var ErrInvalid = errors.New("storagestate: not a storageState document")

// State is a Playwright storageState document. Origins, the
// localStorage (and any other per-origin state) that a Client has no use
// for, is kept verbatim, so that reading a document and writing it back
// loses nothing.
type State struct {
	Cookies []Cookie `json:"cookies"`
	// Origins is the document's "origins" array as it was read; nil is
	// written as an empty array.
	Origins json.RawMessage `json:"origins"`
}

// Cookie is one cookie of a [State], field for field as
// Playwright writes it. Its fmt verbs never print the Value.
type Cookie struct {
	Name  string `json:"name"`
	Value string `json:"value"`
	// Domain has a leading dot for a cookie sent to subdomains too, none
	// for a host-only cookie.
	Domain string `json:"domain"`
	Path   string `json:"path"`
	// Expires is in Unix seconds; -1 marks a session cookie.
	Expires  float64 `json:"expires"`
	HttpOnly bool    `json:"httpOnly"`
	Secure   bool    `json:"secure"`
	// SameSite is "Strict", "Lax" or "None".
	SameSite string `json:"sameSite"`
	// PartitionKey is the top-level site of a partitioned (CHIPS) cookie.
	PartitionKey string `json:"partitionKey,omitempty"`
}

// String describes c without its Value.
func (c Cookie) String() string {
	return fmt.Sprintf("%s=[REDACTED]; Domain=%s; Path=%s", c.Name, c.Domain, c.Path)
}

// GoString describes c without its Value, for %#v.
func (c Cookie) GoString() string {
	return "storagestate.Cookie(" + c.String() + ")"
}

// Format makes every fmt verb print String (GoString for %#v).
func (c Cookie) Format(f fmt.State, verb rune) { redact.Format(f, verb, c.String(), c.GoString()) }

// LogValue describes c without its Value for log/slog; its JSON (the
// storageState format) stays exact.
func (c Cookie) LogValue() slog.Value { return slog.StringValue(c.String()) }

// Read reads a storageState document. It checks the shape of the
// document, not the cookies: [State.JarCookies] converts them and the jar
// decides which it keeps. A document that is not a JSON object with a
// "cookies" array gives an error matching [ErrInvalid].
func Read(r io.Reader) (*State, error) {
	data, err := io.ReadAll(io.LimitReader(r, maxSize+1))
	if err != nil {
		return nil, fmt.Errorf("storagestate: read: %w", err)
	}
	if len(data) > maxSize {
		return nil, fmt.Errorf("%w: larger than %d bytes", ErrInvalid, maxSize)
	}
	return parse(data)
}

// parse is Read for a document in memory.
func parse(data []byte) (*State, error) {
	var doc struct {
		Cookies *[]json.RawMessage `json:"cookies"`
		Origins json.RawMessage    `json:"origins"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalid, redactJSONError(err))
	}
	if doc.Cookies == nil {
		return nil, fmt.Errorf("%w: no cookies array", ErrInvalid)
	}
	s := &State{Cookies: make([]Cookie, 0, len(*doc.Cookies))}
	for i, raw := range *doc.Cookies {
		c := Cookie{Expires: -1}
		if err := json.Unmarshal(raw, &c); err != nil {
			return nil, fmt.Errorf("%w: cookie %d: %w", ErrInvalid, i, redactJSONError(err))
		}
		s.Cookies = append(s.Cookies, c)
	}
	if o := bytes.TrimSpace(doc.Origins); len(o) > 0 && !bytes.Equal(o, []byte("null")) {
		if o[0] != '[' {
			return nil, fmt.Errorf("%w: origins is not an array", ErrInvalid)
		}
		s.Origins = append(json.RawMessage(nil), o...)
	}
	return s, nil
}

// redactJSONError keeps the kind and offset of a JSON error but never the
// text of the document, which holds cookie values.
func redactJSONError(err error) error {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return fmt.Errorf("invalid JSON at offset %d", se.Offset)
	}
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		where := "the value"
		if te.Field != "" {
			where = strconv.Quote(te.Field)
		}
		return fmt.Errorf("%s is %s, want %s", where, jsonArticle(te.Value), jsonKind(te.Type))
	}
	return errors.New("invalid JSON")
}

// jsonKind names what a Go type decodes from in JSON's own words, for
// messages that speak of the document, not of Go.
func jsonKind(t reflect.Type) string {
	if t == nil {
		return "another value"
	}
	switch t.Kind() {
	case reflect.Struct, reflect.Map:
		return "an object"
	case reflect.Slice, reflect.Array:
		return "an array"
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Pointer:
		return jsonKind(t.Elem())
	case reflect.Float32, reflect.Float64:
		return "a number"
	}
	if t.Kind() >= reflect.Int && t.Kind() <= reflect.Uint64 {
		return "an integer"
	}
	return "another value"
}

// jsonArticle puts an article before the JSON kind encoding/json names
// ("string", "number 1.5", "object").
func jsonArticle(v string) string {
	kind, _, _ := strings.Cut(v, " ") // "number 1.5": never the number itself
	switch kind {
	case "object", "array":
		return "an " + kind
	case "string", "number", "bool":
		return "a " + strings.Replace(kind, "bool", "boolean", 1)
	}
	return kind
}

// Write writes s as an indented storageState document.
func (s *State) Write(w io.Writer) error {
	out := struct {
		Cookies []Cookie        `json:"cookies"`
		Origins json.RawMessage `json:"origins"`
	}{s.Cookies, s.Origins}
	if out.Cookies == nil {
		out.Cookies = []Cookie{}
	}
	if len(out.Origins) == 0 {
		out.Origins = json.RawMessage("[]")
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(out); err != nil {
		return fmt.Errorf("storagestate: write: %w", err)
	}
	return nil
}

// JarCookies converts s's cookies for [httpsession.Jar.Add]: a
// leading dot makes a domain cookie, expires -1 (or any value not after
// the epoch) a session cookie, sameSite "Strict", "Lax" or "None" (in any
// case) the SameSite mode, anything else none; a partition key marks the
// cookie Partitioned. The jar's rules still decide which it keeps.
func (s *State) JarCookies() []httpsession.Cookie {
	out := make([]httpsession.Cookie, 0, len(s.Cookies))
	for _, sc := range s.Cookies {
		c := httpsession.Cookie{
			Name: sc.Name, Value: sc.Value,
			Domain:   strings.TrimPrefix(sc.Domain, "."),
			HostOnly: !strings.HasPrefix(sc.Domain, "."),
			Path:     sc.Path,
			Secure:   sc.Secure, HttpOnly: sc.HttpOnly,
			Partitioned: sc.PartitionKey != "",
		}
		switch strings.ToLower(sc.SameSite) {
		case "strict":
			c.SameSite = http.SameSiteStrictMode
		case "lax":
			c.SameSite = http.SameSiteLaxMode
		case "none":
			c.SameSite = http.SameSiteNoneMode
		}
		if e := sc.Expires; e > 0 && !math.IsInf(e, 0) && !math.IsNaN(e) {
			// Beyond year 9999 every expiry is as good as forever, and
			// the jar caps it at 400 days anyway.
			sec, frac := math.Modf(min(e, 253402300799))
			c.Expires = time.Unix(int64(sec), int64(math.Round(frac*1e6))*1e3).UTC()
		}
		out = append(out, c)
	}
	return out
}

// FromJar returns j's live cookies as a storageState document, with the
// origins j keeps from Import and the session file. A session cookie gets
// expires -1 and a cookie without SameSite gets "Lax", as Playwright
// reports such cookies of Chromium; a partitioned cookie has an empty
// partition key, which the jar does not record.
func FromJar(j *httpsession.Jar) *State {
	all := j.All()
	s := &State{Cookies: make([]Cookie, 0, len(all))}
	for _, c := range all {
		sc := Cookie{
			Name: c.Name, Value: c.Value, Domain: c.Domain, Path: c.Path,
			Expires: -1, HttpOnly: c.HttpOnly, Secure: c.Secure, SameSite: "Lax",
		}
		if !c.HostOnly {
			sc.Domain = "." + c.Domain
		}
		if !c.Expires.IsZero() {
			sc.Expires = float64(c.Expires.Unix()) + float64(c.Expires.Nanosecond()/1e3)/1e6
		}
		switch c.SameSite {
		case http.SameSiteStrictMode:
			sc.SameSite = "Strict"
		case http.SameSiteNoneMode:
			sc.SameSite = "None"
		}
		s.Cookies = append(s.Cookies, sc)
	}
	if origins := jarorigins.Snapshot(j); len(origins) > 0 {
		s.Origins = originsJSON(origins)
	}
	return s
}

// Import adds the cookies of s to j through [httpsession.Jar.Add], in
// order, returning a *[httpsession.CookieError] for each one the jar
// refused, and keeps its origins (localStorage) for FromJar and the
// session file, each origin replacing what j held for it. A malformed
// origins array adds nothing and matches [ErrInvalid].
func Import(j *httpsession.Jar, s *State) (rejected []*httpsession.CookieError, err error) {
	origins, err := parseOrigins(s.Origins)
	if err != nil {
		return nil, err
	}
	for _, c := range s.JarCookies() {
		var ce *httpsession.CookieError
		if err := j.Add(c); errors.As(err, &ce) {
			rejected = append(rejected, ce)
		}
	}
	if len(origins) > 0 {
		jarorigins.Merge(j, origins)
	}
	return rejected, nil
}

// parseOrigins reads a storageState "origins" array: objects, each with
// an "origin" string, in order (jarorigins.Merge keeps the last entry
// for an origin).
func parseOrigins(raw json.RawMessage) ([]jarorigins.Origin, error) {
	if b := bytes.TrimSpace(raw); len(b) == 0 || bytes.Equal(b, []byte("null")) {
		return nil, nil
	}
	var items []json.RawMessage
	if err := json.Unmarshal(raw, &items); err != nil {
		return nil, fmt.Errorf("%w: origins is not an array", ErrInvalid)
	}
	out := make([]jarorigins.Origin, 0, len(items))
	for i, it := range items {
		var head struct {
			Origin *string `json:"origin"`
		}
		if json.Unmarshal(it, &head) != nil || head.Origin == nil || *head.Origin == "" {
			return nil, fmt.Errorf("%w: origin %d is not an object with an origin", ErrInvalid, i)
		}
		var compact bytes.Buffer
		json.Compact(&compact, it) // valid: it was unmarshalled above
		out = append(out, jarorigins.Origin{Origin: *head.Origin, State: compact.Bytes()})
	}
	return out, nil
}

// originsJSON is a jar's origins as a storageState "origins" array.
func originsJSON(origins []jarorigins.Origin) json.RawMessage {
	var b bytes.Buffer
	b.WriteByte('[')
	for i, o := range origins {
		if i > 0 {
			b.WriteByte(',')
		}
		b.Write(o.State)
	}
	b.WriteByte(']')
	return b.Bytes()
}
