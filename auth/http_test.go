package auth_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bulwark-go/bulwark/auth"
	"github.com/bulwark-go/bulwark/csrf"
	"github.com/bulwark-go/bulwark/session"
	"github.com/bulwark-go/bulwark/session/memstore"
)

// csrfMode picks where the CSRF secret lives in a fixture.
type csrfMode int

const (
	csrfCookie  csrfMode = iota // signed cookie bound to the session cookie
	csrfSession                 // in the session (session.CSRFSecrets)
	csrfNone                    // no csrf.Protector at all
)

type fixtureOpts struct {
	csrf        csrfMode
	allowNoCSRF bool
	userLimiter auth.Limiter
	addrLimiter auth.Limiter
	params      auth.Params
	wrapUsers   func(auth.UserStore) auth.UserStore // nil: the SQLite store as is
	wrapStore   func(session.Store) session.Store   // nil: the memstore as is
	logger      *slog.Logger                        // nil: quiet
	loginPage   func(context.Context, io.Writer, auth.LoginData) error
	logoutPage  func(context.Context, io.Writer, auth.LogoutData) error
}

// fixture is an app wired like a real one: session → csrf → auth → mux,
// with a SQLite user store and one user, alice / "correct horse".
type fixture struct {
	srv      *httptest.Server
	handler  http.Handler // what srv serves
	accounts *auth.Accounts
	auth     *auth.Authenticator
	sessions *session.Manager
	alice    auth.User
}

const alicePassword = "correct horse"

func newFixture(t *testing.T, o fixtureOpts) *fixture {
	t.Helper()
	f := &fixture{}
	mem, err := memstore.New(memstore.Config{ReapInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	var store session.Store = mem
	if o.wrapStore != nil {
		store = o.wrapStore(store)
	}
	log := quiet
	if o.logger != nil {
		log = o.logger
	}
	f.sessions, err = session.New(session.Config{Store: store, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	if o.params == (auth.Params{}) {
		o.params = testParams
	}
	var users auth.UserStore = newUsers(t)
	if o.wrapUsers != nil {
		users = o.wrapUsers(users)
	}
	f.accounts, err = auth.NewAccounts(auth.AccountsConfig{Users: users, Params: o.params, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	if f.alice, err = f.accounts.Create(context.Background(), "alice", alicePassword); err != nil {
		t.Fatal(err)
	}
	f.auth, err = auth.New(auth.Config{
		Accounts: f.accounts, Sessions: f.sessions,
		UserLimiter: o.userLimiter, AddrLimiter: o.addrLimiter,
		AllowNoCSRF: o.allowNoCSRF, ClearSiteData: true, Logger: log,
		LoginPage: o.loginPage, LogoutPage: o.logoutPage,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.auth.Close() })

	mux := http.NewServeMux()
	mux.Handle("/login", f.auth.LoginHandler())
	mux.Handle("/logout", f.auth.LogoutHandler())
	mux.Handle("/logout-others", f.auth.LogoutOthersHandler())
	mux.Handle("/private", f.auth.RequireLogin(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u, _ := auth.CurrentUser(r)
		fmt.Fprintf(w, "user=%s token=%s", u.Username, csrf.Token(r))
	})))
	mux.HandleFunc("/{$}", func(w http.ResponseWriter, r *http.Request) {
		u, ok := auth.CurrentUser(r)
		fmt.Fprintf(w, "user=%s ok=%v token=%s", u.Username, ok, csrf.Token(r))
	})
	mux.Handle("POST /hook", csrf.Exempt(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, "hook ran")
	})))
	mux.HandleFunc("POST /touch", func(w http.ResponseWriter, r *http.Request) {
		f.sessions.PutString(r.Context(), "touched", "yes")
	})
	mux.HandleFunc("GET /touched", func(w http.ResponseWriter, r *http.Request) {
		v, _ := f.sessions.GetString(r.Context(), "touched")
		fmt.Fprintf(w, "touched=%s", v)
	})
	mux.Handle("POST /password", f.auth.RequireLogin(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		err := f.auth.ChangePassword(w, r, r.PostFormValue("current"), r.PostFormValue("new"))
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		fmt.Fprint(w, "changed")
	})))

	var h http.Handler = f.auth.Handler(mux)
	switch o.csrf {
	case csrfCookie, csrfSession:
		cfg := csrf.Config{Key: []byte(strings.Repeat("k", 32)), Logger: log}
		if o.csrf == csrfCookie {
			cfg.SessionCookie = "session"
		} else {
			cfg.Secrets = f.sessions.CSRFSecrets()
		}
		p, err := csrf.New(cfg)
		if err != nil {
			t.Fatal(err)
		}
		h = p.Handler(h)
	}
	f.handler = f.sessions.Handler(h)
	f.srv = httptest.NewServer(f.handler)
	t.Cleanup(f.srv.Close)
	return f
}

