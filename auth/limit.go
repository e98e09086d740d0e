// This file holds login throttling: the Limiter contract, the back-off
// policy, and the in-memory limiter for a single instance.

package auth

import (
	"container/list"
	"context"
	"errors"
	"fmt"
	"sync"
	"time"
)

// Limiter throttles login attempts per key (the Authenticator uses one key
// per username and one per client address). A key that failed more than
// Backoff.Free times must wait an exponentially growing delay before its
// next attempt.
//
// Errors are for system faults only; the Authenticator fails closed on them
// (the attempt is refused with 429). Implementations must be safe for
// concurrent use. NewMemoryLimiter is for one instance; auth/redislimit
// shares the counts between instances.
type Limiter interface {
	// Wait returns how long key must wait before its next attempt; zero
	// means it may try now.
	Wait(ctx context.Context, key string) (time.Duration, error)
	// Fail records a failed attempt for key and returns the wait it now
	// faces before the next one.
	Fail(ctx context.Context, key string) (time.Duration, error)
	// Reset forgets the failures of key (after a successful login).
	Reset(ctx context.Context, key string) error
}

// Backoff is the throttling policy: Free failures cost nothing; failure
// number Free+n (n >= 1) makes the key wait Base×2^(n-1), at most Max. A
// key's failures are forgotten once Forget has passed since its last one.
// Zero fields take the defaults noted on each.
type Backoff struct {
	// Free is the number of failures before any delay. Zero: 5.
	Free int
	// Base is the first delay. Zero: 1 s.
	Base time.Duration
	// Max caps the delay. Zero: 15 min.
	Max time.Duration
	// Forget is how long after its last failure a key starts afresh. Zero:
	// 1 h. Must be at least Max.
	Forget time.Duration
}

// WithDefaults returns b with zero fields set to their defaults, or an
// error naming the bad field.
func (b Backoff) WithDefaults() (Backoff, error) {
	if b.Free == 0 {
		b.Free = 5
	}
	if b.Base == 0 {
		b.Base = time.Second
	}
	if b.Max == 0 {
		b.Max = 15 * time.Minute
	}
	if b.Forget == 0 {
		b.Forget = max(time.Hour, b.Max)
	}
	switch {
	case b.Free < 0:
		return b, fmt.Errorf("auth: Backoff.Free %d: must not be negative", b.Free)
	case b.Base < 0:
		return b, fmt.Errorf("auth: Backoff.Base %v: must be positive", b.Base)
	case b.Max < b.Base:
		return b, fmt.Errorf("auth: Backoff.Max %v: must be at least Base (%v)", b.Max, b.Base)
	case b.Forget < b.Max:
		return b, fmt.Errorf("auth: Backoff.Forget %v: must be at least Max (%v)", b.Forget, b.Max)
	}
	return b, nil
}

// Delay returns the wait after the given number of consecutive failures.
func (b Backoff) Delay(failures int) time.Duration {
	n := failures - b.Free
	if n <= 0 {
		return 0
	}
	d := b.Base
	for i := 1; i < n && d < b.Max; i++ {
		d *= 2
	}
	return min(d, b.Max)
}

// MemoryLimiterConfig configures NewMemoryLimiter.
type MemoryLimiterConfig struct {
	// Backoff is the policy; zero fields take their defaults.
	Backoff Backoff
	// MaxKeys bounds memory: beyond it the key whose last failure is oldest
	// is forgotten. Zero: 100 000 (a few MB).
	MaxKeys int
	// CleanupInterval is how often forgotten keys are swept. Zero: 1 min.
	CleanupInterval time.Duration
	// Now is the clock. Zero: time.Now. Tests inject a fake.
	Now func() time.Time
}

// MemoryLimiter is an in-memory Limiter for a single instance. Its counts
// are lost on restart and are not shared between instances. It is safe for
// concurrent use; Close stops its cleanup goroutine.
type MemoryLimiter struct {
	b       Backoff
	maxKeys int
	now     func() time.Time

	mu    sync.Mutex
	keys  map[string]*list.Element // of *entry
	order *list.List               // front: most recent failure

	stop      chan struct{}
	done      chan struct{}
	closeOnce sync.Once
}

