package session_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/bulwark-go/bulwark/session"
)

func TestStoreFaults(t *testing.T) {
	cases := []struct {
		name     string
		setup    func(*countingStore)
		handler  func(*session.Manager) http.HandlerFunc
		want503  bool
		wantStat int
	}{
		{
			name:  "load error",
			setup: func(s *countingStore) { s.fail(errDown, nil, nil) },
			handler: func(m *session.Manager) http.HandlerFunc {
				return func(w http.ResponseWriter, r *http.Request) {
					if m.UserID(r.Context()) != "" {
						t.Error("user served despite the fault")
					}
					w.Header().Set("Location", "/secret")
					w.WriteHeader(http.StatusFound)
					if _, err := w.Write([]byte("handler body")); !errors.Is(err, session.ErrUnavailable) {
						t.Errorf("write after replacement: %v", err)
					}
				}
			},
			want503: true,
		},
		{
			name:  "load timeout",
			setup: func(s *countingStore) { s.setBlock(true) },
			handler: func(m *session.Manager) http.HandlerFunc {
				return func(w http.ResponseWriter, r *http.Request) {
					m.GetString(r.Context(), "k")
					if err := m.Err(r.Context()); !errors.Is(err, session.ErrUnavailable) || !errors.Is(err, errDeadline) {
						t.Errorf("Err = %v", err)
					}
					_, _ = w.Write([]byte("handler body"))
				}
			},
			want503: true,
		},
		{
			name:  "commit error",
			setup: func(s *countingStore) { s.fail(nil, errDown, nil) },
			handler: func(m *session.Manager) http.HandlerFunc {
				return func(w http.ResponseWriter, r *http.Request) {
					m.PutString(r.Context(), "k", "new")
					_, _ = w.Write([]byte("handler body"))
				}
			},
			want503: true,
		},
		{
			name:  "commit error at handler return",
			setup: func(s *countingStore) { s.fail(nil, errDown, nil) },
			handler: func(m *session.Manager) http.HandlerFunc {
				return func(w http.ResponseWriter, r *http.Request) { m.PutString(r.Context(), "k", "new") }
			},
			want503: true,
		},
		{
			name:  "destroy error",
			setup: func(s *countingStore) { s.fail(nil, nil, errDown) },
			handler: func(m *session.Manager) http.HandlerFunc {
				return func(w http.ResponseWriter, r *http.Request) {
					if err := m.Destroy(r.Context()); !errors.Is(err, session.ErrUnavailable) {
						t.Errorf("Destroy = %v", err)
					}
					http.Redirect(w, r, "/logged-out", http.StatusSeeOther)
				}
			},
			want503: true,
		},
		{
			name:  "untouched session ignores a dead store",
			setup: func(s *countingStore) { s.fail(errDown, errDown, errDown) },
			handler: func(m *session.Manager) http.HandlerFunc {
				return func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte("handler body")) }
			},
		},
		{
			name:  "load error after the response started",
			setup: func(s *countingStore) { s.fail(errDown, nil, nil) },
			handler: func(m *session.Manager) http.HandlerFunc {
				return func(w http.ResponseWriter, r *http.Request) {
					_, _ = w.Write([]byte("handler body"))
					m.PutString(r.Context(), "k", "late")
					if m.Err(r.Context()) == nil {
						t.Error("Err is nil")
					}
				}
			},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, func(c *session.Config) { c.StoreTimeout = 20 * time.Millisecond })
			c := f.start(t, "k", "v")
			tc.setup(f.store)
			w := f.do(t, tc.handler(f.m), c)
			body := w.Body.String()
			if tc.want503 {
				if w.Code != http.StatusServiceUnavailable || strings.Contains(body, "handler body") || w.Header().Get("Location") != "" {
					t.Errorf("got %d %q, headers %v; want only the 503 page", w.Code, body, w.Header())
				}
				if sc := sessionCookie(t, w); sc != nil {
					t.Errorf("503 carries a session cookie: %v", sc)
				}
				if lines := strings.Count(f.logs.String(), "\n"); lines != 1 {
					t.Errorf("%d log lines, want 1:\n%s", lines, f.logs)
				}
				for _, want := range []string{"reason=", "method=GET", "path=/page"} {
					if !strings.Contains(f.logs.String(), want) {
						t.Errorf("log lacks %q: %s", want, f.logs)
					}
				}
				if strings.Contains(f.logs.String(), c.Value) || strings.Contains(f.logs.String(), session.HashID(c.Value)) {
					t.Error("log contains the session ID or key")
				}
			} else if w.Code != http.StatusOK || body != "handler body" {
				t.Errorf("got %d %q, want the handler's response", w.Code, body)
			}
			// Nothing was lost: once the store is back, the old data is there.
			f.store.fail(nil, nil, nil)
			f.store.setBlock(false)
			if tc.name != "destroy error" {
				if v, _ := f.get(t, c, "k"); v != "v" {
					t.Errorf("after recovery k = %q, want the old v", v)
				}
			}
		})
	}
}

