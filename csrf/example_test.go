package csrf_test

import (
	"errors"
	"fmt"
	"html/template"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"

	"github.com/bulwark-go/bulwark/csrf"
)

// quiet keeps the examples' output free of log lines.
var quiet = slog.New(slog.DiscardHandler)

// key stands in for 32 random bytes loaded from your secret storage.
var key = []byte("an example key of 32+ bytes......")

func ExampleProtector_Handler() {
	p, err := csrf.New(csrf.Config{Key: key, Logger: quiet})
	if err != nil {
		panic(err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /form", func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, csrf.Token(r))
	})
	mux.HandleFunc("POST /form", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintln(os.Stdout, "saved", r.FormValue("title"))
	})
	h := p.Handler(mux)

	// A browser loads the form: it gets a token and the csrf cookie.
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest("GET", "http://localhost:8000/form", nil))
	token, cookie := w.Body.String(), w.Result().Cookies()[0]

	// It submits the form.
	post := func(token string) int {
		body := url.Values{"title": {"hello"}, "csrf_token": {token}}.Encode()
		r := httptest.NewRequest("POST", "http://localhost:8000/form", strings.NewReader(body))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		r.Header.Set("Origin", "http://localhost:8000")
		r.AddCookie(cookie)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		return w.Code
	}
	fmt.Println(post(token))
	fmt.Println(post("forged"))
	// Output:
	// saved hello
	// 200
	// 403
}

func ExampleTemplateField() {
	p, _ := csrf.New(csrf.Config{Key: key, Logger: quiet})
	h := p.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		field := string(csrf.TemplateField(r))
		fmt.Println(field[:len(`<input type="hidden" name="csrf_token" value="`)])
	}))
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/", nil))
	// Output:
	// <input type="hidden" name="csrf_token" value="
}

func ExampleFuncMap() {
	page := template.Must(template.New("page").Funcs(csrf.FuncMap()).Parse(
		`<head>{{ csrfMeta .Request }}</head>
<form method="post" action="/items">{{ csrfField .Request }}<button>Add</button></form>`))
	p, _ := csrf.New(csrf.Config{Key: key, Logger: quiet})
	h := p.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var b strings.Builder
		if err := page.Execute(&b, map[string]any{"Request": r}); err != nil {
			panic(err)
		}
		fmt.Println(strings.Count(b.String(), `name="csrf-token"`), strings.Count(b.String(), `name="csrf_token"`))
	}))
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest("GET", "/", nil))
	fmt.Println(w.Header().Get("Vary"), len(w.Result().Cookies()))
	// Output:
	// 1 1
	// Cookie 1
}

func ExampleRotate() {
	p, _ := csrf.New(csrf.Config{Key: key, Logger: quiet})
	login := p.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// ... verify the password, renew the session ...
		if err := csrf.Rotate(w, r); err != nil {
			http.Error(w, "try again", http.StatusInternalServerError)
			return
		}
		http.Redirect(w, r, "/", http.StatusSeeOther)
	}))
	r := httptest.NewRequest("POST", "http://localhost:8000/login", nil)
	r.Header.Set("Origin", "http://localhost:8000")
	w := httptest.NewRecorder()
	csrf.Exempt(login).ServeHTTP(w, r) // exempt only to keep the example short
	fmt.Println(w.Code, w.Result().Cookies()[0].Name)
	// Output:
	// 303 csrf
}

func ExampleNew_trustedOrigins() {
	p, err := csrf.New(csrf.Config{
		Key:  key,
		Mode: csrf.Tokenless,
		TrustedOrigins: []string{
			"https://example.com",   // the apex, listed explicitly
			"https://*.example.com", // every subdomain, https only
		},
		Logger: quiet,
	})
	if err != nil {
		panic(err)
	}
	h := p.Handler(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	for _, origin := range []string{"https://app.example.com", "https://example.com", "http://app.example.com", "https://evil-example.com"} {
		r := httptest.NewRequest("POST", "https://api.example.com/v1/items", nil)
		r.Header.Set("Origin", origin)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		fmt.Println(origin, w.Code)
	}
	_, err = csrf.New(csrf.Config{TrustedOrigins: []string{"app.example.com"}})
	fmt.Println(err)
	// Output:
	// https://app.example.com 200
	// https://example.com 200
	// http://app.example.com 403
	// https://evil-example.com 403
	// csrf: trusted origin "app.example.com": scheme is required (write "https://app.example.com")
}

func ExampleNew_tokenless() {
	p, _ := csrf.New(csrf.Config{
		Mode: csrf.Tokenless,
		FailureHandler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			fmt.Println("rejected:", csrf.Reason(r))
			http.Error(w, "forbidden", http.StatusForbidden)
		}),
		Logger: quiet,
	})
	api := p.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Println("accepted")
	}))
	send := func(headers ...string) {
		r := httptest.NewRequest("POST", "http://localhost:8000/api/items", strings.NewReader(`{}`))
		for i := 0; i < len(headers); i += 2 {
			r.Header.Set(headers[i], headers[i+1])
		}
		api.ServeHTTP(httptest.NewRecorder(), r)
	}
	send("Sec-Fetch-Site", "same-origin", "Origin", "http://localhost:8000")
	send("Sec-Fetch-Site", "cross-site", "Origin", "https://evil.example")
	send() // no browser metadata at all: fails closed
	// Output:
	// accepted
	// rejected: csrf: cross-site request (Sec-Fetch-Site: cross-site)
	// rejected: csrf: request has none of Sec-Fetch-Site, Origin and Referer
}

