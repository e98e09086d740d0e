package audit

import (
	"context"
	"crypto/rand"
	"fmt"
	"slices"
)

// active forges requests against every POST form and every GET that
// looks state-changing, and turns what they did into verdicts. Checks
// that may end the session run last.
func (a *auditor) active(ctx context.Context) error {
	if !a.report.SignedIn {
		a.note("no session (-login or -cookie): the forged requests carry no session cookie, so they show only changes that need no sign-in")
	}
	forms := slices.Clone(a.forms)
	slices.SortStableFunc(forms, func(x, y *formTarget) int {
		return boolCmp(endsSession(changingWord(x.form.Action, x.form.Label)), endsSession(changingWord(y.form.Action, y.form.Label)))
	})
	gets := slices.Clone(a.candidates)
	slices.SortStableFunc(gets, func(x, y candidate) int { return boolCmp(endsSession(x.Word), endsSession(y.Word)) })
	for _, t := range forms {
		if ok, err := a.ready(ctx); !ok || err != nil {
			return err
		}
		if err := a.checkForm(ctx, t); err != nil {
			return err
		}
	}
	for _, c := range gets {
		if ok, err := a.ready(ctx); !ok || err != nil {
			return err
		}
		if err := a.checkGET(ctx, c); err != nil {
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

// ready reports whether the next check may run: within the time limit,
// and signed in if the audit was (signing in again after a check that
// ended the session).
func (a *auditor) ready(ctx context.Context) (bool, error) {
	if ctx.Err() != nil {
		a.note("active checks stopped: %v", context.Cause(ctx))
		return false, nil
	}
	if !a.report.SignedIn {
		return true, nil
	}
	in, err := a.signedIn(ctx)
	if err != nil || in {
		return err == nil, fatal(ctx, err)
	}
	if a.login == nil {
		a.note("a check ended the -cookie session and the audit cannot sign in again: the remaining active checks did not run (give -login to let it)")
		return false, nil
	}
	a.jar = newJar()
	if err := a.loginInto(ctx, a.jar); err != nil {
		return false, fmt.Errorf("signing in again after a check ended the session: %w", err)
	}
	return true, nil
}

// newMarker is a unique text for a forged form's fields, to find it on
// the site afterwards.
func newMarker() string {
	return "bulwark-audit-" + rand.Text()[:10]
}

// place puts a checked target's finding in the report: in place of its
// passive finding, as a new finding, or among the protected targets.
func (a *auditor) place(f Finding, passive int) {
	switch {
	case passive >= 0 && f.Verdict == Protected && !a.report.SignedIn && anyAccepted(f.Evidence):
		old := &a.report.Findings[passive]
		old.Evidence = f.Evidence
		old.Detail += " Not confirmed by -active: the server accepted the forgeries, but the audit had no session for them to act on; sign in with -login or -cookie."
	case passive >= 0:
		old := a.report.Findings[passive]
		f.Detail += " (Passive check: " + old.Title + ".)"
		a.report.Findings[passive] = f
	case f.Verdict == Protected:
		a.report.Protected = append(a.report.Protected, f)
	default:
		a.add(f)
	}
}

func anyAccepted(as []Attempt) bool {
	for _, at := range as {
		if at.Accepted {
			return true
		}
	}
	return false
}
