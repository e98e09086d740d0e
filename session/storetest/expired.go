package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/bulwark-go/bulwark/session"
)

// Expirer is a store whose expired records are deleted by a cleanup the
// store runs (sqlitestore, pgstore).
type Expirer interface {
	session.Store
	DeleteExpired(ctx context.Context) (int64, error)
}

// DeleteExpired checks that one call of s.DeleteExpired removes every
// expired record, however many batches that takes (n records; give more
// than one batch), and no live one.
func DeleteExpired(t *testing.T, s Expirer, n int) {
	t.Helper()
	ctx := context.Background()
	live := NewKey(t)
	MustCommit(t, s, live, session.Record{UserID: "u", Expiry: time.Now().Add(time.Hour)})
	for i := range n {
		user := ""
		if i%2 == 0 {
			user = "u"
		}
		MustCommit(t, s, NewKey(t), session.Record{UserID: user, Expiry: time.Now().Add(-time.Minute)})
	}
	got, err := s.DeleteExpired(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got != int64(n) {
		t.Fatalf("DeleteExpired removed %d records, want all %d expired ones", got, n)
	}
	MustFind(t, s, live)
	wantKeys(t, s, "u", live)
	if again, err := s.DeleteExpired(ctx); err != nil || again != 0 {
		t.Fatalf("a second DeleteExpired removed %d (%v), want 0", again, err)
	}
}
