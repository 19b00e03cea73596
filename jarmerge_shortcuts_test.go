package httpsession

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// mergeByNormalize is merge without its shortcuts: every record is
// validated and turned into an entry before its identity is looked up.
// merge must leave a jar exactly as this does.
func mergeByNormalize(j *Jar, cookies []Cookie, tombs []tombstone) {
	m := j.startMerge()
	defer m.finish()
	for i := range cookies {
		if e, key, why := j.normalize(&cookies[i], m.now); why == "" {
			m.cookie(e, key)
		}
	}
	m.tombs(tombs)
}

// jarState is everything merge may change, for comparing two jars.
type jarState struct {
	Cookies []Cookie
	Tombs   []tombstone
	Len     int
}

func stateOf(j *Jar) jarState {
	cookies, tombs := j.snapshot()
	return jarState{Cookies: cookies, Tombs: tombs, Len: j.live()}
}

// mergeFixture is a jar with cookies on several domains and paths, some
// of them removed, at tNow+1h.
func mergeFixture() (*Jar, *testClock) {
	jar, clock := newTestJar(&JarOptions{MaxCookiesPerDomain: 8, MaxCookies: 40})
	for _, c := range []Cookie{
		{Name: "a", Value: "1", Domain: "example.com", Path: "/", HostOnly: true, Expires: tNow.Add(48 * time.Hour)},
		{Name: "a", Value: "2", Domain: "example.com", Path: "/", Expires: tNow.Add(48 * time.Hour)},
		{Name: "b", Value: "1", Domain: "www.example.com", Path: "/app", HostOnly: true},
		{Name: "c", Value: "1", Domain: "www.example.com", Path: "/", Secure: true},
		{Name: "d", Value: "1", Domain: "10.0.0.1", Path: "/", HostOnly: true},
		{Name: "e", Value: "1", Domain: "other.org", Path: "/", Expires: tNow.Add(2 * time.Hour)},
		{Name: "gone", Value: "1", Domain: "example.com", Path: "/", HostOnly: true},
	} {
		if err := jar.Add(c); err != nil {
			panic(fmt.Sprintf("Add(%v) = %v", c, err))
		}
	}
	clock.Advance(time.Hour)
	jar.Remove("example.com", "/", "gone")
	return jar, clock
}

func TestMergeShortcutsMatchNormalize(t *testing.T) {
	before := tNow.Add(-time.Hour)
	same := tNow // the fixture's cookies were set at tNow
	after := tNow.Add(30 * time.Minute)
	exp := tNow.Add(24 * time.Hour)
	rec := func(name, domain, path string, hostOnly bool, updated time.Time) Cookie {
		return Cookie{Name: name, Value: "theirs", Domain: domain, Path: path, HostOnly: hostOnly,
			Expires: exp, Created: before, LastAccess: before, Updated: updated}
	}
	tests := []struct {
		name    string
		records []Cookie
	}{
		{"older records lose", []Cookie{rec("a", "example.com", "/", true, before), rec("b", "www.example.com", "/app", true, before)}},
		{"equal Updated loses", []Cookie{rec("a", "example.com", "/", true, same), rec("c", "www.example.com", "/", false, same)}},
		{"newer records win", []Cookie{rec("a", "example.com", "/", true, after), rec("a", "example.com", "/", false, after)}},
		{"new identities are added", []Cookie{rec("z", "example.com", "/", true, before), rec("a", "example.com", "/x", true, before)}},
		{"domain spelled differently", []Cookie{rec("a", ".EXAMPLE.com", "/", false, after), rec("a", "Example.COM", "/", true, before)}},
		{"empty path is /", []Cookie{rec("a", "example.com", "", true, before), rec("a", "example.com", "", true, after)}},
		{"IP addresses are host-only", []Cookie{rec("d", "10.0.0.1", "/", false, before), rec("d", "10.0.0.1", "/", false, after)}},
		{"zero Updated counts as now", []Cookie{rec("a", "example.com", "/", true, time.Time{})}},
		{"tombstone newer than the record", []Cookie{rec("gone", "example.com", "/", true, before)}},
		{"record newer than the tombstone", []Cookie{rec("gone", "example.com", "/", true, after)}},
		{"invalid records with a stored identity", []Cookie{
			func() Cookie { c := rec("a", "example.com", "/", true, after); c.Value = "bad\x01"; return c }(),
			func() Cookie { c := rec("c", "www.example.com", "/", false, after); c.SameSite = 4; return c }(),
			func() Cookie { c := rec("a", "example.com", "/", true, before); c.Value = "bad\x01"; return c }(),
		}},
		{"expired records", []Cookie{
			func() Cookie { c := rec("a", "example.com", "/", true, after); c.Expires = tNow; return c }(),
			func() Cookie { c := rec("a", "example.com", "/", true, before); c.Expires = tNow; return c }(),
		}},
		{"public suffix and bad domains", []Cookie{rec("a", "com", "/", false, after), rec("a", "com", "/", true, after),
			rec("x", "bad domain", "/", true, after), rec("x", "", "/", true, after)}},
		{"unsorted, repeated domains", []Cookie{rec("a", "example.com", "/", true, after), rec("e", "other.org", "/", false, before),
			rec("a", "example.com", "/", false, before), rec("e", "other.org", "/", false, after), rec("q", "other.org", "/", false, after)}},
		{"over the limits", func() []Cookie {
			var cs []Cookie
			for i := range 50 {
				cs = append(cs, rec(fmt.Sprintf("n%d", i), fmt.Sprintf("s%d.example.com", i%3), "/", true, after))
			}
			return cs
		}()},
	}
	for _, tt := range tests {
		fast, _ := mergeFixture()
		slow, _ := mergeFixture()
		fg, sg := fast.generation(), slow.generation()
		fast.merge(slices.Clone(tt.records), nil)
		mergeByNormalize(slow, slices.Clone(tt.records), nil)
		if diff := cmp.Diff(stateOf(slow), stateOf(fast), cmp.AllowUnexported(tombstone{})); diff != "" {
			t.Errorf("%s: merge state mismatch with mergeByNormalize (-want +got):\n%s", tt.name, diff)
		}
		if got, want := fast.generation() != fg, slow.generation() != sg; got != want {
			t.Errorf("%s: merge changed generation = %v, want %v", tt.name, got, want)
		}
	}
}

