package audit

import (
	"fmt"
	"io"
	"strings"
	"unicode"
)

// WriteText prints the report for a terminal (every text from the site
// through Printable, so that a page can neither move the cursor, recolour
// the terminal nor print a line of its own): a summary, each finding
// with its severity and evidence, then the audit's own notes.
func WriteText(w io.Writer, r *Report) {
	r = printableCopy(r)
	mode := "passive checks only (add -active to forge requests)"
	if r.Active {
		mode = "active checks on"
	}
	session := "anonymous"
	if r.SignedIn {
		session = "signed in"
	}
	fmt.Fprintf(w, "bulwark audit %s\n%s, %s; %d pages read, %d requests sent\n", r.Target, mode, session, len(r.Pages), r.Requests)
	if !r.Complete {
		fmt.Fprintf(w, "INCOMPLETE: the audit stopped before it checked everything (see the notes below)\n")
	}
	fmt.Fprintln(w)
	if len(r.Findings) == 0 {
		fmt.Fprintf(w, "No findings.\n")
	}
	for _, f := range r.Findings {
		writeFinding(w, f)
	}
	fmt.Fprintf(w, "Summary: %d high, %d medium, %d low, %d info", r.Count(High), r.Count(Medium), r.Count(Low), r.Count(Info))
	fmt.Fprintln(w, ".")
	for _, f := range r.Protected {
		fmt.Fprintf(w, "protected: %s %s (%s)\n", f.Method, f.URL, countOf(len(f.Evidence), "forged request"))
	}
	for _, s := range r.Skipped {
		fmt.Fprintf(w, "skipped %s: %s\n", s.URL, s.Reason)
	}
	for _, n := range r.Notes {
		fmt.Fprintf(w, "note: %s\n", n)
	}
}

func writeFinding(w io.Writer, f Finding) {
	target := strings.TrimSpace(f.Method + " " + f.URL)
	fmt.Fprintf(w, "%-6s  %s\n        %s\n", strings.ToUpper(f.Severity.String()), f.Title, target)
	if f.Verdict != "" {
		fmt.Fprintf(w, "        verdict: %s\n", f.Verdict)
	}
	if f.Detail != "" {
		fmt.Fprintf(w, "        %s\n", f.Detail)
	}
	if f.Page != "" && f.Page != f.URL {
		fmt.Fprintf(w, "        seen on %s\n", f.Page)
	}
	for _, at := range f.Evidence {
		fmt.Fprintf(w, "        - %s\n", attemptLine(at))
	}
	fmt.Fprintln(w)
}

// attemptLine is one forged request in a line: what was sent, the
// answer, what changed.
func attemptLine(at Attempt) string {
	cookies := "no cookies"
	if len(at.Cookies) > 0 {
		cookies = "cookies " + strings.Join(at.Cookies, ", ")
	}
	if len(at.Withheld) > 0 {
		cookies += "; withheld " + strings.Join(at.Withheld, ", ")
	}
	answer := fmt.Sprintf("answered %d", at.Status)
	switch {
	case at.Err != "":
		answer = "error: " + at.Err
	case !at.Accepted:
		answer += " (refused)"
	}
	changed := "nothing changed"
	if at.Changed != "" {
		changed = at.Changed
	}
	return fmt.Sprintf("%s [%s]: %s → %s", at.Name, cookies, answer, changed)
}

// Printable replaces control and format characters (ANSI escapes,
// newlines, bidirectional overrides) with U+FFFD, so that text from a
// site prints as one plain line.
func Printable(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) || r == '\u2028' || r == '\u2029' {
			return '\uFFFD'
		}
		return r
	}, s)
}

// printableCopy returns r with every string in it made Printable.
func printableCopy(r *Report) *Report {
	c := *r
	c.Target = Printable(r.Target)
	c.Pages = printables(r.Pages)
	c.Notes = printables(r.Notes)
	c.Skipped = nil
	for _, s := range r.Skipped {
		c.Skipped = append(c.Skipped, Skip{URL: Printable(s.URL), Reason: Printable(s.Reason)})
	}
	c.Findings = printableFindings(r.Findings)
	c.Protected = printableFindings(r.Protected)
	return &c
}

func printableFindings(fs []Finding) []Finding {
	out := make([]Finding, 0, len(fs))
	for _, f := range fs {
		f.Kind, f.Method, f.URL, f.Page = Printable(f.Kind), Printable(f.Method), Printable(f.URL), Printable(f.Page)
		f.Title, f.Detail = Printable(f.Title), Printable(f.Detail)
		ev := make([]Attempt, 0, len(f.Evidence))
		for _, at := range f.Evidence {
			at.Name, at.URL, at.Body, at.Changed, at.Err = Printable(at.Name), Printable(at.URL), Printable(at.Body), Printable(at.Changed), Printable(at.Err)
			at.Cookies, at.Withheld = printables(at.Cookies), printables(at.Withheld)
			ev = append(ev, at)
		}
		f.Evidence = ev
		out = append(out, f)
	}
	return out
}

func printables(ss []string) []string {
	out := make([]string, 0, len(ss))
	for _, s := range ss {
		out = append(out, Printable(s))
	}
	return out
}

// countOf is "1 thing" or "n things".
func countOf(n int, thing string) string {
	if n == 1 {
		return "1 " + thing
	}
	return fmt.Sprintf("%d %ss", n, thing)
}
