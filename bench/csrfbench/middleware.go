package csrfbench

import (
	"fmt"
	"net/http"
)

// The middleware-only measurement isolates each library's own decision
// cost: the wrapped handler does nothing and the response goes to a
// reusable writer, so the app's form parsing and httptest's recorder do not
// dilute (or add noise to) differences of a few nanoseconds.

// noop is the app of the middleware-only measurement.
var noop = http.HandlerFunc(func(http.ResponseWriter, *http.Request) {})

// discardWriter is a ResponseWriter that keeps only the status code and
// reuses its header map.
type discardWriter struct {
	h    http.Header
	code int
}

func (d *discardWriter) Header() http.Header         { return d.h }
func (d *discardWriter) Write(p []byte) (int, error) { return len(p), nil }
func (d *discardWriter) WriteHeader(code int) {
	if d.code == 0 {
		d.code = code
	}
}

// MiddlewareScenarios are measured middleware-only.
var MiddlewareScenarios = []string{ValidPOST, CrossSite}

// MiddlewareCase is c's request against lib's middleware around a no-op
// handler.
type MiddlewareCase struct {
	c *Case
	w discardWriter
}

// NewMiddlewareCase prepares c for the middleware-only measurement and
// verifies its status (valid POST passes, cross-site POST is rejected).
func NewMiddlewareCase(lib Lib, c *Case) (*MiddlewareCase, error) {
	mc := &MiddlewareCase{c: &Case{Lib: lib, Scenario: c.Scenario, base: c.base, body: c.body}, w: discardWriter{h: http.Header{}}}
	mc.c.Handler = lib.Wrap(noop)
	if lib.Baseline && c.Scenario == CrossSite {
		mc.c.Handler = BareReject
	}
	code := mc.Serve()
	switch c.Scenario {
	case ValidPOST:
		if code != http.StatusOK {
			return nil, fmt.Errorf("%s: middleware-only valid POST answered %d", lib.Name, code)
		}
	case CrossSite:
		if code != http.StatusForbidden && code != http.StatusBadRequest {
			return nil, fmt.Errorf("%s: middleware-only cross-site POST answered %d", lib.Name, code)
		}
	}
	return mc, nil
}

// Serve runs the request once and returns the status code.
func (mc *MiddlewareCase) Serve() int {
	clear(mc.w.h)
	mc.w.code = 0
	mc.c.Handler.ServeHTTP(&mc.w, mc.c.Request())
	if mc.w.code == 0 {
		return http.StatusOK
	}
	return mc.w.code
}
