package redisstore_test

import (
	"bytes"
	"context"
	"errors"
	"net/url"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/httpsession/httpsession"
	"github.com/httpsession/httpsession/internal/limits"
	"github.com/httpsession/httpsession/internal/redistest"
	"github.com/httpsession/httpsession/internal/storetest"
	"github.com/httpsession/httpsession/redisstore"
)

func TestKeys(t *testing.T) {
	tests := []struct {
		key, doc, lease string
	}{
		{"app:session", "{app:session}", "{app:session}:refresh"},
		{"app:{alice}:session", "app:{alice}:session", "app:{alice}:session:refresh"},
		{"{}empty-tag", "{{}empty-tag}", "{{}empty-tag}:refresh"},
		{"", "{}", "{}:refresh"},
	}
	srv := redistest.Start(t)
	rdb := srv.Client(t)
	for _, tt := range tests {
		if tt.key == "" {
			continue // only for Key: Redis takes any key, but no lease test
		}
		st := redisstore.New(rdb, tt.key)
		if got := st.Key(); got != tt.doc {
			t.Errorf("New(%q).Key() = %q, want %q", tt.key, got, tt.doc)
		}
		unlock, err := st.LockRefresh(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if n, err := rdb.Exists(context.Background(), tt.lease).Result(); n != 1 || err != nil {
			t.Errorf("New(%q): lease key %q exists = %d, %v, want 1", tt.key, tt.lease, n, err)
		}
		unlock()
		if n, _ := rdb.Exists(context.Background(), tt.lease).Result(); n != 0 {
			t.Errorf("New(%q): lease key %q still exists after unlock", tt.key, tt.lease)
		}
	}
}

// TestUpdateRetriesOnConflict: another writer changes the document while
// fn runs; the transaction is refused, fn runs again on the new document,
// and only its second result is stored.
func TestUpdateRetriesOnConflict(t *testing.T) {
	srv := redistest.Start(t)
	st := redisstore.New(srv.Client(t), "retry")
	other := redisstore.New(srv.Client(t), "retry")
	var saw []string
	err := st.Update(func(cur []byte) ([]byte, error) {
		saw = append(saw, string(cur))
		if len(saw) == 1 {
			if err := other.Update(func([]byte) ([]byte, error) { return []byte("theirs"), nil }); err != nil {
				return nil, err
			}
		}
		return append(cur, "+ours"...), nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"", "theirs"}, saw); diff != "" {
		t.Errorf("fn saw (-want +got):\n%s", diff)
	}
	if got, _ := st.Load(); string(got) != "theirs+ours" {
		t.Errorf("stored %q, want %q", got, "theirs+ours")
	}
}

// TestSameDocumentAsFile: the same session saved to a file and to Redis
// gives the same bytes, secrets included.
func TestSameDocumentAsFile(t *testing.T) {
	srv := redistest.Start(t)
	clock := storetest.NewClock(time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC))
	jar := jarAt(clock.Now, nil)
	jar.SetCookieHeaders(&url.URL{Scheme: "https", Host: "shop.example", Path: "/"},
		[]string{"sid=s3cret; Secure; HttpOnly", "pref=dark; Max-Age=3600"})
	tok := &httpsession.Token{AccessToken: "at-secret", RefreshToken: "rt-secret", Expiry: clock.Now().Add(time.Hour)}
	var o *httpsession.SessionOptions

	fst := httpsession.NewFileStore(nil, filepath.Join(t.TempDir(), "session.json"))
	rst := redisstore.New(srv.Client(t), "same")
	for _, st := range []httpsession.Store{fst, rst} {
		if err := httpsession.SaveSession(st, jar, tok, o); err != nil {
			t.Fatal(err)
		}
	}
	file, _ := fst.Load()
	doc, err := rst.Load()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(file, doc) {
		t.Errorf("the Redis document differs from the file:\nfile:  %s\nredis: %s", file, doc)
	}
}

