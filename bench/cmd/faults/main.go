// Command faults runs the session app under sustained load while its
// store's server is restarted (Redis, PostgreSQL) or the app itself is
// killed (SQLite), and writes the figures into docs/benchmarks.md between
// the load-faults markers. scripts/load-faults runs it; see there for the
// knobs.
//
// With -serve DB it is instead the app on the SQLite file DB, the child
// process the SQLite scenario kills.
package main

import (
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/bulwark-go/bulwark/bench/faults"
)

var (
	serve     = flag.String("serve", "", "serve the app on this SQLite file (the SQLite scenario's child process)")
	scenarios = flag.String("scenarios", "redis-term,redis-kill,pg-immediate,pg-fast,sqlite-kill9", "comma-separated scenarios to run")
	clients   = flag.Int("clients", 32, "concurrent clients")
	warm      = flag.Duration("warm", 5*time.Second, "load before the fault")
	hold      = flag.Duration("hold", 2*time.Second, "how long the server stays down")
	after     = flag.Duration("after", 5*time.Second, "load after the server is back")
	redisBin  = flag.String("redis-server", "redis-server", "redis-server binary")
	redisPort = flag.Int("redis-port", 6390, "port of the private Redis")
	pgBin     = flag.String("pg-bin", "", "directory of initdb, pg_ctl, postgres (default: the newest /usr/lib/postgresql/*/bin)")
	pgPort    = flag.Int("pg-port", 5440, "port of the private PostgreSQL")
	work      = flag.String("work", "", "working directory for the servers' files (default: a new temporary one, removed at exit)")
	out       = flag.String("out", "docs/benchmarks.md", "markdown file to write the section into (\"\" prints it)")
	loadAvg   = flag.String("load", "", "the load average before the run, to report with the one after (scripts/load-faults passes it)")
)

// cleanups run at exit, and on SIGINT/SIGTERM.
var (
	cleanMu  sync.Mutex
	cleanups []func()
)

func atExit(f func()) {
	cleanMu.Lock()
	cleanups = append(cleanups, f)
	cleanMu.Unlock()
}

func cleanup() {
	cleanMu.Lock()
	defer cleanMu.Unlock()
	for i := len(cleanups) - 1; i >= 0; i-- {
		cleanups[i]()
	}
	cleanups = nil
}

func main() {
	flag.Parse()
	if *serve != "" {
		if err := faults.ServeSQLite(*serve, os.Stdout, slog.New(slog.NewTextHandler(os.Stderr, nil))); err != nil {
			fmt.Fprintln(os.Stderr, "faults -serve:", err)
			os.Exit(1)
		}
		return
	}
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM)
	go func() {
		s := <-sigs
		fmt.Fprintf(os.Stderr, "faults: %v: cleaning up\n", s)
		cleanup()
		os.Exit(1)
	}()
	err := run()
	cleanup()
	if err != nil {
		fmt.Fprintln(os.Stderr, "faults:", err)
		os.Exit(1)
	}
}

func run() error {
	start := time.Now()
	dir := *work
	if dir == "" {
		d, err := os.MkdirTemp("", "bulwark-faults-")
		if err != nil {
			return err
		}
		dir = d
		atExit(func() { os.RemoveAll(d) })
	}
	if err := os.Chmod(dir, 0o755); err != nil { // the postgres user must reach its directory
		return err
	}
	opts := faults.Options{Clients: *clients, Warm: *warm, Hold: *hold, After: *after}
	env := &servers{dir: dir}
	var results []*faults.Result
	var failures []string
	for _, name := range strings.Split(*scenarios, ",") {
		name = strings.TrimSpace(name)
		fmt.Fprintf(os.Stderr, "== %s\n", name)
		r, err := env.run(name, opts)
		if err != nil {
			fmt.Fprintf(os.Stderr, "faults: %s: %v\n", name, err)
			failures = append(failures, fmt.Sprintf("%s: %v", name, strings.ReplaceAll(err.Error(), "\n", " ")))
			continue
		}
		fmt.Fprintf(os.Stderr, "%s: %d requests (%s); outage: %s; first 200 %v and every client %v after up; acked %d, lost %d; only 503 %v, recovery %v, none lost %v\n",
			r.Name, r.Total, faults.Statuses(r.ByStatus), faults.Statuses(r.Outage), r.FirstOK.Round(time.Millisecond), r.AllOK.Round(time.Millisecond),
			r.Acked, r.Lost, r.OnlyUnavailable(), r.Recovered(), r.NoneLost())
		for _, s := range r.Samples {
			fmt.Fprintln(os.Stderr, "  unexpected:", s)
		}
		for _, s := range r.LostDetails {
			fmt.Fprintln(os.Stderr, "  lost:", s)
		}
		results = append(results, r)
	}
	m := faults.Machine{
		Date: start, Runtime: time.Since(start), CPU: cpuModel(), Cores: runtime.NumCPU(), Load: loadReport(),
		Go: runtime.Version() + " " + runtime.GOOS + "/" + runtime.GOARCH, Servers: env.versions(), Modules: modules(),
		Options: opts, Failures: failures,
	}
	section := faults.Markdown(m, results)
	if *out == "" {
		fmt.Print(section)
	} else if err := faults.WriteSection(*out, section); err != nil {
		return err
	}
	if len(failures) > 0 {
		return fmt.Errorf("%d scenario(s) could not run: %s", len(failures), strings.Join(failures, "; "))
	}
	return nil
}

