package httpsession

import (
	"fmt"
	"net/http"
	"net/url"
	"runtime"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// siteJar returns a jar on clock with n cookies over n/10 sites.
func siteJar(clock *testClock, n int) *Jar {
	j := newJar(&JarOptions{MaxCookies: 2 * n}, clock.Now)
	for s := range n / 10 {
		u := &url.URL{Scheme: "https", Host: fmt.Sprintf("www.site%d.example", s), Path: "/"}
		var cs []*http.Cookie
		for i := range 10 {
			cs = append(cs, &http.Cookie{Name: fmt.Sprintf("c%d", i), Value: fmt.Sprintf("%032x", s*10+i), MaxAge: 3600, Secure: i%2 == 0})
		}
		j.SetCookies(u, cs)
	}
	return j
}

// TestMergeSessionLikeMerge: decoding a document straight into a jar, an
// empty one or one that holds cookies, gives what merging its decoded
// cookies and tombstones gives.
func TestMergeSessionLikeMerge(t *testing.T) {
	clock := newPSClock()
	other := siteJar(clock, 200)
	other.Remove("www.site3.example", "/", "c1") // a tombstone in the file
	st := &bytesStore{}
	if err := SaveSession(st, other, nil, nil); err != nil {
		t.Fatal(err)
	}
	clock.Advance(time.Second)
	mine := func() *Jar {
		j := siteJar(clock, 100) // sites 0–9, older than the file's…
		u, _ := url.Parse("https://www.site2.example/")
		j.SetCookies(u, []*http.Cookie{{Name: "c4", Value: "newer", MaxAge: 60}}) // …but this one
		j.SetCookies(u, []*http.Cookie{{Name: "mine", Value: "1"}})
		j.Remove("www.site5.example", "/", "c0") // a tombstone of its own
		return j
	}
	for _, tt := range []struct {
		name string
		jar  func() *Jar
	}{
		{"empty jar", func() *Jar { return newJar(&JarOptions{MaxCookies: 400}, clock.Now) }},
		{"jar with cookies", mine},
	} {
		t.Run(tt.name, func(t *testing.T) {
			doc, err := decodeSession(st.data)
			if err != nil {
				t.Fatal(err)
			}
			want := tt.jar()
			want.merge(doc.cookies, doc.tombs)
			got := tt.jar()
			if _, err := got.mergeSession(st.data, nil); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(stateOf(want), stateOf(got), cmp.AllowUnexported(tombstone{})); diff != "" {
				t.Errorf("jar after mergeSession vs merge (-merge +mergeSession):\n%s", diff)
			}
			if h := cookieHeaderOf(got, &url.URL{Scheme: "https", Host: "www.site2.example", Path: "/"}); h != cookieHeaderOf(want, &url.URL{Scheme: "https", Host: "www.site2.example", Path: "/"}) {
				t.Errorf("Cookie header after mergeSession = %q, differs from merge's", h)
			}
		})
	}
}

// TestMergeSessionCorruptLeavesJar: a document that turns out corrupt
// after some of its cookies were read leaves the jar as it was, empty or
// not, and its generation too.
func TestMergeSessionCorruptLeavesJar(t *testing.T) {
	clock := newPSClock()
	st := &bytesStore{}
	if err := SaveSession(st, siteJar(clock, 50), nil, nil); err != nil {
		t.Fatal(err)
	}
	bad := append([]byte(nil), st.data[:len(st.data)*2/3]...) // cut in the cookies
	for _, tt := range []struct {
		name string
		jar  func() *Jar
	}{
		{"empty jar", func() *Jar { return newJar(nil, clock.Now) }},
		{"jar with cookies", func() *Jar { return siteJar(clock, 20) }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			j := tt.jar()
			want := stateOf(j)
			gen := j.generation()
			if _, err := LoadSession(&bytesStore{data: bad}, j); err == nil {
				t.Fatal("LoadSession of a truncated document: no error")
			}
			if diff := cmp.Diff(want, stateOf(j)); diff != "" {
				t.Errorf("jar after a failed load (-before +after):\n%s", diff)
			}
			if g := j.generation(); g != gen {
				t.Errorf("generation after a failed load = %d, want %d", g, gen)
			}
		})
	}
}

