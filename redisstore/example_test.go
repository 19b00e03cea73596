package redisstore_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"sync"

	"github.com/httpsession/httpsession"
	"github.com/httpsession/httpsession/oauth"
	"github.com/httpsession/httpsession/redisstore"
	"github.com/redis/go-redis/v9"
)

// A worker pool whose workers, on any number of machines, act as one
// logged-in user: each process opens a Client on the same Redis key, its
// goroutines share that Client, and saves merge with what the other
// processes saved. (Not run: it needs a Redis server and an API.)
func Example_workerPool() {
	rdb := redis.NewClient(&redis.Options{
		Addr:     "redis.internal:6379",
		Username: "httpsession-worker", // an ACL user allowed only ~{crawler:session}*
		Password: os.Getenv("REDIS_PASSWORD"),
		// TLSConfig: &tls.Config{...} for a server off this host.
	})
	defer rdb.Close()

	c, err := httpsession.New(httpsession.Options{
		Store: redisstore.New(rdb, "crawler:session"),
		Auth: &oauth.Credentials{
			TokenURL: "https://auth.example.com/oauth/token",
			ClientID: "crawler",
			Username: "crawler@example.com",
			Password: os.Getenv("API_PASSWORD"),
		},
		AuthOrigins: []string{"https://api.example.com"},
	})
	if err != nil {
		log.Fatal(err) // Redis unreachable: *redisstore.Error matching redisstore.ErrUnavailable
	}
	defer func() {
		if err := c.Close(); err != nil { // the final save, merged with the other workers'
			log.Print(err)
		}
	}()

	jobs := make(chan string)
	var wg sync.WaitGroup
	for range 16 {
		wg.Go(func() {
			for u := range jobs {
				resp, err := c.Get(context.Background(), u)
				if err != nil {
					log.Print(err)
					continue
				}
				resp.Body.Close()
				fmt.Println(u, resp.Status)
			}
		})
	}
	for i := range 1000 {
		jobs <- fmt.Sprintf("https://api.example.com/v1/items/%d", i)
	}
	close(jobs)
	wg.Wait()
}

// New takes any go-redis client: a single server, Sentinel (a failover
// client) or Cluster, Redis or Valkey. The session's keys share a hash
// tag, so they land in one Cluster slot.
func ExampleNew() {
	// Several addresses make a Cluster client; a MasterName, Sentinel.
	rdb := redis.NewUniversalClient(&redis.UniversalOptions{Addrs: []string{"localhost:6379"}})
	defer rdb.Close()
	st := redisstore.New(rdb, "app:session") // no I/O yet
	fmt.Println(st.Key())
	// Output: {app:session}
}
