// This file holds the conformance cases.

package storetest

import (
	"bytes"
	"context"
	"errors"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/bulwark-go/bulwark/session"
)

func testMissing(t *testing.T, s Suite) {
	st := s.New(t)
	ctx := context.Background()
	key := NewKey(t)
	MustMiss(t, st, key)
	if err := st.Delete(ctx, key); err != nil {
		t.Errorf("Delete of a missing key: %v, want nil", err)
	}
	if keys, err := st.UserSessions(ctx, "nobody"); err != nil || len(keys) != 0 {
		t.Errorf("UserSessions(unknown user) = %v, %v; want none, nil", keys, err)
	}
	if n, err := st.DeleteUserSessions(ctx, "nobody", ""); err != nil || n != 0 {
		t.Errorf("DeleteUserSessions(unknown user) = %d, %v; want 0, nil", n, err)
	}
}

func testCommitFindDelete(t *testing.T, s Suite) {
	st := s.New(t)
	ctx := context.Background()
	key := NewKey(t)

	r1 := rec("", 0, "a", "1", "b", "2")
	MustCommit(t, st, key, r1)
	r1.Version = 1
	CheckRecord(t, MustFind(t, st, key), r1)

	// A commit replaces the whole record: "a" is gone afterwards.
	r2 := rec("", 1, "b", "3", "c", "4")
	MustCommit(t, st, key, r2)
	r2.Version = 2
	CheckRecord(t, MustFind(t, st, key), r2)

	other := NewKey(t)
	MustMiss(t, st, other)

	if err := st.Delete(ctx, key); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	MustMiss(t, st, key)
	if err := st.Delete(ctx, key); err != nil {
		t.Errorf("second Delete: %v, want nil", err)
	}
	// After a delete the key starts again at version 0.
	MustCommit(t, st, key, rec("", 0, "d", "5"))
	if got := MustFind(t, st, key); got.Version != 1 {
		t.Errorf("Version after delete and re-create = %d, want 1", got.Version)
	}
}

func testEmptyValues(t *testing.T, s Suite) {
	st := s.New(t)
	for _, tc := range []struct {
		name   string
		values map[string][]byte
	}{
		{"nil map", nil},
		{"empty map", map[string][]byte{}},
		{"empty value", map[string][]byte{"k": {}}},
		{"empty key", map[string][]byte{"": []byte("v")}},
		{"binary", map[string][]byte{"bin\x00\xff": {0, 1, 2, 0xff, '\n'}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			key := NewKey(t)
			r := rec("", 0)
			r.Values = tc.values
			MustCommit(t, st, key, r)
			r.Version = 1
			CheckRecord(t, MustFind(t, st, key), r)
		})
	}
}

func testIsolation(t *testing.T, s Suite) {
	st := s.New(t)
	key := NewKey(t)
	r := rec("", 0, "a", "1")
	MustCommit(t, st, key, r)
	// Changing the committed map or the found record must not reach the store.
	r.Values["a"][0] = 'X'
	r.Values["b"] = []byte("2")
	got := MustFind(t, st, key)
	got.Values["a"][0] = 'Y'
	got.Values["c"] = []byte("3")
	want := rec("", 1, "a", "1")
	want.Expiry = r.Expiry
	CheckRecord(t, MustFind(t, st, key), want)
}

func testVersions(t *testing.T, s Suite) {
	st := s.New(t)
	ctx := context.Background()
	key := NewKey(t)

	MustCommit(t, st, key, rec("u1", 0, "a", "first"))
	want := rec("u1", 1, "a", "first")

	for _, tc := range []struct {
		name    string
		version uint64
	}{
		{"create over a live session", 0},
		{"version from the future", 2},
		{"far future version", 1 << 40},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := st.Commit(ctx, key, rec("u2", tc.version, "a", "loser"))
			if !isConflict(err) {
				t.Fatalf("Commit(version %d) over version 1: err = %v, want ErrConflict", tc.version, err)
			}
			got := MustFind(t, st, key)
			want.Expiry = got.Expiry
			CheckRecord(t, got, want)
			wantKeys(t, st, "u2")
		})
	}

	MustCommit(t, st, key, rec("u1", 1, "a", "second"))
	MustCommit(t, st, key, rec("u1", 2, "a", "third"))
	// A writer that read version 2 lost the race to the one that wrote 3.
	if _, err := st.Commit(ctx, key, rec("u1", 2, "a", "stale")); !isConflict(err) {
		t.Fatalf("stale Commit(version 2) over version 3: err = %v, want ErrConflict", err)
	}
	if got := MustFind(t, st, key); got.Version != 3 || string(got.Values["a"]) != "third" {
		t.Errorf("after a stale commit: version %d, a=%q; want version 3, a=\"third\"", got.Version, got.Values["a"])
	}

	// A non-zero version for a session that does not exist stores nothing.
	missing := NewKey(t)
	if _, err := st.Commit(ctx, missing, rec("u1", 4, "a", "ghost")); !isConflict(err) {
		t.Fatalf("Commit(version 4) of a missing key: err = %v, want ErrConflict", err)
	}
	MustMiss(t, st, missing)
	wantKeys(t, st, "u1", key)
}

