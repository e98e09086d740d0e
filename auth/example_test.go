package auth_test

import (
	"context"
	"fmt"
	"html"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"

	"github.com/bulwark-go/bulwark/auth"
	"github.com/bulwark-go/bulwark/auth/sqliteusers"
	"github.com/bulwark-go/bulwark/csrf"
	"github.com/bulwark-go/bulwark/session"
	"github.com/bulwark-go/bulwark/session/memstore"
)

// A complete app: csrf + session + auth on a standard-library ServeMux.
func Example() {
	dir, _ := os.MkdirTemp("", "bulwark-example")
	defer os.RemoveAll(dir)
	ctx := context.Background()

	db, _ := sqliteusers.Open(filepath.Join(dir, "app.db"))
	defer db.Close()
	users, _ := sqliteusers.New(ctx, sqliteusers.Config{DB: db})
	accounts, _ := auth.NewAccounts(auth.AccountsConfig{Users: users}) // OWASP argon2id parameters
	accounts.Create(ctx, "alice", "correct horse battery")

	store, _ := memstore.New(memstore.Config{})
	defer store.Close()
	sessions, _ := session.New(session.Config{Store: store})
	protector, _ := csrf.New(csrf.Config{Secrets: sessions.CSRFSecrets()})
	authn, err := auth.New(auth.Config{Accounts: accounts, Sessions: sessions})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer authn.Close()

	mux := http.NewServeMux()
	mux.Handle("/login", authn.LoginHandler())   // GET form, POST login
	mux.Handle("/logout", authn.LogoutHandler()) // POST logout, GET 405 page
	mux.Handle("GET /{$}", authn.RequireLogin(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u, _ := auth.CurrentUser(r)
		fmt.Fprintf(w, `<p>Signed in as %s</p><form method="post" action="/logout">%s<button>Sign out</button></form>`,
			html.EscapeString(u.Username), csrf.TemplateField(r))
	})))
	app := sessions.Handler(protector.Handler(authn.Handler(mux)))
	// http.ListenAndServe("localhost:8000", app)

	for _, req := range []*http.Request{httptest.NewRequest("GET", "/", nil), httptest.NewRequest("GET", "/logout", nil)} {
		rec := httptest.NewRecorder()
		app.ServeHTTP(rec, req)
		fmt.Println(req.Method, req.URL.Path, rec.Code, rec.Header().Get("Location")+rec.Header().Get("Allow"))
	}
	// Output:
	// GET / 303 /login?next=%2F
	// GET /logout 405 POST
}

func ExampleHashPassword() {
	// Production code uses auth.DefaultParams (the OWASP minimum); these
	// cheap parameters keep the example fast.
	p := auth.Params{Memory: 64, Iterations: 1, Parallelism: 1}
	hash, _ := auth.HashPassword("correct horse battery", p)
	ok, _ := auth.VerifyPassword(hash, "correct horse battery")
	bad, _ := auth.VerifyPassword(hash, "Correct horse battery")
	fmt.Println(hash[:28], ok, bad, auth.NeedsRehash(hash, auth.DefaultParams))
	// Output: $argon2id$v=19$m=64,t=1,p=1$ true false true
}

func ExampleIsSafeRedirect() {
	for _, next := range []string{"/notes?page=2", "//evil.example", `/\evil.example`, "https://evil.example", "/%2F%2Fevil.example"} {
		fmt.Printf("%-22q %v\n", next, auth.IsSafeRedirect(next))
	}
	// Output:
	// "/notes?page=2"        true
	// "//evil.example"       false
	// "/\\evil.example"      false
	// "https://evil.example" false
	// "/%2F%2Fevil.example"  false
}

func ExampleNormalizeUsername() {
	for _, name := range []string{"Alice", "ＡＬＩＣＥ", "alice smith"} {
		n, err := auth.NormalizeUsername(name)
		fmt.Printf("%q %v\n", n, err != nil)
	}
	// Output:
	// "alice" false
	// "alice" false
	// "" true
}
