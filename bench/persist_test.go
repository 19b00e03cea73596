package bench

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/httpsession/httpsession"
	juju "github.com/juju/persistent-cookiejar"
	"golang.org/x/net/publicsuffix"
)

// persistSizes are how many cookies the persistence benchmarks save and
// load: a jar at its default limit (10 cookies for each of 300 sites) and
// a big one (10,000 sites).
var persistSizes = []int{3000, 100_000}

func persistSites(n int, now time.Time) []site {
	return sites(n/cookiesPerSite, cookiesPerSite, now)
}

// forPersistSizes runs f as a sub-benchmark cookies=N for each size.
func forPersistSizes(b *testing.B, f func(b *testing.B, ss []site, now time.Time)) {
	for _, n := range persistSizes {
		b.Run(fmt.Sprintf("cookies=%d", n), func(b *testing.B) {
			now := time.Now()
			f(b, persistSites(n, now), now)
		})
	}
}

// cookieCount is how many cookies ss holds.
func cookieCount(ss []site) int { return len(ss) * cookiesPerSite }

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
	for l := newCPULoop(b); l.next(); {
		b.StopTimer()
		os.Remove(path)
		b.StartTimer()
		if err := j.Save(); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(fileSize(b, path))/float64(cookieCount(ss)), "disk-B/cookie")
}

