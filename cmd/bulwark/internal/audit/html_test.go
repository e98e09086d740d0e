package audit

import (
	"bytes"
	"slices"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/net/html"
)

const xss = `<script>alert(1)</script>`

// sampleReport has a finding of every severity and verdict, with evidence,
// protected entries, notes and skips. Some of its text is hostile, as a
// target's text can be.
func sampleReport() *Report {
	return &Report{Complete: true,
		Target:   "http://shop.test/",
		Active:   true,
		SignedIn: true,
		Pages:    []string{"http://shop.test/", "http://shop.test/account", "http://shop.test/?q=" + xss},
		Skipped:  []Skip{{URL: "http://shop.test/logout", Reason: "would end the session"}},
		Findings: []Finding{
			{
				Severity: High, Kind: KindForgeableForm, Method: "POST", URL: "http://shop.test/account/email",
				Title: "Email change accepts forged requests", Detail: "Add a CSRF token.",
				Verdict: Vulnerable, Page: "http://shop.test/account",
				Evidence: []Attempt{{
					Name: "cross-site form, no token", Method: "POST", URL: "http://shop.test/account/email",
					Headers: map[string]string{"Origin": "http://evil.test", "Sec-Fetch-Site": "cross-site"},
					Cookies: []string{"sessionid"}, Body: "email=evil%40evil.test",
					Status: 302, Accepted: true, Changed: "email changed to evil@evil.test",
				}},
			},
			{
				Severity: Medium, Kind: KindStateChangingGET, Method: "GET", URL: "http://shop.test/cart/clear",
				Title: "GET link empties the cart", Verdict: SameSiteOnly, Page: "http://shop.test/",
				Evidence: []Attempt{
					{
						Name: "cross-site link", Method: "GET", URL: "http://shop.test/cart/clear",
						Withheld: []string{"sessionid: SameSite=Lax"}, Status: 302,
					},
					{
						Name: "cross-site link, every cookie", Method: "GET", URL: "http://shop.test/cart/clear",
						Cookies: []string{"sessionid", "csrftoken"}, Forced: true,
						Status: 200, Accepted: true, Changed: "cart emptied (3 items removed)",
					},
				},
			},
			{
				Severity: Low, Kind: KindCookie, URL: "http://shop.test/",
				Title: "sessionid lacks Secure", Detail: "Set Secure on the session cookie.",
			},
			{
				Severity: Info, Kind: KindTokenlessForm, Method: "POST", URL: "http://shop.test/search",
				Title: xss, Verdict: Protected, Page: "http://shop.test/?q=" + xss,
				Detail: `the page said <img src=x onerror=alert(1)>`,
				Evidence: []Attempt{{
					Name: "cross-site form " + xss, Method: "POST", URL: "javascript:alert(1)",
					Headers: map[string]string{"Origin": `"><script>alert(2)</script>`},
					Body:    "q=" + xss, Err: "connection reset by <b>peer</b>",
				}},
			},
		},
		Protected: []Finding{{
			Severity: Info, Kind: KindForgeableForm, Method: "POST", URL: "http://shop.test/account/password",
			Title: "Password change refuses forged requests", Verdict: Protected,
			Evidence: []Attempt{{
				Name: "cross-site form, no token", Method: "POST", URL: "http://shop.test/account/password",
				Cookies: []string{"sessionid"}, Status: 403,
			}},
		}},
		Notes: []string{"stopped after 200 pages", "note " + xss},
	}
}

// render writes r as HTML and parses it back.
func render(t *testing.T, r *Report) (string, *html.Node) {
	t.Helper()
	var buf bytes.Buffer
	if err := WriteHTML(&buf, r); err != nil {
		t.Fatalf("WriteHTML: %v", err)
	}
	doc, err := html.Parse(bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatalf("parsing the report: %v", err)
	}
	return buf.String(), doc
}

// elements returns the element nodes under n for which keep is true.
func elements(n *html.Node, keep func(*html.Node) bool) []*html.Node {
	var out []*html.Node
	for d := range n.Descendants() {
		if d.Type == html.ElementNode && keep(d) {
			out = append(out, d)
		}
	}
	return out
}

func attr(n *html.Node, key string) (string, bool) {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val, true
		}
	}
	return "", false
}

func hasClass(n *html.Node, class string) bool {
	v, _ := attr(n, "class")
	return slices.Contains(strings.Fields(v), class)
}

