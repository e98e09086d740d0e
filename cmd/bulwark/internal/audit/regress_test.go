package audit_test

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/bulwark-go/bulwark/cmd/bulwark/internal/audit"
)

// The tests here pin what the review of the auditor found: each builds the
// hostile or tricky site it found, and checks the verdict or the output.

// site is a small signed-in app: requests with the cookie sid=alice are
// alice's. Handlers are added per test.
type site struct {
	*http.ServeMux
	mu   sync.Mutex
	hits map[string]int
}

func newSite() *site {
	s := &site{ServeMux: http.NewServeMux(), hits: map[string]int{}}
	return s
}

func (s *site) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.hits[r.URL.Path]++
	s.mu.Unlock()
	s.ServeMux.ServeHTTP(w, r)
}

func (s *site) hit(path string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.hits[path]
}

func alice(r *http.Request) bool {
	c, err := r.Cookie("sid")
	return err == nil && c.Value == "alice"
}

func html(w http.ResponseWriter, body string) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	fmt.Fprintf(w, "<!doctype html><title>t</title>%s", body)
}

// auditSite runs an active audit of s signed in as alice.
func auditSite(t *testing.T, s *site) (*audit.Report, string) {
	t.Helper()
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	r, err := audit.Run(context.Background(), audit.Config{Target: srv.URL + "/", Cookie: "sid=alice", Active: true, Rate: 1e6})
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	audit.WriteText(&out, r)
	t.Logf("report:\n%s", out.String())
	return r, out.String()
}

// TestInvisibleEffect: a tokenless form whose effect shows nowhere the
// audit looks is not called protected, and keeps its passive severity.
func TestInvisibleEffect(t *testing.T) {
	s, balance := newSite(), 100
	s.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		html(w, `<form method="post" action="/pay"><input name="to"><button>Pay 10</button></form>`)
	})
	s.HandleFunc("POST /pay", func(w http.ResponseWriter, r *http.Request) {
		if alice(r) {
			s.mu.Lock()
			balance -= 10
			s.mu.Unlock()
		}
		html(w, "<p>Thanks.</p>")
	})
	r, _ := auditSite(t, s)
	f := expect(t, r, "POST", "/pay", audit.Unconfirmed, audit.Medium)
	if len(f.Evidence) != 1 {
		t.Errorf("%d replays after the first was accepted; want 1: %+v", len(f.Evidence), f.Evidence)
	}
	if balance != 90 {
		t.Errorf("balance %d: the forged payment ran %d times, want once", balance, (100-balance)/10)
	}
}

// TestServerErrorAfterAction: a 500 is no refusal; the item it deleted
// is missing from the page, so the form is vulnerable.
func TestServerErrorAfterAction(t *testing.T) {
	s, items := newSite(), []string{"one", "two", "three"}
	s.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		list := "<li>" + strings.Join(items, "</li><li>") + "</li>"
		s.mu.Unlock()
		html(w, `<ul>`+list+`</ul><form method="post" action="/tidy"><button>Tidy</button></form>`)
	})
	s.HandleFunc("POST /tidy", func(w http.ResponseWriter, r *http.Request) {
		if alice(r) {
			s.mu.Lock()
			if len(items) > 0 {
				items = items[1:]
			}
			s.mu.Unlock()
		}
		http.Error(w, "oops", http.StatusInternalServerError)
	})
	r, _ := auditSite(t, s)
	expect(t, r, "POST", "/tidy", audit.Vulnerable, audit.High)
}

// TestFlashIsNoChange: a refused GET that redirects home with a message
// shown once has changed nothing.
func TestFlashIsNoChange(t *testing.T) {
	s, flash := newSite(), false
	s.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		msg := ""
		if flash {
			msg, flash = "<p>That link has expired.</p>", false
		}
		s.mu.Unlock()
		html(w, msg+`<a href="/items/5/delete">Delete item 5</a>`)
	})
	s.HandleFunc("GET /items/5/delete", func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		flash = true
		s.mu.Unlock()
		http.Redirect(w, r, "/", http.StatusFound)
	})
	r, _ := auditSite(t, s)
	f, ok := find(r, "GET", "/items/5/delete")
	if !ok || f.Verdict == audit.Vulnerable || f.Verdict == audit.SameSiteOnly {
		t.Errorf("GET /items/5/delete: %+v, want no change seen", f)
	}
}

