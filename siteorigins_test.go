package httpsession

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/spf13/afero"

	"github.com/httpsession/httpsession/internal/jarorigins"
)

// The storageState format and its import and export are tested in package
// storagestate; these tests hold the jar's side: keeping origins in the
// session file, through the seam storagestate uses.

// originsOf is what jarorigins.Snapshot gives for j, origin → state.
func originsOf(j *Jar) map[string]string {
	out := make(map[string]string)
	for _, o := range jarorigins.Snapshot(j) {
		out[o.Origin] = string(o.State)
	}
	return out
}

// TestOriginsMerge: two writers of one session file keep each origin's
// newer state, in memory and in the file, which stays version 1.
func TestOriginsMerge(t *testing.T) {
	fs := afero.NewMemMapFs()
	t0 := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	clock := func(at time.Time) func() time.Time { return func() time.Time { return at } }
	origin := func(name, state string) jarorigins.Origin {
		return jarorigins.Origin{Origin: name, State: json.RawMessage(state)}
	}
	const (
		xOld = `{"origin":"https://x.example","localStorage":[{"name":"k","value":"old"}]}`
		xNew = `{"origin":"https://x.example","localStorage":[{"name":"k","value":"new"}]}`
		y    = `{"origin":"https://y.example","localStorage":[]}`
	)
	a, err := New(Options{SessionFile: "s.json", FS: fs, Now: clock(t0)})
	if err != nil {
		t.Fatal(err)
	}
	b, err := New(Options{SessionFile: "s.json", FS: fs, Now: clock(t0.Add(time.Minute))})
	if err != nil {
		t.Fatal(err)
	}
	jarorigins.Merge(a.Jar(), []jarorigins.Origin{origin("https://x.example", xOld)})
	if err := a.Save(); err != nil {
		t.Fatal(err)
	}
	jarorigins.Merge(b.Jar(), []jarorigins.Origin{origin("https://x.example", xNew), origin("https://y.example", y)})
	if err := b.Save(); err != nil {
		t.Fatal(err)
	}
	if err := a.Save(); err != nil { // a's older x.example must not win
		t.Fatal(err)
	}
	want := map[string]string{"https://x.example": xNew, "https://y.example": y}
	for name, c := range map[string]*Client{"a": a, "b": b} {
		if diff := cmp.Diff(want, originsOf(c.Jar())); diff != "" {
			t.Errorf("%s's origins after both saved (-want +got):\n%s", name, diff)
		}
	}
	data, _ := afero.ReadFile(fs, "s.json")
	if !bytes.HasPrefix(data, []byte(`{"version":1,`)) {
		t.Errorf("session file starts %q, want version 1", data[:min(len(data), 20)])
	}
	c, err := New(Options{SessionFile: "s.json", FS: fs})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if diff := cmp.Diff(want, originsOf(c.Jar())); diff != "" {
		t.Errorf("origins in the file (-want +got):\n%s", diff)
	}
}

// TestNoOriginsNoKey: a jar without origins has none to give, and a
// session without origins writes no origins key.
func TestNoOriginsNoKey(t *testing.T) {
	if got := jarorigins.Snapshot(NewJar(nil)); len(got) != 0 {
		t.Errorf("a new jar has origins %v", got)
	}
	if doc := (&sessionDoc{}).encode(nil); bytes.Contains(doc, []byte("origins")) {
		t.Errorf("a session without origins is written as %s", doc)
	}
}
