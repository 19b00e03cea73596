package redisstore_test

import (
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/httpsession/httpsession"
	"github.com/httpsession/httpsession/internal/redistest"
	"github.com/httpsession/httpsession/redisstore"
	"github.com/redis/go-redis/v9"
)

// cookieServer sets the cookie named by ?set= and answers with the names
// of the cookies the request carried.
func cookieServer(t *testing.T) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if name := r.URL.Query().Get("set"); name != "" {
			http.SetCookie(w, &http.Cookie{Name: name, Value: "v", MaxAge: 3600})
		}
		var names []string
		for _, c := range r.Cookies() {
			names = append(names, c.Name)
		}
		slices.Sort(names)
		fmt.Fprint(w, strings.Join(names, " "))
	}))
	t.Cleanup(srv.Close)
	return srv
}

type worker struct {
	t   *testing.T
	c   *httpsession.Client
	api string
}

func newWorker(t *testing.T, srv *redistest.Server, api, key string) *worker {
	t.Helper()
	rdb := redis.NewClient(srv.Options())
	t.Cleanup(func() { rdb.Close() })
	c, err := httpsession.New(httpsession.Options{Store: redisstore.New(rdb, key)})
	if err != nil {
		t.Fatal(err)
	}
	return &worker{t: t, c: c, api: api}
}

// set makes a request that sets the cookie name; it must succeed whatever
// Redis is doing.
func (w *worker) set(name string) {
	w.t.Helper()
	resp, err := w.c.Get(w.t.Context(), w.api+"/?set="+name)
	if err != nil {
		w.t.Fatalf("request setting %s: %v", name, err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		w.t.Fatalf("request setting %s: %s", name, resp.Status)
	}
}

func (w *worker) names() []string {
	var out []string
	for _, c := range w.c.Jar().All() {
		out = append(out, c.Name)
	}
	slices.Sort(out)
	return out
}

// storedNames loads the session at key into a new jar.
func storedNames(t *testing.T, srv *redistest.Server, key string) []string {
	t.Helper()
	jar := httpsession.NewJar(nil)
	if _, err := httpsession.LoadSession(redisstore.New(srv.Client(t), key), jar); err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, c := range jar.All() {
		out = append(out, c.Name)
	}
	slices.Sort(out)
	return out
}

// TestRedisGoesAway: Redis is killed while two workers run. Their requests
// keep working on the in-memory session, saves fail saying why, and once
// Redis is back (empty) the next saves write and merge everything.
func TestRedisGoesAway(t *testing.T) {
	srv := redistest.Start(t)
	api := cookieServer(t).URL
	const key = "goes-away"
	a := newWorker(t, srv, api, key)
	b := newWorker(t, srv, api, key)
	a.set("a1")
	if err := a.c.Save(); err != nil {
		t.Fatal(err)
	}

	srv.Kill()
	a.set("a2")
	b.set("b1")
	err := a.c.Save()
	if !errors.Is(err, redisstore.ErrUnavailable) || !strings.Contains(err.Error(), "redis unavailable") {
		t.Fatalf("Save with Redis down = %v, want an error saying redis is unavailable", err)
	}

	srv.Restart() // empty: it keeps nothing on disk
	if err := b.c.Save(); err != nil {
		t.Fatalf("Save after the restart: %v", err)
	}
	if err := a.c.Save(); err != nil {
		t.Fatalf("Save after the restart: %v", err)
	}
	want := []string{"a1", "a2", "b1"}
	if diff := cmp.Diff(want, storedNames(t, srv, key)); diff != "" {
		t.Errorf("stored cookies after the restart (-want +got):\n%s", diff)
	}
	if err := b.c.Save(); err != nil {
		t.Fatal(err)
	}
	if got := b.names(); !cmp.Equal(want, got) {
		t.Errorf("after Save, the worker's cookies = %q, want %q: it must pick up what others saved", got, want)
	}
}

// TestRedisRestartedEmpty: Redis loses the session while a worker changes
// nothing; the worker's next save writes its whole session again.
func TestRedisRestartedEmpty(t *testing.T) {
	srv := redistest.Start(t)
	api := cookieServer(t).URL
	const key = "restarted-empty"
	w := newWorker(t, srv, api, key)
	w.set("one")
	w.set("two")
	if err := w.c.Save(); err != nil {
		t.Fatal(err)
	}
	srv.Restart()
	if err := w.c.Save(); err != nil {
		t.Fatal(err)
	}
	got := storedNames(t, srv, key)
	if diff := cmp.Diff([]string{"one", "two"}, got); diff != "" {
		t.Errorf("stored cookies (-want +got):\n%s", diff)
	}
}
