// Package forward gives Bulwark's middlewares a handler that says which
// handler it passes requests on to, so that a csrf.Protector in front of
// them can find a csrf.Exempt handler behind them (see csrf.Forwarder). It
// is shared by csrf, session and auth and imports only the standard
// library.
package forward

import "net/http"

// To returns a handler that serves requests with serve, which passes them
// on to next.
func To(next http.Handler, serve http.HandlerFunc) http.Handler {
	return handler{next, serve}
}

type handler struct {
	next  http.Handler
	serve http.HandlerFunc
}

func (h handler) ServeHTTP(w http.ResponseWriter, r *http.Request) { h.serve(w, r) }

// NextHandler implements csrf.Forwarder.
func (h handler) NextHandler(*http.Request) http.Handler { return h.next }
