// Package sqliteusers is the SQLite implementation of auth.UserStore, on
// modernc.org/sqlite (pure Go, no cgo).
//
// Users live in their own table (bulwark_auth_users by default), so the store
// can share a database file, and a *sql.DB, with the session SQLite store.
// New creates the table if it is missing and records the schema version in
// bulwark_auth_schema, so later versions can migrate it.
//
// What the table holds: the normalised username, the argon2id PHC string,
// the disabled flag and the creation time. Reading the database gives an
// attacker the hashes to crack offline (argon2id makes that slow); writing it
// lets them plant a hash, which auth bounds in cost (see auth.ErrBadHash).
// Protect the file like any credential store.
package sqliteusers

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"runtime"
	"time"

	"github.com/bulwark-go/bulwark/auth"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

const schemaVersion = 1

// Config configures New.
type Config struct {
	// DB is the database. Required. Open gives one with sensible settings;
	// a *sql.DB shared with the session store works too.
	DB *sql.DB
	// Table is the users table name. Zero: "bulwark_auth_users". Letters,
	// digits and underscores only.
	Table string
}

// Store is an auth.UserStore on SQLite. It is safe for concurrent use.
type Store struct {
	db    *sql.DB
	table string
	q     queries
}

type queries struct {
	insert, byName, byID, setPW, setDisabled, list string
}

