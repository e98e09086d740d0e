// exempt.go holds Exempt for gin routes, and how an Exempt handler is
// recognised: by the code pointer of the function Exempt returns, which
// only Exempt can produce.

package bulwarkgin

import (
	"net/http"
	"reflect"
	"sync"

	"github.com/gin-gonic/gin"

	"github.com/bulwark-go/bulwark/csrf"
)

// Exempt marks h, a route's handler, as exempt from CSRF checks, like
// csrf.Exempt does for a net/http handler: r.POST("/webhook",
// bulwarkgin.Exempt(h)). gin routes a request before its middlewares run,
// so Protect (or Wrap around a chain holding a csrf.Protector) sees that
// the matched route ends in an Exempt handler, and the Protector lets the
// request through untouched, before any handler runs. Exempt must wrap the
// route's last handler.
//
// gin.WrapH(csrf.Exempt(h)) does not work: the function gin.WrapH returns
// hides what it wraps, so the request is checked like any other (and a
// checked request that reaches it is logged, once). Write
// bulwarkgin.Exempt(gin.WrapH(h)) instead, or list the route in
// csrf.Config.ExemptPaths.
func Exempt(h gin.HandlerFunc) gin.HandlerFunc {
	f := func(c *gin.Context) { h(c) }
	exemptFuncs.LoadOrStore(reflect.ValueOf(f).Pointer(), struct{}{})
	exemptMark() // tells the csrf package that Exempt is in use
	return f
}

// exemptFuncs holds the code pointers of the functions Exempt returns.
// Every closure made from Exempt's literal shares one code pointer; the
// compiler makes a copy of the literal wherever it inlines Exempt, and
// Exempt registers each copy the first time it runs. No other function
// has such a pointer, so a handler cannot pass for Exempt by its name
// (which inlining changes anyway, see csrf/hidden.go) or by calling
// Exempt inside itself.
var exemptFuncs sync.Map // uintptr → struct{}

// isExempt reports whether h was returned by Exempt.
func isExempt(h gin.HandlerFunc) bool {
	if h == nil {
		return false
	}
	_, ok := exemptFuncs.Load(reflect.ValueOf(h).Pointer())
	return ok
}

// exemptMark is what passOn.NextHandler shows a Protector for an Exempt
// route: a csrf.Exempt handler. It is made on the first call to Exempt,
// so that an app that never calls it keeps the csrf package's fast path.
var exemptMark = sync.OnceValue(func() http.Handler { return csrf.Exempt(passOn{}) })
