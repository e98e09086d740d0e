// This file builds the scenarios: the app on each store, wired to the
// fault that breaks it.

package faults

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/redis/go-redis/v9"

	"github.com/bulwark-go/bulwark/session"
	"github.com/bulwark-go/bulwark/session/pgstore"
	"github.com/bulwark-go/bulwark/session/redisstore"
	"github.com/bulwark-go/bulwark/session/sqlitestore"
)

// serveApp serves the app on st on a loopback port in this process.
func serveApp(st session.Store, log *slog.Logger) (base string, stop func(), err error) {
	h, err := NewApp(st, log)
	if err != nil {
		return "", nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	return "http://" + ln.Addr().String(), func() { _ = srv.Close() }, nil
}

// RedisScenario serves the app on a redisstore using r (started) with
// go-redis's default options (plus the ContextTimeoutEnabled the store
// requires), and breaks r with sig.
func RedisScenario(r *Redis, sig syscall.Signal, prefix string) (Scenario, func(), error) {
	client := redis.NewClient(&redis.Options{Addr: r.Addr(), ContextTimeoutEnabled: true})
	st, err := redisstore.New(redisstore.Config{Client: client, Prefix: prefix})
	if err != nil {
		client.Close()
		return Scenario{}, nil, err
	}
	tally := NewTally()
	redis.SetLogger(tally) // go-redis logs each failed dial; count them with the app's lines
	base, stop, err := serveApp(st, slog.New(tally))
	if err != nil {
		client.Close()
		return Scenario{}, nil, err
	}
	how := "SIGTERM (clean shutdown)"
	if sig == syscall.SIGKILL {
		how = "SIGKILL (crash)"
	}
	return Scenario{
		Name:    "Redis, " + strings.Fields(how)[0],
		Fault:   "redis-server (appendonly yes, appendfsync always) stopped with " + how + " and started again on the same directory",
		Base:    func() string { return base },
		Break:   func() error { return r.Stop(sig) },
		Restore: r.Start,
		Ready:   r.Ping,
		Tally:   tally,
		Note: "go-redis retries a failed command with backoff (MaxRetries 3), which sets the time to a 503; once PoolSize dials " +
			"have failed its pool stops dialling and returns the last dial error at once, and a background probe redials once " +
			"a second (internal/pool/pool.go, tryDial), so the first 200 after Redis is back may take up to about a second.",
	}, func() { stop(); client.Close() }, nil
}

// PostgresScenario serves the app on a pgstore (table) using p (started)
// through a pgxpool with default settings, and stops p with pg_ctl's mode.
func PostgresScenario(p *Postgres, mode, table string) (Scenario, func(), error) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	pool, err := pgxpool.New(ctx, p.DSN())
	if err != nil {
		return Scenario{}, nil, err
	}
	st, err := pgstore.New(ctx, pool, pgstore.Config{Table: table})
	if err != nil {
		pool.Close()
		return Scenario{}, nil, err
	}
	tally := NewTally()
	base, stop, err := serveApp(st, slog.New(tally))
	if err != nil {
		st.Close()
		pool.Close()
		return Scenario{}, nil, err
	}
	how := map[string]string{"immediate": "immediate (crash-like: no checkpoint, WAL recovery on start)", "fast": "fast (clean: sessions ended, checkpoint)"}[mode]
	return Scenario{
		Name:    "PostgreSQL, " + mode,
		Fault:   "PostgreSQL (fsync on, synchronous_commit on) stopped with pg_ctl stop -m " + how + ", then pg_ctl start",
		Base:    func() string { return base },
		Break:   func() error { return p.Stop(mode) },
		Restore: p.Start,
		Ready:   p.Ready,
		Tally:   tally,
		Note: "pgxpool dials a new connection for each acquire while the pool is empty, with no backoff, so each 503 " +
			"comes as soon as the dial is refused; a pooled connection the restart broke is pinged first only if it sat idle over a second, so under load it fails one query (a 503) and is dropped.",
	}, func() { stop(); st.Close(); pool.Close() }, nil
}

