package storagestate

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/httpsession/httpsession"
	"github.com/httpsession/httpsession/internal/redacttest"
)

// t0 is the tests' now: the cookies of playwrightState expire a day later.
var t0 = time.Date(2026, 1, 2, 15, 4, 5, 0, time.UTC)

// jarAt returns the jar of a Client without a session file whose clock
// stands at now.
func jarAt(t testing.TB, now time.Time) *httpsession.Jar {
	t.Helper()
	c, err := httpsession.New(httpsession.Options{Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c.Jar()
}

// playwrightState is a storageState document as Playwright writes it:
// a domain cookie, a host-only Secure HttpOnly Strict one with a
// fractional expiry (Chromium's), a session cookie, a SameSite=None one,
// and an origin with localStorage.
const playwrightState = `{
  "cookies": [
    {"name": "sid", "value": "s3cr3t-sid", "domain": ".example.com", "path": "/",
     "expires": 1767452645, "httpOnly": true, "secure": true, "sameSite": "Lax"},
    {"name": "__Host-csrf", "value": "s3cr3t-csrf", "domain": "app.example.com", "path": "/",
     "expires": 1767452645.25, "httpOnly": true, "secure": true, "sameSite": "Strict"},
    {"name": "theme", "value": "dark", "domain": "app.example.com", "path": "/settings",
     "expires": -1, "httpOnly": false, "secure": false, "sameSite": "Lax"},
    {"name": "track", "value": "t", "domain": ".example.com", "path": "/",
     "expires": 1767452645, "httpOnly": false, "secure": true, "sameSite": "None"}
  ],
  "origins": [
    {"origin": "https://app.example.com", "localStorage": [{"name": "token", "value": "ls-secret"}]}
  ]
}`

func TestJarCookies(t *testing.T) {
	s, err := parse([]byte(playwrightState))
	if err != nil {
		t.Fatal(err)
	}
	exp := time.Date(2026, 1, 3, 15, 4, 5, 0, time.UTC)
	want := []httpsession.Cookie{
		{Name: "sid", Value: "s3cr3t-sid", Domain: "example.com", Path: "/", Secure: true, HttpOnly: true,
			SameSite: http.SameSiteLaxMode, Expires: exp},
		{Name: "__Host-csrf", Value: "s3cr3t-csrf", Domain: "app.example.com", Path: "/", HostOnly: true,
			Secure: true, HttpOnly: true, SameSite: http.SameSiteStrictMode, Expires: exp.Add(250 * time.Millisecond)},
		{Name: "theme", Value: "dark", Domain: "app.example.com", Path: "/settings", HostOnly: true,
			SameSite: http.SameSiteLaxMode},
		{Name: "track", Value: "t", Domain: "example.com", Path: "/", Secure: true,
			SameSite: http.SameSiteNoneMode, Expires: exp},
	}
	if diff := cmp.Diff(want, s.JarCookies()); diff != "" {
		t.Errorf("JarCookies (-want +got):\n%s", diff)
	}
	var origins []map[string]any
	if err := json.Unmarshal(s.Origins, &origins); err != nil || len(origins) != 1 {
		t.Errorf("Origins = %s, %v; want the document's one origin", s.Origins, err)
	}
}

func TestSameSiteAndExpiry(t *testing.T) {
	for _, tc := range []struct {
		name     string
		cookie   string
		sameSite http.SameSite
		expires  time.Time
	}{
		{"Strict is strict", `"sameSite":"Strict","expires":-1`, http.SameSiteStrictMode, time.Time{}},
		{"names are case-insensitive", `"sameSite":"lax","expires":-1`, http.SameSiteLaxMode, time.Time{}},
		{"None is none", `"sameSite":"None","secure":true,"expires":-1`, http.SameSiteNoneMode, time.Time{}},
		{"an unknown name is unset", `"sameSite":"Sometimes","expires":-1`, 0, time.Time{}},
		{"a missing expires is a session cookie", `"sameSite":"Lax"`, http.SameSiteLaxMode, time.Time{}},
		{"expires 0 is a session cookie", `"expires":0`, 0, time.Time{}},
		{"microseconds are kept", `"expires":1767452645.123456`, 0, time.Date(2026, 1, 3, 15, 4, 5, 123456000, time.UTC)},
		{"a huge expiry is capped at year 9999", `"expires":1e300`, 0, time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			doc := `{"cookies":[{"name":"a","value":"b","domain":"example.com","path":"/",` + tc.cookie + `}]}`
			s, err := parse([]byte(doc))
			if err != nil {
				t.Fatal(err)
			}
			got := s.JarCookies()[0]
			if got.SameSite != tc.sameSite || !got.Expires.Equal(tc.expires) {
				t.Errorf("SameSite, Expires = %v, %v; want %v, %v", got.SameSite, got.Expires, tc.sameSite, tc.expires)
			}
		})
	}
}

// TestRoundTrip imports a document into a jar and exports the
// jar again: every cookie field comes back as it was, and so do the
// origins when the document's are carried over.
func TestRoundTrip(t *testing.T) {
	jar := jarAt(t, t0)
	in, err := parse([]byte(playwrightState))
	if err != nil {
		t.Fatal(err)
	}
	if r := addAll(jar, in.JarCookies()); r.Kept != 4 || len(r.Rejected) > 0 {
		t.Fatalf("addAll = %+v, want 4 kept", r)
	}
	out := FromJar(jar)
	out.Origins = in.Origins
	var buf bytes.Buffer
	if err := out.Write(&buf); err != nil {
		t.Fatal(err)
	}
	var want, got any
	if err := json.Unmarshal([]byte(playwrightState), &want); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(buf.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	// The jar orders cookies its own way; compare them as a set.
	byName := cmpopts.SortSlices(func(a, b any) bool {
		return fmt.Sprint(a.(map[string]any)["name"]) < fmt.Sprint(b.(map[string]any)["name"])
	})
	if diff := cmp.Diff(want, got, byName); diff != "" {
		t.Errorf("storageState after import and export (-want +got):\n%s", diff)
	}
}

func TestFromJar(t *testing.T) {
	jar := jarAt(t, t0)
	for _, c := range []httpsession.Cookie{
		{Name: "unset", Value: "v", Domain: "example.com", HostOnly: true, Path: "/"},
		{Name: "default", Value: "v", Domain: "example.com", Path: "/p", SameSite: http.SameSiteDefaultMode,
			Expires: t0.Add(time.Hour + 1500*time.Microsecond)},
	} {
		if err := jar.Add(c); err != nil {
			t.Fatal(err)
		}
	}
	want := []Cookie{
		{Name: "default", Value: "v", Domain: ".example.com", Path: "/p", SameSite: "Lax",
			Expires: float64(t0.Add(time.Hour).Unix()) + 0.0015},
		{Name: "unset", Value: "v", Domain: "example.com", Path: "/", SameSite: "Lax", Expires: -1},
	}
	got := FromJar(jar)
	less := cmpopts.SortSlices(func(a, b Cookie) bool { return a.Name < b.Name })
	if diff := cmp.Diff(want, got.Cookies, less); diff != "" {
		t.Errorf("FromJar(jar).Cookies (-want +got):\n%s", diff)
	}
	var buf bytes.Buffer
	if err := got.Write(&buf); err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(buf.Bytes(), []byte(`"origins": []`)) {
		t.Errorf("a jar's document has no empty origins array:\n%s", buf.Bytes())
	}
}

// TestRejected checks that cookies the jar refuses are
// reported with their reason and that the values never show.
func TestRejected(t *testing.T) {
	doc := `{"cookies":[
	  {"name":"ok","value":"s3cr3t-1","domain":"example.com","path":"/","expires":-1},
	  {"name":"psl","value":"s3cr3t-2","domain":".com","path":"/","expires":-1},
	  {"name":"old","value":"s3cr3t-3","domain":"example.com","path":"/","expires":1000},
	  {"name":"__Host-x","value":"s3cr3t-4","domain":".example.com","path":"/","secure":true,"expires":-1}
	],"origins":[]}`
	s, err := parse([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	jar := jarAt(t, t0)
	r := addAll(jar, s.JarCookies())
	want := addReport{Kept: 1, Rejected: []httpsession.CookieError{
		{Name: "psl", Domain: "com", Reason: "domain is a public suffix"},
		{Name: "old", Domain: "example.com", Reason: "expired"},
		{Name: "__Host-x", Domain: "example.com", Reason: "cookie prefix rules not met"},
	}}
	if diff := cmp.Diff(want, r); diff != "" {
		t.Errorf("addAll (-want +got):\n%s", diff)
	}
	if got := fmt.Sprintf("%v %+v %#v %s", r, s.Cookies, s.Cookies, s.Cookies[0]); strings.Contains(got, "s3cr3t") {
		t.Errorf("formatting shows a cookie value: %s", got)
	}
}

func TestReadErrors(t *testing.T) {
	for _, doc := range []string{
		``,
		`[]`,
		`{}`,
		`{"cookies": null}`,
		`{"cookies": {}}`,
		`{"cookies": [{"name": "a", "value": "s3cr3t", "expires": "soon"}]}`,
		`{"cookies": [], "origins": {"https://a": 1}}`,
		`{"cookies": [{"name": "a", "value": "s3cr3t"`,
	} {
		_, err := Read(strings.NewReader(doc))
		if !errors.Is(err, ErrInvalid) {
			t.Errorf("Read(%q) = %v, want ErrInvalid", doc, err)
		}
		if err != nil && strings.Contains(err.Error(), "s3cr3t") {
			t.Errorf("Read(%q) error shows a value: %v", doc, err)
		}
	}
}

// FuzzRead checks that no document makes the parser panic, and
// that what a jar kept of a document survives an export and a re-import
// with the origins unchanged. Seeds are in testdata/fuzz/FuzzRead.
func FuzzRead(f *testing.F) {
	f.Add([]byte(playwrightState))
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := parse(data)
		if err != nil {
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("parse error %v does not match ErrInvalid", err)
			}
			return
		}
		jar := jarAt(t, t0)
		r := addAll(jar, s.JarCookies())
		if r.Kept+len(r.Rejected) != len(s.Cookies) {
			t.Fatalf("addAll = %+v for %d cookies", r, len(s.Cookies))
		}
		out := FromJar(jar)
		out.Origins = s.Origins
		var buf bytes.Buffer
		if err := out.Write(&buf); err != nil {
			t.Fatal(err)
		}
		s2, err := parse(buf.Bytes())
		if err != nil {
			t.Fatalf("re-reading the export: %v\n%s", err, buf.Bytes())
		}
		if len(s.Origins) > 0 && !json.Valid(s2.Origins) {
			t.Fatalf("origins not kept: %s", s2.Origins)
		}
		jar2 := jarAt(t, t0)
		if r2 := addAll(jar2, s2.JarCookies()); len(r2.Rejected) > 0 {
			t.Fatalf("re-import of the export rejected %+v", r2.Rejected)
		}
		// The format has no unset SameSite and no partition key: an unset
		// SameSite comes back as Lax, a partitioned cookie unpartitioned.
		ignore := cmpopts.IgnoreFields(httpsession.Cookie{}, "Created", "LastAccess", "Updated", "Partitioned")
		lax := cmp.Transformer("lax", func(s http.SameSite) http.SameSite {
			if s == 0 || s == http.SameSiteDefaultMode {
				return http.SameSiteLaxMode
			}
			return s
		})
		if diff := cmp.Diff(jar.All(), jar2.All(), ignore, lax); diff != "" {
			t.Fatalf("export and re-import changed cookies (-want +got):\n%s", diff)
		}
	})
}

// TestErrorsSpeakJSON: a document of the wrong shape is
// described in JSON's words, never with Go types, and never quotes the
// document's values.
func TestErrorsSpeakJSON(t *testing.T) {
	tests := []struct{ doc, want string }{
		{`{"cookies":["secret-value"]}`, `cookie 0: the value is a string, want an object`},
		{`{"cookies":[{"name":1.5}]}`, `cookie 0: "name" is a number, want a string`},
		{`{"cookies":[{"name":"n","httpOnly":"yes"}]}`, `cookie 0: "httpOnly" is a string, want true or false`},
		{`{"cookies":{}}`, `is an object, want an array`},
	}
	for _, tt := range tests {
		_, err := Read(strings.NewReader(tt.doc))
		if !errors.Is(err, ErrInvalid) {
			t.Fatalf("%s: err %v, want ErrInvalid", tt.doc, err)
		}
		msg := err.Error()
		if !strings.Contains(msg, tt.want) || strings.Contains(msg, "struct") || strings.Contains(msg, "secret-value") || strings.Contains(msg, "1.5") {
			t.Errorf("%s: error %q, want it to say %q in JSON's words", tt.doc, msg, tt.want)
		}
	}
}

// addReport is what addAll did with a batch of cookies.
type addReport struct {
	Kept     int
	Rejected []httpsession.CookieError
}

// addAll adds cookies to jar one by one, as an importer does.
func addAll(jar *httpsession.Jar, cookies []httpsession.Cookie) addReport {
	var r addReport
	for _, c := range cookies {
		var ce *httpsession.CookieError
		if err := jar.Add(c); errors.As(err, &ce) {
			r.Rejected = append(r.Rejected, *ce)
		} else {
			r.Kept++
		}
	}
	return r
}

// TestCookieRedacted: a Cookie, as a value and through a pointer, shows
// no value under any fmt verb or slog handler; its JSON stays exact (so
// slog's JSON handler, which encodes a []Cookie with encoding/json, shows
// the values of a slice, as it does for httpsession.Cookie).
func TestCookieRedacted(t *testing.T) {
	const secret = "SECRETVAL1"
	c := Cookie{Name: "sid", Value: secret, Domain: ".example.com", Path: "/", Expires: -1}
	for _, v := range []any{c, &c} {
		for what, out := range redacttest.Printed(v, redacttest.Verbs...) {
			redacttest.NotShown(t, fmt.Sprintf("%s of %T", what, v), out, secret)
		}
	}
	if got := fmt.Sprintf("%#v", c); got != "storagestate.Cookie(sid=[REDACTED]; Domain=.example.com; Path=/)" {
		t.Errorf("%%#v = %s", got)
	}
	data, err := json.Marshal(c)
	if err != nil || !strings.Contains(string(data), `"value":"`+secret+`"`) {
		t.Errorf("JSON %s, %v: want the value", data, err)
	}
}
