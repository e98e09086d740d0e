package stacks

import (
	"net/http"

	"github.com/gorilla/mux"

	"github.com/bulwark-go/bulwark/csrf"
)

// Gorilla installs the Protector with r.Use: gorilla/mux runs its
// middlewares after matching, around the matched handler, so the
// Protector sees csrf.Exempt. Sessions wrap the whole router.
func Gorilla(k *Kit) http.Handler {
	r := mux.NewRouter()
	r.Use(k.CSRF.Handler, k.Auth.Handler)
	r.Handle("/login", k.Auth.LoginHandler())
	r.Handle("/logout", k.Auth.LogoutHandler())
	r.HandleFunc("/form", k.Form).Methods(http.MethodGet)
	r.HandleFunc("/notes", k.SaveNote).Methods(http.MethodPost)
	r.HandleFunc("/events", k.Events).Methods(http.MethodGet)
	r.HandleFunc("/whoami", k.WhoAmI).Methods(http.MethodGet)
	r.Handle("/webhook", csrf.Exempt(http.HandlerFunc(k.Webhook))).Methods(http.MethodPost)
	return k.Sessions.Handler(r)
}
