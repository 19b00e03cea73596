package httpsession

import (
	"math/rand/v2"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestParseSetCookie(t *testing.T) {
	tests := []struct {
		description string
		line        string
		want        rawCookie
		ok          bool
	}{
		{"RFC 6265bis §5.6 step 2: a bare pair", "a=1",
			rawCookie{name: "a", value: "1"}, true},
		{"§5.6 step 3: the value runs from the first =", "a=b=c",
			rawCookie{name: "a", value: "b=c"}, true},
		{"§5.6 step 3: no = means an empty name", "value",
			rawCookie{value: "value"}, true},
		{"§5.6 step 4: whitespace around name and value is removed", " \ta b \t= \t c d\t ",
			rawCookie{name: "a b", value: "c d"}, true},
		{"§5.6 step 5: nothing at all is ignored", " = ; Path=/", rawCookie{}, false},
		{"§5.6 step 1: a control character discards the line", "a=1; Path=/\x01", rawCookie{}, false},
		{"§5.6 step 1: HTAB is allowed", "a=\t1", rawCookie{name: "a", value: "1"}, true},
		{"quotes are part of the value", `a="x"`, rawCookie{name: "a", value: `"x"`}, true},
		{"non-token names and 8-bit values are kept", `{"k":1}=ä€`,
			rawCookie{name: `{"k":1}`, value: "ä€"}, true},
		{"§5.6 step 6: name+value over 4096 bytes", "a=" + strings.Repeat("v", 4096), rawCookie{}, false},
		{"§5.6.1: Expires", "a=1; Expires=Sun, 06 Nov 1994 08:49:37 GMT",
			rawCookie{name: "a", value: "1", expires: time.Date(1994, 11, 6, 8, 49, 37, 0, time.UTC), hasExp: true}, true},
		{"§5.6.1: an unparsable Expires is ignored", "a=1; Expires=soon", rawCookie{name: "a", value: "1"}, true},
		{"§5.6.2: Max-Age", "a=1; max-age=60", rawCookie{name: "a", value: "1", maxAge: 60, hasMaxAge: true}, true},
		{"§5.6.2: a negative Max-Age", "a=1; Max-Age=-1", rawCookie{name: "a", value: "1", hasMaxAge: true}, true},
		{"§5.6.2: a malformed Max-Age is ignored", "a=1; Max-Age=1e3; Max-Age=+5; Max-Age=-; Max-Age=",
			rawCookie{name: "a", value: "1"}, true},
		{"§5.6.2: a huge Max-Age is clamped", "a=1; Max-Age=99999999999999999999999999",
			rawCookie{name: "a", value: "1", maxAge: maxAgeLimit + 1, hasMaxAge: true}, true},
		{"§5.6.3: Domain loses its leading dot", "a=1; Domain=.Example.com",
			rawCookie{name: "a", value: "1", domain: "Example.com", hasDomain: true}, true},
		{"§5.6.3: an empty Domain is ignored", "a=1; Domain=", rawCookie{name: "a", value: "1"}, true},
		{"a quoted Domain keeps its quotes", `a=1; Domain="example.com"`,
			rawCookie{name: "a", value: "1", domain: `"example.com"`, hasDomain: true}, true},
		{"§5.6.4: Path", "a=1; Path=/p", rawCookie{name: "a", value: "1", path: "/p", hasPath: true}, true},
		{"§5.6.4: a relative Path means the default-path", "a=1; Path=p",
			rawCookie{name: "a", value: "1", hasPath: true}, true},
		{"§5.6.5-§5.6.7: flags, case-insensitive and with stray values",
			"a=1; SECURE; httponly=yes; SameSite=STRICT; Partitioned",
			rawCookie{name: "a", value: "1", secure: true, httpOnly: true, sameSite: http.SameSiteStrictMode, partitioned: true}, true},
		{"§5.6.7: an unknown SameSite value", "a=1; SameSite=whatever",
			rawCookie{name: "a", value: "1", sameSite: http.SameSiteDefaultMode}, true},
		{"the last attribute of a name wins", "a=1; Path=/x; path=/y; SameSite=Lax; SameSite=None",
			rawCookie{name: "a", value: "1", path: "/y", hasPath: true, sameSite: http.SameSiteNoneMode}, true},
		{"§5.6: an attribute value over 1024 bytes is ignored", "a=1; Path=/" + strings.Repeat("p", 1024),
			rawCookie{name: "a", value: "1"}, true},
		{"unknown attributes and empty ones are ignored", "a=1;;; Foo=bar; =x; ;Comment",
			rawCookie{name: "a", value: "1"}, true},
	}
	for _, tc := range tests {
		got, ok := parseSetCookie(tc.line)
		if ok != tc.ok {
			t.Errorf("%s: parseSetCookie(%q) ok = %v, want %v", tc.description, tc.line, ok, tc.ok)
			continue
		}
		if !ok {
			continue
		}
		if diff := cmp.Diff(tc.want, got, cmp.AllowUnexported(rawCookie{})); diff != "" {
			t.Errorf("%s: parseSetCookie(%q) mismatch (-want +got):\n%s", tc.description, tc.line, diff)
		}
	}
}

func TestFromHTTPCookie(t *testing.T) {
	exp := time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		description string
		c           http.Cookie
		want        rawCookie
	}{
		{"MaxAge 0 is unspecified", http.Cookie{Name: "a", Value: "1"}, rawCookie{name: "a", value: "1"}},
		{"MaxAge < 0 deletes", http.Cookie{Name: "a", MaxAge: -1}, rawCookie{name: "a", hasMaxAge: true}},
		{"MaxAge > 0", http.Cookie{Name: "a", MaxAge: 5}, rawCookie{name: "a", maxAge: 5, hasMaxAge: true}},
		{"Expires", http.Cookie{Name: "a", Expires: exp}, rawCookie{name: "a", expires: exp, hasExp: true}},
		{"RawExpires without Expires", http.Cookie{Name: "a", RawExpires: "1 Feb 2026 00:00:00"},
			rawCookie{name: "a", expires: exp, hasExp: true}},
		{"unparsable RawExpires", http.Cookie{Name: "a", RawExpires: "never"}, rawCookie{name: "a"}},
		{"Quoted", http.Cookie{Name: "a", Value: "x", Quoted: true}, rawCookie{name: "a", value: `"x"`}},
		{"Domain and Path", http.Cookie{Name: "a", Domain: ".example.com", Path: "/p"},
			rawCookie{name: "a", domain: "example.com", hasDomain: true, path: "/p", hasPath: true}},
		{"a relative Path", http.Cookie{Name: "a", Path: "p"}, rawCookie{name: "a", hasPath: true}},
		{"flags", http.Cookie{Name: "a", Secure: true, HttpOnly: true, Partitioned: true, SameSite: http.SameSiteLaxMode},
			rawCookie{name: "a", secure: true, httpOnly: true, partitioned: true, sameSite: http.SameSiteLaxMode}},
	}
	for _, tc := range tests {
		got := fromHTTPCookie(&tc.c)
		if diff := cmp.Diff(tc.want, got, cmp.AllowUnexported(rawCookie{})); diff != "" {
			t.Errorf("%s: fromHTTPCookie mismatch (-want +got):\n%s", tc.description, diff)
		}
	}
}

