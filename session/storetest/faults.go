// This file holds the fault cases for networked stores: the connection to
// the server is cut or stalled mid-test through a faultproxy.

package storetest

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/bulwark-go/bulwark/session"
	"github.com/bulwark-go/bulwark/session/storetest/faultproxy"
)

// Faults runs a networked store through a loopback proxy that the test
// cuts (connections reset) and stalls (connections hang), checking that
// calls fail with an error within their deadline and never panic while the
// server is unreachable, and that the store recovers with no acknowledged
// commit lost once it is back.
type Faults struct {
	// Target is the real server's host:port.
	Target string

	// New returns a store, registered for cleanup with t, whose client
	// connects to addr (the proxy) instead of Target. Its connection
	// pool should be small and its dial timeout short.
	New func(t *testing.T, addr string) session.Store
}

// Run runs every fault case as a parallel subtest, each with its own proxy.
func (f Faults) Run(t *testing.T) {
	t.Helper()
	cases := []struct {
		name string
		fn   func(*testing.T, *faultproxy.Proxy, session.Store)
	}{
		{"connection cut", faultCut},
		{"server stalled", faultStall},
		{"cut under load", faultUnderLoad},
		{"manager during a cut", faultManagerCut},
		{"manager during a stall", faultManagerStall},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			p, err := faultproxy.New(f.Target)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { p.Close() })
			c.fn(t, p, f.New(t, p.Addr()))
		})
	}
}

// expectFailures calls every Store method with a context of the given
// timeout and checks each fails (and Find never reports a session) within
// bound.
func expectFailures(t *testing.T, st session.Store, key string, timeout, bound time.Duration, deadline bool) {
	t.Helper()
	for _, c := range calls(st, key) {
		ctx, cancel := context.WithTimeout(context.Background(), timeout)
		start := time.Now()
		err := within(t, bound, func() error { return c.call(ctx) })
		cancel()
		if err == nil {
			t.Errorf("%s while the server is unreachable: nil error", c.name)
		} else if deadline && !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("%s while the server hangs: %v, want context.DeadlineExceeded", c.name, err)
		}
		t.Logf("%s failed after %v: %v", c.name, time.Since(start).Round(time.Millisecond), err)
	}
}

// awaitRecovery polls Find until the store answers again.
func awaitRecovery(t *testing.T, st session.Store, key string) {
	t.Helper()
	waitUntil(t, 20*time.Second, "the store to recover", func() bool {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		_, _, err := st.Find(ctx, key)
		return err == nil
	})
}

func faultCut(t *testing.T, p *faultproxy.Proxy, st session.Store) {
	key := NewKey(t)
	MustCommit(t, st, key, rec("u", 0, "cart", "3"))
	MustFind(t, st, key) // the pool now holds live connections

	p.Cut()
	expectFailures(t, st, key, 2*time.Second, 5*time.Second, false)

	p.Restore()
	awaitRecovery(t, st, key)
	got := MustFind(t, st, key)
	if got.Version != 1 || string(got.Values["cart"]) != "3" {
		t.Fatalf("after recovery: version %d cart=%q, want 1 \"3\"", got.Version, got.Values["cart"])
	}
	wantKeys(t, st, "u", key)
	MustCommit(t, st, key, rec("u", 1, "cart", "4"))
}

func faultStall(t *testing.T, p *faultproxy.Proxy, st session.Store) {
	key := NewKey(t)
	MustCommit(t, st, key, rec("u", 0, "cart", "3"))

	p.Stall()
	expectFailures(t, st, key, 300*time.Millisecond, 3*time.Second, true)

	p.Restore()
	awaitRecovery(t, st, key)
	got := MustFind(t, st, key)
	if got.Version != 1 || string(got.Values["cart"]) != "3" {
		t.Fatalf("after recovery: version %d cart=%q, want 1 \"3\"", got.Version, got.Values["cart"])
	}
	MustCommit(t, st, key, rec("u", 1, "cart", "4"))
}

