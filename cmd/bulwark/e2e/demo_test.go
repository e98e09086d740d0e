// This file holds the end-to-end tests of the demo app and its attacks.

package e2e

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/bulwark-go/bulwark/cmd/bulwark/internal/demo"
)

// TestFormsLoginNoteLogout walks the app as a user would: log in through the
// form, save a note, meet the 405 page at GET /logout (still logged in),
// then log out with the button.
func TestFormsLoginNoteLogout(t *testing.T) {
	tab := newTab(t, false)
	s := startDemo(t, demo.Config{})
	s.addUser(t, "alice")
	s.login(t, tab, "alice")
	screenshot(t, tab, "home.png")

	const body = "hello from a real browser <b>not bold</b>"
	err := chromedp.Do(tab,
		chromedp.Navigate(s.victim+"/notes"),
		chromedp.SendKeys("#body", body),
		chromedp.Click("#note-form button"),
		chromedp.WaitVisible("#notes .note-body"),
	)
	if err != nil {
		t.Fatalf("post a note: %v", err)
	}
	if got := s.notes(t, "alice"); len(got) != 1 || got[0].Body != body {
		t.Fatalf("notes on the server after posting = %+v, want one with body %q", got, body)
	}
	shown, err := chromedp.Run(tab, chromedp.Text("#notes .note-body"))
	if err != nil || shown != body {
		t.Errorf("the notes page shows %q (%v), want %q (escaped, as text)", shown, err, body)
	}

	t.Run("GET /logout shows the 405 page and keeps the user logged in", func(t *testing.T) {
		resp, err := chromedp.Run(tab, chromedp.NavigateResponse(s.victim+"/logout"))
		if err != nil {
			t.Fatal(err)
		}
		if resp.Status != http.StatusMethodNotAllowed {
			t.Errorf("GET /logout status = %d, want 405", resp.Status)
		}
		if err := chromedp.Do(tab, chromedp.WaitVisible("#logout-405-form button")); err != nil {
			t.Fatalf("the 405 page has no logout button: %v", err)
		}
		if n := s.liveSessions(t, "alice"); n != 1 {
			t.Errorf("after GET /logout alice has %d live sessions, want 1", n)
		}
		if got, err := chromedp.Run(tab, chromedp.Text("#username")); err != nil || got != "alice" {
			t.Errorf("after GET /logout the page says signed in as %q (%v), want alice", got, err)
		}
	})

	t.Run("the logout button logs out", func(t *testing.T) {
		err := chromedp.Do(tab,
			chromedp.Navigate(s.victim+"/"),
			chromedp.Click("form.logout button"),
			chromedp.WaitVisible("#login-link"),
		)
		if err != nil {
			t.Fatal(err)
		}
		if n := s.liveSessions(t, "alice"); n != 0 {
			t.Errorf("after logout alice has %d live sessions, want 0", n)
		}
	})

	if err := chromedp.Do(tab, chromedp.Navigate(s.attacker+"/")); err != nil {
		t.Fatal(err)
	}
	screenshot(t, tab, "attacker-index.png")
}

// wantSafe is what each attack must produce in safe mode: the request
// arrived with the cookie and a server-side rule refused it.
var wantSafe = map[string]struct {
	status int
	reason string // a substring of the attack log's reason
	// landing is an element of the app's page where the attack leaves the
	// browser, for the attacks that navigate the tab ("" for the others).
	landing string
}{
	"a": {http.StatusMethodNotAllowed, "cannot log out (405", ""},
	"b": {http.StatusForbidden, "the CSRF check failed: csrf: cross-site", "#reason"},
	"c": {http.StatusForbidden, "the CSRF check failed: csrf: cross-site", "#reason"},
	"d": {http.StatusForbidden, "the CSRF check failed: csrf: cross-site", ""},
	"e": {http.StatusMethodNotAllowed, "cannot log out (405", "#logout-405-form"},
}

