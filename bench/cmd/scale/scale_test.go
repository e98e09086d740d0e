package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"
)

// TestRunSmall runs every measurement at tiny sizes on the in-process
// stores, and on the servers whose variables are set, and checks the
// report has every section and no store failed.
func TestRunSmall(t *testing.T) {
	cfg := config{
		stores:  []string{"memory", "sqlite"},
		sizes:   []int{300, 100},
		expired: 400, perUser: 50, runs: 2, samples: 50, workers: 8,
		env: envFromOS(t.TempDir()),
	}
	if cfg.env.redisAddr != "" {
		cfg.stores = append(cfg.stores, "redis")
	}
	if len(cfg.env.clusterAddrs) > 0 {
		cfg.stores = append(cfg.stores, "redis-cluster")
	}
	if cfg.env.pgDSN != "" {
		cfg.stores = append(cfg.stores, "postgres")
	}
	rep, err := run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	rep.write(&b)
	out := b.String()
	for _, want := range []string{
		"### Targets", "memory: Find p99 at 300 within 2× of p99 at 100",
		"memory: no request stalls over 50ms", "memory: ≤ 1 KiB per small session",
		"### Log out everywhere", "### Cleanup of 400 expired sessions", "### SQLite: file size",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("report lacks %q:\n%s", want, out)
		}
	}
	for _, s := range rep.stores {
		if len(s.sizes) != 2 || s.cleanup == nil || len(s.cleanup.requests) == 0 || len(s.cleanup.baseline) < 200 {
			t.Errorf("%s: sizes %v, cleanup %v: want 2 sizes and requests during cleanup", s.name, sizesOf(s), s.cleanup)
		}
	}
}

func TestPercentile(t *testing.T) {
	var l latencies
	for i := 1; i <= 100; i++ {
		l = append(l, time.Duration(i))
	}
	for _, c := range []struct {
		p    float64
		want time.Duration
	}{{0, 1}, {50, 50}, {99, 99}, {100, 100}} {
		if got := l.pct(c.p); got != c.want {
			t.Errorf("pct(%v) = %v, want %v", c.p, got, c.want)
		}
	}
	if got := (latencies{}).pct(99); got != 0 {
		t.Errorf("pct of nothing = %v, want 0", got)
	}
}