// TestRotationIsNoLogout: an answer that refuses and rotates the session
// cookie leaves the browser signed in, with the new cookie.
func TestRotationIsNoLogout(t *testing.T) {
	s, current := newSite(), "alice"
	signed := func(r *http.Request) bool {
		c, err := r.Cookie("sid")
		s.mu.Lock()
		defer s.mu.Unlock()
		return err == nil && c.Value == current
	}
	s.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		if signed(r) {
			html(w, `<form method="post" action="/logout"><button>Log out</button></form><form method="post" action="/save"><input name="x"></form>`)
			return
		}
		html(w, `<a href="/login">Log in</a>`)
	})
	s.HandleFunc("POST /save", func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		current += "+"
		s.mu.Unlock()
		http.SetCookie(w, &http.Cookie{Name: "sid", Value: current, Path: "/"})
		http.Error(w, "forbidden", http.StatusForbidden)
	})
	s.HandleFunc("POST /logout", func(w http.ResponseWriter, r *http.Request) { http.Error(w, "forbidden", http.StatusForbidden) })
	r, _ := auditSite(t, s)
	expect(t, r, "POST", "/save", audit.Protected, audit.Info)
}

// TestSecretsNeverPrinted: token values in links and short nonces in
// forms are masked in the text, JSON and HTML reports.
func TestSecretsNeverPrinted(t *testing.T) {
	s := newSite()
	s.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		html(w, `<a href="/export?_token=SECRETTOKENVALUE42&sid=SESSIONVALUE77">Export</a>
<form method="post" action="/note"><input type="hidden" name="_wpnonce" value="a1b2c3d4e5"><input name="body"></form>`)
	})
	s.HandleFunc("GET /export", func(w http.ResponseWriter, r *http.Request) { html(w, "<p>export</p>") })
	s.HandleFunc("POST /note", func(w http.ResponseWriter, r *http.Request) { http.Error(w, "no", http.StatusForbidden) })
	r, text := auditSite(t, s)
	js, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	var page bytes.Buffer
	if err := audit.WriteHTML(&page, r); err != nil {
		t.Fatal(err)
	}
	for name, out := range map[string]string{"text": text, "json": string(js), "html": page.String()} {
		for _, secret := range []string{"SECRETTOKENVALUE42", "SESSIONVALUE77", "a1b2c3d4e5", "a1b2c3d4eA", "sid=alice"} {
			if strings.Contains(out, secret) {
				t.Errorf("the %s report contains %q", name, secret)
			}
		}
	}
}

// TestSiteTextCannotForgeLines: an action with newlines and a bidi
// override in it prints as one line of the report.
func TestSiteTextCannotForgeLines(t *testing.T) {
	s := newSite()
	s.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		html(w, `<form method="post" action="/x%0A%0AINFO%20%20%20%20all%20good%0A%E2%80%AE"><input name="a"></form><a href="/x%0AINFO%20fake%1b[2J">x</a>`)
	})
	s.HandleFunc("POST /", func(w http.ResponseWriter, r *http.Request) { http.Error(w, "no", http.StatusForbidden) })
	_, text := auditSite(t, s)
	for _, line := range strings.Split(text, "\n") {
		if strings.HasPrefix(line, "INFO    all good") || strings.HasPrefix(line, "INFO fake") || strings.ContainsAny(line, "\u202e\x1b") {
			t.Errorf("the site wrote a line of its own: %q", line)
		}
	}
}

