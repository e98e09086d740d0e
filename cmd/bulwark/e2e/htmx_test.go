// This file holds the htmx tests: a small app built from session, csrf and
// auth, whose pages carry the token the way csrf's documentation says,
// driven in Chromium with the real htmx 2 and htmx 4 (testdata/htmx).

package e2e

import (
	"context"
	"errors"
	"fmt"
	"html/template"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/bulwark-go/bulwark/auth"
	"github.com/bulwark-go/bulwark/auth/sqliteusers"
	"github.com/bulwark-go/bulwark/csrf"
	"github.com/bulwark-go/bulwark/session"
	"github.com/bulwark-go/bulwark/session/memstore"
)

// htmxVersion is one vendored htmx (see testdata/htmx/README.md).
type htmxVersion struct {
	name, file string
	implicit   bool // attributes inherit without ":inherited"
	// processed is a JavaScript function telling whether htmx has set up
	// an element: a swapped-in button is in the page a moment before htmx
	// listens to its clicks (htmx 2 processes new content after the settle
	// delay).
	processed string
	// ownHeaders adds a header of an element's own to the inherited token
	// header: in htmx 2 an element's hx-headers merges with its
	// ancestors', in htmx 4 only hx-headers:append does.
	ownHeaders template.HTMLAttr
}

var htmxVersions = []htmxVersion{
	{"htmx 2", "htmx-2.0.11.min.js", true, `el => !!el?.["htmx-internal-data"]?.initHash`,
		`hx-headers='{"X-Extra":"yes"}'`},
	{"htmx 4", "htmx-4.0.1.min.js", false, `el => el?.getAttribute("data-htmx-powered") === "true"`,
		`hx-headers:append='{"X-Extra":"yes"}'`},
}

// The layouts: where a page puts the token for htmx. Every page of the app
// opens with one of them, closes it with </main></body>, and boosts its
// links and forms (hx-boost for htmx 2, hx-boost:inherited for htmx 4).
const (
	// documentedLayout is csrf's documented snippet: the token on an
	// element inside the body, which a boosted page load replaces.
	// snippet:htmx-layout (the README's "Use with htmx")
	documentedLayout = `<body hx-boost="true" hx-boost:inherited="true">
<main {{ csrfHxHeaders .Request }}>`
	// end snippet
	// bodyLayout puts the token on <body>, whose attributes a boosted
	// page load keeps.
	bodyLayout = `<body hx-boost="true" hx-boost:inherited="true" {{ csrfHxHeaders .Request }}>
<main>`
	// plainLayout writes hx-headers alone, as HXHeaders did before htmx 4.
	plainLayout = `<body hx-boost="true" hx-boost:inherited="true">
<main hx-headers='{"X-CSRF-Token":"{{ csrfToken .Request }}"}'>`
)

const (
	pageHead = `<!doctype html>
<html><head><title>htmx</title><script src="/htmx.js"></script></head>
`
	homeContent = `
<p id="user">{{ with .User }}{{ . }}{{ else }}anonymous{{ end }}</p>
<button id="save" hx-post="/save" hx-target="#result">Save</button>
<div id="result"></div>
<button id="save-own" hx-post="/save" hx-target="#result" {{ .OwnHeaders }}>Save, with a header of its own</button>
<button id="save-replace" hx-post="/save" hx-target="#result" hx-headers='{"X-Extra":"yes"}'>Save, with hx-headers of its own</button>
</main>
<aside><button id="bare" hx-post="/save" hx-target="#bare-result">Save, outside main</button><div id="bare-result"></div></aside>
</body></html>`
	loginContent = `
<form id="login-form" method="post" action="/login">{{ .CSRFField }}
<input id="username" name="username"><input id="password" name="password" type="password"><button>Log in</button>
</form>
<p id="login-error">{{ .Error }}</p>
</main></body></html>`
)

const htmxPassword = "correct horse battery"

// htmxEvent is what the app saw of one unsafe request.
type htmxEvent struct {
	path   string
	saves  int64  // handler runs of /save so far
	extra  string // the X-Extra header
	reason error  // nil: the handler ran; else why csrf refused it
}

// htmxApp is the app under test on http://localhost:PORT.
type htmxApp struct {
	url          string
	htmx         htmxVersion
	saves        atomic.Int64
	boostedLogin atomic.Bool    // a POST /login carried HX-Request: true
	events       chan htmxEvent // every /save that ran and every refusal
}