var tableName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]{0,62}$`)

// Open opens (creating if needed) the SQLite database at path with a busy
// timeout, WAL journaling and immediate write transactions. Its pool holds
// at most 2×GOMAXPROCS+8 connections, all kept open, for the reason
// sqlitestore.Open gives: unbounded, an overloaded app runs out of file
// descriptors.
func Open(path string) (*sql.DB, error) {
	if path == "" {
		return nil, errors.New("sqliteusers: database path is empty: give a file path")
	}
	dsn := "file:" + url.PathEscape(path) + "?_pragma=busy_timeout(5000)&_pragma=journal_mode(WAL)&_pragma=foreign_keys(1)&_txlock=immediate"
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("sqliteusers: opening %q: %w", path, err)
	}
	n := 2*runtime.GOMAXPROCS(0) + 8
	db.SetMaxOpenConns(n)
	db.SetMaxIdleConns(n)
	if err := db.Ping(); err != nil {
		db.Close()
		return nil, fmt.Errorf("sqliteusers: opening %q: %w", path, err)
	}
	return db, nil
}

// New validates cfg, creates or migrates the schema and returns a Store.
func New(ctx context.Context, cfg Config) (*Store, error) {
	if cfg.DB == nil {
		return nil, errors.New("sqliteusers: Config.DB is nil: open a database with sqliteusers.Open")
	}
	if cfg.Table == "" {
		cfg.Table = "bulwark_auth_users"
	}
	if !tableName.MatchString(cfg.Table) {
		return nil, fmt.Errorf("sqliteusers: table name %q: use letters, digits and underscores only", cfg.Table)
	}
	s := &Store{db: cfg.DB, table: cfg.Table}
	if err := s.migrate(ctx); err != nil {
		return nil, err
	}
	t := cfg.Table
	cols := "id, username, password_hash, disabled, created_at"
	s.q = queries{
		insert:      "INSERT INTO " + t + " (" + cols + ") VALUES (?, ?, ?, 0, ?)",
		byName:      "SELECT " + cols + " FROM " + t + " WHERE username = ?",
		byID:        "SELECT " + cols + " FROM " + t + " WHERE id = ?",
		setPW:       "UPDATE " + t + " SET password_hash = ? WHERE id = ? AND (? = '' OR password_hash = ?)",
		setDisabled: "UPDATE " + t + " SET disabled = ? WHERE id = ?",
		list:        "SELECT " + cols + " FROM " + t + " ORDER BY username",
	}
	return s, nil
}

func (s *Store) migrate(ctx context.Context) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("sqliteusers: migrating: %w", err)
	}
	defer tx.Rollback()
	stmts := []string{
		`CREATE TABLE IF NOT EXISTS bulwark_auth_schema (tbl TEXT PRIMARY KEY, version INTEGER NOT NULL)`,
		`CREATE TABLE IF NOT EXISTS ` + s.table + ` (
			id            TEXT PRIMARY KEY,
			username      TEXT NOT NULL UNIQUE,
			password_hash TEXT NOT NULL,
			disabled      INTEGER NOT NULL DEFAULT 0,
			created_at    INTEGER NOT NULL
		)`,
	}
	for _, q := range stmts {
		if _, err := tx.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("sqliteusers: migrating: %w", err)
		}
	}
	var v int
	switch err := tx.QueryRowContext(ctx, `SELECT version FROM bulwark_auth_schema WHERE tbl = ?`, s.table).Scan(&v); {
	case errors.Is(err, sql.ErrNoRows):
		if _, err := tx.ExecContext(ctx, `INSERT INTO bulwark_auth_schema (tbl, version) VALUES (?, ?)`, s.table, schemaVersion); err != nil {
			return fmt.Errorf("sqliteusers: migrating: %w", err)
		}
	case err != nil:
		return fmt.Errorf("sqliteusers: migrating: %w", err)
	case v > schemaVersion:
		return fmt.Errorf("sqliteusers: table %q has schema version %d, newer than this build's %d: upgrade Bulwark", s.table, v, schemaVersion)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("sqliteusers: migrating: %w", err)
	}
	return nil
}

// Create implements auth.UserStore.
func (s *Store) Create(ctx context.Context, username, passwordHash string) (auth.User, error) {
	id := make([]byte, 16)
	if _, err := rand.Read(id); err != nil {
		return auth.User{}, fmt.Errorf("sqliteusers: random id: %w", err)
	}
	u := auth.User{
		ID:           hex.EncodeToString(id),
		Username:     username,
		PasswordHash: passwordHash,
		CreatedAt:    time.Now().UTC().Truncate(time.Microsecond),
	}
	if _, err := s.db.ExecContext(ctx, s.q.insert, u.ID, u.Username, u.PasswordHash, u.CreatedAt.UnixMicro()); err != nil {
		var se *sqlite.Error
		if errors.As(err, &se) && (se.Code() == sqlite3.SQLITE_CONSTRAINT_UNIQUE || se.Code() == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY) {
			return auth.User{}, fmt.Errorf("%w: %q", auth.ErrUserExists, username)
		}
		return auth.User{}, fmt.Errorf("sqliteusers: create: %w", err)
	}
	return u, nil
}

func (s *Store) get(ctx context.Context, q, arg string) (auth.User, error) {
	var u auth.User
	var micros int64
	err := s.db.QueryRowContext(ctx, q, arg).Scan(&u.ID, &u.Username, &u.PasswordHash, &u.Disabled, &micros)
	if errors.Is(err, sql.ErrNoRows) {
		return auth.User{}, auth.ErrUserNotFound
	}
	if err != nil {
		return auth.User{}, fmt.Errorf("sqliteusers: get: %w", err)
	}
	u.CreatedAt = time.UnixMicro(micros).UTC()
	return u, nil
}

// GetByUsername implements auth.UserStore.
func (s *Store) GetByUsername(ctx context.Context, username string) (auth.User, error) {
	return s.get(ctx, s.q.byName, username)
}

// GetByID implements auth.UserStore.
func (s *Store) GetByID(ctx context.Context, id string) (auth.User, error) {
	return s.get(ctx, s.q.byID, id)
}

// SetPassword implements auth.UserStore.
func (s *Store) SetPassword(ctx context.Context, id, hash, ifHash string) error {
	res, err := s.db.ExecContext(ctx, s.q.setPW, hash, id, ifHash, ifHash)
	if err != nil {
		return fmt.Errorf("sqliteusers: set password: %w", err)
	}
	return s.affected(ctx, res, id, auth.ErrConflict)
}

// SetDisabled implements auth.UserStore.
func (s *Store) SetDisabled(ctx context.Context, id string, disabled bool) error {
	res, err := s.db.ExecContext(ctx, s.q.setDisabled, disabled, id)
	if err != nil {
		return fmt.Errorf("sqliteusers: set disabled: %w", err)
	}
	return s.affected(ctx, res, id, auth.ErrUserNotFound)
}

// affected turns "no row updated" into ErrUserNotFound or, when the user
// exists, into whenExists.
func (s *Store) affected(ctx context.Context, res sql.Result, id string, whenExists error) error {
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("sqliteusers: update: %w", err)
	}
	if n > 0 {
		return nil
	}
	if _, err := s.GetByID(ctx, id); err != nil {
		return err
	}
	return whenExists
}

// List implements auth.UserStore.
func (s *Store) List(ctx context.Context) ([]auth.User, error) {
	rows, err := s.db.QueryContext(ctx, s.q.list)
	if err != nil {
		return nil, fmt.Errorf("sqliteusers: list: %w", err)
	}
	defer rows.Close()
	var users []auth.User
	for rows.Next() {
		var u auth.User
		var micros int64
		if err := rows.Scan(&u.ID, &u.Username, &u.PasswordHash, &u.Disabled, &micros); err != nil {
			return nil, fmt.Errorf("sqliteusers: list: %w", err)
		}
		u.CreatedAt = time.UnixMicro(micros).UTC()
		users = append(users, u)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqliteusers: list: %w", err)
	}
	return users, nil
}

var _ auth.UserStore = (*Store)(nil)
