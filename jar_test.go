package httpsession

import (
	"bytes"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// tNow is the synthetic current time used as now during testing.
var tNow = time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)

func newTestClock() *testClock { return &testClock{t: tNow} }

// newTestJar returns a jar with the real public suffix list and a clock
// standing at tNow.
func newTestJar(o *JarOptions) (*Jar, *testClock) {
	clock := newTestClock()
	if o == nil {
		o = &JarOptions{}
	}
	o.Now = clock.Now
	return NewJar(o), clock
}

func mustParseURL(t testing.TB, s string) *url.URL {
	t.Helper()
	u, err := url.Parse(s)
	if err != nil {
		t.Fatalf("url.Parse(%q): %v", s, err)
	}
	return u
}

// jarTest is a scenario: Set-Cookie lines received from fromURL, the
// resulting content of the jar, and what is sent to a few URLs.
type jarTest struct {
	description string   // what the scenario shows, with its RFC section
	fromURL     string   // the URL the Set-Cookie lines come from
	setCookies  []string // the raw Set-Cookie header values
	content     string   // the jar's live cookies as "name=value", sorted
	queries     []query  // what Cookies returns for some URLs
}

// query is one Cookies call in a jarTest.
type query struct {
	toURL string // the URL of the request
	want  string // the cookies sent, "name=value" in order
}

// run runs the scenario on jar at now.
func (test jarTest) run(t *testing.T, jar *Jar) {
	t.Helper()
	u := mustParseURL(t, test.fromURL)
	jar.SetCookieHeaders(u, test.setCookies)

	var cs []string
	for _, c := range jar.All() {
		cs = append(cs, c.Name+"="+c.Value)
	}
	slices.Sort(cs)
	if got := strings.Join(cs, " "); got != test.content {
		t.Errorf("%s: content = %q, want %q", test.description, got, test.content)
	}
	for _, q := range test.queries {
		qu := mustParseURL(t, q.toURL)
		var s, h []string
		for _, c := range jar.Cookies(qu) {
			v := c.Value
			if c.Quoted {
				v = `"` + v + `"`
			}
			s = append(s, c.Name+"="+v)
			if c.Name == "" {
				h = append(h, v) // RFC 6265bis §5.8.3
			} else {
				h = append(h, c.Name+"="+v)
			}
		}
		if got := strings.Join(s, " "); got != q.want {
			t.Errorf("%s: Cookies(%q) = %q, want %q", test.description, q.toURL, got, q.want)
		}
		// The transport's header carries the same cookies.
		if got, want := jar.cookieHeader(qu), strings.Join(h, "; "); got != want {
			t.Errorf("%s: cookieHeader(%q) = %q, want %q", test.description, q.toURL, got, want)
		}
	}
}

// runTests runs each scenario on a fresh jar.
func runTests(t *testing.T, tests []jarTest) {
	t.Helper()
	for _, test := range tests {
		jar, _ := newTestJar(nil)
		test.run(t, jar)
	}
}

