package stacks

import (
	"net/http"

	"github.com/labstack/echo/v5"
)

// Echo5 is Echo4 for echo v5: the same recipe, the same exemptions in
// csrf.Config.ExemptPaths.
func Echo5(k *Kit) http.Handler {
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
