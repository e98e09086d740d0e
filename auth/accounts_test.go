package auth_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bulwark-go/bulwark/auth"
	"github.com/bulwark-go/bulwark/auth/sqliteusers"
)

// testParams are cheap argon2id parameters, for tests only.
var testParams = auth.Params{Memory: 64, Iterations: 1, Parallelism: 1}

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

func newUsers(t *testing.T) *sqliteusers.Store {
	t.Helper()
	db, err := sqliteusers.Open(filepath.Join(t.TempDir(), "users.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	s, err := sqliteusers.New(context.Background(), sqliteusers.Config{DB: db})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func newAccounts(t *testing.T, p auth.Params) *auth.Accounts {
	t.Helper()
	a, err := auth.NewAccounts(auth.AccountsConfig{Users: newUsers(t), Params: p, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func TestAccounts(t *testing.T) {
	ctx := context.Background()
	a := newAccounts(t, testParams)
	u, err := a.Create(ctx, "Alice", "correct horse")
	if err != nil {
		t.Fatal(err)
	}
	if u.Username != "alice" {
		t.Fatalf("username %q, want normalised alice", u.Username)
	}
	if _, err := a.Create(ctx, "ALICE", "another password"); !errors.Is(err, auth.ErrUserExists) {
		t.Fatalf("case variant: err = %v, want ErrUserExists", err)
	}
	if _, err := a.Create(ctx, "bob", "short"); !errors.Is(err, auth.ErrPasswordTooShort) {
		t.Fatalf("short password: err = %v", err)
	}
	if _, err := a.Create(ctx, "bob", strings.Repeat("x", 1025)); !errors.Is(err, auth.ErrPasswordTooLong) {
		t.Fatalf("long password: err = %v", err)
	}
	if _, err := a.Create(ctx, "bob smith", "long enough"); !errors.Is(err, auth.ErrInvalidUsername) {
		t.Fatalf("bad username: err = %v", err)
	}

	login := func(name, pw string) error { _, err := a.Authenticate(ctx, name, pw); return err }
	checks := []struct {
		name, user, pw string
		ok             bool
	}{
		{"right", "alice", "correct horse", true},
		{"case-insensitive username", "ＡLICE", "correct horse", true},
		{"wrong password", "alice", "correct horsE", false},
		{"unknown user", "carol", "correct horse", false},
		{"invalid username", "a b", "correct horse", false},
		{"empty password", "alice", "", false},
	}
	for _, c := range checks {
		t.Run(c.name, func(t *testing.T) {
			err := login(c.user, c.pw)
			if c.ok != (err == nil) {
				t.Fatalf("Authenticate = %v, want ok=%v", err, c.ok)
			}
			if err != nil && err != auth.ErrInvalidCredentials {
				t.Fatalf("err = %v, want exactly ErrInvalidCredentials", err)
			}
		})
	}

	t.Run("set password", func(t *testing.T) {
		if err := a.SetPassword(ctx, "alice", "battery staple"); err != nil {
			t.Fatal(err)
		}
		if login("alice", "correct horse") == nil || login("alice", "battery staple") != nil {
			t.Fatal("old password still works or new one does not")
		}
	})
	t.Run("disable and enable", func(t *testing.T) {
		if err := a.Disable(ctx, "alice"); err != nil {
			t.Fatal(err)
		}
		if err := login("alice", "battery staple"); err != auth.ErrInvalidCredentials {
			t.Fatalf("disabled user: err = %v", err)
		}
		if err := a.Enable(ctx, "alice"); err != nil {
			t.Fatal(err)
		}
		if err := login("alice", "battery staple"); err != nil {
			t.Fatalf("re-enabled user: %v", err)
		}
		if err := a.Disable(ctx, "nobody"); !errors.Is(err, auth.ErrUserNotFound) {
			t.Fatalf("unknown user: err = %v", err)
		}
	})
	t.Run("list", func(t *testing.T) {
		users, err := a.List(ctx)
		if err != nil || len(users) != 1 || users[0].Username != "alice" {
			t.Fatalf("List = %+v, %v", users, err)
		}
	})
}

func TestRehashOnLogin(t *testing.T) {
	ctx := context.Background()
	users := newUsers(t)
	old, err := auth.NewAccounts(auth.AccountsConfig{Users: users, Params: testParams, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := old.Create(ctx, "alice", "correct horse"); err != nil {
		t.Fatal(err)
	}
	stronger := auth.Params{Memory: 128, Iterations: 2, Parallelism: 1}
	upgraded, err := auth.NewAccounts(auth.AccountsConfig{Users: users, Params: stronger, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := upgraded.Authenticate(ctx, "alice", "wrong password"); err == nil {
		t.Fatal("wrong password accepted")
	}
	u, _ := users.GetByUsername(ctx, "alice")
	if !auth.NeedsRehash(u.PasswordHash, stronger) {
		t.Fatal("a failed login upgraded the hash")
	}
	if _, err := upgraded.Authenticate(ctx, "alice", "correct horse"); err != nil {
		t.Fatal(err)
	}
	u, _ = users.GetByUsername(ctx, "alice")
	if auth.NeedsRehash(u.PasswordHash, stronger) {
		t.Fatalf("hash %q not upgraded to %v", u.PasswordHash, stronger)
	}
	if _, err := upgraded.Authenticate(ctx, "alice", "correct horse"); err != nil {
		t.Fatalf("login after upgrade: %v", err)
	}
}

func TestNewAccountsConfig(t *testing.T) {
	users := newUsers(t)
	bad := map[string]auth.AccountsConfig{
		"no store":          {},
		"bad params":        {Users: users, Params: auth.Params{Memory: 1, Iterations: 1, Parallelism: 1}},
		"negative hashes":   {Users: users, Params: testParams, MaxConcurrentHashes: -1},
		"absurd min length": {Users: users, Params: testParams, MinPasswordLength: 10000},
	}
	for name, cfg := range bad {
		t.Run(name, func(t *testing.T) {
			cfg.Logger = quiet
			if _, err := auth.NewAccounts(cfg); err == nil {
				t.Fatal("no error")
			}
		})
	}
	a, err := auth.NewAccounts(auth.AccountsConfig{Users: users, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	if a.Params() != auth.DefaultParams {
		t.Fatalf("zero Params: got %v, want DefaultParams", a.Params())
	}
}
