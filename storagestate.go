package httpsession

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net/http"
	"strings"
	"time"
)

// Playwright's storageState, the JSON document that Playwright, Puppeteer
// tools and crawlee save a logged-in browser context to:
//
//	{"cookies": [{"name": "sid", "value": "…", "domain": ".example.com",
//	              "path": "/", "expires": 1767225600, "httpOnly": true,
//	              "secure": true, "sameSite": "Lax"}],
//	 "origins": [{"origin": "https://example.com", "localStorage": […]}]}
//
// A domain cookie's domain has a leading dot, a host-only cookie's has
// none; expires is in Unix seconds, fractional for Chromium, and -1 for a
// session cookie; sameSite is "Strict", "Lax" or "None".

// maxStorageState bounds the document ReadStorageState reads.
const maxStorageState = 64 << 20

// ErrBadStorageState matches the error of a document that is not a
// storageState.
var ErrBadStorageState = errors.New("httpsession: not a storageState document")

// StorageState is a Playwright storageState document. Origins, the
// localStorage (and any other per-origin state) that a Client has no use
// for, is kept verbatim, so that reading a document and writing it back
// loses nothing.
type StorageState struct {
	Cookies []StorageCookie `json:"cookies"`
	// Origins is the document's "origins" array as it was read; nil is
	// written as an empty array.
	Origins json.RawMessage `json:"origins"`
}

// StorageCookie is one cookie of a [StorageState], field for field as
// Playwright writes it. Its fmt verbs never print the Value.
type StorageCookie struct {
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
func (c StorageCookie) String() string {
	return fmt.Sprintf("%s=[REDACTED]; Domain=%s; Path=%s", c.Name, c.Domain, c.Path)
}

// GoString describes c without its Value, for %#v.
func (c StorageCookie) GoString() string {
	return "httpsession.StorageCookie(" + c.String() + ")"
}

// Format makes every fmt verb print String (GoString for %#v).
func (c StorageCookie) Format(f fmt.State, verb rune) {
	formatRedacted(f, verb, c.String(), c.GoString())
}

// LogValue describes c without its Value for log/slog; its JSON (the
// storageState format) stays exact.
func (c StorageCookie) LogValue() slog.Value { return slog.StringValue(c.String()) }

// ReadStorageState reads a storageState document. It checks the shape of
// the document, not the cookies: [StorageState.JarCookies] converts them
// and the jar decides which it keeps. A document that is not a JSON object
// with a "cookies" array gives an error matching [ErrBadStorageState].
func ReadStorageState(r io.Reader) (*StorageState, error) {
	data, err := io.ReadAll(io.LimitReader(r, maxStorageState+1))
	if err != nil {
		return nil, fmt.Errorf("httpsession: read storageState: %w", err)
	}
	if len(data) > maxStorageState {
		return nil, fmt.Errorf("%w: larger than %d bytes", ErrBadStorageState, maxStorageState)
	}
	return parseStorageState(data)
}

// parseStorageState is ReadStorageState for a document in memory.
func parseStorageState(data []byte) (*StorageState, error) {
	var doc struct {
		Cookies *[]json.RawMessage `json:"cookies"`
		Origins json.RawMessage    `json:"origins"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBadStorageState, redactJSONError(err))
	}
	if doc.Cookies == nil {
		return nil, fmt.Errorf("%w: no cookies array", ErrBadStorageState)
	}
	s := &StorageState{Cookies: make([]StorageCookie, 0, len(*doc.Cookies))}
	for i, raw := range *doc.Cookies {
		c := StorageCookie{Expires: -1}
		if err := json.Unmarshal(raw, &c); err != nil {
			return nil, fmt.Errorf("%w: cookie %d: %w", ErrBadStorageState, i, redactJSONError(err))
		}
		s.Cookies = append(s.Cookies, c)
	}
	if o := bytes.TrimSpace(doc.Origins); len(o) > 0 && !bytes.Equal(o, []byte("null")) {
		if o[0] != '[' {
			return nil, fmt.Errorf("%w: origins is not an array", ErrBadStorageState)
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
		return fmt.Errorf("field %q: want %s", te.Field, te.Type)
	}
	return errors.New("invalid JSON")
}

// Write writes s as an indented storageState document.
func (s *StorageState) Write(w io.Writer) error {
	out := struct {
		Cookies []StorageCookie `json:"cookies"`
		Origins json.RawMessage `json:"origins"`
	}{s.Cookies, s.Origins}
	if out.Cookies == nil {
		out.Cookies = []StorageCookie{}
	}
	if len(out.Origins) == 0 {
		out.Origins = json.RawMessage("[]")
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(out); err != nil {
		return fmt.Errorf("httpsession: write storageState: %w", err)
	}
	return nil
}

// JarCookies converts s's cookies for [Jar.Add]: a
// leading dot makes a domain cookie, expires -1 (or any value not after
// the epoch) a session cookie, sameSite "Strict", "Lax" or "None" (in any
// case) the SameSite mode, anything else none; a partition key marks the
// cookie Partitioned. The jar's rules still decide which it keeps.
func (s *StorageState) JarCookies() []Cookie {
	out := make([]Cookie, 0, len(s.Cookies))
	for _, sc := range s.Cookies {
		c := Cookie{
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

// StorageState returns j's live cookies as a storageState document with no
// origins. A session cookie gets expires -1 and a cookie without SameSite
// gets "Lax", as Playwright reports such cookies of Chromium; a
// partitioned cookie has an empty partition key, which the jar does not
// record.
func (j *Jar) StorageState() *StorageState {
	all := j.All()
	s := &StorageState{Cookies: make([]StorageCookie, 0, len(all))}
	for _, c := range all {
		sc := StorageCookie{
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
	return s
}
