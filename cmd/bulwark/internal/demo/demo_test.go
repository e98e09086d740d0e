package demo_test

import (
	"context"
	"encoding/json"
	"errors"
	"html"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/bulwark-go/bulwark/auth"
	"github.com/bulwark-go/bulwark/cmd/bulwark/internal/demo"
)

// testParams makes password hashing cheap. Tests only.
var testParams = auth.Params{Memory: 64, Iterations: 1, Parallelism: 1}

const (
	victimOrigin   = "http://localhost:8000"
	attackerOrigin = "http://127.0.0.1:8001"
	password       = "correct horse battery"
)

func newDemo(t testing.TB, cfg demo.Config) *demo.Demo {
	t.Helper()
	cfg.DataDir = t.TempDir()
	cfg.PasswordParams = testParams
	cfg.VictimURL = victimOrigin
	cfg.AttackerURL = attackerOrigin
	cfg.Logger = slog.New(slog.DiscardHandler)
	d, err := demo.New(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := d.Close(); err != nil {
			t.Error(err)
		}
	})
	return d
}

// client drives a handler in-process like a browser on the victim's own
// pages: it keeps cookies (Secure ones too, as browsers do on localhost)
// and sends same-origin metadata unless told otherwise.
type client struct {
	t       testing.TB
	h       http.Handler
	cookies map[string]string
	// remote is the requests' RemoteAddr; "": httptest's default.
	remote string
	// setCookies are the Set-Cookie lines of the last response.
	setCookies []string
}

func newClient(t testing.TB, h http.Handler) *client {
	return &client{t: t, h: h, cookies: map[string]string{}}
}

type response struct {
	*http.Response
	body string
}

