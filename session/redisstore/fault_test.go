package redisstore_test

import (
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/bulwark-go/bulwark/session"
	"github.com/bulwark-go/bulwark/session/storetest"
)

// TestFaults cuts and stalls the connection to Redis mid-test.
func TestFaults(t *testing.T) {
	addr := storetest.RedisAddr(t)
	storetest.Faults{
		Target: addr,
		New: func(t *testing.T, proxy string) session.Store {
			rdb := redis.NewClient(&redis.Options{
				Addr:                  proxy,
				ContextTimeoutEnabled: true,
				DialTimeout:           time.Second,
				PoolSize:              4,
				MaxRetries:            -1, // show each failure instead of retrying it away
			})
			t.Cleanup(func() { rdb.Close() })
			// Keys are cleaned up through a direct client.
			direct := newClient(t, addr)
			return newStore(t, rdb, uniquePrefix(t, direct))
		},
	}.Run(t)
}
