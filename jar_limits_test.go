package httpsession

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestBoundedMemory runs a jar for a long time with short-lived cookies,
// removals and lookups: what it stores stays within MaxCookies.
func TestBoundedMemory(t *testing.T) {
	const limit = 50
	jar, clock := newTestJar(&JarOptions{MaxCookies: limit, MaxCookiesPerDomain: 20})
	for i := range 2000 {
		u := mustParseURL(t, fmt.Sprintf("https://h%d.site%d.example/", i, i%300))
		jar.SetCookieHeaders(u, []string{"a=1; Max-Age=5", "b=2"})
		if i%2 == 0 {
			jar.Remove(u.Hostname(), "/", "b")
		}
		jar.Cookies(u)
		clock.Advance(time.Second)

		jar.mu.RLock()
		stored, tombs := jar.count, len(jar.tombs)
		jar.mu.RUnlock()
		if stored > limit || tombs > limit {
			t.Fatalf("after %d responses: %d cookies and %d tombstones stored, limit %d", i+1, stored, tombs, limit)
		}
	}
	if n := jar.live(); n > limit {
		t.Errorf("Len() = %d, want at most %d", n, limit)
	}
}

func TestPerDomainLimit(t *testing.T) {
	jar, clock := newTestJar(&JarOptions{MaxCookiesPerDomain: 3})
	u := mustParseURL(t, "http://www.example.com/")
	jar.SetCookieHeaders(u, []string{"a=1", "b=2", "c=3; Max-Age=60"})
	// Access a and b later than c; then c expires.
	clock.Advance(2 * time.Minute)
	jar.Cookies(u)
	jar.SetCookieHeaders(u, []string{"d=4"})
	if got, want := names(jar.All()), "a b d"; got != want {
		t.Fatalf("after an expired cookie: jar holds %q, want %q", got, want)
	}
	// Now a and b were accessed before d was set; a is the oldest of them.
	clock.Advance(2 * time.Minute)
	jar.SetCookieHeaders(u, []string{"e=5"})
	if got, want := names(jar.All()), "b d e"; got != want {
		t.Fatalf("least recently accessed: jar holds %q, want %q", got, want)
	}
	// An access protects a cookie.
	clock.Advance(2 * time.Minute)
	jar.Cookies(mustParseURL(t, "http://www.example.com/"))
	clock.Advance(2 * time.Minute)
	jar.SetCookieHeaders(mustParseURL(t, "http://other.example.com/"), []string{"f=6"})
	if got, want := names(jar.All()), "d e f"; got != want {
		t.Fatalf("a subdomain shares the eTLD+1 limit: jar holds %q, want %q", got, want)
	}
	if got, want := jar.live(), 3; got != want {
		t.Errorf("Len() = %d, want %d", got, want)
	}
	// Other registrable domains have limits of their own.
	jar.SetCookieHeaders(mustParseURL(t, "http://example.org/"), []string{"g=7", "h=8"})
	if got, want := jar.live(), 5; got != want {
		t.Errorf("Len() = %d, want %d", got, want)
	}
}

func TestTotalLimit(t *testing.T) {
	jar, clock := newTestJar(&JarOptions{MaxCookies: 20})
	for i := range 20 {
		jar.SetCookieHeaders(mustParseURL(t, fmt.Sprintf("http://host%02d.example/", i)), []string{"a=1"})
		clock.Advance(2 * time.Minute)
	}
	// Touch the first host so that it survives.
	jar.Cookies(mustParseURL(t, "http://host00.example/"))
	clock.Advance(2 * time.Minute)
	if got, want := jar.live(), 20; got != want {
		t.Fatalf("Len() = %d, want %d", got, want)
	}
	jar.SetCookieHeaders(mustParseURL(t, "http://new.example/"), []string{"a=1"})
	// Passing the limit evicts down to a tenth below it.
	if got, want := jar.live(), 18; got != want {
		t.Fatalf("Len() = %d, want %d", got, want)
	}
	var domains []string
	for _, c := range jar.All() {
		domains = append(domains, c.Domain)
	}
	for _, gone := range []string{"host01.example", "host02.example", "host03.example"} {
		if slices.Contains(domains, gone) {
			t.Errorf("%s survived, want it evicted as least recently accessed", gone)
		}
	}
	for _, kept := range []string{"host00.example", "host04.example", "new.example"} {
		if !slices.Contains(domains, kept) {
			t.Errorf("%s evicted, want it kept", kept)
		}
	}
}

