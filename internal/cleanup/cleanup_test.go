package cleanup

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestLoopCallsAndStops(t *testing.T) {
	var buf bytes.Buffer
	var mu sync.Mutex
	log := slog.New(slog.NewTextHandler(&lockedWriter{w: &buf, mu: &mu}, nil))
	ctx, cancel := context.WithCancel(context.Background())
	calls := make(chan struct{}, 10)
	done := make(chan struct{})
	go func() {
		defer close(done)
		Loop(ctx, time.Millisecond, log, "test: cleanup failed", func(context.Context) (int64, error) {
			select {
			case calls <- struct{}{}:
			default:
			}
			return 0, errors.New("boom")
		})
	}()
	<-calls
	<-calls
	cancel()
	<-done // Loop returned after cancel: no leaked goroutine
	mu.Lock()
	defer mu.Unlock()
	if !strings.Contains(buf.String(), "test: cleanup failed") || !strings.Contains(buf.String(), "reason=boom") {
		t.Fatalf("failure not logged: %q", buf.String())
	}
}

func TestLoopDisabled(t *testing.T) {
	Loop(context.Background(), -1, slog.Default(), "unused", func(context.Context) (int64, error) {
		t.Fatal("fn called with cleanup disabled")
		return 0, nil
	})
}

type lockedWriter struct {
	w  *bytes.Buffer
	mu *sync.Mutex
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

func TestBatchesRunUntilOneIsShort(t *testing.T) {
	const BatchSize = 100
	sizes := []int64{BatchSize, BatchSize, 7, BatchSize}
	calls := 0
	n, err := Batches(context.Background(), BatchSize, func(context.Context) (int64, error) {
		calls++
		return sizes[calls-1], nil
	})
	if err != nil || n != 2*BatchSize+7 || calls != 3 {
		t.Fatalf("n=%d err=%v after %d calls; want %d in 3 calls", n, err, calls, 2*BatchSize+7)
	}
	boom := errors.New("boom")
	calls = 0
	n, err = Batches(context.Background(), BatchSize, func(context.Context) (int64, error) {
		calls++
		if calls == 2 {
			return 0, boom
		}
		return BatchSize, nil
	})
	if !errors.Is(err, boom) || n != BatchSize || calls != 2 {
		t.Fatalf("n=%d err=%v after %d calls; want the failure to stop it", n, err, calls)
	}
	ctx, cancel := context.WithCancel(context.Background())
	calls = 0
	_, err = Batches(ctx, BatchSize, func(context.Context) (int64, error) {
		calls++
		cancel()
		return BatchSize, nil
	})
	if !errors.Is(err, context.Canceled) || calls != 1 {
		t.Fatalf("err=%v after %d calls; want a cancelled context to stop it", err, calls)
	}
}
