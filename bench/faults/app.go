// Package faults drives a session app under sustained load while the
// store's server is restarted (or the app itself is killed) and accounts
// for every response and every acknowledged session write. scripts/load-faults
// runs it through bench/cmd/faults and writes the figures into
// docs/benchmarks.md.
package faults

// This file holds the app under test: a net/http server with a
// session.Manager on the store, and the log handler that tallies the
// Manager's store-fault lines.

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"sort"
	"strconv"
	"sync"

	"github.com/bulwark-go/bulwark/session"
)

const counterKey = "n"

// NewApp returns the app: POST /write?n=V stores V in the session, GET /read
// answers "n=V", or "none" for a session without a counter. A store fault
// becomes the Manager's default 503 page; the handlers never choose a
// status for one.
func NewApp(st session.Store, log *slog.Logger) (http.Handler, error) {
	m, err := session.New(session.Config{Store: st, Secure: session.SecureNever, Logger: log})
	if err != nil {
		return nil, err
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /write", func(w http.ResponseWriter, r *http.Request) {
		n, err := strconv.ParseInt(r.URL.Query().Get("n"), 10, 64)
		if err != nil {
			http.Error(w, "n: "+err.Error(), http.StatusBadRequest)
			return
		}
		m.PutInt64(r.Context(), counterKey, n)
		_, _ = io.WriteString(w, "ok")
	})
	mux.HandleFunc("GET /read", func(w http.ResponseWriter, r *http.Request) {
		n, ok := m.GetInt64(r.Context(), counterKey)
		if !ok {
			_, _ = io.WriteString(w, "none")
			return
		}
		_, _ = fmt.Fprintf(w, "n=%d", n)
	})
	return m.Handler(mux), nil
}

// Tally is a slog.Handler that counts log lines by message and reason
// instead of printing them (an outage under load logs thousands).
type Tally struct {
	mu     sync.Mutex
	counts map[string]int
}

// NewTally returns an empty Tally.
func NewTally() *Tally { return &Tally{counts: make(map[string]int)} }

// Enabled implements slog.Handler.
func (t *Tally) Enabled(context.Context, slog.Level) bool { return true }

// Handle implements slog.Handler.
func (t *Tally) Handle(_ context.Context, r slog.Record) error {
	line := r.Level.String() + " " + r.Message
	r.Attrs(func(a slog.Attr) bool {
		if a.Key == "reason" {
			line += ": " + a.Value.String()
		}
		return true
	})
	t.add(line)
	return nil
}

func (t *Tally) add(line string) {
	if len(line) > 240 {
		line = line[:240] + "…"
	}
	t.mu.Lock()
	t.counts[line]++
	t.mu.Unlock()
}

// Printf lets a Tally take go-redis's internal log lines (redis.SetLogger).
func (t *Tally) Printf(_ context.Context, format string, v ...any) {
	t.add("go-redis: " + fmt.Sprintf(format, v...))
}

// WithAttrs implements slog.Handler.
func (t *Tally) WithAttrs([]slog.Attr) slog.Handler { return t }

// WithGroup implements slog.Handler.
func (t *Tally) WithGroup(string) slog.Handler { return t }

// LogLine is one distinct log line and how often it was logged.
type LogLine struct {
	Line  string
	Count int
}

// Top returns the n most frequent lines.
func (t *Tally) Top(n int) []LogLine {
	t.mu.Lock()
	defer t.mu.Unlock()
	var out []LogLine
	for l, c := range t.counts {
		out = append(out, LogLine{l, c})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Count != out[j].Count {
			return out[i].Count > out[j].Count
		}
		return out[i].Line < out[j].Line
	})
	if len(out) > n {
		out = out[:n]
	}
	return out
}
