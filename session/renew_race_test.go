package session_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/bulwark-go/bulwark/session"
)

// hookStore runs a one-shot hook right after a Find returns, so a test can
// slip another request's work between a Manager's read and its next write.
type hookStore struct {
	session.Store
	mu        sync.Mutex
	afterFind func()
}

func (s *hookStore) arm(f func()) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.afterFind = f
}

func (s *hookStore) Find(ctx context.Context, key string) (session.Record, bool, error) {
	rec, found, err := s.Store.Find(ctx, key)
	s.mu.Lock()
	hook := s.afterFind
	s.afterFind = nil
	s.mu.Unlock()
	if hook != nil {
		hook()
	}
	return rec, found, err
}

// TestRenewRaces checks a renewal against another app instance working on
// the same session between the renewal's re-read and its removal of the
// old ID: a change committed there is kept, and a session destroyed there
// (logout, "log out everywhere") is not resurrected under the new ID.
func TestRenewRaces(t *testing.T) {
	cases := []struct {
		name string
		// other runs on the second instance with the old cookie.
		other func(m *session.Manager, r *http.Request)
		// renew is what the first instance's request does.
		renew func(m *session.Manager, r *http.Request)
		// wantAlive: the renewed session must exist afterwards.
		wantAlive bool
		// wantKeys are key=value pairs the renewed session must hold.
		wantKeys map[string]string
	}{
		{
			name:      "change committed meanwhile survives the renewal",
			other:     func(m *session.Manager, r *http.Request) { m.PutString(r.Context(), "other", "kept") },
			renew:     func(m *session.Manager, r *http.Request) { _ = m.Renew(r.Context()) },
			wantAlive: true,
			wantKeys:  map[string]string{"cart": "3 apples", "other": "kept"},
		},
		{
			name:  "destroyed meanwhile is not resurrected by Renew",
			other: func(m *session.Manager, r *http.Request) { _ = m.Destroy(r.Context()) },
			renew: func(m *session.Manager, r *http.Request) { _ = m.Renew(r.Context()) },
		},
		{
			name: "user sessions ended meanwhile are not resurrected by Renew",
			other: func(m *session.Manager, r *http.Request) {
				_, _ = m.DestroyUserSessions(context.Background(), "alice", false)
			},
			renew: func(m *session.Manager, r *http.Request) { _ = m.Renew(r.Context()) },
		},
		{
			name:  "a fresh login still succeeds but keeps none of the ended session's data",
			other: func(m *session.Manager, r *http.Request) { _ = m.Destroy(r.Context()) },
			renew: func(m *session.Manager, r *http.Request) {
				_ = m.BindUser(r.Context(), "bob")
				m.PutString(r.Context(), "greeting", "hi")
			},
			wantAlive: true,
			wantKeys:  map[string]string{"greeting": "hi", "cart": ""},
		},
	}
	for _, tc := range cases {
		for _, when := range []string{"before the renewal reads", "after the renewal reads"} {
			t.Run(tc.name+"/"+when, func(t *testing.T) {
				f := newFixture(t, nil)
				hs := &hookStore{Store: f.store}
				a, err := session.New(session.Config{Store: hs, Now: f.clock.Now, Logger: discard()})
				if err != nil {
					t.Fatal(err)
				}
				b, err := session.New(session.Config{Store: f.store, Now: f.clock.Now, Logger: discard()})
				if err != nil {
					t.Fatal(err)
				}
				old := f.aliceSession(t)
				runOther := func() {
					serve(b, old, func(w http.ResponseWriter, r *http.Request) { tc.other(b, r) })
				}
				w := serve(a, old, func(w http.ResponseWriter, r *http.Request) {
					_ = a.Keys(r.Context()) // load
					if when == "before the renewal reads" {
						runOther()
					} else {
						hs.arm(runOther)
					}
					tc.renew(a, r)
				})
				nc := sessionCookie(t, w)
				if _, ok := f.get(t, old, "cart"); ok {
					t.Error("old ID still works")
				}
				alive := nc != nil && nc.Value != "" && f.store.sessions(t) > 0
				if alive != tc.wantAlive {
					t.Fatalf("renewed session alive = %v, want %v (cookie %v, %d stored)", alive, tc.wantAlive, nc, f.store.sessions(t))
				}
				if !alive {
					if f.store.sessions(t) != 0 {
						t.Errorf("%d sessions left in the store, want 0", f.store.sessions(t))
					}
					if keys, _ := f.mem.UserSessions(t.Context(), "alice"); len(keys) != 0 {
						t.Errorf("alice still has sessions %v", keys)
					}
					return
				}
				for k, want := range tc.wantKeys {
					if got, _ := f.get(t, nc, k); got != want {
						t.Errorf("%s = %q, want %q", k, got, want)
					}
				}
			})
		}
	}
}

