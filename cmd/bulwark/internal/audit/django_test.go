package audit_test

import (
	"bufio"
	"context"
	"crypto/rand"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/bulwark-go/bulwark/internal/testlog"
)

// The Django fixture: testdata/djangoapp/app.py, a Django 3.2 site with a
// GET logout link and a @csrf_exempt form among properly protected pages.
const (
	djangoPython       = "/usr/bin/python3"
	djangoApp          = "testdata/djangoapp/app.py"
	djangoUser         = "alice"
	djangoStartTimeout = 60 * time.Second
)

// startDjango starts the Django fixture on a free loopback port with a fresh
// database in a temporary directory, and stops it when the test ends. It
// returns the site's base URL ("http://127.0.0.1:PORT", no trailing slash)
// and the credentials of its one user. Without Django at /usr/bin/python3 the
// test is skipped, or fails when CI=true.
func startDjango(t testing.TB) (baseURL, user, password string) {
	t.Helper()
	requireDjango(t)
	password = rand.Text()
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, djangoPython, djangoApp, "0", t.TempDir())
	cmd.Env = append(os.Environ(), "DJANGO_TEST_PASSWORD="+password, "PYTHONDONTWRITEBYTECODE=1")
	cmd.WaitDelay = 10 * time.Second
	stderr := &testlog.Buffer{} // written by exec's copying goroutine, read by the test
	cmd.Stderr = stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		cancel()
		t.Fatalf("django fixture: %v", err)
	}
	if err := cmd.Start(); err != nil {
		cancel()
		t.Fatalf("django fixture: starting %s: %v", djangoPython, err)
	}
	ready, drained := make(chan string, 1), make(chan struct{})
	go scanReady(stdout, ready, drained)
	t.Cleanup(func() {
		cancel()
		<-drained
		_ = cmd.Wait() // "signal: killed": the fixture only stops that way
		if t.Failed() {
			t.Logf("django fixture stderr:\n%s", stderr)
		}
	})
	return waitReady(t, ready), djangoUser, password
}

// requireDjango skips the test (fails it when CI=true) unless Django can be
// imported by /usr/bin/python3.
func requireDjango(t testing.TB) {
	t.Helper()
	out, err := exec.Command(djangoPython, "-c", "import django").CombinedOutput()
	if err == nil {
		return
	}
	msg := "Django is not importable by " + djangoPython + " (apt-get install python3-django): " +
		strings.TrimSpace(err.Error()+"\n"+string(out))
	if os.Getenv("CI") == "true" {
		t.Fatal(msg)
	}
	t.Skip(msg)
}

// scanReady reads the fixture's stdout to the end. It sends the URL of the
// first "READY URL" line on ready, or "" if stdout ends without one, and
// closes drained at the end of stdout.
func scanReady(stdout io.Reader, ready chan<- string, drained chan<- struct{}) {
	defer close(drained)
	sent := false
	sc := bufio.NewScanner(stdout)
	for sc.Scan() {
		if u, ok := strings.CutPrefix(sc.Text(), "READY "); ok && !sent {
			ready <- u
			sent = true
		}
	}
	if !sent {
		ready <- ""
	}
}

// waitReady returns the URL the fixture announces, failing the test if it
// exits first or takes longer than djangoStartTimeout (startDjango's
// cleanup then logs the fixture's stderr).
func waitReady(t testing.TB, ready <-chan string) string {
	t.Helper()
	timer := time.NewTimer(djangoStartTimeout)
	defer timer.Stop()
	select {
	case u := <-ready:
		if u == "" {
			t.Fatal("django fixture exited before READY")
		}
		return u
	case <-timer.C:
		t.Fatalf("django fixture not READY after %v", djangoStartTimeout)
	}
	return ""
}

