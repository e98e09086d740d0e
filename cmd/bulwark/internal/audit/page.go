package audit

import (
	"bytes"
	"cmp"
	"net/url"
	"slices"
	"strings"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// page is what the audit reads off one HTML page.
type page struct {
	URL   *url.URL
	Title string
	Links []link
	Forms []*form
	// TokenMeta: a <meta> tag carries a CSRF token for scripts to send.
	TokenMeta bool
	// Text is the page's visible text, one line per block, for comparing
	// the page before and after a forged request.
	Text []string
}

// link is an <a href> or <area href>.
type link struct {
	URL  *url.URL
	Text string
}

// form is a <form> and its fields.
type form struct {
	Method string // GET or POST
	Action *url.URL
	// Enctype is the form's encoding, lower case.
	Enctype string
	Fields  []field
	// Label is the text of its buttons (and its id and class), for
	// telling what it does.
	Label string
	// HTMX: it is sent by htmx (hx-post), not by the browser's own form
	// submission.
	HTMX bool
	// within is the form an htmx element sits in, whose fields it sends.
	within *form
}

// field is one named control of a form.
type field struct {
	Name, Type, Value string
	// Checked is for checkboxes and radios.
	Checked bool
	// Submit: a named submit button, sent only when it is the one clicked.
	Submit bool
}

// Bounds on what is read from one page, so that a hostile page costs
// time and memory in proportion to these, not to its size.
const (
	maxFields = 200  // fields of one form
	maxLinks  = 2000 // links of one page
	maxForms  = 200  // forms of one page
	maxLines  = 5000 // text lines of one page
	maxText   = 300  // bytes of one label, link text or text line
)

// appendCapped appends " "+t to s up to maxText bytes.
func appendCapped(s, t string) string {
	if len(s) >= maxText {
		return s
	}
	s += " " + t
	return s[:min(len(s), maxText)]
}

// parsePage reads links, forms and text from an HTML document at base.
// It never fails: what it cannot read it leaves out.
func parsePage(base *url.URL, body []byte) *page {
	p := &page{URL: base}
	z := html.NewTokenizer(bytes.NewReader(body))
	var (
		cur      *form
		curLink  = -1 // index in p.Links of the <a> being read
		text     strings.Builder
		skipText int // inside <script>, <style>, <template>
		inTitle  bool
		select_  *field
		textarea *field
	)
	flush := func() {
		if line := strings.Join(strings.Fields(text.String()), " "); line != "" && len(p.Text) < maxLines {
			p.Text = append(p.Text, line)
		}
		text.Reset()
	}
	for {
		tt := z.Next()
		switch tt {
		case html.ErrorToken:
			flush()
			for _, f := range p.Forms {
				if f.within != nil {
					f.Fields = slices.Clone(f.within.Fields)
				}
			}
			return p
		case html.TextToken:
			t := string(z.Text())
			switch {
			case skipText > 0:
			case inTitle:
				p.Title = strings.TrimSpace(appendCapped(p.Title, t))
			case textarea != nil:
				if len(textarea.Value) < maxText {
					textarea.Value += t[:min(len(t), maxText)]
				}
			default:
				if text.Len() < maxText {
					text.WriteString(t[:min(len(t), maxText)])
					text.WriteByte(' ')
				}
				if curLink >= 0 {
					p.Links[curLink].Text = appendCapped(p.Links[curLink].Text, t)
				}
				if cur != nil {
					cur.Label = appendCapped(cur.Label, t)
				}
			}
		case html.StartTagToken, html.SelfClosingTagToken:
			tok := z.Token()
			a := attrs(tok)
			if isTokenName(a["hx-headers"]) || strings.Contains(strings.ToLower(a["hx-headers"]), "csrf") {
				p.TokenMeta = true // htmx sends a token header
			}
			if hx, ok := a["hx-post"]; ok && tok.DataAtom != atom.Form && len(p.Forms) < maxForms {
				// An htmx element that POSTs: a form without fields of its own.
				if u := resolve(base, cmp.Or(strings.TrimSpace(hx), p.URL.String())); u != nil {
					// Inside a form, htmx sends that form's fields too.
					p.Forms = append(p.Forms, &form{Method: "POST", Action: u, Label: appendCapped("", a["id"]+" "+a["class"]), HTMX: true, within: cur})
				}
			}
			switch tok.DataAtom {
			case atom.Script, atom.Style, atom.Template, atom.Noscript:
				if tt == html.StartTagToken {
					skipText++
				}
			case atom.Title:
				inTitle = tt == html.StartTagToken
			case atom.Base:
				if u, err := base.Parse(a["href"]); err == nil && a["href"] != "" && p.Links == nil && p.Forms == nil {
					base = u
				}
			case atom.Meta:
				if isTokenName(a["name"]) {
					p.TokenMeta = true
				}
			case atom.A, atom.Area:
				if u := resolve(base, a["href"]); u != nil && len(p.Links) < maxLinks {
					p.Links = append(p.Links, link{URL: u})
					if tok.DataAtom == atom.A && tt == html.StartTagToken {
						curLink = len(p.Links) - 1
					}
				}
			case atom.Form:
				flush()
				if len(p.Forms) < maxForms {
					cur = newForm(base, p.URL, a)
					p.Forms = append(p.Forms, cur)
				}
			case atom.Input:
				if cur != nil {
					cur.addInput(a)
				}
			case atom.Button:
				if cur != nil {
					cur.Label = appendCapped(cur.Label, a["id"]+" "+a["value"])
					if a["name"] != "" && (a["type"] == "" || strings.EqualFold(a["type"], "submit")) {
						cur.add(field{Name: a["name"], Type: "submit", Value: a["value"], Submit: true})
					}
				}
			case atom.Textarea:
				if cur != nil && tt == html.StartTagToken && cur.add(field{Name: a["name"], Type: "textarea"}) {
					textarea = &cur.Fields[len(cur.Fields)-1]
				}
			case atom.Select:
				if cur != nil && tt == html.StartTagToken && cur.add(field{Name: a["name"], Type: "select"}) {
					select_ = &cur.Fields[len(cur.Fields)-1]
				}
			case atom.Option:
				if select_ != nil {
					_, sel := a["selected"]
					if v, ok := a["value"]; ok && (select_.Type == "select" || sel) {
						select_.Value, select_.Type = v, "select-chosen"
					}
				}
			default:
				if isBlock(tok.DataAtom) {
					flush()
				}
			}
		case html.EndTagToken:
			tok := z.Token()
			switch tok.DataAtom {
			case atom.Script, atom.Style, atom.Template, atom.Noscript:
				skipText = max(0, skipText-1)
			case atom.Title:
				inTitle = false
			case atom.A:
				curLink = -1
			case atom.Form:
				cur, select_, textarea = nil, nil, nil
				flush()
			case atom.Textarea:
				textarea = nil
			case atom.Select:
				select_ = nil
			default:
				if isBlock(tok.DataAtom) {
					flush()
				}
			}
		}
	}
}

func attrs(t html.Token) map[string]string {
	m := make(map[string]string, len(t.Attr))
	for _, a := range t.Attr {
		if _, dup := m[a.Key]; !dup {
			m[a.Key] = a.Val
		}
	}
	return m
}

// resolve parses href against base; nil for empty, javascript: and
// other non-HTTP links. The fragment is dropped.
func resolve(base *url.URL, href string) *url.URL {
	href = strings.TrimSpace(href)
	if href == "" || strings.HasPrefix(href, "#") {
		return nil
	}
	u, err := base.Parse(href)
	if err == nil && u.Host == "" && strings.EqualFold(u.Scheme, base.Scheme) {
		// "http:foo" on an http page is relative to it, as browsers read it.
		u, err = base.Parse(strings.TrimLeft(href[len(u.Scheme)+1:], "/"))
	}
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil
	}
	u.Fragment, u.RawFragment = "", ""
	return u
}

