// This file holds Accounts: user management and credential checks on top of
// a UserStore, with the password policy and the hashing concurrency limit.

package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"unicode/utf8"
)

var (
	// ErrInvalidCredentials is the one error Authenticate returns for an
	// unknown user, a wrong password or a disabled account, so callers
	// cannot tell them apart by accident.
	ErrInvalidCredentials = errors.New("auth: invalid username or password")
	// ErrBusy is returned by Authenticate when every hashing slot stayed
	// taken until the context ended (see AccountsConfig.MaxConcurrentHashes).
	ErrBusy = errors.New("auth: too many password checks in progress")
)

// AccountsConfig configures NewAccounts.
type AccountsConfig struct {
	// Users is the user store. Required.
	Users UserStore
	// Params are the argon2id parameters for new hashes; hashes made with
	// other parameters are upgraded at the next successful login. Zero:
	// DefaultParams (the OWASP minimum). Cheaper values are for tests only
	// and make NewAccounts log a warning.
	Params Params
	// MinPasswordLength is the minimum length of a new password in Unicode
	// code points. Zero: 8 (NIST SP 800-63B). Negative: no minimum beyond
	// one character. It is not applied when checking an existing password.
	MinPasswordLength int
	// MaxConcurrentHashes bounds concurrent argon2id computations (each
	// takes Params.Memory KiB). Zero: runtime.GOMAXPROCS(0). Callers beyond
	// it wait for a slot until their context ends.
	MaxConcurrentHashes int
	// Logger receives one line per event. Zero: slog.Default().
	Logger *slog.Logger
}

// Accounts creates and manages users and checks their credentials.
// It is safe for concurrent use.
type Accounts struct {
	users     UserStore
	params    Params
	minLength int
	sem       chan struct{}
	dummy     phc
	log       *slog.Logger
}

