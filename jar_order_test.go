package httpsession

import (
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// cookieHeaderOf returns the cookies jar sends to u, as a Cookie header.
func cookieHeaderOf(jar *Jar, u *url.URL) string {
	var parts []string
	for _, c := range jar.Cookies(u) {
		parts = append(parts, c.Name+"="+c.Value)
	}
	return strings.Join(parts, "; ")
}

// TestOrderSurvivesRestart: cookies of equal path length are sent in the
// order they were created (RFC 6265 §5.4 step 2), also after a save and a
// load, when they were created in the same millisecond — the resolution
// of the session file's times — or at the same instant.
func TestOrderSurvivesRestart(t *testing.T) {
	type set struct {
		after time.Duration // since the previous set
		url   string
		lines []string
	}
	tests := []struct {
		name string
		sets []set
		at   string // the URL to send to
		want string
	}{
		{"one response", []set{{0, "https://www.example.com/", []string{
			"sid=NEW; Max-Age=3600", "lang=en; Max-Age=3600", "a_first=1; Max-Age=3600"}}},
			"https://www.example.com/", "sid=NEW; lang=en; a_first=1"},
		{"one response, session cookies", []set{{0, "https://www.example.com/", []string{"z=1", "m=2", "a=3"}}},
			"https://www.example.com/", "z=1; m=2; a=3"},
		{"host-only before domain, same name", []set{{0, "https://www.example.com/", []string{
			"sid=host; Max-Age=3600", "sid=domain; Domain=example.com; Max-Age=3600"}}},
			"https://www.example.com/", "sid=host; sid=domain"},
		{"domain before host-only, same name", []set{{0, "https://www.example.com/", []string{
			"sid=domain; Domain=example.com; Max-Age=3600", "sid=host; Max-Age=3600"}}},
			"https://www.example.com/", "sid=domain; sid=host"},
		{"responses within a millisecond", []set{
			{0, "https://www.example.com/", []string{"b=1; Max-Age=3600"}},
			{300 * time.Microsecond, "https://www.example.com/", []string{"a=2; Max-Age=3600"}},
			{300 * time.Microsecond, "https://example.com/", []string{"c=3; Domain=example.com; Max-Age=3600"}}},
			"https://www.example.com/", "b=1; a=2; c=3"},
		{"across a millisecond boundary", []set{
			{999 * time.Microsecond, "https://www.example.com/", []string{"y=1; Max-Age=3600"}},
			{time.Microsecond, "https://www.example.com/", []string{"x=2; Max-Age=3600"}}},
			"https://www.example.com/", "y=1; x=2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			jar, clock := newTestJar(nil)
			for _, s := range tt.sets {
				clock.Advance(s.after)
				jar.SetCookieHeaders(mustParseURL(t, s.url), s.lines)
			}
			u := mustParseURL(t, tt.at)
			if got := cookieHeaderOf(jar, u); got != tt.want {
				t.Fatalf("before a restart: Cookie = %q, want %q", got, tt.want)
			}
			st := &bytesStore{}
			if err := SaveSession(st, jar, nil, nil); err != nil {
				t.Fatal(err)
			}
			jar2, clock2 := newTestJar(nil)
			clock2.Advance(time.Minute)
			if _, err := LoadSession(st, jar2); err != nil {
				t.Fatal(err)
			}
			if got := cookieHeaderOf(jar2, u); got != tt.want {
				t.Errorf("after a restart: Cookie = %q, want %q\n%s", got, tt.want, st.data)
			}
		})
	}
}

// TestCreationTimesUnique: a jar gives the cookies it creates distinct
// creation times, a nanosecond apart when the clock has not moved, so
// that the time alone orders them, in the file as in the jar.
func TestCreationTimesUnique(t *testing.T) {
	jar, _ := newTestJar(nil)
	u := mustParseURL(t, "https://www.example.com/")
	jar.SetCookieHeaders(u, []string{"a=1", "b=2"})
	jar.SetCookieHeaders(u, []string{"c=3"})
	if err := jar.Add(Cookie{Name: "d", Value: "4", Domain: "www.example.com", Path: "/", HostOnly: true}); err != nil {
		t.Fatal(err)
	}
	seen := make(map[time.Time]string)
	for _, c := range jar.All() {
		if other, ok := seen[c.Created]; ok {
			t.Errorf("cookies %s and %s share the creation time %v", other, c.Name, c.Created)
		}
		seen[c.Created] = c.Name
		if c.Created.Before(tNow) || c.Created.After(tNow.Add(time.Microsecond)) {
			t.Errorf("cookie %s created at %v, want within a microsecond of %v", c.Name, c.Created, tNow)
		}
	}
}

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
