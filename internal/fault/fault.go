// Package fault tells csrf, session and auth how to report a request that
// a store call failed: once, by the package that saw the fault first, and
// not as a fault at all when the client went away.
//
// A client that closes its tab or connection mid-request cancels the
// request's context, and the store call made with it fails. That says
// nothing about the store (unless the call had been slow, see SlowCall),
// so it is logged at Debug, never counted as a store failure, and
// answered with StatusClientGone instead of a 503.
//
// It imports only the standard library.
package fault

import (
	"context"
	"errors"
	"time"
)

// StatusClientGone is the status a request abandoned because its client
// went away is answered with: nginx's 499 "Client Closed Request". No
// client reads it, but access logs record it apart from real 503s.
const StatusClientGone = 499

// ClientGone reports whether the client of the request whose context is
// ctx went away: the context was canceled (not timed out). net/http also
// cancels it when the server gives up on a request itself (an HTTP/2
// stream reset by Server.WriteTimeout), which is why a store call is
// judged with Abandoned.
func ClientGone(ctx context.Context) bool {
	return errors.Is(ctx.Err(), context.Canceled)
}

// SlowCall is how long a store call may have run when its client went
// away and still count as abandoned rather than failed: a call that took
// longer points at the store (a client that gave up waiting for it, or a
// server timeout shorter than the store's), and is reported as a fault.
const SlowCall = time.Second

// Abandoned reports whether a store call that failed, started at start,
// failed only because its client went away: ClientGone, within SlowCall.
func Abandoned(ctx context.Context, start time.Time) bool {
	return ClientGone(ctx) && time.Since(start) < SlowCall
}

// Logged marks err as already logged, keeping its message and its chain
// for errors.Is and errors.As.
func Logged(err error) error {
	if err == nil {
		return nil
	}
	return logged{err}
}

// WasLogged reports whether err, or an error it wraps, was marked by
// Logged: the package that returned it has logged it.
func WasLogged(err error) bool {
	var l logged
	return errors.As(err, &l)
}

type logged struct{ error }

func (l logged) Unwrap() error { return l.error }
