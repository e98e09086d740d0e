// This file holds the PostgreSQL Store: configuration, schema and the
// session.Store methods.

package pgstore

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"regexp"
	"strconv"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/bulwark-go/bulwark/internal/cleanup"
	"github.com/bulwark-go/bulwark/session"
)

// DefaultTable is the table name used when Config.Table is empty.
const DefaultTable = "bulwark_sessions"

// DefaultCleanupInterval is how often expired rows are deleted when
// Config.CleanupInterval is zero.
const DefaultCleanupInterval = 5 * time.Minute

// schemaVersion is the newest schema this package knows how to create.
const schemaVersion = 1

// migrationLock is the key of the transaction-scoped advisory lock that
// serialises schema changes between processes starting together.
const migrationLock = 0x62756c7761726b // "bulwark"

// ErrClosed is returned by the methods of a Store after Close.
var ErrClosed = errors.New("pgstore: store is closed")

var tableName = regexp.MustCompile(`^[a-z_][a-z0-9_]{0,39}$`)

// Config configures a Store.
type Config struct {
	// Table is the sessions table, default DefaultTable, created in the
	// connection's current schema (search_path). It must be a lower-case
	// identifier of at most 40 characters (a-z, 0-9, underscore).
	Table string

	// CleanupInterval is how often a background goroutine deletes expired
	// rows. Zero means DefaultCleanupInterval; negative disables the
	// goroutine (expired rows are still never returned; call
	// DeleteExpired from your own job instead).
	CleanupInterval time.Duration

	// Logger receives one line per corrupt session and per failed cleanup.
	// Nil means slog.Default().
	Logger *slog.Logger
}

// Store is a session.Store in one PostgreSQL table. It is safe for
// concurrent use, by any number of Stores in any number of processes
// sharing the table.
type Store struct {
	pool  *pgxpool.Pool
	table string
	log   *slog.Logger

	qFind, qUpdate, qCreate, qDelete, qUserKeys, qDeleteUser, qReap string

	stop      context.CancelFunc
	done      chan struct{}
	closed    chan struct{}
	closeOnce sync.Once
}

