package httpsession

import (
	"bytes"
	"fmt"
	"math"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// bulkSource returns a jar, on a clock standing at tNow, whose cookies
// exercise what a load must get right: many sites, subdomains, IP
// hosts, host-only and domain cookies, paths of several lengths,
// creation times tied to the nanosecond and to the millisecond, last
// accesses and updates of their own, session cookies and cookies that
// expire soon, and one site with far more cookies than a jar keeps.
// updated shifts every Updated time and value, for a second writer of
// the same cookies.
func bulkSource(t *testing.T, updated time.Duration) *Jar {
	t.Helper()
	j := newJar(&JarOptions{MaxCookies: 10000, MaxCookiesPerDomain: 1000}, newTestClock().Now)
	add := func(domain string, n int) {
		for i := range n {
			c := Cookie{
				Name:     fmt.Sprintf("c%d", i%7),
				Value:    fmt.Sprintf("v%d-%s-%v", i, domain, updated),
				Domain:   domain,
				Path:     []string{"/", "/a", "/a/b", "/b"}[i%4],
				HostOnly: i%5 == 0,
				Secure:   i%2 == 0,
				Created:  tNow.Add(-time.Hour + time.Duration(i%3)*time.Millisecond + time.Duration(i%2)),
			}
			if i%6 != 0 {
				c.Expires = tNow.Add(time.Duration(1+i%3) * time.Hour)
			}
			c.LastAccess = c.Created.Add(time.Duration(i*7%11) * time.Second)
			c.Updated = c.Created.Add(time.Duration(i%4)*time.Second + updated)
			if err := j.Add(c); err != nil {
				t.Fatalf("Add(%s %s): %v", c.Name, c.Domain, err)
			}
		}
	}
	for s := range 30 {
		add(fmt.Sprintf("site%d.example", s), 10)
		add(fmt.Sprintf("www.site%d.example", s), 4)
	}
	add("big.example", 60)
	add("10.0.0.1", 5)
	j.Remove("site3.example", "/", "c1") // tombstones in the file
	j.Remove("www.site4.example", "/b", "c3")
	return j
}

// documentOf returns what SaveSession writes of j.
func documentOf(t *testing.T, j *Jar) []byte {
	t.Helper()
	st := &bytesStore{}
	if err := SaveSession(st, j, nil, nil); err != nil {
		t.Fatal(err)
	}
	return st.data
}

// shuffled returns doc with its cookie lines in a random order (seeded),
// followed by the cookie lines of more, some of them again: the records
// of a hand-edited file, out of order and with identities given twice.
func shuffled(doc, more []byte) []byte {
	lines := func(d []byte) (head []byte, recs [][]byte, tail []byte) {
		start := bytes.Index(d, []byte("\"cookies\":[\n")) + len("\"cookies\":[\n")
		end := bytes.Index(d[start:], []byte("\n]")) + start
		for _, l := range bytes.Split(d[start:end], []byte("\n")) {
			recs = append(recs, bytes.TrimSuffix(l, []byte(",")))
		}
		return d[:start], recs, d[end:]
	}
	head, recs, tail := lines(doc)
	_, extra, _ := lines(more)
	r := rand.New(rand.NewPCG(1, 2))
	r.Shuffle(len(recs), func(i, j int) { recs[i], recs[j] = recs[j], recs[i] })
	for i, l := range extra {
		if i%3 == 0 {
			recs = append(recs, l, l)
		}
	}
	out := append([]byte(nil), head...)
	out = append(out, bytes.Join(recs, []byte(",\n"))...)
	return append(out, tail...)
}

// groupsOf returns the identities in each group of j, in the group's
// retrieval order, with their sequence numbers.
func groupsOf(j *Jar) map[string][]string {
	j.mu.RLock()
	defer j.mu.RUnlock()
	out := make(map[string][]string)
	for key, g := range j.groups {
		for i, e := range g.entries {
			if g.names[i] != nameHash(e.name) {
				out[key] = append(out[key], "names out of step")
			}
			out[key] = append(out[key], fmt.Sprintf("%s %s %s %v seq %d", e.domain, e.path, e.name, e.hostOnly, e.seq))
		}
	}
	return out
}

// TestLoadInBulkLikeRecordByRecord: loading a session document into an
// empty jar, which fills the jar in bulk, leaves it as merging the
// document's records one by one does: the same cookies, tombstones and
// retrieval order, the same limits applied, and the same evictions and
// headers after more cookies are set.
func TestLoadInBulkLikeRecordByRecord(t *testing.T) {
	own := documentOf(t, bulkSource(t, 0))
	newer := documentOf(t, bulkSource(t, time.Minute))
	docs := []struct {
		name string
		data []byte
	}{
		{"the jar's own file", own},
		{"records out of order, identities twice", shuffled(own, newer)},
		{"sorted, identities twice", func() []byte {
			// Sorted but for one record given again at the end: the bulk
			// ends there.
			_, recs, _ := func() ([]byte, [][]byte, []byte) {
				start := bytes.Index(newer, []byte("\"cookies\":[\n")) + len("\"cookies\":[\n")
				end := bytes.Index(newer[start:], []byte("\n]")) + start
				return nil, bytes.Split(newer[start:end], []byte(",\n")), nil
			}()
			end := bytes.Index(own, []byte("\n]"))
			return append(append(append([]byte(nil), own[:end]...), append([]byte(",\n"), recs[5]...)...), own[end:]...)
		}()},
	}
	limits := []JarOptions{
		{},                       // the defaults: everything fits
		{MaxCookiesPerDomain: 4}, // big.example trimmed as it comes
		{MaxCookies: 100},        // the total limit
		{MaxCookiesPerDomain: 3, MaxCookies: 120}, // both
	}
	for _, doc := range docs {
		for _, o := range limits {
			for _, later := range []time.Duration{0, 90 * time.Minute} { // some expired
				t.Run(fmt.Sprintf("%s/perDomain=%d/total=%d/later=%v", doc.name, o.MaxCookiesPerDomain, o.MaxCookies, later), func(t *testing.T) {
					parsed, err := decodeSession(doc.data)
					if err != nil {
						t.Fatal(err)
					}
					clock := newTestClock()
					clock.Advance(later)
					want := newJar(&o, clock.Now)
					want.merge(parsed.cookies, parsed.tombs) // record by record
					got := newJar(&o, clock.Now)
					if _, err := LoadSession(&bytesStore{data: doc.data}, got); err != nil {
						t.Fatal(err)
					}
					compareJars(t, "after the load", want, got)
					if len(got.All()) == 0 {
						t.Fatal("nothing loaded")
					}

					// More cookies, as responses set them: evictions by
					// last access and creation, per site and in total.
					clock.Advance(time.Minute)
					for s := range 40 {
						u := &url.URL{Scheme: "https", Host: fmt.Sprintf("www.site%d.example", s%35), Path: "/a/b"}
						cs := []*http.Cookie{{Name: fmt.Sprintf("n%d", s), Value: "1", MaxAge: 600}, {Name: "c2", Value: "new"}}
						want.SetCookies(u, cs)
						got.SetCookies(u, cs)
						if s%5 == 0 {
							u.Host = "big.example"
							want.SetCookies(u, cs)
							got.SetCookies(u, cs)
						}
					}
					compareJars(t, "after more cookies", want, got)
					for _, host := range []string{"www.site1.example", "site7.example", "big.example", "10.0.0.1"} {
						u := &url.URL{Scheme: "https", Host: host, Path: "/a/b/c"}
						if w, g := cookieHeaderOf(want, u), cookieHeaderOf(got, u); w != g {
							t.Errorf("Cookie header for %s: bulk %q, record by record %q", host, g, w)
						}
					}
				})
			}
		}
	}
}

// compareJars fails t if got's state differs from want's.
func compareJars(t *testing.T, when string, want, got *Jar) {
	t.Helper()
	if diff := cmp.Diff(stateOf(want), stateOf(got), cmp.AllowUnexported(tombstone{})); diff != "" {
		t.Errorf("%s, jar loaded in bulk vs record by record (-record by record +bulk):\n%s", when, diff)
	}
	if diff := cmp.Diff(groupsOf(want), groupsOf(got)); diff != "" {
		t.Errorf("%s, groups of the jar loaded in bulk vs record by record (-record by record +bulk):\n%s", when, diff)
	}
	want.mu.RLock()
	got.mu.RLock()
	defer want.mu.RUnlock()
	defer got.mu.RUnlock()
	if want.count != got.count || want.seq != got.seq || len(want.deep) != len(got.deep) {
		t.Errorf("%s: count %d, seq %d, %d deep groups in bulk; %d, %d, %d record by record",
			when, got.count, got.seq, len(got.deep), want.count, want.seq, len(want.deep))
	}
}

// TestToNanos: times in int64's range of nanoseconds convert exactly,
// the zero time is 0, and times beyond the range are clamped to it.
func TestToNanos(t *testing.T) {
	for _, tt := range []struct {
		in   time.Time
		want int64
	}{
		{time.Time{}, 0},
		{time.Unix(0, 1), 1},
		{tNow, tNow.UnixNano()},
		{time.Unix(0, math.MaxInt64), math.MaxInt64},
		{time.Unix(0, math.MaxInt64).Add(-time.Second), math.MaxInt64 - int64(time.Second)},
		{time.Unix(0, math.MaxInt64).Add(time.Nanosecond), math.MaxInt64},
		{time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC), math.MaxInt64},
		{time.Unix(0, math.MinInt64+1), math.MinInt64 + 1},
		{time.Unix(0, math.MinInt64+1).Add(time.Second), math.MinInt64 + 1 + int64(time.Second)},
		{time.Unix(0, math.MinInt64), math.MinInt64 + 1},
		{time.Date(1, 1, 2, 0, 0, 0, 0, time.UTC), math.MinInt64 + 1},
	} {
		if got := toNanos(tt.in); got != tt.want {
			t.Errorf("toNanos(%v) = %d, want %d", tt.in, got, tt.want)
		}
	}
}

// TestSmallIntLikeParseInt: the short way to read a time's digits reads
// what strconv.ParseInt reads, and leaves other numbers to it.
func TestSmallIntLikeParseInt(t *testing.T) {
	for _, num := range []string{"0", "7", "1767366245000", "999999999999999999", "9999999999999999999",
		"-1", "1.5", "1e3", "", "12a"} {
		v, ok := smallInt([]byte(num))
		want, err := strconv.ParseInt(num, 10, 64)
		if ok && (err != nil || v != want) {
			t.Errorf("smallInt(%q) = %d, true; ParseInt: %d, %v", num, v, want, err)
		}
		if short := len(num) <= 18 && err == nil && num[0] != '-'; ok != short {
			t.Errorf("smallInt(%q): ok = %v, want %v", num, ok, short)
		}
	}
}
