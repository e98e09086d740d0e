package audit

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
)

// Severity ranks a finding. The zero value is Info.
type Severity int

// Severities, lowest first.
const (
	Info Severity = iota
	Low
	Medium
	High
)

var severityNames = [...]string{"info", "low", "medium", "high"}

func (s Severity) String() string {
	if s < Info || s > High {
		return fmt.Sprintf("Severity(%d)", int(s))
	}
	return severityNames[s]
}

// ParseSeverity parses "info", "low", "medium" or "high" (any case).
func ParseSeverity(s string) (Severity, error) {
	for i, name := range severityNames {
		if strings.EqualFold(s, name) {
			return Severity(i), nil
		}
	}
	return 0, fmt.Errorf("unknown severity %q (want info, low, medium or high)", s)
}

// MarshalText makes a Severity its name in JSON.
func (s Severity) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// Verdict is what the active checks concluded about one target.
type Verdict string

// Verdicts of the active checks.
const (
	// Vulnerable: a forged request, sent the way a browser would send it
	// from another site, changed state.
	Vulnerable Verdict = "vulnerable"
	// SameSiteOnly: the forgery works once the session cookie is attached;
	// only the cookie's SameSite attribute kept the browser from attaching it.
	SameSiteOnly Verdict = "protected only by SameSite"
	// Unconfirmed: the server accepted a forgery, but the audit saw nothing
	// change (or had no session for it to act on).
	Unconfirmed Verdict = "accepted, no change seen"
	// Protected: the server refused every forgery (a GET: none changed
	// anything the audit could see).
	Protected Verdict = "protected"
)

// Kinds of finding.
const (
	KindStateChangingGET = "state-changing GET"
	KindTokenlessForm    = "POST form without anti-CSRF token"
	KindForgeableForm    = "forgeable POST form"
	KindCookie           = "session cookie attributes"
	KindTokenInURL       = "token in URL"
	KindTokenCache       = "token page cacheable"
)

// Finding is one thing the audit reports.
type Finding struct {
	Severity Severity `json:"severity"`
	Kind     string   `json:"kind"`
	// Target is the URL (and method) the finding is about.
	Method string `json:"method,omitempty"`
	URL    string `json:"url"`
	// Title is one line; Detail says why it matters and what to do.
	Title  string `json:"title"`
	Detail string `json:"detail,omitempty"`
	// Verdict is set by the active checks; "" for passive findings.
	Verdict Verdict `json:"verdict,omitempty"`
	// Page is where the link, form or cookie was seen.
	Page string `json:"page,omitempty"`
	// Evidence lists the requests the active checks sent.
	Evidence []Attempt `json:"evidence,omitempty"`
}

// Attempt is one forged request and what it did.
type Attempt struct {
	// Name says how it was forged, e.g. "cross-site form, no token".
	Name   string `json:"name"`
	Method string `json:"method"`
	URL    string `json:"url"`
	// Headers are the request headers that matter (Origin, Sec-Fetch-*),
	// and Cookies the names of the cookies it carried: never their values.
	Headers map[string]string `json:"headers,omitempty"`
	Cookies []string          `json:"cookies"`
	// Withheld names the cookies a browser would not attach, with why.
	Withheld []string `json:"withheld,omitempty"`
	// Forced: every cookie was attached, whatever its SameSite, to see
	// what the server alone does.
	Forced bool `json:"all_cookies,omitempty"`
	// Body is the form sent, with token values shortened.
	Body   string `json:"body,omitempty"`
	Status int    `json:"status"`
	// Accepted: the server neither refused it (4xx, or a redirect to a
	// login page) nor failed (5xx). For a login form: it got the same
	// answer as the same login from the site's own page.
	Accepted bool `json:"accepted"`
	// SameUser: the token replayed came from another session of the same
	// user, not from a stranger's.
	SameUser bool `json:"same_user,omitempty"`
	// Changed says what changed on the server, "" for nothing.
	Changed string `json:"changed,omitempty"`
	Err     string `json:"error,omitempty"`
	// confirms: the answer is a page with a POST form that carries a
	// token, as a GET that asks "are you sure?" answers.
	confirms bool
}

// Report is the whole audit's result.
type Report struct {
	Target   string   `json:"target"`
	Active   bool     `json:"active"`
	SignedIn bool     `json:"signed_in"`
	Pages    []string `json:"pages"`
	// Complete is false when the audit stopped before it had read or
	// checked everything within its bounds (the time limit, a session it
	// could not restore, a target it could not judge): see the notes.
	Complete bool `json:"complete"`
	// Requests counts every request the audit sent.
	Requests int       `json:"requests"`
	Skipped  []Skip    `json:"skipped,omitempty"`
	Findings []Finding `json:"findings"`
	// Protected are the targets the active checks found protected that
	// had no passive finding either: evidence, not findings.
	Protected []Finding `json:"protected,omitempty"`
	// Notes are remarks on the audit itself (limits hit, checks skipped).
	Notes []string `json:"notes,omitempty"`
}

// Skip is a URL the crawl did not read, with why.
type Skip struct {
	URL    string `json:"url"`
	Reason string `json:"reason"`
}

// sort orders the findings by severity, then kind and URL.
func (r *Report) sort() {
	slices.SortStableFunc(r.Findings, func(x, y Finding) int {
		if c := cmp.Compare(y.Severity, x.Severity); c != 0 {
			return c
		}
		if c := strings.Compare(x.Kind, y.Kind); c != 0 {
			return c
		}
		return strings.Compare(x.URL, y.URL)
	})
}

// Worst is the highest severity among the findings; Info when none.
func (r *Report) Worst() Severity {
	worst := Info
	for _, f := range r.Findings {
		worst = max(worst, f.Severity)
	}
	return worst
}

// Count returns how many findings have severity s.
func (r *Report) Count(s Severity) int {
	n := 0
	for _, f := range r.Findings {
		if f.Severity == s {
			n++
		}
	}
	return n
}
