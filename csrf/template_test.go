package csrf

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"html/template"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

// page is the template the snippet tests render: a form with csrfField, the
// meta tag read by the fetch snippet, and hx-headers for htmx.
const page = `<!doctype html>
<html><head>{{ csrfMeta .Req }}</head>
<body><main {{ csrfHxHeaders .Req }}>
<form method="post" action="/items">{{ csrfField .Req }}<input name="name" value="x"><button>Save</button></form>
<form method="post" action="/delete">{{ csrfFormField .Req "post" "/delete" }}</form>
<button hx-post="/items" hx-headers='{"X-CSRF-Token": "{{ csrfToken .Req }}"}'>htmx</button>
<script>
const token = document.querySelector('meta[name="csrf-token"]').content;
fetch("/api/items", {method: "POST", headers: {"X-CSRF-Token": token, "Content-Type": "application/json"}, body: "{}"});
</script>
</main></body></html>`

// element is a parsed start tag.
type element struct {
	name  string
	attrs map[string]string
}

// parseHTML parses the page with encoding/xml in its HTML mode (non-strict,
// HTML auto-close and entities) and returns every start tag.
func parseHTML(t *testing.T, s string) []element {
	t.Helper()
	d := xml.NewDecoder(strings.NewReader(s))
	d.Strict = false
	d.AutoClose = xml.HTMLAutoClose
	d.Entity = xml.HTMLEntity
	var out []element
	for {
		tok, err := d.Token()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatalf("parse: %v\n%s", err, s)
		}
		if se, ok := tok.(xml.StartElement); ok {
			e := element{name: se.Name.Local, attrs: map[string]string{}}
			for _, a := range se.Attr {
				name := a.Name.Local
				if a.Name.Space != "" { // hx-headers:inherited
					name = a.Name.Space + ":" + name
				}
				e.attrs[name] = a.Value
			}
			out = append(out, e)
		}
	}
}

func TestTemplateSnippets(t *testing.T) {
	tmpl := template.Must(template.New("page").Funcs(FuncMap()).Parse(page))
	hs := newHarness(t, Config{PerFormTokens: true})
	var html string
	render := hs.p.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var b bytes.Buffer
		if err := tmpl.Execute(&b, map[string]any{"Req": r}); err != nil {
			t.Fatal(err)
		}
		html = b.String()
		w.Write(b.Bytes())
	}))
	w := httptest.NewRecorder()
	render.ServeHTTP(w, newRequest("GET", "http://example.com/", nil))
	cs := w.Result().Cookies()
	if len(cs) != 1 {
		t.Fatalf("cookies %v", cs)
	}
	cookie := cs[0].Name + "=" + cs[0].Value

	var meta, field, formField, mainHx, buttonHx string
	for _, e := range parseHTML(t, html) {
		switch {
		case e.name == "meta" && e.attrs["name"] == "csrf-token":
			meta = e.attrs["content"]
		case e.name == "input" && e.attrs["type"] == "hidden" && e.attrs["name"] == "csrf_token":
			if field == "" {
				field = e.attrs["value"]
			} else {
				formField = e.attrs["value"]
			}
		case e.name == "main":
			mainHx = e.attrs["hx-headers"]
			if inh := e.attrs["hx-headers:inherited"]; inh != mainHx {
				t.Fatalf("hx-headers %q, hx-headers:inherited %q", mainHx, inh)
			}
		case e.name == "button" && e.attrs["hx-post"] != "":
			buttonHx = e.attrs["hx-headers"]
		}
	}
	headerToken := func(t *testing.T, attr string) string {
		t.Helper()
		var m map[string]string
		if err := json.Unmarshal([]byte(attr), &m); err != nil {
			t.Fatalf("hx-headers %q: %v", attr, err)
		}
		return m["X-CSRF-Token"]
	}
	toks := map[string]struct {
		token, method, path, in string
	}{
		"meta tag via fetch header":   {meta, "POST", "/api/items", "header"},
		"hidden field in form":        {field, "POST", "/items", "form"},
		"per-form field on its form":  {formField, "POST", "/delete", "form"},
		"hx-headers on main":          {headerToken(t, mainHx), "POST", "/items", "header"},
		"hx-headers written by hand":  {headerToken(t, buttonHx), "POST", "/items", "header"},
		"hx-headers with DELETE verb": {headerToken(t, mainHx), "DELETE", "/items/1", "header"},
		// fetch's body is JSON: it is never parsed; the header alone counts.
		"fetch with JSON body": {meta, "PUT", "/api/items/1", "json"},
	}
	seen := map[string]bool{}
	for _, tok := range []string{meta, field, formField, headerToken(t, mainHx), headerToken(t, buttonHx)} {
		if seen[tok] {
			t.Fatal("two renders produced the same token")
		}
		seen[tok] = true
	}
	for name, c := range toks {
		t.Run(name, func(t *testing.T) {
			if len(c.token) != tokenLen {
				t.Fatalf("token %q", c.token)
			}
			r := buildRequest(t, hs.p, c.method, "http://example.com"+c.path, c.in, c.token)
			r.Header.Set("Cookie", cookie)
			r.Header.Set("Sec-Fetch-Site", "same-origin")
			r.Header.Set("Origin", "http://example.com")
			hs.expect(t, hs.do(r), nil)
		})
	}
}