func testAlreadyExpired(t *testing.T, s Suite) {
	st := s.New(t)
	key := NewKey(t)
	r := rec("u1", 0, "a", "1")
	r.Expiry = time.Now().Add(-time.Second)
	// Storing a dead record may succeed or be refused as a no-op, but
	// it must never come back.
	if _, err := st.Commit(context.Background(), key, r); err != nil && !isConflict(err) {
		t.Fatalf("Commit of an expired record: %v", err)
	}
	MustMiss(t, st, key)
	wantKeys(t, st, "u1")
	MustCommit(t, st, key, rec("u1", 0, "a", "2"))
}

func testExpiry(t *testing.T, s Suite) {
	st := s.New(t)
	ctx := context.Background()
	short := NewKey(t)
	long := NewKey(t)

	r := rec("u1", 0, "a", "short")
	r.Expiry = time.Now().Add(1500 * time.Millisecond)
	MustCommit(t, st, short, r)
	MustCommit(t, st, long, rec("u1", 0, "a", "long"))
	if got := MustFind(t, st, short); string(got.Values["a"]) != "short" {
		t.Fatalf("live short session: a=%q", got.Values["a"])
	}
	wantKeys(t, st, "u1", short, long)

	waitUntil(t, 10*time.Second, "the short session to expire", func() bool {
		asked := time.Now()
		_, found, err := st.Find(ctx, short)
		if err != nil {
			t.Fatalf("Find: %v", err)
		}
		if found && asked.After(r.Expiry) {
			t.Fatalf("Find at %v past the expiry returned the session", asked.Sub(r.Expiry))
		}
		return !found
	})
	MustFind(t, st, long)
	wantKeys(t, st, "u1", long)

	// An expired session counts as absent: only version 0 may recreate it.
	if _, err := st.Commit(ctx, short, rec("u1", 1, "a", "revived")); !isConflict(err) {
		t.Fatalf("Commit(version 1) over an expired session: err = %v, want ErrConflict", err)
	}
	MustMiss(t, st, short)
	MustCommit(t, st, short, rec("u2", 0, "a", "new"))
	if got := MustFind(t, st, short); got.Version != 1 || got.UserID != "u2" {
		t.Errorf("recreated session: version %d user %q, want 1 \"u2\"", got.Version, got.UserID)
	}
	wantKeys(t, st, "u1", long)
	wantKeys(t, st, "u2", short)
}

func testOpaqueKeys(t *testing.T, s Suite) {
	st := s.New(t)
	base := NewKey(t)
	// Keys that share prefixes or differ only in case are different sessions.
	// base is lower-case hex, so the "Z"/"z" variants never equal it.
	keys := []string{base, base[:32], base[:63] + "x", base + "0", "Z" + base[1:], "z" + base[1:]}
	for i, k := range keys {
		MustCommit(t, st, k, rec("owner", 0, "i", strconv.Itoa(i)))
	}
	for i, k := range keys {
		if got := MustFind(t, st, k); string(got.Values["i"]) != strconv.Itoa(i) {
			t.Errorf("key %d: i=%q, want %d", i, got.Values["i"], i)
		}
	}
	wantKeys(t, st, "owner", keys...)
}

