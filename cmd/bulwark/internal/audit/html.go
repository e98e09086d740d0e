package audit

import (
	"bytes"
	_ "embed"
	"errors"
	"fmt"
	"html/template"
	"io"
)

//go:embed report.html
var reportHTML string

// htmlTemplate renders the report. Every value in a Report comes from the
// audited site or describes it, so all of it goes through html/template's
// contextual escaping: nothing is ever marked template.HTML.
var htmlTemplate = template.Must(template.New("report").Funcs(template.FuncMap{
	"verdictClass": verdictClass,
	"plural":       plural,
}).Parse(reportHTML))

// htmlSeverities is the order of the summary's badges, highest first.
var htmlSeverities = [...]Severity{High, Medium, Low, Info}

// htmlCount is one badge of the summary.
type htmlCount struct {
	Severity Severity
	N        int
}

// htmlVerdict is one entry of the verdict legend.
type htmlVerdict struct {
	Verdict Verdict
	Meaning string
}

// htmlLegend explains the verdicts of the active checks.
var htmlLegend = []htmlVerdict{
	{Vulnerable, "a forged cross-site request changed state on the server."},
	{SameSiteOnly, "the forgery would have worked, but the session cookie's SameSite attribute kept the browser from attaching it."},
	{Unconfirmed, "the server took a forged request, but the audit saw no effect: check it by hand."},
	{Protected, "the server refused every forged request (for a GET: none changed anything the audit could see)."},
}

// htmlView is what the template sees: the report and what is derived from it.
type htmlView struct {
	*Report
	Counts []htmlCount
	Legend []htmlVerdict
}

// WriteHTML writes r to w as one self-contained HTML page: inline CSS, no
// script and no external resource. Nothing is written if rendering fails.
func WriteHTML(w io.Writer, r *Report) error {
	if r == nil {
		return errors.New("audit: WriteHTML: nil report")
	}
	var buf bytes.Buffer
	if err := htmlTemplate.Execute(&buf, newHTMLView(r)); err != nil {
		return err
	}
	_, err := buf.WriteTo(w)
	return err
}

func newHTMLView(r *Report) htmlView {
	v := htmlView{Report: r, Legend: htmlLegend}
	for _, s := range htmlSeverities {
		v.Counts = append(v.Counts, htmlCount{s, r.Count(s)})
	}
	return v
}

// verdictClass is the CSS class that colours a verdict.
func verdictClass(v Verdict) string {
	switch v {
	case Vulnerable:
		return "v-vulnerable"
	case SameSiteOnly:
		return "v-samesite"
	case Unconfirmed:
		return "v-unconfirmed"
	case Protected:
		return "v-protected"
	}
	return "v-other"
}

// plural is "1 page" or "n pages".
func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}
