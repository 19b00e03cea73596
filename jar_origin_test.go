package httpsession

import (
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"

	"golang.org/x/net/publicsuffix"
)

// TestLeaveSecureCookiesAlone follows RFC 6265bis §5.7.
// Its rule compares domains by domain-match in both directions, so the
// Secure cookie may be in the group of another registrable domain when a
// public suffix lies between the two (github.io and s3.amazonaws.com are
// public suffixes).
func TestLeaveSecureCookiesAlone(t *testing.T) {
	tests := []struct {
		description string
		secureURL   string // where the Secure cookie comes from; "" is https://www.example.com/
		secureLine  string // the Secure cookie; "" is "s=1; Secure"
		fromURL     string
		line        string
		want        string // all cookies afterwards, "name=value@domain/path"
	}{
		{"http may not overwrite a Secure cookie", "", "", "http://www.example.com/", "s=evil", "s=1@www.example.com/"},
		{"http may not delete a Secure cookie", "", "", "http://www.example.com/", "s=; Max-Age=0", "s=1@www.example.com/"},
		{"nor shadow it from the parent domain", "", "", "http://www.example.com/", "s=evil; Domain=example.com", "s=1@www.example.com/"},
		{"nor from a subdomain", "", "", "http://a.www.example.com/", "s=evil", "s=1@www.example.com/"},
		{"nor from the parent host, the Secure cookie's domain domain-matching the new one's",
			"https://a.www.example.com/", "", "http://www.example.com/", "s=evil", "s=1@a.www.example.com/"},
		{"nor on a longer path", "", "", "http://www.example.com/", "s=evil; Path=/deep", "s=1@www.example.com/"},
		{"a shorter path is fine: it does not path-match the Secure cookie's",
			"", "s=1; Secure; Path=/deep", "http://www.example.com/", "s=2; Path=/", "s=2@www.example.com/ s=1@www.example.com/deep"},
		{"another name is fine", "", "", "http://www.example.com/", "t=2", "s=1@www.example.com/ t=2@www.example.com/"},
		{"an unrelated domain is fine", "", "", "http://other.example.com/", "s=2", "s=2@other.example.com/ s=1@www.example.com/"},
		{"https may overwrite it", "", "", "https://www.example.com/", "s=2", "s=2@www.example.com/"},
		{"https may delete it", "", "", "https://www.example.com/", "s=; Max-Age=0", ""},
		{"a public suffix host may not shadow a Secure cookie of its subdomain",
			"https://foo.github.io/", "", "http://github.io/", "s=evil", "s=1@foo.github.io/"},
		{"nor a subdomain one of the public suffix host",
			"https://github.io/", "", "http://foo.github.io/", "s=evil", "s=1@github.io/"},
		{"nor a domain cookie one below a public suffix inside it",
			"https://bucket.s3.amazonaws.com/", "", "http://www.amazonaws.com/", "s=evil; Domain=amazonaws.com",
			"s=1@bucket.s3.amazonaws.com/"},
		{"siblings under a public suffix are unrelated",
			"https://foo.github.io/", "", "http://bar.github.io/", "s=2", "s=2@bar.github.io/ s=1@foo.github.io/"},
		{"an IP address matches only itself",
			"https://10.0.0.1/", "", "http://10.0.0.1/", "s=evil", "s=1@10.0.0.1/"},
		{"another IP address is unrelated",
			"https://10.0.0.1/", "", "http://10.0.0.2/", "s=2", "s=1@10.0.0.1/ s=2@10.0.0.2/"},
	}
	for _, tc := range tests {
		jar, _ := newTestJar(nil)
		secureURL, secureLine := tc.secureURL, tc.secureLine
		if secureURL == "" {
			secureURL = "https://www.example.com/"
		}
		if secureLine == "" {
			secureLine = "s=1; Secure"
		}
		jar.SetCookieHeaders(mustParseURL(t, secureURL), []string{secureLine})
		if jar.live() != 1 {
			t.Fatalf("%s: %q from %s was not stored", tc.description, secureLine, secureURL)
		}
		jar.SetCookieHeaders(mustParseURL(t, tc.fromURL), []string{tc.line})
		var got []string
		for _, c := range jar.All() {
			got = append(got, c.Name+"="+c.Value+"@"+c.Domain+c.Path)
		}
		if g := strings.Join(got, " "); g != tc.want {
			t.Errorf("%s: after %q from %s the jar holds %q, want %q", tc.description, tc.line, tc.fromURL, g, tc.want)
		}
	}
}

