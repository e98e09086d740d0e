package pgstore_test

import (
	"context"
	"fmt"
	"log"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/bulwark-go/bulwark/session"
	"github.com/bulwark-go/bulwark/session/pgstore"
)

// This example needs a PostgreSQL server, so it is compiled but not run.
func Example() {
	ctx := context.Background()
	pool, err := pgxpool.New(ctx, "postgres://app@127.0.0.1:5432/app")
	if err != nil {
		log.Fatal(err)
	}
	defer pool.Close()
	st, err := pgstore.New(ctx, pool, pgstore.Config{Table: "sessions"})
	if err != nil {
		log.Fatal(err)
	}
	defer st.Close()

	// Normally session.Manager drives the store; here we call it directly.
	key := "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
	v, err := st.Commit(ctx, key, session.Record{UserID: "alice", Expiry: time.Now().Add(time.Hour)})
	fmt.Println(v, err)
	n, err := st.DeleteUserSessions(ctx, "alice", "")
	fmt.Println(n, err)
}