// do sends a request. hdr "Sec-Fetch-Site" defaults to same-origin and
// "Origin" to the app's origin for unsafe methods; an empty value removes it.
func (c *client) do(method, target, body string, hdr map[string]string) response {
	c.t.Helper()
	r := httptest.NewRequest(method, victimOrigin+target, strings.NewReader(body))
	r.Header.Set("Sec-Fetch-Site", "same-origin")
	if method != http.MethodGet && method != http.MethodHead {
		r.Header.Set("Origin", victimOrigin)
	}
	if body != "" {
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for k, v := range hdr {
		if k == "Host" {
			r.Host = v
			continue
		}
		if v == "" {
			r.Header.Del(k)
		} else {
			r.Header.Set(k, v)
		}
	}
	for name, val := range c.cookies {
		r.AddCookie(&http.Cookie{Name: name, Value: val})
	}
	if c.remote != "" {
		r.RemoteAddr = c.remote
	}
	w := httptest.NewRecorder()
	c.h.ServeHTTP(w, r)
	res := w.Result()
	c.setCookies = res.Header.Values("Set-Cookie")
	for _, ck := range res.Cookies() {
		if ck.MaxAge < 0 || ck.Value == "" {
			delete(c.cookies, ck.Name)
		} else {
			c.cookies[ck.Name] = ck.Value
		}
	}
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode >= 500 {
		c.t.Errorf("%s %s: status %d: %s", method, target, res.StatusCode, b)
	}
	return response{res, string(b)}
}

var tokenRE = regexp.MustCompile(`name="csrf_token" value="([^"]+)"`)

// token returns the CSRF token from the form on the page at path.
func (c *client) token(path string) string {
	c.t.Helper()
	res := c.do(http.MethodGet, path, "", nil)
	m := tokenRE.FindStringSubmatch(res.body)
	if m == nil {
		c.t.Fatalf("GET %s: no csrf_token field in the page (status %d)", path, res.StatusCode)
	}
	return html.UnescapeString(m[1])
}

func (c *client) login(name string) response {
	c.t.Helper()
	form := url.Values{"username": {name}, "password": {password}}
	if tok := tokenRE.FindStringSubmatch(c.do(http.MethodGet, "/login", "", nil).body); tok != nil {
		form.Set("csrf_token", html.UnescapeString(tok[1]))
	}
	res := c.do(http.MethodPost, "/login", form.Encode(), nil)
	if res.StatusCode != http.StatusSeeOther {
		c.t.Fatalf("login as %s: status %d: %s", name, res.StatusCode, res.body)
	}
	return res
}

func addUser(t *testing.T, d *demo.Demo, name string) {
	t.Helper()
	if _, err := d.Accounts().Create(context.Background(), name, password); err != nil {
		t.Fatal(err)
	}
}

func liveSessions(t *testing.T, d *demo.Demo, name string) int {
	t.Helper()
	n, err := d.LiveSessions(context.Background(), name)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestAnonymousRoutes(t *testing.T) {
	d := newDemo(t, demo.Config{})
	c := newClient(t, d.Victim())
	tests := []struct {
		name, method, path string
		hdr                map[string]string
		status             int
		contains           string
		header, value      string
	}{
		{"home links to login", "GET", "/", nil, 200, `href="/login"`, "Content-Security-Policy", "default-src 'self'; script-src 'none'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"},
		{"login form has a csrf token", "GET", "/login", nil, 200, `name="csrf_token"`, "", ""},
		{"GET logout is the 405 page", "GET", "/logout", nil, 405, `id="logout-405-form"`, "Allow", "POST"},
		{"HEAD logout is 405", "HEAD", "/logout", nil, 405, "", "Allow", "POST"},
		{"notes need a login", "GET", "/notes", nil, 303, "", "Location", "/login?next=%2Fnotes"},
		{"the API answers 401 in JSON", "GET", "/api/notes", map[string]string{"Accept": "application/json"}, 401, "", "", ""},
		{"attack log page", "GET", "/attack-log", nil, 200, "Nothing yet", "", ""},
		{"attack log JSON", "GET", "/api/attack-log", nil, 200, `"entries": []`, "Content-Type", "application/json"},
		{"stylesheet", "GET", "/static/style.css", nil, 200, "body {", "Content-Type", "text/css; charset=utf-8"},
		{"unknown page", "GET", "/nope", nil, 404, "no such page", "", ""},
		{"PUT notes without a token meets the CSRF check first", "PUT", "/notes", nil, 403, "", "", ""},
		{"anonymous POST logout without a token", "POST", "/logout", nil, 403, "refused by the CSRF check", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := c.do(tt.method, tt.path, "", tt.hdr)
			if res.StatusCode != tt.status {
				t.Errorf("status = %d, want %d; body: %.300s", res.StatusCode, tt.status, res.body)
			}
			if !strings.Contains(res.body, tt.contains) {
				t.Errorf("body does not contain %q: %.500s", tt.contains, res.body)
			}
			if tt.header != "" && res.Header.Get(tt.header) != tt.value {
				t.Errorf("%s = %q, want %q", tt.header, res.Header.Get(tt.header), tt.value)
			}
		})
	}
}

func TestLoginNotesLogout(t *testing.T) {
	d := newDemo(t, demo.Config{})
	addUser(t, d, "alice")
	c := newClient(t, d.Victim())
	c.login("alice")

	if res := c.do("GET", "/", "", nil); !strings.Contains(res.body, `Signed in as <strong id="username">alice</strong>`) {
		t.Fatalf("home after login does not say signed in as alice: %.600s", res.body)
	}
	if res := c.do("GET", "/logout", "", nil); res.StatusCode != 405 || liveSessions(t, d, "alice") != 1 {
		t.Errorf("GET /logout: status %d, live sessions %d; want 405 and still logged in", res.StatusCode, liveSessions(t, d, "alice"))
	}

	t.Run("form note", func(t *testing.T) {
		tok := c.token("/notes")
		form := url.Values{"csrf_token": {tok}, "body": {"  <script>x</script>  "}}
		res := c.do("POST", "/notes", form.Encode(), nil)
		if res.StatusCode != 303 || res.Header.Get("Location") != "/notes" {
			t.Fatalf("POST /notes: %d %q", res.StatusCode, res.Header.Get("Location"))
		}
		page := c.do("GET", "/notes", "", nil)
		if !strings.Contains(page.body, "&lt;script&gt;x&lt;/script&gt;") {
			t.Errorf("the note is not shown escaped: %.800s", page.body)
		}
	})
	t.Run("invalid form notes", func(t *testing.T) {
		tok := c.token("/notes")
		for name, body := range map[string]string{"empty": "   ", "too long": strings.Repeat("x", demo.MaxNoteLength+1), "bad UTF-8": "\xff\xfe"} {
			res := c.do("POST", "/notes", url.Values{"csrf_token": {tok}, "body": {body}}.Encode(), nil)
			if res.StatusCode != http.StatusUnprocessableEntity {
				t.Errorf("%s: status %d, want 422", name, res.StatusCode)
			}
		}
	})
	t.Run("JSON API", func(t *testing.T) {
		tok := c.token("/notes")
		res := c.do("POST", "/api/notes", `{"body": "from the API"}`, map[string]string{"Content-Type": "application/json", "X-CSRF-Token": tok})
		if res.StatusCode != http.StatusCreated {
			t.Fatalf("POST /api/notes: %d %s", res.StatusCode, res.body)
		}
		res = c.do("POST", "/api/notes", `{"body": "no token"}`, map[string]string{"Content-Type": "application/json"})
		if res.StatusCode != http.StatusForbidden || !strings.Contains(res.body, `"error"`) {
			t.Errorf("POST /api/notes without a token: %d %s, want 403 JSON", res.StatusCode, res.body)
		}
		bad := map[string]struct {
			body   string
			status int
		}{
			"not JSON":      {"body=x", 400},
			"no body field": {`{"text": "x"}`, 400},
			"trailing data": {`{"body": "x"} {}`, 400},
			"wrong type":    {`{"body": 1}`, 400},
			"empty note":    {`{"body": ""}`, 422},
			"too large":     {`{"body": "` + strings.Repeat("x", 70<<10) + `"}`, 413},
		}
		for name, tt := range bad {
			res := c.do("POST", "/api/notes", tt.body, map[string]string{"Content-Type": "application/json", "X-CSRF-Token": tok})
			if res.StatusCode != tt.status {
				t.Errorf("%s: status %d, want %d: %s", name, res.StatusCode, tt.status, res.body)
			}
		}
		var list struct{ Notes []demo.Note }
		res = c.do("GET", "/api/notes", "", nil)
		if err := json.Unmarshal([]byte(res.body), &list); err != nil || len(list.Notes) != 2 || list.Notes[0].Body != "from the API" {
			t.Errorf("GET /api/notes = %s (%v), want 2 notes, newest first", res.body, err)
		}
	})

	tok := c.token("/")
	res := c.do("POST", "/logout", url.Values{"csrf_token": {tok}}.Encode(), nil)
	if res.StatusCode != 303 {
		t.Fatalf("POST /logout: %d", res.StatusCode)
	}
	if n := liveSessions(t, d, "alice"); n != 0 {
		t.Errorf("after logout alice has %d live sessions", n)
	}
}

func TestAttackLogRecordsCrossSiteRequests(t *testing.T) {
	d := newDemo(t, demo.Config{CookieSameSite: http.SameSiteNoneMode})
	addUser(t, d, "bob")
	c := newClient(t, d.Victim())
	c.login("bob")
	if _, ok := c.cookies["__Host-session"]; !ok {
		t.Fatalf("with SameSite=None the session cookie should be Secure and named __Host-session; cookies: %v", c.cookies)
	}
	crossSite := map[string]string{"Sec-Fetch-Site": "cross-site", "Origin": attackerOrigin, "Referer": attackerOrigin + "/"}
	noOrigin := map[string]string{"Sec-Fetch-Site": "cross-site", "Origin": "", "Referer": attackerOrigin + "/"}

	tests := []struct {
		name, method, target, body string
		hdr                        map[string]string
		status                     int
		verdict, reason            string
	}{
		{"img logout", "GET", "/logout?attack=a", "", noOrigin, 405, demo.VerdictRefused, "GET cannot log out"},
		{"form logout", "POST", "/logout?attack=b", "x=1", crossSite, 403, demo.VerdictRefused, "csrf: cross-site request"},
		{"form note", "POST", "/notes?attack=c", "body=pwned", crossSite, 403, demo.VerdictRefused, "csrf: cross-site request"},
		{"fetch note", "POST", "/api/notes?attack=d", `{"body":"pwned"}`, crossSite, 403, demo.VerdictRefused, "csrf: cross-site request"},
		{"old browser, origin only", "POST", "/notes?attack=c2", "body=pwned", map[string]string{"Sec-Fetch-Site": "", "Origin": attackerOrigin}, 403, demo.VerdictRefused, "csrf: origin does not match"},
		{"link to the home page", "GET", "/?attack=f", "", noOrigin, 200, demo.VerdictAllowed, "read-only"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := c.do(tt.method, tt.target, tt.body, tt.hdr)
			if res.StatusCode != tt.status {
				t.Fatalf("status %d, want %d", res.StatusCode, tt.status)
			}
			e := d.AttackLog().Entries()[0]
			wantAttack := strings.TrimPrefix(tt.target[strings.Index(tt.target, "?"):], "?attack=")
			if e.Attack != wantAttack || !e.CookieSent || e.User != "bob" || e.Verdict != tt.verdict || !strings.Contains(e.Reason, tt.reason) {
				t.Errorf("entry = %+v, want attack %q, cookie of bob, %q containing %q", e, wantAttack, tt.verdict, tt.reason)
			}
		})
	}
	if n := liveSessions(t, d, "bob"); n != 1 {
		t.Errorf("bob has %d live sessions, want 1", n)
	}
	if notes, _ := d.Notes(context.Background(), "bob"); len(notes) != 0 {
		t.Errorf("notes were created: %+v", notes)
	}

	t.Run("same-origin requests are not logged", func(t *testing.T) {
		before := len(d.AttackLog().Entries())
		c.do("GET", "/notes", "", nil)
		if after := len(d.AttackLog().Entries()); after != before {
			t.Errorf("a same-origin GET was logged")
		}
	})
	t.Run("without the cookie", func(t *testing.T) {
		anon := newClient(t, d.Victim())
		anon.do("GET", "/logout?attack=a", "", noOrigin)
		e := d.AttackLog().Entries()[0]
		if e.CookieSent || e.Verdict != demo.VerdictBlockedByBrowser || !strings.Contains(e.Reason, "your browser blocked it") {
			t.Errorf("entry = %+v, want cookie not sent", e)
		}
	})
	t.Run("the page escapes attacker-controlled headers", func(t *testing.T) {
		c.do("GET", "/?attack=<b>x</b>", "", map[string]string{"Sec-Fetch-Site": "cross-site", "Origin": `"><script>alert(1)</script>`})
		page := c.do("GET", "/attack-log", "", nil)
		if strings.Contains(page.body, "<script>alert(1)") || strings.Contains(page.body, "<b>x</b>") {
			t.Errorf("attack log page renders attacker-controlled HTML")
		}
	})
	t.Run("clear", func(t *testing.T) {
		tok := c.token("/attack-log")
		c.do("POST", "/attack-log/clear", url.Values{"csrf_token": {tok}}.Encode(), nil)
		if n := len(d.AttackLog().Entries()); n != 0 {
			t.Errorf("%d entries after clear", n)
		}
	})
}

