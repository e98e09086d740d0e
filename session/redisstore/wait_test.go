package redisstore_test

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/bulwark-go/bulwark/session"
	"github.com/bulwark-go/bulwark/session/redisstore"
	"github.com/bulwark-go/bulwark/session/storetest"
)

// TestWaitTooFewReplicas: on a Redis without replicas, every write that
// must wait fails with ErrNotReplicated, an error that says the outcome
// is unknown, and the Manager answers 503.
func TestWaitTooFewReplicas(t *testing.T) {
	rdb := newClient(t, storetest.RedisAddr(t))
	if n, err := rdb.Info(t.Context(), "replication").Result(); err != nil || !strings.Contains(n, "connected_slaves:0") {
		t.Skipf("BULWARK_REDIS_ADDR has replicas (or no INFO: %v); this test needs none", err)
	}
	prefix := uniquePrefix(t, rdb)
	plain := newStore(t, rdb, prefix)
	st := newStoreWith(t, redisstore.Config{Client: rdb, Prefix: prefix, WaitReplicas: 1, WaitTimeout: 20 * time.Millisecond})
	ctx := t.Context()
	rec := session.Record{UserID: "alice", Expiry: time.Now().Add(time.Hour)}
	notReplicated := func(op string, err error) {
		t.Helper()
		if !errors.Is(err, redisstore.ErrNotReplicated) || !strings.Contains(err.Error(), "may or may not survive") {
			t.Errorf("%s: %v, want ErrNotReplicated", op, err)
		}
	}

	_, err := st.Commit(ctx, storetest.NewKey(t), rec)
	notReplicated("Commit", err)
	_, err = st.Commit(ctx, storetest.NewKey(t), session.Record{Expiry: rec.Expiry})
	notReplicated("Commit of an anonymous session", err)
	key := storetest.NewKey(t)
	storetest.MustCommit(t, plain, key, rec)
	notReplicated("Delete", st.Delete(ctx, key))
	storetest.MustCommit(t, plain, storetest.NewKey(t), rec)
	_, err = st.DeleteUserSessions(ctx, "alice", "")
	notReplicated("DeleteUserSessions", err)

	if code := writeThrough(t, st, slog.New(slog.DiscardHandler)); code != http.StatusServiceUnavailable {
		t.Errorf("Manager over an unreplicated commit: status %d, want 503", code)
	}
}

// TestClusterWaitOnKeysMaster: on Redis Cluster, WAIT goes to the master
// that holds the key written (a WAIT elsewhere would wait for nothing).
// The cluster has no replicas, so the commit fails; which node counted
// the WAIT shows where it went.
func TestClusterWaitOnKeysMaster(t *testing.T) {
	rdb := newClusterClient(t, storetest.RedisClusterAddrs(t))
	prefix := uniquePrefix(t, rdb)
	st := newStoreWith(t, redisstore.Config{Client: rdb, Prefix: prefix, WaitReplicas: 1, WaitTimeout: 20 * time.Millisecond})
	ctx := t.Context()
	for range 4 { // keys on different slots, likely different masters
		key := storetest.NewKey(t)
		node, err := rdb.MasterForKey(ctx, prefix+"s:"+key)
		if err != nil {
			t.Fatal(err)
		}
		before := waitCalls(t, node)
		if _, err := st.Commit(ctx, key, session.Record{Expiry: time.Now().Add(time.Hour)}); !errors.Is(err, redisstore.ErrNotReplicated) {
			t.Fatalf("Commit on a cluster without replicas: %v, want ErrNotReplicated", err)
		}
		if after := waitCalls(t, node); after <= before {
			t.Errorf("%s holds the key but counted no WAIT (%d, then %d)", node.Options().Addr, before, after)
		}
	}
}

