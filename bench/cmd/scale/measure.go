// This file holds the measurements: filling a store, timing Find and
// Commit on random existing keys, log-out-everywhere, and requests while
// expired sessions are cleaned up.

package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/bulwark-go/bulwark/session"
)

// sessionsPerUser is how many filler sessions share one user: each is
// bound to a user, as a signed-in session is.
const sessionsPerUser = 4

// smallValues is a small session's data: a CSRF secret, a preference and
// a counter (what the Commit samples change).
var smallValues = map[string][]byte{
	"csrf":  []byte("0123456789abcdef0123456789abcdef"),
	"theme": []byte("dark"),
	"n":     []byte("0"),
}

// keys returns n store keys (hex SHA-256, as the Manager passes) named by
// tag, so that sets never overlap.
func keys(tag string, n int) []string {
	out := make([]string, n)
	for i := range out {
		h := sha256.Sum256([]byte(tag + ":" + strconv.Itoa(i)))
		out[i] = hex.EncodeToString(h[:])
	}
	return out
}

// recordFor returns the record of session i of a set whose users are
// named userPrefix+(i/sessionsPerUser).
func recordFor(userPrefix string, expiry time.Time) func(i int) session.Record {
	return func(i int) session.Record {
		return session.Record{Values: smallValues, UserID: userPrefix + strconv.Itoa(i/sessionsPerUser), Expiry: expiry}
	}
}

// dataBytes is what a session's data weighs: key, user ID, and the keys
// and values of its map.
func dataBytes(key string, r session.Record) int {
	n := len(key) + len(r.UserID)
	for k, v := range r.Values {
		n += len(k) + len(v)
	}
	return n
}

// fillResult says how a set of sessions was written.
type fillResult struct {
	n    int
	took time.Duration
	path string
}

func (f fillResult) rate() float64 { return float64(f.n) / f.took.Seconds() }

// fill writes sessions keys[i] = rec(i): through the store's bulk path if
// it has one (then checks that Find returns what was written, unless the
// sessions are already expired), else by Commits from many goroutines.
func fill(ctx context.Context, t *target, ks []string, rec func(int) session.Record, workers int, live bool) (fillResult, error) {
	start := time.Now()
	res := fillResult{n: len(ks)}
	if t.bulk != nil && len(ks) >= 5000 {
		res.path = "bulk insert in the store's schema"
		if err := t.bulk(ctx, ks, rec); err != nil {
			return res, fmt.Errorf("%s: bulk insert: %w", t.name, err)
		}
		res.took = time.Since(start)
		if live {
			return res, checkFound(ctx, t.store, ks, rec)
		}
		return res, nil
	}
	res.path = fmt.Sprintf("Commit from %d goroutines", workers)
	var next atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= len(ks) || ctx.Err() != nil {
					return
				}
				// A copy of the key, so memstore owns its own as it
				// does of the Manager's.
				if _, err := t.store.Commit(ctx, strings.Clone(ks[i]), rec(i)); err != nil {
					errs <- fmt.Errorf("%s: commit: %w", t.name, err)
					return
				}
			}
		}()
	}
	wg.Wait()
	res.took = time.Since(start)
	close(errs)
	if err := <-errs; err != nil {
		return res, err
	}
	if err := ctx.Err(); err != nil {
		return res, err
	}
	if live {
		return res, checkFound(ctx, t.store, ks, rec)
	}
	return res, nil
}

// checkFound Finds a sample of the written sessions and compares them.
func checkFound(ctx context.Context, st session.Store, ks []string, rec func(int) session.Record) error {
	for j := range min(200, len(ks)) {
		i := j * len(ks) / min(200, len(ks))
		got, found, err := st.Find(ctx, ks[i])
		want := rec(i)
		switch {
		case err != nil:
			return fmt.Errorf("check: find: %w", err)
		case !found:
			return fmt.Errorf("check: session %d of %d written is not found", i, len(ks))
		case got.UserID != want.UserID || got.Version != 1 || !maps.EqualFunc(got.Values, want.Values, func(a, b []byte) bool { return string(a) == string(b) }):
			return fmt.Errorf("check: session %d reads back as %+v, want %+v version 1", i, got, want)
		}
	}
	return nil
}

// latencies is a set of timings.
type latencies []time.Duration

// pct returns the p-th percentile (nearest rank).
func (l latencies) pct(p float64) time.Duration {
	if len(l) == 0 {
		return 0
	}
	s := slices.Clone(l)
	slices.Sort(s)
	i := int(float64(len(s))*p/100+0.999999) - 1
	return s[max(0, min(i, len(s)-1))]
}

func (l latencies) max() time.Duration {
	if len(l) == 0 {
		return 0
	}
	return slices.Max(l)
}

// median of durations.
func median(d []time.Duration) time.Duration { return latencies(d).pct(50) }

// request is one Find of a random live session and one Commit of it with
// its counter changed; it returns both timings.
func request(ctx context.Context, st session.Store, ks []string, rng *rand.Rand) (find, commit time.Duration, err error) {
	key := ks[rng.IntN(len(ks))]
	t0 := time.Now()
	rec, found, err := st.Find(ctx, key)
	find = time.Since(t0)
	if err != nil {
		return 0, 0, fmt.Errorf("find: %w", err)
	}
	if !found {
		return 0, 0, fmt.Errorf("find: live session %s not found", key[:12])
	}
	rec.Values["n"] = strconv.AppendInt(nil, rng.Int64N(1e6), 10)
	t1 := time.Now()
	v, err := st.Commit(ctx, key, rec)
	commit = time.Since(t1)
	if err != nil {
		return 0, 0, fmt.Errorf("commit: %w", err)
	}
	if v != rec.Version+1 {
		return 0, 0, fmt.Errorf("commit: version %d, want %d", v, rec.Version+1)
	}
	return find, commit, nil
}