func TestUnsafeMode(t *testing.T) {
	d := newDemo(t, demo.Config{Unsafe: true})
	addUser(t, d, "carol")
	c := newClient(t, d.Victim())

	page := c.do("GET", "/login", "", nil)
	if !strings.Contains(page.body, "UNSAFE MODE") {
		t.Error("no unsafe banner on the login page")
	}
	if strings.Contains(page.body, "csrf_token") {
		t.Error("unsafe mode still renders CSRF tokens")
	}
	login := c.login("carol")
	found := false
	for _, ck := range login.Cookies() {
		if ck.Name == "__Host-session" && ck.MaxAge >= 0 {
			found = true
			if ck.SameSite != http.SameSiteNoneMode || !ck.Secure {
				t.Errorf("session cookie %s, want SameSite=None; Secure", ck)
			}
		}
	}
	if !found {
		t.Errorf("the login response set no __Host-session cookie: %v", login.Header["Set-Cookie"])
	}
	res := c.do("POST", "/notes?attack=c", "body=pwned", map[string]string{"Sec-Fetch-Site": "cross-site", "Origin": attackerOrigin})
	if res.StatusCode != 303 {
		t.Errorf("cross-site POST /notes in unsafe mode: %d, want 303 (accepted)", res.StatusCode)
	}
	res = c.do("GET", "/logout?attack=a", "", map[string]string{"Sec-Fetch-Site": "cross-site"})
	if res.StatusCode != 303 || liveSessions(t, d, "carol") != 0 {
		t.Errorf("GET /logout in unsafe mode: %d, live sessions %d; want 303 and logged out", res.StatusCode, liveSessions(t, d, "carol"))
	}
	for _, e := range d.AttackLog().Entries() {
		if e.Verdict != demo.VerdictAcceptedUnsafe {
			t.Errorf("entry %+v, want %q", e, demo.VerdictAcceptedUnsafe)
		}
	}
}

