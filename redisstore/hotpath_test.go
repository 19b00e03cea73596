package redisstore_test

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/httpsession/httpsession"
	"github.com/httpsession/httpsession/internal/redistest"
	"github.com/httpsession/httpsession/redisstore"
	"github.com/redis/go-redis/v9"
)

// commands returns how many commands the server has processed.
func commands(t *testing.T, admin *redis.Client) int {
	t.Helper()
	info, err := admin.Info(context.Background(), "stats").Result()
	if err != nil {
		t.Fatal(err)
	}
	for line := range strings.SplitSeq(info, "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), "total_commands_processed:"); ok {
			n, _ := strconv.Atoi(v)
			return n
		}
	}
	t.Fatal("no total_commands_processed in INFO stats")
	return 0
}

// TestHotPathSkipsRedis: requests with a cached token and cookies that
// change send no command to Redis; only Save does.
func TestHotPathSkipsRedis(t *testing.T) {
	srv := redistest.Start(t)
	api := cookieServer(t).URL
	c, err := httpsession.New(httpsession.Options{
		Store: redisstore.New(srv.Client(t), "hot"),
		Auth: httpsession.AuthFuncs{LoginFunc: func(context.Context, *http.Client) (*httpsession.Token, error) {
			return &httpsession.Token{AccessToken: "at", Expiry: time.Now().Add(time.Hour)}, nil
		}},
		AuthOrigins: []string{api},
	})
	if err != nil {
		t.Fatal(err)
	}
	w := &worker{t: t, c: c, api: api}
	w.set("first") // logs in and saves the token
	admin := srv.Client(t)
	admin.Ping(context.Background()) // connected before counting
	before := commands(t, admin)
	for i := range 50 {
		w.set("c" + strconv.Itoa(i))
	}
	// Each INFO is a command of its own.
	if n := commands(t, admin) - before - 1; n != 0 {
		t.Errorf("50 requests sent %d commands to Redis, want 0", n)
	}
	if err := c.Save(); err != nil {
		t.Fatal(err)
	}
	if n := commands(t, admin) - before - 2; n == 0 {
		t.Errorf("Save sent no command to Redis")
	}
}
