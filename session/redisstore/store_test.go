package redisstore_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/bulwark-go/bulwark/session"
	"github.com/bulwark-go/bulwark/session/redisstore"
	"github.com/bulwark-go/bulwark/session/storetest"
)

// uniquePrefix returns a key prefix no other test uses, and deletes its
// keys when the test ends.
func uniquePrefix(t *testing.T, rdb *redis.Client) string {
	t.Helper()
	var b [8]byte
	rand.Read(b[:])
	prefix := "bulwark-test:" + hex.EncodeToString(b[:]) + ":"
	t.Cleanup(func() {
		ctx := context.Background()
		iter := rdb.Scan(ctx, 0, prefix+"*", 1000).Iterator()
		for iter.Next(ctx) {
			rdb.Del(ctx, iter.Val())
		}
	})
	return prefix
}

func newClient(t *testing.T, addr string) *redis.Client {
	t.Helper()
	rdb := redis.NewClient(&redis.Options{Addr: addr, ContextTimeoutEnabled: true})
	t.Cleanup(func() { rdb.Close() })
	return rdb
}

func newStore(t *testing.T, rdb redis.UniversalClient, prefix string) *redisstore.Store {
	t.Helper()
	st, err := redisstore.New(redisstore.Config{Client: rdb, Prefix: prefix})
	if err != nil {
		t.Fatal(err)
	}
	return st
}

func TestConformance(t *testing.T) {
	addr := storetest.RedisAddr(t)
	storetest.Suite{
		New: func(t *testing.T) session.Store {
			rdb := newClient(t, addr)
			return newStore(t, rdb, uniquePrefix(t, rdb))
		},
		// Two clients with their own connection pools, as two app
		// instances would have.
		Shared: func(t *testing.T) (session.Store, session.Store) {
			a, b := newClient(t, addr), newClient(t, addr)
			prefix := uniquePrefix(t, a)
			return newStore(t, a, prefix), newStore(t, b, prefix)
		},
	}.Run(t)
}

func TestConfigErrors(t *testing.T) {
	plain := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1"})
	defer plain.Close()
	for _, tc := range []struct {
		name string
		cfg  redisstore.Config
		want string
	}{
		{"no client", redisstore.Config{}, "Client is nil"},
		{"client ignores deadlines", redisstore.Config{Client: plain}, "ContextTimeoutEnabled"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := redisstore.New(tc.cfg)
			if err == nil || !strings.HasPrefix(err.Error(), "redisstore: ") || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("New: %v, want an error mentioning %q", err, tc.want)
			}
		})
	}
}

func TestLayout(t *testing.T) {
	addr := storetest.RedisAddr(t)
	rdb := newClient(t, addr)
	prefix := uniquePrefix(t, rdb)
	st := newStore(t, rdb, prefix)
	ctx := context.Background()
	key := storetest.NewKey(t)
	expiry := time.Now().Add(time.Hour)
	storetest.MustCommit(t, st, key, session.Record{UserID: "alice", Expiry: expiry})

	t.Run("session key has the expiry as TTL", func(t *testing.T) {
		ms, err := rdb.PExpireTime(ctx, prefix+"s:"+key).Result()
		if err != nil {
			t.Fatal(err)
		}
		if d := ms - time.Duration(expiry.UnixMilli())*time.Millisecond; d < -time.Millisecond || d > time.Millisecond {
			t.Errorf("PEXPIRETIME off by %v", d)
		}
	})
	t.Run("user index expires too", func(t *testing.T) {
		ttl, err := rdb.PTTL(ctx, prefix+"u:alice").Result()
		if err != nil || ttl <= 0 {
			t.Errorf("index PTTL = %v, %v; want positive", ttl, err)
		}
	})
	t.Run("corrupt data is no session", func(t *testing.T) {
		if err := rdb.HSet(ctx, prefix+"s:"+key, "d", "\x02garbage").Err(); err != nil {
			t.Fatal(err)
		}
		storetest.MustMiss(t, st, key)
	})
	t.Run("stale index members are pruned", func(t *testing.T) {
		ghost := storetest.NewKey(t)
		if err := rdb.SAdd(ctx, prefix+"u:alice", ghost).Err(); err != nil {
			t.Fatal(err)
		}
		keys, err := st.UserSessions(ctx, "alice")
		if err != nil {
			t.Fatal(err)
		}
		for _, k := range keys {
			if k == ghost {
				t.Error("UserSessions listed a session that does not exist")
			}
		}
		if ok, _ := rdb.SIsMember(ctx, prefix+"u:alice", ghost).Result(); ok {
			t.Error("the missing session is still in the index")
		}
	})
}

func TestScriptFlushed(t *testing.T) {
	// After SCRIPT FLUSH (a restart or failover), EVALSHA falls back to EVAL.
	addr := storetest.RedisAddr(t)
	rdb := newClient(t, addr)
	st := newStore(t, rdb, uniquePrefix(t, rdb))
	key := storetest.NewKey(t)
	storetest.MustCommit(t, st, key, session.Record{Expiry: time.Now().Add(time.Hour)})
	if err := rdb.ScriptFlush(context.Background()).Err(); err != nil {
		t.Fatal(err)
	}
	storetest.MustCommit(t, st, key, session.Record{Version: 1, Expiry: time.Now().Add(time.Hour)})
}
