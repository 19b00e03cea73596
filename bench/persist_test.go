package bench

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/httpsession/httpsession"
	juju "github.com/juju/persistent-cookiejar"
	"golang.org/x/net/publicsuffix"
)

// persistSize is how many cookies the persistence benchmarks save and load:
// 10 cookies for each of 10,000 sites.
const persistSize = 100_000

func persistSites(now time.Time) []site {
	return sites(persistSize/cookiesPerSite, cookiesPerSite, now)
}

// writeAtomic is the plain baseline: marshal the records (the jar's
// httpsession.Cookie values, every attribute the session file keeps) with
// encoding/json, write them to a temporary file beside path, fsync, close
// and rename over path.
func writeAtomic(path string, v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return err
	}
	f, err := os.CreateTemp(filepath.Dir(path), filepath.Base(path)+".tmp*")
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), path)
}

// readJSON is the plain load baseline: read the file and unmarshal it.
func readJSON(path string, v any) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	return json.Unmarshal(data, v)
}

func fileSize(b *testing.B, path string) int64 {
	fi, err := os.Stat(path)
	if err != nil {
		b.Fatal(err)
	}
	return fi.Size()
}

func newJujuJar(b *testing.B, path string) *juju.Jar {
	j, err := juju.New(&juju.Options{PublicSuffixList: publicsuffix.List, Filename: path})
	if err != nil {
		b.Fatal(err)
	}
	return j
}

// jujuSaveFresh saves a filled persistent-cookiejar to a file that does not
// exist yet, each time.
func jujuSaveFresh(b *testing.B, dir string, ss []site) {
	path := filepath.Join(dir, "juju.json")
	j := newJujuJar(b, path)
	fill(j, ss)
	for b.Loop() {
		b.StopTimer()
		os.Remove(path)
		b.StartTimer()
		if err := j.Save(); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(fileSize(b, path))/persistSize, "disk-B/cookie")
}

// jujuSaveMerge changes one cookie and saves to a file that already holds
// every cookie: persistent-cookiejar reads and merges the file, then
// rewrites it.
func jujuSaveMerge(b *testing.B, dir string, ss []site, updates [][]*http.Cookie) {
	path := filepath.Join(dir, "juju.json")
	j := newJujuJar(b, path)
	fill(j, ss)
	if err := j.Save(); err != nil {
		b.Fatal(err)
	}
	i := 0
	for b.Loop() {
		k := i % len(ss)
		j.SetCookies(ss[k].url, updates[k])
		if err := j.Save(); err != nil {
			b.Fatal(err)
		}
		i += 7919
	}
}

func jujuLoad(b *testing.B, dir string, ss []site) {
	path := filepath.Join(dir, "juju.json")
	j := newJujuJar(b, path)
	fill(j, ss)
	if err := j.Save(); err != nil {
		b.Fatal(err)
	}
	if got := len(newJujuJar(b, path).AllCookies()); got != persistSize {
		b.Fatalf("loaded %d cookies, want %d", got, persistSize)
	}
	for b.Loop() {
		sinkJuju = newJujuJar(b, path)
	}
}

var sinkJuju *juju.Jar

// ourJar returns a jar holding the cookies of ss, big enough for all of them.
func ourJar(ss []site) *httpsession.Jar {
	j := newOurJar()
	fill(j, ss)
	return j
}

func newOurJar() *httpsession.Jar {
	return httpsession.NewJar(&httpsession.JarOptions{MaxCookies: 2 * persistSize, MaxCookiesPerDomain: cookiesPerSite})
}

// records returns the records the session file holds: every cookie of the
// jar with all its attributes.
func records(b *testing.B, ss []site) []httpsession.Cookie {
	rs := ourJar(ss).All()
	if len(rs) != persistSize {
		b.Fatalf("jar holds %d cookies, want %d", len(rs), persistSize)
	}
	return rs
}

