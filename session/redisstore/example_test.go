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
