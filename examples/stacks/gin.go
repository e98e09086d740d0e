package stacks

import (
	"fmt"
	"io"
	"net/http"

	"github.com/gin-gonic/gin"

	bulwarkgin "github.com/bulwark-go/bulwark/adapters/gin"
)

// Gin installs Bulwark with adapters/gin. gin routes a request before it
// runs any middleware, so the Protector installed with r.Use sees a route
// wrapped in bulwarkgin.Exempt; a refused request aborts gin's chain; and
// handlers write through Bulwark's response writers, so the session
// cookie and the CSRF headers go out with the response (c.Stream
// included).
func Gin(k *Kit) http.Handler {
	r := gin.New()
	r.Use(bulwarkgin.Sessions(k.Sessions), bulwarkgin.Protect(k.CSRF), bulwarkgin.Auth(k.Auth))
	r.Any("/login", gin.WrapH(k.Auth.LoginHandler()))
	r.Any("/logout", gin.WrapH(k.Auth.LogoutHandler()))
	r.GET("/form", gin.WrapF(k.Form))
	r.POST("/notes", gin.WrapF(k.SaveNote))
	r.GET("/events", ginEvents)
	r.GET("/whoami", gin.WrapF(k.WhoAmI))
	r.POST("/webhook", bulwarkgin.Exempt(gin.WrapF(k.Webhook)))
	return r
}

// ginEvents is Kit.Events written with gin's c.Stream.
func ginEvents(c *gin.Context) {
	c.Header("Content-Type", "text/event-stream")
	c.Header("Cache-Control", "no-store")
	i := 0
	c.Stream(func(w io.Writer) bool {
		fmt.Fprintf(w, "data: event %d\n\n", i)
		i++
		return i < 3
	})
}