// TestUnavailable: with Redis down, Load and Update fail with an error
// that says so and matches ErrUnavailable, without the password of the
// URL; EmptyWhenUnavailable makes Load start empty instead.
func TestUnavailable(t *testing.T) {
	srv := redistest.Start(t)
	addr := srv.Addr
	srv.Kill()
	const password = "pw-Zq8xV"
	st, err := redisstore.OpenURL("redis://worker:"+password+"@"+addr+"/0?dial_timeout=200ms&max_retries=-1", "down")
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	tests := []struct {
		op  string
		run func() error
	}{
		{"load", func() error { _, err := st.Load(); return err }},
		{"update", func() error { return st.Update(func(b []byte) ([]byte, error) { return []byte("x"), nil }) }},
		{"lock refresh", func() error { _, err := st.LockRefresh(context.Background()); return err }},
	}
	for _, tt := range tests {
		err := tt.run()
		var re *redisstore.Error
		if !errors.Is(err, redisstore.ErrUnavailable) || !errors.As(err, &re) || re.Op != tt.op {
			t.Errorf("%s with Redis down: %v, want an *Error for %q matching ErrUnavailable", tt.op, err, tt.op)
			continue
		}
		if msg := err.Error(); !strings.Contains(msg, "redis unavailable") || strings.Contains(msg, password) {
			t.Errorf("%s error %q: want it to say %q and not hold the password", tt.op, msg, "redis unavailable")
		}
	}

	st.EmptyWhenUnavailable = true
	if b, err := st.Load(); b != nil || err != nil {
		t.Errorf("Load() with EmptyWhenUnavailable = %q, %v, want nil, nil", b, err)
	}
}

func TestOpenURLRedactsPassword(t *testing.T) {
	const password = "pw-Zq8xV"
	for _, raw := range []string{
		"redis://user:" + password + "@127.0.0.1:notaport/0",
		"redis://user:" + password + "@127.0.0.1:6379/notadb",
		"ftp://user:" + password + "@127.0.0.1/",
		"redis://user:" + password + "@127.0.0.1:6379/0%zz",
	} {
		_, err := redisstore.OpenURL(raw, "k")
		if err == nil {
			t.Errorf("OpenURL(bad URL) = nil error")
			continue
		}
		if strings.Contains(err.Error(), password) {
			t.Errorf("OpenURL error %q holds the password", err)
		}
	}
}

func TestLoadTooLarge(t *testing.T) {
	srv := redistest.Start(t)
	rdb := srv.Client(t)
	st := redisstore.New(rdb, "big")
	if err := rdb.Set(context.Background(), st.Key(), make([]byte, limits.MaxSessionSize+1), 0).Err(); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Load(); !errors.Is(err, httpsession.ErrCorruptSession) {
		t.Errorf("Load() of an oversized document = %v, want ErrCorruptSession", err)
	}
	called := false
	err := st.Update(func([]byte) ([]byte, error) { called = true; return []byte("x"), nil })
	if !errors.Is(err, httpsession.ErrCorruptSession) || called {
		t.Errorf("Update() of an oversized document = %v (fn called: %v), want ErrCorruptSession without fn", err, called)
	}
}