// TestDjangoFixture checks the behaviour of the Django fixture that the
// audit tests rely on, with plain net/http: the login form, the protected
// notes form, the csrf_exempt form and the logout that a GET triggers.
func TestDjangoFixture(t *testing.T) {
	base, user, password := startDjango(t)
	c := newDjangoClient(t, base)

	home := c.get("/")
	home.expect(t, http.StatusOK, `href="/accounts/login/"`)
	home.reject(t, "Signed in as")

	c.login(user, password)
	c.get("/").expect(t, http.StatusOK, "Signed in as alice", `<a href="/accounts/logout/">Log out</a>`,
		`<a href="/notes/">`, `<a href="/exempt/">`)

	notes := c.get("/notes/")
	notes.expect(t, http.StatusOK, `<form method="post" action="/notes/">`, `name="csrfmiddlewaretoken"`,
		`<textarea name="body">`)
	c.forge("/notes/", url.Values{"body": {"forged note"}}).expect(t, http.StatusForbidden)
	c.post("/notes/", url.Values{"body": {"note without token"}}).expect(t, http.StatusForbidden)
	c.post("/notes/", url.Values{"body": {"genuine note"}, "csrfmiddlewaretoken": {notes.csrfToken(t)}}).
		expectRedirect(t, "/notes/")
	notes = c.get("/notes/")
	notes.expect(t, http.StatusOK, `<li class="note">genuine note</li>`)
	notes.reject(t, "forged note", "note without token")

	exempt := c.get("/exempt/")
	exempt.expect(t, http.StatusOK, `<form method="post" action="/exempt/">`, `name="message"`)
	exempt.reject(t, "csrfmiddlewaretoken")
	c.forge("/exempt/", url.Values{"message": {"forged message"}}).expectRedirect(t, "/exempt/")
	c.get("/exempt/").expect(t, http.StatusOK, `<li class="message">forged message</li>`)

	c.get("/accounts/logout/").expectRedirect(t, "/")
	c.get("/").reject(t, "Signed in as")
	c.get("/notes/").expectRedirect(t, "/accounts/login/?next=/notes/")
}

// djangoClient is a browser-like client of the fixture: a cookie jar, and
// redirects returned instead of followed.
type djangoClient struct {
	t    testing.TB
	base *url.URL
	hc   *http.Client
}

// newDjangoClient returns a client of the site at base with an empty jar.
func newDjangoClient(t testing.TB, base string) *djangoClient {
	t.Helper()
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("base URL %q: %v", base, err)
	}
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	hc := &http.Client{
		Jar:           jar,
		Timeout:       30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	return &djangoClient{t: t, base: u, hc: hc}
}

// login signs in through the login form, as a browser would, and checks
// the session cookie's attributes the audit tests assume.
func (c *djangoClient) login(user, password string) {
	c.t.Helper()
	page := c.get("/accounts/login/")
	page.expect(c.t, http.StatusOK, `name="username"`, `name="password"`)
	resp := c.post("/accounts/login/", url.Values{
		"username": {user}, "password": {password}, "csrfmiddlewaretoken": {page.csrfToken(c.t)},
	})
	resp.expectRedirect(c.t, "/")
	for _, sc := range resp.setCookies {
		if strings.HasPrefix(sc, "sessionid=") && (!strings.Contains(sc, "HttpOnly") || !strings.Contains(sc, "SameSite=Lax")) {
			c.t.Errorf("session cookie %q: want HttpOnly and SameSite=Lax", sc)
		}
	}
}

// get sends a GET with the jar's cookies.
func (c *djangoClient) get(path string) djangoResponse {
	c.t.Helper()
	return c.do(c.request(http.MethodGet, path, nil))
}

// post submits form from one of the site's own pages: the jar's cookies and
// the site's Origin and Referer.
func (c *djangoClient) post(path string, form url.Values) djangoResponse {
	c.t.Helper()
	req := c.request(http.MethodPost, path, form)
	origin := c.base.Scheme + "://" + c.base.Host
	req.Header.Set("Origin", origin)
	req.Header.Set("Referer", origin+path)
	return c.do(req)
}

