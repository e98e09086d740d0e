package bulwarkgin

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/gin-gonic/gin"
)

func counter(n *atomic.Int64) gin.HandlerFunc {
	return func(c *gin.Context) { n.Add(1) }
}

// A request the Protector refuses never reaches a later middleware or the
// handler; an outer middleware (as gin.Logger) sees the 403. A valid
// request runs them all once.
func TestRefusalAbortsTheChain(t *testing.T) {
	f := newFixture(t)
	var later, handler atomic.Int64
	var outerStatus atomic.Int64
	r := gin.New()
	r.Use(func(c *gin.Context) {
		c.Next()
		outerStatus.Store(int64(c.Writer.Status()))
	})
	r.Use(Sessions(f.sessions), Protect(f.csrf), counter(&later))
	r.GET("/token", tokenPage)
	r.POST("/notes", func(c *gin.Context) { handler.Add(1); c.String(http.StatusOK, "saved") })
	alice := serve(t, r)

	tok := alice.token("/token")
	for name, send := range map[string]func() response{
		"cross-site": func() response {
			return alice.do(http.MethodPost, "/notes", url.Values{"csrf_token": {tok}}, crossSite)
		},
		"missing token": func() response { return alice.post("/notes", url.Values{"body": {"x"}}) },
	} {
		later.Store(0)
		res := send()
		if res.status != http.StatusForbidden || handler.Load() != 0 || later.Load() != 0 || outerStatus.Load() != http.StatusForbidden {
			t.Errorf("%s: status %d, outer saw %d, later middleware ran %d, handler %d times; want 403 and no run",
				name, res.status, outerStatus.Load(), later.Load(), handler.Load())
		}
	}
	later.Store(0)
	res := alice.post("/notes", url.Values{"csrf_token": {tok}})
	if res.status != http.StatusOK || res.body != "saved" || handler.Load() != 1 || later.Load() != 1 || outerStatus.Load() != http.StatusOK {
		t.Fatalf("valid POST: status %d %q, outer saw %d, later %d, handler %d", res.status, res.body, outerStatus.Load(), later.Load(), handler.Load())
	}
}

// A value a gin handler puts in the session is committed and its cookie
// reaches the client, whether the handler renders JSON or only sets a
// status; the next request sees the value.
func TestSessionIsCommitted(t *testing.T) {
	f := newFixture(t)
	r := gin.New()
	r.Use(Sessions(f.sessions), Protect(f.csrf))
	r.GET("/json", func(c *gin.Context) {
		f.sessions.PutString(c.Request.Context(), "seen", "json")
		c.JSON(http.StatusCreated, gin.H{"ok": true})
	})
	r.GET("/status", func(c *gin.Context) {
		f.sessions.PutString(c.Request.Context(), "seen", "status")
		c.Status(http.StatusAccepted)
	})
	r.GET("/seen", func(c *gin.Context) {
		v, _ := f.sessions.GetString(c.Request.Context(), "seen")
		c.String(http.StatusOK, v)
	})
	cookie := f.sessions.CookieName(httptest.NewRequest(http.MethodGet, "/", nil))
	for _, path := range []string{"/json", "/status"} {
		cl := serve(t, r)
		res := cl.get(path)
		want := map[string]int{"/json": http.StatusCreated, "/status": http.StatusAccepted}[path]
		if res.status != want || !strings.Contains(res.header.Get("Set-Cookie"), cookie) {
			t.Fatalf("GET %s: status %d, Set-Cookie %q; want %d and the session cookie", path, res.status, res.header.Get("Set-Cookie"), want)
		}
		if seen := cl.get("/seen").body; seen != path[1:] {
			t.Errorf("after GET %s the session holds %q", path, seen)
		}
	}
	if out := f.logs.String(); strings.Contains(out, "dropped") || strings.Contains(out, "level=ERROR") {
		t.Errorf("logged:\n%s", out)
	}
}

// Logging in through a gin route commits the new session and CSRF secret:
// the next form POST is accepted (the naive adapter loses the cookie, and
// this POST is refused with "no csrf secret").
func TestLoginKeepsWorking(t *testing.T) {
	f := newFixture(t)
	r := loginApp(f)
	alice := serve(t, r)
	login(t, alice)
	if res := alice.get("/whoami"); res.body != "alice" {
		t.Fatalf("after login /whoami says %q", res.body)
	}
	if res := alice.post("/notes", url.Values{"csrf_token": {alice.token("/token")}}); res.status != http.StatusOK {
		t.Fatalf("POST after login: status %d: %s", res.status, res.body)
	}
}

// loginApp is the usual stack with login, a token page, /notes, /whoami
// and /account, which requires login.
func loginApp(f *fixture) *gin.Engine {
	r := gin.New()
	r.Use(Sessions(f.sessions), Protect(f.csrf), Auth(f.auth))
	r.Any("/login", gin.WrapH(f.auth.LoginHandler()))
	r.GET("/token", tokenPage)
	r.POST("/notes", func(c *gin.Context) { c.String(http.StatusOK, "saved") })
	r.GET("/whoami", whoAmI)
	r.GET("/account", RequireLogin(f.auth), whoAmI)
	return r
}

func login(t *testing.T, c *client) {
	t.Helper()
	form := url.Values{"username": {"alice"}, "password": {password}, "csrf_token": {c.token("/token")}}
	if res := c.post("/login", form); res.status != http.StatusSeeOther {
		t.Fatalf("login: status %d: %s", res.status, res.body)
	}
}

// Outer gin middlewares see c.Request and c.Writer as they left them.
func TestRequestAndWriterAreRestored(t *testing.T) {
	mw := func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			next.ServeHTTP(struct{ http.ResponseWriter }{w}, r.WithContext(r.Context()))
		})
	}
	var same atomic.Bool
	r := gin.New()
	r.Use(func(c *gin.Context) {
		req, w := c.Request, c.Writer
		c.Next()
		same.Store(c.Request == req && c.Writer == w)
	}, Wrap(mw))
	r.GET("/", func(c *gin.Context) { c.String(http.StatusTeapot, "tea") })
	if res := serve(t, r).get("/"); res.status != http.StatusTeapot || res.body != "tea" || !same.Load() {
		t.Fatalf("status %d %q, restored %v", res.status, res.body, same.Load())
	}
}

// A middleware that runs next on another goroutine (http.TimeoutHandler)
// is waited for: gin's context is never used after Wrap returned.
func TestNextOnAnotherGoroutine(t *testing.T) {
	r := gin.New()
	r.Use(Wrap(func(next http.Handler) http.Handler { return http.TimeoutHandler(next, 0, "too slow") }))
	r.GET("/", func(c *gin.Context) {
		<-c.Request.Context().Done() // the timeout fired
		c.String(http.StatusOK, "late")
	})
	if res := serve(t, r).get("/"); res.status != http.StatusServiceUnavailable || res.body != "too slow" {
		t.Fatalf("status %d %q; want the TimeoutHandler's 503", res.status, res.body)
	}
}