var basicsTests = []jarTest{
	{
		"RFC 6265 §5.3 step 6: no Domain attribute makes a host-only cookie",
		"http://www.example.com/",
		[]string{"a=1"},
		"a=1",
		[]query{
			{"http://www.example.com", "a=1"},
			{"http://www.example.com/x/y", "a=1"},
			{"http://sub.www.example.com", ""},
			{"http://example.com", ""},
			{"http://www.example.org", ""},
		},
	},
	{
		"RFC 6265 §5.3 step 6: a Domain attribute makes a domain cookie",
		"http://www.example.com/",
		[]string{"a=1; Domain=example.com"},
		"a=1",
		[]query{
			{"http://example.com", "a=1"},
			{"http://www.example.com", "a=1"},
			{"http://a.b.example.com", "a=1"},
			{"http://notexample.com", ""},
		},
	},
	{
		"RFC 6265 §5.2.3: a leading dot of the Domain attribute is ignored",
		"http://www.example.com/",
		[]string{"a=1; Domain=.example.com"},
		"a=1",
		[]query{{"http://other.example.com", "a=1"}},
	},
	{
		"RFC 6265 §5.2.3: the Domain attribute is case-insensitive",
		"http://www.example.com/",
		[]string{"a=1; domain=EXAMPLE.com"},
		"a=1",
		[]query{{"http://other.example.com", "a=1"}},
	},
	{
		"RFC 6265 §5.3 step 6: a Domain the host does not domain-match is refused",
		"http://www.example.com/",
		[]string{"a=1; Domain=other.com", "b=2; Domain=ww.example.com", "c=3; Domain=sub.www.example.com"},
		"",
		nil,
	},
	{
		"RFC 6265 §5.3 step 5: a public suffix Domain is refused",
		"http://www.example.co.uk/",
		[]string{"a=1; Domain=co.uk", "b=2; Domain=.uk", "c=3; Domain=example.co.uk"},
		"c=3",
		[]query{{"http://other.example.co.uk", "c=3"}, {"http://other.co.uk", ""}},
	},
	{
		"RFC 6265 §5.3 step 5: a public suffix Domain equal to the host makes a host-only cookie",
		"https://github.io/",
		[]string{"a=1; Domain=github.io"},
		"a=1",
		[]query{{"https://github.io/", "a=1"}, {"https://user.github.io/", ""}},
	},
	{
		"RFC 6265 §5.3 step 5: a subdomain may not set a cookie for its public suffix",
		"https://user.github.io/",
		[]string{"a=1; Domain=github.io", "b=2; Domain=user.github.io"},
		"b=2",
		[]query{{"https://user.github.io/", "b=2"}, {"https://evil.github.io/", ""}},
	},
	{
		"RFC 6265 §5.1.4: the default-path is the directory of the request path",
		"http://www.example.com/a/b/c",
		[]string{"a=1"},
		"a=1",
		[]query{
			{"http://www.example.com/a/b", "a=1"},
			{"http://www.example.com/a/b/", "a=1"},
			{"http://www.example.com/a/b/c/d", "a=1"},
			{"http://www.example.com/a/bc", ""},
			{"http://www.example.com/a", ""},
			{"http://www.example.com/", ""},
		},
	},
	{
		"RFC 6265 §5.2.4: a Path not starting with / means the default-path",
		"http://www.example.com/a/b",
		[]string{"a=1; Path=x/y", "b=2; Path="},
		"a=1 b=2",
		[]query{{"http://www.example.com/a", "a=1 b=2"}, {"http://www.example.com/x/y", ""}},
	},
	{
		"RFC 6265 §5.1.4: path-match on / boundaries",
		"http://www.example.com/",
		[]string{"a=1; Path=/docs", "b=2; Path=/docs/"},
		"a=1 b=2",
		[]query{
			{"http://www.example.com/docs", "a=1"},
			{"http://www.example.com/docs/", "b=2 a=1"},
			{"http://www.example.com/docs/web", "b=2 a=1"},
			{"http://www.example.com/docsx", ""},
			{"http://www.example.com/Docs", ""},
		},
	},
	{
		"RFC 6265 §5.4 step 2: longer paths first, then earlier creation",
		"http://www.example.com/",
		[]string{"z=1; Path=/", "y=2; Path=/a/b", "x=3; Path=/a", "w=4; Path=/"},
		"w=4 x=3 y=2 z=1",
		[]query{{"http://www.example.com/a/b/c", "y=2 x=3 z=1 w=4"}},
	},
	{
		"RFC 6265 §5.4 step 1: Secure cookies only over https",
		"https://www.example.com/",
		[]string{"a=1; Secure", "b=2"},
		"a=1 b=2",
		[]query{{"https://www.example.com/", "a=1 b=2"}, {"http://www.example.com/", "b=2"}},
	},
	{
		"RFC 6265bis §5.7: a Secure cookie from a non-secure origin is refused",
		"http://www.example.com/",
		[]string{"a=1; Secure", "b=2"},
		"b=2",
		nil,
	},
	{
		"RFC 6265bis §5.7: http to localhost is a secure origin",
		"http://localhost:8080/",
		[]string{"a=1; Secure"},
		"a=1",
		[]query{{"http://localhost/", "a=1"}, {"https://localhost/", "a=1"}},
	},
	{
		"RFC 6265bis §5.7: http to *.localhost is a secure origin",
		"http://app.localhost/",
		[]string{"a=1; Secure"},
		"a=1",
		[]query{{"http://app.localhost/", "a=1"}},
	},
	{
		"RFC 6265bis §5.7: http to 127.0.0.0/8 is a secure origin",
		"http://127.0.0.2:9000/",
		[]string{"a=1; Secure"},
		"a=1",
		[]query{{"http://127.0.0.2/", "a=1"}, {"http://127.0.0.1/", ""}},
	},
	{
		"RFC 6265bis §5.7: http to ::1 is a secure origin",
		"http://[::1]:9000/",
		[]string{"a=1; Secure"},
		"a=1",
		[]query{{"http://[::1]/", "a=1"}, {"http://[0:0::1]/", "a=1"}},
	},
	{
		"RFC 6265 §5.2.6: HttpOnly cookies are sent to HTTP requests",
		"http://www.example.com/",
		[]string{"a=1; HttpOnly"},
		"a=1",
		[]query{{"http://www.example.com/", "a=1"}},
	},
	{
		"RFC 6265bis §4.1.3.1: __Secure- needs the Secure attribute, in any case",
		"https://www.example.com/",
		[]string{"__Secure-a=1", "__secure-b=2", "__SECURE-c=3; Secure", "__Secure-d=4; Secure; Domain=example.com"},
		"__SECURE-c=3 __Secure-d=4",
		nil,
	},
	{
		"RFC 6265bis §4.1.3.2: __Host- needs Secure, Path=/ and no Domain",
		"https://www.example.com/a/",
		[]string{
			"__Host-a=1; Secure; Path=/",
			"__Host-b=2; Secure",
			"__Host-c=3; Path=/",
			"__Host-d=4; Secure; Path=/; Domain=example.com",
			"__HOST-e=5; Secure; Path=/a",
			"__host-f=6; secure; path=/",
		},
		"__Host-a=1 __host-f=6",
		[]query{{"https://www.example.com/", "__Host-a=1 __host-f=6"}},
	},
	{
		"RFC 6265bis §5.7: a nameless cookie may not look prefixed",
		"https://www.example.com/",
		[]string{"=__Secure-x; Secure", "__Host-y", "=z"},
		"=z",
		[]query{{"https://www.example.com/", "=z"}},
	},
	{
		"RFC 6265bis §5.6 step 3: a line without = is a nameless cookie",
		"http://www.example.com/",
		[]string{"justvalue", "a=1"},
		"=justvalue a=1",
		[]query{{"http://www.example.com/", "=justvalue a=1"}},
	},
	{
		"RFC 6265bis §5.6 steps 1 and 5: control characters and empty pairs are ignored",
		"http://www.example.com/",
		[]string{"a=1\x00", "b=\x7f", "c=3\r\nd=4", "=", " ; Path=/", "e=\t5\t"},
		"e=5",
		nil,
	},
	{
		"RFC 6265bis §5.6: lenient parsing keeps what net/http drops",
		"http://www.example.com/",
		[]string{`a b = c d `, `x="quoted value"`, `{json}=1`, `q = 2 ; Domain = "example.com"`},
		`a b=c d q=2 x="quoted value" {json}=1`,
		[]query{
			{"http://www.example.com/", `a b=c d x="quoted value" {json}=1 q=2`},
			{"http://other.example.com/", "q=2"},
		},
	},
	{
		"RFC 6265 §5.3 step 11: the same name, domain, host-only flag and path replaces",
		"http://www.example.com/",
		[]string{"a=1", "a=2", "a=3; Path=/p", "a=4; Domain=www.example.com"},
		"a=2 a=3 a=4",
		[]query{
			{"http://www.example.com/p", "a=3 a=2 a=4"},
			{"http://sub.www.example.com/", "a=4"},
		},
	},
	{
		"RFC 6265bis §5.6 step 6: name and value together at most 4096 bytes",
		"http://www.example.com/",
		[]string{"a=" + strings.Repeat("x", 4094), "b=" + strings.Repeat("x", 4096), strings.Repeat("c", 4096) + "="},
		"a=" + strings.Repeat("x", 4094) + " " + strings.Repeat("c", 4096) + "=",
		nil,
	},
	{
		"RFC 6265bis §5.6: an attribute value over 1024 bytes is ignored",
		"http://www.example.com/a/b",
		[]string{"a=1; Path=/" + strings.Repeat("p", 1023), "b=2; Path=/" + strings.Repeat("p", 1024)},
		"a=1 b=2",
		[]query{{"http://www.example.com/a/x", "b=2"}, {"http://www.example.com/" + strings.Repeat("p", 1023), "a=1"}},
	},
	{
		"RFC 6265 §5.1.2: IDN hosts are stored in punycode",
		"http://www.Bücher.de/",
		[]string{"a=1; Domain=xn--bcher-kva.de", "b=2"},
		"a=1 b=2",
		[]query{
			{"http://www.xn--bcher-kva.de/", "a=1 b=2"},
			{"http://bücher.de/", "a=1"},
			{"http://www.bucher.de/", ""},
		},
	},
	{
		"RFC 6265bis §5.7: a non-ASCII Domain attribute is refused",
		"http://www.bücher.de/",
		[]string{"a=1; Domain=bücher.de"},
		"",
		nil,
	},
	{
		"RFC 6265 §5.1.3: IP hosts get host-only cookies; Domain must equal the address",
		"http://192.168.0.10/",
		[]string{"a=1", "b=2; Domain=192.168.0.10", "c=3; Domain=.192.168.0.10", "d=4; Domain=168.0.10", "e=5; Domain=0.10"},
		"a=1 b=2 c=3",
		[]query{{"http://192.168.0.10/", "a=1 b=2 c=3"}, {"http://1.192.168.0.10/", ""}, {"http://192.168.0.11/", ""}},
	},
	{
		"RFC 6265 §5.1.2: IPv6 hosts are canonical",
		"http://[2001:db8:0::1]:8080/",
		[]string{"a=1", "b=2; Domain=2001:db8::1"},
		"a=1 b=2",
		[]query{{"http://[2001:db8::1]/", "a=1 b=2"}},
	},
	{
		"RFC 6265 §5.1.2: the port and a trailing dot do not matter",
		"http://www.example.com.:8080/",
		[]string{"a=1"},
		"a=1",
		[]query{{"http://www.example.com/", "a=1"}, {"http://WWW.EXAMPLE.COM:9/", "a=1"}},
	},
	{
		"RFC 6265 §5.3: no cookies from or to other schemes",
		"ftp://www.example.com/",
		[]string{"a=1"},
		"",
		[]query{{"ftp://www.example.com/", ""}},
	},
	{
		"RFC 6265 §5.1.3: a trailing dot in Domain domain-matches nothing",
		"http://www.example.com/",
		[]string{"a=1; Domain=example.com.", "b=2; Domain=..example.com"},
		"",
		nil,
	},
	{
		"RFC 6265bis §5.8.3: a nameless cookie is sent as its value",
		"http://www.example.com/",
		[]string{"=v1", "a=1"},
		"=v1 a=1",
		[]query{{"http://www.example.com/", "=v1 a=1"}},
	},
}