// startHTMXApp serves the app with v as /htmx.js and layout on every
// page, with one user, alice.
func startHTMXApp(t *testing.T, v htmxVersion, layout string) *htmxApp {
	t.Helper()
	js, err := os.ReadFile(filepath.Join("testdata", "htmx", v.file))
	if err != nil {
		t.Fatal(err)
	}
	logs := &syncBuffer{}
	logger := slog.New(slog.NewTextHandler(logs, nil))
	app := &htmxApp{htmx: v, events: make(chan htmxEvent, 64)}

	store, err := memstore.New(memstore.Config{ReapInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	sessions, err := session.New(session.Config{Store: store, Logger: logger})
	if err != nil {
		t.Fatal(err)
	}
	protector, err := csrf.New(csrf.Config{
		Secrets: sessions.CSRFSecrets(),
		Logger:  logger,
		FailureHandler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			app.events <- htmxEvent{path: r.URL.Path, saves: app.saves.Load(), reason: csrf.Reason(r)}
			w.WriteHeader(http.StatusForbidden)
			fmt.Fprint(w, `<p id="refused">refused</p>`)
		}),
	})
	if err != nil {
		t.Fatal(err)
	}
	authn := newHTMXAuth(t, sessions, layout, logger)

	home := template.Must(template.New("home").Funcs(csrf.FuncMap()).Parse(pageHead + layout + homeContent))
	mux := http.NewServeMux()
	mux.HandleFunc("GET /htmx.js", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/javascript")
		w.Write(js)
	})
	mux.Handle("/login", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost && r.Header.Get("HX-Request") == "true" {
			app.boostedLogin.Store(true)
		}
		authn.LoginHandler().ServeHTTP(w, r)
	}))
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		u, _ := auth.CurrentUser(r)
		if err := home.Execute(w, map[string]any{"Request": r, "User": u.Username, "OwnHeaders": v.ownHeaders}); err != nil {
			t.Errorf("home: %v", err)
		}
	})
	mux.HandleFunc("POST /save", func(w http.ResponseWriter, r *http.Request) {
		n := app.saves.Add(1)
		app.events <- htmxEvent{path: r.URL.Path, saves: n, extra: r.Header.Get("X-Extra")}
		fmt.Fprintf(w, `<span class="saved">saved %d</span>`, n)
	})

	ln, err := net.Listen("tcp", "localhost:0")
	if err != nil {
		t.Fatal(err)
	}
	app.url = fmt.Sprintf("http://localhost:%d", ln.Addr().(*net.TCPAddr).Port)
	srv := &http.Server{Handler: sessions.Handler(protector.Handler(authn.Handler(mux))), ErrorLog: slog.NewLogLogger(logger.Handler(), slog.LevelError)}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	t.Cleanup(func() {
		srv.Close()
		if err := <-done; !errors.Is(err, http.ErrServerClosed) {
			t.Errorf("serve: %v", err)
		}
		if t.Failed() {
			t.Logf("app logs:\n%s", logs.String())
		}
	})
	return app
}