// inFlight starts a request carrying c through m that loads the session
// and then waits. It returns once the session is loaded; finish lets the
// request run then and returns its response.
func inFlight(m *session.Manager, c *http.Cookie, then func(r *http.Request)) (finish func() *httptest.ResponseRecorder) {
	loaded, release := make(chan struct{}), make(chan struct{})
	done := make(chan *httptest.ResponseRecorder)
	go func() {
		done <- serve(m, c, func(w http.ResponseWriter, r *http.Request) {
			_ = m.Keys(r.Context())
			close(loaded)
			<-release
			then(r)
		})
	}()
	<-loaded
	return func() *httptest.ResponseRecorder {
		close(release)
		return <-done
	}
}

// aliceSession starts a session holding cart and bound to alice, and
// returns its cookie.
func (f *fixture) aliceSession(t *testing.T) *http.Cookie {
	t.Helper()
	old := f.start(t, "cart", "3 apples")
	return sessionCookie(t, f.do(t, func(w http.ResponseWriter, r *http.Request) { _ = f.m.BindUser(r.Context(), "alice") }, old))
}

func discard() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// serve runs one request carrying c through m.
func serve(m *session.Manager, c *http.Cookie, h http.HandlerFunc) *httptest.ResponseRecorder {
	r := httptest.NewRequest("GET", "/page", nil)
	r.AddCookie(c)
	w := httptest.NewRecorder()
	m.Handler(h).ServeHTTP(w, r)
	return w
}

// TestWriteDuringAnotherRequestsRenewal: request B (an autosave) loads the
// session, then request A from the same browser renews it (log out other
// devices, a password change) and its response carries the new ID, then B
// commits a change to another key. B's change follows the renewal to the
// new ID, and B's response leaves the browser's cookie alone: whichever
// response arrives last, the user stays logged in with every change.
func TestWriteDuringAnotherRequestsRenewal(t *testing.T) {
	renew := func(m *session.Manager, r *http.Request) { _ = m.Renew(r.Context()) }
	cases := []struct {
		name string
		// renewals run one after the other while B waits, each with the
		// cookie the previous one set.
		renewals []func(*session.Manager, *http.Request)
		// b is B's change.
		b        func(*session.Manager, *http.Request)
		wantKeys map[string]string
	}{
		{
			name:     "one renewal",
			renewals: []func(*session.Manager, *http.Request){renew},
			b:        func(m *session.Manager, r *http.Request) { m.PutString(r.Context(), "draft", "autosaved") },
			wantKeys: map[string]string{"cart": "3 apples", "draft": "autosaved"},
		},
		{
			name:     "two renewals in a row",
			renewals: []func(*session.Manager, *http.Request){renew, renew},
			b:        func(m *session.Manager, r *http.Request) { m.PutString(r.Context(), "draft", "autosaved") },
			wantKeys: map[string]string{"cart": "3 apples", "draft": "autosaved"},
		},
		{
			name:     "a re-login of the same user",
			renewals: []func(*session.Manager, *http.Request){func(m *session.Manager, r *http.Request) { _ = m.BindUser(r.Context(), "alice") }},
			b:        func(m *session.Manager, r *http.Request) { m.Delete(r.Context(), "cart") },
			wantKeys: map[string]string{"cart": ""},
		},
		{
			name:     "B asks for a persistent cookie",
			renewals: []func(*session.Manager, *http.Request){renew},
			b: func(m *session.Manager, r *http.Request) {
				m.PutString(r.Context(), "draft", "autosaved")
				m.RememberMe(r.Context(), true)
			},
			wantKeys: map[string]string{"cart": "3 apples", "draft": "autosaved"},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, nil)
			old := f.aliceSession(t)
			// B loads the session, and commits only after A's renewals.
			finishB := inFlight(f.m, old, func(r *http.Request) { tc.b(f.m, r) })
			nc := old
			for _, op := range tc.renewals {
				c := sessionCookie(t, serve(f.m, nc, func(w http.ResponseWriter, r *http.Request) { op(f.m, r) }))
				if c == nil || c.Value == "" || c.Value == nc.Value {
					t.Fatalf("renewal set no new cookie: %v", c)
				}
				nc = c
			}
			wb := finishB()

			if c := sessionCookie(t, wb); c != nil {
				t.Errorf("B's response sets the session cookie %q (Max-Age %d): it must leave the renewed session's cookie alone", c.Value, c.MaxAge)
			}
			if _, ok := f.get(t, old, "cart"); ok {
				t.Error("the old ID still works")
			}
			for k, want := range tc.wantKeys {
				if got, _ := f.get(t, nc, k); got != want {
					t.Errorf("%s = %q under the new ID, want %q", k, got, want)
				}
			}
			var user string
			f.do(t, func(w http.ResponseWriter, r *http.Request) { user = f.m.UserID(r.Context()) }, nc)
			if user != "alice" {
				t.Errorf("user %q after B, want alice", user)
			}
		})
	}
}

