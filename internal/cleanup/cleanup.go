// Package cleanup runs a store's periodic deletion of expired rows. It is
// shared by the SQLite and PostgreSQL session stores and imports only the
// standard library.
package cleanup

import (
	"context"
	"log/slog"
	"time"
)

// Loop calls fn every interval until ctx is cancelled, then returns. A
// negative interval returns at once (cleanup disabled). A failure of fn is
// logged as one WARN line (msg is the store's name, e.g. "pgstore: cleanup
// failed") unless ctx was cancelled meanwhile; the loop goes on.
func Loop(ctx context.Context, every time.Duration, log *slog.Logger, msg string, fn func(context.Context) (int64, error)) {
	if every < 0 {
		return
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if _, err := fn(ctx); err != nil && ctx.Err() == nil {
				log.Warn(msg, "reason", err.Error())
			}
		}
	}
}

// Batches calls deleteBatch, which deletes at most size rows, until it
// deletes fewer (nothing is left), fails, or ctx ends, and returns how
// many rows it deleted in all. Between batches other statements run: a
// store deletes a million expired rows in many short statements, not in
// one that holds its locks for seconds.
func Batches(ctx context.Context, size int64, deleteBatch func(context.Context) (int64, error)) (int64, error) {
	var total int64
	for {
		n, err := deleteBatch(ctx)
		total += n
		if err != nil || n < size {
			return total, err
		}
		if err := ctx.Err(); err != nil {
			return total, err
		}
	}
}
