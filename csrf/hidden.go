// hidden.go holds the one warning about an Exempt handler the Protector
// cannot see: a router or middleware between them that it cannot look
// into (see Exempt) makes the exemption silently ineffective otherwise.

package csrf

import (
	"log/slog"
	"net/http"
	"path/filepath"
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
// handler behind next, for the refused request r, stopped at a router the
// Protector cannot look into. It runs only for refusals, and only once
// Exempt is in use, so no request that passes pays for the search again.
func (p *Protector) warnIfBlind(r *http.Request, next http.Handler) {
	if !exemptUsed.Load() || p.hiddenLogged.Load() {
		return
	}
	_, last := exemptBehind(r, next)
	if name, ok := blindRouter(last); ok {
		p.warnHidden(r, "csrf: Exempt is in use, but this Protector sits in front of a router it cannot look into, so an Exempt handler behind that router is checked like any other request",
			slog.String("router", name))
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

// blindRouter reports whether h comes from one of blindRouters, and
// names it. A type is known by its package; a function (such as the
// http.HandlerFunc a router's middleware chain ends in) by its name or,
// since the compiler names a closure after the function it was inlined
// into, by the source file it was written in.
func blindRouter(h http.Handler) (string, bool) {
	if h == nil {
		return "", false
	}
	v := reflect.ValueOf(h)
	var name, file string
	if v.Kind() == reflect.Func {
		f := runtime.FuncForPC(v.Pointer())
		if f == nil {
			return "", false
		}
		name = f.Name()
		file, _ = f.FileLine(f.Entry())
		file = filepath.ToSlash(file)
	} else {
		t := v.Type()
		if t.Kind() == reflect.Pointer {
			t = t.Elem()
		}
		name = t.PkgPath() + "." + t.Name()
	}
	for _, pkg := range blindRouters {
		if strings.HasPrefix(name, pkg) {
			return name, true
		}
		if strings.HasPrefix(file, pkg) || strings.Contains(file, "/"+pkg) {
			return pkg, true
		}
	}
	return "", false
}
