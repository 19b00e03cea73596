package storagestate_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/spf13/afero"

	"github.com/httpsession/httpsession"
	"github.com/httpsession/httpsession/storagestate"
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

// TestOriginsRoundTrip: a storageState imported into a session keeps its
// origins through the session file, and FromJar gives them back; a jar
// without origins exports none.
func TestOriginsRoundTrip(t *testing.T) {
	fs := afero.NewMemMapFs()
	in := `{"cookies":[{"name":"sid","value":"v","domain":"app.example.com","path":"/","expires":-1,"httpOnly":true,"secure":true,"sameSite":"Lax"}],
	"origins":[{"origin":"https://app.example.com","localStorage":[{"name":"token","value":"spa-token"},
		{"name":"odd","value":"q\"uote <tag> é \\ \u2028 \u0001"}]},
	{"origin":"https://other.example","localStorage":[]}]}`
	ss, err := storagestate.Read(bytes.NewReader([]byte(in)))
	if err != nil {
		t.Fatal(err)
	}
	c, err := httpsession.New(httpsession.Options{SessionFile: "s.json", FS: fs})
	if err != nil {
		t.Fatal(err)
	}
	if rejected, err := storagestate.Import(c.Jar(), ss); err != nil || len(rejected) != 0 {
		t.Fatalf("Import: rejected %v, %v", rejected, err)
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	c2, err := httpsession.New(httpsession.Options{SessionFile: "s.json", FS: fs})
	if err != nil {
		t.Fatal(err)
	}
	defer c2.Close()
	out := storagestate.FromJar(c2.Jar())
	if diff := cmp.Diff(decodedOrigins(t, ss.Origins), decodedOrigins(t, out.Origins)); diff != "" {
		t.Errorf("origins after the session file (-imported +exported):\n%s", diff)
	}
	if len(out.Cookies) != 1 {
		t.Errorf("exported %d cookies, want 1", len(out.Cookies))
	}
	if got := storagestate.FromJar(httpsession.NewJar(nil)).Origins; got != nil {
		t.Errorf("a jar without origins exports origins %s", got)
	}
}

// TestImportBadOrigins: origins that are not objects with an origin are
// refused whole, with ErrInvalid, and the cookies are not added.
func TestImportBadOrigins(t *testing.T) {
	cookies := []storagestate.Cookie{{Name: "a", Value: "b", Domain: "example.com", Path: "/", Expires: -1}}
	for _, raw := range []string{`{}`, `[1]`, `[{"localStorage":[]}]`, `[{"origin":""}]`} {
		j := httpsession.NewJar(nil)
		_, err := storagestate.Import(j, &storagestate.State{Cookies: cookies, Origins: json.RawMessage(raw)})
		if !errors.Is(err, storagestate.ErrInvalid) {
			t.Errorf("origins %s: err %v, want ErrInvalid", raw, err)
		}
		if n := len(j.All()); n != 0 {
			t.Errorf("origins %s: the jar took %d cookies", raw, n)
		}
	}
}

// TestImportOriginTwice: of two entries for one origin, the later is kept.
func TestImportOriginTwice(t *testing.T) {
	j := httpsession.NewJar(nil)
	doc := `[{"origin":"https://x.example","localStorage":[{"name":"k","value":"first"}]},
		{"origin":"https://x.example","localStorage":[{"name":"k","value":"second"}]}]`
	if _, err := storagestate.Import(j, &storagestate.State{Origins: json.RawMessage(doc)}); err != nil {
		t.Fatal(err)
	}
	want := `[{"origin":"https://x.example","localStorage":[{"name":"k","value":"second"}]}]`
	if got := string(storagestate.FromJar(j).Origins); got != want {
		t.Errorf("origins = %s, want %s", got, want)
	}
}

// TestImportReplacesOriginAtSameInstant: a second Import of an origin
// replaces the first even when the jar's clock has not moved between the
// two (a frozen Options.Now, or two imports within one tick of a coarse
// clock), as Import's doc says.
func TestImportReplacesOriginAtSameInstant(t *testing.T) {
	frozen := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	c, err := httpsession.New(httpsession.Options{Now: func() time.Time { return frozen }})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	j := c.Jar()
	for _, v := range []string{"first", "second"} {
		doc := `[{"origin":"https://x.example","localStorage":[{"name":"k","value":"` + v + `"}]}]`
		if _, err := storagestate.Import(j, &storagestate.State{Origins: json.RawMessage(doc)}); err != nil {
			t.Fatal(err)
		}
	}
	want := `[{"origin":"https://x.example","localStorage":[{"name":"k","value":"second"}]}]`
	if got := string(storagestate.FromJar(j).Origins); got != want {
		t.Errorf("origins = %s, want %s", got, want)
	}
}
