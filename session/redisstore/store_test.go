package redisstore_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/bulwark-go/bulwark/session"
	"github.com/bulwark-go/bulwark/session/redisstore"
	"github.com/bulwark-go/bulwark/session/storetest"
)

// uniquePrefix returns a key prefix no other test uses, and deletes its
// keys when the test ends (on every master of a cluster).
func uniquePrefix(t *testing.T, rdb redis.UniversalClient) string {
	t.Helper()
	var b [8]byte
	rand.Read(b[:])
	prefix := "bulwark-test:" + hex.EncodeToString(b[:]) + ":"
	t.Cleanup(func() {
		ctx := context.Background()
		if c, ok := rdb.(*redis.ClusterClient); ok {
			c.ForEachMaster(ctx, func(ctx context.Context, n *redis.Client) error {
				deleteKeys(ctx, n, prefix)
				return nil
			})
			return
		}
		deleteKeys(ctx, rdb, prefix)
	})
	return prefix
}

func deleteKeys(ctx context.Context, rdb redis.UniversalClient, prefix string) {
	iter := rdb.Scan(ctx, 0, prefix+"*", 1000).Iterator()
	for iter.Next(ctx) {
		rdb.Del(ctx, iter.Val())
	}
}

func newClient(t *testing.T, addr string) *redis.Client {
	t.Helper()
	rdb := redis.NewClient(&redis.Options{Addr: addr, ContextTimeoutEnabled: true})
	t.Cleanup(func() { rdb.Close() })
	return rdb
}

func newStore(t *testing.T, rdb redis.UniversalClient, prefix string) *redisstore.Store {
	t.Helper()
	return newStoreWith(t, redisstore.Config{Client: rdb, Prefix: prefix})
}

func newStoreWith(t *testing.T, cfg redisstore.Config) *redisstore.Store {
	t.Helper()
	st, err := redisstore.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

func TestConformance(t *testing.T) {
	addr := storetest.RedisAddr(t)
	conformance(t, func(t *testing.T) redis.UniversalClient { return newClient(t, addr) })
}

// conformance runs the store contract with clients from connect.
func conformance(t *testing.T, connect func(t *testing.T) redis.UniversalClient) {
	conformanceWait(t, connect, 0)
}

// conformanceWait is conformance with Config.WaitReplicas set to wait.
func conformanceWait(t *testing.T, connect func(t *testing.T) redis.UniversalClient, wait int) {
	store := func(t *testing.T, rdb redis.UniversalClient, prefix string) session.Store {
		return newStoreWith(t, redisstore.Config{Client: rdb, Prefix: prefix, WaitReplicas: wait})
	}
	storetest.Suite{
		New: func(t *testing.T) session.Store {
			rdb := connect(t)
			return store(t, rdb, uniquePrefix(t, rdb))
		},
		// Two clients with their own connection pools, as two app
		// instances would have.
		Shared: func(t *testing.T) (session.Store, session.Store) {
			a, b := connect(t), connect(t)
			prefix := uniquePrefix(t, a)
			return store(t, a, prefix), store(t, b, prefix)
		},
	}.Run(t)
}

func TestConfigErrors(t *testing.T) {
	plain := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1"})
	defer plain.Close()
	timed := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1", ContextTimeoutEnabled: true})
	defer timed.Close()
	ring := redis.NewRing(&redis.RingOptions{Addrs: map[string]string{"a": "127.0.0.1:1"}, ContextTimeoutEnabled: true})
	defer ring.Close()
	for _, tc := range []struct {
		name string
		cfg  redisstore.Config
		want string
	}{
		{"no client", redisstore.Config{}, "Client is nil"},
		{"client ignores deadlines", redisstore.Config{Client: plain}, "ContextTimeoutEnabled"},
		{"negative WaitReplicas", redisstore.Config{Client: timed, WaitReplicas: -1}, "must not be negative"},
		{"WaitTimeout not below ReadTimeout", redisstore.Config{Client: timed, WaitReplicas: 1, WaitTimeout: 5 * time.Second}, "below the client's ReadTimeout 5s"},
		{"WaitReplicas on a Ring", redisstore.Config{Client: ring, WaitReplicas: 1}, "not supported on a *redis.Ring"},
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
		old := storetest.NewKey(t)   // gone, listed two minutes ago
		fresh := storetest.NewKey(t) // gone, listed just now: maybe a commit in flight
		stamp := func(ago time.Duration) string {
			return strconv.FormatInt(time.Now().Add(-ago).UnixMilli(), 10) + "-0"
		}
		if err := rdb.HSet(ctx, prefix+"u:alice", old, stamp(2*time.Minute), fresh, stamp(0)).Err(); err != nil {
			t.Fatal(err)
		}
		keys, err := st.UserSessions(ctx, "alice")
		if err != nil {
			t.Fatal(err)
		}
		if slices.Contains(keys, old) || slices.Contains(keys, fresh) {
			t.Errorf("UserSessions = %v, listed a session that does not exist", keys)
		}
		if ok, _ := rdb.HExists(ctx, prefix+"u:alice", old).Result(); ok {
			t.Error("the entry of a session gone for two minutes is still in the index")
		}
		if ok, _ := rdb.HExists(ctx, prefix+"u:alice", fresh).Result(); !ok {
			t.Error("an entry written just now was pruned: a commit in flight would lose its index entry")
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

// TestIndexFromSet checks that a user index kept as a set, by earlier
// versions of the Store, keeps working: listed, logged out, written to.
func TestIndexFromSet(t *testing.T) {
	addr := storetest.RedisAddr(t)
	rdb := newClient(t, addr)
	prefix := uniquePrefix(t, rdb)
	st := newStore(t, rdb, prefix)
	ctx := context.Background()
	rec := session.Record{UserID: "alice", Expiry: time.Now().Add(time.Hour)}
	old, other := storetest.NewKey(t), storetest.NewKey(t)
	storetest.MustCommit(t, st, old, rec)
	storetest.MustCommit(t, st, other, rec)
	rdb.Del(ctx, prefix+"u:alice")
	if err := rdb.SAdd(ctx, prefix+"u:alice", old, other).Err(); err != nil {
		t.Fatal(err)
	}
	keys, err := st.UserSessions(ctx, "alice")
	if err != nil || len(keys) != 2 {
		t.Fatalf("UserSessions on a set index = %v, %v; want both sessions", keys, err)
	}
	rdb.Del(ctx, prefix+"u:alice")
	rdb.SAdd(ctx, prefix+"u:alice", old)
	storetest.MustCommit(t, st, other, session.Record{UserID: "alice", Version: 1, Expiry: rec.Expiry})
	if n, err := st.DeleteUserSessions(ctx, "alice", ""); err != nil || n != 2 {
		t.Fatalf("DeleteUserSessions after a commit onto a set index = %d, %v; want 2", n, err)
	}
}

// TestIndexExpiresForExpiredCommit: a commit of an already expired,
// signed-in session still leaves its user index with a TTL.
func TestIndexExpiresForExpiredCommit(t *testing.T) {
	rdb := newClient(t, storetest.RedisAddr(t))
	prefix := uniquePrefix(t, rdb)
	st := newStore(t, rdb, prefix)
	if _, err := st.Commit(t.Context(), storetest.NewKey(t), session.Record{UserID: "bob", Expiry: time.Now().Add(-time.Minute)}); err != nil {
		t.Fatal(err)
	}
	if ttl, err := rdb.PTTL(t.Context(), prefix+"u:bob").Result(); err != nil || ttl <= 0 {
		t.Errorf("index PTTL = %v, %v; want a TTL", ttl, err)
	}
}
