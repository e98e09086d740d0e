package redisstore_test

import (
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/bulwark-go/bulwark/session"
	"github.com/bulwark-go/bulwark/session/redisstore"
	"github.com/bulwark-go/bulwark/session/storetest"
)

func newFailoverClient(t *testing.T, addrs []string, master string) *redis.Client {
	t.Helper()
	rdb := redis.NewFailoverClient(&redis.FailoverOptions{
		MasterName:            master,
		SentinelAddrs:         addrs,
		ContextTimeoutEnabled: true,
		DialTimeout:           500 * time.Millisecond,
		ReadTimeout:           2 * time.Second,
		WriteTimeout:          time.Second,
	})
	t.Cleanup(func() { rdb.Close() })
	return rdb
}

// TestSentinelConformance runs the store contract through a failover
// client (scripts/redis-sentinel), without and with WaitReplicas.
func TestSentinelConformance(t *testing.T) {
	addrs, master := storetest.RedisSentinel(t)
	sentinelHealthy(t, addrs[0], master)
	connect := func(t *testing.T) redis.UniversalClient { return newFailoverClient(t, addrs, master) }
	for _, wait := range []int{0, 1} {
		t.Run(fmt.Sprintf("WaitReplicas=%d", wait), func(t *testing.T) { conformanceWait(t, connect, wait) })
	}
}

// TestSentinelFailover: a Manager over the Store over one failover client
// serves many sessions, each client incrementing its counter, while the
// sentinel fails the master over. Every answer is 200 or 503, the same
// client serves again from the new master, and an acknowledged write
// that a later request does not see was lost. With WaitReplicas: 1 none
// may be lost; without, the loss is logged, not asserted (it depends on
// timing).
func TestSentinelFailover(t *testing.T) {
	addrs, master := storetest.RedisSentinel(t)
	for _, wait := range []int{0, 1} {
		t.Run(fmt.Sprintf("WaitReplicas=%d", wait), func(t *testing.T) {
			failover(t, addrs, master, wait)
		})
	}
}

// writers is how many clients, each with its own session, write at once:
// enough that some write lands in the moment the master changes.
const writers = 16

// writer is one client's tally. Only its goroutine writes it until the
// test reads it after wg.Wait.
type writer struct {
	http        *http.Client
	acked, lost int          // 200s; acknowledged writes a later read did not see
	last        int64        // counter value of the last 200
	statuses    map[int]int  // status code → count
	errs        []error      // transport errors
	okSince     atomic.Int64 // start (Unix ns) of the latest request answered 200
}