// TestCrawlSkipsCamelCaseActions: links named in camelCase or with
// verbs such as cancel are not followed by a passive, signed-in crawl.
func TestCrawlSkipsCamelCaseActions(t *testing.T) {
	s := newSite()
	s.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		html(w, `<a href="/account/deleteAccount">Bye</a> <a href="/users/5/cancelSubscription">Stop</a> <a href="/about">About</a>`)
	})
	s.HandleFunc("GET /", func(w http.ResponseWriter, r *http.Request) { html(w, "<p>page</p>") })
	srv := httptest.NewServer(s)
	defer srv.Close()
	r, err := audit.Run(context.Background(), audit.Config{Target: srv.URL, Cookie: "sid=alice", Rate: 1e6})
	if err != nil {
		t.Fatal(err)
	}
	if s.hit("/account/deleteAccount") != 0 || s.hit("/users/5/cancelSubscription") != 0 {
		t.Errorf("the crawl followed a state-changing link: %v", s.hits)
	}
	if s.hit("/about") != 1 {
		t.Errorf("/about read %d times, want 1", s.hit("/about"))
	}
	if n := countKind(r, audit.KindStateChangingGET); n != 2 {
		t.Errorf("%d state-changing GET findings, want 2", n)
	}
}

func countKind(r *audit.Report, kind string) int {
	n := 0
	for _, f := range r.Findings {
		if f.Kind == kind {
			n++
		}
	}
	return n
}

// TestGETLoginPasswordNeverPrinted: a login form with method=get puts the
// password in a URL; no error quotes it.
func TestGETLoginPasswordNeverPrinted(t *testing.T) {
	const password = "hunter2-SECRET"
	for _, tt := range []struct {
		name    string
		session http.HandlerFunc
	}{
		{"redirect loop", func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, r.URL.String(), http.StatusFound) }},
		{"off-origin redirect", func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, "https://sso.example/?"+r.URL.RawQuery, http.StatusFound)
		}},
		{"wrong password", func(w http.ResponseWriter, r *http.Request) {
			html(w, `<form action="/session"><input name="user"><input type="password" name="pw"></form>`)
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s := newSite()
			s.HandleFunc("GET /login", func(w http.ResponseWriter, r *http.Request) {
				html(w, `<form method="get" action="/session"><input name="user"><input type="password" name="pw"></form>`)
			})
			s.HandleFunc("GET /session", tt.session)
			srv := httptest.NewServer(s)
			defer srv.Close()
			_, err := audit.Run(context.Background(), audit.Config{Target: srv.URL, Login: "/login", User: "alice", Password: password, Rate: 1e6})
			if err == nil {
				t.Fatal("the login did not fail")
			}
			if strings.Contains(err.Error(), "hunter2") {
				t.Errorf("the error quotes the password: %v", err)
			}
		})
	}
}

// TestGETAcceptedNoVisibleChange: a GET that acts where the audit does
// not look is not called protected.
func TestGETAcceptedNoVisibleChange(t *testing.T) {
	s, items := newSite(), 3
	s.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		html(w, `<a href="/items/delete?id=1">Delete item 1</a> <a href="/items">Items</a>`)
	})
	s.HandleFunc("GET /items", func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		defer s.mu.Unlock()
		html(w, fmt.Sprintf("<p>%d items</p>", items))
	})
	s.HandleFunc("GET /items/delete", func(w http.ResponseWriter, r *http.Request) {
		if alice(r) {
			s.mu.Lock()
			items--
			s.mu.Unlock()
		}
		html(w, "<p>Done.</p>")
	})
	r, _ := auditSite(t, s)
	expect(t, r, "GET", "/items/delete", audit.Unconfirmed, audit.Medium)
}

