package httpsession

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// TestAllOrderFollowsChanges: All lists the live cookies in identity
// order after each change to the jar, also when it lists them twice
// without a change in between (the kept order) and when a cookie expires,
// which no write to the jar marks.
func TestAllOrderFollowsChanges(t *testing.T) {
	j, clock := newTestJar(nil)
	steps := []struct {
		name string
		do   func()
		want string
	}{
		{"first cookies", func() {
			j.SetCookieHeaders(mustParseURL(t, "https://www.example.com/"), []string{"b=1; Max-Age=10", "a=1; Max-Age=3600", "c=1"})
			j.SetCookieHeaders(mustParseURL(t, "https://other.example/"), []string{"x=1"})
		}, "other.example/x=1 www.example.com/a=1 www.example.com/b=1 www.example.com/c=1"},
		{"b expires", func() { clock.Advance(11 * time.Second) },
			"other.example/x=1 www.example.com/a=1 www.example.com/c=1"},
		{"a set again", func() {
			j.SetCookieHeaders(mustParseURL(t, "https://www.example.com/"), []string{"a=2; Max-Age=3600"})
		}, "other.example/x=1 www.example.com/a=2 www.example.com/c=1"},
		{"x removed", func() { j.Remove("other.example", "/", "x") },
			"www.example.com/a=2 www.example.com/c=1"},
		{"a cookie ordered first", func() {
			j.SetCookieHeaders(mustParseURL(t, "https://a.example/"), []string{"z=1"})
		}, "a.example/z=1 www.example.com/a=2 www.example.com/c=1"},
	}
	for _, s := range steps {
		s.do()
		for range 2 {
			var got []string
			for _, c := range j.All() {
				got = append(got, c.Domain+c.Path+c.Name+"="+c.Value)
			}
			if diff := cmp.Diff(strings.Fields(s.want), got); diff != "" {
				t.Fatalf("%s: All() (-want +got):\n%s", s.name, diff)
			}
		}
	}
}
