package memstore

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/bulwark-go/bulwark/session"
)

type clock struct {
	mu  sync.Mutex
	now time.Time
}

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

func newTestStore(t *testing.T) (*Store, *clock) {
	t.Helper()
	c := &clock{now: time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)}
	s, err := New(Config{Now: c.Now, ReapInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s, c
}

func rec(c *clock, version uint64, user string, vals ...string) session.Record {
	r := session.Record{Values: map[string][]byte{}, UserID: user, Version: version, Expiry: c.Now().Add(time.Hour)}
	for i := 0; i+1 < len(vals); i += 2 {
		r.Values[vals[i]] = []byte(vals[i+1])
	}
	return r
}

func TestCommitIsCompareAndSwap(t *testing.T) {
	s, c := newTestStore(t)
	ctx := t.Context()
	steps := []struct {
		name        string
		version     uint64
		wantVersion uint64
		wantErr     error
	}{
		{"create needs version 0", 1, 0, session.ErrConflict},
		{"create", 0, 1, nil},
		{"create again conflicts", 0, 0, session.ErrConflict},
		{"update", 1, 2, nil},
		{"stale update conflicts", 1, 0, session.ErrConflict},
		{"update again", 2, 3, nil},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			v, err := s.Commit(ctx, "k", rec(c, st.version, "", "step", st.name))
			if !errors.Is(err, st.wantErr) || v != st.wantVersion {
				t.Fatalf("got %d, %v; want %d, %v", v, err, st.wantVersion, st.wantErr)
			}
		})
	}
	got, found, err := s.Find(ctx, "k")
	if err != nil || !found || got.Version != 3 || string(got.Values["step"]) != "update again" {
		t.Fatalf("Find: %+v %v %v", got, found, err)
	}
}

func TestExpiredIsAbsent(t *testing.T) {
	s, c := newTestStore(t)
	ctx := t.Context()
	if _, err := s.Commit(ctx, "k", rec(c, 0, "u", "a", "b")); err != nil {
		t.Fatal(err)
	}
	c.Advance(time.Hour)
	if _, found, _ := s.Find(ctx, "k"); found {
		t.Error("expired session found")
	}
	if keys, _ := s.UserSessions(ctx, "u"); len(keys) != 0 {
		t.Errorf("expired session in user index: %v", keys)
	}
	if v, err := s.Commit(ctx, "k", rec(c, 0, "u")); err != nil || v != 1 {
		t.Errorf("recreate after expiry: %d %v", v, err)
	}
}

func TestValuesAreCopied(t *testing.T) {
	s, c := newTestStore(t)
	ctx := t.Context()
	r := rec(c, 0, "", "a", "original")
	if _, err := s.Commit(ctx, "k", r); err != nil {
		t.Fatal(err)
	}
	r.Values["a"][0] = 'X'
	r.Values["b"] = []byte("added")
	got, _, _ := s.Find(ctx, "k")
	got.Values["a"][0] = 'Y'
	again, _, _ := s.Find(ctx, "k")
	if string(again.Values["a"]) != "original" || len(again.Values) != 1 {
		t.Errorf("stored values changed by callers: %q", again.Values)
	}
}

func TestUserIndex(t *testing.T) {
	s, c := newTestStore(t)
	ctx := t.Context()
	for _, k := range []string{"a1", "a2", "a3"} {
		if _, err := s.Commit(ctx, k, rec(c, 0, "alice")); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.Commit(ctx, "b1", rec(c, 0, "bob")); err != nil {
		t.Fatal(err)
	}
	// Moving a session to another user updates the index.
	if _, err := s.Commit(ctx, "a3", rec(c, 1, "bob")); err != nil {
		t.Fatal(err)
	}
	if err := s.Delete(ctx, "a2"); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		user string
		want []string
	}{
		{"alice", []string{"a1"}},
		{"bob", []string{"a3", "b1"}},
		{"nobody", nil},
		{"", nil},
	}
	for _, tc := range cases {
		t.Run("user "+tc.user, func(t *testing.T) {
			keys, err := s.UserSessions(ctx, tc.user)
			slices.Sort(keys)
			if err != nil || !slices.Equal(keys, tc.want) {
				t.Errorf("got %v %v, want %v", keys, err, tc.want)
			}
		})
	}
	n, err := s.DeleteUserSessions(ctx, "bob", "b1")
	if err != nil || n != 1 {
		t.Fatalf("DeleteUserSessions: %d %v", n, err)
	}
	if _, found, _ := s.Find(ctx, "b1"); !found {
		t.Error("kept session deleted")
	}
	if _, found, _ := s.Find(ctx, "a3"); found {
		t.Error("session not deleted")
	}
	if n, _ := s.DeleteUserSessions(ctx, "bob", ""); n != 1 {
		t.Errorf("deleted %d, want 1", n)
	}
}

