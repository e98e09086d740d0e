// This file holds the private servers the scenarios break: a redis-server
// and a PostgreSQL cluster started here, on their own ports and temporary
// directories, never the shared ones.

package faults

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
)

// portFree fails if something already listens on 127.0.0.1:port: a
// scenario must never restart a server it did not start.
func portFree(port int) error {
	c, err := net.DialTimeout("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)), 200*time.Millisecond)
	if err == nil {
		c.Close()
		return fmt.Errorf("port %d is in use: pick another (a scenario restarts only the server it started)", port)
	}
	return nil
}

// process is a child process and its exit.
type process struct {
	cmd  *exec.Cmd
	done chan error
}

func startProcess(cmd *exec.Cmd) (*process, error) {
	// The child dies with us, even if we are killed before cleaning up.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	p := &process{cmd: cmd, done: make(chan error, 1)}
	go func() { p.done <- cmd.Wait() }()
	return p, nil
}

// signal sends sig and waits for the exit.
func (p *process) signal(sig syscall.Signal, timeout time.Duration) error {
	if err := p.cmd.Process.Signal(sig); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return err
	}
	select {
	case <-p.done:
		return nil
	case <-time.After(timeout):
		_ = p.cmd.Process.Kill()
		<-p.done
		return fmt.Errorf("%s did not exit within %v of %v: killed", p.cmd.Path, timeout, sig)
	}
}

// Redis is a private redis-server with an append-only file fsynced on
// every write.
type Redis struct {
	Bin  string // redis-server
	Port int
	Dir  string // its data directory, kept across restarts
	proc *process
}

// Addr is the server's host:port.
func (r *Redis) Addr() string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(r.Port)) }

// Start starts the server (on the same directory after a stop).
func (r *Redis) Start() error {
	if err := portFree(r.Port); err != nil {
		return err
	}
	cmd := exec.Command(r.Bin, "--port", strconv.Itoa(r.Port), "--bind", "127.0.0.1",
		"--dir", r.Dir, "--appendonly", "yes", "--appendfsync", "always", "--save", "",
		"--daemonize", "no", "--pidfile", filepath.Join(r.Dir, "redis.pid"),
		"--logfile", filepath.Join(r.Dir, "redis.log"))
	p, err := startProcess(cmd)
	if err != nil {
		return fmt.Errorf("start %s: %w", r.Bin, err)
	}
	r.proc = p
	return nil
}

// Stop sends sig (SIGTERM: a clean shutdown; SIGKILL: a crash) and waits
// for the exit.
func (r *Redis) Stop(sig syscall.Signal) error {
	if r.proc == nil {
		return nil
	}
	defer func() { r.proc = nil }()
	return r.proc.signal(sig, 30*time.Second)
}

// Ping reports whether the server answers PING with PONG (not LOADING).
func (r *Redis) Ping() bool {
	c, err := net.DialTimeout("tcp", r.Addr(), 200*time.Millisecond)
	if err != nil {
		return false
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(500 * time.Millisecond))
	if _, err := c.Write([]byte("PING\r\n")); err != nil {
		return false
	}
	line, err := bufio.NewReader(c).ReadString('\n')
	return err == nil && strings.HasPrefix(line, "+PONG")
}

// Version is the server's version line.
func (r *Redis) Version() string { return firstLine(exec.Command(r.Bin, "--version")) }

// Postgres is a private PostgreSQL cluster made with initdb, with the
// default durability settings (fsync on, synchronous_commit on).
type Postgres struct {
	BinDir string // holding initdb, pg_ctl, postgres
	Port   int
	Dir    string // created here; the data directory is Dir/data
}

// DSN is the URL the app connects with.
func (p *Postgres) DSN() string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable&connect_timeout=2", p.Port)
}

// asPostgres runs a server binary as the postgres user when we are root
// (PostgreSQL refuses to run as root).
func (p *Postgres) asPostgres(bin string, args ...string) *exec.Cmd {
	path := filepath.Join(p.BinDir, bin)
	if os.Geteuid() == 0 {
		return exec.Command("runuser", append([]string{"-u", "postgres", "--", path}, args...)...)
	}
	return exec.Command(path, args...)
}

// Init creates the cluster.
func (p *Postgres) Init() error {
	if err := portFree(p.Port); err != nil {
		return err
	}
	if err := os.MkdirAll(p.Dir, 0o700); err != nil {
		return err
	}
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			return fmt.Errorf("the postgres user is needed to run PostgreSQL as root: %w", err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		if err := os.Chown(p.Dir, uid, gid); err != nil {
			return err
		}
	}
	return run(p.asPostgres("initdb", "-D", filepath.Join(p.Dir, "data"), "-U", "postgres", "-A", "trust", "-E", "UTF8"))
}

// Start starts the server and waits until pg_ctl sees it ready.
func (p *Postgres) Start() error {
	opts := fmt.Sprintf("-p %d -c listen_addresses=127.0.0.1 -c unix_socket_directories=%s", p.Port, p.Dir)
	return run(p.asPostgres("pg_ctl", "-D", filepath.Join(p.Dir, "data"), "-l", filepath.Join(p.Dir, "postgres.log"),
		"-w", "-t", "60", "-o", opts, "start"))
}

// Stop stops the server with pg_ctl's mode: "immediate" (no checkpoint,
// crash recovery on start) or "fast".
func (p *Postgres) Stop(mode string) error {
	return run(p.asPostgres("pg_ctl", "-D", filepath.Join(p.Dir, "data"), "-m", mode, "-w", "-t", "60", "stop"))
}

// Running reports whether the cluster's postmaster is up (for clean-up).
func (p *Postgres) Running() bool {
	_, err := os.Stat(filepath.Join(p.Dir, "data", "postmaster.pid"))
	return err == nil
}

// Ready reports whether the server answers a query.
func (p *Postgres) Ready() bool {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	c, err := pgx.Connect(ctx, p.DSN())
	if err != nil {
		return false
	}
	defer c.Close(ctx)
	var one int
	return c.QueryRow(ctx, "SELECT 1").Scan(&one) == nil
}

// Version is the server's version line.
func (p *Postgres) Version() string {
	return firstLine(exec.Command(filepath.Join(p.BinDir, "postgres"), "--version"))
}

func run(cmd *exec.Cmd) error {
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("%s: %w\n%s", strings.Join(cmd.Args, " "), err, out)
	}
	return nil
}

func firstLine(cmd *exec.Cmd) string {
	out, err := cmd.Output()
	if err != nil {
		return "unknown (" + err.Error() + ")"
	}
	line, _, _ := strings.Cut(strings.TrimSpace(string(out)), "\n")
	return line
}