// servers starts the private servers on first use and stops them at exit.
type servers struct {
	dir   string
	redis *faults.Redis
	pg    *faults.Postgres
}

func (s *servers) run(name string, o faults.Options) (*faults.Result, error) {
	var sc faults.Scenario
	var done func()
	var err error
	switch name {
	case "redis-term", "redis-kill":
		if err := s.startRedis(); err != nil {
			return nil, err
		}
		sig := map[string]syscall.Signal{"redis-term": syscall.SIGTERM, "redis-kill": syscall.SIGKILL}[name]
		sc, done, err = faults.RedisScenario(s.redis, sig, "bulwark-faults:"+name+":")
	case "pg-immediate", "pg-fast":
		if err := s.startPostgres(); err != nil {
			return nil, err
		}
		mode := strings.TrimPrefix(name, "pg-")
		sc, done, err = faults.PostgresScenario(s.pg, mode, "sessions_"+mode)
	case "sqlite-kill9":
		sc, done, err = s.sqlite()
	default:
		return nil, fmt.Errorf("unknown scenario %q: use redis-term, redis-kill, pg-immediate, pg-fast or sqlite-kill9", name)
	}
	if err != nil {
		return nil, err
	}
	defer done()
	return faults.Run(sc, o)
}

func (s *servers) startRedis() error {
	if s.redis != nil {
		return nil
	}
	r := &faults.Redis{Bin: *redisBin, Port: *redisPort, Dir: filepath.Join(s.dir, "redis")}
	if err := os.MkdirAll(r.Dir, 0o755); err != nil {
		return err
	}
	if err := r.Start(); err != nil {
		return err
	}
	s.redis = r
	atExit(func() { _ = r.Stop(syscall.SIGKILL) })
	return waitFor("Redis", r.Ping)
}

func (s *servers) startPostgres() error {
	if s.pg != nil {
		return nil
	}
	bin := *pgBin
	if bin == "" {
		dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
		if len(dirs) == 0 {
			return fmt.Errorf("no /usr/lib/postgresql/*/bin: install postgresql or pass -pg-bin")
		}
		bin = dirs[len(dirs)-1]
	}
	p := &faults.Postgres{BinDir: bin, Port: *pgPort, Dir: filepath.Join(s.dir, "pg")}
	if err := p.Init(); err != nil {
		return err
	}
	s.pg = p
	atExit(func() {
		if p.Running() {
			_ = p.Stop("immediate")
		}
	})
	if err := p.Start(); err != nil {
		return err
	}
	return waitFor("PostgreSQL", p.Ready)
}

func (s *servers) sqlite() (faults.Scenario, func(), error) {
	exe, err := os.Executable()
	if err != nil {
		return faults.Scenario{}, nil, err
	}
	d := filepath.Join(s.dir, "sqlite")
	if err := os.MkdirAll(d, 0o755); err != nil {
		return faults.Scenario{}, nil, err
	}
	log, err := os.Create(filepath.Join(d, "app.log"))
	if err != nil {
		return faults.Scenario{}, nil, err
	}
	c := &faults.Child{
		DB:      filepath.Join(d, "sessions.db"),
		Log:     log,
		Command: func(db string) *exec.Cmd { return exec.Command(exe, "-serve", db) },
	}
	atExit(func() { _ = c.Kill(); log.Close() })
	return faults.SQLiteScenario(c)
}

func (s *servers) versions() []string {
	var v []string
	if s.redis != nil {
		v = append(v, s.redis.Version())
	}
	if s.pg != nil {
		v = append(v, s.pg.Version())
	}
	return v
}

func waitFor(name string, ready func() bool) error {
	deadline := time.Now().Add(60 * time.Second)
	for !ready() {
		if time.Now().After(deadline) {
			return fmt.Errorf("%s did not come up within 60 s", name)
		}
		time.Sleep(10 * time.Millisecond)
	}
	return nil
}

func loadReport() string {
	after := "unknown"
	if data, err := os.ReadFile("/proc/loadavg"); err == nil {
		after = strings.Join(strings.Fields(string(data))[:3], " ")
	}
	if *loadAvg == "" {
		return "after: " + after
	}
	return "before: " + *loadAvg + "; after: " + after
}

func cpuModel() string {
	data, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return runtime.GOARCH
	}
	for _, line := range strings.Split(string(data), "\n") {
		if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return runtime.GOARCH
}

// modules lists the driver versions this binary was built with.
func modules() []string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return nil
	}
	var out []string
	for _, d := range bi.Deps {
		switch d.Path {
		case "github.com/redis/go-redis/v9", "github.com/jackc/pgx/v5", "modernc.org/sqlite":
			out = append(out, d.Path+" "+d.Version)
		}
	}
	return out
}
