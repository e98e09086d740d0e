package audit_test

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/bulwark-go/bulwark/auth"
	"github.com/bulwark-go/bulwark/cmd/bulwark/internal/audit"
	"github.com/bulwark-go/bulwark/cmd/bulwark/internal/demo"
)

// The tests audit real apps: the demo in each of its modes, a Go app
// behind net/http's CrossOriginProtection, and a Django site
// (django_test.go). Each finding the tests expect is looked up by its
// method, path and verdict.

// auditApp audits base with the active checks, signed in through login.
func auditApp(t *testing.T, base, login, user, password string) *audit.Report {
	t.Helper()
	r, err := audit.Run(context.Background(), audit.Config{
		Target: base + "/", Login: login, User: user, Password: password,
		Active: true, Rate: 1e6, MaxPages: 30,
	})
	if err != nil {
		t.Fatalf("audit %s: %v", base, err)
	}
	var out strings.Builder
	audit.WriteText(&out, r)
	t.Logf("report:\n%s", out.String())
	return r
}

// find returns the finding (or protected target) for method and path.
func find(r *audit.Report, method, path string) (audit.Finding, bool) {
	for _, f := range append(append([]audit.Finding{}, r.Findings...), r.Protected...) {
		if f.Method == method && strings.HasSuffix(strings.SplitN(f.URL, "?", 2)[0], path) &&
			strings.Count(f.URL, "/") == strings.Count(path, "/")+2 {
			return f, true
		}
	}
	return audit.Finding{}, false
}

// expect checks one target's verdict and severity.
func expect(t *testing.T, r *audit.Report, method, path string, v audit.Verdict, sev audit.Severity) audit.Finding {
	t.Helper()
	f, ok := find(r, method, path)
	if !ok {
		t.Fatalf("no finding for %s %s", method, path)
	}
	if f.Verdict != v || f.Severity != sev {
		t.Errorf("%s %s: verdict %q severity %v, want %q %v\n%s\n%s", method, path, f.Verdict, f.Severity, v, sev, f.Title, f.Detail)
	}
	return f
}

// noneAbove fails if any finding is above sev.
func noneAbove(t *testing.T, r *audit.Report, sev audit.Severity) {
	t.Helper()
	for _, f := range r.Findings {
		if f.Severity > sev {
			t.Errorf("finding above %v: %v %s %s: %s", sev, f.Severity, f.Method, f.URL, f.Title)
		}
	}
}

// startDemo runs the demo on loopback ports with the user "demo" and
// returns it, its URL and the password.
func startDemo(t *testing.T, cfg demo.Config) (*demo.Demo, string, string) {
	t.Helper()
	cfg.Addr, cfg.AttackerAddr = "localhost:0", "127.0.0.1:0"
	cfg.DataDir = t.TempDir()
	cfg.PasswordParams = auth.Params{Memory: 64, Iterations: 1, Parallelism: 1}
	cfg.Logger = slog.New(slog.DiscardHandler)
	ctx, cancel := context.WithCancel(context.Background())
	d, err := demo.New(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	const password = "correct horse battery"
	if _, _, err := d.CreateDemoUser(ctx, password); err != nil {
		t.Fatal(err)
	}
	victim, attacker, err := d.Listen(ctx)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- d.Serve(ctx, victim, attacker) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
		d.Close()
	})
	return d, d.VictimURL(), password
}

func TestDemoSafe(t *testing.T) {
	_, base, pw := startDemo(t, demo.Config{})
	r := auditApp(t, base, "/login", demo.DemoUsername, pw)
	noneAbove(t, r, audit.Info)
	expect(t, r, "GET", "/logout", audit.Protected, audit.Info)
	notes := expect(t, r, "POST", "/notes", audit.Protected, audit.Info)
	if len(notes.Evidence) < 4 {
		t.Errorf("POST /notes: %d replays, want no token, another session's token, an altered token and an older browser", len(notes.Evidence))
	}
	for _, at := range notes.Evidence {
		if at.Status != http.StatusForbidden || at.Changed != "" {
			t.Errorf("POST /notes %s: %d, changed %q; want 403, nothing", at.Name, at.Status, at.Changed)
		}
	}
	if !strings.Contains(notes.Detail, "SameSite would also have withheld") {
		t.Errorf("POST /notes under SameSite=Lax: %s", notes.Detail)
	}
	expect(t, r, "POST", "/logout", audit.Protected, audit.Info)
}

func TestDemoUnsafe(t *testing.T) {
	d, base, pw := startDemo(t, demo.Config{Unsafe: true})
	r := auditApp(t, base, "/login", demo.DemoUsername, pw)
	expect(t, r, "GET", "/logout", audit.Vulnerable, audit.High)
	expect(t, r, "POST", "/notes", audit.Vulnerable, audit.High)
	expect(t, r, "POST", "/login", audit.Vulnerable, audit.Medium)
	if f, _ := find(r, "GET", "/logout"); strings.Contains(f.Detail, "more of the same route") {
		t.Errorf("one URL seen on several pages counts as several: %s", f.Detail)
	}
	notes, err := d.Notes(context.Background(), demo.DemoUsername)
	if err != nil {
		t.Fatal(err)
	}
	if len(notes) == 0 || !strings.HasPrefix(notes[0].Body, "bulwark-audit-") {
		t.Errorf("the forged note is not in the demo's database: %v", notes)
	}
	checkREADMESample(t, r)
}