// TestMergeShortcutsProperty merges random records, drawn from a small
// set of identities so that they collide with the jar's, and checks that
// merge and mergeByNormalize agree.
func TestMergeShortcutsProperty(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(1, 2))
	names := []string{"a", "b", "c", "d", "e", "gone", "__Host-x", ""}
	domains := []string{"example.com", ".example.com", "www.example.com", "10.0.0.1", "other.org", "com", "EXAMPLE.com"}
	paths := []string{"/", "", "/app", "x"}
	times := []time.Time{{}, tNow.Add(-time.Hour), tNow, tNow.Add(time.Minute), tNow.Add(2 * time.Hour)}
	for round := range 300 {
		var records []Cookie
		for range r.IntN(12) {
			records = append(records, Cookie{
				Name: names[r.IntN(len(names))], Value: []string{"v", "", "bad\x01"}[r.IntN(3)],
				Domain: domains[r.IntN(len(domains))], Path: paths[r.IntN(len(paths))],
				HostOnly: r.IntN(2) == 0, Secure: r.IntN(2) == 0,
				Expires: times[r.IntN(len(times))].Add(time.Duration(r.IntN(3)) * time.Hour),
				Created: times[r.IntN(len(times))], LastAccess: times[r.IntN(len(times))],
				Updated: times[r.IntN(len(times))],
			})
		}
		if r.IntN(2) == 0 {
			slices.SortFunc(records, func(a, b Cookie) int {
				return cookieCmp(a.Domain, a.Path, a.Name, a.HostOnly, b.Domain, b.Path, b.Name, b.HostOnly)
			})
		}
		fast, _ := mergeFixture()
		slow, _ := mergeFixture()
		fg, sg := fast.generation(), slow.generation()
		fast.merge(slices.Clone(records), nil)
		mergeByNormalize(slow, slices.Clone(records), nil)
		if diff := cmp.Diff(stateOf(slow), stateOf(fast), cmp.AllowUnexported(tombstone{})); diff != "" {
			t.Fatalf("round %d: merge(%v) state mismatch with mergeByNormalize (-want +got):\n%s", round, records, diff)
		}
		if got, want := fast.generation() != fg, slow.generation() != sg; got != want {
			t.Fatalf("round %d: merge(%v) changed generation = %v, want %v", round, records, got, want)
		}
	}
}
