package sqliteusers_test

import (
	"context"
	"database/sql"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/bulwark-go/bulwark/auth"
	"github.com/bulwark-go/bulwark/auth/sqliteusers"
)

func newStore(t *testing.T) (*sqliteusers.Store, *sql.DB) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "users?#%20.db") // characters a DSN would misread
	db, err := sqliteusers.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	s, err := sqliteusers.New(context.Background(), sqliteusers.Config{DB: db})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("database not created at the given path: %v", err)
	}
	return s, db
}

func TestStore(t *testing.T) {
	ctx := context.Background()
	s, db := newStore(t)

	alice, err := s.Create(ctx, "alice", "h1")
	if err != nil {
		t.Fatal(err)
	}
	if alice.ID == "" || alice.CreatedAt.IsZero() || alice.Disabled {
		t.Fatalf("created user %+v: want ID, CreatedAt set and enabled", alice)
	}
	if _, err := s.Create(ctx, "alice", "h2"); !errors.Is(err, auth.ErrUserExists) {
		t.Fatalf("duplicate Create: err = %v, want ErrUserExists", err)
	}
	if _, err := s.Create(ctx, "bob", "hb"); err != nil {
		t.Fatal(err)
	}

	t.Run("get", func(t *testing.T) {
		byName, err := s.GetByUsername(ctx, "alice")
		if err != nil || byName != alice {
			t.Fatalf("GetByUsername = %+v, %v; want %+v", byName, err, alice)
		}
		byID, err := s.GetByID(ctx, alice.ID)
		if err != nil || byID != alice {
			t.Fatalf("GetByID = %+v, %v; want %+v", byID, err, alice)
		}
		if _, err := s.GetByUsername(ctx, "carol"); !errors.Is(err, auth.ErrUserNotFound) {
			t.Fatalf("missing user: err = %v", err)
		}
		if _, err := s.GetByID(ctx, "nope"); !errors.Is(err, auth.ErrUserNotFound) {
			t.Fatalf("missing id: err = %v", err)
		}
	})
	t.Run("set password", func(t *testing.T) {
		if err := s.SetPassword(ctx, alice.ID, "h3", "wrong"); !errors.Is(err, auth.ErrConflict) {
			t.Fatalf("conditional with stale hash: err = %v, want ErrConflict", err)
		}
		if err := s.SetPassword(ctx, alice.ID, "h3", "h1"); err != nil {
			t.Fatal(err)
		}
		if err := s.SetPassword(ctx, alice.ID, "h4", ""); err != nil {
			t.Fatal(err)
		}
		if u, _ := s.GetByID(ctx, alice.ID); u.PasswordHash != "h4" {
			t.Fatalf("hash = %q, want h4", u.PasswordHash)
		}
		if err := s.SetPassword(ctx, "nope", "h", ""); !errors.Is(err, auth.ErrUserNotFound) {
			t.Fatalf("missing user: err = %v", err)
		}
	})
	t.Run("disable", func(t *testing.T) {
		if err := s.SetDisabled(ctx, alice.ID, true); err != nil {
			t.Fatal(err)
		}
		if err := s.SetDisabled(ctx, alice.ID, true); err != nil {
			t.Fatalf("disabling twice: %v", err)
		}
		if u, _ := s.GetByID(ctx, alice.ID); !u.Disabled {
			t.Fatal("not disabled")
		}
		if err := s.SetDisabled(ctx, "nope", true); !errors.Is(err, auth.ErrUserNotFound) {
			t.Fatalf("missing user: err = %v", err)
		}
	})
	t.Run("list", func(t *testing.T) {
		users, err := s.List(ctx)
		if err != nil || len(users) != 2 || users[0].Username != "alice" || users[1].Username != "bob" {
			t.Fatalf("List = %+v, %v", users, err)
		}
	})
	t.Run("reopen keeps data and schema", func(t *testing.T) {
		s2, err := sqliteusers.New(ctx, sqliteusers.Config{DB: db})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s2.GetByUsername(ctx, "bob"); err != nil {
			t.Fatal(err)
		}
	})
}

func TestNewRejectsBadConfig(t *testing.T) {
	_, db := newStore(t)
	for name, cfg := range map[string]sqliteusers.Config{
		"nil db":         {},
		"bad table name": {DB: db, Table: "users; DROP TABLE x"},
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := sqliteusers.New(context.Background(), cfg); err == nil {
				t.Fatal("no error")
			}
		})
	}
}

func TestNewerSchemaRefused(t *testing.T) {
	_, db := newStore(t)
	if _, err := db.Exec(`UPDATE bulwark_auth_schema SET version = 99`); err != nil {
		t.Fatal(err)
	}
	if _, err := sqliteusers.New(context.Background(), sqliteusers.Config{DB: db}); err == nil {
		t.Fatal("newer schema accepted")
	}
}
