package bench

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"testing"
	"time"

	"github.com/httpsession/httpsession"
	"github.com/httpsession/httpsession/internal/redistest"
	"github.com/httpsession/httpsession/redisstore"
	"github.com/redis/go-redis/v9"
)

// storeSize is how many cookies the store benchmarks save and load: 10
// cookies for each of 300 sites, a jar at its default limit.
const storeSize = 3000

// storeImpls are the stores compared: the session file on the local disk
// and Redis on loopback.
var storeImpls = []string{"file", "redis"}

// newStore returns an empty store of kind impl. The Redis server is
// started once per benchmark and shared by its sub-benchmarks.
func newStore(b *testing.B, impl string, srv func() *redistest.Server) httpsession.Store {
	switch impl {
	case "file":
		return httpsession.NewFileStore(nil, filepath.Join(b.TempDir(), "session.json"))
	case "redis":
		rdb := redis.NewClient(&redis.Options{Addr: srv().Addr})
		b.Cleanup(func() { rdb.Close() })
		return redisstore.New(rdb, fmt.Sprintf("bench:%s:%d", b.Name(), time.Now().UnixNano()))
	}
	b.Fatalf("no store %q", impl)
	return nil
}

// lazyRedis starts a redis-server the first time it is asked for.
func lazyRedis(b *testing.B) func() *redistest.Server {
	var srv *redistest.Server
	return func() *redistest.Server {
		if srv == nil {
			srv = redistest.Start(b)
		}
		return srv
	}
}

// fullJar returns a jar holding storeSize cookies, saved to st.
func fullJar(b *testing.B, st httpsession.Store) (*httpsession.Jar, []site) {
	now := time.Now()
	ss := sites(storeSize/cookiesPerSite, cookiesPerSite, now)
	j := httpsession.NewJar(nil)
	fill(j, ss)
	if n := len(j.All()); n != storeSize {
		b.Fatalf("jar holds %d cookies, want %d", n, storeSize)
	}
	if err := httpsession.SaveSession(st, j, nil, nil); err != nil {
		b.Fatal(err)
	}
	return j, ss
}

// BenchmarkStoreSave changes one cookie of a 3,000-cookie session and
// merge-saves it to a store that holds the session: read, merge, encode,
// write (file: temporary file, fsync, rename, under flock; Redis: WATCH,
// GET, MULTI/SET/EXEC).
func BenchmarkStoreSave(b *testing.B) {
	srv := lazyRedis(b)
	for _, impl := range storeImpls {
		b.Run("impl="+impl, func(b *testing.B) {
			st := newStore(b, impl, srv)
			j, ss := fullJar(b, st)
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				s := ss[i%len(ss)]
				c := *s.cookies[0]
				c.Value = fmt.Sprintf("%032d", i)
				j.SetCookies(s.url, []*http.Cookie{&c})
				if err := httpsession.SaveSession(st, j, nil, nil); err != nil {
					b.Fatal(err)
				}
				i++
			}
		})
	}
}

// BenchmarkStoreLoad loads a 3,000-cookie session from the store into a
// new jar.
func BenchmarkStoreLoad(b *testing.B) {
	srv := lazyRedis(b)
	for _, impl := range storeImpls {
		b.Run("impl="+impl, func(b *testing.B) {
			st := newStore(b, impl, srv)
			fullJar(b, st)
			b.ReportAllocs()
			var j *httpsession.Jar
			for b.Loop() {
				j = httpsession.NewJar(nil)
				if _, err := httpsession.LoadSession(st, j); err != nil {
					b.Fatal(err)
				}
			}
			// Checked once, outside the timed loop.
			if n := len(j.All()); n != storeSize {
				b.Fatalf("loaded %d cookies, want %d", n, storeSize)
			}
		})
	}
}

// storeClientCase is the GET of BenchmarkClientGET (five cookies sent, the
// session cookie renewed, a cached bearer token) through a Client whose
// session is kept in the store impl.
func storeClientCase(b *testing.B, srv *httptest.Server, impl string, redisSrv func() *redistest.Server) clientCase {
	st := newStore(b, impl, redisSrv)
	c, err := httpsession.New(httpsession.Options{
		Store:       st,
		Transport:   newTransport(b),
		Auth:        staticToken(),
		AuthOrigins: []string{srv.URL},
	})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { c.Close() })
	u, _ := url.Parse(srv.URL)
	c.Jar().SetCookies(u, sessionCookies)
	checkCookieHeader(b, c.Jar(), u)
	return clientCase{c.HTTPClient(), srv.URL, nil}
}

// BenchmarkClientStore is BenchmarkClientGET's request through a Client
// on the session file and on Redis: the request path must not touch the
// store.
func BenchmarkClientStore(b *testing.B) {
	srv := newServer(b, true)
	redisSrv := lazyRedis(b)
	for _, impl := range storeImpls {
		b.Run("impl="+impl, func(b *testing.B) { storeClientCase(b, srv, impl, redisSrv).loop(b) })
	}
}

// BenchmarkClientStorePaired sends the requests of BenchmarkClientStore
// alternately, as BenchmarkClientPaired does, and reports the ratio of the
// median times, Redis over file.
func BenchmarkClientStorePaired(b *testing.B) {
	srv := newServer(b, true)
	redisSrv := lazyRedis(b)
	b.Run("pair=redis-vs-file", func(b *testing.B) {
		paired(b, storeClientCase(b, srv, "redis", redisSrv), storeClientCase(b, srv, "file", redisSrv))
	})
}