// newHTMXAuth returns an Authenticator whose login page has layout, with
// the user alice in a SQLite user store.
func newHTMXAuth(t *testing.T, sessions *session.Manager, layout string, logger *slog.Logger) *auth.Authenticator {
	t.Helper()
	db, err := sqliteusers.Open(filepath.Join(t.TempDir(), "users.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	users, err := sqliteusers.New(context.Background(), sqliteusers.Config{DB: db})
	if err != nil {
		t.Fatal(err)
	}
	accounts, err := auth.NewAccounts(auth.AccountsConfig{Users: users, Params: testParams, Logger: logger})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := accounts.Create(context.Background(), "alice", htmxPassword); err != nil {
		t.Fatal(err)
	}
	login := template.Must(template.New("login").Funcs(csrf.FuncMap()).Parse(pageHead + layout + loginContent))
	authn, err := auth.New(auth.Config{Accounts: accounts, Sessions: sessions, LoginTemplate: login, Logger: logger})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { authn.Close() })
	return authn
}

// next returns the app's next event, which must be for path.
func (app *htmxApp) next(t *testing.T, path string) htmxEvent {
	t.Helper()
	select {
	case e := <-app.events:
		if e.path != path {
			t.Fatalf("the app saw %s (%v), want %s", e.path, e.reason, path)
		}
		return e
	case <-time.After(15 * time.Second):
		t.Fatalf("the app never saw the request to %s", path)
		return htmxEvent{}
	}
}

// save clicks the button, once htmx has set it up, and returns what the
// app saw of its hx-post.
func (app *htmxApp) save(t *testing.T, tab context.Context, button string) htmxEvent {
	t.Helper()
	processed := fmt.Sprintf(`(%s)(document.querySelector(%q))`, app.htmx.processed, button)
	err := chromedp.Do(tab,
		chromedp.Poll[chromedp.Void](processed, chromedp.WithPollingTimeout(10*time.Second)),
		chromedp.Click(button),
	)
	if err != nil {
		t.Fatalf("click %s: %v", button, err)
	}
	return app.next(t, "/save")
}

// expectSaved checks that the hx-post ran the handler for the n-th time and
// that htmx swapped its answer into target.
func expectSaved(t *testing.T, tab context.Context, e htmxEvent, n int64, target string) {
	t.Helper()
	if e.reason != nil || e.saves != n {
		t.Fatalf("hx-post: reason %v, handler runs %d; want it to run (run %d)", e.reason, e.saves, n)
	}
	js := fmt.Sprintf(`document.querySelector(%q)?.textContent === "saved %d"`, target, n)
	if _, err := chromedp.Run(tab, chromedp.Poll[bool](js, chromedp.WithPollingTimeout(10*time.Second))); err != nil {
		t.Fatalf("the page never showed saved %d in %s: %v", n, target, err)
	}
}

// expectRefused checks that the hx-post was refused for want before the
// handler ran (it has still run n times), and what the page shows: htmx 4
// swaps the 403 page into the target, htmx 2 swaps nothing.
func expectRefused(t *testing.T, tab context.Context, app *htmxApp, e htmxEvent, want error, n int64, target string, swaps4xx bool) {
	t.Helper()
	if !errors.Is(e.reason, want) || e.saves != n || app.saves.Load() != n {
		t.Fatalf("hx-post: reason %v, handler runs %d; want %v with %d runs", e.reason, app.saves.Load(), want, n)
	}
	if swaps4xx {
		js := fmt.Sprintf(`document.querySelector(%q)?.textContent === "refused"`, target)
		if _, err := chromedp.Run(tab, chromedp.Poll[bool](js, chromedp.WithPollingTimeout(10*time.Second))); err != nil {
			t.Fatalf("htmx 4 did not swap the 403 page into %s: %v", target, err)
		}
		return
	}
	got, err := chromedp.Run(tab, chromedp.Text(target))
	if err != nil || strings.Contains(got, "saved") {
		t.Fatalf("%s shows %q (%v) after a refused hx-post", target, got, err)
	}
}

// login logs alice in through the login page's boosted form and waits
// until the page htmx swapped in names her.
func (app *htmxApp) login(t *testing.T, tab context.Context) {
	t.Helper()
	err := chromedp.Do(tab,
		chromedp.Navigate(app.url+"/login"),
		chromedp.SendKeys("#username", "alice"),
		chromedp.SendKeys("#password", htmxPassword),
		chromedp.Click("#login-form button"),
		chromedp.Poll[chromedp.Void](`document.querySelector("#user")?.textContent === "alice"`, chromedp.WithPollingTimeout(10*time.Second)),
	)
	if err != nil {
		t.Fatalf("log in: %v", err)
	}
	if !app.boostedLogin.Load() {
		t.Fatal("the login form was not boosted: the test would not see the swapped page")
	}
}

func TestHTMX(t *testing.T) {
	for _, v := range htmxVersions {
		t.Run(v.name, func(t *testing.T) {
			// The documented snippet: an hx-post with the token runs, one
			// from outside the element carrying it is refused, and a
			// boosted login (a new CSRF secret) leaves it working.
			t.Run("documented snippet", func(t *testing.T) {
				app := startHTMXApp(t, v, documentedLayout)
				tab := newTab(t, false)
				if err := chromedp.Do(tab, chromedp.Navigate(app.url+"/")); err != nil {
					t.Fatal(err)
				}
				expectSaved(t, tab, app.save(t, tab, "#save"), 1, "#result")
				expectRefused(t, tab, app, app.save(t, tab, "#bare"), csrf.ErrNoToken, 1, "#bare-result", !v.implicit)
				// An element with a header of its own keeps the token too.
				e := app.save(t, tab, "#save-own")
				expectSaved(t, tab, e, 2, "#result")
				if e.extra != "yes" {
					t.Fatalf("X-Extra %q, want the element's own header", e.extra)
				}
				// In htmx 4 a plain hx-headers replaces the inherited one.
				e = app.save(t, tab, "#save-replace")
				saves := int64(2)
				if v.implicit {
					saves++
					expectSaved(t, tab, e, saves, "#result")
				} else {
					expectRefused(t, tab, app, e, csrf.ErrNoToken, saves, "#result", true)
				}
				app.login(t, tab)
				expectSaved(t, tab, app.save(t, tab, "#save"), saves+1, "#result")
			})
			// The pitfall the documentation warns about: a boosted login
			// replaces the body's content, not its attributes, so a token
			// on <body> is the pre-login one. A full page load mends it.
			t.Run("token on body, boosted login", func(t *testing.T) {
				app := startHTMXApp(t, v, bodyLayout)
				tab := newTab(t, false)
				app.login(t, tab)
				expectRefused(t, tab, app, app.save(t, tab, "#save"), csrf.ErrTokenMismatch, 0, "#result", !v.implicit)
				if err := chromedp.Do(tab, chromedp.Reload()); err != nil {
					t.Fatal(err)
				}
				expectSaved(t, tab, app.save(t, tab, "#save"), 1, "#result")
			})
			// hx-headers alone (what HXHeaders wrote before) reaches child
			// elements in htmx 2 only.
			t.Run("hx-headers without :inherited", func(t *testing.T) {
				app := startHTMXApp(t, v, plainLayout)
				tab := newTab(t, false)
				if err := chromedp.Do(tab, chromedp.Navigate(app.url+"/")); err != nil {
					t.Fatal(err)
				}
				e := app.save(t, tab, "#save")
				if v.implicit {
					expectSaved(t, tab, e, 1, "#result")
				} else {
					expectRefused(t, tab, app, e, csrf.ErrNoToken, 0, "#result", true)
				}
			})
		})
	}
}
