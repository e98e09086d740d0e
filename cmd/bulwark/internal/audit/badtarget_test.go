package audit_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/bulwark-go/bulwark/cmd/bulwark/internal/audit"
)

// runAudit runs an audit of cfg with a fast rate, failing the test if it
// does not return within a minute (instead of hanging the whole run).
func runAudit(t *testing.T, cfg audit.Config) (*audit.Report, error) {
	t.Helper()
	if cfg.Rate == 0 {
		cfg.Rate = 1000
	}
	type result struct {
		r   *audit.Report
		err error
	}
	done := make(chan result, 1)
	go func() {
		r, err := audit.Run(context.Background(), cfg)
		done <- result{r, err}
	}()
	timer := time.NewTimer(time.Minute)
	defer timer.Stop()
	select {
	case res := <-done:
		return res.r, res.err
	case <-timer.C:
		t.Fatalf("audit.Run(%s) did not return within a minute", cfg.Target)
		return nil, nil
	}
}

// wantErr fails the test unless err is non-nil, the report nil, and the
// error's text contains every one of texts.
func wantErr(t *testing.T, r *audit.Report, err error, texts ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error; report: %+v", r)
	}
	if r != nil {
		t.Errorf("a report as well as the error %v", err)
	}
	for _, s := range texts {
		if !strings.Contains(err.Error(), s) {
			t.Errorf("error %q does not say %q", err, s)
		}
	}
}

// counter counts the requests a handler gets.
type counter struct {
	n atomic.Int64
	h http.Handler
}

func (c *counter) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	c.n.Add(1)
	if c.h != nil {
		c.h.ServeHTTP(w, r)
		return
	}
	fmt.Fprint(w, "<html><body>hit</body></html>")
}

// quietServer is an httptest server whose error log is discarded (TLS
// handshake errors are expected in these tests).
func quietServer(h http.Handler, tls bool) *httptest.Server {
	s := httptest.NewUnstartedServer(h)
	s.Config.ErrorLog = log.New(io.Discard, "", 0)
	if tls {
		s.StartTLS()
	} else {
		s.Start()
	}
	return s
}

func htmlPage(w http.ResponseWriter, body string) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	fmt.Fprintf(w, "<!doctype html><html><head><title>t</title></head><body>%s</body></html>", body)
}

func TestBadTargetUnreachable(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	r, err := runAudit(t, audit.Config{Target: "http://" + addr + "/"})
	wantErr(t, r, err, "cannot connect", addr)
}

func TestBadTargetTLSUnknownAuthority(t *testing.T) {
	hits := &counter{}
	srv := quietServer(hits, true)
	defer srv.Close()
	r, err := runAudit(t, audit.Config{Target: srv.URL})
	wantErr(t, r, err, "TLS", "unknown authority")
	if n := hits.n.Load(); n != 0 {
		t.Errorf("the handler was reached %d times through an untrusted certificate", n)
	}
}

func TestBadTargetHTTPSToPlainHTTP(t *testing.T) {
	t.Run("HTTP server", func(t *testing.T) {
		srv := quietServer(&counter{}, false)
		defer srv.Close()
		target := "https://" + strings.TrimPrefix(srv.URL, "http://") + "/"
		r, err := runAudit(t, audit.Config{Target: target})
		// net/http says so itself (its error does not wrap tls.RecordHeaderError).
		wantErr(t, r, err, "server gave HTTP response to HTTPS client", target)
	})
	t.Run("neither TLS nor HTTP", func(t *testing.T) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer ln.Close()
		go func() {
			for {
				c, err := ln.Accept()
				if err != nil {
					return
				}
				io.WriteString(c, "SSH-2.0-OpenSSH_9.6\r\n")
				c.Close()
			}
		}()
		r, err := runAudit(t, audit.Config{Target: "https://" + ln.Addr().String() + "/"})
		wantErr(t, r, err, "does not speak TLS", "try http://")
	})
}

