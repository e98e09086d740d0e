// exempt.go holds layer 1, the exemptions: Exempt-wrapped handlers and
// Config.ExemptPaths, matched the way http.ServeMux routes.

package csrf

import (
	"context"
	"fmt"
	"net/http"
	"path"
	"sync/atomic"
)

// Exempt marks h as exempt from CSRF checks, for endpoints that other
// sites or non-browser clients must reach (webhooks, a WebSocket for native
// clients). The Protector decides before any handler runs, so it must be
// able to see h: it looks through *http.ServeMux routing, Bulwark's own
// middlewares (session, auth, another Protector) and any Forwarder, up to
// eight levels. That covers mux.Handle("POST /webhook", csrf.Exempt(h))
// under p.Handler(mux), the Protector installed after routing (chi's
// r.With or r.Group, gorilla/mux's r.Use, adapters/gin), and
// csrf.Exempt(p.Handler(h)) around a protected handler. A router or
// middleware it cannot look into (chi's root r.Use, echo's
// WrapMiddleware, http.StripPrefix) hides Exempt: the request is checked
// like any other, and the Protector logs one WARN naming what hid it.
// Config.ExemptPaths, which the Protector matches itself, always works.
func Exempt(h http.Handler) http.Handler {
	exemptUsed.Store(true)
	return exemptHandler{h}
}

// exemptUsed records that Exempt has been called in this process. Until it
// has, no handler is Exempt and no context carries the mark, so a Protector
// without ExemptPaths need not look: looking routes every unsafe request
// through the app's ServeMux a second time, about 110 ns (measured in
// bench/, whole app, valid POST).
var exemptUsed atomic.Bool

type exemptHandler struct{ h http.Handler }

type exemptKey struct{}

// ServeHTTP marks the request as exempt for a Protector further in, unless
// a Protector further out has already seen it. A request that Protector
// checked reached it through something that hid it: that is logged, once.
func (e exemptHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if st := fromContext(r); st != nil {
		if st.checked {
			st.p.warnHidden(r, "csrf: a request reached an Exempt handler that the Protector in front could not see, so it was checked like any other (and refused if it came from another site); a router or middleware between them hides it")
		}
	} else if r.Context().Value(exemptKey{}) == nil {
		r = r.WithContext(context.WithValue(r.Context(), exemptKey{}, true))
	}
	e.h.ServeHTTP(w, r)
}

// Forwarder is implemented by a handler that passes requests on to another
// handler (a router or a middleware) to let a Protector in front of it
// find an Exempt handler behind it. Bulwark's middlewares implement it;
// *http.ServeMux needs not (the Protector asks its Handler method).
type Forwarder interface {
	// NextHandler returns the handler r will be passed to, or nil when
	// that is not known before serving r.
	NextHandler(r *http.Request) http.Handler
}

// router is implemented by *http.ServeMux: the Protector asks it which
// handler a request will reach, to honour Exempt on routed handlers.
type router interface {
	Handler(r *http.Request) (h http.Handler, pattern string)
}

// maxForwards is how many routers and middlewares the Protector looks
// through for an Exempt handler.
const maxForwards = 8

// isExempt reports whether r skips the checks: an outer Exempt marked the
// context, r matches Config.ExemptPaths (as ServeMux would route it, so a
// redirecting path does not match), or next — or the handler that next
// routes or forwards r to, up to maxForwards levels — is an Exempt
// handler.
func (p *Protector) isExempt(r *http.Request, next http.Handler) bool {
	if p.exemptMux == nil && !exemptUsed.Load() { // see exemptUsed
		return false
	}
	if r.Context().Value(exemptKey{}) != nil {
		return true
	}
	// Stricter than ServeMux: a path with dot segments in any spelling
	// ("%2e%2e", which ServeMux does not clean) or doubled slashes is never
	// exempt, whichever handler it would reach.
	if r.Method == http.MethodConnect || !isCleanPath(r.URL.Path) {
		return false
	}
	if p.exemptMux != nil {
		if h, _ := p.exemptMux.Handler(r); h == exemptPath {
			return true
		}
	}
	exempt, _ := exemptBehind(r, next)
	return exempt
}

// exemptBehind reports whether h, or the handler it routes or forwards r
// to, is an Exempt handler; if not, it returns the last handler it saw.
func exemptBehind(r *http.Request, h http.Handler) (bool, http.Handler) {
	for range maxForwards {
		var next http.Handler
		switch x := h.(type) {
		case exemptHandler:
			return true, nil
		case router:
			next, _ = x.Handler(r)
		case Forwarder:
			next = x.NextHandler(r)
		}
		if next == nil {
			return false, h
		}
		h = next
	}
	return false, h
}

// isCleanPath reports whether p is rooted and free of "." and ".."
// segments and empty segments (a trailing slash is fine).
func isCleanPath(p string) bool {
	if p == "" || p[0] != '/' {
		return false
	}
	c := path.Clean(p)
	return c == p || (c != "/" && len(p) == len(c)+1 && p[len(p)-1] == '/' && p[:len(c)] == c)
}

// exemptPath is what the private mux of Config.ExemptPaths routes matches
// to. It is a pointer to a non-zero-size value, so that it compares equal
// only to itself.
var exemptPath http.Handler = &exemptMarker{}

type exemptMarker struct{ _ byte }

func (*exemptMarker) ServeHTTP(http.ResponseWriter, *http.Request) {}

// setExemptions registers Config.ExemptPaths on a private ServeMux, turning
// its panic on a bad or conflicting pattern into an error.
func (p *Protector) setExemptions(cfg Config) (err error) {
	if len(cfg.ExemptPaths) == 0 {
		return nil
	}
	p.exemptMux = http.NewServeMux()
	var pattern string
	defer func() {
		if v := recover(); v != nil {
			err = fmt.Errorf("csrf: ExemptPaths pattern %q: %v", pattern, v)
		}
	}()
	for _, pattern = range cfg.ExemptPaths {
		p.exemptMux.Handle(pattern, exemptPath)
	}
	return nil
}