// TestSafeModeAttacksArriveWithCookieAndAreRefused runs every attacker page
// against the safe app with SameSite=None and third-party cookies allowed,
// so the browser sends the session cookie with every attack and only the
// server's rules (POST-only logout, the CSRF check) stand in the way.
func TestSafeModeAttacksArriveWithCookieAndAreRefused(t *testing.T) {
	s := startDemo(t, demo.Config{CookieSameSite: http.SameSiteNoneMode})
	for _, a := range demo.Attacks {
		t.Run("("+a.ID+") "+a.Title, func(t *testing.T) {
			user := "victim-" + a.ID
			tab := newTab(t, true)
			s.addUser(t, user)
			s.login(t, tab, user)

			startNavigation(t, tab, s.attacker+a.Path)
			e := s.waitAttack(t, a.ID, a.Target)

			want := wantSafe[a.ID]
			if !e.CookieSent || e.User != user {
				t.Errorf("the request arrived with cookie_sent=%v user=%q, want the cookie of %s (else this test proves nothing)", e.CookieSent, e.User, user)
			}
			if e.SecFetchSite != "cross-site" {
				t.Errorf("Sec-Fetch-Site = %q, want cross-site", e.SecFetchSite)
			}
			if e.Verdict != demo.VerdictRefused || e.Status != want.status || !strings.Contains(e.Reason, want.reason) {
				t.Errorf("verdict = %q %d %q, want %q %d containing %q", e.Verdict, e.Status, e.Reason, demo.VerdictRefused, want.status, want.reason)
			}
			if a.Method == http.MethodPost && !strings.HasPrefix(e.Origin, s.attacker) {
				t.Errorf("Origin = %q, want the attacker's %s", e.Origin, s.attacker)
			}
			if n := s.liveSessions(t, user); n != 1 {
				t.Errorf("after the attack %s has %d live sessions on the server, want 1", user, n)
			}
			if notes := s.notes(t, user); len(notes) != 0 {
				t.Errorf("the attack created notes: %+v", notes)
			}
			// And the browser still holds a working session. First let the
			// attack's own navigation finish, or ours would race it.
			if want.landing != "" {
				if err := chromedp.Do(tab, chromedp.WaitVisible(want.landing)); err != nil {
					t.Fatalf("the attack did not land on the app's page with %s: %v", want.landing, err)
				}
			}
			err := chromedp.Do(tab, chromedp.Navigate(s.victim+"/"), chromedp.WaitVisible("#username"))
			if err != nil {
				t.Errorf("after the attack the app's home page shows no signed-in user: %v", err)
			}
		})
	}

	tab := newTab(t, true)
	if err := chromedp.Do(tab, chromedp.Navigate(s.victim+"/attack-log"), chromedp.WaitVisible("#attack-log")); err != nil {
		t.Fatal(err)
	}
	shot := screenshot(t, tab, "attack-log.png")
	if os.Getenv("BULWARK_UPDATE_DOCS") == "1" && shot != "" {
		dst := filepath.Join("..", "..", "..", "docs", "img", "attack-log.png")
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := copyFile(shot, dst); err != nil {
			t.Fatal(err)
		}
		t.Logf("updated %s", dst)
	}
}

// TestUnsafeModeAttacksSucceed proves the tests can see a working attack:
// without the protections, the same pages log the user out and save notes.
func TestUnsafeModeAttacksSucceed(t *testing.T) {
	s := startDemo(t, demo.Config{Unsafe: true})
	for _, a := range demo.Attacks {
		t.Run("("+a.ID+") "+a.Title, func(t *testing.T) {
			user := "victim-" + a.ID
			tab := newTab(t, true)
			s.addUser(t, user)
			s.login(t, tab, user)

			startNavigation(t, tab, s.attacker+a.Path)
			e := s.waitAttack(t, a.ID, a.Target)

			if !e.CookieSent || e.User != user || e.Verdict != demo.VerdictAcceptedUnsafe {
				t.Errorf("attack log: cookie_sent=%v user=%q verdict=%q (%s), want the cookie of %s and %q",
					e.CookieSent, e.User, e.Verdict, e.Reason, user, demo.VerdictAcceptedUnsafe)
			}
			if a.Target == "/logout" {
				if n := s.liveSessions(t, user); n != 0 {
					t.Errorf("after the attack %s has %d live sessions, want 0 (logged out)", user, n)
				}
				return
			}
			notes := s.notes(t, user)
			if len(notes) != 1 || !strings.Contains(notes[0].Body, "pwned") {
				t.Errorf("after the attack %s has notes %+v, want one forged note", user, notes)
			}
		})
	}
}

// TestLaxCookie shows what SameSite=Lax does and does not do in a default
// browser profile: the image request goes without the cookie, but a
// top-level navigation carries it, so only "GET never changes anything"
// protects a logout link.
func TestLaxCookie(t *testing.T) {
	s := startDemo(t, demo.Config{})
	tab := newTab(t, false)
	s.addUser(t, "lax")
	s.login(t, tab, "lax")

	t.Run("(a) the image request goes without the cookie", func(t *testing.T) {
		startNavigation(t, tab, s.attacker+"/img-logout")
		e := s.waitAttack(t, "a", "/logout")
		if e.CookieSent || e.Verdict != demo.VerdictBlockedByBrowser {
			t.Errorf("attack log: cookie_sent=%v verdict=%q, want the cookie not sent and %q", e.CookieSent, e.Verdict, demo.VerdictBlockedByBrowser)
		}
	})
	t.Run("(e) the navigation carries the cookie and meets the 405", func(t *testing.T) {
		startNavigation(t, tab, s.attacker+"/nav-logout")
		e := s.waitAttack(t, "e", "/logout")
		if !e.CookieSent || e.User != "lax" || e.Status != http.StatusMethodNotAllowed || e.Verdict != demo.VerdictRefused {
			t.Errorf("attack log: %+v, want the cookie of lax, 405 and %q", e, demo.VerdictRefused)
		}
		if n := s.liveSessions(t, "lax"); n != 1 {
			t.Errorf("lax has %d live sessions, want 1", n)
		}
	})
}
