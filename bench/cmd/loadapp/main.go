// Command loadapp is the small server scripts/load puts under wrk to
// compare Bulwark's session stores over real HTTP: a session.Manager on one
// store and two routes, one that only reads the session and one that
// writes it. It measures session read versus write cost, not CSRF: there is
// no csrf middleware and no login.
//
// Routes:
//
//	GET  /read   200 with the session's counter; 404 when the request has no session
//	POST /write  increments the counter (starting a session if there is none), 200 with its new value
//
// Usage:
//
//	loadapp -store memory|sqlite|redis|cluster|postgres -addr 127.0.0.1:18090
//
// The servers come from BULWARK_REDIS_ADDR (default 127.0.0.1:6379),
// BULWARK_REDIS_CLUSTER (default 127.0.0.1:7001,127.0.0.1:7002,127.0.0.1:7003)
// and BULWARK_PG_DSN (default postgres://postgres@127.0.0.1:5432/test?sslmode=disable).
// Every run writes only under its own Redis key prefix, PostgreSQL schema or
// SQLite file, and removes them when it stops (SIGINT or SIGTERM).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/bulwark-go/bulwark/session"
)

func main() {
	store := flag.String("store", "memory", "session store: "+storeNames)
	addr := flag.String("addr", "127.0.0.1:18090", "listen address")
	flag.Parse()
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	if err := run(*store, *addr, EnvFromOS(), logger); err != nil {
		fmt.Fprintln(os.Stderr, "loadapp:", err)
		os.Exit(1)
	}
}

func run(storeName, addr string, env Env, logger *slog.Logger) error {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	st, cleanup, err := OpenStore(ctx, storeName, env)
	if err != nil {
		return err
	}
	defer cleanup()
	m, err := session.New(session.Config{Store: st, Logger: logger})
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: Handler(m), ReadHeaderTimeout: 10 * time.Second}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	fmt.Printf("loadapp: %s store, listening on http://%s\n", storeName, ln.Addr())
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