// markerRE matches the audit's marker texts, which differ on every run.
var markerRE = regexp.MustCompile(`bulwark-audit-[A-Z0-9]{10}`)

// checkREADMESample: every line of the README's sample report is a line
// of this report (markers aside).
func checkREADMESample(t *testing.T, r *audit.Report) {
	t.Helper()
	readme, err := os.ReadFile("../../../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, sample, ok := strings.Cut(string(readme), "<!-- audit-sample -->\n```\n")
	sample, _, ok2 := strings.Cut(sample, "```")
	if !ok || !ok2 {
		t.Fatal("README.md has no audit-sample block")
	}
	var out strings.Builder
	audit.WriteText(&out, r)
	have := map[string]bool{}
	for _, l := range strings.Split(markerRE.ReplaceAllString(out.String(), "MARKER"), "\n") {
		have[strings.TrimSpace(l)] = true
	}
	for _, l := range strings.Split(strings.TrimSpace(sample), "\n") {
		if l = strings.TrimSpace(markerRE.ReplaceAllString(l, "MARKER")); !have[l] {
			t.Errorf("README's sample line is not in the unsafe demo's report: %q", l)
		}
	}
}

// TestDemoCookieSameSite: with every check on, the notes form is protected
// whatever the cookie's SameSite; what differs is whether the browser
// would have sent the cookie at all, and the cookie finding.
func TestDemoCookieSameSite(t *testing.T) {
	for _, tt := range []struct {
		name     string
		sameSite http.SameSite
		note     string
		cookie   audit.Severity
	}{
		{"Lax", http.SameSiteLaxMode, "SameSite would also have withheld", audit.Info},
		{"None", http.SameSiteNoneMode, "the server's checks alone refused", audit.Low},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, base, pw := startDemo(t, demo.Config{CookieSameSite: tt.sameSite})
			r := auditApp(t, base, "/login", demo.DemoUsername, pw)
			noneAbove(t, r, tt.cookie)
			notes := expect(t, r, "POST", "/notes", audit.Protected, audit.Info)
			if !strings.Contains(notes.Detail, tt.note) {
				t.Errorf("POST /notes: %s; want %q", notes.Detail, tt.note)
			}
			if got := cookieSeverity(r); got != tt.cookie {
				t.Errorf("session cookie finding %v, want %v", got, tt.cookie)
			}
		})
	}
}

func cookieSeverity(r *audit.Report) audit.Severity {
	for _, f := range r.Findings {
		if f.Kind == audit.KindCookie {
			return f.Severity
		}
	}
	return -1
}

// TestDemoLab: the lab's checks switched off leave SameSite alone. Lax
// still lets a cross-site link log out by GET, and withholds the cookie
// from a cross-site form, so the notes form is protected only by SameSite;
// with SameSite=None both are plainly vulnerable.
func TestDemoLab(t *testing.T) {
	for _, tt := range []struct {
		sameSite string
		notes    audit.Verdict
		sev      audit.Severity
	}{
		{"Lax", audit.SameSiteOnly, audit.Medium},
		{"None", audit.Vulnerable, audit.High},
	} {
		t.Run(tt.sameSite, func(t *testing.T) {
			d, base, pw := startDemo(t, demo.Config{})
			if err := d.SetLab(demo.LabSwitches{SameSite: tt.sameSite, GETLogout: true}); err != nil {
				t.Fatal(err)
			}
			r := auditApp(t, base, "/login", demo.DemoUsername, pw)
			expect(t, r, "GET", "/logout", audit.Vulnerable, audit.High)
			expect(t, r, "POST", "/notes", tt.notes, tt.sev)
			expect(t, r, "POST", "/lab/switch", audit.Protected, audit.Info)
		})
	}
}

// TestCrossOriginProtection: a Go app with no tokens at all, behind
// net/http's CrossOriginProtection, is protected, not vulnerable.
func TestCrossOriginProtection(t *testing.T) {
	app := newNotesApp()
	srv := httptest.NewServer(http.NewCrossOriginProtection().Handler(app))
	t.Cleanup(srv.Close)
	r := auditApp(t, srv.URL, "/login", "ann", "ann's password")
	f := expect(t, r, "POST", "/notes", audit.Protected, audit.Info)
	if !strings.Contains(f.Detail, "no token") {
		t.Errorf("POST /notes: want a note that the form has no token: %s", f.Detail)
	}
	expect(t, r, "POST", "/login", audit.Protected, audit.Info)
	noneAbove(t, r, audit.Low)
	if n := app.count(); n != 0 {
		t.Errorf("%d forged notes saved", n)
	}
}

// notesApp is a small tokenless app: a login form, and a notes page with
// a form that saves notes, all POSTs without any token.
type notesApp struct {
	mu    sync.Mutex
	notes []string
	mux   *http.ServeMux
}

