package bulwarkgin

import (
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/gin-gonic/gin"

	"github.com/bulwark-go/bulwark/csrf"
)

// Only functions Exempt returned are exempt: not the handler it wraps,
// not another handler, not one that calls Exempt inside itself, and not
// nil. Exempt called from two places (which the compiler may inline
// differently) is recognised from both.
func TestExemptIdentity(t *testing.T) {
	plain := func(c *gin.Context) {}
	other := func(c *gin.Context) { c.Status(http.StatusTeapot) }
	for name, tc := range map[string]struct {
		h    gin.HandlerFunc
		want bool
	}{
		"Exempt(plain)":          {Exempt(plain), true},
		"Exempt(other)":          {Exempt(other), true},
		"Exempt(gin.WrapF)":      {Exempt(gin.WrapF(func(http.ResponseWriter, *http.Request) {})), true},
		"plain":                  {plain, false},
		"calls Exempt inside":    {func(c *gin.Context) { Exempt(plain)(c) }, false},
		"gin.WrapH(csrf.Exempt)": {gin.WrapH(csrf.Exempt(http.NotFoundHandler())), false},
		"nil":                    {nil, false},
		"method value of a type": {exemptLookalike{}.ServeGin, false},
	} {
		if got := isExempt(tc.h); got != tc.want {
			t.Errorf("%s: isExempt = %v, want %v", name, got, tc.want)
		}
	}
}

type exemptLookalike struct{}

func (exemptLookalike) ServeGin(c *gin.Context) {}

// A cross-site POST reaches an Exempt route, with its body untouched, and
// is refused on a plain one, where the handler does not run. Protect in a
// route group sees Exempt too.
func TestExempt(t *testing.T) {
	f := newFixture(t)
	var hooks, plain atomic.Int64
	hook := func(c *gin.Context) {
		hooks.Add(1)
		c.String(http.StatusOK, c.PostForm("event"))
	}
	r := gin.New()
	r.Use(Sessions(f.sessions))
	api := r.Group("/", Protect(f.csrf))
	api.POST("/webhook", Exempt(hook))
	api.POST("/plain", func(c *gin.Context) { plain.Add(1) })
	c := serve(t, r)
	if res := c.do(http.MethodPost, "/webhook", url.Values{"event": {"paid"}}, crossSite); res.status != http.StatusOK || res.body != "paid" || hooks.Load() != 1 {
		t.Errorf("exempt: status %d %q, ran %d times", res.status, res.body, hooks.Load())
	}
	if res := c.do(http.MethodPost, "/plain", url.Values{"event": {"paid"}}, crossSite); res.status != http.StatusForbidden || plain.Load() != 0 {
		t.Errorf("plain: status %d, ran %d times; want 403", res.status, plain.Load())
	}
	if strings.Contains(f.logs.String(), "cannot") || strings.Contains(f.logs.String(), "Exempt") {
		t.Errorf("warned:\n%s", f.logs.String())
	}
}

// gin.WrapH(csrf.Exempt(h)) hides the Exempt handler: the request is
// checked (a cross-site one refused), and a checked request that reaches
// it is logged, once.
func TestWrapHHidesExempt(t *testing.T) {
	f := newFixture(t)
	var hooks atomic.Int64
	r := gin.New()
	r.Use(Sessions(f.sessions), Protect(f.csrf))
	r.GET("/token", tokenPage)
	r.POST("/webhook", gin.WrapH(csrf.Exempt(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { hooks.Add(1) }))))
	c := serve(t, r)
	if res := c.do(http.MethodPost, "/webhook", url.Values{}, crossSite); res.status != http.StatusForbidden || hooks.Load() != 0 {
		t.Fatalf("cross-site: status %d, ran %d times; want 403", res.status, hooks.Load())
	}
	tok := c.token("/token")
	for range 2 {
		if res := c.post("/webhook", url.Values{"csrf_token": {tok}}); res.status != http.StatusOK {
			t.Fatalf("same-origin with token: status %d", res.status)
		}
	}
	if out := f.logs.String(); strings.Count(out, "reached an Exempt handler") != 1 {
		t.Fatalf("want one WARN:\n%s", out)
	}
}