func testUserIndex(t *testing.T, s Suite) {
	st := s.New(t)
	ctx := context.Background()
	k1, k2, k3, anon := NewKey(t), NewKey(t), NewKey(t), NewKey(t)
	u1, u2 := "user-1", "user 2 ünïcode:*"

	MustCommit(t, st, k1, rec(u1, 0))
	MustCommit(t, st, k2, rec(u1, 0))
	MustCommit(t, st, k3, rec(u1, 0))
	MustCommit(t, st, anon, rec("", 0))
	wantKeys(t, st, u1, k1, k2, k3)
	wantKeys(t, st, u2)

	t.Run("user changes", func(t *testing.T) {
		MustCommit(t, st, k2, rec(u2, 1))
		wantKeys(t, st, u1, k1, k3)
		wantKeys(t, st, u2, k2)
	})
	t.Run("user removed", func(t *testing.T) {
		MustCommit(t, st, k3, rec("", 1))
		wantKeys(t, st, u1, k1)
	})
	t.Run("anonymous sessions are not indexed", func(t *testing.T) {
		wantKeys(t, st, "")
		if n, err := st.DeleteUserSessions(ctx, "", ""); err != nil || n != 0 {
			t.Errorf("DeleteUserSessions(\"\") = %d, %v; want 0, nil", n, err)
		}
		MustFind(t, st, anon)
		MustFind(t, st, k3)
	})
	t.Run("failed commit leaves the index alone", func(t *testing.T) {
		if _, err := st.Commit(ctx, k1, rec(u2, 7)); !isConflict(err) {
			t.Fatalf("Commit(stale) err = %v, want ErrConflict", err)
		}
		wantKeys(t, st, u1, k1)
		wantKeys(t, st, u2, k2)
	})
	t.Run("delete", func(t *testing.T) {
		if err := st.Delete(ctx, k1); err != nil {
			t.Fatal(err)
		}
		wantKeys(t, st, u1)
		if err := st.Delete(ctx, k2); err != nil {
			t.Fatal(err)
		}
		wantKeys(t, st, u2)
	})
	t.Run("recreated under another user", func(t *testing.T) {
		// k1 was u1's; once deleted and recreated for u2 it is only u2's.
		MustCommit(t, st, k1, rec(u2, 0))
		wantKeys(t, st, u1)
		wantKeys(t, st, u2, k1)
	})
}

func testDeleteUserSessions(t *testing.T, s Suite) {
	st := s.New(t)
	ctx := context.Background()
	const u, other = "alice", "bob"
	var mine []string
	for range 5 {
		k := NewKey(t)
		MustCommit(t, st, k, rec(u, 0, "x", "y"))
		mine = append(mine, k)
	}
	bobs, anon := NewKey(t), NewKey(t)
	MustCommit(t, st, bobs, rec(other, 0))
	MustCommit(t, st, anon, rec("", 0))

	t.Run("keep current", func(t *testing.T) {
		n, err := st.DeleteUserSessions(ctx, u, mine[2])
		if err != nil || n != 4 {
			t.Fatalf("DeleteUserSessions(keep one of 5) = %d, %v; want 4, nil", n, err)
		}
		for i, k := range mine {
			if i == 2 {
				MustFind(t, st, k)
			} else {
				MustMiss(t, st, k)
			}
		}
		wantKeys(t, st, u, mine[2])
		MustFind(t, st, bobs)
		MustFind(t, st, anon)
	})
	t.Run("keep another user's session", func(t *testing.T) {
		// keep names bob's session: alice's are all removed, bob's stays.
		n, err := st.DeleteUserSessions(ctx, u, bobs)
		if err != nil || n != 1 {
			t.Fatalf("DeleteUserSessions = %d, %v; want 1, nil", n, err)
		}
		wantKeys(t, st, u)
		MustFind(t, st, bobs)
	})
	t.Run("keep none", func(t *testing.T) {
		n, err := st.DeleteUserSessions(ctx, other, "")
		if err != nil || n != 1 {
			t.Fatalf("DeleteUserSessions(keep none) = %d, %v; want 1, nil", n, err)
		}
		MustMiss(t, st, bobs)
		wantKeys(t, st, other)
		MustFind(t, st, anon)
	})
	t.Run("again", func(t *testing.T) {
		n, err := st.DeleteUserSessions(ctx, other, "")
		if err != nil || n != 0 {
			t.Fatalf("second DeleteUserSessions = %d, %v; want 0, nil", n, err)
		}
	})
}