func TestParseSetCookieAllocations(t *testing.T) {
	line := "id=a3fWa; Expires=Wed, 21 Oct 2026 07:28:00 GMT; Max-Age=3600; Domain=example.com; Path=/docs; Secure; HttpOnly; SameSite=Lax"
	if a := testing.AllocsPerRun(100, func() { parseSetCookie(line) }); a != 0 {
		t.Errorf("parseSetCookie allocates %v times, want 0", a)
	}
}

// BenchmarkSetCookieHeadersRenew stores the Set-Cookie line of a typical
// response: a rolling session cookie set again on every response, in a jar
// that holds a handful of the site's cookies.
func BenchmarkSetCookieHeadersRenew(b *testing.B) {
	for _, bc := range []struct{ name, line string }{
		{"session", "sid=b1946ac92492d2347c6235b4d2611184e4d3c8a1; Path=/; HttpOnly"},
		{"max-age", "sid=b1946ac92492d2347c6235b4d2611184e4d3c8a1; Path=/; Max-Age=3600; Secure; HttpOnly; SameSite=Lax"},
	} {
		b.Run(bc.name, func(b *testing.B) {
			jar, clock := newTestJar(nil)
			u := mustParseURL(b, "https://api.example.com/v1/items")
			jar.SetCookieHeaders(u, []string{"a=1", "b=2; Path=/v1", "c=3; Domain=example.com", "d=4; Max-Age=60"})
			lines := []string{bc.line}
			b.ReportAllocs()
			for b.Loop() {
				clock.Advance(time.Millisecond)
				jar.SetCookieHeaders(u, lines)
			}
		})
	}
}

