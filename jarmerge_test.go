package httpsession

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestGeneration(t *testing.T) {
	jar, clock := newTestJar(nil)
	u := mustParseURL(t, "https://www.example.com/")
	steps := []struct {
		description string
		do          func()
		changes     bool
	}{
		{"setting a cookie", func() { jar.SetCookieHeaders(u, []string{"a=1; Max-Age=60"}) }, true},
		{"reading cookies", func() { clock.Advance(time.Hour); jar.Cookies(u); cookieHeader(jar, u); jar.All(); jar.live() }, false},
		{"a cookie expiring", func() {}, false},
		{"an ignored cookie", func() { jar.SetCookieHeaders(u, []string{"b=1; Domain=other.com"}) }, false},
		{"deleting a missing cookie", func() { jar.SetCookieHeaders(u, []string{"b=; Max-Age=0"}) }, false},
		{"replacing a cookie", func() { jar.SetCookies(u, []*http.Cookie{{Name: "c", Value: "1"}, {Name: "c", Value: "2"}}) }, true},
		{"Remove of nothing", func() { jar.Remove("www.example.com", "/", "zzz") }, false},
		{"Remove", func() { jar.Remove("www.example.com", "/", "c") }, true},
		{"Clear of an empty jar", jar.Clear, false},
		{"insert", func() { jar.insert(Cookie{Name: "d", Value: "1", Domain: "example.com"}) }, true},
		{"Clear", jar.Clear, true},
	}
	for _, s := range steps {
		before := jar.generation()
		s.do()
		if changed := jar.generation() != before; changed != s.changes {
			t.Errorf("%s: generation changed = %v, want %v", s.description, changed, s.changes)
		}
	}
}

func TestTombstones(t *testing.T) {
	jar, clock := newTestJar(nil)
	u := mustParseURL(t, "https://www.example.com/")
	jar.SetCookieHeaders(u, []string{"s=1", "p=2; Max-Age=3600", "m=3; Max-Age=86400", "r=4", "x=5; Max-Age=60"})
	clock.Advance(time.Minute)
	jar.SetCookieHeaders(u, []string{"m=; Max-Age=0"}) // deleted by the server
	jar.Remove("www.example.com", "/", "r")            // deleted by the user
	del := tNow.Add(time.Minute)
	jar.Clear() // s and p; x has expired and leaves no tombstone
	cookies, tombs := jar.snapshot()
	if len(cookies) != 0 {
		t.Errorf("snapshot after Clear has cookies %v", cookies)
	}
	mk := func(name string, until time.Time) tombstone {
		return tombstone{Name: name, Domain: "www.example.com", Path: "/", HostOnly: true, Deleted: del, Until: until}
	}
	want := []tombstone{
		mk("m", tNow.Add(24*time.Hour)),
		mk("p", tNow.Add(time.Hour)),
		mk("r", del.Add(30*24*time.Hour)),
		mk("s", del.Add(30*24*time.Hour)),
	}
	if diff := cmp.Diff(want, tombs, cmp.AllowUnexported(tombstone{})); diff != "" {
		t.Errorf("snapshot() tombstones mismatch (-want +got):\n%s", diff)
	}
	// Setting a cookie again forgets its tombstone; tombstones expire.
	jar.SetCookieHeaders(u, []string{"s=new"})
	clock.Advance(2 * time.Hour)
	_, tombs = jar.snapshot()
	var got []string
	for _, tb := range tombs {
		got = append(got, tb.Name)
	}
	if g, w := strings.Join(got, " "), "m r"; g != w {
		t.Errorf("tombstones = %q, want %q", g, w)
	}
}

