// Package scratch gives a measuring run of the bench tools a place of its
// own on the shared servers (a Redis key prefix, a PostgreSQL schema, a
// SQLite file), so that it touches nothing else there, and removes it
// afterwards.
package scratch

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/redis/go-redis/v9"
)

// Name returns a short random name part for prefixes, schemas and files.
func Name() string {
	b := make([]byte, 6)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// SQLitePath returns a new database path in dir, and a function that
// removes the database and its WAL files.
func SQLitePath(dir, tool string) (path string, remove func()) {
	path = filepath.Join(dir, "bulwark-"+tool+"-"+Name()+".db")
	return path, func() {
		for _, suffix := range []string{"", "-wal", "-shm"} {
			os.Remove(path + suffix)
		}
	}
}

// DeletePrefix unlinks every key under prefix on one Redis node, one key
// per command (the keys of a cluster node span many slots).
func DeletePrefix(ctx context.Context, n *redis.Client, prefix string) {
	iter := n.Scan(ctx, 0, prefix+"*", 5000).Iterator()
	var keys []string
	flush := func() {
		n.Pipelined(ctx, func(p redis.Pipeliner) error {
			for _, k := range keys {
				p.Unlink(ctx, k)
			}
			return nil
		})
		keys = keys[:0]
	}
	for iter.Next(ctx) {
		if keys = append(keys, iter.Val()); len(keys) == 5000 {
			flush()
		}
	}
	flush()
}

// PostgresSchema creates a new schema on the server at dsn and returns a
// pool of at most maxConns connections (0: pgx's default) whose
// search_path is that schema, and a function that closes the pool and
// drops the schema with everything in it.
func PostgresSchema(ctx context.Context, dsn, tool string, maxConns int32) (pool *pgxpool.Pool, schema string, drop func(), err error) {
	schema = "bulwark_" + tool + "_" + Name()
	admin, err := pgxpool.New(ctx, dsn)
	if err != nil {
		return nil, "", nil, fmt.Errorf("postgres at %s: %w", dsn, err)
	}
	defer admin.Close()
	if _, err := admin.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		return nil, "", nil, fmt.Errorf("postgres at %s: %w", dsn, err)
	}
	dropSchema := func() {
		if a, err := pgxpool.New(context.Background(), dsn); err == nil {
			a.Exec(context.Background(), "DROP SCHEMA IF EXISTS "+schema+" CASCADE")
			a.Close()
		}
	}
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		dropSchema()
		return nil, "", nil, err
	}
	cfg.ConnConfig.RuntimeParams["search_path"] = schema
	if maxConns > 0 {
		cfg.MaxConns = maxConns
	}
	if pool, err = pgxpool.NewWithConfig(ctx, cfg); err != nil {
		dropSchema()
		return nil, "", nil, err
	}
	return pool, schema, func() { pool.Close(); dropSchema() }, nil
}
