// This file opens each store the scale run measures, with its own key
// prefix, schema or file, and removes everything it wrote on close.

package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/redis/go-redis/v9"

	"github.com/bulwark-go/bulwark/bench/internal/scratch"
	"github.com/bulwark-go/bulwark/session"
	"github.com/bulwark-go/bulwark/session/memstore"
	"github.com/bulwark-go/bulwark/session/pgstore"
	"github.com/bulwark-go/bulwark/session/redisstore"
	"github.com/bulwark-go/bulwark/session/sqlitestore"
)

// allStores lists the stores in report order.
var allStores = []string{"memory", "sqlite", "redis", "redis-cluster", "postgres"}

// errSkip reports a store whose server is not configured.
var errSkip = errors.New("not configured")

// env holds the server addresses; "" skips that store.
type env struct {
	redisAddr    string
	clusterAddrs []string
	pgDSN        string
	tempDir      string
}

// target is one store under measurement.
type target struct {
	name   string
	store  session.Store
	server string // what serves it, for the report
	// bulk, when set, writes rows in the store's own schema faster than
	// Commit can; nil means concurrent Commits.
	bulk    func(ctx context.Context, keys []string, rec func(i int) session.Record) error
	cleaner cleaner
	dbSize  func() (db, wal int64) // SQLite only
	mem     bool                   // memstore: its heap can be measured
	close   func()
}

// cleaner is how a store gets rid of expired sessions.
type cleaner struct {
	what string // for the report
	// expiry is the expiry to give the sessions that are to expire, when
	// filling them will take about est.
	expiry func(est time.Duration) time.Time
	// ready is called once they are written: it makes them expired (moves
	// the clock, or waits for their TTL) and notes what the report should
	// know.
	ready func(ctx context.Context) (note string, err error)
	// run removes them, or waits until the server has removed keys keys
	// (sessions and user indexes written to expire), and returns how many
	// sessions were removed (-1: not known).
	run func(ctx context.Context, keys int64) (int64, error)
}

var quiet = slog.New(slog.DiscardHandler)

func open(ctx context.Context, e env, name string) (*target, error) {
	switch name {
	case "memory":
		return openMemory()
	case "sqlite":
		return openSQLite(ctx, e)
	case "redis":
		if e.redisAddr == "" {
			return nil, errSkip
		}
		c := redis.NewClient(&redis.Options{Addr: e.redisAddr, ContextTimeoutEnabled: true, PoolSize: 64})
		return openRedis(ctx, name, c, []*redis.Client{c}, "Redis at "+e.redisAddr)
	case "redis-cluster":
		if len(e.clusterAddrs) == 0 {
			return nil, errSkip
		}
		c := redis.NewClusterClient(&redis.ClusterOptions{Addrs: e.clusterAddrs, ContextTimeoutEnabled: true, PoolSize: 64})
		var nodes []*redis.Client
		var mu = make(chan struct{}, 1)
		err := c.ForEachMaster(ctx, func(ctx context.Context, n *redis.Client) error {
			mu <- struct{}{}
			nodes = append(nodes, n)
			<-mu
			return n.Ping(ctx).Err()
		})
		if err != nil {
			c.Close()
			return nil, fmt.Errorf("redis cluster at %s: %w", strings.Join(e.clusterAddrs, ","), err)
		}
		return openRedis(ctx, name, c, nodes, fmt.Sprintf("Redis Cluster, %d masters", len(nodes)))
	case "postgres":
		return openPostgres(ctx, e)
	}
	return nil, fmt.Errorf("unknown store %q (want one of %s)", name, strings.Join(allStores, ", "))
}

// clock is memstore's injected clock: real time plus an offset, so
// sessions can be made to expire at once.
type clock struct{ offset atomic.Int64 }

func (c *clock) now() time.Time { return time.Now().Add(time.Duration(c.offset.Load())) }

func openMemory() (*target, error) {
	clk := &clock{}
	st, err := memstore.New(memstore.Config{ReapInterval: -1, Now: clk.now})
	if err != nil {
		return nil, err
	}
	return &target{
		name: "memory", store: st, server: "in process", mem: true,
		cleaner: cleaner{
			what:   "`Reap` (what the reaper goroutine calls every ReapInterval)",
			expiry: func(time.Duration) time.Time { return clk.now().Add(time.Hour) },
			ready: func(context.Context) (string, error) {
				clk.offset.Add(int64(2 * time.Hour))
				return "", nil
			},
			run: func(context.Context, int64) (int64, error) { return int64(st.Reap()), nil },
		},
		close: func() { st.Close() },
	}, nil
}

