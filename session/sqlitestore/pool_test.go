package sqlitestore_test

import (
	"context"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/bulwark-go/bulwark/session"
	"github.com/bulwark-go/bulwark/session/sqlitestore"
)

// Many more concurrent requests than connections (an overloaded app, or a
// flood of clients that give up) must not open a connection each: SQLite
// keeps the descriptors of closed connections while others hold locks,
// and the process ran out of them ("unable to open database file").
func TestOverloadKeepsFileDescriptorsBounded(t *testing.T) {
	if _, err := os.Stat("/proc/self/fd"); err != nil {
		t.Skip("needs /proc/self/fd to count descriptors")
	}
	path := filepath.Join(t.TempDir(), "s.db")
	s := newStore(t, sqlitestore.Config{Path: path})
	ctx := context.Background()
	rec := session.Record{Values: map[string][]byte{"k": []byte("v")}, Expiry: time.Now().Add(time.Hour)}
	if _, err := s.Commit(ctx, "key", rec); err != nil {
		t.Fatal(err)
	}
	var peak atomic.Int64
	done := make(chan struct{})
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		for {
			if n := int64(openFiles(t, path)); n > peak.Load() {
				peak.Store(n)
			}
			select {
			case <-done:
				return
			default:
				runtime.Gosched()
			}
		}
	}()
	var wg sync.WaitGroup
	for range 512 {
		wg.Go(func() {
			for i := range 50 {
				c, cancel := context.WithCancel(ctx)
				if i%2 == 1 {
					cancel() // a client that already left
				}
				if _, _, err := s.Find(c, "key"); err != nil && c.Err() == nil {
					t.Error(err)
				}
				cancel()
			}
		})
	}
	wg.Wait()
	close(done)
	<-sampled
	// Each connection holds the database and its WAL open.
	limit := int64(2*(2*runtime.GOMAXPROCS(0)+8) + 2)
	if p := peak.Load(); p > limit {
		t.Fatalf("%d descriptors on the database at the peak of 512 concurrent finds, want at most %d", p, limit)
	}
}

// openFiles counts this process's descriptors on path and its WAL.
func openFiles(t *testing.T, path string) int {
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range ents {
		target, err := os.Readlink("/proc/self/fd/" + e.Name())
		if err == nil && strings.HasPrefix(target, path) && !strings.HasSuffix(target, "-shm") {
			n++
		}
	}
	return n
}
