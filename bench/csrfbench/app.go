// Package csrfbench compares Bulwark's csrf middleware with its peers on one
// tiny app and identical requests.
//
// Every library wraps the same app: GET / renders a form (with the library's
// token when it has one) and POST /submit reads a form field and answers
// "ok". Four scenarios are measured for each library:
//
//   - first-visit GET: no cookie, a token must be rendered (and its cookie set);
//   - GET with an existing cookie: the token is rendered again;
//   - same-origin POST with a valid token: must answer 200 "ok";
//   - cross-site POST: must be rejected (403, or nosurf's 400) without
//     reaching the app.
//
// Before any benchmark runs, Prepare checks that the setup really behaves as
// described, so a number is never the cost of a misconfigured library. The
// same checks run as ordinary tests.
//
// A library's overhead is its time minus the bare app's time on the SAME
// request. The first-visit GET and the cross-site POST are byte-for-byte the
// same request for every library, so one bare measurement serves them all.
// The GET with a cookie and the valid POST carry each library's own cookie
// and token field, so for those (PairedScenarios) the bare app is measured
// once more on each library's exact request: see SameRequestBaseline.
package csrfbench

import (
	"errors"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
)

// Origin is the app's own origin; every request targets it.
const Origin = "https://example.com"

// EvilOrigin is the attacker's origin in the cross-site scenario.
const EvilOrigin = "https://evil.example"

// Lib is one CSRF library set up for the app.
type Lib struct {
	// Name identifies the library in benchmark names and tables.
	Name string
	// Wrap wraps the app in the library's middleware.
	Wrap func(http.Handler) http.Handler
	// Token returns the token to render for r; nil for tokenless libraries.
	Token func(r *http.Request) string
	// Field is the form field the token is posted in.
	Field string
	// Baseline marks the bare handler (no protection at all).
	Baseline bool
	// NoSetCookieOnReject asserts that a rejected request gets no Set-Cookie.
	NoSetCookieOnReject bool
	// NoSetCookieOnRevisit asserts that a GET carrying a valid cookie gets no
	// new Set-Cookie.
	NoSetCookieOnRevisit bool
	// Only lists the scenarios the library is benchmarked in; nil: all.
	// Prepare still verifies every scenario.
	Only []string
}

// Measures reports whether lib is benchmarked in scenario sc.
func (l Lib) Measures(sc string) bool { return l.Only == nil || slices.Contains(l.Only, sc) }

// Tokenless reports whether the library renders no token.
func (l Lib) Tokenless() bool { return l.Token == nil }

// App returns the tiny application for lib.
func App(lib Lib) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		io.WriteString(w, `<!doctype html><form method="post" action="/submit">`)
		if lib.Token != nil {
			io.WriteString(w, `<input type="hidden" name="`)
			io.WriteString(w, html.EscapeString(lib.Field))
			io.WriteString(w, `" value="`)
			io.WriteString(w, html.EscapeString(lib.Token(r)))
			io.WriteString(w, `">`)
		}
		io.WriteString(w, `<input name="name"><button>Send</button></form>`)
	})
	mux.HandleFunc("POST /submit", func(w http.ResponseWriter, r *http.Request) {
		name := r.PostFormValue("name")
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		io.WriteString(w, "ok ")
		io.WriteString(w, name)
	})
	return mux
}

// BareReject is the baseline for the cross-site scenario: the cheapest
// possible rejection, what a handler that knew the answer would do.
var BareReject = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	http.Error(w, "Forbidden", http.StatusForbidden)
})

// Scenario names, in table order.
const (
	FirstGET    = "first-get"
	CookieGET   = "cookie-get"
	ValidPOST   = "valid-post"
	CrossSite   = "cross-site-post"
	postedName  = "alice"
	attackName  = "mallory"
	wantPostOK  = "ok " + postedName
	contentForm = "application/x-www-form-urlencoded"
)

// Scenarios lists the scenario names in table order.
var Scenarios = []string{FirstGET, CookieGET, ValidPOST, CrossSite}

// Case is one prepared scenario for one library.
type Case struct {
	Lib      Lib
	Scenario string
	Handler  http.Handler
	base     *http.Request
	body     string
	req      http.Request
	rd       resettableBody
}

// resettableBody is a request body that can be rewound without allocating.
type resettableBody struct{ strings.Reader }

func (*resettableBody) Close() error { return nil }

// Request returns the scenario's request, ready to serve. It reuses one
// request value and body, so a benchmark loop allocates nothing for it; the
// previous request must be finished with.
func (c *Case) Request() *http.Request {
	c.req = *c.base
	if c.body != "" {
		c.rd.Reset(c.body)
		c.req.Body = &c.rd
		c.req.ContentLength = int64(len(c.body))
	} else {
		c.req.Body = http.NoBody
	}
	return &c.req
}