func TestUnsafeModeListensOnlyOnLoopback(t *testing.T) {
	tests := []struct {
		addr, attacker string
		ok             bool
	}{
		{"0.0.0.0:0", "127.0.0.1:0", false},
		{":0", "127.0.0.1:0", false},
		{"[::]:0", "127.0.0.1:0", false},
		{"192.0.2.1:0", "127.0.0.1:0", false},
		{"localhost:0", "0.0.0.0:0", false},
		{"localhost:0", "127.0.0.1:0", true},
	}
	for _, tt := range tests {
		t.Run(tt.addr+" "+tt.attacker, func(t *testing.T) {
			d := newDemo(t, demo.Config{Unsafe: true, Addr: tt.addr, AttackerAddr: tt.attacker})
			v, a, err := d.Listen(context.Background())
			if tt.ok {
				if err != nil {
					t.Fatal(err)
				}
				v.Close()
				a.Close()
				return
			}
			if !errors.Is(err, demo.ErrNotLoopback) {
				if err == nil {
					v.Close()
					a.Close()
				}
				t.Errorf("Listen = %v, want ErrNotLoopback", err)
			}
		})
	}
	t.Run("safe mode may listen on every interface", func(t *testing.T) {
		d := newDemo(t, demo.Config{Addr: "127.0.0.1:0", AttackerAddr: "127.0.0.2:0"})
		v, a, err := d.Listen(context.Background())
		if err != nil {
			t.Skipf("cannot bind 127.0.0.2 here: %v", err)
		}
		v.Close()
		a.Close()
	})
}

