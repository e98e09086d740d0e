package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/bulwark-go/bulwark/cmd/bulwark/internal/audit"
)

// runCLIEnv is runCLI with an environment.
func runCLIEnv(t *testing.T, vars map[string]string, args ...string) result {
	t.Helper()
	var out, errb bytes.Buffer
	e := &env{ctx: context.Background(), stdin: strings.NewReader(""), stdout: &out, stderr: &errb,
		getenv: func(k string) string { return vars[k] }}
	code := e.run(args)
	return result{code, out.String(), errb.String()}
}

func noStackTrace(t *testing.T, r result) {
	t.Helper()
	if strings.Contains(r.stderr, "goroutine ") || strings.Contains(r.stderr, "panic") {
		t.Errorf("stack trace in stderr: %s", r.stderr)
	}
}

// refusedURL is an http URL whose port refuses connections.
func refusedURL(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return "http://" + addr + "/"
}

func TestAuditCLIHelp(t *testing.T) {
	r := runCLI(t, "", "audit", "-h")
	if r.code != exitOK {
		t.Errorf("exit %d, want 0", r.code)
	}
	lower := strings.ToLower(r.stderr)
	for _, s := range []string{"-active", "change state", "only on sites you own", "-fail-on", "-password-env", "exit status"} {
		if !strings.Contains(lower, s) {
			t.Errorf("audit -h does not say %q:\n%s", s, r.stderr)
		}
	}
	noStackTrace(t, r)
}

func TestAuditCLIUsageErrors(t *testing.T) {
	u := refusedURL(t) // never reached: each case fails before connecting
	tests := []struct {
		name   string
		vars   map[string]string
		args   []string
		stderr string
	}{
		{"no URL", nil, []string{"audit"}, "Usage: bulwark audit URL"},
		{"no URL, flags only", nil, []string{"audit", "-active"}, "Usage: bulwark audit URL"},
		{"ftp URL", nil, []string{"audit", "ftp://example.com/"}, "is not an http:// or https:// URL"},
		{"relative URL", nil, []string{"audit", "example.com"}, "is not an http:// or https:// URL"},
		{"URL with a password", nil, []string{"audit", "http://bob:pw@example.com/"}, "must not carry a user or password"},
		{"two URLs", nil, []string{"audit", u, u}, "unexpected argument"},
		{"login without user", nil, []string{"audit", u, "-login", u + "login"}, "-login needs -user NAME"},
		{"user without login", nil, []string{"audit", u, "-user", "alice"}, "-user needs -login URL"},
		{"login and cookie", nil, []string{"audit", u, "-login", u + "login", "-user", "alice", "-cookie", "s=1"}, "give -login or -cookie, not both"},
		{"login without password", nil, []string{"audit", u, "-login", u + "login", "-user", "alice"}, "needs the password in $BULWARK_AUDIT_PASSWORD"},
		{"login, password in the wrong variable", map[string]string{"BULWARK_AUDIT_PASSWORD": "pw"},
			[]string{"audit", u, "-login", u + "login", "-user", "alice", "-password-env", "MY_PW"}, "needs the password in $MY_PW"},
		{"bad fail-on", nil, []string{"audit", u, "-fail-on", "critical"}, `unknown severity "critical"`},
		{"bad flag", nil, []string{"audit", u, "-frob"}, "flag provided but not defined: -frob"},
		{"zero rate", nil, []string{"audit", u, "-rate", "0"}, "must be positive"},
		{"negative max-pages", nil, []string{"audit", u, "-max-pages", "-1"}, "must be positive"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := runCLIEnv(t, tt.vars, tt.args...)
			if r.code != exitUsage || !strings.Contains(r.stderr, tt.stderr) {
				t.Errorf("exit %d, stderr %q; want exit 2 and stderr containing %q", r.code, r.stderr, tt.stderr)
			}
			if r.stdout != "" {
				t.Errorf("stdout %q", r.stdout)
			}
			noStackTrace(t, r)
		})
	}
}