// Serve runs the scenario once and returns the recorded response.
func (c *Case) Serve() *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	c.Handler.ServeHTTP(rec, c.Request())
	return rec
}

func newGET(cookies []*http.Cookie) *http.Request {
	r := httptest.NewRequest(http.MethodGet, Origin+"/", nil)
	r.Header.Set("Sec-Fetch-Site", "none")
	r.Header.Set("Sec-Fetch-Mode", "navigate")
	for _, c := range cookies {
		r.AddCookie(c)
	}
	return r
}

func newPOST(origin string, cookies []*http.Cookie) *http.Request {
	r := httptest.NewRequest(http.MethodPost, Origin+"/submit", nil)
	r.Header.Set("Content-Type", contentForm)
	r.Header.Set("Origin", origin)
	r.Header.Set("Referer", origin+"/")
	if origin == Origin {
		r.Header.Set("Sec-Fetch-Site", "same-origin")
	} else {
		r.Header.Set("Sec-Fetch-Site", "cross-site")
	}
	r.Header.Set("Sec-Fetch-Mode", "navigate")
	for _, c := range cookies {
		r.AddCookie(c)
	}
	return r
}

// tokenFrom extracts the rendered token of field from a page.
func tokenFrom(page, field string) (string, bool) {
	marker := `name="` + html.EscapeString(field) + `" value="`
	i := strings.Index(page, marker)
	if i < 0 {
		return "", false
	}
	rest := page[i+len(marker):]
	j := strings.IndexByte(rest, '"')
	if j < 0 {
		return "", false
	}
	return html.UnescapeString(rest[:j]), true
}

// Prepare builds the four scenarios for lib and verifies each one behaves as
// intended. It returns an error describing the first misbehaviour.
func Prepare(lib Lib) (map[string]*Case, error) {
	app := lib.Wrap(App(lib))
	cases := map[string]*Case{}

	// First visit: no cookie.
	first := &Case{Lib: lib, Scenario: FirstGET, Handler: app, base: newGET(nil)}
	rec := first.Serve()
	if rec.Code != http.StatusOK {
		return nil, fmt.Errorf("%s: first GET answered %d, want 200", lib.Name, rec.Code)
	}
	cookies := rec.Result().Cookies()
	token, rendered := tokenFrom(rec.Body.String(), lib.Field)
	if !lib.Tokenless() {
		if !rendered || token == "" {
			return nil, fmt.Errorf("%s: first GET rendered no token", lib.Name)
		}
		if len(cookies) == 0 {
			return nil, fmt.Errorf("%s: first GET set no cookie", lib.Name)
		}
	} else if rendered {
		return nil, fmt.Errorf("%s: tokenless library rendered a token", lib.Name)
	}
	cases[FirstGET] = first

	// Revisit with the cookie.
	again := &Case{Lib: lib, Scenario: CookieGET, Handler: app, base: newGET(cookies)}
	rec = again.Serve()
	if rec.Code != http.StatusOK {
		return nil, fmt.Errorf("%s: GET with cookie answered %d, want 200", lib.Name, rec.Code)
	}
	if !lib.Tokenless() {
		tok2, ok := tokenFrom(rec.Body.String(), lib.Field)
		if !ok || tok2 == "" {
			return nil, fmt.Errorf("%s: GET with cookie rendered no token", lib.Name)
		}
		if lib.NoSetCookieOnRevisit && len(rec.Result().Cookies()) != 0 {
			return nil, fmt.Errorf("%s: GET with a valid cookie got a new Set-Cookie", lib.Name)
		}
	}
	cases[CookieGET] = again

	// Same-origin POST with the token from the first page.
	form := url.Values{"name": {postedName}}
	if !lib.Tokenless() {
		form.Set(lib.Field, token)
	}
	valid := &Case{Lib: lib, Scenario: ValidPOST, Handler: app, base: newPOST(Origin, cookies), body: form.Encode()}
	rec = valid.Serve()
	if rec.Code != http.StatusOK || rec.Body.String() != wantPostOK {
		return nil, fmt.Errorf("%s: valid POST answered %d %q, want 200 %q", lib.Name, rec.Code, rec.Body.String(), wantPostOK)
	}
	cases[ValidPOST] = valid

	// The token must really be checked: the same POST with a forged token fails.
	if !lib.Tokenless() && !lib.Baseline {
		forged := url.Values{"name": {postedName}, lib.Field: {flip(token)}}
		bad := &Case{Lib: lib, Handler: app, base: newPOST(Origin, cookies), body: forged.Encode()}
		rec = bad.Serve()
		if rec.Code == http.StatusOK {
			return nil, fmt.Errorf("%s: POST with a forged token was accepted: the token is not checked", lib.Name)
		}
		missing := &Case{Lib: lib, Handler: app, base: newPOST(Origin, cookies), body: url.Values{"name": {postedName}}.Encode()}
		rec = missing.Serve()
		if rec.Code == http.StatusOK {
			return nil, fmt.Errorf("%s: POST without a token was accepted: the token is not checked", lib.Name)
		}
	}

	// Cross-site POST: no cookie (SameSite=Lax keeps it home), no token.
	cross := &Case{Lib: lib, Scenario: CrossSite, Handler: app, base: newPOST(EvilOrigin, nil),
		body: url.Values{"name": {attackName}}.Encode()}
	if lib.Baseline {
		cross.Handler = BareReject
	}
	rec = cross.Serve()
	if rec.Code != http.StatusForbidden && rec.Code != http.StatusBadRequest {
		return nil, fmt.Errorf("%s: cross-site POST answered %d, want 403 or 400", lib.Name, rec.Code)
	}
	if strings.Contains(rec.Body.String(), attackName) {
		return nil, fmt.Errorf("%s: cross-site POST reached the app", lib.Name)
	}
	if lib.NoSetCookieOnReject && len(rec.Result().Header.Values("Set-Cookie")) != 0 {
		return nil, fmt.Errorf("%s: cross-site POST got a Set-Cookie", lib.Name)
	}
	// The same attack carrying the victim's cookie (a SameSite=None world)
	// must be rejected too.
	crossCookie := &Case{Lib: lib, Handler: cross.Handler, base: newPOST(EvilOrigin, cookies),
		body: url.Values{"name": {attackName}}.Encode()}
	rec = crossCookie.Serve()
	if rec.Code != http.StatusForbidden && rec.Code != http.StatusBadRequest {
		return nil, fmt.Errorf("%s: cross-site POST with the victim's cookie answered %d, want 403 or 400", lib.Name, rec.Code)
	}
	if lib.NoSetCookieOnReject && len(rec.Result().Header.Values("Set-Cookie")) != 0 {
		return nil, fmt.Errorf("%s: cross-site POST with the victim's cookie got a Set-Cookie", lib.Name)
	}
	cases[CrossSite] = cross

	// The prepared requests must be reusable: serve each again.
	for _, name := range Scenarios {
		c := cases[name]
		first, second := c.Serve(), c.Serve()
		if first.Code != second.Code {
			return nil, errors.New(lib.Name + ": " + name + " is not repeatable")
		}
	}
	return cases, nil
}

