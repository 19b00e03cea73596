package bench

import (
	"fmt"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/httpsession/httpsession"
	juju "github.com/juju/persistent-cookiejar"
	"golang.org/x/net/publicsuffix"
)

// jarImpl builds an empty jar able to hold at least capacity cookies in total
// and perDomain cookies for one registrable domain.
type jarImpl struct {
	name string
	new  func(capacity, perDomain int) cookieJar
}

var jarImpls = []jarImpl{
	{"ours", func(capacity, perDomain int) cookieJar {
		return httpsession.NewJar(&httpsession.JarOptions{
			MaxCookies:          capacity,
			MaxCookiesPerDomain: perDomain,
		})
	}},
	{"stdlib", func(int, int) cookieJar {
		j, err := cookiejar.New(&cookiejar.Options{PublicSuffixList: publicsuffix.List})
		if err != nil {
			panic(err)
		}
		return j
	}},
	{"juju", func(int, int) cookieJar {
		j, err := juju.New(&juju.Options{PublicSuffixList: publicsuffix.List, NoPersist: true})
		if err != nil {
			panic(err)
		}
		return j
	}},
}

// BenchmarkJarCookiesOneHost asks for the cookies of a host that holds 1,000
// cookies on its own domain: every one of them matches.
func BenchmarkJarCookiesOneHost(b *testing.B) {
	const n = 1000
	ss := sites(1, n, time.Now())
	for _, impl := range jarImpls {
		b.Run("impl="+impl.name, func(b *testing.B) {
			j := impl.new(n, n)
			fill(j, ss)
			if got := len(j.Cookies(ss[0].url)); got != n {
				b.Fatalf("Cookies returned %d cookies, want %d", got, n)
			}
			b.ReportAllocs()
			for b.Loop() {
				sinkCookies = j.Cookies(ss[0].url)
			}
		})
	}
}

var sinkCookies []*http.Cookie

// jarSizes are the total jar sizes, 10 cookies per registrable domain: the
// cost of one Cookies or SetCookies call should not depend on them.
var jarSizes = []int{10_000, 100_000}

const cookiesPerSite = 10

// mapImpl is the least a jar can do: each host's cookies in one slice of a
// map, no rule applied at all. It is no usable jar, but the floor of what
// a lookup costs in memory traffic: it shows how much of the difference
// between a small and a big jar comes from the machine's caches.
var mapImpl = jarImpl{"map", func(int, int) cookieJar { return &mapJar{m: map[string][]http.Cookie{}} }}

type mapJar struct {
	mu sync.RWMutex
	m  map[string][]http.Cookie
}

func (j *mapJar) SetCookies(u *url.URL, cookies []*http.Cookie) {
	j.mu.Lock()
	defer j.mu.Unlock()
	list := j.m[u.Host]
next:
	for _, c := range cookies {
		for i := range list {
			if list[i].Name == c.Name {
				list[i] = *c
				continue next
			}
		}
		list = append(list, *c)
	}
	j.m[u.Host] = list
}

func (j *mapJar) Cookies(u *url.URL) []*http.Cookie {
	j.mu.RLock()
	defer j.mu.RUnlock()
	list := j.m[u.Host]
	store := make([]http.Cookie, len(list))
	out := make([]*http.Cookie, len(list))
	for i := range list {
		store[i] = http.Cookie{Name: list[i].Name, Value: list[i].Value}
		out[i] = &store[i]
	}
	return out
}

// BenchmarkJarCookiesBig asks for the cookies of one site (10 cookies) in a
// jar that holds cookies for many sites, a different site each time. The
// plain map (mapImpl) runs too, as the floor.
func BenchmarkJarCookiesBig(b *testing.B) {
	for _, size := range jarSizes {
		ss := sites(size/cookiesPerSite, cookiesPerSite, time.Now())
		for _, impl := range append(jarImpls, mapImpl) {
			b.Run(fmt.Sprintf("cookies=%d/impl=%s", size, impl.name), func(b *testing.B) {
				j := impl.new(size, cookiesPerSite)
				fill(j, ss)
				if got := len(j.Cookies(ss[len(ss)-1].url)); got != cookiesPerSite {
					b.Fatalf("Cookies returned %d cookies, want %d", got, cookiesPerSite)
				}
				b.ReportAllocs()
				i := 0
				for b.Loop() {
					sinkCookies = j.Cookies(ss[i%len(ss)].url)
					i += 7919 // hop around the jar rather than walk it in order
				}
			})
		}
	}
}