// faultUnderLoad cuts the connection while goroutines create and update
// sessions, then checks every commit that was acknowledged survived.
func faultUnderLoad(t *testing.T, p *faultproxy.Proxy, st session.Store) {
	type acked struct {
		key     string
		version uint64
	}
	var (
		mu     sync.Mutex
		ok     []acked
		failed atomic.Int64
		stop   atomic.Bool
		wg     sync.WaitGroup
	)
	progress := make(chan struct{}, 1000)
	for w := range 4 {
		wg.Go(func() {
			for i := 0; !stop.Load(); i++ {
				key := NewKey(t)
				ctx, cancel := context.WithTimeout(context.Background(), time.Second)
				r := rec("w"+strconv.Itoa(w), 0, "i", strconv.Itoa(i))
				v, err := st.Commit(ctx, key, r)
				if err == nil {
					r.Version = v
					r.Values["i"] = []byte("updated")
					if v2, err2 := st.Commit(ctx, key, r); err2 == nil {
						v = v2
					}
					mu.Lock()
					ok = append(ok, acked{key, v})
					mu.Unlock()
					select {
					case progress <- struct{}{}:
					default:
					}
				} else {
					failed.Add(1)
				}
				cancel()
			}
		})
	}
	for range 20 {
		<-progress
	}
	p.Cut()
	waitUntil(t, 10*time.Second, "commits to fail during the cut", func() bool { return failed.Load() >= 4 })
	p.Restore()
	mu.Lock()
	before := len(ok)
	mu.Unlock()
	waitUntil(t, 20*time.Second, "commits to succeed again", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(ok) >= before+20
	})
	stop.Store(true)
	wg.Wait()

	for _, a := range ok {
		got := MustFind(t, st, a.key)
		if got.Version < a.version {
			t.Errorf("session committed at version %d found at version %d", a.version, got.Version)
		}
	}
	t.Logf("%d acknowledged sessions all present; %d commits failed during the cut", len(ok), failed.Load())
}

func faultManagerCut(t *testing.T, p *faultproxy.Proxy, st session.Store) {
	managerFault(t, p, st, p.Cut)
}

func faultManagerStall(t *testing.T, p *faultproxy.Proxy, st session.Store) {
	managerFault(t, p, st, p.Stall)
}

// managerFault checks the middleware answers 503 while the store is down,
// never serves the session's user as anonymous, and finds the session
// intact afterwards.
func managerFault(t *testing.T, p *faultproxy.Proxy, st session.Store, breakIt func()) {
	m, err := session.New(session.Config{
		Store:        st,
		Secure:       session.SecureNever,
		StoreTimeout: 500 * time.Millisecond,
		Logger:       discardLogger(),
	})
	if err != nil {
		t.Fatal(err)
	}
	res, cookie := Request(t, m, nil, func(w http.ResponseWriter, r *http.Request) {
		m.PutString(r.Context(), "cart", "3")
		if err := m.BindUser(r.Context(), "alice"); err != nil {
			t.Errorf("BindUser: %v", err)
		}
	})
	if res.StatusCode != http.StatusOK || cookie == nil {
		t.Fatalf("setup request: status %d cookie %v", res.StatusCode, cookie)
	}

	breakIt()
	for _, tc := range []struct {
		name    string
		handler func(w http.ResponseWriter, r *http.Request)
	}{
		{"read", func(w http.ResponseWriter, r *http.Request) {
			if u := m.UserID(r.Context()); u != "" && u != "alice" {
				t.Errorf("UserID = %q during the fault", u)
			}
			w.Write([]byte("page"))
		}},
		{"write", func(w http.ResponseWriter, r *http.Request) {
			m.PutString(r.Context(), "cart", "lost?")
			w.Write([]byte("page"))
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			start := time.Now()
			var res *http.Response
			within(t, 5*time.Second, func() error {
				res, _ = Request(t, m, cookie, tc.handler)
				return nil
			})
			if res.StatusCode != http.StatusServiceUnavailable {
				t.Errorf("status %d while the store is down, want 503", res.StatusCode)
			}
			t.Logf("answered %d after %v", res.StatusCode, time.Since(start).Round(time.Millisecond))
		})
	}

	p.Restore()
	awaitRecovery(t, st, session.HashID(cookie.Value))
	res, _ = Request(t, m, cookie, func(w http.ResponseWriter, r *http.Request) {
		if u := m.UserID(r.Context()); u != "alice" {
			t.Errorf("after recovery UserID = %q, want alice", u)
		}
		// The write during the fault may or may not have reached the
		// store before the cut; the session itself must be there.
		if v, ok := m.GetString(r.Context(), "cart"); !ok || (v != "3" && v != "lost?") {
			t.Errorf("after recovery cart = %q, %v", v, ok)
		}
	})
	if res.StatusCode != http.StatusOK {
		t.Errorf("after recovery: status %d, want 200", res.StatusCode)
	}
}
