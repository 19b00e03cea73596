package httpsession

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
	"unsafe"

	"github.com/google/go-cmp/cmp"
	"github.com/spf13/afero"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

func sampleDoc() *sessionDoc {
	return &sessionDoc{
		cookies: []Cookie{
			{Name: "sid", Value: "s3cr3t", Domain: "example.com", Path: "/", HostOnly: true, Secure: true, HttpOnly: true,
				SameSite: http.SameSiteLaxMode, Expires: t0.Add(24 * time.Hour), Created: t0, LastAccess: t0.Add(time.Minute), Updated: t0},
			{Name: "pref", Value: `a "quoted" \ value`, Domain: "example.com", Path: "/app", Expires: t0.Add(time.Hour),
				Created: t0.Add(-time.Hour), LastAccess: t0.Add(-time.Hour), Updated: t0.Add(-time.Minute)},
			{Name: "part", Value: "ünï\tcode", Domain: "xn--bcher-kva.example", Path: "/", Partitioned: true, Secure: true,
				SameSite: http.SameSiteNoneMode, Expires: t0.Add(time.Hour), Created: t0.Add(1500 * time.Millisecond),
				LastAccess: t0.Add(1500 * time.Millisecond), Updated: t0.Add(1500 * time.Millisecond)},
			{Name: "sess", Value: "", Domain: "10.0.0.1", Path: "/", HostOnly: true, SameSite: http.SameSiteDefaultMode,
				Created: t0, LastAccess: t0, Updated: t0},
		},
		tombs: []tombstone{
			{Name: "gone", Domain: "example.com", Path: "/", HostOnly: true, Deleted: t0, Until: t0.Add(30 * 24 * time.Hour)},
		},
		token:        &Token{AccessToken: "at-1", TokenType: "Bearer", RefreshToken: "rt-1", Expiry: t0.Add(time.Hour)},
		tokenUpdated: t0,
	}
}

func TestSessionFormatRoundTrip(t *testing.T) {
	doc := sampleDoc()
	data := doc.encode(nil)
	got, err := decodeSession(data)
	if err != nil {
		t.Fatalf("decodeSession(encode(doc)) error: %v\n%s", err, data)
	}
	if diff := cmp.Diff(doc, got, cmp.AllowUnexported(sessionDoc{})); diff != "" {
		t.Errorf("decodeSession(encode(doc)) mismatch (-want +got):\n%s", diff)
	}
	if again := got.encode(nil); !bytes.Equal(again, data) {
		t.Errorf("encode is not stable:\n%s\nthen\n%s", data, again)
	}
}

func TestSessionFormatIsSorted(t *testing.T) {
	a, b := sampleDoc(), sampleDoc()
	for i, j := 0, len(b.cookies)-1; i < j; i, j = i+1, j-1 {
		b.cookies[i], b.cookies[j] = b.cookies[j], b.cookies[i]
	}
	if x, y := a.encode(nil), b.encode(nil); !bytes.Equal(x, y) {
		t.Errorf("encode depends on the order of cookies:\n%s\nvs\n%s", x, y)
	}
}

func TestSessionFormatGolden(t *testing.T) {
	got := sampleDoc().encode(nil)
	golden(t, "session.golden", got)
}

// golden compares got with testdata/name, or rewrites it under -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("%s mismatch (-want +got):\n%s", name, diff)
	}
}

func TestSessionFormatCompact(t *testing.T) {
	// A typical cookie: a 32-byte value, persistent, Secure, HttpOnly, Lax.
	var doc sessionDoc
	for i := range 1000 {
		doc.cookies = append(doc.cookies, Cookie{
			Name: fmt.Sprintf("session_%d", i), Value: strings.Repeat("f", 32),
			Domain: "www.example.com", Path: "/", HostOnly: true, Secure: true, HttpOnly: true,
			SameSite: http.SameSiteLaxMode, Expires: t0.Add(30 * 24 * time.Hour),
			Created: t0.Add(time.Duration(i) * time.Second), LastAccess: t0.Add(time.Hour), Updated: t0.Add(time.Duration(i) * time.Second),
		})
	}
	per := len(doc.encode(nil)) / len(doc.cookies)
	if per > 250 {
		t.Errorf("%d bytes per typical cookie, want ≤ 250", per)
	}
	t.Logf("%d bytes per typical cookie", per)
}

