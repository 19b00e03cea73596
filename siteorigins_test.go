package httpsession

import (
	"bytes"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/spf13/afero"
)

// decodedOrigins decodes an origins array for comparison, nil when empty.
func decodedOrigins(t *testing.T, raw json.RawMessage) []any {
	t.Helper()
	if len(raw) == 0 {
		return nil
	}
	var v []any
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatalf("origins %s: %v", raw, err)
	}
	return v
}

// TestStorageStateOriginsRoundTrip: a storageState imported into a
// session keeps its origins through the session file, and StorageState
// gives them back; a session without origins writes no origins key.
func TestStorageStateOriginsRoundTrip(t *testing.T) {
	fs := afero.NewMemMapFs()
	in := `{"cookies":[{"name":"sid","value":"v","domain":"app.example.com","path":"/","expires":-1,"httpOnly":true,"secure":true,"sameSite":"Lax"}],
	"origins":[{"origin":"https://app.example.com","localStorage":[{"name":"token","value":"spa-token"},
		{"name":"odd","value":"q\"uote <tag> é \\ \u2028 \u0001"}]},
	{"origin":"https://other.example","localStorage":[]}]}`
	ss, err := ReadStorageState(bytes.NewReader([]byte(in)))
	if err != nil {
		t.Fatal(err)
	}
	c, err := New(Options{SessionFile: "s.json", FS: fs})
	if err != nil {
		t.Fatal(err)
	}
	if rejected, err := c.Jar().ImportStorageState(ss); err != nil || len(rejected) != 0 {
		t.Fatalf("ImportStorageState: rejected %v, %v", rejected, err)
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	data, _ := afero.ReadFile(fs, "s.json")
	if !bytes.HasPrefix(data, []byte(`{"version":1,`)) {
		t.Errorf("session file starts %q, want version 1", data[:min(len(data), 20)])
	}
	c2, err := New(Options{SessionFile: "s.json", FS: fs})
	if err != nil {
		t.Fatal(err)
	}
	defer c2.Close()
	out := c2.Jar().StorageState()
	if diff := cmp.Diff(decodedOrigins(t, ss.Origins), decodedOrigins(t, out.Origins)); diff != "" {
		t.Errorf("origins after the session file (-imported +exported):\n%s", diff)
	}
	if len(out.Cookies) != 1 {
		t.Errorf("exported %d cookies, want 1", len(out.Cookies))
	}

	empty := NewJar(nil)
	if got := empty.StorageState().Origins; got != nil {
		t.Errorf("a jar without origins exports origins %s", got)
	}
	if doc := (&sessionDoc{}).encode(nil); bytes.Contains(doc, []byte("origins")) {
		t.Errorf("a session without origins is written as %s", doc)
	}
}

// TestStorageStateOriginsMerge: two writers of one session file keep
// each origin's newer state.
func TestStorageStateOriginsMerge(t *testing.T) {
	fs := afero.NewMemMapFs()
	t0 := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	clock := func(at time.Time) func() time.Time { return func() time.Time { return at } }
	origins := func(s string) *StorageState { return &StorageState{Origins: json.RawMessage(s)} }
	a, err := New(Options{SessionFile: "s.json", FS: fs, Now: clock(t0)})
	if err != nil {
		t.Fatal(err)
	}
	b, err := New(Options{SessionFile: "s.json", FS: fs, Now: clock(t0.Add(time.Minute))})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.Jar().ImportStorageState(origins(`[{"origin":"https://x.example","localStorage":[{"name":"k","value":"old"}]}]`)); err != nil {
		t.Fatal(err)
	}
	if err := a.Save(); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Jar().ImportStorageState(origins(`[{"origin":"https://x.example","localStorage":[{"name":"k","value":"new"}]},{"origin":"https://y.example","localStorage":[]}]`)); err != nil {
		t.Fatal(err)
	}
	if err := b.Save(); err != nil {
		t.Fatal(err)
	}
	if err := a.Save(); err != nil { // a's older x.example must not win
		t.Fatal(err)
	}
	want := decodedOrigins(t, json.RawMessage(`[{"origin":"https://x.example","localStorage":[{"name":"k","value":"new"}]},{"origin":"https://y.example","localStorage":[]}]`))
	for name, c := range map[string]*Client{"a": a, "b": b} {
		if diff := cmp.Diff(want, decodedOrigins(t, c.Jar().StorageState().Origins)); diff != "" {
			t.Errorf("%s's origins after both saved (-want +got):\n%s", name, diff)
		}
	}
	c, err := New(Options{SessionFile: "s.json", FS: fs})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, decodedOrigins(t, c.Jar().StorageState().Origins)); diff != "" {
		t.Errorf("origins in the file (-want +got):\n%s", diff)
	}
}

// TestImportStorageStateBadOrigins: origins that are not objects with an
// origin are refused whole, with ErrBadStorageState.
func TestImportStorageStateBadOrigins(t *testing.T) {
	for _, raw := range []string{`{}`, `[1]`, `[{"localStorage":[]}]`, `[{"origin":""}]`} {
		j := NewJar(nil)
		_, err := j.ImportStorageState(&StorageState{Origins: json.RawMessage(raw)})
		if !errors.Is(err, ErrBadStorageState) {
			t.Errorf("origins %s: err %v, want ErrBadStorageState", raw, err)
		}
	}
}