// TestRenewalIsNotFollowedAcrossUsers: a request that loaded an anonymous
// session must not write into the session it became at a login, which
// may be another browser's (a planted session ID): its change is dropped,
// and its response sends no cookie.
func TestRenewalIsNotFollowedAcrossUsers(t *testing.T) {
	f := newFixture(t, nil)
	old := f.start(t, "cart", "3 apples")
	finishB := inFlight(f.m, old, func(r *http.Request) { f.m.PutString(r.Context(), "planted", "by the attacker") })
	nc := sessionCookie(t, serve(f.m, old, func(w http.ResponseWriter, r *http.Request) { _ = f.m.BindUser(r.Context(), "alice") }))
	wb := finishB()
	if c := sessionCookie(t, wb); c != nil {
		t.Errorf("B's response sets the session cookie: %v", c)
	}
	if got, ok := f.get(t, nc, "planted"); ok {
		t.Errorf("alice's session holds %q, written by a request on the anonymous session", got)
	}
	if got, _ := f.get(t, nc, "cart"); got != "3 apples" {
		t.Errorf("cart = %q: the login lost the anonymous session's data", got)
	}
}

// TestStaleRenewalDoesNotTakeOverTheRenewedSession: a request still
// running on the old ID (a thief's, with a stolen cookie) that calls Renew
// after the victim renewed the session (a password change) must not get an
// ID for the renewed session, nor retire the victim's new ID.
func TestStaleRenewalDoesNotTakeOverTheRenewedSession(t *testing.T) {
	for _, op := range []string{"Renew", "BindUser"} {
		t.Run(op, func(t *testing.T) {
			f := newFixture(t, nil)
			old := f.aliceSession(t)
			finishThief := inFlight(f.m, old, func(r *http.Request) {
				if op == "Renew" {
					_ = f.m.Renew(r.Context())
				} else {
					_ = f.m.BindUser(r.Context(), "alice")
				}
			})
			victim := sessionCookie(t, serve(f.m, old, func(w http.ResponseWriter, r *http.Request) {
				_ = f.m.Renew(r.Context())
				f.m.PutString(r.Context(), "fingerprint", "new password")
			}))
			thief := sessionCookie(t, finishThief())
			if got, _ := f.get(t, victim, "fingerprint"); got != "new password" {
				t.Errorf("the victim's renewed session is gone (fingerprint %q)", got)
			}
			if thief == nil || thief.Value == "" {
				return
			}
			if got, ok := f.get(t, thief, "fingerprint"); ok {
				t.Errorf("the stale request's new ID %s reads the renewed session (fingerprint %q)", op, got)
			}
		})
	}
}
