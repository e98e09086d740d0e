// This file holds the cases that drive a store through session.Manager:
// hashed keys at rest, and two app instances sharing one backend.

package storetest

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"

	"github.com/bulwark-go/bulwark/session"
)

// NewManager returns a Manager over st for tests: plain-HTTP cookies and a
// discarded log.
func NewManager(t testing.TB, st session.Store) *session.Manager {
	t.Helper()
	m, err := session.New(session.Config{
		Store:  st,
		Secure: session.SecureNever,
		Logger: discardLogger(),
	})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func discardLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// Request sends one request through m's middleware to handler, with cookie
// (may be nil), and returns the response and the session cookie it set,
// or the one it was given when it set none.
func Request(t testing.TB, m *session.Manager, cookie *http.Cookie, handler http.HandlerFunc) (*http.Response, *http.Cookie) {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, "http://app.test/", nil)
	if cookie != nil {
		req.AddCookie(cookie)
	}
	rec := httptest.NewRecorder()
	m.Handler(handler).ServeHTTP(rec, req)
	res := rec.Result()
	for _, c := range res.Cookies() {
		if c.Name == session.DefaultCookieName {
			return res, c
		}
	}
	return res, cookie
}

// recorder is a Store that remembers every key it is given.
type recorder struct {
	session.Store
	mu   sync.Mutex
	keys map[string]bool
}

func (r *recorder) saw(key string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.keys[key] = true
}

func (r *recorder) Find(ctx context.Context, key string) (session.Record, bool, error) {
	r.saw(key)
	return r.Store.Find(ctx, key)
}

func (r *recorder) Commit(ctx context.Context, key string, rec session.Record) (uint64, error) {
	r.saw(key)
	return r.Store.Commit(ctx, key, rec)
}

func (r *recorder) Delete(ctx context.Context, key string) error {
	r.saw(key)
	return r.Store.Delete(ctx, key)
}

func (r *recorder) DeleteUserSessions(ctx context.Context, userID, keep string) (int, error) {
	r.saw(keep)
	return r.Store.DeleteUserSessions(ctx, userID, keep)
}

func testManagerHashedKeys(t *testing.T, s Suite) {
	st := s.New(t)
	rec := &recorder{Store: st, keys: map[string]bool{}}
	m := NewManager(t, rec)

	res, cookie := Request(t, m, nil, func(w http.ResponseWriter, r *http.Request) {
		m.PutString(r.Context(), "greeting", "hello")
		if err := m.BindUser(r.Context(), "alice"); err != nil {
			t.Errorf("BindUser: %v", err)
		}
	})
	if res.StatusCode != http.StatusOK || cookie == nil {
		t.Fatalf("first request: status %d, cookie %v", res.StatusCode, cookie)
	}
	Request(t, m, cookie, func(w http.ResponseWriter, r *http.Request) {
		if v, _ := m.GetString(r.Context(), "greeting"); v != "hello" {
			t.Errorf("greeting = %q, want hello", v)
		}
		m.PutString(r.Context(), "n", "2")
	})

	id := cookie.Value
	rec.mu.Lock()
	keys := rec.keys
	rec.mu.Unlock()
	for k := range keys {
		if k == "" {
			continue
		}
		if bytes.Contains([]byte(k), []byte(id)) {
			t.Fatalf("the store was given the raw session ID as (part of) a key")
		}
	}
	if !keys[session.HashID(id)] {
		t.Errorf("the store was never given HashID(cookie); keys seen: %d", len(keys))
	}
	stored := MustFind(t, st, session.HashID(id))
	for k, v := range stored.Values {
		if bytes.Contains(v, []byte(id)) || bytes.Contains([]byte(k), []byte(id)) {
			t.Errorf("stored value %q contains the raw session ID", k)
		}
	}
	MustMiss(t, st, id)
	wantKeys(t, st, "alice", session.HashID(id))
}

func testManagersShareBackend(t *testing.T, s Suite) {
	a, b := s.Shared(t)
	ma, mb := NewManager(t, a), NewManager(t, b)

	_, cookie := Request(t, ma, nil, func(w http.ResponseWriter, r *http.Request) {
		m := ma
		m.PutString(r.Context(), "set-by", "a")
	})
	if cookie == nil {
		t.Fatal("instance a set no cookie")
	}
	Request(t, mb, cookie, func(w http.ResponseWriter, r *http.Request) {
		if v, _ := mb.GetString(r.Context(), "set-by"); v != "a" {
			t.Errorf("instance b reads set-by=%q, want \"a\"", v)
		}
		mb.PutString(r.Context(), "seen-by", "b")
	})

	// Concurrent requests of one session, spread over both instances, each
	// changing its own key: no change may be lost.
	n := s.Goroutines
	var wg sync.WaitGroup
	for i := range n {
		m := ma
		if i%2 == 1 {
			m = mb
		}
		wg.Go(func() {
			res, _ := Request(t, m, cookie, func(w http.ResponseWriter, r *http.Request) {
				m.PutString(r.Context(), "k"+strconv.Itoa(i), strconv.Itoa(i))
			})
			if res.StatusCode != http.StatusOK {
				t.Errorf("request %d: status %d", i, res.StatusCode)
			}
		})
	}
	wg.Wait()
	Request(t, ma, cookie, func(w http.ResponseWriter, r *http.Request) {
		lost := 0
		for i := range n {
			if v, ok := ma.GetString(r.Context(), "k"+strconv.Itoa(i)); !ok || v != strconv.Itoa(i) {
				lost++
			}
		}
		if lost > 0 {
			t.Errorf("%d of %d concurrent changes lost", lost, n)
		}
		if v, _ := ma.GetString(r.Context(), "seen-by"); v != "b" {
			t.Errorf("seen-by = %q, want \"b\"", v)
		}
	})

	// Ending the session on one instance ends it on the other.
	Request(t, mb, cookie, func(w http.ResponseWriter, r *http.Request) {
		if err := mb.Destroy(r.Context()); err != nil {
			t.Errorf("Destroy: %v", err)
		}
	})
	Request(t, ma, cookie, func(w http.ResponseWriter, r *http.Request) {
		if v, ok := ma.GetString(r.Context(), "set-by"); ok {
			t.Errorf("after Destroy on b, a still reads set-by=%q", v)
		}
	})
}