var errDeadline = errDeadlineExceeded()

func errDeadlineExceeded() error {
	ctx, cancel := contextWithExpiredDeadline()
	defer cancel()
	return ctx.Err()
}

func TestCustomErrorHandler(t *testing.T) {
	var f *fixture
	f = newFixture(t, func(c *session.Config) {
		c.ErrorHandler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(http.StatusTeapot)
			_, _ = io.WriteString(w, f.m.Err(r.Context()).Error())
		})
	})
	c := f.start(t, "k", "v")
	f.store.fail(errDown, nil, nil)
	w := f.do(t, func(w http.ResponseWriter, r *http.Request) { f.m.GetString(r.Context(), "k") }, c)
	if w.Code != http.StatusTeapot || !strings.Contains(w.Body.String(), "connection refused") {
		t.Errorf("got %d %q", w.Code, w.Body)
	}
}

// conflictStore makes every commit lose the race.
type conflictStore struct{ *countingStore }

func (s conflictStore) Commit(ctx context.Context, key string, rec session.Record) (uint64, error) {
	s.commits.Add(1)
	return 0, session.ErrConflict
}

func TestCommitRetriesAreBounded(t *testing.T) {
	f := newFixture(t, nil)
	c := f.start(t, "k", "v")
	m, err := session.New(session.Config{Store: conflictStore{f.store}, Logger: slog.New(slog.NewTextHandler(f.logs, nil)), Now: f.clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	f.m = m
	w := f.do(t, func(w http.ResponseWriter, r *http.Request) { m.PutString(r.Context(), "k", "new") }, c)
	if w.Code != http.StatusServiceUnavailable {
		t.Errorf("status %d, want 503", w.Code)
	}
	if got := f.store.commits.Load(); got != session.MaxCommitAttempts {
		t.Errorf("%d commit attempts, want %d", got, session.MaxCommitAttempts)
	}
	if !strings.Contains(f.logs.String(), "too many concurrent commits") {
		t.Errorf("log: %s", f.logs)
	}
}

// TestRenewWhenOldIDCannotBeRetired checks that a renewal never leaves two
// working IDs: when the old ID cannot be retired the request fails closed
// (503, no cookie, old ID still the session), and when only the final
// housekeeping delete fails the old ID is already dead (tombstoned).
func TestRenewWhenOldIDCannotBeRetired(t *testing.T) {
	cases := []struct {
		name      string
		commitErr bool // the tombstone commit fails too
		want      int
	}{
		{"store down: fails closed", true, http.StatusServiceUnavailable},
		{"only the delete fails: old ID already dead", false, http.StatusOK},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, nil)
			c := f.start(t, "k", "v")
			hs := &hookStore{Store: f.store}
			m, err := session.New(session.Config{Store: hs, Now: f.clock.Now, Logger: discard()})
			if err != nil {
				t.Fatal(err)
			}
			w := serve(m, c, func(w http.ResponseWriter, r *http.Request) {
				_ = m.BindUser(r.Context(), "mallory")
				hs.arm(func() { // after the renewal's re-read, before its writes
					var commitErr error
					if tc.commitErr {
						commitErr = errDown
					}
					f.store.fail(nil, commitErr, errDown)
				})
				_, _ = w.Write([]byte("welcome"))
			})
			f.store.fail(nil, nil, nil)
			nc := sessionCookie(t, w)
			if w.Code != tc.want {
				t.Fatalf("got %d, want %d", w.Code, tc.want)
			}
			_, oldWorks := f.get(t, c, "k")
			if tc.want == http.StatusServiceUnavailable {
				if nc != nil || !oldWorks {
					t.Errorf("cookie %v, old ID works = %v: want no cookie and the old session intact", nc, oldWorks)
				}
				return
			}
			if oldWorks {
				t.Error("old ID still works")
			}
			if v, _ := f.get(t, nc, "k"); v != "v" {
				t.Errorf("renewed session k = %q, want v", v)
			}
		})
	}
}

func TestChangesAfterHeaders(t *testing.T) {
	cases := []struct {
		name     string
		change   func(*session.Manager, *http.Request)
		wantKept bool
	}{
		{"value of an existing session is committed at return", func(m *session.Manager, r *http.Request) { m.PutString(r.Context(), "k", "late") }, true},
		{"renewal is dropped", func(m *session.Manager, r *http.Request) {
			_ = m.Renew(r.Context())
			m.PutString(r.Context(), "k", "late")
		}, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, nil)
			c := f.start(t, "k", "v")
			f.do(t, func(w http.ResponseWriter, r *http.Request) {
				_, _ = w.Write([]byte("body first"))
				tc.change(f.m, r)
			}, c)
			v, _ := f.get(t, c, "k")
			if kept := v == "late"; kept != tc.wantKept {
				t.Errorf("k = %q, kept = %v, want %v", v, kept, tc.wantKept)
			}
			if !tc.wantKept && !strings.Contains(f.logs.String(), "change dropped") {
				t.Errorf("drop not logged: %s", f.logs)
			}
		})
	}
}
