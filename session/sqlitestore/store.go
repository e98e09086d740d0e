// This file holds the SQLite Store: configuration, schema and the
// session.Store methods.

package sqlitestore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"regexp"
	"runtime"
	"strconv"
	"sync"
	"time"

	_ "modernc.org/sqlite" // registers the "sqlite" driver

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

// ErrClosed is returned by the methods of a Store after Close.
var ErrClosed = errors.New("sqlitestore: store is closed")

var tableName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]{0,39}$`)

// Config configures a Store. Exactly one of Path and DB must be set.
type Config struct {
	// Path is the database file, created if missing. The Store opens it
	// with Open and closes it on Close.
	Path string

	// DB is an open database of the "sqlite" driver (modernc.org/sqlite),
	// for sharing one file with other tables (for example auth's users).
	// Open it with Open, or put _pragma=busy_timeout(N) in its DSN: New
	// refuses a database whose busy timeout is zero, because concurrent
	// writers would then fail instead of waiting. The Store never closes DB.
	DB *sql.DB

	// Table is the sessions table, default DefaultTable. It must be a plain
	// identifier of at most 40 characters (letters, digits, underscore).
	Table string

	// CleanupInterval is how often a background goroutine deletes expired
	// rows. Zero means DefaultCleanupInterval; negative disables the
	// goroutine (expired rows are still never returned).
	CleanupInterval time.Duration

	// Logger receives one line per corrupt session and per failed cleanup.
	// Nil means slog.Default().
	Logger *slog.Logger
}

// Store is a session.Store kept in one SQLite table. It is safe for
// concurrent use, and several Stores (in one process or several) may share
// one database file.
//
// Writes from one Store are serialised in Go (a semaphore that honours the
// context), so goroutines of one process never contend for SQLite's write
// lock; other handles on the same file wait on SQLite's busy timeout. Every
// write is a single statement, so no transaction can be left half done.
type Store struct {
	db      *sql.DB
	ownDB   bool
	table   string
	log     *slog.Logger
	writeMu chan struct{}
	closed  chan struct{} // closed by Close, which then holds writeMu for good

	find, update, create, del, userKeys, delUser, reap *sql.Stmt

	stop      context.CancelFunc
	done      chan struct{}
	closeOnce sync.Once
	closeErr  error
}

// Open opens (creating if needed) the SQLite database at path with the
// settings a Store needs and that suit sharing the file: WAL journal, a
// 10-second busy timeout, synchronous=NORMAL and foreign keys on.
//
// Its pool holds at most 2×GOMAXPROCS+8 connections, all kept open
// between requests. Unbounded, an overloaded app (or a flood of clients that give
// up mid-request) opens a connection, and two file descriptors, per
// waiting request, and SQLite defers closing them while any other
// connection holds a lock: the process runs out of descriptors and every
// call fails. Bounded, a request beyond the limit waits for a connection,
// within its context. Give a *sql.DB opened elsewhere (Config.DB) a limit too.
func Open(path string) (*sql.DB, error) {
	if path == "" {
		return nil, errors.New("sqlitestore: database path is empty")
	}
	dsn := path + "?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)&_pragma=foreign_keys(ON)"
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("sqlitestore: open %q: %w", path, err)
	}
	db.SetMaxOpenConns(maxConns())
	db.SetMaxIdleConns(maxConns())
	return db, nil
}

// maxConns is the size of the connection pool Open sets: two per CPU Go
// may use, plus 8 for writers that wait on SQLite's busy timeout while
// holding a connection (a shared file's other tables, another process),
// so that they cannot take every connection from the session reads.
func maxConns() int { return 2*runtime.GOMAXPROCS(0) + 8 }

// New opens the store, creating or migrating its schema. ctx bounds only
// the setup; the cleanup goroutine runs until Close.
func New(ctx context.Context, cfg Config) (*Store, error) {
	if (cfg.Path == "") == (cfg.DB == nil) {
		return nil, errors.New("sqlitestore: set exactly one of Config.Path and Config.DB")
	}
	if cfg.Table == "" {
		cfg.Table = DefaultTable
	}
	if !tableName.MatchString(cfg.Table) {
		return nil, fmt.Errorf("sqlitestore: table %q: use 1-40 letters, digits or underscores, not starting with a digit", cfg.Table)
	}
	if cfg.CleanupInterval == 0 {
		cfg.CleanupInterval = DefaultCleanupInterval
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	s := &Store{db: cfg.DB, table: cfg.Table, log: cfg.Logger, writeMu: make(chan struct{}, 1), closed: make(chan struct{})}
	if cfg.Path != "" {
		db, err := Open(cfg.Path)
		if err != nil {
			return nil, err
		}
		s.db, s.ownDB = db, true
	}
	if err := s.setup(ctx); err != nil {
		s.closeStmts()
		if s.ownDB {
			s.db.Close()
		}
		return nil, err
	}
	runCtx, stop := context.WithCancel(context.Background())
	s.stop, s.done = stop, make(chan struct{})
	go func() {
		defer close(s.done)
		cleanup.Loop(runCtx, cfg.CleanupInterval, s.log, "sqlitestore: cleanup failed", s.DeleteExpired)
	}()
	return s, nil
}

func (s *Store) setup(ctx context.Context) error {
	var busy int
	if err := s.db.QueryRowContext(ctx, "PRAGMA busy_timeout").Scan(&busy); err != nil {
		return fmt.Errorf("sqlitestore: %w", err)
	}
	if busy == 0 {
		return errors.New("sqlitestore: the database has no busy timeout; open it with sqlitestore.Open or add _pragma=busy_timeout(10000) to its DSN")
	}
	var mode string
	if err := s.db.QueryRowContext(ctx, "PRAGMA journal_mode=WAL").Scan(&mode); err != nil {
		return fmt.Errorf("sqlitestore: enable WAL: %w", err)
	}
	if err := s.migrate(ctx); err != nil {
		return err
	}
	t := `"` + s.table + `"`
	for _, p := range []struct {
		stmt **sql.Stmt
		sql  string
	}{
		{&s.find, `SELECT data, user_id, version, expiry FROM ` + t + ` WHERE token_hash = ? AND expiry > ?`},
		{&s.update, `UPDATE ` + t + ` SET data = ?, user_id = ?, version = version + 1, expiry = ?
			WHERE token_hash = ? AND version = ? AND expiry > ?`},
		{&s.create, `INSERT INTO ` + t + ` (token_hash, data, user_id, version, expiry) VALUES (?, ?, ?, 1, ?)
			ON CONFLICT (token_hash) DO UPDATE SET data = excluded.data, user_id = excluded.user_id, version = 1, expiry = excluded.expiry
			WHERE ` + t + `.expiry <= ?`},
		{&s.del, `DELETE FROM ` + t + ` WHERE token_hash = ?`},
		{&s.userKeys, `SELECT token_hash FROM ` + t + ` WHERE user_id = ? AND user_id <> '' AND expiry > ?`},
		{&s.delUser, `DELETE FROM ` + t + ` WHERE user_id = ? AND user_id <> '' AND token_hash <> ? RETURNING expiry`},
		{&s.reap, `DELETE FROM ` + t + ` WHERE expiry <= ?1 AND token_hash IN (SELECT token_hash FROM ` + t + ` WHERE expiry <= ?1 LIMIT ` + strconv.Itoa(reapBatch) + `)`},
	} {
		stmt, err := s.db.PrepareContext(ctx, p.sql)
		if err != nil {
			return fmt.Errorf("sqlitestore: prepare: %w", err)
		}
		*p.stmt = stmt
	}
	return nil
}

// migrate creates the schema, or upgrades an older one, inside one
// immediate transaction, so stores starting together do not race.
func (s *Store) migrate(ctx context.Context) (err error) {
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return fmt.Errorf("sqlitestore: migrate: %w", err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, "BEGIN IMMEDIATE"); err != nil {
		return fmt.Errorf("sqlitestore: migrate: %w", err)
	}
	defer func() {
		if err != nil {
			conn.ExecContext(context.Background(), "ROLLBACK")
			err = fmt.Errorf("sqlitestore: migrate table %q: %w", s.table, err)
		}
	}()
	if _, err := conn.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS bulwark_schema (
		name TEXT PRIMARY KEY, version INTEGER NOT NULL) WITHOUT ROWID`); err != nil {
		return err
	}
	var have int
	err = conn.QueryRowContext(ctx, `SELECT version FROM bulwark_schema WHERE name = ?`, s.table).Scan(&have)
	if errors.Is(err, sql.ErrNoRows) {
		have, err = 0, nil
	}
	if err != nil {
		return err
	}
	if have > schemaVersion {
		return fmt.Errorf("schema version %d is newer than this package's %d; upgrade bulwark", have, schemaVersion)
	}
	t := `"` + s.table + `"`
	if have < 1 {
		for _, q := range []string{
			`CREATE TABLE IF NOT EXISTS ` + t + ` (
				token_hash TEXT PRIMARY KEY,
				data BLOB NOT NULL,
				user_id TEXT NOT NULL DEFAULT '',
				version INTEGER NOT NULL,
				expiry INTEGER NOT NULL
			) WITHOUT ROWID`,
			`CREATE INDEX IF NOT EXISTS "` + s.table + `_user_id" ON ` + t + ` (user_id) WHERE user_id <> ''`,
			`CREATE INDEX IF NOT EXISTS "` + s.table + `_expiry" ON ` + t + ` (expiry)`,
		} {
			if _, err := conn.ExecContext(ctx, q); err != nil {
				return err
			}
		}
	}
	if have < schemaVersion {
		if _, err := conn.ExecContext(ctx, `INSERT INTO bulwark_schema (name, version) VALUES (?, ?)
			ON CONFLICT (name) DO UPDATE SET version = excluded.version`, s.table, schemaVersion); err != nil {
			return err
		}
	}
	_, err = conn.ExecContext(ctx, "COMMIT")
	return err
}