func TestBasics(t *testing.T) {
	runTests(t, basicsTests)
}

var expiryTests = []jarTest{
	{
		"RFC 6265 §5.3 step 3: Max-Age wins over Expires",
		"http://www.example.com/",
		[]string{
			"a=1; Max-Age=3600; Expires=Thu, 01 Jan 1970 00:00:00 GMT",
			"b=2; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=3600",
		},
		"a=1 b=2",
		nil,
	},
	{
		"RFC 6265 §5.2.2: Max-Age of zero or less deletes",
		"http://www.example.com/",
		[]string{"a=1", "b=2", "c=3", "a=x; Max-Age=0", "b=x; Max-Age=-10", "c=x; Max-Age=abc"},
		"c=x",
		nil,
	},
	{
		"RFC 6265 §5.2.1: an Expires in the past deletes",
		"http://www.example.com/",
		[]string{"a=1", "b=2", "a=; Expires=Thu, 01 Jan 1970 00:00:00 GMT", "b=; Expires=Wed, 31-Dec-25 23:59:59 GMT"},
		"",
		nil,
	},
	{
		"RFC 6265 §5.2.1: an unparsable Expires is ignored",
		"http://www.example.com/",
		[]string{"a=1; Expires=yesterday", "b=2; Expires=Fri, 30 Feb 2026 00:00:00 GMT"},
		"a=1 b=2",
		nil,
	},
}