// waitCalls is how many WAIT commands node has run, from INFO commandstats.
func waitCalls(t *testing.T, node *redis.Client) int {
	t.Helper()
	info, err := node.Info(t.Context(), "commandstats").Result()
	if err != nil {
		t.Fatal(err)
	}
	for line := range strings.SplitSeq(info, "\n") {
		if rest, ok := strings.CutPrefix(line, "cmdstat_wait:calls="); ok {
			n, _, _ := strings.Cut(rest, ",")
			calls, err := strconv.Atoi(n)
			if err != nil {
				t.Fatalf("commandstats line %q: %v", line, err)
			}
			return calls
		}
	}
	return 0
}

// TestWaitCoversAnEarlierDelete: WAIT waits only for its own connection's
// writes. A logout answered 503 because the replica had not acknowledged
// its delete, then retried through another connection (another instance),
// finds nothing to delete; the retry must still fail while that first
// delete may be lost in a failover, not report the logout done. (Redis
// 7.0 counts any script as a write for WAIT; later versions count only
// scripts that wrote, which is why the delete script always writes.)
func TestWaitCoversAnEarlierDelete(t *testing.T) {
	storetest.RedisAddr(t) // skips where the Redis tests do
	debug := func(string) []string {
		return []string{"--enable-debug-command", "local", "--repl-diskless-sync-delay", "0"}
	}
	master, mport := startRedis(t, debug)
	replica, _ := startRedis(t, func(dir string) []string {
		return append(debug(dir), "--replicaof", "127.0.0.1", strconv.Itoa(mport))
	})
	ctx := t.Context()
	m := newClient(t, master)
	deadline := time.Now().Add(10 * time.Second)
	// Ready once the replica acknowledges a write (WAIT on a connection
	// that wrote nothing returns at once).
	for {
		var wait *redis.Cmd
		m.Pipelined(ctx, func(p redis.Pipeliner) error {
			p.Set(ctx, "ready", "1", 0)
			wait = p.Do(ctx, "WAIT", 1, 100)
			return nil
		})
		if wait.Val() == int64(1) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the replica did not come online")
		}
	}
	prefix := uniquePrefix(t, m)
	open := func(wait time.Duration) *redisstore.Store { // an app instance: a client of its own
		st, err := redisstore.New(redisstore.Config{Client: newClient(t, master), Prefix: prefix,
			WaitReplicas: 1, WaitTimeout: wait})
		if err != nil {
			t.Fatal(err)
		}
		return st
	}
	writer, first, other := open(2*time.Second), open(300*time.Millisecond), open(300*time.Millisecond)
	key := storetest.NewKey(t)
	storetest.MustCommit(t, writer, key, session.Record{UserID: "u", Expiry: time.Now().Add(time.Hour)})

	// DEBUG SLEEP stops the replica's event loop: it acknowledges nothing
	// until it returns.
	r := newClient(t, replica)
	slept := make(chan error, 1)
	go func() { slept <- r.Do(context.Background(), "DEBUG", "SLEEP", "3").Err() }()
	probe := redis.NewClient(&redis.Options{Addr: replica, ReadTimeout: 50 * time.Millisecond, MaxRetries: -1})
	defer probe.Close()
	for probe.Ping(ctx).Err() == nil {
		if time.Now().After(deadline) {
			t.Fatal("the replica never went to sleep")
		}
	}
	if err := first.Delete(ctx, key); !errors.Is(err, redisstore.ErrNotReplicated) {
		t.Fatalf("delete while the replica sleeps: %v, want ErrNotReplicated", err)
	}
	if err := other.Delete(ctx, key); !errors.Is(err, redisstore.ErrNotReplicated) {
		t.Fatalf("the retried delete, which found nothing, reported %v while the first delete had not reached the replica; want ErrNotReplicated", err)
	}
	if n, err := other.DeleteUserSessions(ctx, "u", ""); !errors.Is(err, redisstore.ErrNotReplicated) {
		t.Fatalf("log out everywhere after it: %d, %v; want ErrNotReplicated", n, err)
	}
	if err := <-slept; err != nil {
		t.Fatal(err)
	}
}