func TestMerge(t *testing.T) {
	t0 := tNow.Add(-time.Hour)
	exp := tNow.Add(24 * time.Hour)
	ck := func(name, value string, updated time.Time) Cookie {
		return Cookie{Name: name, Value: value, Domain: "example.com", Path: "/", HostOnly: true,
			Expires: exp, Created: t0, LastAccess: t0, Updated: updated}
	}
	tomb := func(name string, deleted time.Time) tombstone {
		return tombstone{Name: name, Domain: "example.com", Path: "/", HostOnly: true, Deleted: deleted, Until: exp}
	}
	tests := []struct {
		description string
		mine        []Cookie
		myTombs     []tombstone
		theirs      []Cookie
		theirTombs  []tombstone
		want        string // "name=value" of the merged cookies
		wantTombs   string // names of the merged tombstones
		changes     bool
	}{
		{"their new cookie is added",
			nil, nil, []Cookie{ck("a", "1", t0)}, nil, "a=1", "", true},
		{"the newer Updated wins: theirs",
			[]Cookie{ck("a", "mine", t0)}, nil, []Cookie{ck("a", "theirs", t0.Add(time.Second))}, nil, "a=theirs", "", true},
		{"the newer Updated wins: mine",
			[]Cookie{ck("a", "mine", t0.Add(time.Second))}, nil, []Cookie{ck("a", "theirs", t0)}, nil, "a=mine", "", false},
		{"merging my own state changes nothing",
			[]Cookie{ck("a", "1", t0)}, nil, []Cookie{ck("a", "1", t0)}, nil, "a=1", "", false},
		{"identity includes the host-only flag",
			[]Cookie{ck("a", "host", t0)}, nil,
			[]Cookie{func() Cookie { c := ck("a", "domain", t0); c.HostOnly = false; return c }()}, nil,
			"a=domain a=host", "", true},
		{"their newer tombstone removes my cookie and is kept",
			[]Cookie{ck("a", "1", t0)}, nil, nil, []tombstone{tomb("a", t0.Add(time.Second))}, "", "a", true},
		{"their older tombstone does not remove my newer cookie",
			[]Cookie{ck("a", "1", t0.Add(time.Second))}, nil, nil, []tombstone{tomb("a", t0)}, "a=1", "", false},
		{"my newer tombstone keeps their cookie out",
			nil, []tombstone{tomb("a", t0.Add(time.Second))}, []Cookie{ck("a", "1", t0)}, nil, "", "a", false},
		{"their newer cookie beats my tombstone",
			nil, []tombstone{tomb("a", t0)}, []Cookie{ck("a", "1", t0.Add(time.Second))}, nil, "a=1", "", true},
		{"a tombstone for an unknown cookie is kept",
			nil, nil, nil, []tombstone{tomb("z", t0)}, "", "z", true},
		{"expired cookies and stale tombstones are dropped",
			nil, nil,
			[]Cookie{func() Cookie { c := ck("a", "1", t0); c.Expires = tNow; return c }()},
			[]tombstone{func() tombstone { tb := tomb("z", t0); tb.Until = tNow.Add(-time.Second); return tb }()},
			"", "", false},
		{"invalid cookies are dropped",
			nil, nil,
			[]Cookie{
				{Name: "a", Value: "1", Domain: "com", Updated: t0},
				{Name: "b\n", Value: "1", Domain: "example.com", Updated: t0},
				{Name: "__Host-c", Value: "1", Domain: "example.com", Path: "/", HostOnly: true, Updated: t0},
				{Name: "d", Value: "1", Domain: "bad domain", Updated: t0},
			}, nil,
			"", "", false},
		{"session cookies merge too",
			nil, nil, []Cookie{func() Cookie { c := ck("a", "1", t0); c.Expires = time.Time{}; return c }()}, nil,
			"a=1", "", true},
	}
	for _, tc := range tests {
		jar, _ := newTestJar(nil)
		for _, c := range tc.mine {
			if err := jar.Add(c); err != nil {
				t.Fatalf("%s: Add(%v) = %v", tc.description, c, err)
			}
		}
		if tc.myTombs != nil {
			jar.merge(nil, tc.myTombs)
		}
		gen := jar.generation()
		jar.merge(tc.theirs, tc.theirTombs)
		cookies, tombs := jar.snapshot()
		var got, gotTombs []string
		for _, c := range cookies {
			got = append(got, c.Name+"="+c.Value)
		}
		for _, tb := range tombs {
			gotTombs = append(gotTombs, tb.Name)
		}
		slices.Sort(got)
		if g := strings.Join(got, " "); g != tc.want {
			t.Errorf("%s: cookies after merge = %q, want %q", tc.description, g, tc.want)
		}
		if g := strings.Join(gotTombs, " "); g != tc.wantTombs {
			t.Errorf("%s: tombstones after merge = %q, want %q", tc.description, g, tc.wantTombs)
		}
		if changed := jar.generation() != gen; changed != tc.changes {
			t.Errorf("%s: generation changed = %v, want %v", tc.description, changed, tc.changes)
		}
	}
}