func TestExpiry(t *testing.T) {
	runTests(t, expiryTests)
}

func TestExpiresOverTime(t *testing.T) {
	jar, clock := newTestJar(nil)
	u := mustParseURL(t, "http://www.example.com/")
	jar.SetCookieHeaders(u, []string{
		"session=1",
		"hour=2; Max-Age=3600",
		"day=3; Expires=Fri, 02 Jan 2026 12:00:00 GMT",
		"forever=4; Max-Age=999999999999999999999",
		"far=5; Expires=Sat, 01 Jan 2150 00:00:00 GMT",
	})
	// RFC 6265bis §5.6.1 and §5.6.2: lifetimes are capped at 400 days.
	for _, c := range jar.All() {
		if c.Expires.After(tNow.Add(400 * 24 * time.Hour)) {
			t.Errorf("cookie %v expires after the 400-day cap", c)
		}
	}
	steps := []struct {
		advance time.Duration
		want    string
	}{
		{0, "session=1 hour=2 day=3 forever=4 far=5"},
		{time.Hour - time.Second, "session=1 hour=2 day=3 forever=4 far=5"},
		{time.Second, "session=1 day=3 forever=4 far=5"},
		{23 * time.Hour, "session=1 forever=4 far=5"},
		{398 * 24 * time.Hour, "session=1 forever=4 far=5"},
		{24 * time.Hour, "session=1"},
	}
	for _, s := range steps {
		clock.Advance(s.advance)
		var got []string
		for _, c := range jar.Cookies(u) {
			got = append(got, c.Name+"="+c.Value)
		}
		if g := strings.Join(got, " "); g != s.want {
			t.Errorf("at %v: Cookies = %q, want %q", clock.Now().Sub(tNow), g, s.want)
		}
	}
	if got, want := jar.Len(), 1; got != want {
		t.Errorf("Len() = %d, want %d", got, want)
	}
}

