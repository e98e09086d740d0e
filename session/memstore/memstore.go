// Package memstore is an in-memory session.Store for tests, development and
// single-process applications.
//
// Sessions live in a map guarded by a mutex and vanish when the process
// exits; several processes cannot share them (use sqlitestore, redisstore or
// pgstore for that). Values are copied on the way in and out, so neither the
// caller nor the Manager can change stored data behind the store's back.
// Expired sessions are invisible at once and reclaimed by a background
// goroutine that stops when the store is closed.
package memstore

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"time"

	"github.com/bulwark-go/bulwark/session"
)

// ErrClosed is returned by every method of a closed Store.
var ErrClosed = errors.New("memstore: store is closed")

// DefaultReapInterval is how often expired sessions are reclaimed when
// Config.ReapInterval is zero.
const DefaultReapInterval = time.Minute

// Config configures a Store. The zero value is ready to use.
type Config struct {
	// ReapInterval is how often a background goroutine deletes expired
	// sessions. Zero means DefaultReapInterval; a negative value disables
	// the goroutine (expired sessions are still never returned, and are
	// reclaimed when their key is committed or deleted).
	ReapInterval time.Duration

	// Now returns the current time. Nil means time.Now. Tests inject a
	// fake clock here.
	Now func() time.Time
}

// Store is an in-memory session.Store. It is safe for concurrent use.
type Store struct {
	now func() time.Time

	mu       sync.Mutex
	sessions map[string]entry
	users    map[string]map[string]struct{} // userID -> set of keys
	closed   bool

	stop chan struct{}
	done chan struct{}

	onBatch func() // tests: runs between Reap's batches, unlocked
}

type entry struct {
	values  map[string][]byte
	userID  string
	version uint64
	expiry  time.Time
}

var _ session.Store = (*Store)(nil)

// New returns a Store and, unless disabled, starts its reaper goroutine.
// Call Close to stop it.
func New(cfg Config) (*Store, error) { return newStore(cfg, nil) }

// newStore is New with a hook the reaper calls after each pass (tests).
func newStore(cfg Config, onReap func(int)) (*Store, error) {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	interval := cfg.ReapInterval
	if interval == 0 {
		interval = DefaultReapInterval
	}
	s := &Store{
		now:      cfg.Now,
		sessions: make(map[string]entry),
		users:    make(map[string]map[string]struct{}),
		stop:     make(chan struct{}),
		done:     make(chan struct{}),
	}
	if interval < 0 {
		close(s.done)
		return s, nil
	}
	if interval < time.Millisecond {
		return nil, fmt.Errorf("memstore: reap interval %v is too short: use at least 1ms, or a negative value to disable reaping", interval)
	}
	go s.reapLoop(interval, onReap)
	return s, nil
}

func (s *Store) reapLoop(interval time.Duration, onReap func(int)) {
	defer close(s.done)
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-s.stop:
			return
		case <-t.C:
			n := s.Reap()
			if onReap != nil {
				onReap(n)
			}
		}
	}
}

// reapBatch is how many sessions Reap looks at per hold of the lock.
const reapBatch = 1000

// Reap deletes every expired session now and returns how many it removed.
// The background goroutine calls it periodically; tests may call it
// directly. It lets other calls in after every reapBatch sessions, so a
// million expired sessions do not hold requests up for the whole pass.
func (s *Store) Reap() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	n, seen := 0, 0
	// The map is read and written only under s.mu; releasing it between
	// iteration steps is a change of the map during iteration, which the
	// language allows: a removed entry is not produced, an added one may be.
	for key, e := range s.sessions {
		if !now.Before(e.expiry) {
			s.removeLocked(key, e)
			n++
		}
		if seen++; seen%reapBatch == 0 {
			s.mu.Unlock()
			s.betweenBatches()
			s.mu.Lock()
			if s.closed {
				return n
			}
		}
	}
	return n
}

// betweenBatches runs between Reap's batches, with the lock released:
// other goroutines get their turn (tests hook in here).
func (s *Store) betweenBatches() {
	if s.onBatch != nil {
		s.onBatch()
		return
	}
	runtime.Gosched()
}