func TestMergeRoundTrip(t *testing.T) {
	a, clock := newTestJar(nil)
	a.SetCookieHeaders(mustParseURL(t, "https://www.example.com/x/"), []string{
		"a=1; Max-Age=600; Domain=example.com; Secure; HttpOnly; SameSite=Lax", "b=2", "__Host-c=3; Secure; Path=/",
	})
	clock.Advance(time.Minute)
	a.Cookies(mustParseURL(t, "https://www.example.com/x/"))
	cookies, tombs := a.snapshot()

	b := newJar(nil, clock.Now)
	b.merge(cookies, tombs)
	got, _ := b.snapshot()
	if diff := cmp.Diff(cookies, got); diff != "" {
		t.Errorf("snapshot after merge into an empty jar (-want +got):\n%s", diff)
	}
	if g, w := cookieHeader(b, mustParseURL(t, "https://www.example.com/x/y")), cookieHeader(a, mustParseURL(t, "https://www.example.com/x/y")); g != w {
		t.Errorf("cookieHeader after merge = %q, want %q", g, w)
	}
	gen := b.generation()
	b.merge(got, nil)
	if b.generation() != gen {
		t.Errorf("merging a jar's own snapshot changed its generation")
	}
}

func TestMergeLimits(t *testing.T) {
	jar, _ := newTestJar(&JarOptions{MaxCookiesPerDomain: 5})
	var cs []Cookie
	for i := range 10 {
		cs = append(cs, Cookie{Name: fmt.Sprint("c", i), Value: "v", Domain: "example.com",
			LastAccess: tNow.Add(time.Duration(i) * time.Minute), Updated: tNow})
	}
	jar.merge(cs, nil)
	if got, want := names(jar.All()), "c5 c6 c7 c8 c9"; got != want {
		t.Errorf("after merging 10 cookies into a limit of 5: %q, want %q", got, want)
	}
}