// newForm reads a <form> tag. A form without an action submits to the
// document's own URL (not <base href>'s).
func newForm(base, doc *url.URL, a map[string]string) *form {
	f := &form{Method: "GET", Enctype: strings.ToLower(strings.TrimSpace(a["enctype"]))}
	if strings.EqualFold(strings.TrimSpace(a["method"]), "post") {
		f.Method = "POST"
	}
	f.Action = resolve(doc, doc.String())
	if act, ok := a["action"]; ok && strings.TrimSpace(act) != "" {
		f.Action = resolve(base, act)
	}
	if hx, ok := a["hx-post"]; ok {
		// htmx submits the form's fields, urlencoded, by POST to hx-post.
		f.Method, f.HTMX = "POST", true
		if strings.TrimSpace(hx) != "" {
			f.Action = resolve(base, hx)
		}
	}
	f.Label = appendCapped("", a["id"]+" "+a["class"]+" "+a["name"])
	return f
}

// add appends a named field; it reports whether it did.
func (f *form) add(fd field) bool {
	if fd.Name == "" || len(f.Fields) >= maxFields {
		return false
	}
	f.Fields = append(f.Fields, fd)
	return true
}

func (f *form) addInput(a map[string]string) {
	typ := strings.ToLower(strings.TrimSpace(a["type"]))
	if typ == "" {
		typ = "text"
	}
	_, checked := a["checked"]
	switch typ {
	case "submit", "image":
		f.Label = appendCapped(f.Label, a["value"])
		f.add(field{Name: a["name"], Type: "submit", Value: a["value"], Submit: true})
	case "button", "reset":
	default:
		f.add(field{Name: a["name"], Type: typ, Value: a["value"], Checked: checked})
	}
}

// field returns the form's field of that name, or nil.
func (f *form) field(name string) *field {
	for i := range f.Fields {
		if f.Fields[i].Name == name {
			return &f.Fields[i]
		}
	}
	return nil
}

// has reports whether the form has a field of type typ.
func (f *form) has(typ string) bool {
	for _, fd := range f.Fields {
		if fd.Type == typ {
			return true
		}
	}
	return false
}

func isBlock(a atom.Atom) bool {
	switch a {
	case atom.P, atom.Div, atom.Li, atom.Ul, atom.Ol, atom.Tr, atom.Td, atom.Th, atom.Table,
		atom.H1, atom.H2, atom.H3, atom.H4, atom.H5, atom.H6, atom.Br, atom.Section, atom.Article,
		atom.Header, atom.Footer, atom.Nav, atom.Main, atom.Pre, atom.Dd, atom.Dt, atom.Label, atom.Span:
		return true
	}
	return false
}
