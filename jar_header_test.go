package httpsession

import (
	"fmt"
	"math/rand/v2"
	"net/url"
	"testing"
	"time"
)

// cookieHeader is the Cookie header the session transport sends with a
// request to u, or "", with the jar's cache and access recording.
func cookieHeader(j *Jar, u *url.URL) string {
	t, ok := targetOf(u)
	if !ok {
		return ""
	}
	if h := j.headerFor(&t, j.now()); h != nil {
		return h[0]
	}
	return ""
}

// freshHeader builds the Cookie header for u at now without the cache.
func freshHeader(j *Jar, u *url.URL, now time.Time) string {
	t, ok := targetOf(u)
	if !ok {
		return ""
	}
	j.mu.RLock()
	defer j.mu.RUnlock()
	if c := j.buildHeader(&t, now.UnixNano()); c.value != nil {
		return c.value[0]
	}
	return ""
}

// cachedFor returns the cached header that serves u now, or nil.
func cachedFor(j *Jar, u *url.URL, now time.Time) *cachedHeader {
	t, _ := targetOf(u)
	for i := range j.headers {
		if c := j.headers[i].Load(); c.serves(&t, now.UnixNano(), j.hgen.Load()) {
			return c
		}
	}
	return nil
}

// TestHeaderCacheMatchesFresh runs random sequences of every change a jar
// knows (cookies set, replaced, renewed with a longer or shorter life,
// deleted, expired; Remove, Clear, session merges and inserts; the clock
// moving) and checks after each that the Cookie header for every origin and
// path is the one built from scratch.
func TestHeaderCacheMatchesFresh(t *testing.T) {
	t.Parallel()
	hosts := []string{"www.example.com", "example.com", "a.b.example.com", "x.s3.amazonaws.com", "y.amazonaws.com", "127.0.0.1"}
	paths := []string{"/", "/admin", "/admin/x", "/api"}
	var urls []*url.URL
	// Paths vary fastest: a header cached for one path serves the next.
	for _, scheme := range []string{"http", "https"} {
		for _, h := range hosts {
			for _, p := range paths {
				urls = append(urls, mustParseURL(t, scheme+"://"+h+p))
			}
		}
	}
	attrs := []string{"", "; Path=/admin", "; Path=/", "; Domain=example.com", "; Domain=amazonaws.com",
		"; Max-Age=5", "; Max-Age=3600", "; Max-Age=0", "; Secure", "; Secure; Path=/api", "; Max-Age=30; Path=/",
		"; Domain=amazonaws.com; Path=/admin", "; Domain=example.com; Path=/api"}
	hits := 0
	for seed := range uint64(20) {
		rng := rand.New(rand.NewPCG(seed, 1))
		jar, clock := newTestJar(&JarOptions{MaxCookiesPerDomain: 6, MaxCookies: 20})
		for step := range 400 {
			u := urls[rng.IntN(len(urls))]
			cookieHeader(jar, u) // cached before the change, checked first after it
			switch op := rng.IntN(20); {
			case op < 12:
				line := fmt.Sprintf("%c=%d%s", 'a'+rng.IntN(4), rng.IntN(2), attrs[rng.IntN(len(attrs))])
				jar.SetCookieHeaders(u, []string{line})
			case op < 14:
				clock.Advance(time.Duration(rng.IntN(90)) * time.Second)
			case op == 14:
				jar.Remove(u.Hostname(), "/", fmt.Sprintf("%c", 'a'+rng.IntN(4)))
			case op == 15:
				jar.insert(Cookie{Name: "i", Value: fmt.Sprint(rng.IntN(2)), Domain: u.Hostname(), Path: "/"})
			case op == 16:
				other, _ := newTestJar(nil)
				other.SetCookieHeaders(u, []string{fmt.Sprintf("m=%d", rng.IntN(2))})
				cs, ts := other.snapshot()
				jar.merge(cs, ts)
			case op == 17 && step%50 == 0:
				jar.Clear()
			}
			checkJar(t, jar)
			now := clock.Now()
			for _, v := range append([]*url.URL{u}, urls...) {
				if cachedFor(jar, v, now) != nil {
					hits++
				}
				got, want := cookieHeader(jar, v), freshHeader(jar, v, now)
				if got != want {
					t.Fatalf("seed %d step %d: Cookie for %s = %q, built afresh %q", seed, step, v, got, want)
				}
			}
		}
	}
	if hits == 0 {
		t.Fatal("no lookup was served from the cache")
	}
}

// TestHeaderCacheKeptOnRenewal: a cookie set again as it is keeps the built
// header; one that comes to expire sooner, a new value or a new cookie
// replaces it; the header is built again once a minute so that the last
// access of its cookies stays within two minutes.
func TestHeaderCacheKeptOnRenewal(t *testing.T) {
	jar, clock := newTestJar(nil)
	u := mustParseURL(t, "https://www.example.com/p")
	jar.SetCookieHeaders(u, []string{"sid=1; Path=/; HttpOnly", "a=2; Path=/"})
	if got := cookieHeader(jar, u); got != "sid=1; a=2" {
		t.Fatalf("Cookie = %q", got)
	}
	first := cachedFor(jar, u, clock.Now())
	if first == nil || !first.anyPath {
		t.Fatalf("cached header %+v, want one for every path", first)
	}
	steps := []struct {
		what  string
		line  string
		want  string
		kept  bool
		after time.Duration
	}{
		{"set again as it is", "sid=1; Path=/; HttpOnly", "sid=1; a=2", true, 0},
		{"a longer life", "sid=1; Path=/; HttpOnly; Max-Age=600", "sid=1; a=2", false, 0},
		{"the same life again, later", "sid=1; Path=/; HttpOnly; Max-Age=600", "sid=1; a=2", true, time.Second},
		{"a shorter life", "sid=1; Path=/; HttpOnly; Max-Age=10", "sid=1; a=2", false, 0},
		{"a new value", "a=3; Path=/", "sid=1; a=3", false, 0},
		{"expired by the clock", "", "a=3", false, 11 * time.Second},
	}
	for _, s := range steps {
		before := cachedFor(jar, u, clock.Now())
		clock.Advance(s.after)
		if s.line != "" {
			jar.SetCookieHeaders(u, []string{s.line})
		}
		if got := cookieHeader(jar, u); got != s.want {
			t.Errorf("%s: Cookie = %q, want %q", s.what, got, s.want)
		}
		if kept := cachedFor(jar, u, clock.Now()) == before; kept != s.kept {
			t.Errorf("%s: header kept %v, want %v", s.what, kept, s.kept)
		}
	}

	// A client that sends a request a second for five minutes.
	for range 300 {
		clock.Advance(time.Second)
		cookieHeader(jar, u)
	}
	for _, c := range jar.All() {
		if lag := clock.Now().Sub(c.LastAccess); lag > 2*time.Minute {
			t.Errorf("%s: last access %v ago, want at most 2m", c.Name, lag)
		}
	}
}
