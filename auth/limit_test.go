package auth

import (
	"context"
	"errors"
	"fmt"
	"net/http/httptest"
	"sync"
	"testing"
	"time"
)

// fakeClock is a manually advanced clock, safe for concurrent use.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newFakeClock() *fakeClock { return &fakeClock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func TestBackoffDelay(t *testing.T) {
	b, err := Backoff{Free: 3, Base: time.Second, Max: 10 * time.Second}.WithDefaults()
	if err != nil {
		t.Fatal(err)
	}
	want := []time.Duration{0, 0, 0, 0, 1 * time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second, 10 * time.Second, 10 * time.Second}
	for n, w := range want {
		if got := b.Delay(n); got != w {
			t.Errorf("Delay(%d) = %v, want %v", n, got, w)
		}
	}
	if got := b.Delay(1 << 30); got != 10*time.Second {
		t.Errorf("Delay(huge) = %v, want the cap", got)
	}
}

func TestBackoffValidation(t *testing.T) {
	for _, b := range []Backoff{{Free: -1}, {Base: -time.Second}, {Base: time.Minute, Max: time.Second}, {Max: time.Hour, Forget: time.Minute}} {
		if _, err := b.WithDefaults(); err == nil {
			t.Errorf("%+v: no error", b)
		}
	}
}

func TestMemoryLimiter(t *testing.T) {
	ctx := context.Background()
	clock := newFakeClock()
	l, err := NewMemoryLimiter(MemoryLimiterConfig{Backoff: Backoff{Free: 2, Base: time.Second, Max: time.Minute, Forget: time.Hour}, Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()

	fail := func(want time.Duration) {
		t.Helper()
		if got, err := l.Fail(ctx, "k"); err != nil || got != want {
			t.Fatalf("Fail = %v, %v; want %v", got, err, want)
		}
	}
	wait := func(want time.Duration) {
		t.Helper()
		if got, err := l.Wait(ctx, "k"); err != nil || got != want {
			t.Fatalf("Wait = %v, %v; want %v", got, err, want)
		}
	}
	wait(0)
	fail(0)
	fail(0)
	wait(0)
	fail(time.Second)
	wait(time.Second)
	clock.Advance(400 * time.Millisecond)
	wait(600 * time.Millisecond)
	clock.Advance(600 * time.Millisecond)
	wait(0)
	fail(2 * time.Second)
	fail(4 * time.Second)
	if got, _ := l.Wait(ctx, "other"); got != 0 {
		t.Fatalf("another key waits %v", got)
	}

	t.Run("reset", func(t *testing.T) {
		if err := l.Reset(ctx, "k"); err != nil {
			t.Fatal(err)
		}
		wait(0)
		fail(0)
	})
	t.Run("forget after quiet period", func(t *testing.T) {
		fail(0)
		fail(time.Second)
		clock.Advance(time.Hour + time.Second)
		fail(0) // counted afresh
	})
	t.Run("sweep", func(t *testing.T) {
		if l.Len() == 0 {
			t.Fatal("no keys before sweep")
		}
		clock.Advance(2 * time.Hour)
		l.sweep()
		if l.Len() != 0 {
			t.Fatalf("%d keys after sweep", l.Len())
		}
	})
}

func TestMemoryLimiterBounded(t *testing.T) {
	ctx := context.Background()
	clock := newFakeClock()
	l, err := NewMemoryLimiter(MemoryLimiterConfig{MaxKeys: 10, Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	for i := range 100 {
		clock.Advance(time.Millisecond)
		if _, err := l.Fail(ctx, fmt.Sprint(i)); err != nil {
			t.Fatal(err)
		}
	}
	if l.Len() != 10 {
		t.Fatalf("Len = %d, want 10", l.Len())
	}
	if _, ok := l.keys["99"]; !ok {
		t.Fatal("the most recent key was evicted")
	}
	if _, ok := l.keys["0"]; ok {
		t.Fatal("the oldest key was kept")
	}
}

func TestMemoryLimiterConcurrent(t *testing.T) {
	l, err := NewMemoryLimiter(MemoryLimiterConfig{Backoff: Backoff{Free: 1000}})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 100 {
				l.Fail(context.Background(), "k")
				l.Wait(context.Background(), "k")
			}
		})
	}
	wg.Wait()
	if got := l.keys["k"].Value.(*entry).failures; got != 800 {
		t.Fatalf("failures = %d, want 800", got)
	}
}

func TestMemoryLimiterClose(t *testing.T) {
	l, err := NewMemoryLimiter(MemoryLimiterConfig{CleanupInterval: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-l.done:
	default:
		t.Fatal("cleanup goroutine still running after Close")
	}
	if err := l.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if _, err := l.Fail(context.Background(), "k"); !errors.Is(err, ErrClosed) {
		t.Fatalf("Fail after Close: err = %v, want ErrClosed", err)
	}
}

func TestClientAddr(t *testing.T) {
	proxies, err := parseTrustedProxies([]string{"10.0.0.0/8", "::1"})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, remote string
		xff          []string
		proxies      bool
		want         string
	}{
		{"remote addr", "203.0.113.7:5555", nil, false, "addr:203.0.113.7"},
		{"xff ignored without proxies", "203.0.113.7:5555", []string{"198.51.100.1"}, false, "addr:203.0.113.7"},
		{"xff ignored from untrusted peer", "203.0.113.7:5555", []string{"198.51.100.1"}, true, "addr:203.0.113.7"},
		{"xff from trusted proxy", "10.1.2.3:80", []string{"198.51.100.1"}, true, "addr:198.51.100.1"},
		{"spoofed left entry ignored", "10.1.2.3:80", []string{"6.6.6.6, 198.51.100.1, 10.0.0.9"}, true, "addr:198.51.100.1"},
		{"several headers", "10.1.2.3:80", []string{"6.6.6.6", "198.51.100.1"}, true, "addr:198.51.100.1"},
		{"garbage beyond trusted hop", "10.1.2.3:80", []string{"garbage"}, true, "addr:10.1.2.3"},
		{"ipv6 keyed by /64", "[2001:db8:1:2:aaaa::1]:443", nil, false, "addr:2001:db8:1:2::/64"},
		{"ipv4-mapped", "[::ffff:203.0.113.7]:1", nil, false, "addr:203.0.113.7"},
		{"trusted ipv6 loopback proxy", "[::1]:80", []string{"203.0.113.9"}, true, "addr:203.0.113.9"},
		{"unparsable remote", "pipe", nil, false, "addr:unknown"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest("POST", "/login", nil)
			r.RemoteAddr = tt.remote
			for _, v := range tt.xff {
				r.Header.Add("X-Forwarded-For", v)
			}
			var p = proxies
			if !tt.proxies {
				p = nil
			}
			if got := addrKey(clientAddr(r, p)); got != tt.want {
				t.Fatalf("key = %q, want %q", got, tt.want)
			}
		})
	}
	if _, err := parseTrustedProxies([]string{"example.com"}); err == nil {
		t.Fatal("host name accepted as trusted proxy")
	}
}
