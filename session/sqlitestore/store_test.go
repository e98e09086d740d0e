package sqlitestore_test

import (
	"context"
	"database/sql"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/bulwark-go/bulwark/session"
	"github.com/bulwark-go/bulwark/session/sqlitestore"
	"github.com/bulwark-go/bulwark/session/storetest"
)

func newStore(t *testing.T, cfg sqlitestore.Config) *sqlitestore.Store {
	t.Helper()
	st, err := sqlitestore.New(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := st.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return st
}

func TestConformance(t *testing.T) {
	storetest.Suite{
		New: func(t *testing.T) session.Store {
			return newStore(t, sqlitestore.Config{Path: filepath.Join(t.TempDir(), "s.db")})
		},
		// Two stores over one file, as two processes would hold.
		Shared: func(t *testing.T) (session.Store, session.Store) {
			path := filepath.Join(t.TempDir(), "s.db")
			return newStore(t, sqlitestore.Config{Path: path}), newStore(t, sqlitestore.Config{Path: path})
		},
	}.Run(t)
}

func TestSharedDB(t *testing.T) {
	db, err := sqlitestore.Open(filepath.Join(t.TempDir(), "app.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(`CREATE TABLE users (id TEXT PRIMARY KEY)`); err != nil {
		t.Fatal(err)
	}
	a := newStore(t, sqlitestore.Config{DB: db})
	b := newStore(t, sqlitestore.Config{DB: db, Table: "other_sessions"})
	key := storetest.NewKey(t)
	storetest.MustCommit(t, a, key, session.Record{UserID: "u", Expiry: time.Now().Add(time.Hour)})
	storetest.MustMiss(t, b, key)
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	// Closing a store leaves a database it did not open usable.
	if _, err := db.Exec(`INSERT INTO users VALUES ('u')`); err != nil {
		t.Fatalf("db after Close: %v", err)
	}
	// Reopening over the same table migrates nothing and keeps the data.
	c := newStore(t, sqlitestore.Config{DB: db})
	storetest.MustFind(t, c, key)
	var v int
	if err := db.QueryRow(`SELECT version FROM bulwark_schema WHERE name = 'bulwark_sessions'`).Scan(&v); err != nil || v != 1 {
		t.Errorf("schema version = %d, %v; want 1", v, err)
	}
	if _, _, err := a.Find(context.Background(), key); err == nil {
		t.Error("Find after Close: nil error")
	}
}

func TestConfigErrors(t *testing.T) {
	noBusy, err := sql.Open("sqlite", filepath.Join(t.TempDir(), "nobusy.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer noBusy.Close()
	dir := t.TempDir()
	for _, tc := range []struct {
		name string
		cfg  sqlitestore.Config
		want string
	}{
		{"neither path nor db", sqlitestore.Config{}, "exactly one"},
		{"both path and db", sqlitestore.Config{Path: "x.db", DB: noBusy}, "exactly one"},
		{"bad table", sqlitestore.Config{Path: filepath.Join(dir, "a.db"), Table: `x"; DROP TABLE users; --`}, `table "x\"; DROP`},
		{"long table", sqlitestore.Config{Path: filepath.Join(dir, "a.db"), Table: strings.Repeat("t", 41)}, "1-40 letters"},
		{"no busy timeout", sqlitestore.Config{DB: noBusy}, "busy timeout"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st, err := sqlitestore.New(context.Background(), tc.cfg)
			if err == nil {
				st.Close()
				t.Fatal("New succeeded, want an error")
			}
			if !strings.Contains(err.Error(), tc.want) || !strings.HasPrefix(err.Error(), "sqlitestore: ") {
				t.Errorf("error %q, want it to start with \"sqlitestore: \" and mention %q", err, tc.want)
			}
		})
	}
}

func TestCorruptRow(t *testing.T) {
	db, err := sqlitestore.Open(filepath.Join(t.TempDir(), "c.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	st := newStore(t, sqlitestore.Config{DB: db})
	key := storetest.NewKey(t)
	storetest.MustCommit(t, st, key, session.Record{Values: map[string][]byte{"a": []byte("b")}, Expiry: time.Now().Add(time.Hour)})
	if _, err := db.Exec(`UPDATE bulwark_sessions SET data = x'02ff' WHERE token_hash = ?`, key); err != nil {
		t.Fatal(err)
	}
	storetest.MustMiss(t, st, key)
}

func TestDeleteExpiredAndClose(t *testing.T) {
	db, err := sqlitestore.Open(filepath.Join(t.TempDir(), "e.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	st, err := sqlitestore.New(context.Background(), sqlitestore.Config{DB: db, CleanupInterval: 10 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	live := storetest.NewKey(t)
	storetest.MustCommit(t, st, live, session.Record{Expiry: time.Now().Add(time.Hour)})
	if _, err := st.Commit(ctx, storetest.NewKey(t), session.Record{UserID: "u", Expiry: time.Now().Add(-time.Minute)}); err != nil {
		t.Fatal(err)
	}
	// The cleanup goroutine removes the expired row on its own.
	deadline := time.Now().Add(10 * time.Second)
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for {
		var n int
		if err := db.QueryRow(`SELECT count(*) FROM bulwark_sessions`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d rows left, want the expired one reaped", n)
		}
		<-tick.C
	}
	// Close returns only after the goroutine has stopped; a second Close is a no-op.
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Commit(ctx, storetest.NewKey(t), session.Record{Expiry: time.Now().Add(time.Hour)}); !errors.Is(err, sqlitestore.ErrClosed) {
		t.Errorf("Commit after Close: %v, want ErrClosed", err)
	}
	if _, _, err := st.Find(ctx, live); !errors.Is(err, sqlitestore.ErrClosed) {
		t.Errorf("Find after Close: %v, want ErrClosed", err)
	}
}

// Cleanup deletes in batches (reapBatch) and removes
// every expired row in one call.
func TestDeleteExpiredInBatches(t *testing.T) {
	st := newStore(t, sqlitestore.Config{Path: filepath.Join(t.TempDir(), "b.db"), CleanupInterval: -1})
	storetest.DeleteExpired(t, st, 2*200+5)
}