func TestBadTargetRedirects(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("/self", func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/self", http.StatusFound) })
	mux.HandleFunc("/a", func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/b", http.StatusFound) })
	mux.HandleFunc("/b", func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/a", http.StatusMovedPermanently) })
	var n atomic.Int64
	mux.HandleFunc("/chain", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, fmt.Sprintf("/chain?n=%d", n.Add(1)), http.StatusFound)
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()

	tests := []struct{ path, want string }{
		{"/self", "redirect loop"},
		{"/a", "redirect loop"},
		{"/chain", "more than 10 redirects"},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			r, err := runAudit(t, audit.Config{Target: srv.URL + tt.path})
			wantErr(t, r, err, tt.want)
		})
	}
}

func TestBadTargetOffOriginRedirect(t *testing.T) {
	other := &counter{}
	otherSrv := httptest.NewServer(other)
	defer otherSrv.Close()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, otherSrv.URL+"/welcome", http.StatusFound)
	}))
	defer srv.Close()

	r, err := runAudit(t, audit.Config{Target: srv.URL + "/", Active: true})
	wantErr(t, r, err, "redirects to "+otherSrv.URL+"/welcome")
	if !errors.Is(err, audit.ErrOffOrigin) {
		t.Errorf("error %v is not ErrOffOrigin", err)
	}
	if n := other.n.Load(); n != 0 {
		t.Errorf("the other origin got %d requests", n)
	}
}

func TestBadTargetHugeStartPage(t *testing.T) {
	const total = 50 << 20
	var written atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		chunk := []byte("<p>" + strings.Repeat("x", 64<<10-7) + "</p>\n")
		for written.Load() < total {
			n, err := w.Write(chunk)
			written.Add(int64(n))
			if err != nil {
				return // the audit stopped reading
			}
		}
	}))
	defer srv.Close()

	t.Run("default limit", func(t *testing.T) {
		written.Store(0)
		r, err := runAudit(t, audit.Config{Target: srv.URL})
		wantErr(t, r, err, fmt.Sprintf("larger than %d bytes (-max-body)", audit.DefaultMaxBody))
	})
	t.Run("small limit", func(t *testing.T) {
		written.Store(0)
		r, err := runAudit(t, audit.Config{Target: srv.URL, MaxBody: 1000})
		wantErr(t, r, err, "larger than 1000 bytes (-max-body)")
	})
}