func openSQLite(ctx context.Context, e env) (*target, error) {
	path, removeFiles := scratch.SQLitePath(e.tempDir, "scale")
	st, err := sqlitestore.New(ctx, sqlitestore.Config{Path: path, CleanupInterval: -1, Logger: quiet})
	if err != nil {
		return nil, err
	}
	var version string
	if err := st.DB().QueryRowContext(ctx, "SELECT sqlite_version()").Scan(&version); err != nil {
		st.Close()
		removeFiles()
		return nil, err
	}
	size := func(p string) int64 {
		fi, err := os.Stat(p)
		if err != nil {
			return 0
		}
		return fi.Size()
	}
	return &target{
		name: "sqlite", store: st, server: "SQLite " + version + " (modernc.org/sqlite" + moduleVersion("modernc.org/sqlite") + "), file in " + e.tempDir,
		bulk: func(ctx context.Context, keys []string, rec func(int) session.Record) error {
			return sqliteBulk(ctx, st, keys, rec)
		},
		cleaner: sqlCleaner("`DeleteExpired` (what the cleanup goroutine calls every CleanupInterval)", st.DeleteExpired),
		dbSize:  func() (int64, int64) { return size(path), size(path + "-wal") },
		close: func() {
			st.Close()
			removeFiles()
		},
	}, nil
}

// sqlCleaner is the cleaner of a store that deletes expired rows itself:
// the expired rows are written with a past expiry.
func sqlCleaner(what string, del func(context.Context) (int64, error)) cleaner {
	return cleaner{
		what:   what,
		expiry: func(time.Duration) time.Time { return time.Now().Add(-time.Minute) },
		ready:  func(context.Context) (string, error) { return "", nil },
		run:    func(ctx context.Context, _ int64) (int64, error) { return del(ctx) },
	}
}

// sqliteBulk inserts rows in the store's schema (sqlitestore/store.go,
// migrate), 20,000 per transaction.
func sqliteBulk(ctx context.Context, st *sqlitestore.Store, keys []string, rec func(int) session.Record) error {
	const batch = 20000
	for lo := 0; lo < len(keys); lo += batch {
		hi := min(lo+batch, len(keys))
		tx, err := st.DB().BeginTx(ctx, nil)
		if err != nil {
			return err
		}
		stmt, err := tx.PrepareContext(ctx, `INSERT INTO "`+sqlitestore.DefaultTable+`" (token_hash, data, user_id, version, expiry) VALUES (?, ?, ?, 1, ?)`)
		if err != nil {
			tx.Rollback()
			return err
		}
		for i := lo; i < hi; i++ {
			r := rec(i)
			if _, err := stmt.ExecContext(ctx, keys[i], session.EncodeValues(r.Values), r.UserID, r.Expiry.UnixMilli()); err != nil {
				tx.Rollback()
				return err
			}
		}
		stmt.Close()
		if err := tx.Commit(); err != nil {
			return err
		}
	}
	return nil
}

func openRedis(ctx context.Context, name string, c redis.UniversalClient, nodes []*redis.Client, where string) (*target, error) {
	info, err := nodes[0].Info(ctx, "server").Result()
	if err != nil {
		c.Close()
		return nil, fmt.Errorf("%s: %w", where, err)
	}
	prefix := "bulwark-scale:" + scratch.Name() + ":"
	st, err := redisstore.New(redisstore.Config{Client: c, Prefix: prefix, Logger: quiet})
	if err != nil {
		c.Close()
		return nil, err
	}
	t := &target{
		name: name, store: st,
		server: fmt.Sprintf("Redis %s (%s), key prefix %s", infoField(info, "redis_version"), where, prefix),
		close: func() {
			ctx := context.Background()
			for _, n := range nodes {
				scratch.DeletePrefix(ctx, n, prefix)
			}
			c.Close()
		},
	}
	t.cleaner = redisCleaner(nodes)
	return t, nil
}