func ExampleReason() {
	p, _ := csrf.New(csrf.Config{
		Key:    key,
		Logger: quiet,
		FailureHandler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if errors.Is(csrf.Reason(r), csrf.ErrNoCookie) {
				fmt.Println("ask the user to enable cookies")
			}
			w.WriteHeader(http.StatusForbidden)
		}),
	})
	h := p.Handler(http.NotFoundHandler())
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("POST", "http://localhost/", nil))
	// Output:
	// ask the user to enable cookies
}

func ExampleExempt() {
	p, _ := csrf.New(csrf.Config{Key: key, Logger: quiet})
	mux := http.NewServeMux()
	mux.Handle("POST /webhooks/github", csrf.Exempt(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// verify the webhook's own signature here
		fmt.Println("webhook")
	})))
	h := p.Handler(mux)
	for _, path := range []string{"/webhooks/github", "/webhooks/github/../../admin"} {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest("POST", "http://example.com"+path, nil))
		fmt.Println(path, w.Code)
	}
	// Output:
	// webhook
	// /webhooks/github 200
	// /webhooks/github/../../admin 403
}

func ExampleConfig_previousKeys() {
	oldKey := []byte("the key being retired, 32+ bytes.")
	newKey := []byte("the new key from secret storage..")
	app := func(p *csrf.Protector) http.Handler {
		mux := http.NewServeMux()
		mux.HandleFunc("GET /form", func(w http.ResponseWriter, r *http.Request) {
			io.WriteString(w, csrf.Token(r))
		})
		mux.HandleFunc("POST /form", func(w http.ResponseWriter, r *http.Request) {})
		return p.Handler(mux)
	}
	get := func(h http.Handler, c *http.Cookie) (token string, set *http.Cookie) {
		r := httptest.NewRequest("GET", "http://localhost:8000/form", nil)
		if c != nil {
			r.AddCookie(c)
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if cs := w.Result().Cookies(); len(cs) > 0 {
			set = cs[0]
		}
		return w.Body.String(), set
	}
	post := func(h http.Handler, c *http.Cookie, token string) int {
		body := url.Values{"csrf_token": {token}}.Encode()
		r := httptest.NewRequest("POST", "http://localhost:8000/form", strings.NewReader(body))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		r.Header.Set("Origin", "http://localhost:8000")
		r.AddCookie(c)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		return w.Code
	}

	// Before the rotation a client got a cookie and a token.
	before, _ := csrf.New(csrf.Config{Key: oldKey, Logger: quiet})
	token, oldCookie := get(app(before), nil)

	// The app restarts with the new Key; the old one verifies old cookies.
	during, err := csrf.New(csrf.Config{Key: newKey, PreviousKeys: [][]byte{oldKey}, Logger: quiet})
	if err != nil {
		panic(err)
	}
	h := app(during)
	fmt.Println("old cookie accepted:", post(h, oldCookie, token))
	_, newCookie := get(h, oldCookie) // the next page re-signs it with Key
	fmt.Println("re-signed:", newCookie != nil && newCookie.Value != oldCookie.Value)
	fmt.Println("open page's token with the new cookie:", post(h, newCookie, token))

	// Later the old key is dropped: only re-signed cookies still verify.
	after, _ := csrf.New(csrf.Config{Key: newKey, Logger: quiet})
	fmt.Println("new cookie after the rotation:", post(app(after), newCookie, token))
	fmt.Println("old cookie after the rotation:", post(app(after), oldCookie, token))

	_, err = csrf.New(csrf.Config{Key: newKey, PreviousKeys: [][]byte{[]byte("too short")}})
	fmt.Println(err)
	// Output:
	// old cookie accepted: 200
	// re-signed: true
	// open page's token with the new cookie: 200
	// new cookie after the rotation: 200
	// old cookie after the rotation: 403
	// csrf: PreviousKeys[0] is 9 bytes: a previous key must be a whole former Key (at least 32 bytes); remove the entry or fix its value
}

// Middleware that must refuse to run without CSRF protection in front (as
// auth's login handler does) asks Protected: it renders no token, so the
// response is left alone.
func ExampleProtected() {
	guarded := func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if !csrf.Protected(r) {
				http.Error(w, "server misconfigured: no CSRF protection", http.StatusInternalServerError)
				return
			}
			next.ServeHTTP(w, r)
		})
	}
	ok := guarded(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") }))
	p, err := csrf.New(csrf.Config{Key: key, Logger: quiet})
	if err != nil {
		panic(err)
	}
	for _, h := range []http.Handler{ok, p.Handler(ok)} {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest("GET", "http://localhost:8000/", nil))
		fmt.Println(w.Code, w.Header().Get("Set-Cookie") == "")
	}
	// Output:
	// 500 true
	// 200 true
}