func TestBadTargetStartPageNotHTML(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("/json", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"hello": "world"}`)
	})
	mux.HandleFunc("/none", func(w http.ResponseWriter, r *http.Request) {
		w.Header()["Content-Type"] = nil // no sniffing
		fmt.Fprint(w, "<html><body>no type</body></html>")
	})
	mux.HandleFunc("/missing", http.NotFound)
	mux.HandleFunc("/broken", func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "oops", http.StatusInternalServerError)
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	tests := []struct{ path, want string }{
		{"/json", "not HTML (application/json)"},
		{"/none", "not HTML (no Content-Type)"},
		{"/missing", "answered 404 Not Found"},
		{"/broken", "answered 500 Internal Server Error"},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			r, err := runAudit(t, audit.Config{Target: srv.URL + tt.path})
			wantErr(t, r, err, tt.want, srv.URL+tt.path)
		})
	}
}

// loginApp is a tiny site with a login form. wrong is how it answers a
// wrong password: 200 with the form again, or 403.
func loginApp(t *testing.T, wrong int) *httptest.Server {
	const form = `<form method="post" action="/login"><input name="username"><input type="password" name="password"><button>Sign in</button></form>`
	mux := http.NewServeMux()
	mux.HandleFunc("GET /login", func(w http.ResponseWriter, r *http.Request) { htmlPage(w, form) })
	mux.HandleFunc("POST /login", func(w http.ResponseWriter, r *http.Request) {
		if r.PostFormValue("username") == "alice" && r.PostFormValue("password") == "right" {
			http.SetCookie(w, &http.Cookie{Name: "session", Value: "s3cr3t", Path: "/", HttpOnly: true, SameSite: http.SameSiteLaxMode})
			http.Redirect(w, r, "/", http.StatusSeeOther)
			return
		}
		if wrong == http.StatusOK {
			htmlPage(w, "<p>Wrong user name or password.</p>"+form)
			return
		}
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(wrong)
		fmt.Fprint(w, "<p>Forbidden</p>")
	})
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		if c, err := r.Cookie("session"); err == nil && c.Value == "s3cr3t" {
			htmlPage(w, `<p>Signed in</p><a href="/notes">Notes</a>`)
			return
		}
		htmlPage(w, `<a href="/login">Log in</a>`)
	})
	mux.HandleFunc("GET /notes", func(w http.ResponseWriter, r *http.Request) { htmlPage(w, "<p>notes</p>") })
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

func TestBadTargetLoginFails(t *testing.T) {
	for _, tt := range []struct {
		name  string
		wrong int
		want  string
	}{
		{"form again", http.StatusOK, "showed its login form again"},
		{"403", http.StatusForbidden, "answer was 403 Forbidden"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			srv := loginApp(t, tt.wrong)
			r, err := runAudit(t, audit.Config{Target: srv.URL, Login: srv.URL + "/login", User: "alice", Password: "wrong"})
			wantErr(t, r, err, tt.want)
			if !errors.Is(err, audit.ErrLogin) {
				t.Errorf("error %v is not ErrLogin", err)
			}
		})
	}
	t.Run("the right password signs in", func(t *testing.T) {
		srv := loginApp(t, http.StatusOK)
		r, err := runAudit(t, audit.Config{Target: srv.URL, Login: srv.URL + "/login", User: "alice", Password: "right"})
		if err != nil {
			t.Fatal(err)
		}
		if !r.SignedIn || !contains(r.Pages, srv.URL+"/notes") {
			t.Errorf("signed in %v, pages %v: want signed in, /notes read", r.SignedIn, r.Pages)
		}
	})
	t.Run("no login form", func(t *testing.T) {
		srv := loginApp(t, http.StatusOK)
		r, err := runAudit(t, audit.Config{Target: srv.URL, Login: srv.URL + "/notes", User: "alice", Password: "right"})
		wantErr(t, r, err, "has no form with a password field")
		if !errors.Is(err, audit.ErrLogin) {
			t.Errorf("error %v is not ErrLogin", err)
		}
	})
	t.Run("login page on another origin", func(t *testing.T) {
		srv := loginApp(t, http.StatusOK)
		other := &counter{}
		otherSrv := httptest.NewServer(other)
		defer otherSrv.Close()
		r, err := runAudit(t, audit.Config{Target: srv.URL, Login: otherSrv.URL + "/login", User: "alice", Password: "right"})
		wantErr(t, r, err, "not a page of")
		if n := other.n.Load(); n != 0 {
			t.Errorf("the other origin got %d requests", n)
		}
	})
}

func contains(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}

func TestBadTargetRateLimited(t *testing.T) {
	t.Parallel()
	hits := &counter{h: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Retry-After", "0") // the client waits 1 s
		http.Error(w, "slow down", http.StatusTooManyRequests)
	})}
	srv := httptest.NewServer(hits)
	defer srv.Close()
	r, err := runAudit(t, audit.Config{Target: srv.URL})
	wantErr(t, r, err, "429")
	if !errors.Is(err, audit.ErrRateLimited) {
		t.Errorf("error %v is not ErrRateLimited", err)
	}
	if n := hits.n.Load(); n != 3 {
		t.Errorf("%d requests; want 3 (the first and two retries)", n)
	}
}

// blocker is a handler that answers only when the request's context ends
// (or the test does).
func blocker(t *testing.T) http.HandlerFunc {
	release := make(chan struct{})
	var once sync.Once
	t.Cleanup(func() { once.Do(func() { close(release) }) })
	return func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}
}

func TestBadTargetTimeLimit(t *testing.T) {
	t.Run("start page blocks", func(t *testing.T) {
		srv := httptest.NewServer(blocker(t))
		defer srv.Close()
		r, err := runAudit(t, audit.Config{Target: srv.URL, Timeout: 50 * time.Millisecond})
		wantErr(t, r, err, "time limit (-timeout) ran out", srv.URL)
	})
	t.Run("one request blocks", func(t *testing.T) {
		srv := httptest.NewServer(blocker(t))
		defer srv.Close()
		r, err := runAudit(t, audit.Config{Target: srv.URL, RequestTimeout: 50 * time.Millisecond})
		wantErr(t, r, err, "timed out", srv.URL)
	})
	t.Run("a later page blocks", func(t *testing.T) {
		mux := http.NewServeMux()
		mux.HandleFunc("/{$}", func(w http.ResponseWriter, r *http.Request) {
			htmlPage(w, `<a href="/slow">slow</a> <a href="/after">after</a>`)
		})
		mux.HandleFunc("/slow", blocker(t))
		after := &counter{}
		mux.Handle("/after", after)
		srv := httptest.NewServer(mux)
		defer srv.Close()
		r, err := runAudit(t, audit.Config{Target: srv.URL, Timeout: 500 * time.Millisecond, Active: true})
		if err != nil {
			t.Fatalf("error %v; want the report of what was read", err)
		}
		if !contains(r.Pages, srv.URL+"/") {
			t.Errorf("pages %v: want the start page", r.Pages)
		}
		if !strings.Contains(strings.Join(r.Notes, "\n"), "time limit") {
			t.Errorf("notes %q do not say the time limit ran out", r.Notes)
		}
		if n := after.n.Load(); n != 0 {
			t.Errorf("/after was fetched %d times after the time limit", n)
		}
	})
}

func TestBadTargetLinksElsewhere(t *testing.T) {
	other := &counter{}
	otherSrv := httptest.NewServer(other)
	defer otherSrv.Close()
	otherURL, _ := url.Parse(otherSrv.URL)

	var hostsMu sync.Mutex
	hosts := map[string]int{}
	mux := http.NewServeMux()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hostsMu.Lock()
		hosts[r.Host]++
		hostsMu.Unlock()
		mux.ServeHTTP(w, r)
	}))
	defer srv.Close()
	srvURL, _ := url.Parse(srv.URL)
	_, port, _ := net.SplitHostPort(srvURL.Host)

	mux.HandleFunc("/{$}", func(w http.ResponseWriter, r *http.Request) {
		htmlPage(w, fmt.Sprintf(`
<a href="%[1]s/absolute">absolute</a>
<a href="//%[2]s/protocol-relative">protocol-relative</a>
<a href="%[1]s/logout">Log out elsewhere</a>
<a href="%[1]s/delete?id=1">delete elsewhere</a>
<a href="http://localhost:%[3]s/same-port-other-host">same port, other host name</a>
<a href="https://%[4]s/other-scheme">same host, https</a>
<form method="post" action="%[1]s/post"><input name="message"><button>Send</button></form>
<form method="get" action="%[1]s/search"><input name="q"></form>
<img src="%[1]s/image.png">
<a href="/go">redirect elsewhere</a>
<a href="/based">a page with a base elsewhere</a>
<a href="/local">local</a>`, otherSrv.URL, otherURL.Host, port, srvURL.Host))
	})
	mux.HandleFunc("/go", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, otherSrv.URL+"/landing", http.StatusFound)
	})
	mux.HandleFunc("/based", func(w http.ResponseWriter, r *http.Request) {
		htmlPage(w, fmt.Sprintf(`<base href="%s/"><a href="page">page</a><a href="/logout">Log out</a>
<form method="post" action="save"><input name="x"></form>`, otherSrv.URL))
	})
	local := &counter{h: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		htmlPage(w, `<form method="post" action="/local"><input name="note"><button>Save</button></form>`)
	})}
	mux.Handle("/local", local)

	r, err := runAudit(t, audit.Config{Target: srv.URL, Active: true})
	if err != nil {
		t.Fatal(err)
	}
	if n := other.n.Load(); n != 0 {
		t.Errorf("the other origin got %d requests", n)
	}
	if local.n.Load() == 0 {
		t.Errorf("/local was never fetched: the crawl did not follow the origin's own links")
	}
	for _, p := range r.Pages {
		if !strings.HasPrefix(p, srv.URL+"/") {
			t.Errorf("page %s read: not on the origin %s", p, srv.URL)
		}
	}
	for _, f := range append(r.Findings, r.Protected...) {
		if !strings.HasPrefix(f.URL, srv.URL+"/") {
			t.Errorf("finding on another origin: %+v", f)
		}
		for _, at := range f.Evidence {
			if !strings.HasPrefix(at.URL, srv.URL+"/") {
				t.Errorf("forged request to another origin: %+v", at)
			}
		}
	}
	hostsMu.Lock()
	defer hostsMu.Unlock()
	for h, n := range hosts {
		if h != srvURL.Host {
			t.Errorf("%d requests to the origin's port with Host %q", n, h)
		}
	}
}

func TestBadTargetStateChangingLinksNotFollowed(t *testing.T) {
	logout, del, signout, notes := &counter{}, &counter{}, &counter{}, &counter{}
	mux := http.NewServeMux()
	mux.HandleFunc("/{$}", func(w http.ResponseWriter, r *http.Request) {
		htmlPage(w, `<a href="/logout">Log out</a> <a href="/delete?id=1">x</a> <a href="/bye">Sign out</a> <a href="/notes">Notes</a>`)
	})
	mux.Handle("/logout", logout)
	mux.Handle("/delete", del)
	mux.Handle("/bye", signout)
	mux.Handle("/notes", notes)
	srv := httptest.NewServer(mux)
	defer srv.Close()

	r, err := runAudit(t, audit.Config{Target: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	for path, c := range map[string]*counter{"/logout": logout, "/delete?id=1": del, "/bye": signout} {
		if n := c.n.Load(); n != 0 {
			t.Errorf("%s fetched %d times by a passive audit", path, n)
		}
		found := false
		for _, f := range r.Findings {
			if f.Kind == audit.KindStateChangingGET && f.URL == srv.URL+path {
				found = true
				if f.Severity != audit.Medium || f.Method != "GET" || f.Page != srv.URL+"/" || f.Verdict != "" {
					t.Errorf("finding %+v: want a medium passive GET finding seen on the start page", f)
				}
			}
		}
		if !found {
			t.Errorf("no %q finding for %s; findings: %+v", audit.KindStateChangingGET, path, r.Findings)
		}
	}
	if notes.n.Load() == 0 {
		t.Error("/notes never fetched: the crawl did not follow links at all")
	}
	for _, p := range r.Pages {
		if strings.Contains(p, "logout") || strings.Contains(p, "delete") || strings.Contains(p, "bye") {
			t.Errorf("page %s read", p)
		}
	}
}

func TestBadTargetLoginFormOffOrigin(t *testing.T) {
	other := &counter{}
	otherSrv := httptest.NewServer(other)
	defer otherSrv.Close()
	mux := http.NewServeMux()
	mux.HandleFunc("/login", func(w http.ResponseWriter, r *http.Request) {
		htmlPage(w, `<form method="post" action="`+otherSrv.URL+`/login"><input name="username"><input type="password" name="password"></form>`)
	})
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) { htmlPage(w, "home") })
	srv := httptest.NewServer(mux)
	defer srv.Close()
	r, err := runAudit(t, audit.Config{Target: srv.URL, Login: "/login", User: "alice", Password: "right"})
	wantErr(t, r, err, otherSrv.URL+"/login", "leaves the audited origin")
	if !errors.Is(err, audit.ErrLogin) {
		t.Errorf("error %v is not ErrLogin", err)
	}
	if n := other.n.Load(); n != 0 {
		t.Errorf("the other origin got %d requests: the password went there", n)
	}
}

// A login form with method="get" sends its fields in the query, as a
// browser would.
func TestBadTargetLoginFormGET(t *testing.T) {
	const form = `<form method="get" action="/login"><input name="username"><input type="password" name="password"></form>`
	mux := http.NewServeMux()
	mux.HandleFunc("/login", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("username") == "alice" && r.URL.Query().Get("password") == "right" {
			http.SetCookie(w, &http.Cookie{Name: "session", Value: "s3cr3t", Path: "/"})
			http.Redirect(w, r, "/", http.StatusSeeOther)
			return
		}
		htmlPage(w, form)
	})
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		if c, err := r.Cookie("session"); err == nil && c.Value == "s3cr3t" {
			htmlPage(w, `<p>Signed in</p>`)
			return
		}
		htmlPage(w, `<a href="/login">Log in</a>`)
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	r, err := runAudit(t, audit.Config{Target: srv.URL, Login: "/login", User: "alice", Password: "right"})
	if err != nil {
		t.Fatal(err)
	}
	if !r.SignedIn {
		t.Error("not signed in")
	}
}
