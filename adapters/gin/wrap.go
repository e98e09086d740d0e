// wrap.go holds Wrap, which runs a net/http middleware as gin middleware:
// the middleware's next handler continues gin's chain with the request
// and response writer the middleware passed on, and a middleware that
// does not call next stops the chain.

package bulwarkgin

import (
	"context"
	"net/http"
	"sync"

	"github.com/gin-gonic/gin"
)

// Wrap returns gin middleware that runs mw, which is called once, here.
// For each request mw gets c.Writer and c.Request; when it calls its next
// handler with w and r, the rest of gin's chain runs with c.Request set to
// r and c.Writer to a gin.ResponseWriter over w, so that everything later
// handlers write goes through mw's writer (c.Stream, Flush, Hijack and
// CloseNotify included). Both are restored when the chain returns, so
// outer gin middlewares (gin.Logger) see the status that was sent. If mw
// returns without calling next — it refused the request — Wrap calls
// c.Abort, and no later handler in gin's chain runs.
//
// mw must call next before it returns, as net/http middlewares do. One
// that runs next on another goroutine (http.TimeoutHandler) makes Wrap
// wait for that call to end; a call after Wrap returned is answered with
// 500 and never reaches gin.
func Wrap(mw func(http.Handler) http.Handler) gin.HandlerFunc {
	h := mw(passOn{})
	return func(c *gin.Context) {
		cl := &call{c: c}
		r := c.Request
		h.ServeHTTP(c.Writer, r.WithContext(context.WithValue(r.Context(), callKey{}, cl)))
		cl.mu.Lock()
		defer cl.mu.Unlock()
		cl.done = true
		if !cl.called {
			c.Abort()
		}
	}
}

// call is one run of a wrapped middleware: the gin context it continues,
// and whether its next handler was called. mu is held while gin's chain
// runs from the next handler, so that the context is never used after
// Wrap returned.
type call struct {
	c      *gin.Context
	mu     sync.Mutex
	called bool
	done   bool // Wrap's handler returned
}

type callKey struct{}

func callFrom(r *http.Request) *call {
	cl, _ := r.Context().Value(callKey{}).(*call)
	return cl
}

// passOn is the next handler every wrapped middleware gets: it runs the
// rest of gin's chain. It finds the gin context in the request's context,
// which a middleware keeps when it derives its request from the one it
// got.
type passOn struct{}

func (passOn) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	cl := callFrom(r)
	if cl == nil {
		http.Error(w, "bulwarkgin: the middleware passed on a request whose context does not derive from the one it got", http.StatusInternalServerError)
		return
	}
	cl.mu.Lock()
	defer cl.mu.Unlock()
	if cl.done {
		http.Error(w, "bulwarkgin: the middleware called its next handler after it returned", http.StatusInternalServerError)
		return
	}
	cl.called = true
	c := cl.c
	req, prev := c.Request, c.Writer
	gw, ok := w.(gin.ResponseWriter)
	if !ok {
		gw = newResponseWriter(w, r.Context())
	}
	c.Request, c.Writer = r, gw
	defer func() { c.Request, c.Writer = req, prev }()
	c.Next()
	// gin sends a status set without a body (c.Status(204)) only after the
	// whole chain, through its own writer: send it through mw's instead.
	if !gw.Written() && gw.Status() != http.StatusOK {
		gw.WriteHeaderNow()
	}
}

// NextHandler implements csrf.Forwarder, for a Protector wrapped by Wrap:
// gin has routed the request already, so an Exempt route handler is
// known before the middleware runs.
func (passOn) NextHandler(r *http.Request) http.Handler {
	if cl := callFrom(r); cl != nil && isExempt(cl.c.Handler()) {
		return exemptMark()
	}
	return nil
}