// TestSameSiteOnlyInvisible: a tokenless form held back only by a Lax
// cookie, whose effect the audit cannot see, is not protected.
func TestSameSiteOnlyInvisible(t *testing.T) {
	s := newSite()
	s.HandleFunc("GET /login", func(w http.ResponseWriter, r *http.Request) {
		html(w, `<form method="post" action="/login"><input name="u"><input type="password" name="p"></form>`)
	})
	s.HandleFunc("POST /login", func(w http.ResponseWriter, r *http.Request) {
		http.SetCookie(w, &http.Cookie{Name: "sid", Value: "alice", Path: "/", HttpOnly: true, SameSite: http.SameSiteLaxMode})
		http.Redirect(w, r, "/", http.StatusSeeOther)
	})
	s.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		if !alice(r) {
			html(w, `<a href="/login">Log in</a>`)
			return
		}
		html(w, `<form method="post" action="/notes"><input name="body"></form>`)
	})
	s.HandleFunc("POST /notes", func(w http.ResponseWriter, r *http.Request) {
		if !alice(r) {
			http.Redirect(w, r, "/login", http.StatusSeeOther)
			return
		}
		http.Redirect(w, r, "/", http.StatusSeeOther) // saved somewhere the audit never sees
	})
	srv := httptest.NewServer(s)
	defer srv.Close()
	r, err := audit.Run(context.Background(), audit.Config{Target: srv.URL, Login: "/login", User: "u", Password: "p", Active: true, Rate: 1e6})
	if err != nil {
		t.Fatal(err)
	}
	expect(t, r, "POST", "/notes", audit.Unconfirmed, audit.Medium)
}

// TestAlteredTokenDecodesOtherwise: a server that compares decoded hex
// tokens refuses the altered one, whatever its case.
func TestAlteredTokenDecodesOtherwise(t *testing.T) {
	const tok = "9f3a1c77e0b24d5e9f3a1c77e0b24d1a" // alice's; a stranger gets another
	s := newSite()
	s.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		t := "0000000000000000000000000000000a"
		if alice(r) {
			t = tok
		}
		html(w, `<form method="post" action="/notes"><input type="hidden" name="csrf_token" value="`+t+`"><input name="body"></form>`)
	})
	s.HandleFunc("POST /notes", func(w http.ResponseWriter, r *http.Request) {
		got, err1 := hex.DecodeString(strings.ToLower(r.PostFormValue("csrf_token")))
		want, _ := hex.DecodeString(tok)
		if err1 != nil || !bytes.Equal(got, want) {
			http.Error(w, "bad token", http.StatusForbidden)
			return
		}
		http.Redirect(w, r, "/", http.StatusSeeOther)
	})
	r, _ := auditSite(t, s)
	expect(t, r, "POST", "/notes", audit.Protected, audit.Info)
}

// TestOtherCookieDeletedIsNoLogout: a refusal that clears a flash cookie
// has not ended the session.
func TestOtherCookieDeletedIsNoLogout(t *testing.T) {
	s := newSite()
	s.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		html(w, `<form method="post" action="/notes"><input type="hidden" name="csrf_token" value="q8Zr2LmX0vTb7sYw4KcN1pJd"><input name="body"></form>`)
	})
	s.HandleFunc("POST /notes", func(w http.ResponseWriter, r *http.Request) {
		http.SetCookie(w, &http.Cookie{Name: "flash", Value: "", Path: "/", MaxAge: -1})
		http.Error(w, "bad token", http.StatusForbidden)
	})
	srv := httptest.NewServer(s)
	defer srv.Close()
	r, err := audit.Run(context.Background(), audit.Config{Target: srv.URL, Cookie: "sid=alice; flash=hello", Active: true, Rate: 1e6})
	if err != nil {
		t.Fatal(err)
	}
	expect(t, r, "POST", "/notes", audit.Protected, audit.Info)
}

// TestHTMXForm: a tokenless htmx form (hx-post) is replayed like any
// POST form, and found vulnerable.
func TestHTMXForm(t *testing.T) {
	s, saved := newSite(), []string{}
	s.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		list := strings.Join(saved, "</li><li>")
		s.mu.Unlock()
		html(w, `<form hx-post="/notes" hx-target="#list"><input name="body"><button>Save</button></form><ul id="list"><li>`+list+`</li></ul>`)
	})
	s.HandleFunc("POST /notes", func(w http.ResponseWriter, r *http.Request) {
		if alice(r) {
			s.mu.Lock()
			saved = append(saved, r.PostFormValue("body"))
			s.mu.Unlock()
		}
		html(w, "<li>saved</li>")
	})
	r, _ := auditSite(t, s)
	expect(t, r, "POST", "/notes", audit.Vulnerable, audit.High)
}

