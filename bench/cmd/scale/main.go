// Command scale measures every session store at growing numbers of live
// sessions: Find and Commit latency on random existing keys, log out
// everywhere for one user with many sessions, the cleanup of many expired
// sessions and the requests served while it runs, and memstore's bytes per
// session. It writes a Markdown section for docs/benchmarks.md (see
// scripts/load-scale).
//
// Usage:
//
//	scale -stores memory,sqlite,redis,redis-cluster,postgres -sizes 1000,100000,1000000 -out scale.md
//
// Servers come from BULWARK_REDIS_ADDR, BULWARK_REDIS_CLUSTER (comma
// separated seeds) and BULWARK_PG_DSN; a store whose variable is unset is
// reported as not run. Every store gets its own key prefix, schema or
// temporary file, removed at the end.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log"
	"math/rand/v2"
	"os"
	"os/signal"
	"runtime"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/bulwark-go/bulwark/session"
)

// config is what the flags set.
type config struct {
	stores   []string
	sizes    []int
	expired  int // expired sessions to clean up; 0 skips
	perUser  int // sessions of the user logged out everywhere
	runs     int
	samples  int
	workers  int
	env      env
	progress io.Writer
}

func main() {
	log.SetFlags(0)
	var (
		stores  = flag.String("stores", strings.Join(allStores, ","), "stores to measure, comma separated: "+strings.Join(allStores, ", "))
		sizes   = flag.String("sizes", "1000,100000,1000000", "numbers of live sessions, comma separated")
		expired = flag.Int("expired", 1000000, "expired sessions to clean up (0 skips the cleanup measurement)")
		perUser = flag.Int("user-sessions", 1000, "sessions of the one user logged out everywhere")
		runs    = flag.Int("runs", 3, "runs of each measurement; the report gives medians over them")
		samples = flag.Int("samples", 5000, "Find+Commit samples per run")
		workers = flag.Int("workers", 32, "goroutines that fill a store through Commit")
		out     = flag.String("out", "", "Markdown file to write (default stdout)")
	)
	flag.Parse()
	cfg := config{expired: *expired, perUser: *perUser, runs: *runs, samples: *samples, workers: *workers, progress: os.Stderr}
	cfg.stores = strings.Split(*stores, ",")
	for _, s := range strings.Split(*sizes, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n < 1 {
			log.Fatalf("scale: -sizes: %q is not a positive number", s)
		}
		cfg.sizes = append(cfg.sizes, n)
	}
	tmp, err := os.MkdirTemp("", "bulwark-scale-")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(tmp)
	cfg.env = envFromOS(tmp)

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	rep, err := run(ctx, cfg)
	if err != nil {
		log.Print("scale: ", err)
	}
	w := io.Writer(os.Stdout)
	if *out != "" {
		f, err := os.Create(*out)
		if err != nil {
			log.Fatal(err)
		}
		defer f.Close()
		w = f
	}
	rep.write(w)
	if err != nil {
		os.Exit(1)
	}
}

func envFromOS(tmp string) env {
	e := env{redisAddr: os.Getenv("BULWARK_REDIS_ADDR"), pgDSN: os.Getenv("BULWARK_PG_DSN"), tempDir: tmp}
	if c := os.Getenv("BULWARK_REDIS_CLUSTER"); c != "" {
		e.clusterAddrs = strings.Split(c, ",")
	}
	return e
}

// storeReport is everything measured on one store.
type storeReport struct {
	name, server, skipped string
	sizes                 []sizeReport
	cleanup               *cleanupResult
	cleanupWhat           string
	err                   error
}

type sizeReport struct {
	n        int
	fill     fillResult
	ops      opResult
	destroy  []time.Duration
	heapPer  float64 // memstore: heap bytes per session
	dataPer  float64 // memstore: data bytes per session
	db, wal  int64   // SQLite file sizes
	hasHeap  bool
	hasFiles bool
}

