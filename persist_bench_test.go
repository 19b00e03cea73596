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

// The in-package benchmarks of the codec and the session file, at the
// default cap of 3,000 cookies and at 100,000 (a raised cap); bench/ has
// the comparisons with other libraries. Save and MergeSave write to the
// OS file system with fsync, as a program saving its session does.
//
//	go test -run='^$' -bench='^Benchmark(Encode|Decode|Save|MergeSave|Load|PlainJSON)' .

func forSizes(b *testing.B, f func(b *testing.B, n int)) {
	for _, n := range []int{3000, 100000} {
		b.Run(fmt.Sprintf("cookies=%d", n), func(b *testing.B) { f(b, n) })
	}
}

func benchDoc(b *testing.B, n int) *sessionDoc {
	b.Helper()
	cookies, tombs := benchJar(b, n).snapshot()
	return &sessionDoc{cookies: cookies, tombs: tombs, token: &Token{AccessToken: "at", TokenType: "Bearer"}}
}

func BenchmarkEncode(b *testing.B) {
	forSizes(b, func(b *testing.B, n int) {
		doc := benchDoc(b, n)
		buf := doc.encode(nil)
		b.SetBytes(int64(len(buf)))
		b.ResetTimer()
		for range b.N {
			buf = doc.encode(buf[:0])
		}
	})
}

// BenchmarkDecode also reports the bytes per cookie on disk.
func BenchmarkDecode(b *testing.B) {
	forSizes(b, func(b *testing.B, n int) {
		data := benchDoc(b, n).encode(nil)
		b.SetBytes(int64(len(data)))
		b.ResetTimer()
		for range b.N {
			if _, err := decodeSession(data); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(len(data))/float64(n), "bytes/cookie")
	})
}

// BenchmarkSave saves to a new file; BenchmarkPlainJSONSave is the
// encoding/json + fsync + rename baseline for the same cookies.
func BenchmarkSave(b *testing.B) {
	forSizes(b, func(b *testing.B, n int) {
		jar := benchJar(b, n)
		dir := b.TempDir()
		b.ResetTimer()
		for i := range b.N {
			st := NewFileStore(nil, filepath.Join(dir, fmt.Sprintf("s%d.json", i)))
			if err := SaveSession(st, jar, nil, nil); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func BenchmarkPlainJSONSave(b *testing.B) {
	forSizes(b, func(b *testing.B, n int) {
		jar := benchJar(b, n)
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
	})
}

// BenchmarkMergeSave changes one cookie and saves into a file that holds
// the n cookies: SaveSession decodes and merges the file every time, as a
// save after another process's does.
func BenchmarkMergeSave(b *testing.B) {
	forSizes(b, func(b *testing.B, n int) {
		path := filepath.Join(b.TempDir(), "s.json")
		if err := SaveSession(NewFileStore(nil, path), benchJar(b, n), nil, nil); err != nil {
			b.Fatal(err)
		}
		jar := benchJar(b, n)
		u := &url.URL{Scheme: "https", Host: "www.site0.example", Path: "/"}
		b.ResetTimer()
		for i := range b.N {
			jar.SetCookieHeaders(u, []string{fmt.Sprintf("session_0=%d; Max-Age=3600", i)})
			if err := SaveSession(NewFileStore(afero.NewOsFs(), path), jar, nil, nil); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkLoad decodes a document of n cookies into an empty jar;
// BenchmarkPlainJSONLoad is the encoding/json baseline.
func BenchmarkLoad(b *testing.B) {
	forSizes(b, func(b *testing.B, n int) {
		st := &bytesStore{}
		if err := SaveSession(st, benchJar(b, n), nil, nil); err != nil {
			b.Fatal(err)
		}
		b.SetBytes(int64(len(st.data)))
		b.ResetTimer()
		for range b.N {
			if _, err := LoadSession(st, NewJar(&JarOptions{MaxCookies: n})); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func BenchmarkPlainJSONLoad(b *testing.B) {
	forSizes(b, func(b *testing.B, n int) {
		data, err := json.Marshal(plainCookies(benchJar(b, n).All()))
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
	})
}

func BenchmarkReadSession(b *testing.B) {
	forSizes(b, func(b *testing.B, n int) {
		data := benchDoc(b, n).encode(nil)
		b.SetBytes(int64(len(data)))
		b.ReportAllocs()
		b.ResetTimer()
		for range b.N {
			if err := readSession(data, &sessionDoc{}, func(*Cookie) {}); err != nil {
				b.Fatal(err)
			}
		}
	})
}