// TestFlood checks that one response cannot make the jar grow without
// bound or take unbounded time. A flood one line longer than the most one
// response may store proves the bound; HTTPSESSION_LONG makes it a million
// lines.
func TestFlood(t *testing.T) {
	t.Parallel()
	flood := minSetCookiesPerResponse + 1
	if longRun() {
		flood = 1_000_000
	}
	jar, _ := newTestJar(nil)
	u := mustParseURL(t, "http://www.example.com/")
	lines := make([]string, flood)
	for i := range lines {
		lines[i] = "c" + strings.Repeat("x", i%7) + fmt.Sprint(i) + "=v"
	}
	jar.SetCookieHeaders(u, lines)
	if got, want := jar.live(), defaultMaxCookiesPerDomain; got != want {
		t.Errorf("after a flood: Len() = %d, want %d", got, want)
	}
	cs := make([]*http.Cookie, flood)
	for i := range cs {
		cs[i] = &http.Cookie{Name: fmt.Sprint("h", i), Value: "v"}
	}
	jar.SetCookies(mustParseURL(t, "http://other.example.org/"), cs)
	if got, want := jar.live(), 2*defaultMaxCookiesPerDomain; got != want {
		t.Errorf("after a second flood: Len() = %d, want %d", got, want)
	}
}

func TestCookiesAllocations(t *testing.T) {
	jar, _ := newTestJar(&JarOptions{MaxCookiesPerDomain: 2000})
	u := mustParseURL(t, "https://www.example.com/a/b")
	lines := make([]string, 1000)
	for i := range lines {
		lines[i] = fmt.Sprintf("c%d=v%d; Path=/", i, i)
	}
	jar.SetCookieHeaders(u, lines)
	if got := len(jar.Cookies(u)); got != 1000 {
		t.Fatalf("len(Cookies) = %d, want 1000", got)
	}
	if a := testing.AllocsPerRun(20, func() { jar.Cookies(u) }); a > 2 {
		t.Errorf("Cookies allocates %v times, want at most 2", a)
	}
	if a := testing.AllocsPerRun(20, func() { cookieHeader(jar, u) }); a > 1 {
		t.Errorf("cookieHeader allocates %v times, want at most 1", a)
	}
}

// TestDeepKeysFollowGroups checks that the index of multi-dot group keys
// always matches the groups, through every way groups come and go.
func TestDeepKeysFollowGroups(t *testing.T) {
	j, clock := newTestJar(&JarOptions{MaxCookies: 40, MaxCookiesPerDomain: 5})
	check := func(when string) {
		t.Helper()
		j.mu.RLock()
		defer j.mu.RUnlock()
		for k := range j.groups {
			_, in := j.deep[k]
			if want := strings.Count(k, ".") >= 2; in != want {
				t.Errorf("%s: group %q in deep = %v, want %v", when, k, in, want)
			}
		}
		for k := range j.deep {
			if j.groups[k] == nil {
				t.Errorf("%s: deep holds %q, which has no group", when, k)
			}
		}
	}
	hosts := []string{"a.example.com", "www.example.co.uk", "x.github.io", "192.168.0.7", "localhost", "b.example.org"}
	for i := range 60 {
		h := hosts[i%len(hosts)]
		u := mustParseURL(t, "http://"+h+"/")
		j.SetCookieHeaders(u, []string{fmt.Sprintf("c%d=v; Max-Age=%d", i, 10+i%7)})
	}
	check("after filling past the limits")
	j.Remove("example.co.uk", "/", "c1")
	j.Remove("www.example.co.uk", "/", "c1")
	check("after Remove")
	clock.Advance(time.Minute) // everything expires
	j.SetCookieHeaders(mustParseURL(t, "http://x.github.io/"), []string{"fresh=1; Max-Age=60"})
	check("after expiry and a write")
	j.Clear()
	check("after Clear")
	if len(j.deep) != 0 {
		t.Errorf("deep holds %d keys after Clear", len(j.deep))
	}
}

// BenchmarkSetCookieHeadersPlainHTTP stores a cookie from a plain-http
// origin in a jar of 10,000 sites: the leave-secure-cookies-alone check
// runs on every such response, and must not cost a walk of every site.
func BenchmarkSetCookieHeadersPlainHTTP(b *testing.B) {
	j := NewJar(&JarOptions{MaxCookies: 20000})
	for i := range 10000 {
		u := &url.URL{Scheme: "http", Host: fmt.Sprintf("www.site%05d.com", i), Path: "/"}
		j.SetCookieHeaders(u, []string{"a=1; Max-Age=3600"})
	}
	u := &url.URL{Scheme: "http", Host: "www.site00042.com", Path: "/"}
	i := 0
	for b.Loop() {
		i++
		j.SetCookieHeaders(u, []string{"b=" + strconv.Itoa(i&7) + "; Max-Age=3600"})
	}
}