func TestCanonicalHost(t *testing.T) {
	tests := []struct {
		in       string
		want     string // "" for refused
		ip, loop bool
	}{
		{"www.example.com", "www.example.com", false, false},
		{"WWW.Example.COM:443", "www.example.com", false, false},
		{"www.example.com.", "www.example.com", false, false},
		{"www.bücher.de", "www.xn--bcher-kva.de", false, false},
		{"LOCALHOST:8080", "localhost", false, true},
		{"api.localhost", "api.localhost", false, true},
		{"127.1.2.3:80", "127.1.2.3", true, true},
		{"10.0.0.1", "10.0.0.1", true, false},
		{"[::1]:80", "::1", true, true},
		{"[2001:DB8::0:1]", "2001:db8::1", true, false},
		{"2001:db8::1", "2001:db8::1", true, false},
		{"under_score.example", "under_score.example", false, false},
		{"", "", false, false},
		{".", "", false, false},
		{"..", "", false, false},
		{".net", "", false, false},
		{"a..b", "", false, false},
		{"a b.com", "", false, false},
		{"1.2.3.256", "", false, false},
		{"example.123", "", false, false},
		{"[::1", "", false, false},
		{"[1.2.3.4]", "", false, false},
		{"a\x00b", "", false, false},
	}
	for _, tc := range tests {
		h, ok := canonicalHost(tc.in)
		if tc.want == "" {
			if ok {
				t.Errorf("canonicalHost(%q) = %+v, want refused", tc.in, h)
			}
			continue
		}
		if want := (hostInfo{name: tc.want, ip: tc.ip, loopback: tc.loop}); !ok || h != want {
			t.Errorf("canonicalHost(%q) = %+v, %v, want %+v", tc.in, h, ok, want)
		}
	}
}

func TestJarKey(t *testing.T) {
	jar, _ := newTestJar(nil)
	tests := map[string]string{
		"foo.www.example.com": "example.com",
		"example.com":         "example.com",
		"com":                 "com",
		"www.bbc.co.uk":       "bbc.co.uk",
		"co.uk":               "co.uk",
		"user.github.io":      "user.github.io",
		"localhost":           "localhost",
		"a.b.localhost":       "b.localhost",
	}
	for host, want := range tests {
		if got := jar.jarKey(host, false); got != want {
			t.Errorf("jarKey(%q) = %q, want %q", host, got, want)
		}
	}
	if got := jar.jarKey("1.2.3.4", true); got != "1.2.3.4" {
		t.Errorf("jarKey(1.2.3.4) = %q", got)
	}
}

func TestDefaultPath(t *testing.T) {
	tests := map[string]string{
		"/": "/", "/abc": "/", "/abc/": "/abc", "/abc/xyz": "/abc", "/a/b/c.html": "/a/b",
		"": "/", "strange": "/", "//": "/", "/a//b": "/a/",
	}
	for path, want := range tests {
		if got := defaultPath(path); got != want {
			t.Errorf("defaultPath(%q) = %q, want %q", path, got, want)
		}
	}
}

// TestCandidatesAcrossGroups covers cookies for one host found in more
// than one group, which a public suffix list that changes between runs
// can bring about: they are merged in retrieval order.
func TestCandidatesAcrossGroups(t *testing.T) {
	jar, _ := newTestJar(nil)
	mk := func(name, domain, path string, seq uint64) *entry {
		e := &entry{name: name, value: "v", domain: domain, path: path, created: tNow.UnixNano(), seq: seq}
		e.lastAccess.Store(tNow.UnixNano())
		return e
	}
	jar.add("example.com", mk("a", "example.com", "/", 1))
	jar.add("example.com", mk("b", "example.com", "/x", 4))
	jar.add("www.example.com", mk("c", "www.example.com", "/", 2))
	jar.add("www.example.com", mk("d", "example.com", "/", 3))
	u := mustParseURL(t, "http://www.example.com/x")
	if got, want := cookieHeader(jar, u), "b=v; a=v; c=v; d=v"; got != want {
		t.Errorf("cookieHeader(%q) = %q, want %q", u, got, want)
	}
	if got := len(jar.Cookies(u)); got != 4 {
		t.Errorf("len(Cookies(%q)) = %d, want 4", u, got)
	}
}

