package httpsession

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
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
		{"nulls", `{"version":1,"token":null,"cookies":null,"tombstones":null}`, &sessionDoc{}},
		{"white space and unknown keys", " {\r\n\t\"x\":[{\"y\":[1,2.5e3,-1]},true,false,null,\"\\u00e9\"],\"version\" : 1 } \n", &sessionDoc{}},
		{"escapes", `{"version":1,"cookies":[{"n":"a\u00e9\ud83d\ude00\/","v":"\"\\\b\f\n\r\t","d":"x.example","p":"/"}]}`,
			&sessionDoc{cookies: []Cookie{{Name: "aé😀/", Value: "\"\\\b\f\n\r\t", Domain: "x.example", Path: "/",
				Created: time.UnixMilli(0), LastAccess: time.UnixMilli(0), Updated: time.UnixMilli(0)}}}},
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
		{"empty", ""},
		{"blank", " \n"},
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
	for n := range len(data) {
		// Cutting only the final newline leaves a complete document.
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
