package httpsession

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/spf13/afero"
)

// benchJar returns a jar of n typical cookies, 100 per site.
func benchJar(b *testing.B, n int) *Jar {
	b.Helper()
	jar := NewJar(&JarOptions{MaxCookies: n})
	for s := 0; s < n/100; s++ {
		u := &url.URL{Scheme: "https", Host: fmt.Sprintf("www.site%d.example", s), Path: "/"}
		lines := make([]string, 100)
		for i := range lines {
			lines[i] = fmt.Sprintf("session_%d=%032x; Path=/; Secure; HttpOnly; SameSite=Lax; Max-Age=2592000", i, i*s)
		}
		jar.SetCookieHeaders(u, lines)
	}
	return jar
}

// plainCookie is how a straightforward encoding/json persister would store
// a cookie: the exported fields with their default JSON encoding.
type plainCookie struct {
	Name, Value, Domain, Path  string
	HostOnly, Secure, HttpOnly bool
	SameSite                   http.SameSite
	Expires, Created           time.Time
	LastAccess, Updated        time.Time
}

func plainCookies(cs []Cookie) []plainCookie {
	out := make([]plainCookie, len(cs))
	for i, c := range cs {
		out[i] = plainCookie{c.Name, c.Value, c.Domain, c.Path, c.HostOnly, c.Secure, c.HttpOnly, c.SameSite,
			c.Expires, c.Created, c.LastAccess, c.Updated}
	}
	return out
}

// BenchmarkSave100k saves 100,000 cookies to a new file on the OS file
// system; BenchmarkPlainJSONSave100k is the encoding/json + fsync + rename
// baseline for the same cookies.
func BenchmarkSave100k(b *testing.B) {
	jar := benchJar(b, 100000)
	dir := b.TempDir()
	b.ResetTimer()
	for i := range b.N {
		st := NewFileStore(nil, filepath.Join(dir, fmt.Sprintf("s%d.json", i)))
		if err := SaveSession(st, jar, nil, nil); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkPlainJSONSave100k(b *testing.B) {
	jar := benchJar(b, 100000)
	dir := b.TempDir()
	b.ResetTimer()
	for i := range b.N {
		data, err := json.Marshal(plainCookies(jar.All()))
		if err != nil {
			b.Fatal(err)
		}
		path := filepath.Join(dir, fmt.Sprintf("s%d.json", i))
		f, err := os.CreateTemp(dir, "tmp")
		if err != nil {
			b.Fatal(err)
		}
		f.Write(data)
		f.Sync()
		f.Close()
		if err := os.Rename(f.Name(), path); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkMergeSave100k saves one changed cookie into a file that holds
// the same 100,000: the merge path of every save after the first.
func BenchmarkMergeSave100k(b *testing.B) {
	jar := benchJar(b, 100000)
	path := filepath.Join(b.TempDir(), "s.json")
	s, err := openSession(afero.NewOsFs(), path, nil, jar, nil)
	if err != nil {
		b.Fatal(err)
	}
	if err := s.save(); err != nil {
		b.Fatal(err)
	}
	u := &url.URL{Scheme: "https", Host: "www.site0.example", Path: "/"}
	b.ResetTimer()
	for i := range b.N {
		jar.SetCookieHeaders(u, []string{fmt.Sprintf("session_0=%d; Max-Age=3600", i)})
		if err := s.save(); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkLoad100k decodes a file of 100,000 cookies into an empty jar;
// BenchmarkDecode100k only decodes; BenchmarkPlainJSONLoad100k is the
// encoding/json baseline.
func BenchmarkLoad100k(b *testing.B) {
	st := &bytesStore{}
	if err := SaveSession(st, benchJar(b, 100000), nil, nil); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(st.data)))
	b.ResetTimer()
	for range b.N {
		if _, err := LoadSession(st, NewJar(&JarOptions{MaxCookies: 100000})); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDecode100k(b *testing.B) {
	st := &bytesStore{}
	if err := SaveSession(st, benchJar(b, 100000), nil, nil); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(st.data)))
	b.ResetTimer()
	for range b.N {
		if _, err := decodeSession(st.data); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(st.data))/100000, "bytes/cookie")
}

func BenchmarkPlainJSONLoad100k(b *testing.B) {
	data, err := json.Marshal(plainCookies(benchJar(b, 100000).All()))
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	b.ResetTimer()
	for range b.N {
		var cs []plainCookie
		if err := json.Unmarshal(data, &cs); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(data))/100000, "bytes/cookie")
}