func newNotesApp() *notesApp {
	a := &notesApp{mux: http.NewServeMux()}
	a.mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		a.page(w, `<a href="/notes">Notes</a> <a href="/login">Log in</a>`)
	})
	a.mux.HandleFunc("GET /login", func(w http.ResponseWriter, r *http.Request) {
		a.page(w, `<form method="post" action="/login"><input name="user"><input type="password" name="password"><button>Log in</button></form>`)
	})
	a.mux.HandleFunc("POST /login", func(w http.ResponseWriter, r *http.Request) {
		if r.PostFormValue("user") != "ann" || r.PostFormValue("password") != "ann's password" {
			a.page(w, `<p>Wrong.</p><form method="post" action="/login"><input name="user"><input type="password" name="password"></form>`)
			return
		}
		http.SetCookie(w, &http.Cookie{Name: "sid", Value: "ann-session", Path: "/", HttpOnly: true, SameSite: http.SameSiteNoneMode, Secure: true})
		http.Redirect(w, r, "/notes", http.StatusSeeOther)
	})
	a.mux.HandleFunc("GET /notes", func(w http.ResponseWriter, r *http.Request) {
		if !signedIn(r) {
			http.Redirect(w, r, "/login", http.StatusSeeOther)
			return
		}
		a.mu.Lock()
		list := strings.Join(a.notes, "</li><li>")
		a.mu.Unlock()
		a.page(w, `<form method="post" action="/notes"><textarea name="body"></textarea><button>Save</button></form><ul><li>`+list+`</li></ul>`)
	})
	a.mux.HandleFunc("POST /notes", func(w http.ResponseWriter, r *http.Request) {
		if !signedIn(r) {
			http.Redirect(w, r, "/login", http.StatusSeeOther)
			return
		}
		a.mu.Lock()
		a.notes = append(a.notes, r.PostFormValue("body"))
		a.mu.Unlock()
		http.Redirect(w, r, "/notes", http.StatusSeeOther)
	})
	return a
}

func signedIn(r *http.Request) bool {
	c, err := r.Cookie("sid")
	return err == nil && c.Value == "ann-session"
}

func (a *notesApp) ServeHTTP(w http.ResponseWriter, r *http.Request) { a.mux.ServeHTTP(w, r) }

func (a *notesApp) page(w http.ResponseWriter, body string) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	fmt.Fprintf(w, "<!doctype html><title>notes</title>%s", body)
}

func (a *notesApp) count() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return len(a.notes)
}

// TestDjango audits a real Django 3.2 site: its LogoutView logs out on GET
// (vulnerable: a cross-site link carries the Lax session cookie), its
// @csrf_exempt form is held back only by SameSite=Lax, and its protected
// form is not reported at all.
func TestDjango(t *testing.T) {
	base, user, pw := startDjango(t)
	r := auditApp(t, base, "/accounts/login/", user, pw)
	expect(t, r, "GET", "/accounts/logout/", audit.Vulnerable, audit.High)
	expect(t, r, "POST", "/exempt/", audit.SameSiteOnly, audit.Medium)
	notes, ok := find(r, "POST", "/notes/")
	if !ok || notes.Verdict != audit.Protected {
		t.Fatalf("POST /notes/: %+v, want it checked and protected", notes)
	}
	for _, f := range r.Findings {
		if f.URL == notes.URL {
			t.Errorf("the protected form is reported: %s: %s", f.Severity, f.Title)
		}
	}
}

// TestDemoCookie audits with a session cookie instead of a login: the
// notes form is found vulnerable, and once a check has ended the session
// the audit says that it could not sign in again, instead of calling the
// remaining targets protected.
func TestDemoCookie(t *testing.T) {
	_, base, pw := startDemo(t, demo.Config{Unsafe: true})
	cookie := loginCookie(t, base, demo.DemoUsername, pw)
	r, err := audit.Run(context.Background(), audit.Config{Target: base + "/", Cookie: cookie, Active: true, Rate: 1e6})
	if err != nil {
		t.Fatal(err)
	}
	expect(t, r, "POST", "/notes", audit.Vulnerable, audit.High)
	if !strings.Contains(strings.Join(r.Notes, "\n"), "cannot sign in again") {
		t.Errorf("no note that the -cookie session ended: %q", r.Notes)
	}
	var out strings.Builder
	audit.WriteText(&out, r)
	if strings.Contains(out.String(), strings.SplitN(cookie, "=", 2)[1]) {
		t.Error("the report prints the session cookie's value")
	}
}

// loginCookie signs in to the demo through its form and returns the
// session cookie as a Cookie header value.
func loginCookie(t *testing.T, base, user, password string) string {
	t.Helper()
	form := strings.NewReader("username=" + user + "&password=" + strings.ReplaceAll(password, " ", "+"))
	req, err := http.NewRequest(http.MethodPost, base+"/login", form)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", base)
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	hc := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	for _, c := range resp.Cookies() {
		if c.Value != "" {
			return c.Name + "=" + c.Value
		}
	}
	t.Fatalf("login answered %d without a session cookie", resp.StatusCode)
	return ""
}