// New creates or migrates the schema and returns a Store using pool, which
// it never closes. ctx bounds only the setup.
func New(ctx context.Context, pool *pgxpool.Pool, cfg Config) (*Store, error) {
	if pool == nil {
		return nil, errors.New("pgstore: pool is nil; pass a *pgxpool.Pool from pgxpool.New")
	}
	if cfg.Table == "" {
		cfg.Table = DefaultTable
	}
	if !tableName.MatchString(cfg.Table) {
		return nil, fmt.Errorf("pgstore: table %q: use 1-40 lower-case letters, digits or underscores, not starting with a digit", cfg.Table)
	}
	if cfg.CleanupInterval == 0 {
		cfg.CleanupInterval = DefaultCleanupInterval
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	s := &Store{pool: pool, table: cfg.Table, log: cfg.Logger, closed: make(chan struct{})}
	if err := s.migrate(ctx); err != nil {
		return nil, err
	}
	t := pgx.Identifier{s.table}.Sanitize()
	s.qFind = `SELECT data, user_id, version, expiry FROM ` + t + ` WHERE token_hash = $1 AND expiry > $2`
	s.qUpdate = `UPDATE ` + t + ` SET data = $1, user_id = $2, version = version + 1, expiry = $3
		WHERE token_hash = $4 AND version = $5 AND expiry > $6`
	s.qCreate = `INSERT INTO ` + t + ` AS t (token_hash, data, user_id, version, expiry) VALUES ($1, $2, $3, 1, $4)
		ON CONFLICT (token_hash) DO UPDATE SET data = EXCLUDED.data, user_id = EXCLUDED.user_id, version = 1, expiry = EXCLUDED.expiry
		WHERE t.expiry <= $5`
	s.qDelete = `DELETE FROM ` + t + ` WHERE token_hash = $1`
	s.qUserKeys = `SELECT token_hash FROM ` + t + ` WHERE user_id = $1 AND user_id <> '' AND expiry > $2`
	s.qDeleteUser = `WITH d AS (DELETE FROM ` + t + ` WHERE user_id = $1 AND user_id <> '' AND token_hash <> $2 RETURNING expiry)
		SELECT count(*) FILTER (WHERE expiry > $3) FROM d`
	// A batch at a time; rows another instance's cleanup is deleting are skipped.
	// The outer expiry test keeps a row a concurrent commit renewed.
	s.qReap = `DELETE FROM ` + t + ` WHERE expiry <= $1 AND token_hash IN (SELECT token_hash FROM ` + t +
		` WHERE expiry <= $1 LIMIT ` + strconv.Itoa(reapBatch) + ` FOR UPDATE SKIP LOCKED)`

	runCtx, stop := context.WithCancel(context.Background())
	s.stop, s.done = stop, make(chan struct{})
	go func() {
		defer close(s.done)
		cleanup.Loop(runCtx, cfg.CleanupInterval, s.log, "pgstore: cleanup failed", s.DeleteExpired)
	}()
	return s, nil
}

// migrate creates the schema, or upgrades an older one, in one transaction
// under an advisory lock, so processes starting together do not race.
func (s *Store) migrate(ctx context.Context) error {
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, int64(migrationLock)); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS bulwark_schema (
			name text PRIMARY KEY, version integer NOT NULL)`); err != nil {
			return err
		}
		var have int
		err := tx.QueryRow(ctx, `SELECT version FROM bulwark_schema WHERE name = $1`, s.table).Scan(&have)
		if errors.Is(err, pgx.ErrNoRows) {
			have, err = 0, nil
		}
		if err != nil {
			return err
		}
		if have > schemaVersion {
			return fmt.Errorf("schema version %d is newer than this package's %d; upgrade bulwark", have, schemaVersion)
		}
		t := pgx.Identifier{s.table}.Sanitize()
		if have < 1 {
			for _, q := range []string{
				`CREATE TABLE IF NOT EXISTS ` + t + ` (
					token_hash text PRIMARY KEY,
					data bytea NOT NULL,
					user_id text NOT NULL DEFAULT '',
					version bigint NOT NULL,
					expiry timestamptz NOT NULL
				)`,
				`CREATE INDEX IF NOT EXISTS ` + pgx.Identifier{s.table + "_user_id_idx"}.Sanitize() + ` ON ` + t + ` (user_id) WHERE user_id <> ''`,
				`CREATE INDEX IF NOT EXISTS ` + pgx.Identifier{s.table + "_expiry_idx"}.Sanitize() + ` ON ` + t + ` (expiry)`,
			} {
				if _, err := tx.Exec(ctx, q); err != nil {
					return err
				}
			}
		}
		if have < schemaVersion {
			_, err = tx.Exec(ctx, `INSERT INTO bulwark_schema (name, version) VALUES ($1, $2)
				ON CONFLICT (name) DO UPDATE SET version = EXCLUDED.version`, s.table, schemaVersion)
		}
		return err
	})
	if err != nil {
		return fmt.Errorf("pgstore: migrate table %q: %w", s.table, err)
	}
	return nil
}

// Close stops the cleanup goroutine and makes later calls fail with
// ErrClosed. It does not close the pool. It is safe to call more than once.
func (s *Store) Close() error {
	s.closeOnce.Do(func() {
		close(s.closed)
		s.stop()
		<-s.done
	})
	return nil
}

// reapBatch is how many expired rows one cleanup statement deletes.
const reapBatch = 1000

// DeleteExpired deletes every expired row now and returns how many it
// removed. The cleanup goroutine calls it every Config.CleanupInterval.
// It deletes in batches of reapBatch rows, so that no statement holds its
// locks, or the server's I/O, for long.
func (s *Store) DeleteExpired(ctx context.Context) (int64, error) {
	if err := s.check(ctx); err != nil {
		return 0, err
	}
	now := time.Now()
	n, err := cleanup.Batches(ctx, reapBatch, func(ctx context.Context) (int64, error) {
		tag, err := s.pool.Exec(ctx, s.qReap, now)
		return tag.RowsAffected(), err
	})
	if err != nil {
		return n, wrap(ctx, "delete expired", err)
	}
	return n, nil
}

// check reports a closed store or a finished context before any I/O.
func (s *Store) check(ctx context.Context) error {
	select {
	case <-s.closed:
		return ErrClosed
	default:
	}
	return ctx.Err()
}

// Find implements session.Store with one prepared query.
func (s *Store) Find(ctx context.Context, key string) (session.Record, bool, error) {
	if err := s.check(ctx); err != nil {
		return session.Record{}, false, err
	}
	rows, err := s.pool.Query(ctx, s.qFind, key, time.Now())
	if err != nil {
		return session.Record{}, false, wrap(ctx, "find", err)
	}
	defer rows.Close()
	if !rows.Next() {
		if err := rows.Err(); err != nil {
			return session.Record{}, false, wrap(ctx, "find", err)
		}
		return session.Record{}, false, nil
	}
	var (
		data    pgtype.DriverBytes // borrowed until rows.Close; DecodeValues copies
		rec     session.Record
		version int64
	)
	if err := rows.Scan(&data, &rec.UserID, &version, &rec.Expiry); err != nil {
		return session.Record{}, false, wrap(ctx, "find", err)
	}
	values, err := session.DecodeValues(data)
	if err != nil || version <= 0 {
		s.log.Warn("pgstore: corrupt session treated as missing", "reason", "corrupt", "table", s.table)
		return session.Record{}, false, nil
	}
	rec.Values, rec.Version = values, uint64(version)
	return rec, true, nil
}

// Commit implements session.Store with one prepared statement: an UPDATE
// guarded by the expected version, or for version 0 an INSERT that may only
// replace an expired row.
func (s *Store) Commit(ctx context.Context, key string, rec session.Record) (uint64, error) {
	if err := s.check(ctx); err != nil {
		return 0, err
	}
	if rec.Version >= math.MaxInt64 {
		return 0, session.ErrConflict
	}
	data := session.EncodeValues(rec.Values)
	now := time.Now()
	var err error
	var n int64
	if rec.Version == 0 {
		tag, e := s.pool.Exec(ctx, s.qCreate, key, data, rec.UserID, rec.Expiry, now)
		n, err = tag.RowsAffected(), e
	} else {
		tag, e := s.pool.Exec(ctx, s.qUpdate, data, rec.UserID, rec.Expiry, key, int64(rec.Version), now)
		n, err = tag.RowsAffected(), e
	}
	if err != nil {
		return 0, wrap(ctx, "commit", err)
	}
	if n == 0 {
		return 0, session.ErrConflict
	}
	return rec.Version + 1, nil
}

// Delete implements session.Store.
func (s *Store) Delete(ctx context.Context, key string) error {
	if err := s.check(ctx); err != nil {
		return err
	}
	if _, err := s.pool.Exec(ctx, s.qDelete, key); err != nil {
		return wrap(ctx, "delete", err)
	}
	return nil
}

// UserSessions implements session.Store using the user_id index.
func (s *Store) UserSessions(ctx context.Context, userID string) ([]string, error) {
	if err := s.check(ctx); err != nil {
		return nil, err
	}
	if userID == "" {
		return nil, nil
	}
	rows, err := s.pool.Query(ctx, s.qUserKeys, userID, time.Now())
	if err != nil {
		return nil, wrap(ctx, "user sessions", err)
	}
	keys, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, wrap(ctx, "user sessions", err)
	}
	return keys, nil
}

// DeleteUserSessions implements session.Store in one statement. Expired
// rows of the user are deleted too but not counted.
func (s *Store) DeleteUserSessions(ctx context.Context, userID, keep string) (int, error) {
	if err := s.check(ctx); err != nil {
		return 0, err
	}
	if userID == "" {
		return 0, nil
	}
	var n int64
	if err := s.pool.QueryRow(ctx, s.qDeleteUser, userID, keep, time.Now()).Scan(&n); err != nil {
		return 0, wrap(ctx, "delete user sessions", err)
	}
	return int(n), nil
}

// wrap adds the package and operation to err, and the context's error when
// the failure came from it, so errors.Is(err, context.DeadlineExceeded)
// holds whichever layer noticed first.
func wrap(ctx context.Context, op string, err error) error {
	cerr := ctx.Err()
	if d, ok := ctx.Deadline(); ok && cerr == nil && !time.Now().Before(d) {
		// The socket deadline (set from ctx) fired a moment before the
		// context's own timer.
		cerr = context.DeadlineExceeded
	}
	if cerr != nil && !errors.Is(err, cerr) {
		return fmt.Errorf("pgstore: %s: %w (%w)", op, cerr, err)
	}
	return fmt.Errorf("pgstore: %s: %w", op, err)
}