// DB returns the database the store uses, for example to keep other tables
// in the same file.
func (s *Store) DB() *sql.DB { return s.db }

// Close stops the cleanup goroutine, releases the prepared statements and,
// when the store opened the database from Config.Path, closes it. It is
// safe to call more than once.
func (s *Store) Close() error {
	s.closeOnce.Do(func() {
		s.stop()
		<-s.done
		// Take the write lock so no write is half way through.
		s.writeMu <- struct{}{}
		close(s.closed)
		s.closeStmts()
		if s.ownDB {
			s.closeErr = s.db.Close()
		}
	})
	return s.closeErr
}

func (s *Store) closeStmts() {
	for _, st := range []*sql.Stmt{s.find, s.update, s.create, s.del, s.userKeys, s.delUser, s.reap} {
		if st != nil {
			st.Close()
		}
	}
}

// lock takes the store's write lock, giving up when ctx ends or the store
// is closed.
func (s *Store) lock(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	select {
	case s.writeMu <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-s.closed:
		return ErrClosed
	}
}

func (s *Store) unlock() { <-s.writeMu }

// reapBatch is how many expired rows one cleanup statement deletes: a
// commit waits for at most one batch (a few ms). In one statement, a
// million expired rows held the write lock, and every commit, for 16 s.
const reapBatch = 200