// TestOneCheckPerRoute: 300 delete links of one route are one finding and
// at most one forged deletion.
func TestOneCheckPerRoute(t *testing.T) {
	s, deleted := newSite(), 0
	var links strings.Builder
	for i := range 300 {
		fmt.Fprintf(&links, `<a href="/rows/%d/delete">x</a>`, i)
	}
	s.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) { html(w, links.String()) })
	s.HandleFunc("GET /rows/{id}/delete", func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		deleted++
		s.mu.Unlock()
		html(w, "<p>gone</p>")
	})
	r, _ := auditSite(t, s)
	if n := countKind(r, audit.KindStateChangingGET); n != 1 {
		t.Errorf("%d findings for one route, want 1", n)
	}
	for _, f := range r.Findings {
		if f.Kind == audit.KindStateChangingGET && !strings.Contains(f.Detail+f.Title, "and 299 more of the same route") {
			t.Errorf("the finding does not count the route's other URLs: %s %s", f.Title, f.Detail)
		}
	}
	if deleted > 3 {
		t.Errorf("%d forged deletions, want at most the 3 tries of one URL", deleted)
	}
}

// TestConfirmationPage: a "delete" link whose GET only shows a form with
// a token (Django's DeleteView) is protected.
func TestConfirmationPage(t *testing.T) {
	s := newSite()
	s.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) { html(w, `<a href="/items/5/delete">Delete</a>`) })
	s.HandleFunc("GET /items/5/delete", func(w http.ResponseWriter, r *http.Request) {
		html(w, `<p>Are you sure?</p><form method="post"><input type="hidden" name="csrfmiddlewaretoken" value="q8Zr2LmX0vTb7sYw4KcN1pJd"><button>Yes</button></form>`)
	})
	r, _ := auditSite(t, s)
	expect(t, r, "GET", "/items/5/delete", audit.Protected, audit.Info)
}

// TestRoutesKeepTheirActions: query values and slugs that name the action
// keep two routes apart; only IDs merge.
func TestRoutesKeepTheirActions(t *testing.T) {
	s := newSite()
	s.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		html(w, `<a href="/admin?action=clear">1</a><a href="/admin?action=purge-everything">2</a>
<a href="/items/remove-from-favorites-now">3</a><a href="/items/delete-account-permanently">4</a>
<a href="/rows/7/delete">5</a><a href="/rows/8/delete">6</a>`)
	})
	srv := httptest.NewServer(s)
	defer srv.Close()
	r, err := audit.Run(context.Background(), audit.Config{Target: srv.URL, Rate: 1e6})
	if err != nil {
		t.Fatal(err)
	}
	if n := countKind(r, audit.KindStateChangingGET); n != 5 {
		t.Errorf("%d state-changing GET findings, want 5 (only the two /rows/N/delete merge)", n)
	}
}

// TestOneFormManyQueries: the login form rendered at /login and at
// /login?next=/notes (posting to each, with its own hidden next) is one
// form, checked once.
func TestOneFormManyQueries(t *testing.T) {
	s := newSite()
	s.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		html(w, `<a href="/login">Log in</a> <a href="/login?next=/notes">Notes</a>`)
	})
	s.HandleFunc("/login", func(w http.ResponseWriter, r *http.Request) {
		html(w, `<form method="post"><input type="hidden" name="next" value="`+r.URL.Query().Get("next")+`"><input name="user"><input type="password" name="pw"></form>`)
	})
	srv := httptest.NewServer(s)
	defer srv.Close()
	r, err := audit.Run(context.Background(), audit.Config{Target: srv.URL, Active: true, Rate: 1e6})
	if err != nil {
		t.Fatal(err)
	}
	if n := countKind(r, audit.KindForgeableForm); n != 1 {
		t.Errorf("%d findings for the one login form, want 1", n)
	}
}
