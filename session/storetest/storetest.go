// This file holds the suite's entry points and shared helpers.

package storetest

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/bulwark-go/bulwark/session"
)

// Suite configures a conformance run. Only New is required.
type Suite struct {
	// New returns a fresh, empty store for one test, and registers its
	// cleanup with t.Cleanup. It is called once per case, possibly from
	// parallel tests.
	New func(t *testing.T) session.Store

	// Shared returns two handles to one empty backend, as two app
	// instances would hold (two clients of one Redis prefix, two pools on
	// one PostgreSQL table). nil runs the shared-backend cases with one
	// handle used twice, which only exercises the store's own consistency.
	Shared func(t *testing.T) (a, b session.Store)

	// Goroutines is how many goroutines the concurrency cases run
	// (default 32).
	Goroutines int
}

// Run runs the whole conformance suite against the stores newStore returns.
// See Suite for the optional hooks.
func Run(t *testing.T, newStore func(t *testing.T) session.Store) {
	t.Helper()
	Suite{New: newStore}.Run(t)
}

// Run runs every case of the suite as a parallel subtest of t.
func (s Suite) Run(t *testing.T) {
	t.Helper()
	if s.New == nil {
		t.Fatal("storetest: Suite.New is required")
	}
	if s.Goroutines <= 0 {
		s.Goroutines = 32
	}
	if s.Shared == nil {
		s.Shared = func(t *testing.T) (session.Store, session.Store) {
			st := s.New(t)
			return st, st
		}
	}
	cases := []struct {
		name string
		fn   func(*testing.T, Suite)
	}{
		{"missing session", testMissing},
		{"commit find delete", testCommitFindDelete},
		{"empty values", testEmptyValues},
		{"returned records are copies", testIsolation},
		{"versioned commit", testVersions},
		{"already expired", testAlreadyExpired},
		{"expiry", testExpiry},
		{"opaque keys", testOpaqueKeys},
		{"user index", testUserIndex},
		{"delete user sessions", testDeleteUserSessions},
		{"concurrent counter", testConcurrentCounter},
		{"concurrent sessions", testConcurrentSessions},
		{"cancelled context", testCancelled},
		{"deadline exceeded", testDeadline},
		{"large values", testLargeValues},
		{"shared backend", testShared},
		{"manager stores hashed ids", testManagerHashedKeys},
		{"managers share a backend", testManagersShareBackend},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			c.fn(t, s)
		})
	}
}

// NewKey returns a random key shaped like the ones the Manager passes to a
// Store: the hex SHA-256 of a session ID.
func NewKey(t testing.TB) string {
	t.Helper()
	var id [32]byte
	if _, err := rand.Read(id[:]); err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(id[:])
	return hex.EncodeToString(sum[:])
}

// MustCommit commits rec under key and fails the test on any error.
func MustCommit(t testing.TB, s session.Store, key string, rec session.Record) uint64 {
	t.Helper()
	v, err := s.Commit(context.Background(), key, rec)
	if err != nil {
		t.Fatalf("Commit(%.8s…, version %d): %v", key, rec.Version, err)
	}
	if v != rec.Version+1 {
		t.Fatalf("Commit(%.8s…, version %d) = version %d, want %d", key, rec.Version, v, rec.Version+1)
	}
	return v
}

// MustFind finds key and fails the test on an error or when the session is
// missing.
func MustFind(t testing.TB, s session.Store, key string) session.Record {
	t.Helper()
	rec, found, err := s.Find(context.Background(), key)
	if err != nil {
		t.Fatalf("Find(%.8s…): %v", key, err)
	}
	if !found {
		t.Fatalf("Find(%.8s…): not found, want found", key)
	}
	return rec
}

// MustMiss fails the test unless key is absent (found=false, nil error).
func MustMiss(t testing.TB, s session.Store, key string) {
	t.Helper()
	rec, found, err := s.Find(context.Background(), key)
	if err != nil {
		t.Fatalf("Find(%.8s…): %v", key, err)
	}
	if found {
		t.Fatalf("Find(%.8s…) = found (version %d, expiry %v), want not found", key, rec.Version, rec.Expiry)
	}
}

// CheckRecord fails the test unless got holds want's values, user, version
// and expiry (to the millisecond: stores may round expiry to it).
func CheckRecord(t testing.TB, got, want session.Record) {
	t.Helper()
	if got.UserID != want.UserID {
		t.Errorf("UserID = %q, want %q", got.UserID, want.UserID)
	}
	if got.Version != want.Version {
		t.Errorf("Version = %d, want %d", got.Version, want.Version)
	}
	if d := got.Expiry.Sub(want.Expiry); d < -time.Millisecond || d > time.Millisecond {
		t.Errorf("Expiry = %v, want %v (±1ms)", got.Expiry, want.Expiry)
	}
	if !EqualValues(got.Values, want.Values) {
		t.Errorf("Values = %s, want %s", describe(got.Values), describe(want.Values))
	}
}

// EqualValues reports whether two value maps hold the same keys and bytes
// (nil and empty are equal).
func EqualValues(a, b map[string][]byte) bool {
	if len(a) != len(b) {
		return false
	}
	for k, av := range a {
		bv, ok := b[k]
		if !ok || !bytes.Equal(av, bv) {
			return false
		}
	}
	return true
}

func describe(m map[string][]byte) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var b bytes.Buffer
	b.WriteByte('{')
	for i, k := range keys {
		if i > 0 {
			b.WriteString(", ")
		}
		v := m[k]
		if len(v) > 32 {
			b.WriteString(k + ": <" + itoa(len(v)) + " bytes>")
		} else {
			b.WriteString(k + ": " + string(v))
		}
	}
	b.WriteByte('}')
	return b.String()
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var b [20]byte
	i := len(b)
	for n > 0 {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
	}
	return string(b[i:])
}

// sortedKeys returns the user's live session keys, sorted.
func sortedKeys(t testing.TB, s session.Store, userID string) []string {
	t.Helper()
	keys, err := s.UserSessions(context.Background(), userID)
	if err != nil {
		t.Fatalf("UserSessions(%q): %v", userID, err)
	}
	slices.Sort(keys)
	return keys
}

func wantKeys(t testing.TB, s session.Store, userID string, want ...string) {
	t.Helper()
	got := sortedKeys(t, s, userID)
	want = slices.Clone(want)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("UserSessions(%q) = %s, want %s", userID, short(got), short(want))
	}
}

func short(keys []string) string {
	var b bytes.Buffer
	b.WriteByte('[')
	for i, k := range keys {
		if i > 0 {
			b.WriteByte(' ')
		}
		if len(k) > 8 {
			k = k[:8] + "…"
		}
		b.WriteString(k)
	}
	b.WriteByte(']')
	return b.String()
}

func isConflict(err error) bool { return errors.Is(err, session.ErrConflict) }

// rec builds a Record expiring in an hour, with values given as
// alternating key, value strings.
func rec(user string, version uint64, kv ...string) session.Record {
	r := session.Record{
		Values:  make(map[string][]byte, len(kv)/2),
		UserID:  user,
		Version: version,
		Expiry:  time.Now().Add(time.Hour).Round(time.Millisecond),
	}
	for i := 0; i+1 < len(kv); i += 2 {
		r.Values[kv[i]] = []byte(kv[i+1])
	}
	return r
}
