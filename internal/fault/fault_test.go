package fault

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"
)

func TestClientGone(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	if ClientGone(ctx) {
		t.Fatal("a live context counts as gone")
	}
	cancel()
	if !ClientGone(ctx) {
		t.Fatal("a canceled context does not count as gone")
	}
	timed, stop := context.WithDeadline(context.Background(), time.Unix(1, 0))
	defer stop()
	if ClientGone(timed) {
		t.Fatal("a deadline that passed counts as the client going away: it is the server's timeout")
	}
}

func TestLogged(t *testing.T) {
	base := errors.New("store down")
	err := fmt.Errorf("op: %w", Logged(fmt.Errorf("load: %w", base)))
	if !WasLogged(err) || !errors.Is(err, base) {
		t.Fatalf("WasLogged=%v Is=%v for %v", WasLogged(err), errors.Is(err, base), err)
	}
	if err.Error() != "op: load: store down" {
		t.Fatalf("message changed: %q", err)
	}
	if WasLogged(base) || WasLogged(nil) || Logged(nil) != nil {
		t.Fatal("unmarked errors count as logged")
	}
}

func TestAbandoned(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if !Abandoned(ctx, time.Now()) {
		t.Fatal("a quick call whose client left is not abandoned")
	}
	if Abandoned(ctx, time.Now().Add(-SlowCall)) {
		t.Fatal("a call that ran for SlowCall before its client left counts as abandoned: it points at the store")
	}
	if Abandoned(context.Background(), time.Now()) {
		t.Fatal("a call whose client stayed counts as abandoned")
	}
}
