package auth

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"testing"
)

func TestAuthenticateBusy(t *testing.T) {
	h, err := HashPassword("dummy password", testParams)
	if err != nil {
		t.Fatal(err)
	}
	d, _ := parsePHC(h)
	a := &Accounts{params: testParams, sem: make(chan struct{}, 1), dummy: d, log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	a.sem <- struct{}{} // the only slot is taken
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	// An invalid username never reaches the (nil) store, only the hasher.
	if _, err := a.Authenticate(ctx, "not valid", "some password"); !errors.Is(err, ErrBusy) {
		t.Fatalf("err = %v, want ErrBusy", err)
	}
	a.release()
	if _, err := a.Authenticate(context.Background(), "not valid", "some password"); err != ErrInvalidCredentials {
		t.Fatalf("with a free slot: err = %v, want ErrInvalidCredentials", err)
	}
}