// Child is the app serving a SQLite file in a child process.
type Child struct {
	// Command returns the command that runs ServeSQLite on db.
	Command func(db string) *exec.Cmd
	DB      string
	Log     io.Writer // the child's stderr; nil discards it

	proc  *process
	base  atomic.Pointer[string]
	ready atomic.Bool
}

// Start starts the child; Ready turns true once it listens.
func (c *Child) Start() error {
	c.ready.Store(false)
	cmd := c.Command(c.DB)
	r, w, err := os.Pipe()
	if err != nil {
		return err
	}
	cmd.Stdout, cmd.Stderr = w, c.Log
	p, err := startProcess(cmd)
	w.Close()
	if err != nil {
		r.Close()
		return fmt.Errorf("start the app: %w", err)
	}
	c.proc = p
	go func() {
		defer r.Close()
		sc := bufio.NewScanner(r)
		if sc.Scan() {
			if addr, ok := strings.CutPrefix(sc.Text(), "listening "); ok {
				c.base.Store(&addr)
				c.ready.Store(true)
			}
		}
		_, _ = io.Copy(io.Discard, r)
	}()
	return nil
}

// Ready reports whether the child listens.
func (c *Child) Ready() bool { return c.ready.Load() }

// Base is the child's current base URL.
func (c *Child) Base() string { return *c.base.Load() }

// Kill kills the child with SIGKILL and waits for it.
func (c *Child) Kill() error {
	c.ready.Store(false)
	if c.proc == nil {
		return nil
	}
	defer func() { c.proc = nil }()
	return c.proc.signal(syscall.SIGKILL, 10*time.Second)
}

// SQLiteScenario runs the app in c (not started), kills it with SIGKILL
// mid-load, checks the file, and starts it again on the same file.
func SQLiteScenario(c *Child) (Scenario, func(), error) {
	if err := c.Start(); err != nil {
		return Scenario{}, nil, err
	}
	if err := poll(30*time.Second, c.Ready); err != nil {
		_ = c.Kill()
		return Scenario{}, nil, fmt.Errorf("the app on SQLite did not start: %w", err)
	}
	return Scenario{
		Name:      "SQLite, kill -9",
		Fault:     "the app process (sqlitestore: WAL, synchronous=NORMAL) killed with SIGKILL, the file checked, the app started again on it",
		Base:      c.Base,
		Break:     c.Kill,
		Check:     func() (string, error) { return IntegrityCheck(c.DB) },
		Restore:   c.Start,
		Ready:     c.Ready,
		AppKilled: true,
	}, func() { _ = c.Kill() }, nil
}

// ServeSQLite is the child's side: it serves the app on the SQLite file
// at path on a loopback port, writes "listening http://host:port" to
// stdout, and serves until killed.
func ServeSQLite(path string, stdout io.Writer, log *slog.Logger) error {
	st, err := sqlitestore.New(context.Background(), sqlitestore.Config{Path: path, Logger: log})
	if err != nil {
		return err
	}
	h, err := NewApp(st, log)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	if _, err := fmt.Fprintf(stdout, "listening http://%s\n", ln.Addr()); err != nil {
		return err
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	return srv.Serve(ln)
}

// IntegrityCheck opens the SQLite file as the store does (recovering its
// WAL) and returns PRAGMA integrity_check's answer, "ok" when sound.
func IntegrityCheck(path string) (string, error) {
	db, err := sqlitestore.Open(path)
	if err != nil {
		return "", err
	}
	defer db.Close()
	rows, err := db.Query("PRAGMA integrity_check")
	if err != nil {
		return "", err
	}
	defer rows.Close()
	var lines []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return "", err
		}
		lines = append(lines, s)
	}
	return strings.Join(lines, "; "), rows.Err()
}

func listenLoopback() (net.Listener, error) { return net.Listen("tcp", "127.0.0.1:0") }
