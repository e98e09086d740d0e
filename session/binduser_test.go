package session_test

import (
	"net/http"
	"testing"
)

// TestBindUserToAnotherUserStartsEmpty: binding a session to a user other
// than the one it is bound to (a shared browser where nobody logged out)
// deletes the old session and starts an empty one, so the new user reads
// none of the previous user's data; re-binding the same user, or binding
// an anonymous session, keeps the data.
func TestBindUserToAnotherUserStartsEmpty(t *testing.T) {
	cases := []struct {
		name      string
		from, to  string
		wantCart  string
		wantAlice int // alice's sessions left in the user index
	}{
		{"another user", "alice", "bob", "", 0},
		{"unbound", "alice", "", "", 0},
		{"same user", "alice", "alice", "alice's card on file", 1},
		{"anonymous session", "", "alice", "alice's card on file", 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, nil)
			c := f.start(t, "cart", "alice's card on file")
			if tc.from != "" {
				c = sessionCookie(t, f.do(t, func(w http.ResponseWriter, r *http.Request) {
					if err := f.m.BindUser(r.Context(), tc.from); err != nil {
						t.Fatal(err)
					}
				}, c))
			}
			old := c
			nc := sessionCookie(t, f.do(t, func(w http.ResponseWriter, r *http.Request) {
				if err := f.m.BindUser(r.Context(), tc.to); err != nil {
					t.Fatal(err)
				}
			}, old))
			if nc == nil || nc.Value == "" || nc.Value == old.Value {
				t.Fatalf("no new session cookie: %v", nc)
			}
			if got, _ := f.get(t, nc, "cart"); got != tc.wantCart {
				t.Errorf("cart = %q, want %q", got, tc.wantCart)
			}
			if _, ok := f.get(t, old, "cart"); ok {
				t.Error("the old ID still works")
			}
			var user string
			f.do(t, func(w http.ResponseWriter, r *http.Request) { user = f.m.UserID(r.Context()) }, nc)
			if user != tc.to {
				t.Errorf("user %q, want %q", user, tc.to)
			}
			if keys, _ := f.mem.UserSessions(t.Context(), "alice"); len(keys) != tc.wantAlice {
				t.Errorf("alice has %d sessions, want %d", len(keys), tc.wantAlice)
			}
			if n := f.store.sessions(t); n != 1 {
				t.Errorf("%d sessions stored, want 1", n)
			}
		})
	}
}