// Close stops the reaper goroutine, waits for it to exit, and drops every
// session. Later calls return nil; other methods return ErrClosed.
func (s *Store) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	s.sessions = nil
	s.users = nil
	close(s.stop)
	s.mu.Unlock()
	<-s.done
	return nil
}

// Len returns the number of stored records: sessions, including expired
// ones the reaper has not reclaimed yet, and the short-lived records that
// retire a renewed session's old ID.
func (s *Store) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.sessions)
}

// Find implements session.Store.
func (s *Store) Find(ctx context.Context, key string) (session.Record, bool, error) {
	if err := ctx.Err(); err != nil {
		return session.Record{}, false, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return session.Record{}, false, ErrClosed
	}
	e, ok := s.liveLocked(key)
	if !ok {
		return session.Record{}, false, nil
	}
	return session.Record{
		Values:  copyValues(e.values),
		UserID:  e.userID,
		Version: e.version,
		Expiry:  e.expiry,
	}, true, nil
}

// Commit implements session.Store.
func (s *Store) Commit(ctx context.Context, key string, rec session.Record) (uint64, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return 0, ErrClosed
	}
	old, ok := s.liveLocked(key)
	var current uint64
	if ok {
		current = old.version
	}
	if current != rec.Version {
		return 0, session.ErrConflict
	}
	if ok {
		s.removeLocked(key, old)
	}
	e := entry{
		values:  copyValues(rec.Values),
		userID:  rec.UserID,
		version: rec.Version + 1,
		expiry:  rec.Expiry,
	}
	if !s.now().Before(e.expiry) {
		// Already dead: storing it would only waste memory, but the
		// commit itself succeeded as far as the caller can tell.
		return e.version, nil
	}
	s.sessions[key] = e
	if e.userID != "" {
		set := s.users[e.userID]
		if set == nil {
			set = make(map[string]struct{})
			s.users[e.userID] = set
		}
		set[key] = struct{}{}
	}
	return e.version, nil
}

// Delete implements session.Store.
func (s *Store) Delete(ctx context.Context, key string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return ErrClosed
	}
	if e, ok := s.sessions[key]; ok {
		s.removeLocked(key, e)
	}
	return nil
}

// UserSessions implements session.Store.
func (s *Store) UserSessions(ctx context.Context, userID string) ([]string, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, ErrClosed
	}
	if userID == "" {
		return nil, nil
	}
	var keys []string
	for key := range s.users[userID] {
		if _, ok := s.liveLocked(key); ok {
			keys = append(keys, key)
		}
	}
	return keys, nil
}

// DeleteUserSessions implements session.Store.
func (s *Store) DeleteUserSessions(ctx context.Context, userID, keep string) (int, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return 0, ErrClosed
	}
	if userID == "" {
		return 0, nil
	}
	n := 0
	for key := range s.users[userID] {
		if key == keep {
			continue
		}
		if e, ok := s.sessions[key]; ok {
			if s.now().Before(e.expiry) {
				n++
			}
			s.removeLocked(key, e)
		}
	}
	return n, nil
}

// liveLocked returns the unexpired entry under key, reclaiming an expired
// one on the way.
func (s *Store) liveLocked(key string) (entry, bool) {
	e, ok := s.sessions[key]
	if !ok {
		return entry{}, false
	}
	if !s.now().Before(e.expiry) {
		s.removeLocked(key, e)
		return entry{}, false
	}
	return e, true
}

func (s *Store) removeLocked(key string, e entry) {
	delete(s.sessions, key)
	if e.userID == "" {
		return
	}
	if set := s.users[e.userID]; set != nil {
		delete(set, key)
		if len(set) == 0 {
			delete(s.users, e.userID)
		}
	}
}

func copyValues(in map[string][]byte) map[string][]byte {
	out := make(map[string][]byte, len(in))
	for k, v := range in {
		out[k] = append([]byte(nil), v...)
	}
	return out
}