// forge submits form as a forged cross-site request would arrive: only the
// jar's session cookie, no token, no Origin or Referer of the site.
func (c *djangoClient) forge(path string, form url.Values) djangoResponse {
	c.t.Helper()
	req := c.request(http.MethodPost, path, form)
	for _, ck := range c.hc.Jar.Cookies(req.URL) {
		if ck.Name == "sessionid" {
			req.AddCookie(ck)
		}
	}
	hc := *c.hc
	hc.Jar = nil
	return djangoDo(c.t, &hc, req)
}

// request builds a request for path, with form as its urlencoded body
// unless form is nil.
func (c *djangoClient) request(method, path string, form url.Values) *http.Request {
	c.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, c.base.JoinPath(path).String(), body)
	if err != nil {
		c.t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	return req
}

// do sends req with the client's jar.
func (c *djangoClient) do(req *http.Request) djangoResponse {
	c.t.Helper()
	return djangoDo(c.t, c.hc, req)
}

// djangoDo sends req with hc and reads the whole response.
func djangoDo(t testing.TB, hc *http.Client, req *http.Request) djangoResponse {
	t.Helper()
	resp, err := hc.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL.Path, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		t.Fatalf("%s %s: reading body: %v", req.Method, req.URL.Path, err)
	}
	return djangoResponse{
		what:        req.Method + " " + req.URL.Path,
		status:      resp.StatusCode,
		location:    resp.Header.Get("Location"),
		contentType: resp.Header.Get("Content-Type"),
		setCookies:  resp.Header.Values("Set-Cookie"),
		body:        string(body),
	}
}

// djangoResponse is what the fixture answered to one request.
type djangoResponse struct {
	what        string // "METHOD /path"
	status      int
	location    string
	contentType string
	setCookies  []string
	body        string
}

// expect fails the test unless the response has the status and a body
// containing every one of texts; a 200 must be an HTML page with a <title>.
func (r djangoResponse) expect(t testing.TB, status int, texts ...string) {
	t.Helper()
	if r.status != status {
		t.Fatalf("%s: status %d, want %d; body:\n%s", r.what, r.status, status, r.body)
	}
	if status == http.StatusOK && (!strings.HasPrefix(r.contentType, "text/html") || !strings.Contains(r.body, "<title>")) {
		t.Errorf("%s: Content-Type %q, want an HTML page with a <title>:\n%s", r.what, r.contentType, r.body)
	}
	for _, text := range texts {
		if !strings.Contains(r.body, text) {
			t.Errorf("%s: body lacks %q:\n%s", r.what, text, r.body)
		}
	}
}

// reject fails the test if the body contains any of texts.
func (r djangoResponse) reject(t testing.TB, texts ...string) {
	t.Helper()
	for _, text := range texts {
		if strings.Contains(r.body, text) {
			t.Errorf("%s: body contains %q:\n%s", r.what, text, r.body)
		}
	}
}

// expectRedirect fails the test unless the response is a 302 to location.
func (r djangoResponse) expectRedirect(t testing.TB, location string) {
	t.Helper()
	if r.status != http.StatusFound || r.location != location {
		t.Fatalf("%s: %d to %q, want 302 to %q; body:\n%s", r.what, r.status, r.location, location, r.body)
	}
}

// csrfTokenRE finds the token that {% csrf_token %} renders in a form.
var csrfTokenRE = regexp.MustCompile(`name="csrfmiddlewaretoken" value="([^"]+)"`)

// csrfToken returns the form token on the page, failing the test if there
// is none.
func (r djangoResponse) csrfToken(t testing.TB) string {
	t.Helper()
	m := csrfTokenRE.FindStringSubmatch(r.body)
	if m == nil {
		t.Fatalf("%s: no csrfmiddlewaretoken in:\n%s", r.what, r.body)
	}
	return m[1]
}
