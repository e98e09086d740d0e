package stacks

import (
	"net/http"

	"github.com/bulwark-go/bulwark/csrf"
)

// NetHTTP is the standard library's ServeMux in the README's order:
// session → csrf → auth → mux. The Protector sees through auth's
// middleware and the mux, so csrf.Exempt works on a routed handler.
func NetHTTP(k *Kit) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/login", k.Auth.LoginHandler())
	mux.Handle("/logout", k.Auth.LogoutHandler())
	mux.HandleFunc("GET /form", k.Form)
	mux.HandleFunc("POST /notes", k.SaveNote)
	mux.HandleFunc("GET /events", k.Events)
	mux.HandleFunc("GET /whoami", k.WhoAmI)
	mux.Handle("POST /webhook", csrf.Exempt(http.HandlerFunc(k.Webhook)))
	return k.Sessions.Handler(k.CSRF.Handler(k.Auth.Handler(mux)))
}