// DeleteExpired deletes every expired row now and returns how many it
// removed. The cleanup goroutine calls it every Config.CleanupInterval.
// It deletes in batches of reapBatch rows, taking the write lock for each
// batch only, so commits go on while it runs, and checkpoints the WAL
// after each batch, outside the lock, so that the commits between batches
// do not pay for checkpointing the cleanup's pages (scripts/load-scale,
// 1M expired rows: request p99 during the cleanup 2.5-4 ms, not 30 ms).
func (s *Store) DeleteExpired(ctx context.Context) (int64, error) {
	now := time.Now().UnixMilli()
	n, err := cleanup.Batches(ctx, reapBatch, func(ctx context.Context) (int64, error) {
		n, err := s.reapOnce(ctx, now)
		if err == nil && n > 0 {
			_, err = s.db.ExecContext(ctx, "PRAGMA wal_checkpoint(PASSIVE)")
		}
		return n, err
	})
	if err != nil {
		return n, fmt.Errorf("sqlitestore: delete expired: %w", err)
	}
	return n, nil
}

// reapOnce deletes one batch of expired rows under the write lock.
func (s *Store) reapOnce(ctx context.Context, now int64) (int64, error) {
	if err := s.lock(ctx); err != nil {
		return 0, err
	}
	defer s.unlock()
	res, err := s.reap.ExecContext(ctx, now)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

// Find implements session.Store.
func (s *Store) Find(ctx context.Context, key string) (session.Record, bool, error) {
	rows, err := s.find.QueryContext(ctx, key, time.Now().UnixMilli())
	if err != nil {
		return session.Record{}, false, s.wrap(ctx, "find", err)
	}
	defer rows.Close()
	if !rows.Next() {
		if err := rows.Err(); err != nil {
			return session.Record{}, false, s.wrap(ctx, "find", err)
		}
		return session.Record{}, false, nil
	}
	var (
		data    sql.RawBytes
		rec     session.Record
		version int64
		expiry  int64
	)
	if err := rows.Scan(&data, &rec.UserID, &version, &expiry); err != nil {
		return session.Record{}, false, s.wrap(ctx, "find", err)
	}
	values, err := session.DecodeValues(data)
	if err != nil || version <= 0 {
		s.log.Warn("sqlitestore: corrupt session treated as missing", "reason", "corrupt", "table", s.table)
		return session.Record{}, false, nil
	}
	rec.Values, rec.Version, rec.Expiry = values, uint64(version), time.UnixMilli(expiry)
	return rec, true, nil
}

// Commit implements session.Store.
func (s *Store) Commit(ctx context.Context, key string, rec session.Record) (uint64, error) {
	if rec.Version >= math.MaxInt64 {
		return 0, session.ErrConflict
	}
	data := session.EncodeValues(rec.Values)
	expiry := rec.Expiry.UnixMilli()
	if err := s.lock(ctx); err != nil {
		return 0, err
	}
	defer s.unlock()
	now := time.Now().UnixMilli()
	var (
		res sql.Result
		err error
	)
	if rec.Version == 0 {
		res, err = s.create.ExecContext(ctx, key, data, rec.UserID, expiry, now)
	} else {
		res, err = s.update.ExecContext(ctx, data, rec.UserID, expiry, key, int64(rec.Version), now)
	}
	if err != nil {
		return 0, s.wrap(ctx, "commit", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, s.wrap(ctx, "commit", err)
	}
	if n == 0 {
		return 0, session.ErrConflict
	}
	return rec.Version + 1, nil
}

// Delete implements session.Store.
func (s *Store) Delete(ctx context.Context, key string) error {
	if err := s.lock(ctx); err != nil {
		return err
	}
	defer s.unlock()
	if _, err := s.del.ExecContext(ctx, key); err != nil {
		return s.wrap(ctx, "delete", err)
	}
	return nil
}

// UserSessions implements session.Store. It reads the user_id index.
func (s *Store) UserSessions(ctx context.Context, userID string) ([]string, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if userID == "" {
		return nil, nil
	}
	rows, err := s.userKeys.QueryContext(ctx, userID, time.Now().UnixMilli())
	if err != nil {
		return nil, s.wrap(ctx, "user sessions", err)
	}
	defer rows.Close()
	var keys []string
	for rows.Next() {
		var k string
		if err := rows.Scan(&k); err != nil {
			return nil, s.wrap(ctx, "user sessions", err)
		}
		keys = append(keys, k)
	}
	if err := rows.Err(); err != nil {
		return nil, s.wrap(ctx, "user sessions", err)
	}
	return keys, nil
}

// DeleteUserSessions implements session.Store. Expired rows of the user
// are deleted too but not counted.
func (s *Store) DeleteUserSessions(ctx context.Context, userID, keep string) (int, error) {
	if err := s.lock(ctx); err != nil {
		return 0, err
	}
	defer s.unlock()
	if userID == "" {
		return 0, nil
	}
	now := time.Now().UnixMilli()
	rows, err := s.delUser.QueryContext(ctx, userID, keep)
	if err != nil {
		return 0, s.wrap(ctx, "delete user sessions", err)
	}
	defer rows.Close()
	n := 0
	for rows.Next() {
		var expiry int64
		if err := rows.Scan(&expiry); err != nil {
			return 0, s.wrap(ctx, "delete user sessions", err)
		}
		if expiry > now {
			n++
		}
	}
	if err := rows.Err(); err != nil {
		return 0, s.wrap(ctx, "delete user sessions", err)
	}
	return n, nil
}

// wrap adds the package and operation to err, keeping context errors and
// ErrClosed matchable with errors.Is.
func (s *Store) wrap(ctx context.Context, op string, err error) error {
	cerr := ctx.Err()
	if d, ok := ctx.Deadline(); ok && cerr == nil && !time.Now().Before(d) {
		// The socket deadline (set from ctx) fired a moment before the
		// context's own timer.
		cerr = context.DeadlineExceeded
	}
	if cerr != nil && !errors.Is(err, cerr) {
		return fmt.Errorf("sqlitestore: %s: %w (%w)", op, cerr, err)
	}
	if errors.Is(err, sql.ErrConnDone) || err.Error() == "sql: statement is closed" || err.Error() == "sql: database is closed" {
		return fmt.Errorf("sqlitestore: %s: %w (%w)", op, ErrClosed, err)
	}
	return fmt.Errorf("sqlitestore: %s: %w", op, err)
}
