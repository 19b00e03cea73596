package httpsession

import (
	"fmt"
	"net/url"
	"path/filepath"
	"testing"

	"github.com/spf13/afero"
)

// The codec at the default cap of 3,000 cookies (benchJar: 100 a site).
// Save3k and MergeSave3k write to the OS file system with fsync, as a
// program saving its session does.

func benchDoc(b *testing.B, n int) *sessionDoc {
	b.Helper()
	cookies, tombs := benchJar(b, n).snapshot()
	return &sessionDoc{cookies: cookies, tombs: tombs, token: &Token{AccessToken: "at", TokenType: "Bearer"}}
}

func BenchmarkEncode3k(b *testing.B) {
	doc := benchDoc(b, 3000)
	buf := doc.encode(nil)
	b.SetBytes(int64(len(buf)))
	b.ResetTimer()
	for range b.N {
		buf = doc.encode(buf[:0])
	}
}

func BenchmarkDecode3k(b *testing.B) {
	data := benchDoc(b, 3000).encode(nil)
	b.SetBytes(int64(len(data)))
	b.ResetTimer()
	for range b.N {
		if _, err := decodeSession(data); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkSave3k(b *testing.B) {
	jar := benchJar(b, 3000)
	dir := b.TempDir()
	b.ResetTimer()
	for i := range b.N {
		st := NewFileStore(nil, filepath.Join(dir, fmt.Sprintf("s%d.json", i)))
		if err := SaveSession(st, jar, nil, nil); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkMergeSave3k changes one cookie and saves into a file that holds
// the 3,000: SaveSession decodes and merges the file every time, as a
// save after another process's does.
func BenchmarkMergeSave3k(b *testing.B) {
	path := filepath.Join(b.TempDir(), "s.json")
	if err := SaveSession(NewFileStore(nil, path), benchJar(b, 3000), nil, nil); err != nil {
		b.Fatal(err)
	}
	jar := benchJar(b, 3000)
	u := &url.URL{Scheme: "https", Host: "www.site0.example", Path: "/"}
	b.ResetTimer()
	for i := range b.N {
		jar.SetCookieHeaders(u, []string{fmt.Sprintf("session_0=%d; Max-Age=3600", i)})
		if err := SaveSession(NewFileStore(afero.NewOsFs(), path), jar, nil, nil); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkLoad3k(b *testing.B) {
	st := &bytesStore{}
	if err := SaveSession(st, benchJar(b, 3000), nil, nil); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(st.data)))
	b.ResetTimer()
	for range b.N {
		if _, err := LoadSession(st, NewJar(nil)); err != nil {
			b.Fatal(err)
		}
	}
}