// jujuSaveUnchanged saves a persistent-cookiejar that changed nothing
// since its last save to the file that save wrote.
func jujuSaveUnchanged(b *testing.B, dir string, ss []site) {
	path := filepath.Join(dir, "juju.json")
	j := newJujuJar(b, path)
	fill(j, ss)
	if err := j.Save(); err != nil {
		b.Fatal(err)
	}
	for l := newCPULoop(b); l.next(); {
		if err := j.Save(); err != nil {
			b.Fatal(err)
		}
	}
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
	for l := newCPULoop(b); l.next(); {
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
	if got, want := len(newJujuJar(b, path).AllCookies()), cookieCount(ss); got != want {
		b.Fatalf("loaded %d cookies, want %d", got, want)
	}
	for l := newCPULoop(b); l.next(); {
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
	return httpsession.NewJar(&httpsession.JarOptions{MaxCookies: 2 * persistSizes[len(persistSizes)-1], MaxCookiesPerDomain: cookiesPerSite})
}

// records returns the records the session file holds: every cookie of the
// jar with all its attributes.
func records(b *testing.B, ss []site) []httpsession.Cookie {
	rs := ourJar(ss).All()
	if want := cookieCount(ss); len(rs) != want {
		b.Fatalf("jar holds %d cookies, want %d", len(rs), want)
	}
	return rs
}

func ourSaveFresh(b *testing.B, dir string, ss []site) {
	path := filepath.Join(dir, "session.json")
	j := ourJar(ss)
	st := httpsession.NewFileStore(nil, path)
	for l := newCPULoop(b); l.next(); {
		b.StopTimer()
		os.Remove(path)
		b.StartTimer()
		if err := httpsession.SaveSession(st, j, nil, nil); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(fileSize(b, path))/float64(cookieCount(ss)), "disk-B/cookie")
}

// ourSaveUnchanged saves a jar that changed nothing since it was saved to
// the file that save wrote.
func ourSaveUnchanged(b *testing.B, dir string, ss []site) {
	path := filepath.Join(dir, "session.json")
	j := ourJar(ss)
	st := httpsession.NewFileStore(nil, path)
	if err := httpsession.SaveSession(st, j, nil, nil); err != nil {
		b.Fatal(err)
	}
	for l := newCPULoop(b); l.next(); {
		if err := httpsession.SaveSession(st, j, nil, nil); err != nil {
			b.Fatal(err)
		}
	}
}

func ourSaveMerge(b *testing.B, dir string, ss []site, updates [][]*http.Cookie) {
	path := filepath.Join(dir, "session.json")
	j := ourJar(ss)
	st := httpsession.NewFileStore(nil, path)
	if err := httpsession.SaveSession(st, j, nil, nil); err != nil {
		b.Fatal(err)
	}
	i := 0
	for l := newCPULoop(b); l.next(); {
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
	if got, want := len(check.All()), cookieCount(ss); got != want {
		b.Fatalf("loaded %d cookies, want %d", got, want)
	}
	check = nil
	// The live heap a loaded jar takes, per cookie.
	before := heapInUse()
	check = newOurJar()
	if _, err := httpsession.LoadSession(st, check); err != nil {
		b.Fatal(err)
	}
	after := heapInUse()
	runtime.KeepAlive(check)
	heap := float64(int64(after)-int64(before)) / float64(cookieCount(ss))
	check = nil
	for l := newCPULoop(b); l.next(); {
		j := newOurJar()
		if _, err := httpsession.LoadSession(st, j); err != nil {
			b.Fatal(err)
		}
		sinkJar = j
	}
	b.ReportMetric(heap, "heap-B/cookie")
}

var sinkJar *httpsession.Jar

func jsonSave(b *testing.B, dir string, records []httpsession.Cookie) {
	path := filepath.Join(dir, "plain.json")
	for l := newCPULoop(b); l.next(); {
		if err := writeAtomic(path, records); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(fileSize(b, path))/float64(len(records)), "disk-B/cookie")
}

func jsonLoad[T any](b *testing.B, dir string, records []T) {
	path := filepath.Join(dir, "plain.json")
	if err := writeAtomic(path, records); err != nil {
		b.Fatal(err)
	}
	for l := newCPULoop(b); l.next(); {
		var got []T
		if err := readJSON(path, &got); err != nil {
			b.Fatal(err)
		}
		if len(got) != len(records) {
			b.Fatalf("loaded %d records, want %d", len(got), len(records))
		}
	}
}

// BenchmarkSave writes N cookies to a new file. disk-B/cookie is the
// file's size per cookie.
func BenchmarkSave(b *testing.B) {
	forPersistSizes(b, func(b *testing.B, ss []site, now time.Time) {
		b.Run("impl=ours", func(b *testing.B) { ourSaveFresh(b, b.TempDir(), ss) })
		b.Run("impl=json", func(b *testing.B) { jsonSave(b, b.TempDir(), records(b, ss)) })
		b.Run("impl=juju", func(b *testing.B) { jujuSaveFresh(b, b.TempDir(), ss) })
	})
}

// BenchmarkSaveMerge changes one cookie and saves to a file that already
// holds the N cookies, which a saver sharing the file with other
// processes must read and merge. impl=json rewrites the file without
// reading it, for reference.
func BenchmarkSaveMerge(b *testing.B) {
	forPersistSizes(b, func(b *testing.B, ss []site, now time.Time) {
		updates := updatesFor(ss, now)
		b.Run("impl=ours", func(b *testing.B) { ourSaveMerge(b, b.TempDir(), ss, updates) })
		b.Run("impl=json", func(b *testing.B) { jsonSave(b, b.TempDir(), records(b, ss)) })
		b.Run("impl=juju", func(b *testing.B) { jujuSaveMerge(b, b.TempDir(), ss, updates) })
	})
}

// BenchmarkSaveUnchanged saves a jar that changed nothing since its last
// save, to the file that save wrote: the common case of a program that
// saves on exit. impl=json rewrites the file, for reference.
func BenchmarkSaveUnchanged(b *testing.B) {
	forPersistSizes(b, func(b *testing.B, ss []site, now time.Time) {
		b.Run("impl=ours", func(b *testing.B) { ourSaveUnchanged(b, b.TempDir(), ss) })
		b.Run("impl=json", func(b *testing.B) { jsonSave(b, b.TempDir(), records(b, ss)) })
		b.Run("impl=juju", func(b *testing.B) { jujuSaveUnchanged(b, b.TempDir(), ss) })
	})
}

// BenchmarkLoad reads a file of N cookies. heap-B/cookie is the live heap
// of the loaded jar per cookie.
func BenchmarkLoad(b *testing.B) {
	forPersistSizes(b, func(b *testing.B, ss []site, now time.Time) {
		b.Run("impl=ours", func(b *testing.B) { ourLoad(b, b.TempDir(), ss) })
		b.Run("impl=json", func(b *testing.B) { jsonLoad(b, b.TempDir(), records(b, ss)) })
		b.Run("impl=juju", func(b *testing.B) { jujuLoad(b, b.TempDir(), ss) })
	})
}

// A cpuLoop is b.Loop that also reports cpu-ns/op, the CPU time the
// process spent per op (garbage collection included), which other
// programs on a busy machine disturb much less than wall time.
type cpuLoop struct {
	b     *testing.B
	n     int
	start time.Duration
}

func newCPULoop(b *testing.B) *cpuLoop { return &cpuLoop{b: b} }

func (l *cpuLoop) next() bool {
	if !l.b.Loop() {
		if l.n > 0 {
			l.b.ReportMetric(float64(processCPU(l.b)-l.start)/float64(l.n), "cpu-ns/op")
		}
		return false
	}
	if l.n == 0 {
		l.start = processCPU(l.b)
	}
	l.n++
	return true
}
