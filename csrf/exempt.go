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

// Exempt marks h as exempt from CSRF checks. Use it either on the handler
// a ServeMux routes to (mux.Handle("POST /webhook", csrf.Exempt(h)), with
// the Protector wrapping the mux), or around a protected handler
// (csrf.Exempt(p.Handler(h))). A wrapper around Exempt (such as logging
// middleware registered on the mux) hides it from the Protector.
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
// a Protector further out has already seen it.
func (e exemptHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if fromContext(r) == nil && r.Context().Value(exemptKey{}) == nil {
		r = r.WithContext(context.WithValue(r.Context(), exemptKey{}, true))
	}
	e.h.ServeHTTP(w, r)
}

// router is implemented by *http.ServeMux: the Protector asks it which
// handler a request will reach, to honour Exempt on routed handlers.
type router interface {
	Handler(r *http.Request) (h http.Handler, pattern string)
}

// isExempt reports whether r skips the checks: an outer Exempt marked the
// context, r matches Config.ExemptPaths (as ServeMux would route it, so a
// redirecting path does not match), or next — or the handler a ServeMux
// next routes r to, up to four levels — is an Exempt handler.
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
	h := next
	for range 4 {
		switch x := h.(type) {
		case exemptHandler:
			return true
		case router:
			h, _ = x.Handler(r)
		default:
			return false
		}
	}
	return false
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