func TestCancelledContext(t *testing.T) {
	s, c := newTestStore(t)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	calls := map[string]error{}
	_, _, calls["Find"] = s.Find(ctx, "k")
	_, calls["Commit"] = s.Commit(ctx, "k", rec(c, 0, ""))
	calls["Delete"] = s.Delete(ctx, "k")
	_, calls["UserSessions"] = s.UserSessions(ctx, "u")
	_, calls["DeleteUserSessions"] = s.DeleteUserSessions(ctx, "u", "")
	for name, err := range calls {
		if !errors.Is(err, context.Canceled) {
			t.Errorf("%s: got %v, want context.Canceled", name, err)
		}
	}
}

func TestReaper(t *testing.T) {
	c := &clock{now: time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)}
	reaped := make(chan int, 100)
	s, err := newStore(Config{Now: c.Now, ReapInterval: time.Millisecond}, func(n int) {
		if n > 0 {
			reaped <- n
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	for _, k := range []string{"a", "b"} {
		if _, err := s.Commit(ctx, k, rec(c, 0, "u")); err != nil {
			t.Fatal(err)
		}
	}
	c.Advance(2 * time.Hour)
	if n := <-reaped; n != 2 || s.Len() != 0 {
		t.Errorf("reaped %d, %d left", n, s.Len())
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-s.done:
	default:
		t.Fatal("reaper still running after Close")
	}
}

func TestClose(t *testing.T) {
	s, c := newTestStore(t)
	for range 2 {
		if err := s.Close(); err != nil {
			t.Fatalf("Close: %v", err)
		}
	}
	ctx := t.Context()
	calls := map[string]error{}
	_, _, calls["Find"] = s.Find(ctx, "k")
	_, calls["Commit"] = s.Commit(ctx, "k", rec(c, 0, ""))
	calls["Delete"] = s.Delete(ctx, "k")
	_, calls["UserSessions"] = s.UserSessions(ctx, "u")
	_, calls["DeleteUserSessions"] = s.DeleteUserSessions(ctx, "u", "")
	for name, err := range calls {
		if !errors.Is(err, ErrClosed) {
			t.Errorf("%s after Close: %v", name, err)
		}
	}
}

func TestNewRejectsTinyInterval(t *testing.T) {
	if _, err := New(Config{ReapInterval: time.Nanosecond}); err == nil {
		t.Error("1ns reap interval accepted")
	}
}

func TestConcurrentCommits(t *testing.T) {
	s, c := newTestStore(t)
	ctx := t.Context()
	if _, err := s.Commit(ctx, "k", rec(c, 0, "")); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	wins := make(chan uint64, 32)
	for range 32 {
		wg.Go(func() {
			if v, err := s.Commit(ctx, "k", rec(c, 1, "")); err == nil {
				wins <- v
			} else if !errors.Is(err, session.ErrConflict) {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	close(wins)
	if n := len(wins); n != 1 {
		t.Errorf("%d commits on version 1 won, want exactly 1", n)
	}
}

// Reap lets other calls in between batches: a Find made between two
// batches completes while the pass over many expired sessions goes on.
func TestReapLetsCallsInBetweenBatches(t *testing.T) {
	c := &clock{now: time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)}
	s, err := newStore(Config{Now: c.Now, ReapInterval: -1}, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	const n = 3*reapBatch + 10
	for i := range n {
		if _, err := s.Commit(ctx, fmt.Sprintf("k%d", i), rec(c, 0, "u")); err != nil {
			t.Fatal(err)
		}
	}
	live := rec(c, 0, "")
	live.Expiry = c.Now().Add(48 * time.Hour)
	if _, err := s.Commit(ctx, "live", live); err != nil {
		t.Fatal(err)
	}
	c.Advance(2 * time.Hour)
	batches := 0
	s.onBatch = func() {
		batches++
		if _, ok, err := s.Find(ctx, "live"); !ok || err != nil {
			t.Errorf("Find between batches: ok=%v err=%v", ok, err)
		}
	}
	if got := s.Reap(); got != n {
		t.Fatalf("reaped %d, want %d", got, n)
	}
	if batches != n/reapBatch {
		t.Fatalf("%d pauses in a pass over %d sessions, want %d", batches, n+1, n/reapBatch)
	}
	if s.Len() != 1 {
		t.Fatalf("%d records left, want the live one", s.Len())
	}
}