// NewAccounts validates cfg and returns an Accounts. It computes one hash at
// start-up: the dummy hash that unknown usernames are verified against, so
// they cost the same time as a wrong password.
func NewAccounts(cfg AccountsConfig) (*Accounts, error) {
	if cfg.Users == nil {
		return nil, errors.New("auth: AccountsConfig.Users is nil: a UserStore is required (e.g. sqliteusers.New)")
	}
	if cfg.Params == (Params{}) {
		cfg.Params = DefaultParams
	}
	if err := cfg.Params.validate(); err != nil {
		return nil, err
	}
	if cfg.MinPasswordLength == 0 {
		cfg.MinPasswordLength = 8
	}
	if cfg.MinPasswordLength > 256 {
		return nil, fmt.Errorf("auth: MinPasswordLength %d: must be at most 256", cfg.MinPasswordLength)
	}
	if cfg.MaxConcurrentHashes < 0 {
		return nil, fmt.Errorf("auth: MaxConcurrentHashes %d: must not be negative", cfg.MaxConcurrentHashes)
	}
	if cfg.MaxConcurrentHashes == 0 {
		cfg.MaxConcurrentHashes = runtime.GOMAXPROCS(0)
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Params.belowOWASP() {
		cfg.Logger.Warn("auth: argon2id parameters are below the OWASP minimum; use them only in tests",
			"params", cfg.Params.String(), "minimum", DefaultParams.String())
	}
	random := make([]byte, 32)
	if _, err := rand.Read(random); err != nil {
		return nil, fmt.Errorf("auth: reading random dummy password: %w", err)
	}
	dummy, err := HashPassword(hex.EncodeToString(random), cfg.Params)
	if err != nil {
		return nil, err
	}
	d, err := parsePHC(dummy)
	if err != nil {
		return nil, err
	}
	return &Accounts{
		users:     cfg.Users,
		params:    cfg.Params,
		minLength: cfg.MinPasswordLength,
		sem:       make(chan struct{}, cfg.MaxConcurrentHashes),
		dummy:     d,
		log:       cfg.Logger,
	}, nil
}

// Users returns the underlying store.
func (a *Accounts) Users() UserStore { return a.users }

// Params returns the parameters new hashes are made with.
func (a *Accounts) Params() Params { return a.params }

// CheckPassword applies the policy for a new password: length bounds and
// valid characters. It returns ErrPasswordTooShort, ErrPasswordTooLong or
// ErrPasswordInvalid, wrapped with the rule.
func (a *Accounts) CheckPassword(password string) error {
	if len(password) > MaxPasswordBytes {
		return ErrPasswordTooLong
	}
	if n := utf8.RuneCountInString(password); n < max(a.minLength, 1) {
		return fmt.Errorf("%w: use at least %d characters", ErrPasswordTooShort, max(a.minLength, 1))
	}
	if _, err := preparePassword(password); err != nil {
		return err
	}
	return nil
}

func (a *Accounts) hash(ctx context.Context, password string) (string, error) {
	if err := a.CheckPassword(password); err != nil {
		return "", err
	}
	if err := a.acquire(ctx); err != nil {
		return "", err
	}
	defer a.release()
	return HashPassword(password, a.params)
}

func (a *Accounts) acquire(ctx context.Context) error {
	select {
	case a.sem <- struct{}{}:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("%w: %w", ErrBusy, ctx.Err())
	}
}

func (a *Accounts) release() { <-a.sem }

// Create adds an enabled user. The username is normalised
// (NormalizeUsername); the password must pass CheckPassword.
func (a *Accounts) Create(ctx context.Context, username, password string) (User, error) {
	name, err := NormalizeUsername(username)
	if err != nil {
		return User{}, err
	}
	h, err := a.hash(ctx, password)
	if err != nil {
		return User{}, err
	}
	u, err := a.users.Create(ctx, name, h)
	if err != nil {
		return User{}, err
	}
	a.log.Info("auth: user created", "user_id", u.ID)
	return u, nil
}

// Lookup returns the user with that username (normalised first).
func (a *Accounts) Lookup(ctx context.Context, username string) (User, error) {
	name, err := NormalizeUsername(username)
	if err != nil {
		return User{}, err
	}
	return a.users.GetByUsername(ctx, name)
}

// SetPassword replaces a user's password. Every session of the user made
// before the change ends at its next request through Authenticator
// middleware (the session holds a fingerprint of the old hash); to keep the
// caller's own session, use Authenticator.ChangePassword instead.
func (a *Accounts) SetPassword(ctx context.Context, username, password string) error {
	u, err := a.Lookup(ctx, username)
	if err != nil {
		return err
	}
	return a.setPassword(ctx, u.ID, password)
}

func (a *Accounts) setPassword(ctx context.Context, id, password string) error {
	h, err := a.hash(ctx, password)
	if err != nil {
		return err
	}
	if err := a.users.SetPassword(ctx, id, h, ""); err != nil {
		return err
	}
	a.log.Info("auth: password changed", "user_id", id)
	return nil
}

// Disable disables a user: logins fail and existing sessions end at their
// next request through Authenticator middleware.
func (a *Accounts) Disable(ctx context.Context, username string) error {
	return a.setDisabled(ctx, username, true)
}

// Enable re-enables a disabled user.
func (a *Accounts) Enable(ctx context.Context, username string) error {
	return a.setDisabled(ctx, username, false)
}

func (a *Accounts) setDisabled(ctx context.Context, username string, disabled bool) error {
	u, err := a.Lookup(ctx, username)
	if err != nil {
		return err
	}
	if err := a.users.SetDisabled(ctx, u.ID, disabled); err != nil {
		return err
	}
	a.log.Info("auth: user disabled changed", "user_id", u.ID, "disabled", disabled)
	return nil
}

// List returns every user ordered by username.
func (a *Accounts) List(ctx context.Context) ([]User, error) { return a.users.List(ctx) }

// Authenticate checks a username and password and returns the user. An
// unknown username, a wrong password and a disabled account all return
// ErrInvalidCredentials after the same argon2id work (an unknown username is
// checked against a dummy hash). On success a hash made with outdated
// parameters is replaced. Other errors are ErrBusy or store faults.
//
// Authenticate does not throttle; the Authenticator's login handler does.
func (a *Accounts) Authenticate(ctx context.Context, username, password string) (User, error) {
	u, err := a.authenticate(ctx, username, password, gate{})
	return u, generic(err)
}

// gate runs throttling inside the hashing slot, so at most
// MaxConcurrentHashes attempts can pass a limiter before their failures are
// recorded. before refuses the attempt with an error; after learns the
// outcome (ok: the credentials were right), and an error from it replaces
// the outcome: an attempt that could not be recorded is not answered.
type gate struct {
	before func() error
	after  func(ok bool) error
}

// Why credentials were refused, for the log only: each wraps
// ErrInvalidCredentials, and a user only ever sees one generic message
// (Authenticate returns ErrInvalidCredentials itself).
var (
	errUnknownUser     = fmt.Errorf("%w: unknown user", ErrInvalidCredentials)
	errWrongPassword   = fmt.Errorf("%w: wrong password", ErrInvalidCredentials)
	errAccountDisabled = fmt.Errorf("%w: account disabled", ErrInvalidCredentials)
)

// generic turns any of those refusals into ErrInvalidCredentials itself,
// for callers that may show the error: it never says which part was wrong.
func generic(err error) error {
	if errors.Is(err, ErrInvalidCredentials) {
		return ErrInvalidCredentials
	}
	return err
}

// authenticate is Authenticate plus throttling hooks. A refusal is one of
// the errors above, which say why.
func (a *Accounts) authenticate(ctx context.Context, username, password string, g gate) (User, error) {
	prepared, perr := preparePassword(password)
	name, nerr := NormalizeUsername(username)
	var u User
	var found bool
	if nerr == nil {
		var err error
		u, err = a.users.GetByUsername(ctx, name)
		switch {
		case err == nil:
			found = true
		case !errors.Is(err, ErrUserNotFound):
			return User{}, err
		}
	}
	h := a.dummy
	hashOK := false
	if found {
		if stored, err := parsePHC(u.PasswordHash); err == nil {
			h, hashOK = stored, true
		} else {
			a.log.Error("auth: stored password hash is malformed", "user_id", u.ID, "reason", err.Error())
		}
	}
	if err := a.acquire(ctx); err != nil {
		return User{}, err
	}
	if g.before != nil {
		if err := g.before(); err != nil {
			a.release()
			return User{}, err
		}
	}
	// An empty, too long or invalid password is not hashed for anyone, so
	// that path takes the same (short) time for known and unknown users.
	match := perr == nil && h.matches(prepared)
	var refused error
	switch {
	case perr != nil:
		refused = errWrongPassword
	case !found:
		refused = errUnknownUser
	case !hashOK || !match:
		refused = errWrongPassword
	case u.Disabled:
		refused = errAccountDisabled
	}
	if g.after != nil {
		if err := g.after(refused == nil); err != nil {
			a.release()
			return User{}, err
		}
	}
	a.release()
	if refused != nil {
		return User{}, refused
	}
	if NeedsRehash(u.PasswordHash, a.params) {
		a.rehash(ctx, &u, password)
	}
	return u, nil
}

// rehash upgrades u's hash after a successful login; failures are logged,
// not returned: the login itself succeeded.
func (a *Accounts) rehash(ctx context.Context, u *User, password string) {
	if err := a.acquire(ctx); err != nil {
		return
	}
	h, err := HashPassword(password, a.params)
	a.release()
	if err != nil {
		a.log.Error("auth: rehash failed", "user_id", u.ID, "reason", err.Error())
		return
	}
	switch err := a.users.SetPassword(ctx, u.ID, h, u.PasswordHash); {
	case err == nil:
		a.log.Info("auth: password hash upgraded", "user_id", u.ID, "params", a.params.String())
		u.PasswordHash = h
	case errors.Is(err, ErrConflict):
		// The password changed meanwhile; keep the newer one.
	default:
		a.log.Error("auth: rehash failed", "user_id", u.ID, "reason", err.Error())
	}
}

// fingerprint derives the value kept in the session from a user's password
// hash: a changed password or a different user gives a different value. It
// is a one-way digest of a salted slow hash, so it leaks nothing useful if
// the session store is read.
func fingerprint(u User) string {
	return digest("bulwark/auth/v1\x00" + u.ID + "\x00" + u.PasswordHash)
}

// digest is a short (128-bit) hex SHA-256 of s.
func digest(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:16])
}
