package audit

import (
	"context"
	"fmt"
	"net/url"
	"regexp"
	"strings"
)

// A snapshot is what a page looked like before a forged request: the lines
// two fetches agreed on (stable) and every line either showed (seen), so
// that a clock or a counter on the page is not taken for a change.
type snapshot struct {
	url    *url.URL
	stable map[string]bool
	seen   map[string]bool
}

var (
	digits    = regexp.MustCompile(`[0-9]+`)
	tokenLike = regexp.MustCompile(`[A-Za-z0-9_\-+/=.]{20,}`)
)

// normalize makes a text line comparable across renders: numbers and
// token-like strings are replaced by placeholders.
func normalize(line string) string {
	line = tokenLike.ReplaceAllString(line, "…")
	return digits.ReplaceAllString(line, "0")
}

// pageLines is the page's normalized text, plus its links' and forms'
// targets, as a set.
func pageLines(p *page) map[string]bool {
	m := map[string]bool{}
	for _, t := range p.Text {
		m[normalize(t)] = true
	}
	for _, l := range p.Links {
		m["link "+normalize(l.URL.RequestURI())] = true
	}
	for _, f := range p.Forms {
		if f.Action != nil {
			m["form "+f.Method+" "+normalize(f.Action.RequestURI())] = true
		}
	}
	return m
}

// takeSnapshot fetches u twice with the audit's session.
func (a *auditor) takeSnapshot(ctx context.Context, u *url.URL) (*snapshot, error) {
	s := &snapshot{url: u, stable: map[string]bool{}, seen: map[string]bool{}}
	var first map[string]bool
	for i := range 2 {
		p, err := a.fetchPage(ctx, u, a.jar)
		if err != nil {
			return nil, err
		}
		lines := pageLines(p)
		for l := range lines {
			s.seen[l] = true
			if i == 1 && first[l] {
				s.stable[l] = true
			}
		}
		first = lines
	}
	return s, nil
}

// changed fetches the page again and says what changed since the
// snapshot: a stable line gone or a line never seen before, or "".
func (s *snapshot) changed(ctx context.Context, a *auditor) (string, error) {
	p, err := a.fetchPage(ctx, s.url, a.jar)
	if err != nil {
		return "", err
	}
	now := pageLines(p)
	var gone, added []string
	for l := range s.stable {
		if !now[l] {
			gone = append(gone, l)
		}
	}
	for l := range now {
		if !s.seen[l] {
			added = append(added, l)
		}
	}
	if len(gone) == 0 && len(added) == 0 {
		return "", nil
	}
	return fmt.Sprintf("%s changed (%s)", s.url.RequestURI(), describeDiff(gone, added)), nil
}

func describeDiff(gone, added []string) string {
	var parts []string
	if len(added) > 0 {
		parts = append(parts, fmt.Sprintf("%d new line(s), e.g. %q", len(added), clip(minString(added), 60)))
	}
	if len(gone) > 0 {
		parts = append(parts, fmt.Sprintf("%d line(s) gone, e.g. %q", len(gone), clip(minString(gone), 60)))
	}
	return strings.Join(parts, "; ")
}

// minString picks one element deterministically.
func minString(ss []string) string {
	m := ss[0]
	for _, s := range ss[1:] {
		m = min(m, s)
	}
	return m
}

func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