// PairedScenarios are the scenarios whose request differs between libraries
// (each carries the library's cookie, the valid POST also its token field).
// In them every library gets its own same-request baseline.
var PairedScenarios = []string{CookieGET, ValidPOST}

// BaselineName is the benchmark name of lib's same-request baseline.
func BaselineName(lib string) string { return "bare-on-" + lib }

// SameRequestBaseline returns the bare app (no protection) serving exactly
// c's request: the same method, URL, headers, cookies and body. The time of
// c minus the time of this baseline is the library's own overhead; the bare
// app still parses the form, token field included, as it would under any
// token library. It verifies that the bare app answers the request as the
// library's app does (200, and "ok alice" for the POST).
func SameRequestBaseline(c *Case) (*Case, error) {
	if !slices.Contains(PairedScenarios, c.Scenario) {
		return nil, fmt.Errorf("%s: %s has one shared bare baseline, not a per-library one", c.Lib.Name, c.Scenario)
	}
	bare := Bare()
	bare.Name = BaselineName(c.Lib.Name)
	b := &Case{Lib: bare, Scenario: c.Scenario, Handler: App(bare), base: c.base.Clone(c.base.Context()), body: c.body}
	for range 2 { // the prepared request must be repeatable too
		rec := b.Serve()
		switch {
		case rec.Code != http.StatusOK:
			return nil, fmt.Errorf("%s: %s answered %d, want 200", bare.Name, c.Scenario, rec.Code)
		case c.Scenario == ValidPOST && rec.Body.String() != wantPostOK:
			return nil, fmt.Errorf("%s: valid POST answered %q, want %q", bare.Name, rec.Body.String(), wantPostOK)
		}
		if len(rec.Result().Cookies()) != 0 {
			return nil, fmt.Errorf("%s: the bare app set a cookie", bare.Name)
		}
	}
	return b, nil
}

// flip returns tok with its first character changed (still base64-ish).
func flip(tok string) string {
	b := []byte(tok)
	if b[0] == 'A' {
		b[0] = 'B'
	} else {
		b[0] = 'A'
	}
	return string(b)
}
