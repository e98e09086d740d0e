package sqlitestore_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/bulwark-go/bulwark/session"
	"github.com/bulwark-go/bulwark/session/sqlitestore"
)

func Example() {
	dir, err := os.MkdirTemp("", "sqlitestore-example")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(dir)

	ctx := context.Background()
	st, err := sqlitestore.New(ctx, sqlitestore.Config{Path: filepath.Join(dir, "app.db")})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer st.Close()

	// Normally session.Manager drives the store; here we call it directly.
	key := "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
	v, err := st.Commit(ctx, key, session.Record{
		Values: map[string][]byte{"theme": []byte("dark")},
		UserID: "alice",
		Expiry: time.Now().Add(time.Hour),
	})
	fmt.Println("committed version", v, err)

	_, err = st.Commit(ctx, key, session.Record{Version: 0, Expiry: time.Now().Add(time.Hour)})
	fmt.Println("second create:", err)

	rec, found, err := st.Find(ctx, key)
	fmt.Println(found, string(rec.Values["theme"]), rec.UserID, rec.Version, err)

	n, err := st.DeleteUserSessions(ctx, "alice", "")
	fmt.Println("ended", n, "session(s)", err)
	// Output:
	// committed version 1 <nil>
	// second create: session: version conflict
	// true dark alice 1 <nil>
	// ended 1 session(s) <nil>
}
