package redisstore_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/bulwark-go/bulwark/session"
	"github.com/bulwark-go/bulwark/session/storetest"
)

func newClusterClient(t *testing.T, addrs []string) *redis.ClusterClient {
	t.Helper()
	rdb := redis.NewClusterClient(&redis.ClusterOptions{Addrs: addrs, ContextTimeoutEnabled: true})
	t.Cleanup(func() { rdb.Close() })
	return rdb
}

// TestClusterConformance runs the store contract on a real three-master
// Redis Cluster (scripts/redis-cluster), with prefixes that carry no hash
// tag, so sessions and user indexes land on different nodes.
func TestClusterConformance(t *testing.T) {
	addrs := storetest.RedisClusterAddrs(t)
	conformance(t, func(t *testing.T) redis.UniversalClient { return newClusterClient(t, addrs) })
}

// TestClusterSpread checks that the test above proves something: one
// user's sessions and index are spread over more than one node.
func TestClusterSpread(t *testing.T) {
	rdb := newClusterClient(t, storetest.RedisClusterAddrs(t))
	prefix := uniquePrefix(t, rdb)
	st := newStore(t, rdb, prefix)
	ctx := context.Background()
	nodes := map[string]bool{}
	for range 16 {
		key := storetest.NewKey(t)
		storetest.MustCommit(t, st, key, session.Record{UserID: "alice", Expiry: time.Now().Add(time.Hour)})
		n, err := rdb.MasterForKey(ctx, prefix+"s:"+key)
		if err != nil {
			t.Fatal(err)
		}
		nodes[n.Options().Addr] = true
	}
	if len(nodes) < 2 {
		t.Fatalf("16 sessions all landed on %v; the cluster tests would not cross nodes", nodes)
	}
	keys, err := st.UserSessions(ctx, "alice")
	if err != nil || len(keys) != 16 {
		t.Fatalf("UserSessions = %d keys, %v; want 16", len(keys), err)
	}
	if n, err := st.DeleteUserSessions(ctx, "alice", ""); err != nil || n != 16 {
		t.Fatalf("DeleteUserSessions = %d, %v; want 16", n, err)
	}
}

// TestClusterOtherPrefix checks that another app's keys in the same
// cluster are never touched, even for the same user and session keys.
func TestClusterOtherPrefix(t *testing.T) {
	rdb := newClusterClient(t, storetest.RedisClusterAddrs(t))
	mine, theirs := newStore(t, rdb, uniquePrefix(t, rdb)), newStore(t, rdb, uniquePrefix(t, rdb))
	ctx := context.Background()
	key := storetest.NewKey(t)
	rec := session.Record{UserID: "alice", Expiry: time.Now().Add(time.Hour)}
	storetest.MustCommit(t, mine, key, rec)
	storetest.MustCommit(t, theirs, key, rec)
	if _, err := mine.DeleteUserSessions(ctx, "alice", ""); err != nil {
		t.Fatal(err)
	}
	storetest.MustMiss(t, mine, key)
	storetest.MustFind(t, theirs, key)
	if keys, err := theirs.UserSessions(ctx, "alice"); err != nil || len(keys) != 1 {
		t.Errorf("the other app's index: %v, %v; want its one session", keys, err)
	}
}

// TestClusterLogOutEverywhere checks the index's rule under concurrency:
// DeleteUserSessions removes every session of the user acknowledged
// before it started, while other requests keep creating and rewriting
// the user's sessions through another client.
func TestClusterLogOutEverywhere(t *testing.T) {
	addrs := storetest.RedisClusterAddrs(t)
	a, b := newClusterClient(t, addrs), newClusterClient(t, addrs)
	prefix := uniquePrefix(t, a)
	writer, admin := newStore(t, a, prefix), newStore(t, b, prefix)
	ctx := context.Background()
	rec := session.Record{UserID: "alice", Expiry: time.Now().Add(time.Hour)}

	acked := make(chan string, 1024)
	stop := make(chan struct{})
	done := make(chan error)
	go func() {
		defer close(done)
		versions := map[string]uint64{}
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			key := storetest.NewKey(t)
			if i%2 == 1 { // rewrite an older session instead, if it still exists
				for k := range versions {
					key = k
					break
				}
			}
			r := rec
			r.Version = versions[key]
			v, err := writer.Commit(ctx, key, r)
			switch {
			case errors.Is(err, session.ErrConflict): // deleted meanwhile
				delete(versions, key)
			case err != nil:
				done <- err
				return
			default:
				versions[key] = v
				select {
				case acked <- key:
				case <-stop:
					return
				}
			}
		}
	}()
	var before []string
	for round := 0; round < 20; round++ {
		for len(acked) > 0 || len(before) < 5 {
			select {
			case k := <-acked:
				before = append(before, k)
			case err := <-done: // the writer failed: report it, do not wait
				t.Fatalf("writer stopped: %v", err)
			}
		}
		if _, err := admin.DeleteUserSessions(ctx, "alice", ""); err != nil {
			t.Fatal(err)
		}
		for _, k := range before {
			if _, found, err := admin.Find(ctx, k); err != nil || found {
				t.Fatalf("round %d: session acknowledged before DeleteUserSessions survived it (found=%v, err=%v)", round, found, err)
			}
		}
		before = before[:0]
	}
	close(stop)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}
