package redisstore_test

import (
	"context"
	"fmt"
	"log"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/bulwark-go/bulwark/session"
	"github.com/bulwark-go/bulwark/session/redisstore"
)

// This example needs a Redis server, so it is compiled but not run.
func Example() {
	rdb := redis.NewClient(&redis.Options{
		Addr:         "127.0.0.1:6379",
		ReadTimeout:  time.Second,
		WriteTimeout: time.Second,
		// Required: lets each request's deadline reach the socket.
		ContextTimeoutEnabled: true,
	})
	defer rdb.Close()
	st, err := redisstore.New(redisstore.Config{Client: rdb, Prefix: "myapp:session:"})
	if err != nil {
		log.Fatal(err)
	}

	// Normally session.Manager drives the store; here we call it directly.
	ctx := context.Background()
	key := "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
	v, err := st.Commit(ctx, key, session.Record{UserID: "alice", Expiry: time.Now().Add(time.Hour)})
	fmt.Println(v, err)
	n, err := st.DeleteUserSessions(ctx, "alice", "")
	fmt.Println(n, err)
}

// With Redis Sentinel, a failover client follows the master, and
// WaitReplicas: 1 makes each write wait until the replica holds it, so a
// failover does not lose a write the app acknowledged. This example needs
// the sentinels, so it is compiled but not run.
func Example_sentinel() {
	rdb := redis.NewFailoverClient(&redis.FailoverOptions{
		MasterName:    "bulwark",
		SentinelAddrs: []string{"10.0.0.1:26379", "10.0.0.2:26379", "10.0.0.3:26379"},
		ReadTimeout:   2 * time.Second, // above WaitTimeout
		// Required: lets each request's deadline reach the socket.
		ContextTimeoutEnabled: true,
	})
	defer rdb.Close()
	st, err := redisstore.New(redisstore.Config{
		Client:       rdb,
		Prefix:       "myapp:session:",
		WaitReplicas: 1,
		WaitTimeout:  500 * time.Millisecond,
	})
	if err != nil {
		log.Fatal(err)
	}
	mgr, err := session.New(session.Config{Store: st})
	if err != nil {
		log.Fatal(err)
	}
	// A write too few replicas acknowledged makes mgr answer 503.
	_ = mgr
}