// renewFixtures returns two jars with the same cookies from two hosts of
// example.com: one to set cookies in with SetCookieHeaders, one with
// setReplacing.
func renewFixtures(t *testing.T) (fast, slow *Jar, clocks [2]*testClock) {
	t.Helper()
	var jars [2]*Jar
	for i := range jars {
		jars[i], clocks[i] = newTestJar(&JarOptions{MaxCookiesPerDomain: 6})
		jars[i].SetCookieHeaders(mustParseURL(t, "https://www.example.com/app/x"), []string{
			"sid=1; Path=/; HttpOnly", "pref=a; Max-Age=600", "d=1; Domain=example.com; Secure", "abs=1; Expires=Sat, 01 Jan 2039 00:00:00 GMT",
		})
		jars[i].SetCookieHeaders(mustParseURL(t, "http://api.example.com/"), []string{"plain=1", "gone=1; Max-Age=60"})
		jars[i].Remove("api.example.com", "/", "gone")
		clocks[i].Advance(time.Second)
	}
	return jars[0], jars[1], clocks
}

// setReplacing is SetCookieHeaders with renewal in place ruled out: every
// stored cookie's value is disguised for the call, so that a line setting
// a cookie again unchanged finds it changed and builds a new entry, as for
// a changed cookie. The cookies the call leaves in place get their values
// back.
func setReplacing(j *Jar, u *url.URL, lines []string) {
	disguised := make(map[*entry]string)
	j.mu.Lock()
	for _, g := range j.groups {
		for _, e := range g.entries {
			disguised[e] = e.value
			e.value = "\x00" + e.value // no Set-Cookie value holds a NUL
		}
	}
	j.mu.Unlock()
	j.SetCookieHeaders(u, lines)
	j.mu.Lock()
	defer j.mu.Unlock()
	for _, g := range j.groups {
		for _, e := range g.entries {
			if v, ok := disguised[e]; ok {
				e.value = v
			}
		}
	}
}

// TestSetCookieRenewMatchesReplace checks that renewing a cookie set again
// unchanged leaves the jar exactly as building a new entry does.
func TestSetCookieRenewMatchesReplace(t *testing.T) {
	type step struct {
		advance time.Duration
		url     string
		lines   []string
	}
	www, api := "https://www.example.com/app/x", "http://api.example.com/"
	tests := []struct {
		name  string
		steps []step
	}{
		{"session cookie renewed", []step{{time.Second, www, []string{"sid=1; Path=/; HttpOnly"}}, {time.Hour, www, []string{"sid=1; Path=/; HttpOnly"}}}},
		{"Max-Age counts from now", []step{{time.Minute, www, []string{"pref=a; Max-Age=600"}}, {5 * time.Minute, www, []string{"pref=a; Max-Age=600"}}}},
		{"Max-Age added to a session cookie", []step{{time.Second, www, []string{"sid=1; Path=/; HttpOnly; Max-Age=60"}}}},
		{"Expires kept", []step{{time.Second, www, []string{"abs=1; Expires=Sat, 01 Jan 2039 00:00:00 GMT"}}}},
		{"Expires changed", []step{{time.Second, www, []string{"abs=1; Expires=Sun, 02 Jan 2039 00:00:00 GMT"}}}},
		{"new value", []step{{time.Second, www, []string{"sid=2; Path=/; HttpOnly"}}}},
		{"attributes changed", []step{{time.Second, www, []string{"sid=1; Path=/"}}, {time.Second, www, []string{"sid=1; Path=/; Secure"}},
			{time.Second, www, []string{"sid=1; Path=/; SameSite=Lax"}}, {time.Second, www, []string{"sid=1; Path=/; Secure; Partitioned"}}}},
		{"domain cookie vs host-only", []step{{time.Second, www, []string{"d=1; Domain=example.com; Secure", "d=1; Secure"}}}},
		{"default path", []step{{time.Second, www, []string{"pref=a; Max-Age=600; Path=/app"}}}},
		{"deleted by Max-Age=0, then set again", []step{{time.Second, www, []string{"pref=; Max-Age=0"}}, {time.Second, www, []string{"pref=a; Max-Age=600"}},
			{time.Second, www, []string{"pref=a; Max-Age=600"}}}},
		{"removed cookie set again", []step{{time.Second, api, []string{"gone=1; Max-Age=60"}}, {time.Second, api, []string{"gone=1; Max-Age=60"}}}},
		{"insecure origin cannot renew a Secure cookie", []step{{time.Second, api, []string{"d=1; Domain=example.com"}}}},
		{"expired cookie set again", []step{{11 * time.Minute, www, []string{"pref=a; Max-Age=600"}}}},
		{"renewals at the per-domain limit", []step{{time.Second, api, []string{"n1=1", "n2=2", "plain=1"}}, {time.Second, www, []string{"sid=1; Path=/; HttpOnly", "n3=3"}},
			{time.Second, api, []string{"plain=1", "plain=1"}}}},
	}
	for _, tt := range tests {
		fast, slow, clocks := renewFixtures(t)
		for i, s := range tt.steps {
			clocks[0].Advance(s.advance)
			clocks[1].Advance(s.advance)
			u := mustParseURL(t, s.url)
			fg, sg := fast.generation(), slow.generation()
			fast.SetCookieHeaders(u, s.lines)
			setReplacing(slow, u, s.lines)
			if diff := cmp.Diff(stateOf(slow), stateOf(fast), cmp.AllowUnexported(tombstone{})); diff != "" {
				t.Errorf("%s, step %d: SetCookieHeaders(%q, %q) state mismatch with a new entry (-want +got):\n%s", tt.name, i, s.url, s.lines, diff)
			}
			if got, want := fast.generation()-fg, slow.generation()-sg; got != want {
				t.Errorf("%s, step %d: generation moved by %d, want %d", tt.name, i, got, want)
			}
			if got, want := cookieHeader(fast, u), cookieHeader(slow, u); got != want {
				t.Errorf("%s, step %d: cookieHeader(%q) = %q, want %q", tt.name, i, s.url, got, want)
			}
		}
	}
}

