// Package closenotify gives the response writers of csrf and session the
// deprecated but still used http.CloseNotifier method (gin's c.Stream calls
// it on every write and panics without it). It is shared by csrf and
// session and imports only the standard library.
package closenotify

import (
	"context"
	"net/http"
	"sync"
)

// Notifier gives one response's writer its CloseNotify channel: the same
// channel on every call, as net/http's own writers do, so that a handler
// asking on every write (gin's c.Stream does) costs nothing more. The zero
// value is ready to use.
type Notifier struct {
	once sync.Once
	ch   <-chan bool
}

// Channel returns Channel(w, ctx), made on the first call.
func (n *Notifier) Channel(w http.ResponseWriter, ctx context.Context) <-chan bool {
	n.once.Do(func() { n.ch = Channel(w, ctx) })
	return n.ch
}

// Channel returns the CloseNotify channel of w, or of the first writer
// under it (following Unwrap, as http.ResponseController does) that has
// one. net/http's own writers always do. When none does, the channel
// receives true once ctx, the request's context, is done: net/http cancels
// it when the client's connection closes or the handler returns.
func Channel(w http.ResponseWriter, ctx context.Context) <-chan bool {
	for w != nil {
		if cn, ok := w.(http.CloseNotifier); ok {
			return cn.CloseNotify()
		}
		u, ok := w.(interface{ Unwrap() http.ResponseWriter })
		if !ok {
			break
		}
		w = u.Unwrap()
	}
	ch := make(chan bool, 1)
	context.AfterFunc(ctx, func() { ch <- true })
	return ch
}
