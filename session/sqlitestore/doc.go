// Package sqlitestore keeps sessions in SQLite through modernc.org/sqlite, a
// pure-Go driver (no cgo): the embedded default for an app on one machine.
//
// # Threat model
//
// The table holds authentication state. Keys are what the session Manager
// passes: the hex SHA-256 of each session ID, never the ID itself, so a
// copied database file or backup yields no cookie an attacker could replay.
// An expired row is never returned, even before the cleanup goroutine
// deletes it. Commits are compare-and-swap on a version column, so a slow
// request cannot overwrite a newer commit (the Manager merges and retries).
// A row that does not decode is treated as no session and logged, never as
// an error an attacker could use to break a page. Values are stored as the
// Manager's opaque bytes; protect the file like any credential store (file
// permissions, encrypted disk, encrypted backups).
//
// # Usage
//
//	st, err := sqlitestore.New(ctx, sqlitestore.Config{Path: "app.db"})
//	if err != nil { ... }
//	defer st.Close()
//	mgr, err := session.New(session.Config{Store: st})
//
// To keep other tables (for example auth's users) in the same file, open
// the database once with Open, pass it as Config.DB and use it for both.
//
// # Schema
//
// New creates the table (default "bulwark_sessions": token_hash primary
// key, data, user_id, version, expiry in Unix milliseconds, with indexes on
// user_id and expiry) and records its version in a "bulwark_schema" table,
// inside one BEGIN IMMEDIATE transaction, so several processes may start
// at once. The database is switched to WAL mode, so readers never wait for
// the writer.
//
// # Concurrency
//
// A Store is safe for concurrent use. Every write is one statement
// (UPDATE ... WHERE version = ?, or INSERT ... ON CONFLICT DO UPDATE ...
// WHERE expiry <= now for a new session), so no transaction is ever held
// open across a round trip. Writes through one Store are serialised by a
// semaphore that honours the context; writers in other processes wait on
// SQLite's busy timeout. A background goroutine deletes expired rows every
// Config.CleanupInterval and stops on Close.
package sqlitestore