// browser is a cookie-keeping client that does not follow redirects and
// sends the metadata a same-origin browser form sends.
type browser struct {
	t   *testing.T
	f   *fixture
	c   *http.Client
	jar *cookiejar.Jar
}

func (f *fixture) browser(t *testing.T) *browser {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	return &browser{t: t, f: f, jar: jar, c: &http.Client{
		Jar:           jar,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

type response struct {
	status int
	header http.Header
	body   string
}

func (b *browser) do(method, path string, body io.Reader, hdr map[string]string) response {
	b.t.Helper()
	req, err := http.NewRequest(method, b.f.srv.URL+path, body)
	if err != nil {
		b.t.Fatal(err)
	}
	if method == http.MethodPost {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Origin", b.f.srv.URL)
		req.Header.Set("Sec-Fetch-Site", "same-origin")
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	res, err := b.c.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer res.Body.Close()
	data, _ := io.ReadAll(res.Body)
	return response{res.StatusCode, res.Header, string(data)}
}

func (b *browser) get(path string) response { b.t.Helper(); return b.do("GET", path, nil, nil) }

func (b *browser) post(path string, form url.Values) response {
	b.t.Helper()
	return b.do("POST", path, strings.NewReader(form.Encode()), nil)
}

var tokenRE = regexp.MustCompile(`name="csrf_token" value="([^"]+)"`)

// token renders the login page and returns the CSRF token in it.
func (b *browser) token() string {
	b.t.Helper()
	res := b.get("/login")
	m := tokenRE.FindStringSubmatch(res.body)
	if m == nil {
		b.t.Fatalf("no csrf token on the login page (status %d): %s", res.status, res.body)
	}
	return m[1]
}

func (b *browser) login(username, password string, extra ...string) response {
	b.t.Helper()
	form := url.Values{"username": {username}, "password": {password}, "csrf_token": {b.token()}}
	for i := 0; i+1 < len(extra); i += 2 {
		form.Set(extra[i], extra[i+1])
	}
	return b.post("/login", form)
}

func (b *browser) mustLogin() {
	b.t.Helper()
	if res := b.login("alice", alicePassword); res.status != http.StatusSeeOther {
		b.t.Fatalf("login: status %d: %s", res.status, res.body)
	}
}

// user returns who the app thinks is logged in ("" for nobody).
func (b *browser) user() string {
	b.t.Helper()
	res := b.get("/")
	m := regexp.MustCompile(`user=(\S*) ok=(\w+)`).FindStringSubmatch(res.body)
	if res.status != 200 || m == nil {
		b.t.Fatalf("GET /: status %d: %s", res.status, res.body)
	}
	return m[1]
}

// sessionID is the browser's session cookie value ("" when none).
func (b *browser) sessionID() string {
	u, _ := url.Parse(b.f.srv.URL)
	for _, c := range b.jar.Cookies(u) {
		if c.Name == "session" {
			return c.Value
		}
	}
	return ""
}

// pageToken returns the token rendered on GET / (logged in or not).
func (b *browser) pageToken() string {
	b.t.Helper()
	m := regexp.MustCompile(`token=(\S+)`).FindStringSubmatch(b.get("/").body)
	if m == nil {
		b.t.Fatal("no token on /")
	}
	return m[1]
}

func eachCSRFMode(t *testing.T, run func(t *testing.T, mode csrfMode)) {
	for _, m := range []struct {
		name string
		mode csrfMode
	}{{"signed cookie", csrfCookie}, {"session secrets", csrfSession}} {
		t.Run(m.name, func(t *testing.T) { run(t, m.mode) })
	}
}

func TestLoginLogoutFlow(t *testing.T) {
	eachCSRFMode(t, func(t *testing.T, mode csrfMode) {
		f := newFixture(t, fixtureOpts{csrf: mode})
		b := f.browser(t)
		login := b.get("/login")
		if login.status != 200 || !tokenRE.MatchString(login.body) || login.header.Get("Cache-Control") != "no-store" {
			t.Fatalf("GET /login: %d %v %s", login.status, login.header, login.body)
		}
		if b.user() != "" {
			t.Fatal("logged in before login")
		}
		res := b.login("ALICE", alicePassword)
		if res.status != http.StatusSeeOther || res.header.Get("Location") != "/" {
			t.Fatalf("login: %d Location=%q", res.status, res.header.Get("Location"))
		}
		if got := b.user(); got != "alice" {
			t.Fatalf("after login user = %q", got)
		}
		if res := b.get("/private"); res.status != 200 || !strings.Contains(res.body, "user=alice") {
			t.Fatalf("GET /private: %d %s", res.status, res.body)
		}
		res = b.post("/logout", url.Values{"csrf_token": {b.pageToken()}})
		if res.status != http.StatusSeeOther || res.header.Get("Location") != "/" {
			t.Fatalf("logout: %d %s", res.status, res.body)
		}
		if res.header.Get("Cache-Control") != "no-store" || res.header.Get("Clear-Site-Data") != `"cookies"` {
			t.Fatalf("logout headers: %v", res.header)
		}
		if got := b.user(); got != "" {
			t.Fatalf("after logout user = %q", got)
		}
		res = b.get("/private?x=1")
		if res.status != http.StatusSeeOther || res.header.Get("Location") != "/login?next=%2Fprivate%3Fx%3D1" {
			t.Fatalf("GET /private after logout: %d Location=%q", res.status, res.header.Get("Location"))
		}
	})
}

// An Exempt handler is exempt in the README's order, session → csrf →
// auth → mux: the Protector looks through auth's and session's middleware.
func TestExemptBehindAuthHandler(t *testing.T) {
	eachCSRFMode(t, func(t *testing.T, mode csrfMode) {
		f := newFixture(t, fixtureOpts{csrf: mode})
		req, _ := http.NewRequest("POST", f.srv.URL+"/hook", strings.NewReader(`{"event":"paid"}`))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Origin", "https://payments.example")
		req.Header.Set("Sec-Fetch-Site", "cross-site")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || string(body) != "hook ran" {
			t.Fatalf("status %d, body %q: the Exempt handler behind auth.Handler did not run", resp.StatusCode, body)
		}
	})
}

func TestLogoutGetIs405(t *testing.T) {
	f := newFixture(t, fixtureOpts{})
	b := f.browser(t)
	b.mustLogin()
	for _, method := range []string{"GET", "HEAD"} {
		t.Run(method, func(t *testing.T) {
			res := b.do(method, "/logout", nil, nil)
			if res.status != http.StatusMethodNotAllowed || res.header.Get("Allow") != "POST" {
				t.Fatalf("status %d Allow=%q", res.status, res.header.Get("Allow"))
			}
			if method == "GET" {
				if !strings.Contains(res.body, `<form method="post" action="/logout">`) || !tokenRE.MatchString(res.body) || !strings.Contains(res.body, "<button") {
					t.Fatalf("405 page lacks a logout form with a token: %s", res.body)
				}
			} else if res.body != "" {
				t.Fatalf("HEAD has a body: %q", res.body)
			}
			if b.user() != "alice" {
				t.Fatal("GET /logout logged the user out")
			}
		})
	}
	t.Run("the button on the 405 page works", func(t *testing.T) {
		page := b.get("/logout")
		tok := tokenRE.FindStringSubmatch(page.body)[1]
		if res := b.post("/logout", url.Values{"csrf_token": {tok}}); res.status != http.StatusSeeOther {
			t.Fatalf("logout: %d", res.status)
		}
		if b.user() != "" {
			t.Fatal("still logged in")
		}
	})
	t.Run("logout-others is POST only", func(t *testing.T) {
		b.mustLogin()
		if res := b.get("/logout-others"); res.status != http.StatusMethodNotAllowed || res.header.Get("Allow") != "POST" {
			t.Fatalf("GET /logout-others: %d Allow=%q", res.status, res.header.Get("Allow"))
		}
	})
	t.Run("login rejects other methods", func(t *testing.T) {
		if res := b.do("DELETE", "/login", nil, nil); res.status != http.StatusMethodNotAllowed && res.status != http.StatusForbidden {
			t.Fatalf("DELETE /login: %d", res.status)
		}
	})
}

func TestLoginNext(t *testing.T) {
	f := newFixture(t, fixtureOpts{})
	tests := []struct{ next, want string }{
		{"/notes", "/notes"},
		{"/notes?page=2", "/notes?page=2"},
		{"", "/"},
		{"//evil.example", "/"},
		{`/\evil.example`, "/"},
		{"https://evil.example/", "/"},
		{"http:///evil.example", "/"},
		{"javascript:alert(1)", "/"},
		{"\t/notes", "/"},
		{" //evil.example", "/"},
		{"/%2F%2Fevil.example", "/"},
		{"/%5Cevil.example", "/"},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%q", tt.next), func(t *testing.T) {
			b := f.browser(t)
			res := b.login("alice", alicePassword, "next", tt.next)
			if res.status != http.StatusSeeOther || res.header.Get("Location") != tt.want {
				t.Fatalf("status %d Location=%q, want %q", res.status, res.header.Get("Location"), tt.want)
			}
		})
	}
	t.Run("GET carries a safe next into the form", func(t *testing.T) {
		b := f.browser(t)
		if body := b.get("/login?next=%2Fnotes").body; !strings.Contains(body, `name="next" value="/notes"`) {
			t.Fatalf("form lacks next: %s", body)
		}
		if body := b.get("/login?next=%2F%2Fevil").body; strings.Contains(body, `name="next"`) {
			t.Fatalf("form carries an unsafe next: %s", body)
		}
	})
}

func TestLoginFailureIsGeneric(t *testing.T) {
	f := newFixture(t, fixtureOpts{})
	if _, err := f.accounts.Create(context.Background(), "bob", "bobs password"); err != nil {
		t.Fatal(err)
	}
	if err := f.accounts.Disable(context.Background(), "bob"); err != nil {
		t.Fatal(err)
	}
	var first string
	for _, c := range []struct{ name, user, pw string }{
		{"wrong password", "alice", "wrong password"},
		{"unknown user", "mallory", "wrong password"},
		{"disabled user with right password", "bob", "bobs password"},
		{"invalid username", "a b", "wrong password"},
	} {
		t.Run(c.name, func(t *testing.T) {
			b := f.browser(t)
			res := b.login(c.user, c.pw)
			if res.status != http.StatusUnprocessableEntity || !strings.Contains(res.body, "Incorrect username or password.") {
				t.Fatalf("status %d: %s", res.status, res.body)
			}
			msg := regexp.MustCompile(`<p role="alert">[^<]*</p>`).FindString(res.body)
			if first == "" {
				first = msg
			} else if msg != first {
				t.Fatalf("message %q differs from %q", msg, first)
			}
			if b.user() != "" {
				t.Fatal("logged in")
			}
		})
	}
	t.Run("missing fields", func(t *testing.T) {
		b := f.browser(t)
		res := b.post("/login", url.Values{"username": {"alice"}, "csrf_token": {b.token()}})
		if res.status != http.StatusUnprocessableEntity {
			t.Fatalf("status %d", res.status)
		}
	})
}

func TestThrottling(t *testing.T) {
	clock := &testClock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	userLimit, err := auth.NewMemoryLimiter(auth.MemoryLimiterConfig{Backoff: auth.Backoff{Free: 2, Base: 10 * time.Second}, Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	defer userLimit.Close()
	addrLimit, err := auth.NewMemoryLimiter(auth.MemoryLimiterConfig{Backoff: auth.Backoff{Free: 5, Base: 30 * time.Second}, Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	defer addrLimit.Close()
	f := newFixture(t, fixtureOpts{userLimiter: userLimit, addrLimiter: addrLimit})
	b := f.browser(t)

	for i := range 3 { // two free failures, the third starts a 10 s wait
		if res := b.login("alice", "wrong password"); res.status != http.StatusUnprocessableEntity {
			t.Fatalf("failure %d: status %d", i+1, res.status)
		}
	}
	res := b.login("Alice", alicePassword)
	if res.status != http.StatusTooManyRequests || res.header.Get("Retry-After") != "10" {
		t.Fatalf("throttled right password: status %d Retry-After=%q", res.status, res.header.Get("Retry-After"))
	}
	if b.user() != "" {
		t.Fatal("a throttled attempt logged in")
	}
	clock.Advance(4 * time.Second)
	if res := b.login("alice", alicePassword); res.header.Get("Retry-After") != "6" {
		t.Fatalf("after 4 s: Retry-After=%q, want 6", res.header.Get("Retry-After"))
	}
	clock.Advance(6 * time.Second)
	if res := b.login("alice", alicePassword); res.status != http.StatusSeeOther {
		t.Fatalf("after the wait: status %d", res.status)
	}

	t.Run("success resets the username", func(t *testing.T) {
		b := f.browser(t)
		for range 2 {
			b.login("alice", "wrong password")
		}
		if res := b.login("alice", "wrong password"); res.status != http.StatusUnprocessableEntity {
			t.Fatalf("status %d: counter not reset by the successful login", res.status)
		}
	})
	t.Run("per address across usernames", func(t *testing.T) {
		// The address has 4 failures so far (3 + 1 above); two more on
		// fresh usernames exceed its 5 free ones.
		b := f.browser(t)
		b.login("nobody1", "wrong password")
		b.login("nobody2", "wrong password")
		res := b.login("nobody3", "wrong password")
		if res.status != http.StatusTooManyRequests || res.header.Get("Retry-After") != "30" {
			t.Fatalf("status %d Retry-After=%q", res.status, res.header.Get("Retry-After"))
		}
	})
}

// testClock is a manually advanced clock, safe for concurrent use.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *testClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}