// opResult holds the per-run percentiles of Find and Commit.
type opResult struct {
	findP50, findP99, commitP50, commitP99 []time.Duration // one per run
}

// warmup is how many untimed requests precede the timed runs, so that
// connections and prepared statements are ready.
const warmup = 1000

// sample times samples requests, one at a time, in each of runs runs.
func sample(ctx context.Context, st session.Store, ks []string, runs, samples int, rng *rand.Rand) (opResult, error) {
	var r opResult
	for range warmup {
		if _, _, err := request(ctx, st, ks, rng); err != nil {
			return r, err
		}
	}
	for range runs {
		find, commit := make(latencies, samples), make(latencies, samples)
		for i := range samples {
			f, c, err := request(ctx, st, ks, rng)
			if err != nil {
				return r, err
			}
			find[i], commit[i] = f, c
		}
		r.findP50 = append(r.findP50, find.pct(50))
		r.findP99 = append(r.findP99, find.pct(99))
		r.commitP50 = append(r.commitP50, commit.pct(50))
		r.commitP99 = append(r.commitP99, commit.pct(99))
	}
	return r, nil
}

// destroyUser times DeleteUserSessions (what Manager.DestroyUserSessions
// calls) for one user with perUser sessions, in each of runs runs.
func destroyUser(ctx context.Context, t *target, tag string, perUser, runs, workers int) ([]time.Duration, error) {
	var out []time.Duration
	for r := range runs {
		user := fmt.Sprintf("victim-%s-%d", tag, r)
		ks := keys(user, perUser)
		rec := func(int) session.Record {
			return session.Record{Values: smallValues, UserID: user, Expiry: time.Now().Add(7 * 24 * time.Hour)}
		}
		saved := t.bulk
		t.bulk = nil // through Commit, which keeps every store's index
		_, err := fill(ctx, t, ks, rec, workers, true)
		t.bulk = saved
		if err != nil {
			return nil, err
		}
		t0 := time.Now()
		n, err := t.store.DeleteUserSessions(ctx, user, "")
		d := time.Since(t0)
		if err != nil {
			return nil, fmt.Errorf("delete user sessions: %w", err)
		}
		if n != perUser {
			return nil, fmt.Errorf("delete user sessions: removed %d, want %d", n, perUser)
		}
		out = append(out, d)
	}
	return out, nil
}

// cleanupResult is what happened while expired sessions were cleaned up.
type cleanupResult struct {
	expired  int
	took     time.Duration
	removed  int64
	requests latencies // Find and Commit timings during the cleanup
	baseline latencies // the same requests afterwards, without cleanup
	note     string
	fill     fillResult
}

// measureCleanup writes n sessions that expire, makes them expired, and
// runs the store's cleanup while one client keeps sending requests on
// the live sessions.
func measureCleanup(ctx context.Context, t *target, live []string, n int, est time.Duration, workers int) (cleanupResult, error) {
	res := cleanupResult{expired: n}
	ks := keys("expired", n)
	fr, err := fill(ctx, t, ks, recordFor("x", t.cleaner.expiry(est)), workers, false)
	res.fill = fr
	if err != nil {
		return res, err
	}
	if res.note, err = t.cleaner.ready(ctx); err != nil {
		return res, err
	}
	written := int64(n + (n+sessionsPerUser-1)/sessionsPerUser)
	done := make(chan error, 1)
	start := time.Now()
	go func() {
		var err error
		res.removed, err = t.cleaner.run(ctx, written)
		res.took = time.Since(start)
		done <- err
	}()
	rng := rand.New(rand.NewPCG(7, 7))
	// At least one request, however short the cleanup.
	for {
		f, c, err := request(ctx, t.store, live, rng)
		if err != nil {
			<-done
			return res, fmt.Errorf("request during cleanup: %w", err)
		}
		res.requests = append(res.requests, f, c)
		select {
		case err := <-done:
			if err != nil {
				return res, fmt.Errorf("cleanup: %w", err)
			}
			if res.removed >= 0 && res.removed != int64(n) {
				return res, fmt.Errorf("cleanup removed %d sessions, want %d", res.removed, n)
			}
			res.baseline, err = requestsFor(ctx, t.store, live, min(res.took, baselineMax), rng)
			return res, err
		default:
		}
	}
}

// baselineMax bounds how long the requests without cleanup run.
const baselineMax = 10 * time.Second

// requestsFor sends requests one at a time for d, and at least 100, and
// returns their timings.
func requestsFor(ctx context.Context, st session.Store, live []string, d time.Duration, rng *rand.Rand) (latencies, error) {
	var out latencies
	for end := time.Now().Add(d); len(out) < 200 || time.Now().Before(end); {
		f, c, err := request(ctx, st, live, rng)
		if err != nil {
			return out, fmt.Errorf("request after cleanup: %w", err)
		}
		out = append(out, f, c)
	}
	return out, nil
}