// byID returns the element with the given id, failing the test without one.
func byID(t *testing.T, doc *html.Node, id string) *html.Node {
	t.Helper()
	found := elements(doc, func(n *html.Node) bool { v, _ := attr(n, "id"); return v == id })
	if len(found) != 1 {
		t.Fatalf("%d elements with id %q, want 1", len(found), id)
	}
	return found[0]
}

// byClass returns the elements under n with the given tag and class.
func byClass(n *html.Node, tag, class string) []*html.Node {
	return elements(n, func(e *html.Node) bool { return e.Data == tag && hasClass(e, class) })
}

// text is n's text content.
func text(n *html.Node) string {
	var b strings.Builder
	for d := range n.Descendants() {
		if d.Type == html.TextNode {
			b.WriteString(d.Data)
		}
	}
	return b.String()
}

func texts(ns []*html.Node) []string {
	out := make([]string, len(ns))
	for i, n := range ns {
		out[i] = strings.TrimSpace(text(n))
	}
	return out
}

func TestWriteHTMLFindings(t *testing.T) {
	r := sampleReport()
	_, doc := render(t, r)
	findings := byClass(byID(t, doc, "findings"), "article", "finding")
	if len(findings) != len(r.Findings) {
		t.Fatalf("%d findings rendered, want %d", len(findings), len(r.Findings))
	}
	for i, f := range r.Findings {
		if !hasClass(findings[i], "sev-"+f.Severity.String()) {
			t.Errorf("finding %d: class %q, want sev-%s", i, findings[i].Attr, f.Severity)
		}
		got := texts(byClass(findings[i], "h3", "title"))
		if !slices.Equal(got, []string{f.Title}) {
			t.Errorf("finding %d: title %q, want %q", i, got, f.Title)
		}
		checkVerdict(t, findings[i], f.Verdict)
		checkEvidence(t, findings[i], f.Evidence)
	}
}

func checkVerdict(t *testing.T, n *html.Node, v Verdict) {
	t.Helper()
	var want []string
	if v != "" {
		want = []string{string(v)}
	}
	if got := texts(byClass(n, "td", "verdict")); !slices.Equal(got, want) {
		t.Errorf("verdict %q, want %q", got, want)
	}
}

// checkEvidence checks the status and what changed of each attempt.
func checkEvidence(t *testing.T, n *html.Node, evidence []Attempt) {
	t.Helper()
	attempts := byClass(n, "div", "attempt")
	if len(attempts) != len(evidence) {
		t.Fatalf("%d attempts rendered, want %d", len(attempts), len(evidence))
	}
	for i, a := range evidence {
		status := texts(byClass(attempts[i], "td", "status"))
		if want := statusText(a); !slices.Equal(status, []string{want}) {
			t.Errorf("attempt %q: status %q, want %q", a.Name, status, want)
		}
		body := text(attempts[i])
		changed := a.Changed
		if changed == "" {
			changed = "nothing changed"
		}
		if !strings.Contains(body, changed) {
			t.Errorf("attempt %q does not say %q:\n%s", a.Name, changed, body)
		}
		if a.Forced != strings.Contains(body, "every cookie attached") {
			t.Errorf("attempt %q: Forced is %v, text:\n%s", a.Name, a.Forced, body)
		}
	}
}

func statusText(a Attempt) string {
	if a.Status == 0 {
		return "no response"
	}
	return strconv.Itoa(a.Status)
}

func TestWriteHTMLCounts(t *testing.T) {
	r := sampleReport()
	r.Findings = append(r.Findings, r.Findings[0], r.Findings[0], r.Findings[2])
	_, doc := render(t, r)
	want := map[string]string{"high": "3", "medium": "1", "low": "2", "info": "1"}
	for sev, n := range want {
		if got := text(byID(t, doc, "count-"+sev)); got != n {
			t.Errorf("count of %s: %q, want %q", sev, got, n)
		}
	}
	if got := text(byID(t, doc, "pages-count")); got != "3" {
		t.Errorf("pages crawled: %q, want 3", got)
	}
}

