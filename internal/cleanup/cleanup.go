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

// BatchSize is how many expired rows one delete statement of a store's
// cleanup removes. Deleting a million expired rows in one statement held
// SQLite's write lock for 16 s, stalling every commit.
const BatchSize = 1000

// Batches calls deleteBatch, which deletes at most BatchSize rows, until it
// deletes fewer (nothing is left), fails, or ctx ends, and returns how
// many rows it deleted in all. Between batches other statements run.
func Batches(ctx context.Context, deleteBatch func(context.Context) (int64, error)) (int64, error) {
	var total int64
	for {
		n, err := deleteBatch(ctx)
		total += n
		if err != nil || n < BatchSize {
			return total, err
		}
		if err := ctx.Err(); err != nil {
			return total, err
		}
	}
}