func TestOtherSchemes(t *testing.T) {
	jar, _ := newTestJar(nil)
	jar.SetCookieHeaders(mustParseURL(t, "wss://www.example.com/"), []string{"a=1; Secure"})
	tests := map[string]string{
		"https://www.example.com/": "a=1",
		"wss://www.example.com/":   "a=1",
		"ws://www.example.com/":    "",
		"HTTPS://www.example.com/": "a=1",
		"file:///etc/passwd":       "",
		"mailto:a@www.example.com": "",
	}
	for raw, want := range tests {
		if got := cookieHeader(jar, mustParseURL(t, raw)); got != want {
			t.Errorf("cookieHeader(%q) = %q, want %q", raw, got, want)
		}
	}
	if got := jar.Cookies(nil); got != nil {
		t.Errorf("Cookies(nil) = %v, want nil", got)
	}
	jar.SetCookies(nil, []*http.Cookie{{Name: "a"}})
	jar.SetCookieHeaders(nil, []string{"a=1"})
}

// countingList is the public suffix list, counting the domains it is asked
// about.
type countingList struct {
	mu    sync.Mutex
	asked map[string]int
}

func (l *countingList) PublicSuffix(d string) string {
	l.mu.Lock()
	l.asked[d]++
	l.mu.Unlock()
	return publicsuffix.List.PublicSuffix(d)
}

func (l *countingList) String() string { return "counting " + publicsuffix.List.String() }

// TestPublicSuffixAskedOncePerHost: the jar remembers the registrable
// domain of a host that sent cookies, and a Domain attribute naming it
// needs no lookup; any other Domain still goes to the list, so a public
// suffix is still refused.
func TestPublicSuffixAskedOncePerHost(t *testing.T) {
	list := &countingList{asked: map[string]int{}}
	jar, _ := newTestJar(&JarOptions{PublicSuffixList: list})
	for range 3 {
		jar.SetCookieHeaders(mustParseURL(t, "https://www.example.com/"), []string{"a=1", "b=2; Domain=example.com"})
		jar.SetCookies(mustParseURL(t, "https://www.example.com/"), []*http.Cookie{{Name: "c", Value: "3", Domain: ".EXAMPLE.com"}})
		jar.SetCookieHeaders(mustParseURL(t, "https://user.github.io/"), []string{"d=4; Domain=user.github.io", "e=5; Domain=github.io"})
	}
	if want := map[string]int{"www.example.com": 1, "user.github.io": 1, "github.io": 3}; !maps.Equal(list.asked, want) {
		t.Errorf("public suffix list asked %v, want %v", list.asked, want)
	}
	for _, tc := range []struct{ url, want string }{
		{"https://www.example.com/", "a=1; b=2; c=3"},
		{"https://shop.example.com/", "b=2; c=3"},
		{"https://sub.user.github.io/", "d=4"},
		{"https://other.github.io/", ""},
	} {
		if got := cookieHeader(jar, mustParseURL(t, tc.url)); got != tc.want {
			t.Errorf("Cookie for %s = %q, want %q", tc.url, got, tc.want)
		}
	}
}

// TestHostCacheBounded: the cache of hosts never holds more than its bound,
// and a jar whose cache was emptied keeps storing cookies under the right
// registrable domain.
func TestHostCacheBounded(t *testing.T) {
	jar, _ := newTestJar(&JarOptions{MaxCookies: 10})
	for i := range 3 * minHostCache {
		jar.SetCookieHeaders(mustParseURL(t, fmt.Sprintf("https://h%d.example.co.uk/", i)), []string{"a=1; Domain=example.co.uk"})
		if n := len(jar.hosts); n > minHostCache {
			t.Fatalf("after %d hosts: %d cached, want at most %d", i+1, n, minHostCache)
		}
	}
	if got := cookieHeader(jar, mustParseURL(t, "https://new.example.co.uk/")); got != "a=1" {
		t.Errorf("Cookie = %q, want a=1", got)
	}
	if keys := slices.Collect(maps.Keys(jar.groups)); !slices.Equal(keys, []string{"example.co.uk"}) {
		t.Errorf("groups %q, want [example.co.uk]", keys)
	}
}