func TestDecodeSessionAccepts(t *testing.T) {
	tests := []struct {
		name, in string
		want     *sessionDoc
	}{
		{"minimal", `{"version":1}`, &sessionDoc{}},
		{"empty", "", &sessionDoc{}},
		{"blank", " \n", &sessionDoc{}},
		{"nulls", `{"version":1,"token":null,"cookies":null,"tombstones":null}`, &sessionDoc{}},
		{"white space and unknown keys", " {\r\n\t\"x\":[{\"y\":[1,2.5e3,-1]},true,false,null,\"\\u00e9\"],\"version\" : 1 } \n", &sessionDoc{}},
		{"escapes", `{"version":1,"cookies":[{"n":"a\u00e9\ud83d\ude00\/","v":"\"\\\b\f\n\r\t","d":"x.example","p":"/"}]}`,
			&sessionDoc{cookies: []Cookie{{Name: "aé😀/", Value: "\"\\\b\f\n\r\t", Domain: "x.example", Path: "/",
				Created: time.UnixMilli(0), LastAccess: time.UnixMilli(0), Updated: time.UnixMilli(0)}}}},
		// As encoding/json read them: a key given twice (the last wins), a
		// byte that is not UTF-8 (U+FFFD), null for an optional key.
		{"duplicate keys", `{"version":1,"version":1,"cookies":[{"n":"a","n":"b","d":"x.example","p":"/x","p":"/","c":1,"c":5}]}`,
			&sessionDoc{cookies: []Cookie{{Name: "b", Domain: "x.example", Path: "/",
				Created: time.UnixMilli(5), LastAccess: time.UnixMilli(5), Updated: time.UnixMilli(5)}}}},
		{"not UTF-8", "{\"version\":1,\"cookies\":[{\"n\":\"caf\xe9\",\"d\":\"x.example\",\"p\":\"/\",\"c\":5}]}",
			&sessionDoc{cookies: []Cookie{{Name: "caf\ufffd", Domain: "x.example", Path: "/",
				Created: time.UnixMilli(5), LastAccess: time.UnixMilli(5), Updated: time.UnixMilli(5)}}}},
		{"null times", `{"version":1,"token_updated":null,"cookies":[{"n":"a","d":"x.example","p":"/","e":null,"c":5,"a":null,"ss":null}]}`,
			&sessionDoc{cookies: []Cookie{{Name: "a", Domain: "x.example", Path: "/",
				Created: time.UnixMilli(5), LastAccess: time.UnixMilli(5), Updated: time.UnixMilli(5)}}}},
		{"lone surrogate", `{"version":1,"cookies":[{"n":"\ud83dx","d":"x.example","p":"/","c":5}]}`,
			&sessionDoc{cookies: []Cookie{{Name: "\ufffdx", Domain: "x.example", Path: "/",
				Created: time.UnixMilli(5), LastAccess: time.UnixMilli(5), Updated: time.UnixMilli(5)}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := decodeSession([]byte(tt.in))
			if err != nil {
				t.Fatalf("decodeSession(%q) error: %v", tt.in, err)
			}
			// A cookie without times decodes with the zero time everywhere.
			for i := range got.cookies {
				c := &got.cookies[i]
				if c.Created.IsZero() {
					c.Created, c.LastAccess, c.Updated = time.UnixMilli(0), time.UnixMilli(0), time.UnixMilli(0)
				}
			}
			if diff := cmp.Diff(tt.want, got, cmp.AllowUnexported(sessionDoc{})); diff != "" {
				t.Errorf("decodeSession(%q) mismatch (-want +got):\n%s", tt.in, diff)
			}
		})
	}
}

func TestDecodeSessionRejects(t *testing.T) {
	tests := []struct{ name, in string }{
		{"garbage", "\x00\x01garbage"},
		{"array", `[{"version":1}]`},
		{"no version", `{"cookies":[]}`},
		{"version 2", `{"version":2,"cookies":[]}`},
		{"version 0", `{"version":0}`},
		{"version string", `{"version":"1"}`},
		{"version float", `{"version":1.0}`},
		{"version huge", `{"version":99999999999999999999}`},
		{"trailing data", `{"version":1}{}`},
		{"cookies object", `{"version":1,"cookies":{}}`},
		{"cookie string", `{"version":1,"cookies":["x"]}`},
		{"name number", `{"version":1,"cookies":[{"n":1,"d":"a.example","p":"/"}]}`},
		{"expiry string", `{"version":1,"cookies":[{"n":"a","d":"a.example","p":"/","e":"tomorrow"}]}`},
		{"expiry float", `{"version":1,"cookies":[{"n":"a","d":"a.example","p":"/","e":1.5}]}`},
		{"flags bool", `{"version":1,"cookies":[{"n":"a","d":"a.example","p":"/","f":true}]}`},
		{"unknown flag", `{"version":1,"cookies":[{"n":"a","d":"a.example","p":"/","f":"z"}]}`},
		{"unknown samesite", `{"version":1,"cookies":[{"n":"a","d":"a.example","p":"/","ss":"sometimes"}]}`},
		{"no domain", `{"version":1,"cookies":[{"n":"a","p":"/"}]}`},
		{"no path", `{"version":1,"cookies":[{"n":"a","d":"a.example"}]}`},
		{"null path", `{"version":1,"cookies":[{"n":"a","d":"a.example","p":null}]}`},
		{"expiry too large", `{"version":1,"cookies":[{"n":"a","d":"a.example","p":"/","e":9223372036854775808}]}`},
		{"expiry exponent", `{"version":1,"cookies":[{"n":"a","d":"a.example","p":"/","e":1e3}]}`},
		{"expiry object", `{"version":1,"cookies":[{"n":"a","d":"a.example","p":"/","e":{"x":1}}]}`},
		{"tombstone null del", `{"version":1,"tombstones":[{"n":"a","d":"a.example","p":"/","del":null,"until":5}]}`},
		{"tombstone without times", `{"version":1,"tombstones":[{"n":"a","d":"a.example","p":"/"}]}`},
		{"token string", `{"version":1,"token":"abc"}`},
		{"token expiry number", `{"version":1,"token":{"access_token":"a","expiry":5}}`},
		{"token bad expiry", `{"version":1,"token":{"access_token":"a","expiry":"soon"}}`},
		{"control character", "{\"version\":1,\"cookies\":[{\"n\":\"a\x01\",\"d\":\"a.example\",\"p\":\"/\"}]}"},
		{"bad escape", `{"version":1,"cookies":[{"n":"\q","d":"a.example","p":"/"}]}`},
		{"deep nesting", `{"version":1,"x":` + strings.Repeat("[", 100000) + strings.Repeat("]", 100000) + `}`},
		{"missing colon", `{"version" 1}`},
		{"missing comma", `{"version":1 "cookies":[]}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := decodeSession([]byte(tt.in))
			var se *SessionFileError
			if !errors.As(err, &se) || !errors.Is(err, ErrCorruptSession) {
				t.Fatalf("decodeSession(%.40q) error = %v, want a *SessionFileError", tt.in, err)
			}
		})
	}
}

func TestDecodeSessionTruncated(t *testing.T) {
	data := sampleDoc().encode(nil)
	for n := 1; n < len(data); n++ {
		// Nothing at all is an empty session. Cutting only the final newline leaves a complete document.
		if strings.TrimSpace(string(data[:n])) == strings.TrimSpace(string(data)) {
			continue
		}
		_, err := decodeSession(data[:n])
		if !errors.Is(err, ErrCorruptSession) {
			t.Fatalf("decodeSession(first %d of %d bytes) error = %v, want ErrCorruptSession", n, len(data), err)
		}
	}
}

func TestSessionFileErrorHidesSecrets(t *testing.T) {
	doc := sampleDoc()
	data := doc.encode(nil)
	for n := range len(data) {
		_, err := decodeSession(data[:n])
		if err == nil {
			continue
		}
		for _, secret := range []string{"s3cr3t", "at-1", "rt-1"} {
			if strings.Contains(err.Error(), secret) {
				t.Fatalf("error for %d bytes mentions a secret: %v", n, err)
			}
		}
	}
}

// cookieLine returns c's line in the session file.
func cookieLine(c Cookie) string {
	doc := &sessionDoc{cookies: []Cookie{c}}
	s := string(doc.encode(nil))
	s = s[strings.Index(s, `"cookies":[`)+len("\"cookies\":[\n"):]
	return s[:strings.Index(s, "\n]")]
}

func TestSessionFormatEscapes(t *testing.T) {
	// The bytes files have always had for such strings: \b and \f as
	// \u0008 and \u000c; <, >, &, U+2028, U+2029, U+FFFD and DEL as they are.
	tests := []struct{ s, want string }{
		{"a\bb\fc", `{"n":"a\u0008b\u000cc","v":"a\u0008b\u000cc","d":"d.example","p":"/a\u0008b\u000cc","c":0}`},
		{"x\u2028y\u2029z", "{\"n\":\"x\u2028y\u2029z\",\"v\":\"x\u2028y\u2029z\",\"d\":\"d.example\",\"p\":\"/x\u2028y\u2029z\",\"c\":0}"},
		{"<a&b>", `{"n":"<a&b>","v":"<a&b>","d":"d.example","p":"/<a&b>","c":0}`},
		{"\x00\x1f\x7f", "{\"n\":\"\\u0000\\u001f\x7f\",\"v\":\"\\u0000\\u001f\x7f\",\"d\":\"d.example\",\"p\":\"/\\u0000\\u001f\x7f\",\"c\":0}"},
		{`\u2028`, `{"n":"\\u2028","v":"\\u2028","d":"d.example","p":"/\\u2028","c":0}`},
		{"\\\b", `{"n":"\\\u0008","v":"\\\u0008","d":"d.example","p":"/\\\u0008","c":0}`},
		{"\ufffd", "{\"n\":\"\ufffd\",\"v\":\"\ufffd\",\"d\":\"d.example\",\"p\":\"/\ufffd\",\"c\":0}"},
		{"é\t\n\r\"/", `{"n":"é\t\n\r\"/","v":"é\t\n\r\"/","d":"d.example","p":"/é\t\n\r\"/","c":0}`},
		// Not UTF-8: U+FFFD for each such byte, and the bytes in base64.
		{"caf\xe9", "{\"n\":\"caf\ufffd\",\"nb\":\"Y2Fm6Q==\",\"v\":\"caf\ufffd\",\"vb\":\"Y2Fm6Q==\",\"d\":\"d.example\",\"p\":\"/caf\ufffd\",\"pb\":\"L2NhZuk=\",\"c\":0}"},
		{"\xff\xfe", "{\"n\":\"\ufffd\ufffd\",\"nb\":\"//4=\",\"v\":\"\ufffd\ufffd\",\"vb\":\"//4=\",\"d\":\"d.example\",\"p\":\"/\ufffd\ufffd\",\"pb\":\"L//+\",\"c\":0}"},
	}
	for _, tt := range tests {
		c := Cookie{Name: tt.s, Value: tt.s, Domain: "d.example", Path: "/" + tt.s,
			Created: time.UnixMilli(0), LastAccess: time.UnixMilli(0), Updated: time.UnixMilli(0)}
		if got := cookieLine(c); got != tt.want {
			t.Errorf("record of %q:\n got %q\nwant %q", tt.s, got, tt.want)
		}
		doc, err := decodeSession((&sessionDoc{cookies: []Cookie{c}}).encode(nil))
		if err != nil {
			t.Fatalf("decodeSession(encode(%q)) error: %v", tt.s, err)
		}
		if got := doc.cookies[0]; got.Name != c.Name || got.Value != c.Value || got.Path != c.Path {
			t.Errorf("decodeSession(encode(%q)) = %q=%q path %q, want the same bytes", tt.s, got.Name, got.Value, got.Path)
		}
	}

	// A zero creation time and the Unix epoch differ.
	c := Cookie{Name: "z", Domain: "d", Path: "/", Expires: time.UnixMilli(0), LastAccess: time.UnixMilli(5)}
	if got, want := cookieLine(c), `{"n":"z","d":"d","p":"/","e":0,"a":5}`; got != want {
		t.Errorf("record of %v = %s, want %s", c, got, want)
	}
	tok := &sessionDoc{token: &Token{AccessToken: "a\u2028\b\xe9"}}
	if got, want := string(tok.encode(nil)), "{\"version\":1,\n\"token\":{\"access_token\":\"a\u2028\\u0008\ufffd\"},\n\"cookies\":[\n],\n\"tombstones\":[\n]}\n"; got != want {
		t.Errorf("encode of a token = %q, want %q", got, want)
	}
}

func TestSessionTombstoneNotUTF8(t *testing.T) {
	doc := &sessionDoc{tombs: []tombstone{{Name: "n\xe9", Domain: "d.example", Path: "/p\xe9", Deleted: t0, Until: t0.Add(time.Hour)}}}
	got, err := decodeSession(doc.encode(nil))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(doc, got, cmp.AllowUnexported(sessionDoc{})); diff != "" {
		t.Errorf("decodeSession(encode(doc)) mismatch (-want +got):\n%s", diff)
	}
}

// TestSessionCookieBytesSurviveRestart: a server's Latin-1 cookie is sent
// back with the same bytes after a restart, not with U+FFFD.
func TestSessionCookieBytesSurviveRestart(t *testing.T) {
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/set" {
			w.Header()["Set-Cookie"] = []string{"name=caf\xe9; Path=/; Max-Age=3600", "n\xe9=1; Path=/p\xe9; Max-Age=3600"}
			return
		}
		io.WriteString(w, r.Header.Get("Cookie"))
	}))
	defer ts.Close()
	fsys, path := afero.NewMemMapFs(), "/session.json"
	get := func(c *Client, p string) string {
		t.Helper()
		resp, err := c.HTTPClient().Get(ts.URL + p)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return string(b)
	}

	c, err := New(Options{SessionFile: path, FS: fsys})
	if err != nil {
		t.Fatal(err)
	}
	get(c, "/set")
	before, all := get(c, "/"), c.Jar().All()
	if want := "name=caf\xe9"; before != want {
		t.Fatalf("before a restart: Cookie = %q, want %q", before, want)
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	data, err := afero.ReadFile(fsys, path)
	if err != nil {
		t.Fatal(err)
	}
	if !json.Valid(data) || !utf8.Valid(data) {
		t.Errorf("session file is not valid JSON in UTF-8:\n%s", data)
	}

	c2, err := New(Options{SessionFile: path, FS: fsys})
	if err != nil {
		t.Fatal(err)
	}
	defer c2.Close()
	if got := get(c2, "/"); got != before {
		t.Errorf("after a restart: Cookie = %q, want %q", got, before)
	}
	if diff := cmp.Diff(truncateTimes(all), c2.Jar().All()); diff != "" {
		t.Errorf("cookies after a restart mismatch (-want +got):\n%s", diff)
	}
}

// FuzzSessionRoundTrip stores the Set-Cookie lines of responses from a URL
// (lines separated by "\n", responses by a blank line, 0.4 ms apart),
// saves the jar, loads the file into a new jar and checks that it holds
// the same cookies, byte for byte (times as the file keeps them), and
// sends them in the same order. Seeds are in
// testdata/fuzz/FuzzSessionRoundTrip.
func FuzzSessionRoundTrip(f *testing.F) {
	f.Add("https://www.example.com/a/b", "name=caf\xe9; Max-Age=60\nn\xe9=1; Path=/p\xe9\n__Host-c=3; Secure; Path=/")
	f.Add("https://www.example.com/", "sid=NEW; Max-Age=60\nlang=en\na_first=1\n\nsid=d; Domain=example.com\n\nb=2")
	f.Fuzz(func(t *testing.T, rawURL, header string) {
		u, err := url.Parse(rawURL)
		if err != nil {
			return
		}
		clock := newPSClock()
		opts := &JarOptions{MaxCookiesPerDomain: 20, MaxCookies: 50}
		jar := newJar(opts, clock.Now)
		for _, response := range strings.Split(header, "\n\n") {
			jar.SetCookieHeaders(u, strings.Split(response, "\n"))
			clock.Advance(400 * time.Microsecond)
		}
		st := &bytesStore{}
		if err := SaveSession(st, jar, nil, nil); err != nil {
			t.Fatalf("SaveSession error: %v", err)
		}
		jar2 := newJar(opts, clock.Now)
		if _, err := LoadSession(st, jar2); err != nil {
			t.Fatalf("LoadSession error: %v\n%s", err, st.data)
		}
		if diff := cmp.Diff(truncateTimes(jar.All()), jar2.All()); diff != "" {
			t.Errorf("cookies after a save and a load mismatch (-want +got):\n%s", diff)
		}
		// The order cookies are sent in (RFC 6265 §5.4), where u's and
		// its parents' cookies go.
		for _, to := range []string{u.String(), "https://" + u.Host + "/", "http://" + u.Host + "/"} {
			tu, err := url.Parse(to)
			if err != nil {
				continue
			}
			if got, want := cookieHeaderOf(jar2, tu), cookieHeaderOf(jar, tu); got != want {
				t.Errorf("Cookie for %s after a save and a load = %q, want %q\n%s", to, got, want, st.data)
			}
		}
	})
}

// TestEmptySessionFileIsEmptySession checks that a file made by touch or
// mktemp opens as an empty session and is written at the first save.
func TestEmptySessionFileIsEmptySession(t *testing.T) {
	fsys := afero.NewMemMapFs()
	afero.WriteFile(fsys, "/s.json", nil, 0o600)
	c, err := New(Options{SessionFile: "/s.json", FS: fsys})
	if err != nil {
		t.Fatalf("New with a 0-byte session file: %v", err)
	}
	u, _ := url.Parse("https://example.com/")
	c.Jar().SetCookies(u, []*http.Cookie{{Name: "a", Value: "1", MaxAge: 60}})
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	if b, _ := afero.ReadFile(fsys, "/s.json"); !strings.Contains(string(b), `"version":1`) {
		t.Errorf("session file after a save = %q, want a session document", b)
	}
}

// TestDecodeSessionReasons: an error names what is wrong and where, in
// the file's terms, and quotes nothing from the file.
func TestDecodeSessionReasons(t *testing.T) {
	const ok = `{"n":"a","d":"a.example","p":"/"}`
	tests := []struct{ in, want string }{
		{`{"version":1,"cookies":[` + ok + `,{"n":"a","d":"a.example","p":"/","e":"s3cr3t"}]}`, `cookie 1: wrong type of "e"`},
		{`{"version":1,"cookies":[` + ok + `,{"n":"a","d":"a.example","p":"/","nb":"!!"}]}`, `cookie 1: invalid base64`},
		{`{"version":1,"tombstones":[{"n":"a","d":"a.example","p":"/","del":1.5,"until":1}]}`, `tombstone 0: wrong type of "del"`},
		{`{"version":1,"token":{"access_token":5}}`, `token: wrong type of "access_token"`},
		{`{"version":1,"cookies":[` + ok, `cookie 1: truncated`},
		{`{"version":1,"cookies":[` + ok + `,{"n":"a" "s3cr3t"}]}`, `cookie 1: invalid JSON near byte 67`},
		{`{"version":1,"cookies":{}}`, `cookies: not an array`},
		{`{"version":3}`, `unsupported version 3`},
		{`{"version":1} x`, `data after the JSON object at byte 14`},
	}
	for _, tt := range tests {
		_, err := decodeSession([]byte(tt.in))
		var se *SessionFileError
		if !errors.As(err, &se) {
			t.Fatalf("decodeSession(%s) error = %v, want a *SessionFileError", tt.in, err)
		}
		if se.Reason != tt.want {
			t.Errorf("decodeSession(%s) reason = %q, want %q", tt.in, se.Reason, tt.want)
		}
		if strings.Contains(err.Error(), "s3cr3t") {
			t.Errorf("decodeSession(%s) error quotes the file: %v", tt.in, err)
		}
	}
}

// TestStringCacheShares: a string read again and again is one string,
// also while many strings read once pass through the cache between its
// reads; the cache gives back the bytes it is given.
func TestStringCacheShares(t *testing.T) {
	var c stringCache
	first := c.get([]byte("example.com"))
	for i := range 10_000 {
		once := fmt.Sprintf("value%08d", i)
		if got := c.get([]byte(once)); got != once {
			t.Fatalf("get(%q) = %q", once, got)
		}
		again := c.get([]byte("example.com"))
		if again != "example.com" || unsafe.StringData(again) != unsafe.StringData(first) {
			t.Fatalf("after %d strings read once, example.com is a new string", i+1)
		}
	}
}
