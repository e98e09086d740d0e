package pgstore_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/bulwark-go/bulwark/session"
	"github.com/bulwark-go/bulwark/session/pgstore"
	"github.com/bulwark-go/bulwark/session/storetest"
)

func newPool(t *testing.T, dsn string) *pgxpool.Pool {
	t.Helper()
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		t.Fatal(err)
	}
	cfg.MaxConns = 4
	pool, err := pgxpool.NewWithConfig(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	return pool
}

// uniqueTable returns a table name no other test uses, and drops the table
// when the test ends.
func uniqueTable(t *testing.T, pool *pgxpool.Pool) string {
	t.Helper()
	var b [6]byte
	rand.Read(b[:])
	table := "bulwark_test_" + hex.EncodeToString(b[:])
	t.Cleanup(func() {
		ctx := context.Background()
		pool.Exec(ctx, `DROP TABLE IF EXISTS `+pgx.Identifier{table}.Sanitize())
		pool.Exec(ctx, `DELETE FROM bulwark_schema WHERE name = $1`, table)
	})
	return table
}

func newStore(t *testing.T, pool *pgxpool.Pool, cfg pgstore.Config) *pgstore.Store {
	t.Helper()
	st, err := pgstore.New(context.Background(), pool, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

func TestConformance(t *testing.T) {
	dsn := storetest.PostgresDSN(t)
	storetest.Suite{
		New: func(t *testing.T) session.Store {
			pool := newPool(t, dsn)
			return newStore(t, pool, pgstore.Config{Table: uniqueTable(t, pool)})
		},
		// Two pools on one table, as two app instances would have.
		Shared: func(t *testing.T) (session.Store, session.Store) {
			a, b := newPool(t, dsn), newPool(t, dsn)
			table := uniqueTable(t, a)
			return newStore(t, a, pgstore.Config{Table: table}), newStore(t, b, pgstore.Config{Table: table})
		},
	}.Run(t)
}

func TestConfigErrors(t *testing.T) {
	if _, err := pgstore.New(context.Background(), nil, pgstore.Config{}); err == nil || !strings.Contains(err.Error(), "pool is nil") {
		t.Errorf("New(nil pool): %v", err)
	}
	dsn := storetest.PostgresDSN(t)
	pool := newPool(t, dsn)
	for _, table := range []string{`x"; DROP TABLE users; --`, "Sessions", "1abc", strings.Repeat("t", 41), "public.sessions"} {
		t.Run(table, func(t *testing.T) {
			_, err := pgstore.New(context.Background(), pool, pgstore.Config{Table: table})
			if err == nil || !strings.HasPrefix(err.Error(), "pgstore: table ") {
				t.Errorf("New(Table: %q) error = %v, want a table error", table, err)
			}
		})
	}
}

func TestMigrateTwiceAndCorruptRow(t *testing.T) {
	dsn := storetest.PostgresDSN(t)
	pool := newPool(t, dsn)
	table := uniqueTable(t, pool)
	st := newStore(t, pool, pgstore.Config{Table: table})
	key := storetest.NewKey(t)
	storetest.MustCommit(t, st, key, session.Record{Values: map[string][]byte{"a": []byte("b")}, Expiry: time.Now().Add(time.Hour)})

	again := newStore(t, pool, pgstore.Config{Table: table})
	storetest.MustFind(t, again, key)
	var v int
	if err := pool.QueryRow(context.Background(), `SELECT version FROM bulwark_schema WHERE name = $1`, table).Scan(&v); err != nil || v != 1 {
		t.Errorf("schema version = %d, %v; want 1", v, err)
	}

	if _, err := pool.Exec(context.Background(), `UPDATE `+table+` SET data = '\x02ff' WHERE token_hash = $1`, key); err != nil {
		t.Fatal(err)
	}
	storetest.MustMiss(t, st, key)
}

func TestDeleteExpiredAndClose(t *testing.T) {
	dsn := storetest.PostgresDSN(t)
	pool := newPool(t, dsn)
	table := uniqueTable(t, pool)
	st, err := pgstore.New(context.Background(), pool, pgstore.Config{Table: table, CleanupInterval: 10 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	live := storetest.NewKey(t)
	storetest.MustCommit(t, st, live, session.Record{Expiry: time.Now().Add(time.Hour)})
	if _, err := st.Commit(ctx, storetest.NewKey(t), session.Record{UserID: "u", Expiry: time.Now().Add(-time.Minute)}); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for {
		var n int
		if err := pool.QueryRow(ctx, `SELECT count(*) FROM `+table).Scan(&n); err != nil {
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
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	if _, _, err := st.Find(ctx, live); !errors.Is(err, pgstore.ErrClosed) {
		t.Errorf("Find after Close: %v, want ErrClosed", err)
	}
}

func TestConcurrentNew(t *testing.T) {
	// Instances starting together must not trip over each other's migration.
	dsn := storetest.PostgresDSN(t)
	pool := newPool(t, dsn)
	table := uniqueTable(t, pool)
	errs := make(chan error, 4)
	for range 4 {
		go func() {
			st, err := pgstore.New(context.Background(), pool, pgstore.Config{Table: table})
			if err == nil {
				st.Close()
			}
			errs <- err
		}()
	}
	for range 4 {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
}

func pgstoreConfig(table string) pgstore.Config { return pgstore.Config{Table: table} }

// Cleanup deletes in batches (reapBatch) and removes
// every expired row in one call.
func TestDeleteExpiredInBatches(t *testing.T) {
	pool := newPool(t, storetest.PostgresDSN(t))
	st, err := pgstore.New(context.Background(), pool, pgstore.Config{Table: uniqueTable(t, pool), CleanupInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	storetest.DeleteExpired(t, st, 2*1000+5)
}