func TestServeShutsDown(t *testing.T) {
	cfg := demo.Config{Addr: "localhost:0", AttackerAddr: "127.0.0.1:0", DataDir: t.TempDir(), PasswordParams: testParams, Logger: slog.New(slog.DiscardHandler)}
	d, err := demo.New(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	v, a, err := d.Listen(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(d.VictimURL(), "http://localhost:") || !strings.HasPrefix(d.AttackerURL(), "http://127.0.0.1:") {
		t.Errorf("URLs %q %q", d.VictimURL(), d.AttackerURL())
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- d.Serve(ctx, v, a) }()
	for _, u := range []string{d.VictimURL() + "/", d.AttackerURL() + "/"} {
		res, err := http.Get(u)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != 200 {
			t.Errorf("GET %s: %d", u, res.StatusCode)
		}
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Serve = %v, want nil after shutdown", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Serve did not return after ctx was cancelled")
	}
}

func TestAttackerSite(t *testing.T) {
	d := newDemo(t, demo.Config{})
	get := func(path string) (int, string) {
		w := httptest.NewRecorder()
		d.Attacker().ServeHTTP(w, httptest.NewRequest("GET", attackerOrigin+path, nil))
		return w.Code, w.Body.String()
	}
	code, body := get("/")
	if code != 200 {
		t.Fatalf("index: %d", code)
	}
	for _, a := range demo.Attacks {
		if !strings.Contains(body, `href="`+a.Path+`"`) {
			t.Errorf("index does not link to %s", a.Path)
		}
		t.Run(a.ID, func(t *testing.T) {
			code, page := get(a.Path)
			target := victimOrigin + a.Target + "?attack=" + a.ID
			// In a JavaScript string html/template escapes "/" and "?".
			jsTarget := strings.NewReplacer("/", `\/`, "?", `\u003f`, "=", `\u003d`).Replace(target)
			if code != 200 || !(strings.Contains(page, target) || strings.Contains(page, jsTarget)) {
				t.Errorf("status %d; the page does not target %s:\n%s", code, target, page)
			}
		})
	}
	if code, _ := get("/nope"); code != 404 {
		t.Errorf("unknown page: %d", code)
	}
}

func TestConfigErrors(t *testing.T) {
	tests := map[string]demo.Config{
		"unsafe with SameSite Lax":  {Unsafe: true, CookieSameSite: http.SameSiteLaxMode},
		"bad SameSite value":        {CookieSameSite: 42},
		"victim URL without scheme": {VictimURL: "localhost:8000"},
	}
	for name, cfg := range tests {
		t.Run(name, func(t *testing.T) {
			cfg.DataDir = t.TempDir()
			d, err := demo.New(context.Background(), cfg)
			if err == nil {
				d.Close()
				t.Fatal("New accepted the config")
			}
			if !strings.HasPrefix(err.Error(), "demo: ") {
				t.Errorf("error %q does not start with the package name", err)
			}
		})
	}
}

func TestParseSameSite(t *testing.T) {
	tests := []struct {
		in   string
		want http.SameSite
		ok   bool
	}{
		{"", 0, true}, {"lax", http.SameSiteLaxMode, true}, {"Strict", http.SameSiteStrictMode, true},
		{"NONE", http.SameSiteNoneMode, true}, {"no", 0, false}, {"lax ", 0, false},
	}
	for _, tt := range tests {
		got, err := demo.ParseSameSite(tt.in)
		if got != tt.want || (err == nil) != tt.ok {
			t.Errorf("ParseSameSite(%q) = %v, %v; want %v, ok=%v", tt.in, got, err, tt.want, tt.ok)
		}
	}
}

func TestCreateDemoUser(t *testing.T) {
	d := newDemo(t, demo.Config{})
	ctx := context.Background()
	pw, created, err := d.CreateDemoUser(ctx, "")
	if err != nil || !created || len(pw) != 16 {
		t.Fatalf("first call: %q %v %v, want a new user with a 16-character password", pw, created, err)
	}
	if _, err := d.Accounts().Authenticate(ctx, demo.DemoUsername, pw); err != nil {
		t.Errorf("the printed password does not log in: %v", err)
	}
	if _, created, err := d.CreateDemoUser(ctx, "another password"); err != nil || created {
		t.Errorf("second call created a user (%v, %v)", created, err)
	}
	d2 := newDemo(t, demo.Config{})
	if _, _, err := d2.CreateDemoUser(ctx, "short"); !errors.Is(err, auth.ErrPasswordTooShort) {
		t.Errorf("a too-short password: %v, want ErrPasswordTooShort", err)
	}
}

func TestNoServerErrorsOnGarbage(t *testing.T) {
	d := newDemo(t, demo.Config{})
	addUser(t, d, "dave")
	c := newClient(t, d.Victim())
	c.login("dave")
	tok := c.token("/notes")
	big := strings.Repeat("a", 2<<20)
	tests := []struct {
		name, method, path, body string
		hdr                      map[string]string
	}{
		{"huge form", "POST", "/notes", "csrf_token=" + url.QueryEscape(tok) + "&body=" + big, nil},
		{"huge JSON", "POST", "/api/notes", big, map[string]string{"X-CSRF-Token": tok}},
		{"broken multipart login", "POST", "/login", "--x\r\nbroken", map[string]string{"Content-Type": "multipart/form-data; boundary=x"}},
		{"broken multipart note", "POST", "/notes", "--x\r\nbroken", map[string]string{"Content-Type": "multipart/form-data; boundary=x", "X-CSRF-Token": tok}},
		{"bad percent-encoding", "POST", "/notes", "body=%zz&csrf_token=" + url.QueryEscape(tok), nil},
		{"garbage cookie", "GET", "/notes", "", map[string]string{"Cookie": "session=%%%; __Host-session=\x00"}},
		{"garbage origin", "POST", "/notes", "body=x", map[string]string{"Origin": "\x7f://"}},
		{"garbage referer", "POST", "/notes", "body=x", map[string]string{"Sec-Fetch-Site": "", "Origin": "", "Referer": "%%%"}},
		{"odd method", "BREW", "/", "", nil},
		{"encoded path", "GET", "/static/..%2fdemo.go", "", nil},
		{"login with huge username", "POST", "/login", "username=" + big[:100000] + "&password=x", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := c.do(tt.method, tt.path, tt.body, tt.hdr)
			if res.StatusCode < 400 && tt.method != "GET" {
				t.Errorf("status %d for garbage, want a 4xx", res.StatusCode)
			}
		})
	}
	if n := liveSessions(t, d, "dave"); n != 1 {
		t.Errorf("dave has %d live sessions after the garbage, want 1", n)
	}
}
