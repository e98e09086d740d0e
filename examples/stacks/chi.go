package stacks

import (
	"net/http"

	"github.com/go-chi/chi/v5"

	"github.com/bulwark-go/bulwark/csrf"
)

// Chi installs the Protector in a route group: chi applies a group's
// middlewares around each route's handler, after routing, so the
// Protector sees csrf.Exempt. (Under the root router's r.Use it runs
// before routing and cannot: it logs a warning saying so.) Register an
// exempt handler with r.Method or r.Handle: r.Post takes a HandlerFunc,
// which hides the Exempt wrapper.
func Chi(k *Kit) http.Handler {
	r := chi.NewRouter()
	r.Use(k.Sessions.Handler)
	r.Group(func(r chi.Router) {
		r.Use(k.CSRF.Handler, k.Auth.Handler)
		r.Handle("/login", k.Auth.LoginHandler())
		r.Handle("/logout", k.Auth.LogoutHandler())
		r.Get("/form", k.Form)
		r.Post("/notes", k.SaveNote)
		r.Get("/events", k.Events)
		r.Get("/whoami", k.WhoAmI)
		r.Method(http.MethodPost, "/webhook", csrf.Exempt(http.HandlerFunc(k.Webhook)))
	})
	return r
}
