// This file opens the store loadapp runs on, each under a name of its own
// run, and removes what the run wrote when it stops.

package main

import (
	"context"
	"fmt"
	"os"
	"strings"

	"github.com/redis/go-redis/v9"

	"github.com/bulwark-go/bulwark/bench/internal/scratch"
	"github.com/bulwark-go/bulwark/session"
	"github.com/bulwark-go/bulwark/session/memstore"
	"github.com/bulwark-go/bulwark/session/pgstore"
	"github.com/bulwark-go/bulwark/session/redisstore"
	"github.com/bulwark-go/bulwark/session/sqlitestore"
)

const storeNames = "memory, sqlite, redis, cluster or postgres"

// Env holds the servers' addresses; see EnvFromOS.
type Env struct {
	RedisAddr    string   // a single Redis
	ClusterAddrs []string // Redis Cluster seed nodes
	PGDSN        string   // PostgreSQL connection URL
	TempDir      string   // where the SQLite file goes
}

// EnvFromOS reads BULWARK_REDIS_ADDR, BULWARK_REDIS_CLUSTER and
// BULWARK_PG_DSN, with scripts/test's defaults.
func EnvFromOS() Env {
	get := func(k, def string) string {
		if v := os.Getenv(k); v != "" {
			return v
		}
		return def
	}
	return Env{
		RedisAddr:    get("BULWARK_REDIS_ADDR", "127.0.0.1:6379"),
		ClusterAddrs: strings.Split(get("BULWARK_REDIS_CLUSTER", "127.0.0.1:7001,127.0.0.1:7002,127.0.0.1:7003"), ","),
		PGDSN:        get("BULWARK_PG_DSN", "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"),
		TempDir:      os.TempDir(),
	}
}

// OpenStore returns the named store and a function that closes it and
// deletes everything it wrote.
func OpenStore(ctx context.Context, name string, env Env) (session.Store, func(), error) {
	switch name {
	case "memory":
		st, err := memstore.New(memstore.Config{})
		if err != nil {
			return nil, nil, err
		}
		return st, func() { st.Close() }, nil
	case "sqlite":
		path, remove := scratch.SQLitePath(env.TempDir, "loadapp")
		st, err := sqlitestore.New(ctx, sqlitestore.Config{Path: path})
		if err != nil {
			return nil, nil, err
		}
		return st, func() {
			st.Close()
			remove()
		}, nil
	case "redis":
		client := redis.NewClient(&redis.Options{Addr: env.RedisAddr, ContextTimeoutEnabled: true})
		return openRedis(ctx, client, "redis at "+env.RedisAddr, func(ctx context.Context, prefix string) {
			scratch.DeletePrefix(ctx, client, prefix)
		})
	case "cluster":
		client := redis.NewClusterClient(&redis.ClusterOptions{Addrs: env.ClusterAddrs, ContextTimeoutEnabled: true})
		return openRedis(ctx, client, "Redis Cluster at "+strings.Join(env.ClusterAddrs, ","), func(ctx context.Context, prefix string) {
			client.ForEachMaster(ctx, func(ctx context.Context, node *redis.Client) error {
				scratch.DeletePrefix(ctx, node, prefix)
				return nil
			})
		})
	case "postgres":
		return openPostgres(ctx, env.PGDSN)
	}
	return nil, nil, fmt.Errorf("unknown store %q (want %s)", name, storeNames)
}

func openRedis(ctx context.Context, client redis.UniversalClient, what string, clean func(context.Context, string)) (session.Store, func(), error) {
	if err := client.Ping(ctx).Err(); err != nil {
		client.Close()
		return nil, nil, fmt.Errorf("%s: %w", what, err)
	}
	prefix := "bulwark-loadapp:" + scratch.Name() + ":"
	st, err := redisstore.New(redisstore.Config{Client: client, Prefix: prefix})
	if err != nil {
		client.Close()
		return nil, nil, err
	}
	return st, func() {
		clean(context.Background(), prefix)
		client.Close()
	}, nil
}

// openPostgres runs pgstore in a fresh schema (its table and its
// bulwark_schema row included), dropped on cleanup.
func openPostgres(ctx context.Context, dsn string) (session.Store, func(), error) {
	pool, _, drop, err := scratch.PostgresSchema(ctx, dsn, "loadapp", 0)
	if err != nil {
		return nil, nil, err
	}
	st, err := pgstore.New(ctx, pool, pgstore.Config{})
	if err != nil {
		drop()
		return nil, nil, err
	}
	return st, func() {
		st.Close()
		drop()
	}, nil
}
