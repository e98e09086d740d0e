// Package pgstore keeps sessions in PostgreSQL through
// github.com/jackc/pgx/v5 (pgxpool): the store for many app instances that
// already share a database.
//
// # Threat model
//
// The table holds authentication state. Keys are what the session Manager
// passes: the hex SHA-256 of each session ID, never the ID itself, so a
// leaked dump, replica or backup yields no cookie an attacker could replay.
// An expired row is never returned (every read compares expiry with the
// app's clock), even before cleanup deletes it. Commits are
// compare-and-swap on a version column in one statement, so a slow request
// cannot overwrite a newer commit. A row that does not decode is treated as
// no session and logged. The table name is validated and quoted; session
// data only ever travels as bind parameters. Restrict the database role to
// what the store needs and protect backups like any credential store.
//
// # Schema
//
// New creates the table (default "bulwark_sessions": token_hash text
// primary key, data bytea, user_id text, version bigint, expiry
// timestamptz, with indexes on user_id and expiry) in the connection's
// current schema and records its version in a "bulwark_schema" table, in
// one transaction under an advisory lock, so instances may start together.
//
// # Round trips
//
// Every method is one statement, sent with pgx's cached prepared
// statements: Find is one SELECT; Commit is an UPDATE ... WHERE version = $n
// AND expiry > now, or for a new session INSERT ... ON CONFLICT DO UPDATE
// ... WHERE expiry <= now (so only an expired row can be replaced);
// DeleteUserSessions is a DELETE ... RETURNING counted in the same
// statement.
//
// # Cleanup
//
// A background goroutine per Store deletes expired rows every
// Config.CleanupInterval (default five minutes) and stops on Close. With
// many instances each runs it; the deletes are idempotent. Set a negative
// interval to run DeleteExpired from your own scheduler instead.
//
// # Usage
//
//	pool, err := pgxpool.New(ctx, "postgres://app@db/app")
//	if err != nil { ... }
//	st, err := pgstore.New(ctx, pool, pgstore.Config{})
//	if err != nil { ... }
//	defer st.Close()
//	mgr, err := session.New(session.Config{Store: st})
//
// A Store is safe for concurrent use.
package pgstore
