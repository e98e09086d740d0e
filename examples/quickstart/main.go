// Command quickstart is the README's quick start: csrf + session + auth on a
// standard-library ServeMux, with users and sessions in one SQLite file.
//
//	go run ./cmd/bulwark user add -data . alice   # creates ./bulwark.db with a user
//	go run ./examples/quickstart                    # then open http://localhost:8000
//
// It is compiled by go vet and go test, so the README cannot drift from it.
package main

import (
	"context"
	"fmt"
	"html"
	"log"
	"net/http"

	"github.com/bulwark-go/bulwark/auth"
	"github.com/bulwark-go/bulwark/auth/sqliteusers"
	"github.com/bulwark-go/bulwark/csrf"
	"github.com/bulwark-go/bulwark/session"
	"github.com/bulwark-go/bulwark/session/sqlitestore"
)

func main() {
	ctx := context.Background()
	db, err := sqlitestore.Open("bulwark.db") // one SQLite file for users and sessions
	check(err)
	users, err := sqliteusers.New(ctx, sqliteusers.Config{DB: db})
	check(err)
	accounts, err := auth.NewAccounts(auth.AccountsConfig{Users: users}) // argon2id, OWASP parameters
	check(err)
	store, err := sqlitestore.New(ctx, sqlitestore.Config{DB: db})
	check(err)
	sessions, err := session.New(session.Config{Store: store})
	check(err)
	protector, err := csrf.New(csrf.Config{Secrets: sessions.CSRFSecrets()}) // the CSRF secret lives in the session
	check(err)
	authn, err := auth.New(auth.Config{Accounts: accounts, Sessions: sessions})
	check(err)

	mux := http.NewServeMux()
	mux.Handle("/login", authn.LoginHandler())   // GET: the form; POST: log in (new session ID, new CSRF secret)
	mux.Handle("/logout", authn.LogoutHandler()) // POST: log out; GET: 405 with a logout button
	mux.Handle("GET /{$}", authn.RequireLogin(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u, _ := auth.CurrentUser(r)
		fmt.Fprintf(w, `<p>Signed in as %s</p><form method="post" action="/logout">%s<button>Sign out</button></form>`,
			html.EscapeString(u.Username), csrf.TemplateField(r))
	})))
	// session (outer) → csrf → auth → your routes
	log.Fatal(http.ListenAndServe("localhost:8000", sessions.Handler(protector.Handler(authn.Handler(mux)))))
}

func check(err error) {
	if err != nil {
		log.Fatal(err)
	}
}
