package stacks

import (
	"bytes"
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
)

// stack is one way of wiring Bulwark: the options its Kit needs and the
// handler it builds.
type stack struct {
	name  string
	opts  Options
	build func(*Kit) http.Handler
}

var echoExempt = Options{ExemptPaths: []string{"POST /webhook"}}

var stackList = []stack{
	{"net/http", Options{}, NetHTTP},
	{"chi", Options{}, Chi},
	{"gorilla/mux", Options{}, Gorilla},
	{"echo v4", echoExempt, Echo4},
	{"echo v5", echoExempt, Echo5},
	{"templ", TemplOptions, Templ},
	{"gin", Options{}, Gin},
}

const password = "correct horse battery"

// TestStacks runs the same contract against every stack over real HTTP
// with a cookie jar, as a browser would.
func TestStacks(t *testing.T) {
	for _, s := range stackList {
		t.Run(s.name, func(t *testing.T) {
			var logs syncBuffer
			s.opts.Logger = slog.New(slog.NewTextHandler(&logs, nil))
			k, err := NewKit(t.Context(), t.TempDir(), s.opts)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := k.Accounts.Create(t.Context(), "alice", password); err != nil {
				t.Fatal(err)
			}
			srv := httptest.NewServer(s.build(k))
			defer srv.Close()
			checkContract(t, k, srv.URL)
			if strings.Contains(logs.String(), "level=ERROR") {
				t.Errorf("error logged:\n%s", logs.String())
			}
		})
	}
}

func checkContract(t *testing.T, k *Kit, base string) {
	alice, other := newClient(t, base), newClient(t, base)
	tok := alice.token("/form")

	if res := alice.post("/notes", url.Values{"csrf_token": {tok}, "body": {"hi"}}, sameOrigin(base)); res.status != 200 || k.Notes.Load() != 1 {
		t.Fatalf("valid POST: status %d, handler ran %d times: %s", res.status, k.Notes.Load(), res.body)
	}
	forged := []struct {
		name  string
		form  url.Values
		headr map[string]string
	}{
		{"missing token", url.Values{"body": {"x"}}, sameOrigin(base)},
		{"another session's token", url.Values{"csrf_token": {other.token("/form")}, "body": {"x"}}, sameOrigin(base)},
		{"cross-site origin", url.Values{"csrf_token": {alice.token("/form")}, "body": {"x"}},
			map[string]string{"Origin": "http://evil.example", "Sec-Fetch-Site": "cross-site"}},
	}
	for _, f := range forged {
		if res := alice.post("/notes", f.form, f.headr); res.status != 403 || k.Notes.Load() != 1 {
			t.Errorf("%s: status %d, handler ran %d times; want 403 and no run", f.name, res.status, k.Notes.Load())
		}
	}

	// A webhook from another site's server: no cookie, no token.
	hook := newClient(t, base)
	if res := hook.post("/webhook", url.Values{"event": {"paid"}}, map[string]string{"Origin": "https://payments.example", "Sec-Fetch-Site": "cross-site"}); res.status != 200 || k.Hooks.Load() != 1 {
		t.Errorf("exempt webhook: status %d, ran %d times", res.status, k.Hooks.Load())
	}

	// Login rotates the session and the token; the next form still works.
	login := url.Values{"username": {"alice"}, "password": {password}, "csrf_token": {alice.token("/login")}}
	if res := alice.post("/login", login, sameOrigin(base)); res.status != http.StatusSeeOther {
		t.Fatalf("login: status %d: %s", res.status, res.body)
	}
	if who := alice.get("/whoami").body; who != "alice" {
		t.Fatalf("after login /whoami says %q", who)
	}
	if res := alice.post("/notes", url.Values{"csrf_token": {alice.token("/form")}}, sameOrigin(base)); res.status != 200 || k.Notes.Load() != 2 {
		t.Fatalf("POST after login: status %d: %s", res.status, res.body)
	}

	// Logout is POST-only.
	if res := alice.get("/logout"); res.status != http.StatusMethodNotAllowed || alice.get("/whoami").body != "alice" {
		t.Errorf("GET /logout: status %d; want 405 and still signed in", res.status)
	}
	if res := alice.post("/logout", url.Values{"csrf_token": {alice.token("/form")}}, sameOrigin(base)); res.status != http.StatusSeeOther {
		t.Errorf("POST /logout: status %d: %s", res.status, res.body)
	}
	if who := alice.get("/whoami").body; who != "nobody" {
		t.Errorf("after logout /whoami says %q", who)
	}

	// A server-sent event stream arrives whole, as a stream.
	res := alice.get("/events")
	if res.status != 200 || !strings.HasPrefix(res.header.Get("Content-Type"), "text/event-stream") ||
		res.body != "data: event 0\n\ndata: event 1\n\ndata: event 2\n\n" {
		t.Errorf("events: status %d, type %q, body %q", res.status, res.header.Get("Content-Type"), res.body)
	}
}

func sameOrigin(base string) map[string]string {
	return map[string]string{"Origin": base, "Sec-Fetch-Site": "same-origin"}
}

// client is a cookie-keeping HTTP client that does not follow redirects.
type client struct {
	t    *testing.T
	base string
	c    *http.Client
}

func newClient(t *testing.T, base string) *client {
	jar, _ := cookiejar.New(nil)
	return &client{t, base, &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}}
}

type response struct {
	status int
	header http.Header
	body   string
}

func (c *client) do(req *http.Request) response {
	c.t.Helper()
	res, err := c.c.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return response{res.StatusCode, res.Header, string(b)}
}

func (c *client) get(path string) response {
	c.t.Helper()
	req, _ := http.NewRequest("GET", c.base+path, nil)
	return c.do(req)
}

func (c *client) post(path string, form url.Values, header map[string]string) response {
	c.t.Helper()
	req, _ := http.NewRequest("POST", c.base+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for k, v := range header {
		req.Header.Set(k, v)
	}
	return c.do(req)
}

var tokenRE = regexp.MustCompile(`name="csrf_token" value="([^"]+)"`)

// token renders path and returns the token in its form.
func (c *client) token(path string) string {
	c.t.Helper()
	res := c.get(path)
	m := tokenRE.FindStringSubmatch(res.body)
	if m == nil {
		c.t.Fatalf("GET %s: status %d, no token in %q", path, res.status, res.body)
	}
	return m[1]
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// The templ stack's pages are templ components, auth's login page too.
func TestTemplRendersThePages(t *testing.T) {
	k, err := NewKit(t.Context(), t.TempDir(), TemplOptions)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(Templ(k))
	defer srv.Close()
	c := newClient(t, srv.URL)
	if body := c.get("/login").body; !strings.Contains(body, `id="templ-login"`) || !tokenRE.MatchString(body) {
		t.Errorf("login page is not the templ component with a token: %s", body)
	}
	body := c.get("/form").body
	for _, want := range []string{`<meta name="csrf-token" content="`, `hx-headers:inherited="{`, `name="csrf_token" value="`} {
		if !strings.Contains(body, want) {
			t.Errorf("form page lacks %s: %s", want, body)
		}
	}
}