// testConcurrentCounter runs read-modify-commit-retry loops on one session
// from many goroutines: with a correct compare-and-swap every increment
// survives.
func testConcurrentCounter(t *testing.T, s Suite) {
	a, b := s.Shared(t)
	key := NewKey(t)
	MustCommit(t, a, key, rec("u", 0, "n", "0"))
	conflicts := Counter(t, []session.Store{a, b}, key, s.Goroutines)
	got := MustFind(t, a, key)
	if string(got.Values["n"]) != strconv.Itoa(s.Goroutines) {
		t.Fatalf("counter = %s after %d increments (%d conflicts retried): lost updates", got.Values["n"], s.Goroutines, conflicts)
	}
	if got.Version != uint64(s.Goroutines)+1 {
		t.Errorf("version = %d, want %d", got.Version, s.Goroutines+1)
	}
	t.Logf("%d increments, %d conflicts retried", s.Goroutines, conflicts)
}

// Counter increments the decimal value "n" of the session under key once
// from each of n goroutines, spread over stores, each retrying on
// ErrConflict, and returns how many conflicts were retried. It fails the
// test on any other error.
func Counter(t testing.TB, stores []session.Store, key string, n int) (conflicts int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		first error
	)
	start := make(chan struct{})
	for i := range n {
		st := stores[i%len(stores)]
		wg.Go(func() {
			<-start
			c, err := increment(ctx, st, key)
			mu.Lock()
			defer mu.Unlock()
			conflicts += c
			if err != nil && first == nil {
				first = err
			}
		})
	}
	close(start)
	wg.Wait()
	if first != nil {
		t.Fatalf("increment: %v", first)
	}
	return conflicts
}

func increment(ctx context.Context, st session.Store, key string) (conflicts int, err error) {
	for {
		r, found, err := st.Find(ctx, key)
		if err != nil {
			return conflicts, err
		}
		if !found {
			return conflicts, errors.New("storetest: counter session vanished")
		}
		n, err := strconv.Atoi(string(r.Values["n"]))
		if err != nil {
			return conflicts, err
		}
		r.Values["n"] = []byte(strconv.Itoa(n + 1))
		_, err = st.Commit(ctx, key, r)
		if err == nil {
			return conflicts, nil
		}
		if !isConflict(err) {
			return conflicts, err
		}
		conflicts++
	}
}

