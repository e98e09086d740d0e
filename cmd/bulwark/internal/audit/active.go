package audit

import (
	"context"
	"crypto/rand"
	"errors"
	"slices"
)

// active forges requests against every POST form and every GET that
// looks state-changing, and turns what they did into verdicts. The
// checks that may end the session (logout) run last, forms and GETs alike.
func (a *auditor) active(ctx context.Context) error {
	if !a.report.SignedIn {
		a.note("no session (-login or -cookie): the forged requests carry no session cookie, so they show only changes that need no sign-in")
	}
	type check struct {
		ends bool // it may end the session
		run  func() error
	}
	var checks []check
	for _, t := range a.forms {
		checks = append(checks, check{endsSession(changingWord(t.form.Action, t.form.Label)), func() error { return a.checkForm(ctx, t) }})
	}
	for _, c := range a.candidates {
		checks = append(checks, check{endsSession(c.Word), func() error { return a.checkGET(ctx, c) }})
	}
	slices.SortStableFunc(checks, func(x, y check) int { return boolCmp(x.ends, y.ends) })
	for _, c := range checks {
		if err := c.run(); err != nil {
			return err
		}
	}
	return nil
}

func boolCmp(x, y bool) int {
	switch {
	case x == y:
		return 0
	case x:
		return 1
	}
	return -1
}

// errStopped ends the active checks early; the reason is in the notes.
var errStopped = errors.New("active checks stopped")

// stop notes why the active checks end here.
func (a *auditor) stop(format string, args ...any) error {
	a.incomplete("active checks stopped: "+format, args...)
	return errStopped
}

// ready returns nil if the next forgery may go: within the time limit,
// and signed in if the audit was (signing in again after a check that
// ended the session). Otherwise the checks stop, with a note.
func (a *auditor) ready(ctx context.Context) error {
	if ctx.Err() != nil {
		return a.stop("%v", context.Cause(ctx))
	}
	if !a.report.SignedIn {
		return nil
	}
	in, err := a.signedIn(ctx)
	switch {
	case err != nil && fatal(ctx, err) != nil:
		return err
	case err != nil:
		return a.stop("checking the session failed: %v", err)
	case in:
		return nil
	case a.login == nil:
		return a.stop("a check ended the -cookie session and the audit cannot sign in again (give -login to let it)")
	}
	a.jar = newJar()
	if err := a.loginInto(ctx, a.jar); err != nil {
		return a.stop("signing in again after a check ended the session: %v", err)
	}
	return nil
}

// inconclusive ends the check of one target without a verdict: a request
// around a forgery failed. Errors that end the audit or the active
// checks pass through.
func (a *auditor) inconclusive(ctx context.Context, target string, err error) error {
	if errors.Is(err, errStopped) || fatal(ctx, err) != nil {
		return err
	}
	a.incomplete("%s: no verdict: %v", target, err)
	return nil
}

// newMarker is a unique text for a forged form's fields, to find it on
// the site afterwards.
func newMarker() string {
	return markerPrefix + rand.Text()[:10]
}

// markerPrefix starts every marker text.
const markerPrefix = "bulwark-audit-"

// place puts a checked target's finding in the report: in place of its
// passive finding, as a new finding, or among the protected targets.
func (a *auditor) place(f Finding, passive int) {
	if f.Verdict == Unconfirmed && !a.report.SignedIn {
		f.Detail += " The audit had no session for the forgery to act on: sign in with -login or -cookie."
	}
	switch {
	case passive >= 0:
		old := a.report.Findings[passive]
		if f.Verdict == Unconfirmed {
			// Not refuted: taken, with no visible effect (a GET that
			// answers with a confirmation form is Protected instead).
			f.Severity = max(f.Severity, old.Severity)
		}
		f.Detail += " (Passive check: " + old.Title + ".)"
		a.report.Findings[passive] = f
	case f.Verdict == Protected:
		a.report.Protected = append(a.report.Protected, f)
	default:
		a.add(f)
	}
}
