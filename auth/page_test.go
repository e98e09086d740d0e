package auth_test

import (
	"context"
	"errors"
	"fmt"
	"html"
	"html/template"
	"io"
	"strings"
	"testing"

	"github.com/bulwark-go/bulwark/auth"
)

// The login and logout pages can come from any renderer (a templ
// component, another template engine): the page functions get the data
// the built-in templates get, and the handlers keep the status, headers
// and behaviour.
func TestPagesFromAnotherRenderer(t *testing.T) {
	f := newFixture(t, fixtureOpts{
		loginPage: func(ctx context.Context, w io.Writer, d auth.LoginData) error {
			_, err := fmt.Fprintf(w, `<main id="own-login"><p>%s</p><form method="post">%s<input name="username" value="%s"></form></main>`,
				html.EscapeString(d.Error), d.CSRFField, html.EscapeString(d.Username))
			return err
		},
		logoutPage: func(ctx context.Context, w io.Writer, d auth.LogoutData) error {
			_, err := fmt.Fprintf(w, `<main id="own-logout"><form method="post" action="%s">%s</form></main>`, html.EscapeString(d.Action), d.CSRFField)
			return err
		},
	})
	b := f.browser(t)
	if res := b.get("/login"); res.status != 200 || !strings.Contains(res.body, `id="own-login"`) || res.header.Get("Cache-Control") != "no-store" {
		t.Fatalf("login page: status %d, Cache-Control %q, body %s", res.status, res.header.Get("Cache-Control"), res.body)
	}
	if res := b.login("alice", "wrong"); res.status != 422 || !strings.Contains(res.body, `id="own-login"`) || !strings.Contains(res.body, `value="alice"`) {
		t.Fatalf("failed login: status %d, body %s", res.status, res.body)
	}
	b.mustLogin()
	if res := b.get("/logout"); res.status != 405 || !strings.Contains(res.body, `id="own-logout"`) || !tokenRE.MatchString(res.body) {
		t.Fatalf("GET /logout: status %d, body %s", res.status, res.body)
	}
}

// A page function that fails gives a clean 500, never half a page.
func TestFailingPageIsA500(t *testing.T) {
	f := newFixture(t, fixtureOpts{loginPage: func(ctx context.Context, w io.Writer, d auth.LoginData) error {
		io.WriteString(w, "<p>half a page")
		return errors.New("renderer broke")
	}})
	res := f.browser(t).get("/login")
	if res.status != 500 || strings.Contains(res.body, "half a page") {
		t.Fatalf("status %d, body %q", res.status, res.body)
	}
}

func TestPageAndTemplateTogetherAreRefused(t *testing.T) {
	f := newFixture(t, fixtureOpts{})
	_, err := auth.New(auth.Config{
		Accounts: f.accounts, Sessions: f.sessions, LoginTemplate: template.Must(template.New("login").Parse("{{.CSRFField}}")),
		LoginPage: func(context.Context, io.Writer, auth.LoginData) error { return nil },
	})
	if err == nil || !strings.Contains(err.Error(), "LoginPage or LoginTemplate") {
		t.Fatalf("New: %v", err)
	}
}