func TestTemplateHelpersWithoutProtector(t *testing.T) {
	r := httptest.NewRequest("GET", "/", nil)
	if Token(r) != "" || TemplateField(r) != "" || MetaTag(r) != "" || FormToken(r, "POST", "/") != "" || HXHeaders(r) != "" || FormField(r, "POST", "/") != "" {
		t.Fatal("helpers rendered something without a protector")
	}
	p := mustNew(t, Config{Mode: Tokenless})
	serve(p, func(w http.ResponseWriter, r *http.Request) {
		if Token(r) != "" || TemplateField(r) != "" {
			t.Error("tokenless mode rendered a token")
		}
	}, newRequest("GET", "http://example.com/", nil))
}

func TestTemplateFieldShape(t *testing.T) {
	p := mustNew(t, Config{FieldName: "authenticity_token"})
	serve(p, func(w http.ResponseWriter, r *http.Request) {
		f := string(TemplateField(r))
		if !strings.HasPrefix(f, `<input type="hidden" name="authenticity_token" value="`) || !strings.HasSuffix(f, `">`) {
			t.Errorf("field %q", f)
		}
		m := string(MetaTag(r))
		if !strings.HasPrefix(m, `<meta name="csrf-token" content="`) {
			t.Errorf("meta %q", m)
		}
		if hx := string(HXHeaders(r)); !strings.HasPrefix(hx, `hx-headers='{"X-CSRF-Token":"`) {
			t.Errorf("hx-headers %q", hx)
		}
	}, newRequest("GET", "http://example.com/", nil))
}

// A per-form token rendered with an empty (or relative) action is bound to
// the path the browser will post to — the URL the Protector saw — even
// when a handler inside it sees a rewritten path (http.StripPrefix).
func TestFormTokenResolvesAgainstProtectedURL(t *testing.T) {
	p := mustNew(t, Config{Key: testKey, PerFormTokens: true, Logger: quietLogger()})
	inner := http.NewServeMux()
	inner.HandleFunc("GET /form", func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, FormToken(r, "POST", "")+" "+FormToken(r, "POST", "save"))
	})
	inner.HandleFunc("POST /", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") })
	h := p.Handler(http.StripPrefix("/app", inner))

	w := httptest.NewRecorder()
	h.ServeHTTP(w, newRequest("GET", "http://example.com/app/form", nil))
	cookie := w.Result().Cookies()[0]
	toks := strings.Fields(w.Body.String())
	for i, path := range []string{"/app/form", "/app/save"} {
		r := newRequest("POST", "http://example.com"+path, nil)
		r.Header.Set("Cookie", cookie.Name+"="+cookie.Value)
		r.Header.Set(DefaultHeaderName, toks[i])
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code != 200 {
			t.Fatalf("POST %s with its per-form token: status %d", path, w.Code)
		}
	}
}

// A per-form token is bound to the path as ServeMux routes it, the escaped
// one: a token for POST /files/a/b (route /files/{dir}/{name}) must not be
// accepted on POST /files/a%2Fb, which ServeMux routes to another handler
// (/files/{name}), and FormToken agrees with the check on both forms.
func TestPerFormTokenBindsTheRoutedPath(t *testing.T) {
	p := mustNew(t, Config{Key: testKey, PerFormTokens: true, Logger: quietLogger()})
	mux := http.NewServeMux()
	mux.HandleFunc("GET /form", func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, FormToken(r, "POST", r.URL.Query().Get("action")))
	})
	mux.HandleFunc("POST /files/{dir}/{name}", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "file in a directory") })
	mux.HandleFunc("POST /files/{name}", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "top-level file") })
	h := p.Handler(mux)

	var cookie string
	mint := func(action string) string {
		r := newRequest("GET", "http://example.com/form?action="+url.QueryEscape(action), nil)
		if cookie != "" {
			r.Header.Set("Cookie", cookie)
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if cs := w.Result().Cookies(); len(cs) > 0 {
			cookie = cs[0].Name + "=" + cs[0].Value
		}
		return w.Body.String()
	}
	post := func(path, token string) *httptest.ResponseRecorder {
		r := newRequest("POST", "http://example.com"+path, nil)
		r.Header.Set("Cookie", cookie)
		r.Header.Set("Sec-Fetch-Site", "same-origin")
		r.Header.Set(DefaultHeaderName, token)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		return w
	}
	nested, escaped := mint("/files/a/b"), mint("/files/a%2Fb")
	for _, c := range []struct {
		path, token, want string
		code              int
	}{
		{"/files/a/b", nested, "file in a directory", 200},
		{"/files/a%2Fb", escaped, "top-level file", 200},
		{"/files/a%2Fb", nested, "", 403},
		{"/files/a/b", escaped, "", 403},
	} {
		w := post(c.path, c.token)
		if w.Code != c.code || (c.want != "" && w.Body.String() != c.want) {
			t.Errorf("POST %s: %d %q, want %d %q", c.path, w.Code, w.Body.String(), c.code, c.want)
		}
	}
}
