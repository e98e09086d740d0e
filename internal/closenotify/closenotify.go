// Package closenotify gives the response writers of csrf and session the
// deprecated but still used http.CloseNotifier method (gin's c.Stream calls
// it on every write and panics without it). It is shared by csrf and
// session and imports only the standard library.
package closenotify

import (
	"context"
	"net/http"
)

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
