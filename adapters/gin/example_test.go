package bulwarkgin_test

import (
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"

	"github.com/gin-gonic/gin"

	bulwarkgin "github.com/bulwark-go/bulwark/adapters/gin"
	"github.com/bulwark-go/bulwark/auth"
	"github.com/bulwark-go/bulwark/csrf"
	"github.com/bulwark-go/bulwark/session"
)

// The usual stack: sessions, then CSRF protection, then the current user;
// an exempt webhook, and a group that requires login.
func Example() {
	var (
		sessions  *session.Manager // session.New(…)
		protector *csrf.Protector  // csrf.New(csrf.Config{Secrets: sessions.CSRFSecrets()})
		authn     *auth.Authenticator
	)
	if sessions == nil {
		return // this example only shows the wiring
	}
	r := gin.New()
	r.Use(bulwarkgin.Sessions(sessions), bulwarkgin.Protect(protector), bulwarkgin.Auth(authn))
	r.Any("/login", gin.WrapH(authn.LoginHandler()))
	r.POST("/webhook", bulwarkgin.Exempt(func(c *gin.Context) { c.String(http.StatusOK, "ok") }))
	account := r.Group("/account", bulwarkgin.RequireLogin(authn))
	account.GET("", func(c *gin.Context) {
		u, _ := auth.CurrentUser(c.Request)
		c.String(http.StatusOK, u.Username)
	})
	http.ListenAndServe("localhost:8080", r)
}

// Any net/http middleware runs as gin middleware; one that refuses a
// request stops gin's chain.
func ExampleWrap() {
	needKey := func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Header.Get("X-Key") != "open sesame" {
				http.Error(w, "no key", http.StatusUnauthorized)
				return
			}
			next.ServeHTTP(w, r)
		})
	}
	gin.SetMode(gin.ReleaseMode)
	r := gin.New()
	r.Use(bulwarkgin.Wrap(needKey))
	r.GET("/", func(c *gin.Context) { c.String(http.StatusOK, "welcome") })

	for _, key := range []string{"", "open sesame"} {
		req := httptest.NewRequest(http.MethodGet, "/", nil)
		req.Header.Set("X-Key", key)
		rec := httptest.NewRecorder()
		r.ServeHTTP(rec, req)
		fmt.Println(rec.Code, rec.Body.String())
	}
	// Output:
	// 401 no key
	//
	// 200 welcome
}

// Exempt marks a route's handler as exempt from CSRF checks; Protect sees
// it before any handler runs.
func ExampleExempt() {
	protector, err := csrf.New(csrf.Config{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		panic(err)
	}
	gin.SetMode(gin.ReleaseMode)
	r := gin.New()
	r.Use(bulwarkgin.Protect(protector))
	r.POST("/webhook", bulwarkgin.Exempt(func(c *gin.Context) { c.String(http.StatusOK, "hook ran") }))
	r.POST("/notes", func(c *gin.Context) { c.String(http.StatusOK, "saved") })

	for _, path := range []string{"/webhook", "/notes"} {
		req := httptest.NewRequest(http.MethodPost, path, nil)
		req.Header.Set("Sec-Fetch-Site", "cross-site")
		rec := httptest.NewRecorder()
		r.ServeHTTP(rec, req)
		fmt.Println(path, rec.Code)
	}
	// Output:
	// /webhook 200
	// /notes 403
}
