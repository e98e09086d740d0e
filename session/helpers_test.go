package session_test

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/bulwark-go/bulwark/session"
	"github.com/bulwark-go/bulwark/session/memstore"

	"github.com/bulwark-go/bulwark/internal/testlog"
)

// clock is a fake clock shared by a Manager and its memstore.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func newClock() *clock { return &clock{now: time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// countingStore counts calls and can be told to fail them.
type countingStore struct {
	session.Store
	finds, commits, deletes atomic.Int64

	mu         sync.Mutex
	findErr    error
	commitErr  error
	deleteErr  error
	block      bool // calls wait for their context to end
	beforeFind func()
	keys       map[string]struct{} // every key committed to
}

var errDown = errors.New("connection refused")

func (s *countingStore) fail(find, commit, del error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.findErr, s.commitErr, s.deleteErr = find, commit, del
}

func (s *countingStore) setBlock(b bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.block = b
}

func (s *countingStore) check(ctx context.Context, err error) error {
	s.mu.Lock()
	block := s.block
	s.mu.Unlock()
	if block {
		<-ctx.Done()
		return ctx.Err()
	}
	return err
}

func (s *countingStore) Find(ctx context.Context, key string) (session.Record, bool, error) {
	s.finds.Add(1)
	s.mu.Lock()
	err, hook := s.findErr, s.beforeFind
	s.mu.Unlock()
	if hook != nil {
		hook()
	}
	if err := s.check(ctx, err); err != nil {
		return session.Record{}, false, err
	}
	return s.Store.Find(ctx, key)
}

func (s *countingStore) Commit(ctx context.Context, key string, rec session.Record) (uint64, error) {
	s.commits.Add(1)
	s.mu.Lock()
	err := s.commitErr
	if s.keys == nil {
		s.keys = make(map[string]struct{})
	}
	s.keys[key] = struct{}{}
	s.mu.Unlock()
	if err := s.check(ctx, err); err != nil {
		return 0, err
	}
	return s.Store.Commit(ctx, key, rec)
}

func (s *countingStore) Delete(ctx context.Context, key string) error {
	s.deletes.Add(1)
	s.mu.Lock()
	err := s.deleteErr
	s.mu.Unlock()
	if err := s.check(ctx, err); err != nil {
		return err
	}
	return s.Store.Delete(ctx, key)
}

// sessions counts the live sessions among the keys committed to: the
// records still stored, less the tombstones of renewed sessions (which
// name the session they were renewed to under a reserved key).
func (s *countingStore) sessions(t *testing.T) int {
	t.Helper()
	s.mu.Lock()
	keys := make([]string, 0, len(s.keys))
	for k := range s.keys {
		keys = append(keys, k)
	}
	s.mu.Unlock()
	n := 0
	for _, k := range keys {
		rec, found, err := s.Store.Find(context.Background(), k)
		if err != nil {
			t.Fatal(err)
		}
		if _, tomb := rec.Values["\x00renewed"]; found && !tomb {
			n++
		}
	}
	return n
}

func (s *countingStore) reset() {
	s.finds.Store(0)
	s.commits.Store(0)
	s.deletes.Store(0)
}

type fixture struct {
	m     *session.Manager
	mem   *memstore.Store
	store *countingStore
	clock *clock
	logs  *testlog.Buffer
}

// newFixture builds a Manager over a counting memstore sharing a fake
// clock. edit may adjust the Config.
func newFixture(t *testing.T, edit func(*session.Config)) *fixture {
	t.Helper()
	c := newClock()
	mem, err := memstore.New(memstore.Config{Now: c.Now, ReapInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = mem.Close() })
	logs := &testlog.Buffer{}
	store := &countingStore{Store: mem}
	cfg := session.Config{
		Store:  store,
		Now:    c.Now,
		Logger: slog.New(slog.NewTextHandler(logs, nil)),
	}
	if edit != nil {
		edit(&cfg)
	}
	m, err := session.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return &fixture{m: m, mem: mem, store: store, clock: c, logs: logs}
}

// do runs one request through the Manager with the given cookies and
// returns the recorded response.
func (f *fixture) do(t *testing.T, h http.HandlerFunc, cookies ...*http.Cookie) *httptest.ResponseRecorder {
	t.Helper()
	r := httptest.NewRequest("GET", "/page", nil)
	for _, c := range cookies {
		if c != nil {
			r.AddCookie(c)
		}
	}
	w := httptest.NewRecorder()
	f.m.Handler(h).ServeHTTP(w, r)
	return w
}

// sessionCookie returns the session cookie set by a response, or nil.
func sessionCookie(t *testing.T, w *httptest.ResponseRecorder) *http.Cookie {
	t.Helper()
	var found *http.Cookie
	for _, c := range w.Result().Cookies() {
		if c.Name == "session" || c.Name == "__Host-session" {
			if found != nil {
				t.Fatalf("two session cookies in one response: %v", w.Header()["Set-Cookie"])
			}
			found = c
		}
	}
	return found
}

// start creates a session holding key=val and returns its cookie.
func (f *fixture) start(t *testing.T, key, val string) *http.Cookie {
	t.Helper()
	w := f.do(t, func(w http.ResponseWriter, r *http.Request) {
		f.m.PutString(r.Context(), key, val)
	})
	c := sessionCookie(t, w)
	if c == nil || c.Value == "" {
		t.Fatalf("no session cookie after put; headers %v", w.Header())
	}
	f.store.reset()
	return c
}

// get reads key in a request carrying c.
func (f *fixture) get(t *testing.T, c *http.Cookie, key string) (string, bool) {
	t.Helper()
	var val string
	var ok bool
	f.do(t, func(w http.ResponseWriter, r *http.Request) {
		val, ok = f.m.GetString(r.Context(), key)
	}, c)
	return val, ok
}

func contextWithExpiredDeadline() (context.Context, context.CancelFunc) {
	return context.WithDeadline(context.Background(), time.Unix(0, 0))
}