// TestSetCookieRenewProperty sets random lines, drawn from a small set so
// that most of them set a stored cookie again, and checks after each
// response that renewal in place and a new entry give the same jar.
func TestSetCookieRenewProperty(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(3, 4))
	urls := []string{"https://www.example.com/app/x", "http://api.example.com/", "https://example.com/"}
	lines := []string{
		"sid=1; Path=/; HttpOnly", "sid=2; Path=/; HttpOnly", "sid=1; Path=/", "pref=a; Max-Age=600", "pref=a; Max-Age=5",
		"pref=; Max-Age=0", "d=1; Domain=example.com; Secure", "d=1; Domain=example.com", "abs=1; Expires=Sat, 01 Jan 2039 00:00:00 GMT",
		"plain=1", "plain=1; SameSite=Strict", "x=1; Path=/app", "x=1; Path=/app; Partitioned; Secure", "gone=1; Max-Age=60",
	}
	fast, slow, clocks := renewFixtures(t)
	for i := range 2000 {
		d := time.Duration(r.IntN(120)) * time.Second
		clocks[0].Advance(d)
		clocks[1].Advance(d)
		u := mustParseURL(t, urls[r.IntN(len(urls))])
		var ls []string
		for range 1 + r.IntN(3) {
			ls = append(ls, lines[r.IntN(len(lines))])
		}
		if r.IntN(20) == 0 {
			fast.Remove("example.com", "/", "d")
			slow.Remove("example.com", "/", "d")
		}
		fg, sg := fast.generation(), slow.generation()
		fast.SetCookieHeaders(u, ls)
		setReplacing(slow, u, ls)
		if diff := cmp.Diff(stateOf(slow), stateOf(fast), cmp.AllowUnexported(tombstone{})); diff != "" {
			t.Fatalf("step %d: SetCookieHeaders(%q, %q) state mismatch with a new entry (-want +got):\n%s", i, u, ls, diff)
		}
		if got, want := fast.generation()-fg, slow.generation()-sg; got != want {
			t.Fatalf("step %d: SetCookieHeaders(%q, %q) moved generation by %d, want %d", i, u, ls, got, want)
		}
	}
}

func TestSetCookieRenewAllocations(t *testing.T) {
	jar, clock := newTestJar(nil)
	u := mustParseURL(t, "https://www.example.com/")
	lines := []string{"sid=b1946ac92492d2347c6235b4d2611184e4d3c8a1; Path=/; HttpOnly", "pref=a; Max-Age=600; Secure"}
	jar.SetCookieHeaders(u, lines)
	if a := testing.AllocsPerRun(100, func() { clock.Advance(time.Second); jar.SetCookieHeaders(u, lines) }); a != 0 {
		t.Errorf("SetCookieHeaders of two cookies set again unchanged allocates %v times, want 0", a)
	}
}

// TestParseCached: the remembered parse of the last line gives exactly
// what parsing gives, also when lines alternate and after a bad line.
func TestParseCached(t *testing.T) {
	j := NewJar(nil)
	lines := []string{
		"sid=abc; Path=/; HttpOnly",
		"sid=abc; Path=/; HttpOnly",
		"pref=1; Max-Age=60; Domain=example.com",
		"=; bad",
		"sid=abc; Path=/; HttpOnly",
		"pref=1; Max-Age=60; Domain=example.com",
		"pref=1; Max-Age=60; Domain=example.com",
	}
	for i, l := range lines {
		got, gotOK := j.parseCached(l)
		want, wantOK := parseSetCookie(l)
		if gotOK != wantOK || got != want {
			t.Errorf("line %d %q: parseCached = %+v, %v; want %+v, %v", i, l, got, gotOK, want, wantOK)
		}
	}
}
