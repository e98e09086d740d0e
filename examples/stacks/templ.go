package stacks

import (
	"context"
	"io"
	"net/http"

	"github.com/a-h/templ"

	"github.com/bulwark-go/bulwark/auth"
	"github.com/bulwark-go/bulwark/csrf"
)

// TemplOptions render auth's login page with templ (views.templ).
//
// snippet:templ-login (the README's "Use with templ")
var TemplOptions = Options{LoginPage: func(ctx context.Context, w io.Writer, d auth.LoginData) error {
	return LoginPage(d).Render(ctx, w)
}}

// end snippet

// Templ serves templ components on a ServeMux: templ.Handler renders a
// component with the request's context, from which the csrf accessors
// (csrf.FieldFromContext and the others) take the token. Build its Kit with
// TemplOptions so the login page is a templ component too.
func Templ(k *Kit) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/login", k.Auth.LoginHandler())
	mux.Handle("/logout", k.Auth.LogoutHandler())
	mux.Handle("GET /form", templ.Handler(FormPage()))
	mux.HandleFunc("POST /notes", k.SaveNote)
	mux.HandleFunc("GET /events", k.Events)
	mux.HandleFunc("GET /whoami", k.WhoAmI)
	mux.Handle("POST /webhook", csrf.Exempt(http.HandlerFunc(k.Webhook)))
	return k.Sessions.Handler(k.CSRF.Handler(k.Auth.Handler(mux)))
}