// TestLeaseExcludes: many workers take the lease in turn; no two hold it
// at once.
func TestLeaseExcludes(t *testing.T) {
	srv := redistest.Start(t)
	const workers, rounds = 6, 5
	var holders, max, total atomic.Int64
	done := make(chan error, workers)
	for range workers {
		go func() {
			st := redisstore.New(srv.Client(t), "excl")
			for range rounds {
				unlock, err := st.LockRefresh(context.Background())
				if err != nil {
					done <- err
					return
				}
				n := holders.Add(1)
				if n > max.Load() {
					max.Store(n)
				}
				total.Add(1)
				time.Sleep(time.Millisecond) // hold it a moment: overlaps show
				holders.Add(-1)
				unlock()
				unlock() // harmless
			}
			done <- nil
		}()
	}
	for range workers {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
	if max.Load() != 1 || total.Load() != workers*rounds {
		t.Errorf("at most %d holders at once over %d turns, want 1 over %d", max.Load(), total.Load(), workers*rounds)
	}
}

// TestLeaseWait: a waiter honours its context, takes over a lease whose
// holder died when it expires, and an unlock never removes a lease that is
// no longer its own.
func TestLeaseWait(t *testing.T) {
	srv := redistest.Start(t)
	rdb := srv.Client(t)
	ctx := context.Background()

	t.Run("ctx ends the wait", func(t *testing.T) {
		st := redisstore.New(rdb, "wait-ctx")
		unlock, err := st.LockRefresh(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer unlock()
		cctx, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
		defer cancel()
		start := time.Now()
		_, err = redisstore.New(rdb, "wait-ctx").LockRefresh(cctx)
		if !errors.Is(err, context.DeadlineExceeded) || time.Since(start) > 2*time.Second {
			t.Errorf("LockRefresh while held = %v after %v, want DeadlineExceeded after 100ms", err, time.Since(start))
		}
	})

	t.Run("dead holder's lease expires", func(t *testing.T) {
		st := redisstore.New(rdb, "wait-dead")
		// A holder that died: a lease nobody renews or releases.
		if err := rdb.Set(ctx, "{wait-dead}:refresh", "dead", 300*time.Millisecond).Err(); err != nil {
			t.Fatal(err)
		}
		cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		start := time.Now()
		unlock, err := st.LockRefresh(cctx)
		if err != nil {
			t.Fatalf("LockRefresh after the dead holder's lease = %v", err)
		}
		unlock()
		if d := time.Since(start); d > 1500*time.Millisecond {
			t.Errorf("took the expired lease after %v, want about 300ms", d)
		}
	})

	t.Run("live holder renews", func(t *testing.T) {
		st := redisstore.New(rdb, "wait-renew")
		st.LeaseTTL = 150 * time.Millisecond
		unlock, err := st.LockRefresh(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer unlock()
		// The waiter gives up after several TTLs: the lease must still
		// be held.
		cctx, cancel := context.WithTimeout(ctx, 600*time.Millisecond)
		defer cancel()
		if _, err := redisstore.New(rdb, "wait-renew").LockRefresh(cctx); !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("LockRefresh while a live holder renews = %v, want DeadlineExceeded", err)
		}
	})

	t.Run("unlock spares another's lease", func(t *testing.T) {
		st := redisstore.New(rdb, "wait-steal")
		unlock, err := st.LockRefresh(ctx)
		if err != nil {
			t.Fatal(err)
		}
		// Our lease expired and another worker took it.
		if err := rdb.Set(ctx, "{wait-steal}:refresh", "theirs", time.Minute).Err(); err != nil {
			t.Fatal(err)
		}
		unlock()
		if v, _ := rdb.Get(ctx, "{wait-steal}:refresh").Result(); v != "theirs" {
			t.Errorf("lease after a stale unlock = %q, want %q", v, "theirs")
		}
	})
}

// TestLeaseHandoff measures how long a waiter takes to get the lease after
// its release: with Pub/Sub and with polling.
func TestLeaseHandoff(t *testing.T) {
	srv := redistest.Start(t)
	tests := []struct {
		name  string
		setup func(*redisstore.Store)
		limit time.Duration
	}{
		{"pubsub", func(*redisstore.Store) {}, 100 * time.Millisecond},
		{"poll 100ms", func(s *redisstore.Store) { s.NoPubSub = true; s.PollInterval = 100 * time.Millisecond }, 300 * time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := handoff(t, srv, tt.setup, 5)
			t.Logf("median handoff %v", d)
			if d > tt.limit {
				t.Errorf("median handoff %v, want at most %v", d, tt.limit)
			}
		})
	}
}

// handoff returns the median time from a release to the waiter holding
// the lease, over n turns.
func handoff(t testing.TB, srv *redistest.Server, setup func(*redisstore.Store), n int) time.Duration {
	ctx := context.Background()
	holder := redisstore.New(srv.Client(t), "handoff")
	waiter := redisstore.New(srv.Client(t), "handoff")
	setup(waiter)
	var ds []time.Duration
	for range n {
		unlock, err := holder.LockRefresh(ctx)
		if err != nil {
			t.Fatal(err)
		}
		got := make(chan time.Time, 1)
		go func() {
			u, err := waiter.LockRefresh(ctx)
			at := time.Now()
			if err == nil {
				u()
			}
			got <- at // after the unlock: the next turn starts free
		}()
		time.Sleep(20 * time.Millisecond) // let the waiter start waiting
		released := time.Now()
		unlock()
		ds = append(ds, (<-got).Sub(released))
	}
	slices.Sort(ds)
	return ds[len(ds)/2]
}

// TestLeaseForeignKey: a lease key without a TTL (set by hand, not by a
// Store) makes waiters poll, not spin, until it goes.
func TestLeaseForeignKey(t *testing.T) {
	srv := redistest.Start(t)
	rdb := srv.Client(t)
	ctx := context.Background()
	if err := rdb.Set(ctx, "{foreign}:refresh", "by hand", 0).Err(); err != nil {
		t.Fatal(err)
	}
	st := redisstore.New(rdb, "foreign")
	st.PollInterval = 50 * time.Millisecond
	before := commands(t, rdb)
	cctx, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
	defer cancel()
	if _, err := st.LockRefresh(cctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("LockRefresh = %v, want DeadlineExceeded", err)
	}
	// About three commands (SET NX, PTTL, …) per 50ms poll, not thousands.
	if n := commands(t, rdb) - before; n > 60 {
		t.Errorf("a 300ms wait sent %d commands, want a poll every 50ms", n)
	}
}

// jarAt returns a jar on the clock now, as a Client with Options.Now has
// one (the only way to give a jar a clock of its own).
func jarAt(now func() time.Time, o *httpsession.JarOptions) *httpsession.Jar {
	c, err := httpsession.New(httpsession.Options{Now: now, Jar: o})
	if err != nil {
		panic(err)
	}
	return c.Jar()
}
