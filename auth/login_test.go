package auth_test

import (
	"context"
	"net/http"
	"net/url"
	"sync/atomic"
	"testing"

	"github.com/bulwark-go/bulwark/auth"
)

// TestLoginAsAnotherUserStartsClean checks that logging in over another
// user's session (a shared computer where the last user did not log out)
// starts an empty session, as Django's login() flushes it: the new user
// must not inherit what the previous one kept in the session. Logging in
// from an anonymous session, or as the same user again, keeps the data.
func TestLoginAsAnotherUserStartsClean(t *testing.T) {
	eachCSRFMode(t, func(t *testing.T, mode csrfMode) {
		f := newFixture(t, fixtureOpts{csrf: mode})
		if _, err := f.accounts.Create(context.Background(), "bob", "bobs password"); err != nil {
			t.Fatal(err)
		}
		b := f.browser(t)
		touched := func() string {
			t.Helper()
			return b.get("/touched").body
		}
		if res := b.post("/touch", url.Values{"csrf_token": {b.token()}}); res.status != http.StatusOK {
			t.Fatalf("touch: %d", res.status)
		}
		b.mustLogin()
		if got := touched(); got != "touched=yes" {
			t.Fatalf("anonymous data lost at login: %q", got)
		}
		b.mustLogin()
		if got := touched(); got != "touched=yes" {
			t.Fatalf("data lost when the same user logged in again: %q", got)
		}
		if res := b.login("bob", "bobs password"); res.status != http.StatusSeeOther {
			t.Fatalf("bob's login: %d %s", res.status, res.body)
		}
		if got := b.user(); got != "bob" {
			t.Fatalf("logged in as %q, want bob", got)
		}
		if got := touched(); got != "touched=" {
			t.Errorf("bob inherited alice's session data: %q", got)
		}
	})
}

// countingUsers counts the store lookups by username.
type countingUsers struct {
	auth.UserStore
	byName atomic.Int64
}

func (c *countingUsers) GetByUsername(ctx context.Context, username string) (auth.User, error) {
	c.byName.Add(1)
	return c.UserStore.GetByUsername(ctx, username)
}

// A refused login costs the same store work whether or not the username
// exists, so response times do not tell an attacker which names are taken.
func TestFailedLoginStoreWorkHidesUnknownUsers(t *testing.T) {
	var users *countingUsers
	f := newFixture(t, fixtureOpts{csrf: csrfCookie, wrapUsers: func(s auth.UserStore) auth.UserStore {
		users = &countingUsers{UserStore: s}
		return users
	}})
	lookups := func(name string) int64 {
		t.Helper()
		b := f.browser(t)
		before := users.byName.Load()
		if res := b.login(name, "wrong password"); res.status != http.StatusUnprocessableEntity {
			t.Fatalf("login as %s: %d", name, res.status)
		}
		return users.byName.Load() - before
	}
	known, unknown := lookups("alice"), lookups("mallory")
	if known != unknown || known == 0 {
		t.Fatalf("store lookups: %d for a known name, %d for an unknown one", known, unknown)
	}
}
