package redisstore_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/httpsession/httpsession"
	"github.com/httpsession/httpsession/internal/redistest"
	"github.com/httpsession/httpsession/redisstore"
	"github.com/redis/go-redis/v9"
)

// readmeACL is the ACL rule the README recommends for the session key
// "crawler:session"; the test proves it is enough, and no more.
const readmeACL = "on >worker-pw ~{crawler:session}* &{crawler:session}* +get +set +watch +multi +exec +pexpire +pttl +del +eval +evalsha +time +subscribe +publish +ping"

func TestACLUser(t *testing.T) {
	srv := redistest.Start(t)
	ctx := context.Background()
	admin := srv.Client(t)
	if err := admin.Do(ctx, append([]any{"ACL", "SETUSER", "httpsession-worker"}, toAny(strings.Fields(readmeACL))...)...).Err(); err != nil {
		t.Fatal(err)
	}
	opts := srv.Options()
	opts.Username, opts.Password = "httpsession-worker", "worker-pw"
	rdb := redis.NewClient(opts)
	defer rdb.Close()

	st := redisstore.New(rdb, "crawler:session")
	jar := httpsession.NewJar(nil)
	if err := httpsession.SaveSession(st, jar, &httpsession.Token{AccessToken: "at"}, nil); err != nil {
		t.Fatalf("SaveSession as the ACL user: %v", err)
	}
	if _, err := httpsession.LoadSession(st, jar); err != nil {
		t.Fatalf("LoadSession as the ACL user: %v", err)
	}
	unlock, err := st.LockRefresh(ctx)
	if err != nil {
		t.Fatalf("LockRefresh as the ACL user: %v", err)
	}
	// A waiter subscribes to the release channel.
	wctx, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
	defer cancel()
	if _, err := redisstore.New(rdb, "crawler:session").LockRefresh(wctx); err != context.DeadlineExceeded {
		t.Errorf("a waiter as the ACL user: %v, want DeadlineExceeded", err)
	}
	unlock()
	// The pacing script reads the server's clock: the rule must allow it.
	if _, release, err := st.ReservePace(ctx, "https://api.example", httpsession.PaceRequest{Interval: time.Millisecond, Remaining: -1, Max: time.Second}); err != nil {
		t.Errorf("ReservePace as the ACL user: %v", err)
	} else if release != nil {
		release()
	}

	other := redisstore.New(rdb, "other:session")
	if _, err := other.Load(); err == nil || !strings.Contains(err.Error(), "NOPERM") {
		t.Errorf("Load of another session's key as the ACL user = %v, want NOPERM", err)
	}
}

func toAny(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}
