package csrf

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/bulwark-go/bulwark/internal/testlog"
)

func TestExemptAsOuterWrapper(t *testing.T) {
	p := mustNew(t, Config{})
	h := Exempt(p.Handler(http.HandlerFunc(renderNothing)))
	r := newRequest("POST", "http://example.com/hook", strings.NewReader("{}"))
	r.Header.Set("Sec-Fetch-Site", "cross-site")
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	if w.Code != 200 {
		t.Fatalf("status %d", w.Code)
	}
}

// isExempt skips its lookup until Exempt has been called (exemptUsed): that
// is sound only because Exempt is the one way to make an exempt handler or
// the context mark, so calling it must record the fact.
func TestExemptRecordsUse(t *testing.T) {
	exemptUsed.Store(false)
	t.Cleanup(func() { exemptUsed.Store(true) })
	p := mustNew(t, Config{})
	mux := http.NewServeMux()
	r := newRequest("POST", "http://example.com/hook", nil)
	if p.isExempt(r, mux) || exemptUsed.Load() {
		t.Fatal("exempt before any Exempt call")
	}
	mux.Handle("/hook", Exempt(http.NotFoundHandler()))
	if !exemptUsed.Load() || !p.isExempt(r, mux) {
		t.Fatal("Exempt did not record its use, or its handler is not found")
	}
}

// forwarder is a middleware that says where it passes requests, as
// Bulwark's own do.
type forwarder struct{ next http.Handler }

func (f forwarder) ServeHTTP(w http.ResponseWriter, r *http.Request) { f.next.ServeHTTP(w, r) }
func (f forwarder) NextHandler(*http.Request) http.Handler           { return f.next }

// crossSitePost is a forged POST: no token, Sec-Fetch-Site cross-site.
func crossSitePost(target string) *http.Request {
	r := newRequest("POST", target, strings.NewReader("{}"))
	r.Header.Set("Sec-Fetch-Site", "cross-site")
	r.Header.Set("Origin", "https://evil.example")
	return r
}

// An Exempt handler is found behind Forwarders, another Protector and
// ServeMuxes, in any mix, up to maxForwards levels; beyond that, or behind
// a handler that says nothing, the request is checked.
func TestExemptBehindForwarders(t *testing.T) {
	p := mustNew(t, Config{Key: testKey, Logger: quietLogger()})
	inner := mustNew(t, Config{Key: testKey, Logger: quietLogger()})
	hook := Exempt(http.HandlerFunc(renderNothing))
	nest := func(levels int) http.Handler {
		var h http.Handler = hook
		for i := range levels {
			switch i % 3 {
			case 0:
				h = forwarder{h}
			case 1:
				mux := http.NewServeMux()
				mux.Handle("POST /hook", h)
				h = mux
			case 2:
				h = inner.Handler(h)
			}
		}
		return h
	}
	for _, tc := range []struct {
		name string
		h    http.Handler
		want int
	}{
		{"forwarder, mux, Protector, ... (8 levels)", nest(maxForwards - 1), 200},
		{"one level too deep", nest(maxForwards), 403},
		{"behind an opaque middleware", http.StripPrefix("/x", hook), 403},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := httptest.NewRecorder()
			p.Handler(tc.h).ServeHTTP(w, crossSitePost("http://example.com/hook"))
			if w.Code != tc.want {
				t.Fatalf("status %d, want %d", w.Code, tc.want)
			}
		})
	}
}

// opaqueRouter stands for a router the Protector cannot look into (chi's
// root r.Use, echo's WrapMiddleware): its package is listed in
// blindRouters for the test.
type opaqueRouter struct{ h http.Handler }

func (b *opaqueRouter) ServeHTTP(w http.ResponseWriter, r *http.Request) { b.h.ServeHTTP(w, r) }

// With Exempt in use, the first unsafe request that the Protector cannot
// route past a known router logs one WARN that names the router and the
// way that always works.
func TestBlindRouterIsNamedOnce(t *testing.T) {
	old := blindRouters
	blindRouters = append(blindRouters, "github.com/bulwark-go/bulwark/csrf.opaqueRouter")
	t.Cleanup(func() { blindRouters = old })
	var logs testlog.Buffer
	p := mustNew(t, Config{Key: testKey, Logger: logs.Logger()})
	h := p.Handler(&opaqueRouter{Exempt(http.HandlerFunc(renderNothing))})
	for range 2 {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, crossSitePost("http://example.com/hook"))
		if w.Code != 403 {
			t.Fatalf("status %d: the Protector cannot see this exemption", w.Code)
		}
	}
	out := logs.String()
	if n := strings.Count(out, "cannot look into"); n != 1 {
		t.Fatalf("%d warnings, want 1:\n%s", n, out)
	}
	for _, want := range []string{"router=github.com/bulwark-go/bulwark/csrf.opaqueRouter", "ExemptPaths", "path=/hook"} {
		if !strings.Contains(out, want) {
			t.Errorf("warning lacks %q:\n%s", want, out)
		}
	}
	// A plain handler at the end of the search is no reason to warn.
	var quiet testlog.Buffer
	p = mustNew(t, Config{Key: testKey, Logger: quiet.Logger()})
	p.Handler(http.HandlerFunc(renderNothing)).ServeHTTP(httptest.NewRecorder(), crossSitePost("http://example.com/notes"))
	if strings.Contains(quiet.String(), "cannot look into") {
		t.Fatalf("warned about a plain handler:\n%s", quiet.String())
	}
}

// A request that passed the checks and then reached an Exempt handler the
// Protector could not see tells of a hidden exemption: logged once.
func TestHiddenExemptHandlerIsLoggedWhenReached(t *testing.T) {
	var logs testlog.Buffer
	hs := newHarness(t, Config{Logger: logs.Logger()})
	cookie, token := hs.mint(t, "http://example.com/", "")
	h := hs.p.Handler(http.StripPrefix("/api", Exempt(http.HandlerFunc(renderNothing))))
	for range 2 {
		r := newRequest("POST", "http://example.com/api/hook", nil)
		r.Header.Set("Sec-Fetch-Site", "same-origin")
		r.Header.Set("X-CSRF-Token", token)
		r.Header.Set("Cookie", cookie)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code != 200 {
			t.Fatalf("status %d: a same-origin POST with its token must pass", w.Code)
		}
	}
	if n := strings.Count(logs.String(), "could not see"); n != 1 {
		t.Fatalf("%d warnings, want 1:\n%s", n, logs.String())
	}
}