func testConcurrentSessions(t *testing.T, s Suite) {
	st := s.New(t)
	ctx := context.Background()
	n := s.Goroutines
	keys := make([]string, n)
	for i := range keys {
		keys[i] = NewKey(t)
	}
	errs := make(chan error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			user := "user" + strconv.Itoa(i%4)
			r := rec(user, 0, "i", strconv.Itoa(i))
			v, err := st.Commit(ctx, keys[i], r)
			if err == nil {
				r.Version = v
				r.Values["j"] = []byte("second")
				_, err = st.Commit(ctx, keys[i], r)
			}
			if err == nil && i%2 == 0 {
				err = st.Delete(ctx, keys[i])
			}
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	want := map[string][]string{}
	for i, k := range keys {
		if i%2 == 0 {
			MustMiss(t, st, k)
			continue
		}
		got := MustFind(t, st, k)
		if got.Version != 2 || string(got.Values["i"]) != strconv.Itoa(i) || string(got.Values["j"]) != "second" {
			t.Errorf("session %d: version %d values %s", i, got.Version, describe(got.Values))
		}
		user := "user" + strconv.Itoa(i%4)
		want[user] = append(want[user], k)
	}
	for user, keys := range want {
		wantKeys(t, st, user, keys...)
	}
}

// calls lists every Store method as a closure over key.
func calls(st session.Store, key string) []struct {
	name string
	call func(context.Context) error
} {
	return []struct {
		name string
		call func(context.Context) error
	}{
		{"Find", func(ctx context.Context) error { _, _, err := st.Find(ctx, key); return err }},
		{"Commit", func(ctx context.Context) error { _, err := st.Commit(ctx, key, rec("u", 1, "a", "b")); return err }},
		{"Delete", func(ctx context.Context) error { return st.Delete(ctx, key) }},
		{"UserSessions", func(ctx context.Context) error { _, err := st.UserSessions(ctx, "u"); return err }},
		{"DeleteUserSessions", func(ctx context.Context) error { _, err := st.DeleteUserSessions(ctx, "u", ""); return err }},
	}
}

func testCancelled(t *testing.T, s Suite) {
	st := s.New(t)
	key := NewKey(t)
	MustCommit(t, st, key, rec("u", 0, "a", "keep"))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	for _, c := range calls(st, key) {
		t.Run(c.name, func(t *testing.T) {
			err := within(t, 5*time.Second, func() error { return c.call(ctx) })
			if !errors.Is(err, context.Canceled) {
				t.Errorf("%s with a cancelled context: err = %v, want context.Canceled", c.name, err)
			}
		})
	}
	// Nothing ran: the session is as it was.
	got := MustFind(t, st, key)
	if got.Version != 1 || string(got.Values["a"]) != "keep" {
		t.Errorf("after cancelled calls: version %d a=%q, want 1 \"keep\"", got.Version, got.Values["a"])
	}
	wantKeys(t, st, "u", key)
}

func testDeadline(t *testing.T, s Suite) {
	st := s.New(t)
	key := NewKey(t)
	MustCommit(t, st, key, rec("u", 0, "a", "keep"))
	ctx, cancel := context.WithDeadline(context.Background(), time.Now().Add(-time.Second))
	defer cancel()
	for _, c := range calls(st, key) {
		t.Run(c.name, func(t *testing.T) {
			err := within(t, 5*time.Second, func() error { return c.call(ctx) })
			if !errors.Is(err, context.DeadlineExceeded) {
				t.Errorf("%s past its deadline: err = %v, want context.DeadlineExceeded", c.name, err)
			}
		})
	}
	MustFind(t, st, key)
}

func testLargeValues(t *testing.T, s Suite) {
	st := s.New(t)
	big := bytes.Repeat([]byte("0123456789abcdef"), 1<<16) // 1 MiB
	big[12345] = 0
	many := make(map[string][]byte, 1000)
	for i := range 1000 {
		many["key"+strconv.Itoa(i)] = []byte(strconv.Itoa(i * i))
	}
	for _, tc := range []struct {
		name   string
		values map[string][]byte
	}{
		{"one MiB value", map[string][]byte{"big": big, "small": []byte("s")}},
		{"a thousand keys", many},
	} {
		t.Run(tc.name, func(t *testing.T) {
			key := NewKey(t)
			r := rec("u", 0)
			r.Values = tc.values
			MustCommit(t, st, key, r)
			r.Version = 1
			CheckRecord(t, MustFind(t, st, key), r)
			MustCommit(t, st, key, r)
			if got := MustFind(t, st, key); !EqualValues(got.Values, tc.values) {
				t.Error("values changed on the second commit")
			}
		})
	}
}

func testShared(t *testing.T, s Suite) {
	a, b := s.Shared(t)
	ctx := context.Background()
	key := NewKey(t)

	MustCommit(t, a, key, rec("u", 0, "from", "a"))
	if got := MustFind(t, b, key); string(got.Values["from"]) != "a" || got.Version != 1 {
		t.Fatalf("b sees version %d from=%q, want 1 \"a\"", got.Version, got.Values["from"])
	}
	MustCommit(t, b, key, rec("u", 1, "from", "b"))
	if _, err := a.Commit(ctx, key, rec("u", 1, "from", "stale a")); !isConflict(err) {
		t.Fatalf("a's stale commit after b's: err = %v, want ErrConflict", err)
	}
	if got := MustFind(t, a, key); string(got.Values["from"]) != "b" {
		t.Fatalf("a sees from=%q, want \"b\"", got.Values["from"])
	}
	wantKeys(t, b, "u", key)
	if n, err := b.DeleteUserSessions(ctx, "u", ""); err != nil || n != 1 {
		t.Fatalf("b.DeleteUserSessions = %d, %v; want 1, nil", n, err)
	}
	MustMiss(t, a, key)
	wantKeys(t, a, "u")
}

// within runs f and fails the test if it has not returned after d.
func within(t testing.TB, d time.Duration, f func() error) error {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- f() }()
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case err := <-done:
		return err
	case <-timer.C:
		t.Fatalf("call did not return within %v", d)
		return nil
	}
}

// waitUntil polls cond until it holds, failing the test after d.
func waitUntil(t testing.TB, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", d, what)
		}
		<-tick.C
	}
}
