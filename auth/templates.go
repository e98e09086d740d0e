// This file holds the data passed to the login and logout pages, the
// built-in pages used when the app supplies none, and their rendering.

package auth

import (
	"bytes"
	"context"
	"html/template"
	"io"
	"log/slog"
	"net/http"

	"github.com/bulwark-go/bulwark/internal/fault"
)

// LoginData is what Config.LoginTemplate (or LoginPage) renders.
type LoginData struct {
	// Error is a message for the user ("" when there is none). It never
	// says whether the username exists.
	Error string
	// Next is the safe redirect target to carry in a hidden "next" field,
	// or "".
	Next string
	// Username is the username submitted with a failed attempt, for
	// re-filling the form ("" on GET).
	Username string
	// CSRFField is the hidden CSRF input (csrf.TemplateField), empty when
	// the request did not pass through a csrf.Protector.
	CSRFField template.HTML
	// RememberMeField is Config.RememberMeField ("" when disabled).
	RememberMeField string
	// Request is the request being answered, for the csrf template
	// functions and anything else the app's template needs.
	Request *http.Request
}

// LogoutData is what Config.LogoutTemplate (or LogoutPage) renders when GET or
// HEAD reaches the logout handler.
type LogoutData struct {
	// Action is the path the logout form must POST to (the request's path).
	Action string
	// CSRFField is the hidden CSRF input.
	CSRFField template.HTML
	// Request is the request being answered.
	Request *http.Request
}

var defaultLoginTemplate = template.Must(template.New("login").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Sign in</title></head>
<body>
<h1>Sign in</h1>
{{if .Error}}<p role="alert">{{.Error}}</p>{{end}}
<form method="post">
{{.CSRFField}}
{{if .Next}}<input type="hidden" name="next" value="{{.Next}}">{{end}}
<p><label>Username <input name="username" autocomplete="username" value="{{.Username}}" required autofocus></label></p>
<p><label>Password <input name="password" type="password" autocomplete="current-password" required></label></p>
{{if .RememberMeField}}<p><label><input type="checkbox" name="{{.RememberMeField}}" value="1"> Keep me signed in</label></p>{{end}}
<p><button type="submit">Sign in</button></p>
</form>
</body></html>
`))

var defaultLogoutTemplate = template.Must(template.New("logout").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Sign out</title></head>
<body>
<h1>Sign out</h1>
<p>Signing out needs a button press: a link or an address typed in the browser cannot sign you out,
so that another web site cannot sign you out either. You are still signed in.</p>
<form method="post" action="{{.Action}}">
{{.CSRFField}}
<button type="submit">Sign out</button>
</form>
</body></html>
`))

// pageOf returns the function that renders one page: the app's page
// function, else its template, else the built-in template.
func pageOf[D any](page func(context.Context, io.Writer, D) error, t, builtin *template.Template) func(context.Context, io.Writer, D) error {
	if page != nil {
		return page
	}
	if t == nil {
		t = builtin
	}
	return func(_ context.Context, w io.Writer, d D) error { return t.Execute(w, d) }
}

// render renders a page with its data into a buffer first, so an error
// becomes a clean 500 instead of half a page.
func render[D any](a *Authenticator, w http.ResponseWriter, r *http.Request, page func(context.Context, io.Writer, D) error, status int, data D) {
	var buf bytes.Buffer
	if err := page(r.Context(), &buf, data); err != nil {
		if fault.ClientGone(r.Context()) { // a templ page stops when its context ends
			a.logRequest(slog.LevelDebug, r, "auth: page not rendered: the client went away", err, "")
			w.WriteHeader(fault.StatusClientGone)
			return
		}
		a.logRequest(slog.LevelError, r, "auth: template failed", err, "")
		http.Error(w, "Internal server error.", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	if r.Method != http.MethodHead {
		w.Write(buf.Bytes())
	}
}