// BenchmarkJarSetCookiesBig stores one cookie (a new value for an existing
// cookie, so the jar keeps its size) for one site in a jar that holds
// cookies for many sites, a different site each time.
func BenchmarkJarSetCookiesBig(b *testing.B) {
	for _, size := range jarSizes {
		now := time.Now()
		ss := sites(size/cookiesPerSite, cookiesPerSite, now)
		updates := updatesFor(ss, now)
		for _, impl := range jarImpls {
			b.Run(fmt.Sprintf("cookies=%d/impl=%s", size, impl.name), func(b *testing.B) {
				j := impl.new(size, cookiesPerSite)
				fill(j, ss)
				b.ReportAllocs()
				i := 0
				for b.Loop() {
					k := i % len(ss)
					j.SetCookies(ss[k].url, updates[k])
					i += 7919
				}
			})
		}
	}
}

// updatesFor returns, for each site, a one-cookie Set-Cookie that replaces
// the value of one of its cookies.
func updatesFor(ss []site, now time.Time) [][]*http.Cookie {
	ups := make([][]*http.Cookie, len(ss))
	for i, s := range ss {
		c := *s.cookies[i%len(s.cookies)]
		c.Value = fmt.Sprintf("%032x", uint64(i)*0x51afd7ed558ccd)
		c.Expires = now.Add(31 * 24 * time.Hour).Truncate(time.Second)
		ups[i] = []*http.Cookie{&c}
	}
	return ups
}

// parallelGoroutines is how many goroutines BenchmarkJarParallel runs,
// whatever GOMAXPROCS is.
const parallelGoroutines = 64

// BenchmarkJarParallel runs 64 goroutines on one jar of 10,000 cookies over
// 1,000 sites. Each operation is a Cookies call, and every fourth one is
// followed by a SetCookies for the same site, as a client storing the
// Set-Cookie of one response in four would do.
func BenchmarkJarParallel(b *testing.B) {
	const size = 10_000
	now := time.Now()
	ss := sites(size/cookiesPerSite, cookiesPerSite, now)
	updates := updatesFor(ss, now)
	for _, impl := range jarImpls {
		b.Run("impl="+impl.name, func(b *testing.B) {
			j := impl.new(size, cookiesPerSite)
			fill(j, ss)
			procs := runtime.GOMAXPROCS(0)
			b.SetParallelism((parallelGoroutines + procs - 1) / procs)
			b.ReportAllocs()
			b.ResetTimer()
			var seed atomic.Int64
			b.RunParallel(func(pb *testing.PB) {
				var sink []*http.Cookie
				i := int(seed.Add(1)) * 104729
				for pb.Next() {
					k := i % len(ss)
					sink = j.Cookies(ss[k].url)
					if i%4 == 0 {
						j.SetCookies(ss[k].url, updates[k])
					}
					i += 7919
				}
				_ = sink
			})
		})
	}
}

// BenchmarkJarMemory fills an empty jar with 100,000 cookies over 10,000
// sites and reports the live heap the jar holds per cookie (B/cookie). The
// cookies are built for each fill and dropped after it, so strings a jar
// keeps from its input count as its own, as they would for cookies parsed
// from responses. ns/op is the time to fill the jar.
func BenchmarkJarMemory(b *testing.B) {
	const size = 100_000
	for _, impl := range jarImpls {
		b.Run("impl="+impl.name, func(b *testing.B) {
			var perCookie float64
			for b.Loop() {
				b.StopTimer()
				before := heapInUse()
				ss := sites(size/cookiesPerSite, cookiesPerSite, time.Now())
				b.StartTimer()
				j := impl.new(size, cookiesPerSite)
				fill(j, ss)
				b.StopTimer()
				after := heapInUse()
				runtime.KeepAlive(j)
				perCookie = float64(int64(after)-int64(before)) / size
				b.StartTimer()
			}
			b.ReportMetric(perCookie, "B/cookie")
		})
	}
}
