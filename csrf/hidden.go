// hidden.go holds the one warning about an Exempt handler the Protector
// cannot see: a router or middleware between them that it cannot look
// into (see Exempt) makes the exemption silently ineffective otherwise.

package csrf

import (
	"log/slog"
	"net/http"
	"reflect"
	"runtime"
	"strings"
)

// blindRouters are the packages of routers the Protector cannot look into
// when it sits in front of their routing (their handlers are not a
// ServeMux or a Forwarder). Reaching one of them while Exempt is in use is
// worth a warning; reaching a plain handler is not, since most handlers
// are just what they seem.
var blindRouters = []string{
	"github.com/go-chi/chi",
	"github.com/gorilla/mux",
	"github.com/labstack/echo",
	"github.com/gin-gonic/gin",
	"github.com/julienschmidt/httprouter",
}

// warnIfBlind logs, once per Protector, that the search for an Exempt
// handler for r stopped at last, a router the Protector cannot look into.
// isExempt calls it only once Exempt is in use.
func (p *Protector) warnIfBlind(r *http.Request, last http.Handler) {
	if last == nil || p.hiddenLogged.Load() {
		return
	}
	name := handlerName(last)
	for _, pkg := range blindRouters {
		if strings.HasPrefix(name, pkg) {
			p.warnHidden(r, "csrf: Exempt is in use, but this Protector sits in front of a router it cannot look into, so an Exempt handler behind that router is checked like any other request",
				slog.String("router", name))
			return
		}
	}
}

// warnHidden logs msg, with the way that always works, once per Protector.
func (p *Protector) warnHidden(r *http.Request, msg string, attrs ...slog.Attr) {
	if !p.hiddenLogged.CompareAndSwap(false, true) {
		return
	}
	attrs = append(attrs, slog.String("method", r.Method), slog.String("path", r.URL.Path),
		slog.String("fix", "list exempt routes in Config.ExemptPaths (the Protector matches them itself), or install the Protector after routing (chi: r.With or r.Group; gorilla/mux: r.Use; gin: adapters/gin)"))
	p.logger.LogAttrs(r.Context(), slog.LevelWarn, msg+" (logged once)", attrs...)
}

// handlerName names h for the warning: a function's full name, or a
// type's package path and name.
func handlerName(h http.Handler) string {
	v := reflect.ValueOf(h)
	if v.Kind() == reflect.Func {
		if f := runtime.FuncForPC(v.Pointer()); f != nil {
			return f.Name()
		}
		return ""
	}
	t := v.Type()
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return t.PkgPath() + "." + t.Name()
}
