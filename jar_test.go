package httpsession

import (
	"bytes"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"
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
	return newJar(o, clock.Now), clock
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
		if got, want := cookieHeader(jar, qu), strings.Join(h, "; "); got != want {
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
		[]string{`a b = c d `, `x="quoted value"`, `{json}=1`, `q = 2 ; Domain = example.com`},
		`a b=c d q=2 x="quoted value" {json}=1`,
		[]query{
			{"http://www.example.com/", `a b=c d x="quoted value" {json}=1 q=2`},
			{"http://other.example.com/", "q=2"},
		},
	},
	{
		"RFC 6265bis §5.6.3 and browsers: a quoted Domain matches no host, so the cookie is ignored",
		"http://www.example.com/",
		[]string{`q=2; Domain="example.com"`, `r=3; Domain="www.example.com"`},
		"",
		[]query{{"http://www.example.com/", ""}},
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
	if got, want := jar.live(), 1; got != want {
		t.Errorf("live() = %d, want %d", got, want)
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
		if got, want := jar.live(), 2; got != want {
			t.Errorf("%s: live() = %d, want %d", when, got, want)
		}
		if got, want := cookieHeader(jar, www), "b=2; s=3"; got != want {
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
		// Created in one response, a nanosecond apart.
		at := tNow.Add(time.Duration(i))
		want[i].Created, want[i].LastAccess, want[i].Updated = at, at, at
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
	if got := jar.live(); got != 0 {
		t.Errorf("after Clear: live() = %d, want 0", got)
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
		c.String(), buf.String(),
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

// checkJar verifies the jar's internal invariants: every group non-empty,
// in retrieval order, with one name hash per entry, its next expiry a lower
// bound, count the number of entries, and deep holding exactly the keys
// with two dots or more.
func checkJar(t testing.TB, j *Jar) {
	t.Helper()
	j.mu.RLock()
	defer j.mu.RUnlock()
	count := 0
	for key, g := range j.groups {
		if len(g.entries) == 0 {
			t.Fatalf("group %q is empty", key)
		}
		if len(g.names) != len(g.entries) {
			t.Fatalf("group %q: %d name hashes for %d entries", key, len(g.names), len(g.entries))
		}
		for i, e := range g.entries {
			if g.names[i] != nameHash(e.name) {
				t.Fatalf("group %q: name hash %d is not that of %q", key, i, e.name)
			}
			if i > 0 && e.before(g.entries[i-1]) {
				t.Fatalf("group %q: entry %d (%s) out of order", key, i, e.name)
			}
			if e.expires != 0 && g.next != 0 && e.expires < g.next {
				t.Fatalf("group %q: next %d after the expiry %d of %s", key, g.next, e.expires, e.name)
			}
		}
		count += len(g.entries)
		if _, deep := j.deep[key]; deep != (strings.Count(key, ".") >= 2) {
			t.Fatalf("deep[%q] = %v", key, deep)
		}
	}
	if count != j.count {
		t.Fatalf("count = %d, groups hold %d", j.count, count)
	}
	if len(j.deep) > len(j.groups) {
		t.Fatalf("deep holds %d keys for %d groups", len(j.deep), len(j.groups))
	}
}
