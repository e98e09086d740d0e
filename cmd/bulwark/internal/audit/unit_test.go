package audit

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"net/http"
	"net/url"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

func mustURL(t testing.TB, s string) *url.URL {
	t.Helper()
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// jarWith is a jar holding the cookies that Set-Cookie lines from u set.
func jarWith(t testing.TB, u string, lines ...string) *jar {
	t.Helper()
	j := newJar()
	j.update(mustURL(t, u), http.Header{"Set-Cookie": lines})
	if len(j.cookies) != len(lines) {
		t.Fatalf("jar holds %d cookies of %d lines %q", len(j.cookies), len(lines), lines)
	}
	return j
}

func TestUnitJarSameSite(t *testing.T) {
	contexts := []struct {
		name string
		sc   sendContext
	}{
		{"same-origin", sameOriginNav}, {"image", crossSiteImage}, {"link", crossSiteLink},
		{"POST", crossSitePOST}, {"forced", forced},
	}
	tests := []struct {
		line     string
		sentIn   []string // context names in which the cookie goes
		withheld string   // why, where it does not
	}{
		{"s=1; SameSite=Lax", []string{"same-origin", "link", "forced"}, "s (SameSite=Lax)"},
		{"s=1; SameSite=Strict", []string{"same-origin", "forced"}, "s (SameSite=Strict)"},
		{"s=1; SameSite=None; Secure", []string{"same-origin", "image", "link", "POST", "forced"}, ""},
		{"s=1", []string{"same-origin", "image", "link", "POST", "forced"}, ""},
		{"s=1; SameSite=lax", []string{"same-origin", "link", "forced"}, "s (SameSite=Lax)"},
	}
	for _, tt := range tests {
		j := jarWith(t, "https://example.com/", tt.line)
		for _, c := range contexts {
			t.Run(tt.line+"/"+c.name, func(t *testing.T) {
				send, withheld := j.forRequest(mustURL(t, "https://example.com/x"), c.sc)
				want := slices.Contains(tt.sentIn, c.name)
				if got := len(send) == 1; got != want {
					t.Errorf("sent %v, want %v (withheld %q)", names(send), want, withheld)
				}
				if !want && !reflect.DeepEqual(withheld, []string{tt.withheld}) {
					t.Errorf("withheld %q, want [%q]", withheld, tt.withheld)
				}
				if want && len(withheld) != 0 {
					t.Errorf("withheld %q as well as sent", withheld)
				}
			})
		}
	}
}

func TestUnitJarSecure(t *testing.T) {
	for _, tt := range []struct {
		url  string
		sent bool
	}{
		{"http://example.com/", false},
		{"https://example.com/", true},
		{"http://localhost:8080/", true},
		{"http://app.localhost/", true},
		{"http://127.0.0.1:8000/", true},
		{"http://[::1]:8000/", true},
		{"http://10.0.0.1/", false},
	} {
		// Set over HTTPS, as a browser would store it.
		j := jarWith(t, strings.Replace(tt.url, "http://", "https://", 1), "s=1; Secure; Path=/")
		for _, sc := range []sendContext{sameOriginNav, crossSiteLink, forced} {
			send, withheld := j.forRequest(mustURL(t, tt.url), sc)
			if (len(send) == 1) != tt.sent || len(withheld) != 0 {
				t.Errorf("%s in context %d: sent %v, withheld %q; want sent %v", tt.url, sc, names(send), withheld, tt.sent)
			}
		}
	}
}

// TestUnitJarRefuses: cookies a browser would not store are not kept: a
// Secure one from plain HTTP (but on loopback), one for another domain.
func TestUnitJarRefuses(t *testing.T) {
	for _, tt := range []struct {
		url, line string
		kept      bool
	}{
		{"http://example.com/", "s=1; Secure", false},
		{"http://localhost:8000/", "s=1; Secure", true},
		{"https://example.com/", "s=1; Domain=other.example", false},
		{"https://app.example.com/", "s=1; Domain=example.com", true},
		{"https://example.com/", "s=1; Domain=.example.com", true},
		{"https://badexample.com/", "s=1; Domain=example.com", false},
	} {
		j := newJar()
		j.update(mustURL(t, tt.url), http.Header{"Set-Cookie": {tt.line}})
		if kept := len(j.cookies) == 1; kept != tt.kept {
			t.Errorf("%s from %s: kept %v, want %v", tt.line, tt.url, kept, tt.kept)
		}
	}
}

func TestUnitJarPathAndDeletion(t *testing.T) {
	j := jarWith(t, "http://example.com/app/page", "a=1", "b=2; Path=/admin", "c=3; Path=relative")
	// a and c get the default path /app.
	for _, tt := range []struct {
		path string
		want []string
	}{
		{"/app", []string{"a", "c"}},
		{"/app/x", []string{"a", "c"}},
		{"/apple", nil},
		{"/admin/users", []string{"b"}},
		{"/", nil},
	} {
		send, _ := j.forRequest(mustURL(t, "http://example.com"+tt.path), sameOriginNav)
		if got := names(send); !slices.Equal(got, tt.want) && !(len(got) == 0 && len(tt.want) == 0) {
			t.Errorf("%s: sent %v, want %v", tt.path, got, tt.want)
		}
	}
	j.update(mustURL(t, "http://example.com/app/page"), http.Header{"Set-Cookie": {"a=; Max-Age=0", "b=gone; Path=/admin; Expires=" + time.Unix(0, 0).UTC().Format(http.TimeFormat)}})
	if (j.named("a") != nil) || (j.named("b") != nil) || (j.named("c") == nil) {
		t.Errorf("after deleting a and b the jar holds %v", names(j.cookies))
	}
	j.update(mustURL(t, "http://example.com/app/page"), http.Header{"Set-Cookie": {"c=4; Path=/app"}})
	if c := j.named("c"); c == nil || c.Value != "4" || len(j.cookies) != 1 {
		t.Errorf("after replacing c the jar holds %v", j.cookies)
	}
}

func TestUnitPathMatch(t *testing.T) {
	for _, tt := range []struct {
		req, cookie string
		want        bool
	}{
		{"/", "/", true},
		{"", "/", true},
		{"/anything/at/all", "/", true},
		{"/docs", "/docs", true},
		{"/docs/", "/docs", true},
		{"/docs/web", "/docs", true},
		{"/docsweb", "/docs", false},
		{"/doc", "/docs", false},
		{"/docs/web", "/docs/", true},
		{"/docs", "/docs/", false},
		{"/Docs", "/docs", false},
		{"/", "/docs", false},
	} {
		if got := pathMatch(tt.req, tt.cookie); got != tt.want {
			t.Errorf("pathMatch(%q, %q) = %v, want %v", tt.req, tt.cookie, got, tt.want)
		}
	}
}

func TestUnitChangingWord(t *testing.T) {
	for _, tt := range []struct {
		url, label, want string
	}{
		{"http://h/logout", "", "logout"},
		{"http://h/log-out", "", "logout"},
		{"http://h/log_out", "", "logout"},
		{"http://h/account/signout", "", "signout"},
		{"http://h/bye", "Sign out", "signout"},
		{"http://h/bye", "Log Off", "logoff"},
		{"http://h/delete?id=1", "", "delete"},
		{"http://h/items/7/remove", "", "remove"},
		{"http://h/x?action=delete", "", "delete"},
		{"http://h/x?do=unsubscribe", "", "unsubscribe"},
		{"http://h/notes", "", ""},
		{"http://h/notes", "Notes", ""},
		{"http://h/notes", "Please do not delete anything on this page", ""},
		{"http://h/notes", "Delete this note", "delete"},
		{"http://h/deleted-items", "", ""},
		{"http://h/", "", ""},
	} {
		if got := changingWord(mustURL(t, tt.url), tt.label); got != tt.want {
			t.Errorf("changingWord(%s, %q) = %q, want %q", tt.url, tt.label, got, tt.want)
		}
	}
	if got := changingWord(nil, "Log out"); got != "logout" {
		t.Errorf("changingWord(nil, \"Log out\") = %q", got)
	}
}

// The two-word phrases are matched as substrings, across word boundaries.
func TestUnitChangingWordPhraseBoundaries(t *testing.T) {
	for _, tt := range []struct{ url, label string }{
		{"http://h/blog-outreach", ""},
		{"http://h/catalog", "Catalog outlet"},
		{"http://h/dialog_offers", ""},
		{"http://h/plans", "Redesign outline"},
	} {
		if got := changingWord(mustURL(t, tt.url), tt.label); got != "" {
			t.Errorf("changingWord(%s, %q) = %q, want \"\"", tt.url, tt.label, got)
		}
	}
}

// changingWord's "first" word must not depend on map iteration order:
// the report's titles carry it.
func TestUnitChangingWordDeterministic(t *testing.T) {
	u := mustURL(t, "http://h/x?a=delete&b=remove&c=purge")
	first := changingWord(u, "")
	for range 100 {
		if got := changingWord(u, ""); got != first {
			t.Fatalf("changingWord(%s) returned %q and %q", u, first, got)
		}
	}
}

func TestUnitIsTokenName(t *testing.T) {
	yes := []string{"csrf_token", "csrfmiddlewaretoken", "authenticity_token", "_token", "__RequestVerificationToken",
		"gorilla.csrf.Token", "_csrf", "XSRF-TOKEN", "my_csrf_field", " _csrf ", "nonce", "_wpnonce", "token", "Token"}
	no := []string{"", "  ", "username", "password", "tokens", "id", "session", "csr", "email"}
	for _, n := range yes {
		if !isTokenName(n) {
			t.Errorf("isTokenName(%q) = false", n)
		}
	}
	for _, n := range no {
		if isTokenName(n) {
			t.Errorf("isTokenName(%q) = true", n)
		}
	}
}

func TestUnitHighEntropy(t *testing.T) {
	for _, tt := range []struct {
		v    string
		want bool
	}{
		{"", false},
		{"abcdefghijklmno", false}, // 15 characters
		{"abcdefghijklmnop", true}, // 16 distinct: 4 bits each
		{"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", false},
		{"abababababababababababab", false},
		{"0123456789", false},
		{"q8Zr2LmX0vTb7sYw4KcN1pJd", true},
		{"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", true}, // a SHA-256 in hex
		{"hello world hello world", false},
		{"2026-12-03T14:00:00Z", false},
	} {
		if got := highEntropy(tt.v); got != tt.want {
			t.Errorf("highEntropy(%q) = %v, want %v", tt.v, got, tt.want)
		}
	}
}

// A 128-bit token in hex (32 characters, as md5(uniqid()) and many
// frameworks make them) looks random whatever its value.
func TestUnitHighEntropyHexTokens(t *testing.T) {
	missed := 0
	for i := range 200 {
		sum := sha256.Sum256([]byte{byte(i), byte(i >> 8)})
		if tok := hex.EncodeToString(sum[:16]); !highEntropy(tok) {
			missed++
			if missed <= 3 {
				t.Errorf("highEntropy(%q) = false", tok)
			}
		}
	}
	if missed > 0 {
		t.Errorf("%d of 200 random 128-bit hex tokens not high entropy", missed)
	}
}

func TestUnitTokenField(t *testing.T) {
	form := func(fields ...field) *form { return &form{Method: "POST", Fields: fields} }
	hidden := func(name, value string) field { return field{Name: name, Type: "hidden", Value: value} }
	const tok1, tok2 = "q8Zr2LmX0vTb7sYw4KcN1pJd", "Hx3Pw9KfL2mQz7Vt0RbY5sNc"

	for _, name := range []string{"csrfmiddlewaretoken", "authenticity_token", "_csrf", "gorilla.csrf.Token", "__RequestVerificationToken"} {
		f := form(field{Name: "body", Type: "textarea"}, hidden(name, "x"))
		if got := f.tokenField(nil); got == nil || got.Name != name {
			t.Errorf("known name %q: tokenField = %v", name, got)
		}
	}
	// A submit button named like a token is not a token.
	if got := form(field{Name: "csrf", Type: "submit", Submit: true}).tokenField(nil); got != nil {
		t.Errorf("a submit button named csrf counts as a token: %+v", got)
	}
	// An unknown hidden name: a token only if its random value changes between renders.
	f := form(field{Name: "body", Type: "text"}, hidden("state", tok1))
	if got := f.tokenField(nil); got != nil {
		t.Errorf("no second render: tokenField = %+v", got)
	}
	if got := f.tokenField(form(field{Name: "body", Type: "text"}, hidden("state", tok2))); got == nil || got.Name != "state" {
		t.Errorf("a random hidden value that changed: tokenField = %v", got)
	}
	if got := f.tokenField(form(field{Name: "body", Type: "text"}, hidden("state", tok1))); got != nil {
		t.Errorf("a random hidden value that stayed the same: tokenField = %+v", got)
	}
	low := form(hidden("page", "1"))
	if got := low.tokenField(form(hidden("page", "2"))); got != nil {
		t.Errorf("a low-entropy hidden value that changed: tokenField = %+v", got)
	}
	text := form(field{Name: "state", Type: "text", Value: tok1})
	if got := text.tokenField(form(field{Name: "state", Type: "text", Value: tok2})); got != nil {
		t.Errorf("a visible text field that changed: tokenField = %+v", got)
	}
	if got := f.tokenField(form(field{Name: "body", Type: "text"})); got != nil {
		t.Errorf("the field is missing from the second render: tokenField = %+v", got)
	}
}

func TestUnitNormalize(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"Hello", "Hello"},
		{"3 notes", "3 notes"},
		{"Balance: 100", "Balance: 100"},
		{"Order 12345 at 10:30", "Order 12345 at T"},
		{"saved 2026-12-03 14:05:03", "saved T T"},
		{"token q8Zr2LmX0vTb7sYw4KcN1pJd end", "token … end"},
		{"short abc123 stays", "short abc123 stays"},
		{"id 550e8400-e29b-41d4-a716-446655440000", "id …"},
	} {
		if got := normalize(tt.in); got != tt.want {
			t.Errorf("normalize(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	if normalize("Balance: 100") == normalize("Balance: 80") {
		t.Error("a changed number is not a change")
	}
	if shape("Signed in, 3 notes") != shape("Signed in, 4 notes") {
		t.Error("lines that differ only in numbers have different shapes")
	}
	if normalize("Signed in") == normalize("Signed out") {
		t.Error("different words normalize alike")
	}
}

func TestUnitParsePage(t *testing.T) {
	base := mustURL(t, "http://example.com/dir/page?x=1")
	body := `<!doctype html><html><head><title>My  page</title>
<style>.x { color: red }</style><script>var hidden = "script text";</script>
<meta name="csrf-token" content="abc"></head>
<body><h1>Heading</h1><p>First   paragraph
with a line break</p>
<a href="other">relative</a>
<a href="/abs#frag">absolute <b>bold</b></a>
<a href="#top">fragment only</a>
<a href="javascript:alert(1)">js</a>
<a href="mailto:a@example.com">mail</a>
<a href="  https://elsewhere.example/x  ">elsewhere</a>
<a href="//cdn.example/y">protocol-relative</a>
<a name="anchor">no href</a>
<form method="POST" action="/save#f" enctype="Multipart/Form-Data" id="notes">
  <input type="hidden" name="csrf_token" value="t0k">
  <input name="title" value="T">
  <input type="checkbox" name="pin" value="yes" checked>
  <input type="radio" name="color" value="red">
  <input type="submit" name="go" value="Save">
  <input type="button" name="nope" value="x">
  <input value="unnamed">
  <textarea name="body">Some text</textarea>
  <select name="kind"><option value="a">A</option><option value="b" selected>B</option></select>
  <select name="first"><option value="one">1</option><option value="two">2</option></select>
  <button name="action" value="archive">Archive it</button>
  <button type="button" name="ignored">no</button>
</form>
<form><input name="q"></form>
<form action="javascript:void(0)" method="post"><input name="z"></form>
<div>After forms</div>
</body></html>`
	p := parsePage(base, []byte(body))

	if p.Title != "My  page" {
		t.Errorf("title %q", p.Title)
	}
	if !p.TokenMeta {
		t.Error("the csrf-token meta tag was not seen")
	}
	var links []string
	for _, l := range p.Links {
		links = append(links, l.URL.String())
	}
	wantLinks := []string{"http://example.com/dir/other", "http://example.com/abs", "https://elsewhere.example/x", "http://cdn.example/y"}
	if !slices.Equal(links, wantLinks) {
		t.Errorf("links\n%q\nwant\n%q", links, wantLinks)
	}
	if len(p.Links) > 1 && strings.Join(strings.Fields(p.Links[1].Text), " ") != "absolute bold" {
		t.Errorf("link text %q", p.Links[1].Text)
	}
	text := strings.Join(p.Text, "\n")
	for _, s := range []string{"Heading", "First paragraph with a line break", "After forms"} {
		if !slices.Contains(p.Text, s) {
			t.Errorf("text line %q missing from %q", s, p.Text)
		}
	}
	for _, s := range []string{"script text", "color: red", "My  page", "Some text"} {
		if strings.Contains(text, s) {
			t.Errorf("text %q shows %q", p.Text, s)
		}
	}

	if len(p.Forms) != 3 {
		t.Fatalf("%d forms, want 3", len(p.Forms))
	}
	f := p.Forms[0]
	if f.Method != "POST" || f.Action.String() != "http://example.com/save" || f.Enctype != "multipart/form-data" {
		t.Errorf("form 0: %s %v %q", f.Method, f.Action, f.Enctype)
	}
	want := []field{
		{Name: "csrf_token", Type: "hidden", Value: "t0k"},
		{Name: "title", Type: "text", Value: "T"},
		{Name: "pin", Type: "checkbox", Value: "yes", Checked: true},
		{Name: "color", Type: "radio", Value: "red"},
		{Name: "go", Type: "submit", Value: "Save", Submit: true},
		{Name: "body", Type: "textarea", Value: "Some text"},
		{Name: "kind", Type: "select-chosen", Value: "b"},
		{Name: "first", Type: "select-chosen", Value: "one"},
		{Name: "action", Type: "submit", Value: "archive", Submit: true},
	}
	if !reflect.DeepEqual(f.Fields, want) {
		t.Errorf("form 0 fields\n%+v\nwant\n%+v", f.Fields, want)
	}
	for _, s := range []string{"notes", "Save", "Archive it", "archive"} {
		if !strings.Contains(f.Label, s) {
			t.Errorf("form 0 label %q lacks %q", f.Label, s)
		}
	}
	if g := p.Forms[1]; g.Method != "GET" || g.Action.String() != base.String() || len(g.Fields) != 1 || g.Fields[0].Name != "q" {
		t.Errorf("form 1 (no action): %s %v %+v", g.Method, g.Action, g.Fields)
	}
	if g := p.Forms[2]; g.Action != nil {
		t.Errorf("form 2 (javascript: action) has action %v", g.Action)
	}
}

func TestUnitParsePageBase(t *testing.T) {
	page := mustURL(t, "http://example.com/a/b/page")
	p := parsePage(page, []byte(`<head><base href="/root/sub/"></head><a href="x">x</a><a href="../y">y</a><form method=post action="save"></form>`))
	var links []string
	for _, l := range p.Links {
		links = append(links, l.URL.String())
	}
	if want := []string{"http://example.com/root/sub/x", "http://example.com/root/y"}; !slices.Equal(links, want) {
		t.Errorf("links %q, want %q", links, want)
	}
	if len(p.Forms) != 1 || p.Forms[0].Action.String() != "http://example.com/root/sub/save" {
		t.Errorf("forms %+v", p.Forms)
	}
	// A <base> after the first link is ignored.
	p = parsePage(page, []byte(`<a href="x">x</a><base href="http://other.example/"><a href="z">z</a>`))
	if len(p.Links) != 2 || p.Links[1].URL.String() != "http://example.com/a/b/z" {
		t.Errorf("links %v", p.Links)
	}
}

// A form without an action submits to the document's URL, whatever the
// <base> says (HTML: "If action is the empty string, let action be the
// URL of the form document").
func TestUnitParsePageBaseFormWithoutAction(t *testing.T) {
	page := mustURL(t, "http://example.com/notes")
	for _, b := range []string{"https://cdn.example/", "#top", "javascript:void(0)", "/other/"} {
		p := parsePage(page, []byte(`<base href="`+b+`"><form method="post"><input name="body"></form><form method="post" action=""><input name="x"></form>`))
		for i, f := range p.Forms {
			if f.Action == nil || f.Action.String() != page.String() {
				t.Errorf("base %q, form %d: action %v, want %s", b, i, f.Action, page)
			}
		}
	}
}

// The link text must end up on the link even when the page has more
// links than the Links slice had room for.
func TestUnitParsePageLinkTextAfterArea(t *testing.T) {
	p := parsePage(mustURL(t, "http://example.com/"), []byte(`<a href="/a">A</a><a href="/b"><area href="/c">Log out</a>`))
	if len(p.Links) != 3 || !strings.Contains(p.Links[1].Text, "Log out") {
		t.Errorf("links %+v: want /b's text to be \"Log out\"", p.Links)
	}
}

// Browsers resolve "http:foo" on an http page as the relative "foo", and
// "http:///x" as http://x/: a link always has a host.
func TestUnitParsePageHostlessLinks(t *testing.T) {
	for _, href := range []string{"http:foo", "http:/p", "http:///x", "https:x"} {
		p := parsePage(mustURL(t, "http://example.com/dir/page"), []byte(`<a href="`+href+`">x</a>`))
		for _, l := range p.Links {
			if l.URL.Host == "" {
				t.Errorf("href %q: link %q has no host", href, l.URL)
			}
		}
	}
}

func TestUnitParsePageMaxFields(t *testing.T) {
	var b strings.Builder
	b.WriteString(`<form method="post">`)
	for i := range maxFields + 50 {
		b.WriteString(`<input name="f` + strings.Repeat("x", i%7) + `">`)
	}
	b.WriteString(`</form>`)
	p := parsePage(mustURL(t, "http://example.com/"), []byte(b.String()))
	if len(p.Forms) != 1 || len(p.Forms[0].Fields) != maxFields {
		t.Errorf("%d forms, fields %d; want 1 form with %d fields", len(p.Forms), len(p.Forms[0].Fields), maxFields)
	}
}

func TestUnitCacheable(t *testing.T) {
	for _, tt := range []struct {
		h    http.Header
		want bool
	}{
		{http.Header{}, true},
		{http.Header{"Cache-Control": {"public, max-age=600"}}, true},
		{http.Header{"Cache-Control": {"no-cache"}}, true},
		{http.Header{"Cache-Control": {"no-store"}}, false},
		{http.Header{"Cache-Control": {"Private, max-age=60"}}, false},
		{http.Header{"Cache-Control": {"max-age=60", "no-store"}}, false},
		{http.Header{"Vary": {"Accept-Encoding"}}, true},
		{http.Header{"Vary": {"Accept-Encoding, Cookie"}}, false},
		{http.Header{"Vary": {"Accept-Encoding", "cookie"}}, false},
		{http.Header{"Vary": {"*"}}, false},
		{http.Header{"Vary": {"Cookies"}}, true},
	} {
		if got := cacheable(tt.h); got != tt.want {
			t.Errorf("cacheable(%v) = %v, want %v", tt.h, got, tt.want)
		}
	}
}

func TestUnitRetryAfter(t *testing.T) {
	for _, tt := range []struct {
		v    string
		want time.Duration
	}{
		{"", time.Second},
		{"0", time.Second},
		{"-5", time.Second},
		{"1", time.Second},
		{"5", 5 * time.Second},
		{" 7 ", 7 * time.Second},
		{"30", 30 * time.Second},
		{"3600", 30 * time.Second},
		{"soon", time.Second},
		{"Wed, 21 Oct 2015 07:28:00 GMT", time.Second},
		{"99999999999999999999", time.Second},
	} {
		if got := retryAfter(tt.v); got != tt.want {
			t.Errorf("retryAfter(%q) = %v, want %v", tt.v, got, tt.want)
		}
	}
}

// TestUnitAlterDecodesOtherwise: an altered token is another token once
// decoded, as hex (any case) or base64 (padding bits aside).
func TestUnitAlterDecodesOtherwise(t *testing.T) {
	for _, tok := range []string{"9f3a1c77e0b24d5e9f3a1c77e0b24d1a", "9F3A1C77E0B24D5E", "q8Zr2LmX0vTb7sYw4KcN1pJdB", "aaaa-bbbb-9999", "x"} {
		alt := alter(tok)
		if alt == tok || len(alt) != len(tok) {
			t.Errorf("alter(%q) = %q", tok, alt)
		}
		if a, err := hex.DecodeString(strings.ToLower(alt)); err == nil {
			if b, _ := hex.DecodeString(strings.ToLower(tok)); bytes.Equal(a, b) {
				t.Errorf("alter(%q) = %q decodes to the same hex", tok, alt)
			}
		}
		if a, err := base64.RawURLEncoding.DecodeString(alt); err == nil {
			if b, _ := base64.RawURLEncoding.DecodeString(tok); bytes.Equal(a, b) {
				t.Errorf("alter(%q) = %q decodes to the same base64", tok, alt)
			}
		}
	}
}

// TestUnitHTMX: hx-post makes a form (or any element) a POST target, and
// a token in hx-headers counts as one sent by script.
func TestUnitHTMX(t *testing.T) {
	p := parsePage(mustURL(t, "http://example.com/notes"), []byte(`<body hx-headers='{"X-CSRF-Token": "abc"}'>
<form hx-post="/notes/add"><input name="body"></form>
<button hx-post="/notes/5/pin">Pin</button>`))
	if len(p.Forms) != 2 || p.Forms[0].Method != "POST" || p.Forms[0].Action.Path != "/notes/add" || p.Forms[0].field("body") == nil {
		t.Fatalf("forms %+v", p.Forms)
	}
	if p.Forms[1].Method != "POST" || p.Forms[1].Action.Path != "/notes/5/pin" {
		t.Errorf("the button's form %+v", p.Forms[1])
	}
	if !p.TokenMeta {
		t.Error("the hx-headers token is not seen")
	}
}

// TestUnitHTMXWithinForm: an htmx element inside a form sends the form's
// fields, its token among them.
func TestUnitHTMXWithinForm(t *testing.T) {
	p := parsePage(mustURL(t, "http://example.com/items"), []byte(`<form method="post" action="/items">
<input type="hidden" name="csrf_token" value="t0k"><button hx-post="/items/5/star">Star</button></form>`))
	if len(p.Forms) != 2 || p.Forms[1].Action.Path != "/items/5/star" || p.Forms[1].tokenField(nil) == nil {
		t.Fatalf("forms %+v", p.Forms)
	}
}

// TestUnitStrongVerbs: a strong verb inside a word counts before an object
// word only.
func TestUnitStrongVerbs(t *testing.T) {
	for path, want := range map[string]string{
		"/deleteall": "delete", "/items/removeitem": "remove", "/logoutnow": "logout",
		"/help/how-it-removes-data": "", "/deletion-policy": "", "/removed-items": "", "/destroyer": "",
	} {
		if got := changingWord(mustURL(t, "http://h"+path), ""); got != want {
			t.Errorf("changingWord(%s) = %q, want %q", path, got, want)
		}
	}
}