// TestExpiredCookiesHidden checks that expired cookies, until a write
// sweeps them away, are neither sent nor listed nor counted, and that
// lookups do not reclaim or add anything.
func TestExpiredCookiesHidden(t *testing.T) {
	jar, clock := newTestJar(nil)
	www := mustParseURL(t, "https://www.example.com/")
	other := mustParseURL(t, "https://other.example.org/")
	jar.SetCookieHeaders(www, []string{"a=1; Max-Age=60", "b=2; Max-Age=120", "s=3"})
	jar.SetCookieHeaders(other, []string{"c=4; Max-Age=60"})
	clock.Advance(90 * time.Second)

	check := func(when string, stored int) {
		t.Helper()
		if got, want := names(jar.All()), "b s"; got != want {
			t.Errorf("%s: All() = %q, want %q", when, got, want)
		}
		if got, want := jar.Len(), 2; got != want {
			t.Errorf("%s: Len() = %d, want %d", when, got, want)
		}
		if got, want := jar.cookieHeader(www), "b=2; s=3"; got != want {
			t.Errorf("%s: cookieHeader(%q) = %q, want %q", when, www, got, want)
		}
		if got := jar.Cookies(other); got != nil {
			t.Errorf("%s: Cookies(%q) = %v, want none", when, other, got)
		}
		if cs, _ := jar.snapshot(); len(cs) != 2 {
			t.Errorf("%s: snapshot() has %d cookies, want 2", when, len(cs))
		}
		jar.mu.RLock()
		defer jar.mu.RUnlock()
		if jar.count != stored {
			t.Errorf("%s: %d cookies stored, want %d", when, jar.count, stored)
		}
	}
	check("after expiry", 4)
	for range 100 {
		jar.Cookies(www)
		jar.Cookies(other)
		jar.All()
	}
	check("after lookups", 4)
	// A write sweeps its own registrable domain only.
	jar.SetCookieHeaders(www, []string{"b=2; Max-Age=30"})
	check("after a write to www.example.com", 3)
	// A rejected line is still a write to the domain.
	jar.SetCookieHeaders(other, []string{"c=; Max-Age=0"})
	check("after a deletion on other.example.org", 2)
}

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
	if n := jar.Len(); n > limit {
		t.Errorf("Len() = %d, want at most %d", n, limit)
	}
}

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
		if jar.Len() != 1 {
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

// TestSameSiteNoneRequiresSecure follows RFC 6265bis §5.7 and Chromium:
// a cookie with SameSite=None but without Secure is ignored, whatever
// the origin.
func TestSameSiteNoneRequiresSecure(t *testing.T) {
	tests := []struct {
		description string
		fromURL     string
		line        string
		want        string // all cookies afterwards, "name=value"
	}{
		{"SameSite=None with Secure is kept", "https://www.example.com/", "a=2; SameSite=None; Secure", "a=2 old=1"},
		{"SameSite=None without Secure is ignored", "https://www.example.com/", "a=2; SameSite=None", "old=1"},
		{"the value is case-insensitive", "https://www.example.com/", "a=2; samesite=NONE", "old=1"},
		{"the last SameSite attribute counts", "https://www.example.com/", "a=2; SameSite=None; SameSite=Lax", "a=2 old=1"},
		{"from http, too", "http://www.example.com/", "a=2; SameSite=None", "old=1"},
		{"from localhost, too, unlike Firefox", "http://localhost/", "a=2; SameSite=None", "old=1"},
		{"an unknown SameSite value is not None", "http://www.example.com/", "a=2; SameSite=nonsense", "a=2 old=1"},
		{"nor does it delete a cookie", "https://www.example.com/", "old=; Max-Age=0; SameSite=None", "old=1"},
		{"nor replace one", "https://www.example.com/", "old=2; SameSite=None", "old=1"},
	}
	for _, tc := range tests {
		jar, _ := newTestJar(nil)
		jar.SetCookieHeaders(mustParseURL(t, "https://www.example.com/"), []string{"old=1"})
		jar.SetCookieHeaders(mustParseURL(t, tc.fromURL), []string{tc.line})
		if got := nameValues(jar.All()); got != tc.want {
			t.Errorf("%s: after %q from %s the jar holds %q, want %q", tc.description, tc.line, tc.fromURL, got, tc.want)
		}
	}

	// net/http's parser and SetCookies take the same path.
	jar, _ := newTestJar(nil)
	u := mustParseURL(t, "https://www.example.com/")
	jar.SetCookies(u, []*http.Cookie{
		{Name: "a", Value: "1", SameSite: http.SameSiteNoneMode},
		{Name: "b", Value: "2", SameSite: http.SameSiteNoneMode, Secure: true},
	})
	if got, want := nameValues(jar.All()), "b=2"; got != want {
		t.Errorf("SetCookies: the jar holds %q, want %q", got, want)
	}
}

func TestAllAttributes(t *testing.T) {
	jar, _ := newTestJar(nil)
	jar.SetCookieHeaders(mustParseURL(t, "https://www.example.com/a/b"), []string{
		"a=1; Domain=example.com; Path=/; Secure; HttpOnly; SameSite=Strict; Partitioned; Max-Age=60",
		"b=2; SameSite=lax",
		"c=3; SameSite=None; Secure",
		"d=4; SameSite=bogus",
	})
	exp := tNow.Add(time.Minute)
	want := []Cookie{
		{Name: "a", Value: "1", Domain: "example.com", Path: "/", Secure: true, HttpOnly: true,
			SameSite: http.SameSiteStrictMode, Partitioned: true, Expires: exp},
		{Name: "b", Value: "2", Domain: "www.example.com", Path: "/a", HostOnly: true, SameSite: http.SameSiteLaxMode},
		{Name: "c", Value: "3", Domain: "www.example.com", Path: "/a", HostOnly: true, Secure: true, SameSite: http.SameSiteNoneMode},
		{Name: "d", Value: "4", Domain: "www.example.com", Path: "/a", HostOnly: true, SameSite: http.SameSiteDefaultMode},
	}
	for i := range want {
		want[i].Created, want[i].LastAccess, want[i].Updated = tNow, tNow, tNow
	}
	if diff := cmp.Diff(want, jar.All()); diff != "" {
		t.Errorf("All() mismatch (-want +got):\n%s", diff)
	}
}

// TestCreationTimeKept checks RFC 6265 §5.3 step 11.3: a replaced cookie
// keeps its creation-time, and so its place in the retrieval order.
func TestCreationTimeKept(t *testing.T) {
	jar, clock := newTestJar(nil)
	u := mustParseURL(t, "http://www.example.com/")
	jar.SetCookieHeaders(u, []string{"a=1"})
	clock.Advance(time.Hour)
	jar.SetCookieHeaders(u, []string{"b=2"})
	clock.Advance(time.Hour)
	jar.SetCookieHeaders(u, []string{"a=3"})

	var got []string
	for _, c := range jar.Cookies(u) {
		got = append(got, c.Name+"="+c.Value)
	}
	if g, w := strings.Join(got, " "), "a=3 b=2"; g != w {
		t.Errorf("Cookies(%q) = %q, want %q", u, g, w)
	}
	all := jar.All()
	if !all[0].Created.Equal(tNow) || !all[0].Updated.Equal(tNow.Add(2*time.Hour)) {
		t.Errorf("replaced cookie: Created %v, Updated %v; want %v, %v", all[0].Created, all[0].Updated, tNow, tNow.Add(2*time.Hour))
	}
}

// TestSetCookies covers the http.CookieJar path: cookies net/http parsed.
func TestSetCookies(t *testing.T) {
	u := mustParseURL(t, "https://www.example.com/dir/page")
	tests := []struct {
		description string
		cookies     []*http.Cookie
		want        string // "name=value path expires-offset"
	}{
		{"MaxAge 0 and zero Expires is a session cookie",
			[]*http.Cookie{{Name: "a", Value: "1"}}, "a=1 /dir session"},
		{"MaxAge > 0 sets the expiry (RFC 6265 §5.2.2)",
			[]*http.Cookie{{Name: "a", Value: "1", MaxAge: 60}}, "a=1 /dir 1m0s"},
		{"MaxAge < 0 deletes (net/http's Max-Age=0)",
			[]*http.Cookie{{Name: "a", Value: "1"}, {Name: "a", MaxAge: -1}}, ""},
		{"Expires is used without MaxAge",
			[]*http.Cookie{{Name: "a", Value: "1", Expires: tNow.Add(time.Hour)}}, "a=1 /dir 1h0m0s"},
		{"MaxAge wins over Expires",
			[]*http.Cookie{{Name: "a", Value: "1", MaxAge: 60, Expires: tNow.Add(-time.Hour)}}, "a=1 /dir 1m0s"},
		{"RawExpires that net/http could not parse is parsed leniently",
			[]*http.Cookie{{Name: "a", Value: "1", RawExpires: "Thu Jan  1 13:00:00 2026"}}, "a=1 /dir 1h0m0s"},
		{"Path and Domain are used",
			[]*http.Cookie{{Name: "a", Value: "1", Path: "/", Domain: ".example.com"}}, "a=1 / session"},
		{"Quoted values keep their quotes",
			[]*http.Cookie{{Name: "a", Value: "x y", Quoted: true}}, `a="x y" /dir session`},
		{"names with = or ; and values with ; or control characters are refused",
			[]*http.Cookie{{Name: "a=b", Value: "1"}, {Name: "c", Value: "1;2"}, {Name: "d", Value: "\n"}, nil}, ""},
	}
	for _, tc := range tests {
		jar, _ := newTestJar(nil)
		jar.SetCookies(u, tc.cookies)
		var got []string
		for _, c := range jar.All() {
			exp := "session"
			if !c.Expires.IsZero() {
				exp = c.Expires.Sub(tNow).String()
			}
			got = append(got, c.Name+"="+c.Value+" "+c.Path+" "+exp)
		}
		if g := strings.Join(got, ","); g != tc.want {
			t.Errorf("%s: jar holds %q, want %q", tc.description, g, tc.want)
		}
	}
}

func TestCookiesQuoted(t *testing.T) {
	jar, _ := newTestJar(nil)
	u := mustParseURL(t, "http://www.example.com/")
	jar.SetCookieHeaders(u, []string{`a="v w"`})
	got := jar.Cookies(u)
	want := []*http.Cookie{{Name: "a", Value: "v w", Quoted: true}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Cookies(%q) mismatch (-want +got):\n%s", u, diff)
	}
	req := &http.Request{Header: http.Header{}}
	for _, c := range got {
		req.AddCookie(c)
	}
	if g, w := req.Header.Get("Cookie"), `a="v w"`; g != w {
		t.Errorf("Cookie header = %q, want %q", g, w)
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
	if got, want := jar.Len(), 3; got != want {
		t.Errorf("Len() = %d, want %d", got, want)
	}
	// Other registrable domains have limits of their own.
	jar.SetCookieHeaders(mustParseURL(t, "http://example.org/"), []string{"g=7", "h=8"})
	if got, want := jar.Len(), 5; got != want {
		t.Errorf("Len() = %d, want %d", got, want)
	}
}

// nameValues returns the cookies as "name=value", sorted.
func nameValues(cs []Cookie) string {
	var s []string
	for _, c := range cs {
		s = append(s, c.Name+"="+c.Value)
	}
	slices.Sort(s)
	return strings.Join(s, " ")
}

func names(cs []Cookie) string {
	var s []string
	for _, c := range cs {
		s = append(s, c.Name)
	}
	slices.Sort(s)
	return strings.Join(s, " ")
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
	if got, want := jar.Len(), 20; got != want {
		t.Fatalf("Len() = %d, want %d", got, want)
	}
	jar.SetCookieHeaders(mustParseURL(t, "http://new.example/"), []string{"a=1"})
	// Passing the limit evicts down to a tenth below it.
	if got, want := jar.Len(), 18; got != want {
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
// bound or take unbounded time.
func TestFlood(t *testing.T) {
	jar, _ := newTestJar(nil)
	u := mustParseURL(t, "http://www.example.com/")
	lines := make([]string, 1_000_000)
	for i := range lines {
		lines[i] = "c" + strings.Repeat("x", i%7) + fmt.Sprint(i) + "=v"
	}
	jar.SetCookieHeaders(u, lines)
	if got, want := jar.Len(), defaultMaxCookiesPerDomain; got != want {
		t.Errorf("after a flood: Len() = %d, want %d", got, want)
	}
	cs := make([]*http.Cookie, 1_000_000)
	for i := range cs {
		cs[i] = &http.Cookie{Name: fmt.Sprint("h", i), Value: "v"}
	}
	jar.SetCookies(mustParseURL(t, "http://other.example.org/"), cs)
	if got, want := jar.Len(), 2*defaultMaxCookiesPerDomain; got != want {
		t.Errorf("after a second flood: Len() = %d, want %d", got, want)
	}
}

func TestRemoveAndClear(t *testing.T) {
	jar, _ := newTestJar(nil)
	jar.SetCookieHeaders(mustParseURL(t, "https://www.example.com/a/"), []string{
		"a=1", "a=2; Domain=www.example.com", "b=3; Domain=example.com; Path=/",
	})
	tests := []struct {
		domain, path, name string
		want               bool
		left               string
	}{
		{"www.example.com", "/", "a", false, "a a b"},
		{"www.example.com", "/a", "a", true, "b"},
		{"www.example.com", "/a", "a", false, "b"},
		{".EXAMPLE.com", "/", "b", true, ""},
	}
	for _, tc := range tests {
		if got := jar.Remove(tc.domain, tc.path, tc.name); got != tc.want {
			t.Errorf("Remove(%q, %q, %q) = %v, want %v", tc.domain, tc.path, tc.name, got, tc.want)
		}
		if got := names(jar.All()); got != tc.left {
			t.Errorf("after Remove(%q, %q, %q): jar holds %q, want %q", tc.domain, tc.path, tc.name, got, tc.left)
		}
	}
	jar.SetCookieHeaders(mustParseURL(t, "https://x.example/"), []string{"a=1", "b=2"})
	jar.Clear()
	if got := jar.Len(); got != 0 {
		t.Errorf("after Clear: Len() = %d, want 0", got)
	}
	if got := jar.Cookies(mustParseURL(t, "https://x.example/")); got != nil {
		t.Errorf("after Clear: Cookies = %v, want none", got)
	}
}

func TestCookieStringRedacted(t *testing.T) {
	c := Cookie{Name: "sid", Value: "s3cr3t-value", Domain: "example.com", Path: "/", Secure: true,
		SameSite: http.SameSiteLaxMode, Expires: tNow}
	var buf bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&buf, nil))
	logger.Info("cookie", "c", c, "p", &c)
	outs := []string{
		c.String(), c.GoString(), buf.String(),
		fmt.Sprintf("%v %+v %#v %s %q %x %d", c, c, c, c, c, c, c),
		fmt.Sprintf("%v %+v %#v %s", &c, &c, &c, &c),
		fmt.Sprint([]Cookie{c}), fmt.Sprintf("%+v", struct{ C Cookie }{c}),
	}
	for _, s := range outs {
		if strings.Contains(s, c.Value) || strings.Contains(s, "73336372337") {
			t.Errorf("output %q reveals the value", s)
		}
		if !strings.Contains(s, "sid") {
			t.Errorf("output %q does not name the cookie", s)
		}
	}
	if got, want := c.String(), "sid=[REDACTED]; Domain=example.com; Path=/; Secure; SameSite=Lax; Expires=2026-01-01T12:00:00Z"; got != want {
		t.Errorf("String() = %q, want %q", got, want)
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
	if a := testing.AllocsPerRun(20, func() { jar.cookieHeader(u) }); a > 1 {
		t.Errorf("cookieHeader allocates %v times, want at most 1", a)
	}
}

// TestConcurrent mixes every operation from many goroutines; run it with
// -race.
func TestConcurrent(t *testing.T) {
	jar, clock := newTestJar(&JarOptions{MaxCookiesPerDomain: 20, MaxCookies: 100})
	var wg sync.WaitGroup
	for g := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 200 {
				host := fmt.Sprintf("https://h%d.site%d.example/p", i%5, g%3)
				u, _ := url.Parse(host)
				switch i % 7 {
				case 0:
					jar.SetCookies(u, []*http.Cookie{{Name: fmt.Sprint("n", i%30), Value: "v", MaxAge: i % 3}})
				case 1:
					jar.SetCookieHeaders(u, []string{fmt.Sprintf("m%d=v; Domain=site%d.example", i%10, g%3)})
				case 2:
					jar.Remove(u.Hostname(), "/", fmt.Sprint("n", i%30))
				case 3:
					_ = jar.All()
					_ = jar.Len()
				case 4:
					_ = jar.cookieHeader(u)
				case 5:
					clock.Advance(time.Second)
					cs, ts := jar.snapshot()
					if i%2 == 0 {
						jar.merge(cs, ts)
					} else {
						jar.insert(Cookie{Name: fmt.Sprint("i", i%10), Value: "v", Domain: u.Hostname()})
					}
				default:
					for _, c := range jar.Cookies(u) {
						if c.Value != "v" {
							t.Errorf("Cookies returned value %q", c.Value)
						}
					}
				}
			}
			if g == 0 {
				jar.Clear()
			}
		}()
	}
	wg.Wait()
	if n := jar.Len(); n > 100 {
		t.Errorf("Len() = %d, want at most MaxCookies", n)
	}
}

// TestLookupsShareTheLock shows that lookups take the lock only for
// reading: they complete while another reader holds it, and still record
// the access.
func TestLookupsShareTheLock(t *testing.T) {
	jar, clock := newTestJar(nil)
	u := mustParseURL(t, "https://www.example.com/")
	jar.SetCookieHeaders(u, []string{"a=1"})
	clock.Advance(2 * time.Minute)

	jar.mu.RLock()
	done := make(chan string)
	go func() {
		var b strings.Builder
		for _, c := range jar.Cookies(u) {
			b.WriteString(c.Name + "=" + c.Value)
		}
		fmt.Fprintf(&b, " %s %d %d", jar.cookieHeader(u), len(jar.All()), jar.Len())
		done <- b.String()
	}()
	var got string
	select {
	case got = <-done:
	case <-time.After(time.Minute):
		t.Fatal("lookups did not complete while another reader held the lock")
	}
	jar.mu.RUnlock()
	if want := "a=1 a=1 1 1"; got != want {
		t.Errorf("lookups under a shared lock = %q, want %q", got, want)
	}
	if all := jar.All(); len(all) != 1 || !all[0].LastAccess.Equal(clock.Now()) {
		t.Errorf("All() = %v, want a=1 last accessed at %v", all, clock.Now())
	}
}

// TestConcurrentLookups runs 64 goroutines of Cookies and cookieHeader
// while others store responses; run it with -race. Each response sets a
// (Path=/) and b (Path=/x) to the same value, so every lookup must see
// both, equal, b first.
func TestConcurrentLookups(t *testing.T) {
	const (
		readers = 64
		writers = 4
		rounds  = 100
	)
	jar, clock := newTestJar(nil)
	u := mustParseURL(t, "https://www.example.com/x/y")
	response := func(v string) []*http.Cookie {
		return []*http.Cookie{
			{Name: "a", Value: v, Path: "/"},
			{Name: "b", Value: v, Path: "/x"},
		}
	}
	jar.SetCookies(u, response("0"))

	check := func(cs []*http.Cookie, header string) string {
		if len(cs) != 2 || cs[0] == nil || cs[1] == nil {
			return fmt.Sprintf("Cookies = %v, want b and a", cs)
		}
		b, a := cs[0], cs[1]
		if b.Name != "b" || a.Name != "a" || a.Value != b.Value || a.Value == "" {
			return fmt.Sprintf("Cookies = %s=%s %s=%s, want b and a with one value", b.Name, b.Value, a.Name, a.Value)
		}
		hb, ha, ok := strings.Cut(header, "; ")
		if !ok || !strings.HasPrefix(hb, "b=") || !strings.HasPrefix(ha, "a=") || hb[2:] != ha[2:] {
			return fmt.Sprintf("cookieHeader = %q, want b and a with one value", header)
		}
		return ""
	}

	start := make(chan struct{})
	var wg sync.WaitGroup
	errs := make(chan string, readers)
	for r := range readers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			for range rounds {
				if msg := check(jar.Cookies(u), jar.cookieHeader(u)); msg != "" {
					errs <- fmt.Sprintf("reader %d: %s", r, msg)
					return
				}
			}
		}()
	}
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			for i := range rounds {
				v := fmt.Sprintf("%d.%d", w, i)
				if i%2 == 0 {
					jar.SetCookies(u, response(v))
				} else {
					jar.SetCookieHeaders(u, []string{"a=" + v + "; Path=/", "b=" + v + "; Path=/x"})
				}
				if i%10 == 0 {
					clock.Advance(time.Minute) // lookups then refresh the last access
				}
			}
		}()
	}
	close(start)
	wg.Wait()
	close(errs)
	for msg := range errs {
		t.Error(msg)
	}
	if got := jar.Len(); got != 2 {
		t.Errorf("Len() = %d, want 2", got)
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
	if got, want := jar.cookieHeader(u), "b=v; a=v; c=v; d=v"; got != want {
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
		if got := jar.cookieHeader(mustParseURL(t, raw)); got != want {
			t.Errorf("cookieHeader(%q) = %q, want %q", raw, got, want)
		}
	}
	if got := jar.Cookies(nil); got != nil {
		t.Errorf("Cookies(nil) = %v, want nil", got)
	}
	jar.SetCookies(nil, []*http.Cookie{{Name: "a"}})
	jar.SetCookieHeaders(nil, []string{"a=1"})
}
