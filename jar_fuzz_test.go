package httpsession

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// FuzzParseSetCookie checks that any Set-Cookie line parses without a
// panic into something within the limits of RFC 6265bis §5.6.
// Seeds are in testdata/fuzz/FuzzParseSetCookie.
func FuzzParseSetCookie(f *testing.F) {
	f.Add("a=1; Path=/; Domain=example.com; Secure; HttpOnly; SameSite=Lax; Max-Age=60")
	f.Add("x; Expires=Sun, 06 Nov 1994 08:49:37 GMT")
	f.Fuzz(func(t *testing.T, line string) {
		rc, ok := parseSetCookie(line)
		if !ok {
			return
		}
		if rc.name == "" && rc.value == "" {
			t.Errorf("parseSetCookie(%q) accepted an empty cookie", line)
		}
		if n := len(rc.name) + len(rc.value); n > maxNameValueSize {
			t.Errorf("parseSetCookie(%q): name+value is %d bytes", line, n)
		}
		for _, s := range []string{rc.name, rc.value, rc.domain, rc.path} {
			if indexCTL(s) >= 0 || strings.Contains(s, ";") {
				t.Errorf("parseSetCookie(%q) = %q, has a control character or ;", line, s)
			}
		}
		if strings.Contains(rc.name, "=") {
			t.Errorf("parseSetCookie(%q): name %q has =", line, rc.name)
		}
		if len(rc.domain) > maxAttributeValueSize || len(rc.path) > maxAttributeValueSize {
			t.Errorf("parseSetCookie(%q): attribute over %d bytes", line, maxAttributeValueSize)
		}
		if rc.path != "" && rc.path[0] != '/' {
			t.Errorf("parseSetCookie(%q): path %q", line, rc.path)
		}
		if rc.maxAge < 0 || rc.maxAge > maxAgeLimit+1 {
			t.Errorf("parseSetCookie(%q): Max-Age %d", line, rc.maxAge)
		}
		if rc.hasExp && (rc.expires.Year() < 1601 || rc.expires.Year() > 9999) {
			t.Errorf("parseSetCookie(%q): Expires %v", line, rc.expires)
		}
	})
}

// FuzzJarCookiesRoundTrip stores the Set-Cookie lines of a response from
// a URL (lines separated by "\n", both through SetCookieHeaders and
// through net/http's parser and SetCookies) and checks that no panic
// happens and that every cookie the jar then holds or sends is valid.
// Seeds are in testdata/fuzz/FuzzJarCookiesRoundTrip.
func FuzzJarCookiesRoundTrip(f *testing.F) {
	f.Add("https://www.example.com/a/b", "a=1; Domain=example.com\nb=2; Path=/\n__Host-c=3; Secure; Path=/")
	f.Add("http://192.168.0.1:8080/", "a=1; Domain=192.168.0.1\nb=2; Domain=.0.1")
	f.Fuzz(func(t *testing.T, rawURL, header string) {
		u, err := url.Parse(rawURL)
		if err != nil {
			return
		}
		now := tNow
		jar := newJar(&JarOptions{MaxCookiesPerDomain: 20, MaxCookies: 50}, func() time.Time { return now })
		lines := strings.Split(header, "\n")
		jar.SetCookieHeaders(u, lines)
		resp := http.Response{Header: http.Header{"Set-Cookie": lines}}
		jar.SetCookies(u, resp.Cookies())
		checkJar(t, jar)

		h, hostOK := canonicalHost(u.Host)
		secure := u.Scheme == "https" || h.loopback
		all := jar.All()
		if len(all) > 0 && !hostOK {
			t.Fatalf("cookies stored from the unusable host %q: %v", u.Host, all)
		}
		if len(all) > 20 || jar.live() != len(all) {
			t.Errorf("All() has %d cookies, live() = %d, limit 20", len(all), jar.live())
		}
		for _, c := range all {
			checkCookie(t, c.Name, c.Value)
			if ch, ok := canonicalHost(c.Domain); !ok || ch.name != c.Domain {
				t.Errorf("cookie %v: domain %q is not canonical", c, c.Domain)
			}
			switch {
			case c.HostOnly:
				if c.Domain != h.name {
					t.Errorf("host-only cookie %v from host %q", c, h.name)
				}
			case h.ip:
				t.Errorf("domain cookie %v from the IP address %q", c, h.name)
			default:
				if !domainMatch(h.name, c.Domain) || jar.isPublicSuffix(c.Domain) {
					t.Errorf("domain cookie %v may not be set by %q", c, h.name)
				}
			}
			if c.Path == "" || c.Path[0] != '/' {
				t.Errorf("cookie %v: path %q", c, c.Path)
			}
			if c.Expires.After(now.Add(maxCookieAge)) {
				t.Errorf("cookie %v expires after the 400-day cap", c)
			}
			if c.Secure && !secure {
				t.Errorf("Secure cookie %v from a non-secure origin", c)
			}
			if c.SameSite == http.SameSiteNoneMode && !c.Secure {
				t.Errorf("cookie %v has SameSite=None without Secure", c)
			}
		}
		for _, c := range jar.Cookies(u) {
			v := c.Value
			if c.Quoted {
				v = `"` + v + `"`
			}
			checkCookie(t, c.Name, v)
		}
		if hdr := cookieHeader(jar, u); indexCTL(hdr) >= 0 {
			t.Errorf("cookieHeader = %q has a control character", hdr)
		}
		// The header served again must be the one built afresh.
		if hdr, fresh := cookieHeader(jar, u), freshHeader(jar, u, now); hdr != fresh {
			t.Errorf("cookieHeader = %q, built afresh %q", hdr, fresh)
		}
	})
}

func checkCookie(t *testing.T, name, value string) {
	t.Helper()
	if indexCTL(name) >= 0 || indexCTL(value) >= 0 || strings.ContainsAny(name, "=;") || strings.Contains(value, ";") {
		t.Errorf("invalid cookie %q=%q", name, value)
	}
	if name == "" && value == "" || len(name)+len(value) > maxNameValueSize {
		t.Errorf("invalid cookie size %q=%q", name, value)
	}
}
