// Package stacks wires Bulwark into the stacks people use (net/http, chi,
// gorilla/mux, echo v4 and v5, gin, templ) the way the README's "Use with
// …" section shows, one file per stack. Its tests run the same contract
// against every stack over real HTTP: forged requests are refused before
// the handler runs, logout is POST-only, streaming works, and an exempt
// webhook stays reachable.
//
// It is a nested module, so the frameworks never enter Bulwark's own
// go.mod.
package stacks

import (
	"context"
	"fmt"
	"html/template"
	"io"
	"log/slog"
	"net/http"
	"path/filepath"
	"sync/atomic"

	"github.com/bulwark-go/bulwark/auth"
	"github.com/bulwark-go/bulwark/auth/sqliteusers"
	"github.com/bulwark-go/bulwark/csrf"
	"github.com/bulwark-go/bulwark/session"
	"github.com/bulwark-go/bulwark/session/memstore"
	"github.com/bulwark-go/bulwark/session/sqlitestore"
)

// Kit is what every stack shares: sessions, the CSRF Protector, auth, and
// the app's handlers, which count how often they ran so that a test can
// tell a refused request from one that reached the handler.
type Kit struct {
	Sessions *session.Manager
	CSRF     *csrf.Protector
	Auth     *auth.Authenticator
	Accounts *auth.Accounts

	Notes atomic.Int64 // POST /notes runs
	Hooks atomic.Int64 // POST /webhook runs
}

// Options adjust a Kit for one stack.
type Options struct {
	// ExemptPaths go to csrf.Config.ExemptPaths, for stacks where the
	// Protector cannot see csrf.Exempt.
	ExemptPaths []string
	// LoginPage goes to auth.Config.LoginPage.
	LoginPage func(context.Context, io.Writer, auth.LoginData) error
	// Logger receives every component's log lines (default: discarded).
	Logger *slog.Logger
}

// NewKit builds a Kit with its users in a SQLite file under dir.
func NewKit(ctx context.Context, dir string, o Options) (*Kit, error) {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	db, err := sqlitestore.Open(filepath.Join(dir, "users.db"))
	if err != nil {
		return nil, err
	}
	users, err := sqliteusers.New(ctx, sqliteusers.Config{DB: db})
	if err != nil {
		return nil, err
	}
	k := &Kit{}
	// Low argon2id parameters: the tests log in many times.
	params := auth.Params{Memory: 64, Iterations: 1, Parallelism: 1}
	if k.Accounts, err = auth.NewAccounts(auth.AccountsConfig{Users: users, Params: params, Logger: o.Logger}); err != nil {
		return nil, err
	}
	store, err := memstore.New(memstore.Config{})
	if err != nil {
		return nil, err
	}
	if k.Sessions, err = session.New(session.Config{Store: store, Logger: o.Logger}); err != nil {
		return nil, err
	}
	k.CSRF, err = csrf.New(csrf.Config{Secrets: k.Sessions.CSRFSecrets(), ExemptPaths: o.ExemptPaths, Logger: o.Logger})
	if err != nil {
		return nil, err
	}
	k.Auth, err = auth.New(auth.Config{Accounts: k.Accounts, Sessions: k.Sessions, LoginPage: o.LoginPage, Logger: o.Logger})
	return k, err
}

var formPage = template.Must(template.New("form").Funcs(csrf.FuncMap()).Parse(
	`<!doctype html><title>Notes</title><form method="post" action="/notes">{{csrfField .}}<input name="body"><button>Save</button></form>`))

// Form renders a page with a form that carries the token.
func (k *Kit) Form(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	formPage.Execute(w, r)
}

// SaveNote is a state-changing handler: it must run only for requests
// that passed the checks.
func (k *Kit) SaveNote(w http.ResponseWriter, r *http.Request) {
	k.Notes.Add(1)
	fmt.Fprintf(w, "saved %q", r.PostFormValue("body"))
}

// Webhook is called by another site's server: exempt from CSRF checks.
func (k *Kit) Webhook(w http.ResponseWriter, r *http.Request) {
	k.Hooks.Add(1)
	io.WriteString(w, "hook ran")
}

// WhoAmI names the signed-in user, or "nobody".
func (k *Kit) WhoAmI(w http.ResponseWriter, r *http.Request) {
	if u, ok := auth.CurrentUser(r); ok {
		io.WriteString(w, u.Username)
		return
	}
	io.WriteString(w, "nobody")
}

// Events is a server-sent event stream of three events, each flushed.
func (k *Kit) Events(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-store")
	for i := range 3 {
		fmt.Fprintf(w, "data: event %d\n\n", i)
		if err := http.NewResponseController(w).Flush(); err != nil {
			return
		}
	}
}
