package httpsession

import (
	"net/http"
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
		{"a quoted Domain is unquoted", `a=1; Domain="example.com"`,
			rawCookie{name: "a", value: "1", domain: "example.com", hasDomain: true}, true},
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
