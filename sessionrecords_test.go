package httpsession

import (
	"fmt"
	"testing"
	"unsafe"
)

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
