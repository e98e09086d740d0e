package redislimit_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/bulwark-go/bulwark/auth"
	"github.com/bulwark-go/bulwark/auth/redislimit"
	"github.com/bulwark-go/bulwark/session/storetest"
	"github.com/redis/go-redis/v9"
)

// client connects to BULWARK_REDIS_ADDR, skipping the test when it is unset
// outside CI, failing it when Redis is unreachable in CI.
func client(t *testing.T) *redis.Client {
	t.Helper()
	addr := os.Getenv("BULWARK_REDIS_ADDR")
	if addr == "" {
		if os.Getenv("CI") != "true" {
			t.Skip("BULWARK_REDIS_ADDR is not set; run ./scripts/test or set it to a Redis address")
		}
		addr = "127.0.0.1:6379"
	}
	c := redis.NewClient(&redis.Options{Addr: addr})
	t.Cleanup(func() { c.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	if err := c.Ping(ctx).Err(); err != nil {
		t.Fatalf("redis at %s: %v", addr, err)
	}
	return c
}

// backends runs f on a single Redis and on a Redis Cluster
// (BULWARK_REDIS_CLUSTER, started by scripts/redis-cluster).
func backends(t *testing.T, f func(t *testing.T, c redis.UniversalClient)) {
	t.Run("redis", func(t *testing.T) { f(t, client(t)) })
	t.Run("cluster", func(t *testing.T) {
		c := redis.NewClusterClient(&redis.ClusterOptions{Addrs: storetest.RedisClusterAddrs(t)})
		t.Cleanup(func() { c.Close() })
		f(t, c)
	})
}

func prefix(t *testing.T) string {
	t.Helper()
	b := make([]byte, 8)
	rand.Read(b)
	return "bulwark-test:" + hex.EncodeToString(b) + ":"
}

func TestLimiter(t *testing.T) { backends(t, testLimiter) }

func testLimiter(t *testing.T, c redis.UniversalClient) {
	ctx := context.Background()
	p := prefix(t)
	l, err := redislimit.New(redislimit.Config{Client: c, Prefix: p,
		Backoff: auth.Backoff{Free: 2, Base: time.Minute, Max: 3 * time.Minute, Forget: time.Hour}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Del(context.Background(), p+"k") })

	want := []time.Duration{0, 0, time.Minute, 2 * time.Minute, 3 * time.Minute, 3 * time.Minute}
	for i, w := range want {
		got, err := l.Fail(ctx, "k")
		if err != nil || got != w {
			t.Fatalf("failure %d: %v, %v; want %v", i+1, got, err, w)
		}
	}
	wait, err := l.Wait(ctx, "k")
	if err != nil || wait <= 2*time.Minute || wait > 3*time.Minute {
		t.Fatalf("Wait = %v, %v; want just under 3m", wait, err)
	}
	if ttl := c.PTTL(ctx, p+"k").Val(); ttl <= 59*time.Minute || ttl > time.Hour {
		t.Fatalf("key TTL %v, want about Forget (1h)", ttl)
	}
	if w, _ := l.Wait(ctx, "other"); w != 0 {
		t.Fatalf("untouched key waits %v", w)
	}
	if err := l.Reset(ctx, "k"); err != nil {
		t.Fatal(err)
	}
	if w, _ := l.Wait(ctx, "k"); w != 0 {
		t.Fatalf("after Reset: wait %v", w)
	}
}

func TestLimiterConcurrentInstances(t *testing.T) { backends(t, testConcurrentInstances) }

func testConcurrentInstances(t *testing.T, c redis.UniversalClient) {
	ctx := context.Background()
	p := prefix(t)
	t.Cleanup(func() { c.Del(context.Background(), p+"k") })
	var wg sync.WaitGroup
	for range 4 { // four "instances" sharing one Redis
		l, err := redislimit.New(redislimit.Config{Client: c, Prefix: p, Backoff: auth.Backoff{Free: 1000}})
		if err != nil {
			t.Fatal(err)
		}
		wg.Go(func() {
			for range 25 {
				if _, err := l.Fail(ctx, "k"); err != nil {
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
	if n := c.HGet(ctx, p+"k", "n").Val(); n != "100" {
		t.Fatalf("count %s, want 100", n)
	}
}

func TestNewValidates(t *testing.T) {
	if _, err := redislimit.New(redislimit.Config{}); err == nil {
		t.Fatal("nil client accepted")
	}
	c := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1"})
	defer c.Close()
	if _, err := redislimit.New(redislimit.Config{Client: c, Backoff: auth.Backoff{Max: time.Hour, Forget: time.Minute}}); err == nil {
		t.Fatal("Forget < Max accepted")
	}
}

func TestUnreachableIsError(t *testing.T) {
	c := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1", MaxRetries: -1, DialTimeout: time.Second})
	defer c.Close()
	l, err := redislimit.New(redislimit.Config{Client: c})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := l.Wait(context.Background(), "k"); err == nil {
		t.Fatal("no error from an unreachable Redis")
	}
}
