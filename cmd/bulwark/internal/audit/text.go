package audit

import (
	"fmt"
	"io"
	"strings"
	"unicode"
)

// WriteText prints the report for a terminal (the site's own text is
// printed with its control characters replaced (Printable), so that a page cannot
// move the cursor or recolour the terminal): a summary, each finding
// with its severity and evidence, then the audit's own notes.
func WriteText(w io.Writer, r *Report) {
	w = sanitizingWriter{w}
	mode := "passive checks only (add -active to forge requests)"
	if r.Active {
		mode = "active checks on"
	}
	session := "anonymous"
	if r.SignedIn {
		session = "signed in"
	}
	fmt.Fprintf(w, "bulwark audit %s\n%s, %s; %d pages read\n\n", r.Target, mode, session, len(r.Pages))
	if len(r.Findings) == 0 {
		fmt.Fprintf(w, "No findings.\n")
	}
	for _, f := range r.Findings {
		writeFinding(w, f)
	}
	fmt.Fprintf(w, "Summary: %d high, %d medium, %d low, %d info", r.Count(High), r.Count(Medium), r.Count(Low), r.Count(Info))
	if len(r.Protected) > 0 {
		fmt.Fprintf(w, "; %d more targets checked and protected", len(r.Protected))
	}
	fmt.Fprintln(w, ".")
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

// Printable replaces control characters (ANSI escapes among them) with
// U+FFFD.
func Printable(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsControl(r) && r != '\n' {
			return '\uFFFD'
		}
		return r
	}, s)
}

// sanitizingWriter passes text through Printable.
type sanitizingWriter struct{ w io.Writer }

func (s sanitizingWriter) Write(p []byte) (int, error) {
	if _, err := io.WriteString(s.w, Printable(string(p))); err != nil {
		return 0, err
	}
	return len(p), nil
}
