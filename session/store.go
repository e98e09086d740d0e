// This file holds the Store contract every session backend implements.

package session

import (
	"context"
	"errors"
	"time"
)

// ErrConflict is returned by Store.Commit when the stored version of a
// session is not the version the caller read: another request committed
// first. The Manager answers it by re-reading the session, re-applying only
// the keys its request changed, and committing again.
var ErrConflict = errors.New("session: version conflict")

// Record is one session as a Store keeps it.
//
// A Store treats a Record as data: it never interprets Values. The Manager
// owns the encoding of each value.
type Record struct {
	// Values maps a session key to its encoded value.
	Values map[string][]byte
	// UserID is the user bound to the session, or "" for an anonymous one.
	// A Store keeps an index from UserID to the keys of its live sessions.
	UserID string
	// Version is the number of successful commits of this session. A Record
	// returned by Find carries the stored version; a Record passed to Commit
	// carries the version the caller expects to replace (0: the session must
	// not exist yet, or must have expired).
	Version uint64
	// Expiry is the instant after which the session is dead. A Store must
	// never return a Record whose Expiry has passed, and should reclaim its
	// space (by TTL, a reaper, or a cleanup query).
	Expiry time.Time
}

// Store is a session backend. Keys passed to a Store are never session IDs:
// the Manager passes the hex SHA-256 of the ID, so what a Store holds cannot
// be replayed as a cookie.
//
// Every method takes a context and must return promptly with ctx.Err()
// (possibly wrapped) once it is cancelled or past its deadline. Errors are
// for system faults only: a missing, expired or corrupt session is
// found=false with a nil error (a Store may log the corruption).
//
// Implementations must be safe for concurrent use, including by several
// Managers in several processes sharing one backend.
type Store interface {
	// Find returns the live session stored under key.
	Find(ctx context.Context, key string) (rec Record, found bool, err error)

	// Commit stores rec under key if and only if the stored version equals
	// rec.Version (0 meaning absent or expired), atomically, and returns the
	// new version, which is rec.Version+1. On a version mismatch it stores
	// nothing and returns ErrConflict. It keeps the user index in step:
	// the key is listed under rec.UserID and no longer under a previous user.
	Commit(ctx context.Context, key string, rec Record) (version uint64, err error)

	// Delete removes the session stored under key and its user-index entry.
	// Deleting a missing key is not an error.
	Delete(ctx context.Context, key string) error

	// UserSessions returns the keys of the live sessions bound to userID,
	// in no particular order, without scanning other users' sessions.
	UserSessions(ctx context.Context, userID string) (keys []string, err error)

	// DeleteUserSessions removes every session bound to userID except the
	// one stored under keep ("" keeps none), and returns how many it removed.
	DeleteUserSessions(ctx context.Context, userID, keep string) (n int, err error)
}
