package audit

import (
	"bytes"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// checkURL says what is wrong with a link or action URL the page gave,
// or "": it must be an absolute http or https URL without a fragment.
// (It may lack a host: TestUnitParsePageHostlessLinks.)
func checkURL(u *url.URL) string {
	switch {
	case u.Scheme != "http" && u.Scheme != "https":
		return "scheme " + u.Scheme
	case u.Fragment != "" || u.RawFragment != "" || strings.Contains(u.String(), "#"):
		return "a fragment"
	}
	return ""
}

func FuzzParsePage(f *testing.F) {
	for _, s := range []string{
		`<a href="/x#y">x</a><a href="javascript:alert(1)">j</a><a href="//h/z">z</a>`,
		`<form method=post action="/save"><input type=hidden name=csrf_token value=abc><textarea name=b>t</textarea><select name=s><option value=1 selected></select><button name=go>Go</button></form>`,
		`<form><form action="/inner"><input name=a></form><input name=b></form>`,
		`<a href="/x"<form action=</a><input name="unterminated`,
		`<base href="/b/"><a href="c">c</a><area href="../d">`,
		`<a href="/` + strings.Repeat("A", 4096) + `">long</a>`,
		`<script><a href="/no"></script><style><form></style><title><a href=/t></title>`,
		`<a href="/a"><area href="/b">Log out</a><select><input name=x><option value=v>`,
	} {
		f.Add([]byte(s))
	}
	base := &url.URL{Scheme: "http", Host: "example.com", Path: "/dir/page", RawQuery: "q=1"}
	f.Fuzz(func(t *testing.T, data []byte) {
		p := parsePage(base, data)
		for _, l := range p.Links {
			if l.URL == nil {
				t.Fatal("a link without a URL")
			}
			if why := checkURL(l.URL); why != "" {
				t.Errorf("link %q: %s", l.URL, why)
			}
		}
		// Known engine bug (TestUnitParsePageBaseFormWithoutAction): a form
		// without an action gets the <base> URL, which may be anything.
		hasBase := bytes.Contains(bytes.ToLower(data), []byte("<base"))
		for i, fm := range p.Forms {
			if len(fm.Fields) > maxFields {
				t.Errorf("form %d has %d fields, more than %d", i, len(fm.Fields), maxFields)
			}
			for _, fd := range fm.Fields {
				if fd.Name == "" {
					t.Errorf("form %d has a field without a name: %+v", i, fd)
				}
			}
			if fm.Method != "GET" && fm.Method != "POST" {
				t.Errorf("form %d method %q", i, fm.Method)
			}
			if fm.Action == nil || hasBase {
				continue
			}
			if why := checkURL(fm.Action); why != "" {
				t.Errorf("form %d action %q: %s", i, fm.Action, why)
			}
		}
	})
}

func FuzzJarUpdate(f *testing.F) {
	for _, s := range []struct{ lines, from, to string }{
		{"s=1; Path=/; HttpOnly; SameSite=Lax", "/", "/x"},
		{"a=1; Path=/admin\nb=2; Path=relative\nc=3", "/app/page", "/app"},
		{"s=; Max-Age=0\ns=2; Expires=Thu, 01 Jan 1970 00:00:00 GMT", "/", "/"},
		{"x=1; Secure; SameSite=None; Path=/docs/", "/docs/a", "/docsweb"},
		{"=; ;;==; Path=", "", ""},
	} {
		f.Add(s.lines, s.from, s.to)
	}
	f.Fuzz(func(t *testing.T, lines, from, to string) {
		j := newJar()
		if !strings.HasPrefix(from, "/") {
			from = "/" + from // as the path of every URL the audit fetches
		}
		src := &url.URL{Scheme: "http", Host: "example.com", Path: from}
		j.update(src, http.Header{"Set-Cookie": strings.Split(lines, "\n")})
		for _, c := range j.cookies {
			if !strings.HasPrefix(c.Path, "/") {
				t.Errorf("cookie %q kept path %q", c.Name, c.Path)
			}
			if c.MaxAge < 0 {
				t.Errorf("cookie %q kept with Max-Age %d", c.Name, c.MaxAge)
			}
		}
		for _, scheme := range []string{"http", "https"} {
			dst := &url.URL{Scheme: scheme, Host: "example.com", Path: to}
			for _, sc := range []sendContext{sameOriginNav, crossSiteImage, crossSiteLink, crossSitePOST, forced} {
				send, withheld := j.forRequest(dst, sc)
				if len(send)+len(withheld) > len(j.cookies) {
					t.Errorf("%d sent and %d withheld of %d cookies", len(send), len(withheld), len(j.cookies))
				}
				for _, c := range send {
					if !pathMatch(to, c.Path) {
						t.Errorf("cookie %q of path %q sent to %q", c.Name, c.Path, to)
					}
					if c.Secure && scheme == "http" {
						t.Errorf("Secure cookie %q sent over http to example.com", c.Name)
					}
					if sc != sameOriginNav && sc != forced && c.SameSite == http.SameSiteStrictMode {
						t.Errorf("Strict cookie %q sent in context %d", c.Name, sc)
					}
				}
			}
		}
	})
}