func failover(t *testing.T, addrs []string, master string, wait int) {
	old := sentinelHealthy(t, addrs[0], master)
	rdb := newFailoverClient(t, addrs, master)
	st := newStoreWith(t, redisstore.Config{Client: rdb, Prefix: uniquePrefix(t, rdb), WaitReplicas: wait, WaitTimeout: 500 * time.Millisecond})
	m, err := session.New(session.Config{Store: st, StoreTimeout: 2 * time.Second, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n, _ := m.GetInt64(r.Context(), "n")
		if r.URL.Path == "/inc" {
			m.PutInt64(r.Context(), "n", n+1)
			n++
		}
		fmt.Fprint(w, n)
	})))
	defer srv.Close()

	ws := make([]*writer, writers)
	for i := range ws {
		jar, _ := cookiejar.New(nil)
		ws[i] = &writer{http: &http.Client{Jar: jar, Timeout: 5 * time.Second}, statuses: map[int]int{}}
	}
	var acked atomic.Int64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for _, w := range ws {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				if w.get(srv.URL+"/inc") == http.StatusOK {
					acked.Add(1)
				}
			}
		})
	}
	halt := sync.OnceFunc(func() { close(stop); wg.Wait() })
	defer halt()

	poll(t, 10*time.Second, "traffic before the failover", func() bool { return acked.Load() >= 20*writers })
	sc := redis.NewSentinelClient(&redis.Options{Addr: addrs[0]})
	defer sc.Close()
	poll(t, 30*time.Second, "SENTINEL FAILOVER accepted", func() bool {
		// INPROG or NOGOODSLAVE while the last failover settles: retry.
		return sc.Failover(t.Context(), master).Err() == nil
	})
	poll(t, 30*time.Second, "the sentinel names a new master", func() bool {
		a, err := sc.GetMasterAddrByName(t.Context(), master).Result()
		return err == nil && strings.Join(a, ":") != old
	})
	// Once the old master is a replica, no write can land there: a 200
	// after that comes from the new master, through the same client.
	oldNode := redis.NewClient(&redis.Options{Addr: old})
	defer oldNode.Close()
	var demoted time.Time
	poll(t, 60*time.Second, "the old master "+old+" turned replica", func() bool {
		demoted = time.Now()
		info, err := oldNode.Info(t.Context(), "replication").Result()
		return err == nil && strings.Contains(info, "role:slave")
	})
	poll(t, 60*time.Second, "every client answered 200 from the new master", func() bool {
		for _, w := range ws {
			if w.okSince.Load() < demoted.UnixNano() {
				return false
			}
		}
		return true
	})
	halt()

	var total, lost, unavailable int
	for i, w := range ws {
		// Read the session back: the last acknowledged value must be there.
		if code := w.get(srv.URL + "/read"); code != http.StatusOK {
			t.Errorf("client %d: reading back after the failover: status %d", i, code)
		}
		for code, n := range w.statuses {
			if code != http.StatusOK && code != http.StatusServiceUnavailable {
				t.Errorf("client %d: %d answers with status %d, want only 200 or 503", i, n, code)
			}
		}
		if len(w.errs) > 0 {
			t.Errorf("client %d: %d requests failed without an answer, first: %v", i, len(w.errs), w.errs[0])
		}
		total += w.acked
		lost += w.lost
		unavailable += w.statuses[http.StatusServiceUnavailable]
	}
	t.Logf("sentinel failover: acked writes %d, lost %d, 503s %d (WaitReplicas=%d)", total, lost, unavailable, wait)
	if wait > 0 && lost > 0 {
		t.Errorf("%d acknowledged writes lost with WaitReplicas=%d", lost, wait)
	}
	sentinelHealthy(t, addrs[0], master) // leave it ready for the next test
}

// get requests url, tallies the answer, and on a 200 checks the counter
// against the last acknowledged one. It returns the status (0 for none).
func (w *writer) get(url string) int {
	start := time.Now()
	resp, err := w.http.Get(url)
	if err != nil {
		w.errs = append(w.errs, err)
		return 0
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		w.errs = append(w.errs, err)
		return 0
	}
	w.statuses[resp.StatusCode]++
	if resp.StatusCode != http.StatusOK {
		return resp.StatusCode
	}
	n, err := strconv.ParseInt(string(body), 10, 64)
	if err != nil {
		w.errs = append(w.errs, fmt.Errorf("body %q: %w", body, err))
		return 0
	}
	seen := n // what the request read
	if strings.HasSuffix(url, "/inc") {
		seen--
		w.acked++
	}
	// A 503 may have written or not, so the counter may jump ahead, but
	// it never goes back unless acknowledged writes were lost.
	if seen < w.last {
		w.lost += int(w.last - seen)
	}
	w.last = n
	w.okSince.Store(start.UnixNano())
	return resp.StatusCode
}

// sentinelHealthy waits until the sentinel at addr names a master that
// has one replica online and the sentinel knows that replica, as after
// scripts/redis-sentinel, and returns the master's address.
func sentinelHealthy(t *testing.T, addr, master string) string {
	t.Helper()
	sc := redis.NewSentinelClient(&redis.Options{Addr: addr})
	defer sc.Close()
	var at string
	poll(t, 60*time.Second, "sentinel topology healthy (master with one replica online)", func() bool {
		ctx := t.Context()
		a, err := sc.GetMasterAddrByName(ctx, master).Result()
		if err != nil || len(a) != 2 {
			return false
		}
		at = a[0] + ":" + a[1]
		node := redis.NewClient(&redis.Options{Addr: at})
		defer node.Close()
		info, err := node.Info(ctx, "replication").Result()
		if err != nil || !strings.Contains(info, "role:master") || !strings.Contains(info, "connected_slaves:1") || !strings.Contains(info, "state=online") {
			return false
		}
		reps, err := sc.Replicas(ctx, master).Result()
		return err == nil && len(reps) == 1 && reps[0]["flags"] == "slave"
	})
	return at
}

// poll calls ok until it reports true, failing the test after timeout.
func poll(t *testing.T, timeout time.Duration, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !ok() {
		// Polling a condition with a deadline, not a sleep for
		// synchronisation: each round checks the state again.
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for: %s", timeout, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