func TestInsert(t *testing.T) {
	tests := []struct {
		description string
		c           Cookie
		ok          bool
		want        Cookie // compared when ok, without the times
	}{
		{"a domain cookie, normalised",
			Cookie{Name: "a", Value: "1", Domain: ".Example.COM", Path: "/p"}, true,
			Cookie{Name: "a", Value: "1", Domain: "example.com", Path: "/p"}},
		{"an empty path is /",
			Cookie{Name: "a", Value: "1", Domain: "example.com", HostOnly: true}, true,
			Cookie{Name: "a", Value: "1", Domain: "example.com", Path: "/", HostOnly: true}},
		{"IDN domains become punycode",
			Cookie{Name: "a", Value: "1", Domain: "bücher.de", Path: "/"}, true,
			Cookie{Name: "a", Value: "1", Domain: "xn--bcher-kva.de", Path: "/"}},
		{"IP addresses are host-only",
			Cookie{Name: "a", Value: "1", Domain: "10.0.0.1", Path: "/"}, true,
			Cookie{Name: "a", Value: "1", Domain: "10.0.0.1", Path: "/", HostOnly: true}},
		{"a public suffix may hold a host-only cookie",
			Cookie{Name: "a", Value: "1", Domain: "github.io", HostOnly: true, Path: "/"}, true,
			Cookie{Name: "a", Value: "1", Domain: "github.io", Path: "/", HostOnly: true}},
		{"RFC 6265 §5.3 step 5: but no domain cookie",
			Cookie{Name: "a", Value: "1", Domain: "co.uk", Path: "/"}, false, Cookie{}},
		{"expired", Cookie{Name: "a", Value: "1", Domain: "example.com", Expires: tNow}, false, Cookie{}},
		{"a relative path", Cookie{Name: "a", Value: "1", Domain: "example.com", Path: "p"}, false, Cookie{}},
		{"no domain", Cookie{Name: "a", Value: "1"}, false, Cookie{}},
		{"too large", Cookie{Name: "a", Value: strings.Repeat("v", 4096), Domain: "example.com"}, false, Cookie{}},
		{"__Secure- without Secure", Cookie{Name: "__Secure-a", Value: "1", Domain: "example.com"}, false, Cookie{}},
		{"RFC 6265bis §5.7: SameSite=None without Secure",
			Cookie{Name: "a", Value: "1", Domain: "example.com", SameSite: http.SameSiteNoneMode}, false, Cookie{}},
		{"SameSite=None with Secure",
			Cookie{Name: "a", Value: "1", Domain: "example.com", SameSite: http.SameSiteNoneMode, Secure: true}, true,
			Cookie{Name: "a", Value: "1", Domain: "example.com", Path: "/", SameSite: http.SameSiteNoneMode, Secure: true}},
		{"__Host- on a domain cookie",
			Cookie{Name: "__Host-a", Value: "1", Domain: "example.com", Path: "/", Secure: true}, false, Cookie{}},
	}
	for _, tc := range tests {
		jar, _ := newTestJar(nil)
		err := jar.Add(tc.c)
		if got := err == nil; got != tc.ok {
			t.Errorf("%s: Add(%v) = %v, want ok %v", tc.description, tc.c, err, tc.ok)
		}
		if err != nil && !errors.Is(err, ErrCookieRejected) {
			t.Errorf("%s: Add(%v) = %v, want an ErrCookieRejected", tc.description, tc.c, err)
			continue
		}
		all := jar.All()
		if !tc.ok {
			if len(all) != 0 {
				t.Errorf("%s: refused cookie stored: %v", tc.description, all)
			}
			continue
		}
		if len(all) != 1 {
			t.Errorf("%s: jar holds %v, want one cookie", tc.description, all)
			continue
		}
		got := all[0]
		got.Created, got.LastAccess, got.Updated = time.Time{}, time.Time{}, time.Time{}
		if diff := cmp.Diff(tc.want, got); diff != "" {
			t.Errorf("%s: stored cookie mismatch (-want +got):\n%s", tc.description, diff)
		}
	}

	// Expiry beyond 400 days is capped; an insert replaces its identity.
	jar, _ := newTestJar(nil)
	jar.insert(Cookie{Name: "a", Value: "1", Domain: "example.com", Expires: tNow.AddDate(10, 0, 0)})
	jar.insert(Cookie{Name: "a", Value: "2", Domain: "example.com", Expires: tNow.AddDate(10, 0, 0)})
	all := jar.All()
	if len(all) != 1 || all[0].Value != "2" || !all[0].Expires.Equal(tNow.Add(maxCookieAge)) {
		t.Errorf("after two inserts: %v, want a=2 expiring in 400 days", all)
	}
	if got := cookieHeader(jar, mustParseURL(t, "http://www.example.com/")); got != "a=2" {
		t.Errorf("cookieHeader = %q, want %q", got, "a=2")
	}
}
