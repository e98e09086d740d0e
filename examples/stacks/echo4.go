package stacks

import (
	"net/http"

	"github.com/labstack/echo/v4"
)

// Echo4 adds Bulwark's middlewares with echo.WrapMiddleware, which hands
// them echo's request and response and runs the rest of the chain only if
// they call it: a refused request never reaches the handler. The Protector
// cannot see echo's routes, so exemptions go in csrf.Config.ExemptPaths
// (the Kit for this stack is built with ExemptPaths: "POST /webhook").
func Echo4(k *Kit) http.Handler {
	e := echo.New()
	e.Use(echo.WrapMiddleware(k.Sessions.Handler), echo.WrapMiddleware(k.CSRF.Handler), echo.WrapMiddleware(k.Auth.Handler))
	e.Any("/login", echo.WrapHandler(k.Auth.LoginHandler()))
	e.Any("/logout", echo.WrapHandler(k.Auth.LogoutHandler()))
	e.GET("/form", echo.WrapHandler(http.HandlerFunc(k.Form)))
	e.POST("/notes", echo.WrapHandler(http.HandlerFunc(k.SaveNote)))
	e.GET("/events", echo.WrapHandler(http.HandlerFunc(k.Events)))
	e.GET("/whoami", echo.WrapHandler(http.HandlerFunc(k.WhoAmI)))
	e.POST("/webhook", echo.WrapHandler(http.HandlerFunc(k.Webhook)))
	return e
}