func ourSaveFresh(b *testing.B, dir string, ss []site) {
	path := filepath.Join(dir, "session.json")
	j := ourJar(ss)
	st := httpsession.NewFileStore(nil, path)
	for b.Loop() {
		b.StopTimer()
		os.Remove(path)
		b.StartTimer()
		if err := httpsession.SaveSession(st, j, nil, nil); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(fileSize(b, path))/persistSize, "disk-B/cookie")
}

func ourSaveMerge(b *testing.B, dir string, ss []site, updates [][]*http.Cookie) {
	path := filepath.Join(dir, "session.json")
	j := ourJar(ss)
	st := httpsession.NewFileStore(nil, path)
	if err := httpsession.SaveSession(st, j, nil, nil); err != nil {
		b.Fatal(err)
	}
	i := 0
	for b.Loop() {
		k := i % len(ss)
		j.SetCookies(ss[k].url, updates[k])
		if err := httpsession.SaveSession(st, j, nil, nil); err != nil {
			b.Fatal(err)
		}
		i += 7919
	}
}

func ourLoad(b *testing.B, dir string, ss []site) {
	path := filepath.Join(dir, "session.json")
	st := httpsession.NewFileStore(nil, path)
	if err := httpsession.SaveSession(st, ourJar(ss), nil, nil); err != nil {
		b.Fatal(err)
	}
	check := newOurJar()
	if _, err := httpsession.LoadSession(st, check); err != nil {
		b.Fatal(err)
	}
	if len(check.All()) != persistSize {
		b.Fatalf("loaded %d cookies, want %d", len(check.All()), persistSize)
	}
	for b.Loop() {
		j := newOurJar()
		if _, err := httpsession.LoadSession(st, j); err != nil {
			b.Fatal(err)
		}
		sinkJar = j
	}
}

var sinkJar *httpsession.Jar

func jsonSave(b *testing.B, dir string, records any) {
	path := filepath.Join(dir, "plain.json")
	for b.Loop() {
		if err := writeAtomic(path, records); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(fileSize(b, path))/persistSize, "disk-B/cookie")
}

func jsonLoad[T any](b *testing.B, dir string, records []T) {
	path := filepath.Join(dir, "plain.json")
	if err := writeAtomic(path, records); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		var got []T
		if err := readJSON(path, &got); err != nil {
			b.Fatal(err)
		}
		if len(got) != len(records) {
			b.Fatalf("loaded %d records, want %d", len(got), len(records))
		}
	}
}

// BenchmarkSave writes 100,000 cookies to a new file. disk-B/cookie is the
// file's size per cookie.
func BenchmarkSave(b *testing.B) {
	now := time.Now()
	ss := persistSites(now)
	b.Run("impl=ours", func(b *testing.B) { ourSaveFresh(b, b.TempDir(), ss) })
	b.Run("impl=json", func(b *testing.B) { jsonSave(b, b.TempDir(), records(b, ss)) })
	b.Run("impl=juju", func(b *testing.B) { jujuSaveFresh(b, b.TempDir(), ss) })
}

// BenchmarkSaveMerge changes one cookie and saves to a file that already
// holds the 100,000 cookies, which a saver sharing the file with other
// processes must read and merge. impl=json rewrites the file without
// reading it, for reference.
func BenchmarkSaveMerge(b *testing.B) {
	now := time.Now()
	ss := persistSites(now)
	updates := updatesFor(ss, now)
	b.Run("impl=ours", func(b *testing.B) { ourSaveMerge(b, b.TempDir(), ss, updates) })
	b.Run("impl=json", func(b *testing.B) { jsonSave(b, b.TempDir(), records(b, ss)) })
	b.Run("impl=juju", func(b *testing.B) { jujuSaveMerge(b, b.TempDir(), ss, updates) })
}

// BenchmarkLoad reads a file of 100,000 cookies.
func BenchmarkLoad(b *testing.B) {
	now := time.Now()
	ss := persistSites(now)
	b.Run("impl=ours", func(b *testing.B) { ourLoad(b, b.TempDir(), ss) })
	b.Run("impl=json", func(b *testing.B) { jsonLoad(b, b.TempDir(), records(b, ss)) })
	b.Run("impl=juju", func(b *testing.B) { jujuLoad(b, b.TempDir(), ss) })
}