// TestSaveSessionUnchangedDoesNotDecode: SaveSession of a jar to the
// store it last saved to or loaded from, which nobody changed since,
// recognises the document by its hash instead of decoding its cookies:
// it allocates less than half of what a save after another writer changed
// the document allocates, which decodes a value for each cookie (its
// entries are allocated in slabs).
func TestSaveSessionUnchangedDoesNotDecode(t *testing.T) {
	const n = 3000
	clock := newPSClock()
	jar := siteJar(clock, n)
	st := &bytesStore{}
	if err := SaveSession(st, jar, nil, nil); err != nil {
		t.Fatal(err)
	}
	unchanged := testing.AllocsPerRun(3, func() {
		if err := SaveSession(st, jar, nil, nil); err != nil {
			t.Fatal(err)
		}
	})

	// Loaded, not written, by this jar: the same.
	loaded := newJar(&JarOptions{MaxCookies: 2 * n}, clock.Now)
	if _, err := LoadSession(st, loaded); err != nil {
		t.Fatal(err)
	}
	afterLoad := testing.AllocsPerRun(3, func() {
		if err := SaveSession(st, loaded, nil, nil); err != nil {
			t.Fatal(err)
		}
	})

	// Another writer's document is decoded and merged.
	clock.Advance(time.Second)
	other := siteJar(clock, n)
	otherStore := &bytesStore{}
	if err := SaveSession(otherStore, other, nil, nil); err != nil {
		t.Fatal(err)
	}
	// Once: a second save would find the document it wrote.
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	if err := SaveSession(otherStore, jar, nil, nil); err != nil {
		t.Fatal(err)
	}
	runtime.ReadMemStats(&after)
	changed := float64(after.Mallocs - before.Mallocs)
	if changed < n {
		t.Fatalf("SaveSession of another writer's document: %.0f allocations for %d cookies; does the test still see a decode?", changed, n)
	}
	if unchanged >= changed/2 {
		t.Errorf("SaveSession of an unchanged document: %.0f allocations, want fewer than half of a decoding save's %.0f", unchanged, changed)
	}
	if afterLoad >= changed/2 {
		t.Errorf("SaveSession after LoadSession of the same document: %.0f allocations, want fewer than half of a decoding save's %.0f", afterLoad, changed)
	}
}

// TestSaveSessionResumesDropsOnlyWithIDs: a session that drops its own
// session cookies keeps another writer's, also when its jar last wrote
// the document through a session that kept them all.
func TestSaveSessionResumesDropsOnlyWithIDs(t *testing.T) {
	clock := newPSClock()
	u, _ := url.Parse("https://example.com/")
	writer := newJar(nil, clock.Now)
	writer.SetCookies(u, []*http.Cookie{{Name: "theirs", Value: "1"}})
	st := &bytesStore{}
	if err := SaveSession(st, writer, nil, nil); err != nil {
		t.Fatal(err)
	}
	jar := newJar(nil, clock.Now)
	if _, err := LoadSession(st, jar); err != nil { // keeps no identities
		t.Fatal(err)
	}
	jar.SetCookies(u, []*http.Cookie{{Name: "mine", Value: "2"}})
	if err := SaveSession(st, jar, nil, &SessionOptions{DropSessionCookies: true}); err != nil {
		t.Fatal(err)
	}
	check := newJar(nil, clock.Now)
	if _, err := LoadSession(st, check); err != nil {
		t.Fatal(err)
	}
	if got, want := cookieHeaderOf(check, u), "theirs=1"; got != want {
		t.Errorf("stored cookies = %q, want %q: the other writer's session cookie stays, ours is dropped", got, want)
	}
}

// TestMergeSessionDuplicateRecords: of two records of one identity in a
// file (only a hand-edited file has them), an empty jar keeps the one
// updated later, whichever comes first, as merge does.
func TestMergeSessionDuplicateRecords(t *testing.T) {
	const (
		older = `{"n":"sid","v":"old","d":"www.example.com","p":"/","f":"h","c":1767366245000,"u":1767366245000}`
		newer = `{"n":"sid","v":"new","d":"www.example.com","p":"/","f":"h","c":1767366245000,"u":1767366246000}`
	)
	for _, records := range []string{older + ",\n" + newer, newer + ",\n" + older} {
		j, _ := newTestJar(nil)
		if _, err := j.mergeSession([]byte(`{"version":1,"cookies":[`+records+`]}`), nil); err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, c := range j.All() {
			got = append(got, c.Name+"="+c.Value)
		}
		if diff := cmp.Diff([]string{"sid=new"}, got); diff != "" {
			t.Errorf("records %s: cookies (-want +got):\n%s", records, diff)
		}
	}
}