// The password comes from the variable -password-env names: with it the
// audit runs (and here fails to connect: exit 3, not 2).
func TestAuditCLIPasswordEnv(t *testing.T) {
	u := refusedURL(t)
	for _, tt := range []struct {
		vars map[string]string
		args []string
	}{
		{map[string]string{"BULWARK_AUDIT_PASSWORD": "pw"}, nil},
		{map[string]string{"MY_PW": "pw"}, []string{"-password-env", "MY_PW"}},
	} {
		args := append([]string{"audit", u, "-q", "-login", u + "login", "-user", "alice"}, tt.args...)
		r := runCLIEnv(t, tt.vars, args...)
		if r.code != exitNoAudit || !strings.Contains(r.stderr, "cannot connect") {
			t.Errorf("%v: exit %d, stderr %q; want exit 3, cannot connect", tt.vars, r.code, r.stderr)
		}
	}
}

func TestAuditCLIUnreachable(t *testing.T) {
	u := refusedURL(t)
	for _, args := range [][]string{{"audit", u}, {"audit", "-json", u}} {
		r := runCLI(t, "", args...)
		if r.code != exitNoAudit {
			t.Errorf("%v: exit %d, want 3", args, r.code)
		}
		if !strings.HasPrefix(r.stderr, "bulwark: audit: ") || strings.Count(r.stderr, "\n") != 1 ||
			!strings.HasSuffix(r.stderr, "\n") || !strings.Contains(r.stderr, "cannot connect") {
			t.Errorf("%v: stderr %q; want one line saying it cannot connect", args, r.stderr)
		}
		if r.stdout != "" {
			t.Errorf("%v: stdout %q", args, r.stdout)
		}
		noStackTrace(t, r)
	}
}

