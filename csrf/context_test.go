package csrf

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// tokenRE matches a rendered token (86 base64url characters).
var tokenRE = regexp.MustCompile(`[A-Za-z0-9_-]{86}`)

// accessor is one page helper in its two forms: from the request and
// from the request's context.
type accessor struct {
	name        string
	fromRequest func(*http.Request) string
	fromContext func(context.Context) string
	perForm     bool // the token is bound to POST /delete
}

// hxValue is the value of the hx-headers attribute HXHeaders renders.
func hxValue(r *http.Request) string {
	attr := string(HXHeaders(r))
	v, _, _ := strings.Cut(strings.TrimPrefix(attr, "hx-headers='"), "'")
	return v
}

var accessors = []accessor{
	{"Token", Token, TokenFromContext, false},
	{"FormToken",
		func(r *http.Request) string { return FormToken(r, "POST", "/delete") },
		func(ctx context.Context) string { return FormTokenFromContext(ctx, "POST", "/delete") }, true},
	{"TemplateField",
		func(r *http.Request) string { return string(TemplateField(r)) },
		func(ctx context.Context) string { return string(FieldFromContext(ctx)) }, false},
	{"FormField",
		func(r *http.Request) string { return string(FormField(r, "POST", "/delete")) },
		func(ctx context.Context) string { return string(FormFieldFromContext(ctx, "POST", "/delete")) }, true},
	{"MetaTag",
		func(r *http.Request) string { return string(MetaTag(r)) },
		func(ctx context.Context) string { return string(MetaTagFromContext(ctx)) }, false},
	{"HXHeaders value", hxValue, HXHeadersValueFromContext, false},
}

type otherKey struct{}

// Each context accessor renders what its request version renders (the
// same markup around a different, equally valid token), from the
// request's context or any context derived from it, and a per-form token
// from a context is bound to its form like one from the request.
func TestContextAccessorsAgreeWithRequestVersions(t *testing.T) {
	hs := newHarness(t, Config{PerFormTokens: true})
	type rendered struct{ fromRequest, fromContext string }
	got := map[string]rendered{}
	page := hs.p.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := context.WithValue(r.Context(), otherKey{}, "component")
		for _, a := range accessors {
			got[a.name] = rendered{a.fromRequest(r), a.fromContext(ctx)}
		}
	}))
	w := httptest.NewRecorder()
	page.ServeHTTP(w, newRequest("GET", "http://example.com/", nil))
	cs := w.Result().Cookies()
	if len(cs) != 1 {
		t.Fatalf("cookies %v", cs)
	}
	cookie := cs[0].Name + "=" + cs[0].Value

	post := func(t *testing.T, path, token string) *httptest.ResponseRecorder {
		t.Helper()
		r := buildRequest(t, hs.p, "POST", "http://example.com"+path, "header", token)
		r.Header.Set("Cookie", cookie)
		r.Header.Set("Origin", "http://example.com")
		return hs.do(r)
	}
	for _, a := range accessors {
		t.Run(a.name, func(t *testing.T) {
			g := got[a.name]
			reqTok, ctxTok := tokenRE.FindString(g.fromRequest), tokenRE.FindString(g.fromContext)
			if reqTok == "" || ctxTok == "" || reqTok == ctxTok {
				t.Fatalf("tokens %q and %q: want two different tokens", g.fromRequest, g.fromContext)
			}
			if shape := strings.Replace(g.fromContext, ctxTok, reqTok, 1); shape != g.fromRequest {
				t.Fatalf("from the context %q, from the request %q", g.fromContext, g.fromRequest)
			}
			for _, tok := range []string{reqTok, ctxTok} {
				hs.expect(t, post(t, "/delete", tok), nil)
				if a.perForm {
					hs.expect(t, post(t, "/items", tok), ErrTokenMismatch)
				}
			}
		})
	}
}

// Outside a Full-mode Protector every context accessor renders nothing.
func TestContextAccessorsOutsideAProtector(t *testing.T) {
	check := func(t *testing.T, ctx context.Context) {
		t.Helper()
		for _, a := range accessors {
			if s := a.fromContext(ctx); s != "" {
				t.Errorf("%s rendered %q", a.name, s)
			}
		}
	}
	t.Run("background", func(t *testing.T) { check(t, context.Background()) })
	t.Run("plain request", func(t *testing.T) { check(t, httptest.NewRequest("GET", "/", nil).Context()) })
	t.Run("tokenless", func(t *testing.T) {
		p := mustNew(t, Config{Mode: Tokenless})
		serve(p, func(w http.ResponseWriter, r *http.Request) { check(t, r.Context()) },
			newRequest("GET", "http://example.com/", nil))
	})
}

// A token rendered from the context makes the response what a token
// rendered from the request makes it: private, Vary: Cookie, and the csrf
// cookie for a client that has none, whatever caching the handler asked.
func TestContextAccessorsMarkTheResponse(t *testing.T) {
	p := mustNew(t, Config{})
	for _, a := range accessors {
		t.Run(a.name, func(t *testing.T) {
			w := serve(p, func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Cache-Control", "public, max-age=600")
				w.Write([]byte("<!doctype html>" + a.fromContext(r.Context())))
			}, newRequest("GET", "http://example.com/", nil))
			cc := strings.Join(w.Header().Values("Cache-Control"), ", ")
			if !hasDirective(cc, "private") || hasDirective(cc, "public") {
				t.Errorf("Cache-Control %q", cc)
			}
			if !slices.Contains(w.Header().Values("Vary"), "Cookie") {
				t.Errorf("Vary %q", w.Header().Values("Vary"))
			}
			if cs := w.Result().Cookies(); len(cs) != 1 || cs[0].Name != "csrf" {
				t.Errorf("cookies %v, want the csrf cookie", cs)
			}
		})
	}
}

// HXHeaders writes one JSON object twice: as hx-headers, which htmx 2
// inherits, and as hx-headers:inherited, which htmx 4 does.
func TestHXHeadersServesBothMajors(t *testing.T) {
	p := mustNew(t, Config{HeaderName: "X-Token"})
	serve(p, func(w http.ResponseWriter, r *http.Request) {
		attr := string(HXHeaders(r))
		m := regexp.MustCompile(`^hx-headers='([^']*)' hx-headers:inherited='([^']*)'$`).FindStringSubmatch(attr)
		if m == nil || m[1] != m[2] {
			t.Fatalf("HXHeaders %q", attr)
		}
		var h map[string]string
		if err := json.Unmarshal([]byte(m[1]), &h); err != nil || len(h) != 1 || len(h["X-Token"]) != tokenLen {
			t.Fatalf("hx-headers value %q: %v", m[1], err)
		}
	}, newRequest("GET", "http://example.com/", nil))
}