// run measures every configured store; a store that fails is reported
// with its error and the others still run. The returned error is the
// first failure.
func run(ctx context.Context, cfg config) (*report, error) {
	slices.Sort(cfg.sizes)
	rep := &report{cfg: cfg, start: time.Now(), load: [2]string{loadavg(), ""}}
	var first error
	for _, name := range cfg.stores {
		sr := measureStore(ctx, cfg, name)
		rep.stores = append(rep.stores, sr)
		if sr.err != nil && first == nil {
			first = fmt.Errorf("%s: %w", name, sr.err)
		}
		if ctx.Err() != nil {
			break
		}
	}
	rep.end = time.Now()
	rep.load[1] = loadavg()
	return rep, first
}

func (c config) logf(format string, args ...any) {
	if c.progress != nil {
		fmt.Fprintf(c.progress, "scale: "+format+"\n", args...)
	}
}

func measureStore(ctx context.Context, cfg config, name string) storeReport {
	sr := storeReport{name: name}
	t, err := open(ctx, cfg.env, name)
	if err == errSkip {
		sr.skipped = "not run: its server is not configured"
		cfg.logf("%s: skipped (no server configured)", name)
		return sr
	}
	if err != nil {
		sr.err = err
		return sr
	}
	defer func() {
		cfg.logf("%s: removing what the run wrote", name)
		t.close()
	}()
	sr.server, sr.cleanupWhat = t.server, t.cleaner.what
	live := keys("live", cfg.sizes[len(cfg.sizes)-1])
	liveRec := recordFor("u", time.Now().Add(7*24*time.Hour))
	rng := rand.New(rand.NewPCG(1, 2))
	var heap0 uint64
	if t.mem {
		heap0 = heapAlloc()
	}
	have := 0
	var est time.Duration
	for _, n := range cfg.sizes {
		z := sizeReport{n: n}
		cfg.logf("%s: filling to %d live sessions", name, n)
		part := live[have:n]
		z.fill, err = fill(ctx, t, part, func(i int) session.Record { return liveRec(have + i) }, cfg.workers, true)
		if err != nil {
			sr.err = err
			return sr
		}
		cfg.logf("%s: %d sessions in %v (%.0f/s, %s)", name, len(part), z.fill.took.Round(time.Millisecond), z.fill.rate(), z.fill.path)
		if len(part) > 0 {
			est = time.Duration(float64(cfg.expired) / z.fill.rate() * float64(time.Second))
		}
		have = n
		if t.mem {
			var data int
			for i, k := range live[:n] {
				data += dataBytes(k, liveRec(i))
			}
			z.hasHeap = true
			z.heapPer = (float64(heapAlloc()) - float64(heap0)) / float64(n)
			z.dataPer = float64(data) / float64(n)
		}
		if t.dbSize != nil {
			z.hasFiles = true
			z.db, z.wal = t.dbSize()
		}
		cfg.logf("%s: timing Find and Commit at %d", name, n)
		if z.ops, err = sample(ctx, t.store, live[:n], cfg.runs, cfg.samples, rng); err != nil {
			sr.err = err
			return sr
		}
		cfg.logf("%s: log out everywhere for a user with %d sessions at %d", name, cfg.perUser, n)
		if z.destroy, err = destroyUser(ctx, t, strconv.Itoa(n), cfg.perUser, cfg.runs, cfg.workers); err != nil {
			sr.err = err
			return sr
		}
		sr.sizes = append(sr.sizes, z)
	}
	if cfg.expired > 0 {
		cfg.logf("%s: writing %d sessions to expire, then cleaning them up", name, cfg.expired)
		cr, err := measureCleanup(ctx, t, live[:have], cfg.expired, est, cfg.workers)
		sr.cleanup = &cr
		if err != nil {
			sr.err = err
			return sr
		}
		cfg.logf("%s: cleanup took %v; %d requests, max %v", name, cr.took.Round(time.Millisecond), len(cr.requests), cr.requests.max())
	}
	return sr
}

func heapAlloc() uint64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

func loadavg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	return strings.Join(strings.Fields(string(b))[:3], " ")
}

// moduleVersion returns " vX.Y.Z" for a module built into this program.
func moduleVersion(path string) string {
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, m := range bi.Deps {
			if m.Path == path {
				return " " + m.Version
			}
		}
	}
	return ""
}