// logoutSite is a site whose start page links to a GET logout, and counts
// the requests to it.
func logoutSite(t *testing.T) (*httptest.Server, *atomic.Int64, *atomic.Int64) {
	var logouts, deep atomic.Int64
	page := func(w http.ResponseWriter, body string) {
		w.Header().Set("Content-Type", "text/html")
		fmt.Fprintf(w, "<html><body>%s</body></html>", body)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/{$}", func(w http.ResponseWriter, r *http.Request) {
		page(w, `<p>Home</p><a href="/logout">Log out</a><a href="/a">A</a>`)
	})
	mux.HandleFunc("/a", func(w http.ResponseWriter, r *http.Request) {
		deep.Add(1)
		page(w, `<p>A</p><a href="/b">B</a>`)
	})
	mux.HandleFunc("/b", func(w http.ResponseWriter, r *http.Request) { page(w, `<p>B</p>`) })
	mux.HandleFunc("/logout", func(w http.ResponseWriter, r *http.Request) {
		logouts.Add(1)
		http.Redirect(w, r, "/", http.StatusFound)
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv, &logouts, &deep
}

func TestAuditCLIFailOn(t *testing.T) {
	srv, logouts, _ := logoutSite(t)
	for _, tt := range []struct {
		args []string
		code int
	}{
		{nil, exitFindings},
		{[]string{"-fail-on", "medium"}, exitFindings},
		{[]string{"-fail-on", "LOW"}, exitFindings},
		{[]string{"-fail-on", "high"}, exitOK},
	} {
		args := append([]string{"audit", srv.URL, "-q", "-rate", "1000"}, tt.args...)
		r := runCLI(t, "", args...)
		if r.code != tt.code {
			t.Errorf("%v: exit %d, want %d; stderr %q", tt.args, r.code, tt.code, r.stderr)
		}
		for _, s := range []string{"bulwark audit " + srv.URL, "passive checks only", "MEDIUM", srv.URL + "/logout", "Summary: 0 high, 1 medium"} {
			if !strings.Contains(r.stdout, s) {
				t.Errorf("%v: stdout does not say %q:\n%s", tt.args, s, r.stdout)
			}
		}
		if r.stderr != "" {
			t.Errorf("%v: stderr %q", tt.args, r.stderr)
		}
	}
	if n := logouts.Load(); n != 0 {
		t.Errorf("the passive audits fetched /logout %d times", n)
	}
}

func TestAuditCLIJSON(t *testing.T) {
	srv, logouts, _ := logoutSite(t)
	r := runCLI(t, "", "audit", "-json", "-q", "-rate", "1000", srv.URL)
	if r.code != exitFindings {
		t.Errorf("exit %d, want 1; stderr %q", r.code, r.stderr)
	}
	var rep struct {
		Target   string   `json:"target"`
		Active   bool     `json:"active"`
		Pages    []string `json:"pages"`
		Findings []struct {
			Severity string `json:"severity"`
			Kind     string `json:"kind"`
			Method   string `json:"method"`
			URL      string `json:"url"`
			Page     string `json:"page"`
		} `json:"findings"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatalf("stdout is not JSON: %v\n%s", err, r.stdout)
	}
	if rep.Target != srv.URL+"/" || rep.Active || len(rep.Pages) != 3 {
		t.Errorf("target %q, active %v, pages %v", rep.Target, rep.Active, rep.Pages)
	}
	if len(rep.Findings) != 1 {
		t.Fatalf("findings %+v; want the logout link", rep.Findings)
	}
	f := rep.Findings[0]
	if f.Severity != "medium" || f.Kind != audit.KindStateChangingGET || f.Method != "GET" || f.URL != srv.URL+"/logout" || f.Page != srv.URL+"/" {
		t.Errorf("finding %+v", f)
	}
	if n := logouts.Load(); n != 0 {
		t.Errorf("/logout fetched %d times", n)
	}
}

// -max-depth 0 reads the start page only ("at least 0" is what the flag
// allows).
func TestAuditCLIMaxDepthZero(t *testing.T) {
	srv, _, deep := logoutSite(t)
	r := runCLI(t, "", "audit", "-json", "-q", "-rate", "1000", "-max-depth", "0", srv.URL)
	if r.code != exitFindings {
		t.Errorf("exit %d; stderr %q", r.code, r.stderr)
	}
	if n := deep.Load(); n != 0 {
		t.Errorf("/a fetched %d times with -max-depth 0", n)
	}
}

// TestAuditCLIIncomplete: an audit cut short by -timeout says so and
// exits 3 although it found nothing, so that CI does not pass it.
func TestAuditCLIIncomplete(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("/{$}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		fmt.Fprint(w, `<a href="/slow">slow</a>`)
	})
	mux.HandleFunc("/slow", func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() })
	srv := httptest.NewServer(mux)
	defer srv.Close()
	r := runCLI(t, "", "audit", srv.URL, "-q", "-timeout", "1s", "-rate", "1000")
	if r.code != exitNoAudit || !strings.Contains(r.stdout, "INCOMPLETE") || !strings.Contains(r.stderr, "incomplete") {
		t.Errorf("exit %d, stdout %q, stderr %q; want 3 and INCOMPLETE", r.code, r.stdout, r.stderr)
	}
}

// TestAuditCLIHTML: -html writes the report; an audit that cannot run
// leaves the earlier report in place and no temporary file behind.
func TestAuditCLIHTML(t *testing.T) {
	srv, _, _ := logoutSite(t)
	dir := t.TempDir()
	path := filepath.Join(dir, "report.html")
	r := runCLI(t, "", "audit", srv.URL, "-q", "-rate", "1000", "-html", path)
	page, err := os.ReadFile(path)
	if r.code != exitFindings || err != nil || !strings.Contains(string(page), "state-changing") {
		t.Fatalf("exit %d, read %v, report %.200q", r.code, err, page)
	}
	if r := runCLI(t, "", "audit", refusedURL(t), "-q", "-html", path); r.code != exitNoAudit {
		t.Errorf("unreachable: exit %d, want 3", r.code)
	}
	again, _ := os.ReadFile(path)
	entries, _ := os.ReadDir(dir)
	if string(again) != string(page) || len(entries) != 1 {
		t.Errorf("a failed audit changed the report or left files: %d entries", len(entries))
	}
}