type entry struct {
	key      string
	failures int
	last     time.Time // last failure
	until    time.Time // no attempt before this instant
}

// NewMemoryLimiter validates cfg and starts the cleanup goroutine.
func NewMemoryLimiter(cfg MemoryLimiterConfig) (*MemoryLimiter, error) {
	b, err := cfg.Backoff.WithDefaults()
	if err != nil {
		return nil, err
	}
	if cfg.MaxKeys < 0 {
		return nil, fmt.Errorf("auth: MemoryLimiterConfig.MaxKeys %d: must not be negative", cfg.MaxKeys)
	}
	if cfg.MaxKeys == 0 {
		cfg.MaxKeys = 100_000
	}
	if cfg.CleanupInterval < 0 {
		return nil, fmt.Errorf("auth: MemoryLimiterConfig.CleanupInterval %v: must be positive", cfg.CleanupInterval)
	}
	if cfg.CleanupInterval == 0 {
		cfg.CleanupInterval = time.Minute
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	l := &MemoryLimiter{
		b: b, maxKeys: cfg.MaxKeys, now: cfg.Now,
		keys: make(map[string]*list.Element), order: list.New(),
		stop: make(chan struct{}), done: make(chan struct{}),
	}
	go l.cleanup(cfg.CleanupInterval)
	return l, nil
}

// ErrClosed is returned by a closed limiter.
var ErrClosed = errors.New("auth: limiter is closed")

func (l *MemoryLimiter) closed() bool {
	select {
	case <-l.stop:
		return true
	default:
		return false
	}
}

// Wait implements Limiter.
func (l *MemoryLimiter) Wait(_ context.Context, key string) (time.Duration, error) {
	if l.closed() {
		return 0, ErrClosed
	}
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	el, ok := l.keys[key]
	if !ok {
		return 0, nil
	}
	return max(el.Value.(*entry).until.Sub(now), 0), nil
}

// Fail implements Limiter.
func (l *MemoryLimiter) Fail(_ context.Context, key string) (time.Duration, error) {
	if l.closed() {
		return 0, ErrClosed
	}
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	var e *entry
	if el, ok := l.keys[key]; ok {
		e = el.Value.(*entry)
		if now.Sub(e.last) > l.b.Forget {
			e.failures = 0
		}
		l.order.MoveToFront(el)
	} else {
		e = &entry{key: key}
		l.keys[key] = l.order.PushFront(e)
		for l.order.Len() > l.maxKeys {
			l.remove(l.order.Back())
		}
	}
	e.failures++
	e.last = now
	e.until = now.Add(l.b.Delay(e.failures))
	return l.b.Delay(e.failures), nil
}

// Reset implements Limiter.
func (l *MemoryLimiter) Reset(_ context.Context, key string) error {
	if l.closed() {
		return ErrClosed
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if el, ok := l.keys[key]; ok {
		l.remove(el)
	}
	return nil
}

// Len returns the number of keys currently remembered.
func (l *MemoryLimiter) Len() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.order.Len()
}

func (l *MemoryLimiter) remove(el *list.Element) {
	l.order.Remove(el)
	delete(l.keys, el.Value.(*entry).key)
}

// sweep forgets keys whose last failure is older than Forget. The list is
// ordered by last failure, so it stops at the first key still remembered.
func (l *MemoryLimiter) sweep() {
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	for el := l.order.Back(); el != nil; el = l.order.Back() {
		if now.Sub(el.Value.(*entry).last) <= l.b.Forget {
			return
		}
		l.remove(el)
	}
}

func (l *MemoryLimiter) cleanup(every time.Duration) {
	defer close(l.done)
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-l.stop:
			return
		case <-t.C:
			l.sweep()
		}
	}
}

// Close stops the cleanup goroutine and waits for it to exit. Later calls
// to the limiter return ErrClosed. Close is idempotent.
func (l *MemoryLimiter) Close() error {
	l.closeOnce.Do(func() { close(l.stop) })
	<-l.done
	return nil
}