// redisCleaner measures Redis's own active expiry: the sessions to expire
// get a TTL that ends after they are all written; ready waits for it, run
// waits until the servers' expired_keys counters have grown by as many
// keys as were written to expire (each session and its user's index).
func redisCleaner(nodes []*redis.Client) cleaner {
	var (
		at   time.Time
		base int64
	)
	expired := func(ctx context.Context) (int64, error) {
		var sum int64
		for _, n := range nodes {
			info, err := n.Info(ctx, "stats").Result()
			if err != nil {
				return 0, err
			}
			var v int64
			fmt.Sscan(infoField(info, "expired_keys"), &v)
			sum += v
		}
		return sum, nil
	}
	return cleaner{
		what: "Redis's own active expiry of the keys' TTLs (the store runs no cleanup): the time from the TTL's end until the servers' `expired_keys` counters have grown by the number of keys written to expire (sessions and their user indexes)",
		expiry: func(est time.Duration) time.Time {
			// Read before any key of ours can expire.
			base, _ = expired(context.Background())
			at = time.Now().Add(est*3/2 + time.Second).Truncate(time.Millisecond)
			return at
		},
		ready: func(ctx context.Context) (string, error) {
			d := time.Until(at)
			if d <= 0 {
				return fmt.Sprintf("the TTL ended %v before all were written", (-d).Round(time.Millisecond)), nil
			}
			select {
			case <-time.After(d):
				return "", nil
			case <-ctx.Done():
				return "", ctx.Err()
			}
		},
		run: func(ctx context.Context, keys int64) (int64, error) {
			for {
				n, err := expired(ctx)
				if err != nil {
					return 0, err
				}
				if n-base >= keys {
					return -1, nil
				}
				select {
				case <-time.After(10 * time.Millisecond):
				case <-ctx.Done():
					return 0, ctx.Err()
				}
			}
		},
	}
}

func infoField(info, field string) string {
	for _, line := range strings.Split(info, "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), field+":"); ok {
			return v
		}
	}
	return "?"
}

func openPostgres(ctx context.Context, e env) (*target, error) {
	if e.pgDSN == "" {
		return nil, errSkip
	}
	var version string
	pool, schema, dropPool, err := scratch.PostgresSchema(ctx, e.pgDSN, "scale", 32)
	if err != nil {
		return nil, err
	}
	if err := pool.QueryRow(ctx, "SHOW server_version").Scan(&version); err != nil {
		dropPool()
		return nil, fmt.Errorf("postgres: %w", err)
	}
	st, err := pgstore.New(ctx, pool, pgstore.Config{CleanupInterval: -1, Logger: quiet})
	if err != nil {
		dropPool()
		return nil, err
	}
	return &target{
		name: "postgres", store: st,
		server: "PostgreSQL " + version + " (pgx" + moduleVersion("github.com/jackc/pgx/v5") + "), schema " + schema,
		bulk: func(ctx context.Context, keys []string, rec func(int) session.Record) error {
			return pgBulk(ctx, pool, keys, rec)
		},
		cleaner: sqlCleaner("`DeleteExpired` (what the cleanup goroutine calls every CleanupInterval)", st.DeleteExpired),
		close: func() {
			st.Close()
			dropPool()
		},
	}, nil
}

// pgBulk copies rows into the store's table (pgstore/store.go, migrate)
// and analyzes it, as autovacuum soon would after such a load.
func pgBulk(ctx context.Context, pool *pgxpool.Pool, keys []string, rec func(int) session.Record) error {
	i := 0
	src := pgx.CopyFromFunc(func() ([]any, error) {
		if i == len(keys) {
			return nil, nil
		}
		r := rec(i)
		row := []any{keys[i], session.EncodeValues(r.Values), r.UserID, int64(1), r.Expiry}
		i++
		return row, nil
	})
	if _, err := pool.CopyFrom(ctx, pgx.Identifier{pgstore.DefaultTable},
		[]string{"token_hash", "data", "user_id", "version", "expiry"}, src); err != nil {
		return err
	}
	_, err := pool.Exec(ctx, "ANALYZE "+pgx.Identifier{pgstore.DefaultTable}.Sanitize())
	return err
}
