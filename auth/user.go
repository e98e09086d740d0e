// This file holds the User type, the UserStore contract and username rules.

package auth

import (
	"context"
	"errors"
	"fmt"
	"time"
	"unicode/utf8"

	"golang.org/x/text/secure/precis"
)

// MaxUsernameLength bounds a normalised username, in Unicode code points.
const MaxUsernameLength = 64

var (
	// ErrUserNotFound is returned by a UserStore when no user matches.
	ErrUserNotFound = errors.New("auth: user not found")
	// ErrUserExists is returned by UserStore.Create when the normalised
	// username is taken.
	ErrUserExists = errors.New("auth: username already taken")
	// ErrInvalidUsername reports a username that is empty, too long, or not
	// allowed by the PRECIS UsernameCaseMapped profile (for example it holds
	// spaces or control characters).
	ErrInvalidUsername = errors.New("auth: invalid username")
	// ErrConflict is returned by UserStore.SetPassword when the stored hash
	// is not the expected one: the password changed concurrently.
	ErrConflict = errors.New("auth: password changed concurrently")
)

// User is an account as a UserStore keeps it.
type User struct {
	// ID is the store-assigned, immutable identifier bound to sessions.
	ID string
	// Username is the normalised username (see NormalizeUsername).
	Username string
	// PasswordHash is the argon2id PHC string.
	PasswordHash string
	// Disabled users cannot log in, and their sessions end at their next
	// request.
	Disabled bool
	// CreatedAt is when the user was created (UTC).
	CreatedAt time.Time
}

// UserStore keeps users. Usernames passed to and returned by a store are
// already normalised by NormalizeUsername; a store compares them exactly.
// Missing users are ErrUserNotFound; other errors are system faults.
//
// Implementations must be safe for concurrent use. auth/sqliteusers is the
// SQLite implementation.
type UserStore interface {
	// Create stores a new enabled user and returns it with its ID and
	// CreatedAt set. A taken username is ErrUserExists.
	Create(ctx context.Context, username, passwordHash string) (User, error)
	// GetByUsername returns the user with that normalised username.
	GetByUsername(ctx context.Context, username string) (User, error)
	// GetByID returns the user with that ID.
	GetByID(ctx context.Context, id string) (User, error)
	// SetPassword replaces the user's password hash. If ifHash is not empty
	// the update happens only while the stored hash equals ifHash, else it
	// returns ErrConflict (used when upgrading a hash at login, so it cannot
	// undo a concurrent password change).
	SetPassword(ctx context.Context, id, hash, ifHash string) error
	// SetDisabled disables or re-enables the user.
	SetDisabled(ctx context.Context, id string, disabled bool) error
	// List returns every user ordered by username.
	List(ctx context.Context) ([]User, error)
}

// NormalizeUsername returns the canonical form of a username: the PRECIS
// UsernameCaseMapped profile of RFC 8265 (full-width characters mapped to
// their normal width, Unicode case folded to lower case, NFC normalised;
// spaces, control and other disallowed characters rejected), at most
// MaxUsernameLength code points. "Alice", "ALICE" and "ａｌｉｃｅ" are the same
// user. Two usernames are the same account exactly when their normalised
// forms are equal.
func NormalizeUsername(username string) (string, error) {
	if username == "" || len(username) > 4*MaxUsernameLength {
		return "", fmt.Errorf("%w: must be 1 to %d characters", ErrInvalidUsername, MaxUsernameLength)
	}
	n, err := precis.UsernameCaseMapped.String(username)
	if err != nil {
		return "", fmt.Errorf("%w: letters, digits and punctuation only, no spaces", ErrInvalidUsername)
	}
	if c := utf8.RuneCountInString(n); c == 0 || c > MaxUsernameLength {
		return "", fmt.Errorf("%w: must be 1 to %d characters", ErrInvalidUsername, MaxUsernameLength)
	}
	return n, nil
}