func TestWriteHTMLSections(t *testing.T) {
	r := sampleReport()
	_, doc := render(t, r)
	protected := byID(t, doc, "protected")
	details := elements(protected, func(n *html.Node) bool { return n.Data == "details" && n.Parent == protected })
	if len(details) != 1 {
		t.Fatalf("%d <details> in the protected section, want 1", len(details))
	}
	if _, open := attr(details[0], "open"); open {
		t.Error("the protected section is open, want it collapsed")
	}
	if got := texts(byClass(details[0], "h3", "title")); !slices.Equal(got, []string{r.Protected[0].Title}) {
		t.Errorf("protected titles %q", got)
	}
	checkEvidence(t, details[0], r.Protected[0].Evidence)
	for id, want := range map[string][]string{
		"notes":   r.Notes,
		"skipped": {r.Skipped[0].URL, r.Skipped[0].Reason},
		"pages":   r.Pages,
	} {
		body := text(byID(t, doc, id))
		for _, w := range want {
			if !strings.Contains(body, w) {
				t.Errorf("section %s does not contain %q", id, w)
			}
		}
	}
}

// loaders are the elements that fetch or run something.
var loaders = []string{"script", "link", "img", "iframe", "frame", "object", "embed",
	"base", "video", "audio", "source", "track", "picture", "meta", "form", "input", "svg"}

func TestWriteHTMLSelfContained(t *testing.T) {
	_, doc := render(t, sampleReport())
	for _, n := range elements(doc, func(*html.Node) bool { return true }) {
		if slices.Contains(loaders, n.Data) && !isPlainMeta(n) {
			t.Errorf("the report has a <%s> element", n.Data)
		}
		for _, a := range n.Attr {
			switch {
			case a.Key == "href" && n.Data != "a",
				a.Key == "src", a.Key == "srcset", a.Key == "action", a.Key == "poster",
				a.Key == "data", a.Key == "background", strings.HasPrefix(a.Key, "on"):
				t.Errorf("<%s> has the attribute %s=%q", n.Data, a.Key, a.Val)
			case a.Key == "style" && strings.Contains(a.Val, "url("):
				t.Errorf("<%s> has the style %q", n.Data, a.Val)
			}
		}
	}
	for _, style := range elements(doc, func(n *html.Node) bool { return n.Data == "style" }) {
		css := text(style)
		if strings.Contains(css, "url(") || strings.Contains(css, "@import") {
			t.Errorf("the stylesheet loads something:\n%s", css)
		}
	}
}

// isPlainMeta: a <meta> that sets the charset or the viewport, no refresh.
func isPlainMeta(n *html.Node) bool {
	if n.Data != "meta" {
		return false
	}
	_, equiv := attr(n, "http-equiv")
	return !equiv
}

func TestWriteHTMLEscapes(t *testing.T) {
	r := sampleReport()
	r.Target = "http://shop.test/" + xss
	page, doc := render(t, r)
	if scripts := elements(doc, func(n *html.Node) bool { return n.Data == "script" }); len(scripts) != 0 {
		t.Fatalf("the report has %d <script> elements:\n%s", len(scripts), page)
	}
	if got := text(byID(t, doc, "target")); got != r.Target {
		t.Errorf("target shown as %q, want %q", got, r.Target)
	}
	titles := texts(byClass(byID(t, doc, "findings"), "h3", "title"))
	if !slices.Contains(titles, xss) {
		t.Errorf("the hostile title is not shown as text: titles %q", titles)
	}
	if strings.Contains(page, "<b>peer</b>") {
		t.Error("an attempt's error was not escaped")
	}
}

func TestWriteHTMLEmpty(t *testing.T) {
	_, doc := render(t, &Report{Target: "http://empty.test/"})
	if got := text(byID(t, doc, "findings")); !strings.Contains(got, "No findings") {
		t.Errorf("the findings section of an empty report says %q", got)
	}
	for _, s := range htmlSeverities {
		if got := text(byID(t, doc, "count-"+s.String())); got != "0" {
			t.Errorf("count of %s: %q, want 0", s, got)
		}
	}
}

func TestWriteHTMLNil(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteHTML(&buf, nil); err == nil || buf.Len() != 0 {
		t.Errorf("WriteHTML(nil) = %v, wrote %d bytes; want an error and nothing written", err, buf.Len())
	}
}

// TestHTMLIncomplete: an audit that stopped early says so at the top.
func TestHTMLIncomplete(t *testing.T) {
	for _, complete := range []bool{true, false} {
		var b strings.Builder
		if err := WriteHTML(&b, &Report{Target: "http://x.test/", Complete: complete}); err != nil {
			t.Fatal(err)
		}
		if got := strings.Contains(b.String(), "INCOMPLETE"); got == complete {
			t.Errorf("complete %v: INCOMPLETE shown %v", complete, got)
		}
	}
}
