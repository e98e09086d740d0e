package stacks

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"
	"github.com/go-chi/chi/v5"
	"github.com/labstack/echo/v4"

	bulwarkgin "github.com/bulwark-go/bulwark/adapters/gin"
	"github.com/bulwark-go/bulwark/csrf"
)

// Where the Protector runs before a router's routing (chi's root r.Use,
// echo's WrapMiddleware, a gin engine wrapped as a whole), it cannot see csrf.Exempt on a route. The
// request is checked like any other, and one WARN names the router and the
// way that always works.
func TestHiddenExemptIsNamed(t *testing.T) {
	for name, tc := range map[string]struct {
		router string
		build  func(*Kit) http.Handler
	}{
		"chi root r.Use": {"github.com/go-chi/chi", func(k *Kit) http.Handler {
			r := chi.NewRouter()
			r.Use(k.Sessions.Handler, k.CSRF.Handler)
			r.Method(http.MethodPost, "/webhook", csrf.Exempt(http.HandlerFunc(k.Webhook)))
			return r
		}},
		"echo WrapMiddleware": {"github.com/labstack/echo", func(k *Kit) http.Handler {
			e := echo.New()
			e.Use(echo.WrapMiddleware(k.Sessions.Handler), echo.WrapMiddleware(k.CSRF.Handler))
			e.POST("/webhook", echo.WrapHandler(csrf.Exempt(http.HandlerFunc(k.Webhook))))
			return e
		}},
		"gin engine behind the Protector": {"github.com/gin-gonic/gin", func(k *Kit) http.Handler {
			r := gin.New()
			r.POST("/webhook", bulwarkgin.Exempt(gin.WrapF(k.Webhook)))
			return k.Sessions.Handler(k.CSRF.Handler(r))
		}},
	} {
		t.Run(name, func(t *testing.T) {
			var logs syncBuffer
			k, err := NewKit(t.Context(), t.TempDir(), Options{Logger: slog.New(slog.NewTextHandler(&logs, nil))})
			if err != nil {
				t.Fatal(err)
			}
			srv := httptest.NewServer(tc.build(k))
			defer srv.Close()
			c := newClient(t, srv.URL)
			for range 2 {
				res := c.post("/webhook", url.Values{}, map[string]string{"Origin": "https://payments.example", "Sec-Fetch-Site": "cross-site"})
				if res.status != 403 || k.Hooks.Load() != 0 {
					t.Fatalf("status %d, hook ran %d times: want the check to apply (403)", res.status, k.Hooks.Load())
				}
			}
			out := logs.String()
			if strings.Count(out, "cannot look into") != 1 || !strings.Contains(out, "router="+tc.router) || !strings.Contains(out, "ExemptPaths") {
				t.Fatalf("want one WARN naming %s and ExemptPaths:\n%s", tc.router, out)
			}
		})
	}
}
