package sessionbench

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/alexedwards/scs/goredisstore"
	"github.com/alexedwards/scs/pgxstore"
	"github.com/alexedwards/scs/sqlite3store"
	"github.com/alexedwards/scs/v2"
	scsmem "github.com/alexedwards/scs/v2/memstore"
	"github.com/jackc/pgx/v5/pgxpool"
	_ "github.com/mattn/go-sqlite3" // cgo SQLite driver for scs's sqlite3store
	"github.com/redis/go-redis/v9"
)

// Backends lists the backends in table order.
var Backends = []string{"memory", "redis", "postgres", "sqlite"}

// ErrSkip reports a backend whose server is not configured.
var ErrSkip = errors.New("sessionbench: backend not configured")

// Env holds what the backends need; see EnvFromOS.
type Env struct {
	RedisAddr string // "" skips Redis
	PGDSN     string // "" skips PostgreSQL
	TempDir   string // for SQLite files
}

// EnvFromOS reads BULWARK_REDIS_ADDR and BULWARK_PG_DSN. With CI=true a
// missing variable takes the default address, so an absent server fails
// instead of skipping.
func EnvFromOS(tempDir string) Env {
	e := Env{RedisAddr: os.Getenv("BULWARK_REDIS_ADDR"), PGDSN: os.Getenv("BULWARK_PG_DSN"), TempDir: tempDir}
	if os.Getenv("CI") == "true" {
		if e.RedisAddr == "" {
			e.RedisAddr = "127.0.0.1:6379"
		}
		if e.PGDSN == "" {
			e.PGDSN = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"
		}
	}
	return e
}

// unique returns a short random name part for key prefixes and schemas.
func unique() string {
	b := make([]byte, 6)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// scsImpl wires an scs SessionManager over store.
func scsImpl(backend string, store scs.Store, closeFn func()) *Impl {
	sm := scs.New()
	sm.Store = store
	sm.IdleTimeout = IdleTimeout
	sm.Lifetime = Lifetime
	sm.Cookie.Secure = true
	return &Impl{
		Lib:     "scs",
		Backend: backend,
		Wrap:    sm.LoadAndSave,
		Get:     sm.GetString,
		Put:     func(ctx context.Context, k, v string) { sm.Put(ctx, k, v) },
		Close:   closeFn,
	}
}

// NewSCS returns scs on backend: memstore, goredisstore (go-redis, the
// client Bulwark's redisstore uses), pgxstore (pgx, as Bulwark's pgstore)
// and sqlite3store (mattn/go-sqlite3, cgo).
func NewSCS(env Env, backend string) (*Impl, error) {
	ctx := context.Background()
	switch backend {
	case "memory":
		// No cleanup goroutine: scs v2.9.0's StopCleanup races with the
		// goroutine's start (go test -race reports it).
		st := scsmem.NewWithCleanupInterval(0)
		return scsImpl(backend, st, func() {}), nil
	case "redis":
		if env.RedisAddr == "" {
			return nil, ErrSkip
		}
		client := redis.NewClient(&redis.Options{Addr: env.RedisAddr, ContextTimeoutEnabled: true})
		if err := client.Ping(ctx).Err(); err != nil {
			client.Close()
			return nil, fmt.Errorf("redis at %s: %w", env.RedisAddr, err)
		}
		prefix := "bulwark-bench:scs:" + unique() + ":"
		st := goredisstore.NewWithPrefix(client, prefix)
		return scsImpl(backend, st, func() {
			deletePrefix(client, prefix)
			client.Close()
		}), nil
	case "postgres":
		if env.PGDSN == "" {
			return nil, ErrSkip
		}
		pool, schema, err := pgSchemaPool(ctx, env.PGDSN, "scs")
		if err != nil {
			return nil, err
		}
		if _, err := pool.Exec(ctx, `CREATE TABLE sessions (token TEXT PRIMARY KEY, data BYTEA NOT NULL, expiry TIMESTAMPTZ NOT NULL);
			CREATE INDEX sessions_expiry_idx ON sessions (expiry);`); err != nil {
			dropSchema(env.PGDSN, schema, pool)
			return nil, err
		}
		st := pgxstore.NewWithCleanupInterval(pool, 0)
		return scsImpl(backend, st, func() { dropSchema(env.PGDSN, schema, pool) }), nil
	case "sqlite":
		path := filepath.Join(env.TempDir, "scs-"+unique()+".db")
		db, err := sql.Open("sqlite3", "file:"+path+"?_journal_mode=WAL&_busy_timeout=5000")
		if err != nil {
			return nil, err
		}
		if _, err := db.Exec(`CREATE TABLE sessions (token TEXT PRIMARY KEY, data BLOB NOT NULL, expiry REAL NOT NULL);
			CREATE INDEX sessions_expiry_idx ON sessions(expiry);`); err != nil {
			db.Close()
			return nil, err
		}
		st := sqlite3store.NewWithCleanupInterval(db, 0)
		return scsImpl(backend, st, func() { db.Close(); os.Remove(path) }), nil
	}
	return nil, fmt.Errorf("unknown backend %q", backend)
}

// deletePrefix removes every Redis key under prefix.
func deletePrefix(client *redis.Client, prefix string) {
	ctx := context.Background()
	iter := client.Scan(ctx, 0, prefix+"*", 1000).Iterator()
	var keys []string
	for iter.Next(ctx) {
		keys = append(keys, iter.Val())
	}
	if len(keys) > 0 {
		client.Del(ctx, keys...)
	}
}

// pgSchemaPool creates a fresh schema and returns a pool whose connections
// use it as search_path, so tables of parallel runs never collide.
func pgSchemaPool(ctx context.Context, dsn, who string) (*pgxpool.Pool, string, error) {
	schema := "bench_" + who + "_" + unique()
	admin, err := pgxpool.New(ctx, dsn)
	if err != nil {
		return nil, "", err
	}
	defer admin.Close()
	if _, err := admin.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		return nil, "", fmt.Errorf("postgres at %s: %w", dsn, err)
	}
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		return nil, "", err
	}
	cfg.ConnConfig.RuntimeParams["search_path"] = schema
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, "", err
	}
	return pool, schema, nil
}

// dropSchema closes pool and drops schema.
func dropSchema(dsn, schema string, pool *pgxpool.Pool) {
	pool.Close()
	ctx := context.Background()
	admin, err := pgxpool.New(ctx, dsn)
	if err != nil {
		return
	}
	defer admin.Close()
	admin.Exec(ctx, "DROP SCHEMA IF EXISTS "+schema+" CASCADE")
}
