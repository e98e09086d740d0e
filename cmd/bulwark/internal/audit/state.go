package audit

import (
	"context"
	"fmt"
	"net/url"
	"regexp"
	"strings"
)

// A snapshot is what a page looked like before a forged request, from
// two fetches: the lines both showed (stable), every line either showed
// (seen), and the shapes of the lines that differed between them
// (dynamic: a clock, a counter), which are never taken for a change.
type snapshot struct {
	url     *url.URL
	stable  map[string]bool
	seen    map[string]bool
	dynamic map[string]bool
}

var (
	digits    = regexp.MustCompile(`[0-9]+`)
	tokenLike = regexp.MustCompile(`[A-Za-z0-9_\-+/=.]{20,}`)
	// clockLike are times and dates: 14:05, 14:05:03, 2026-12-03, 3/12/2026.
	clockLike = regexp.MustCompile(`\b[0-9]{1,4}([:/.-][0-9]{1,2}){1,5}\b`)
)

// normalize makes a text line comparable across renders: token-like
// strings, times and dates are replaced by placeholders; other numbers
// stay (a balance going from 100 to 80 is a change).
func normalize(line string) string {
	line = tokenLike.ReplaceAllString(line, "…")
	return clockLike.ReplaceAllString(line, "T")
}

// shape is a line with every number replaced, to match a line whose
// numbers move between renders.
func shape(line string) string { return digits.ReplaceAllString(line, "0") }

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
	first, second, err := a.fetchTwice(ctx, u)
	if err != nil {
		return nil, err
	}
	s := &snapshot{url: u, stable: map[string]bool{}, seen: map[string]bool{}, dynamic: map[string]bool{}}
	for l := range first {
		s.seen[l] = true
		if second[l] {
			s.stable[l] = true
		} else {
			s.dynamic[shape(l)] = true
		}
	}
	for l := range second {
		s.seen[l] = true
		if !first[l] {
			s.dynamic[shape(l)] = true
		}
	}
	return s, nil
}

func (a *auditor) fetchTwice(ctx context.Context, u *url.URL) (map[string]bool, map[string]bool, error) {
	var out [2]map[string]bool
	for i := range out {
		p, err := a.fetchPage(ctx, u, a.jar)
		if err != nil {
			return nil, nil, err
		}
		out[i] = pageLines(p)
	}
	return out[0], out[1], nil
}

// changed fetches the page twice more and says what changed since the
// snapshot, in both: a stable line gone or a line never seen before (a
// message shown once, a "flash", does not count), or "".
func (s *snapshot) changed(ctx context.Context, a *auditor) (string, error) {
	now, again, err := a.fetchTwice(ctx, s.url)
	if err != nil {
		return "", err
	}
	var gone, added []string
	for l := range s.stable {
		if !now[l] && !again[l] && !s.dynamic[shape(l)] {
			gone = append(gone, l)
		}
	}
	for l := range now {
		if again[l] && !s.seen[l] && !s.dynamic[shape(l)] {
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

// minString picks one element deterministically: the longest (the most
// telling), the first in order among those.
func minString(ss []string) string {
	m := ss[0]
	for _, s := range ss[1:] {
		if len(s) > len(m) || (len(s) == len(m) && s < m) {
			m = s
		}
	}
	return m
}

func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
