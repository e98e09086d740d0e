// This file holds the attack log: a bounded in-memory record of every
// cross-site request the victim app receives, with the verdict on it.

package demo

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Verdicts an Entry can carry. They are stable strings: the attack log page
// shows them and the end-to-end tests compare them.
const (
	// VerdictRefused: the request reached the app and a server-side rule
	// (the CSRF check, the 405 on GET /logout, a login requirement) refused it.
	VerdictRefused = "refused"
	// VerdictBlockedByBrowser: the browser did not send the session cookie,
	// so the request could not act as the user whatever the server does.
	VerdictBlockedByBrowser = "cookie not sent"
	// VerdictAllowed: a read-only request that changed nothing.
	VerdictAllowed = "allowed (read-only)"
	// VerdictAccepted: a state-changing request was carried out. In safe
	// mode this should never appear for a cross-site request.
	VerdictAccepted = "ACCEPTED"
	// VerdictAcceptedUnsafe: as VerdictAccepted, in unsafe mode, where the
	// demo deliberately has no CSRF protection.
	VerdictAcceptedUnsafe = "ACCEPTED (unsafe mode)"
)

// Entry is one cross-site request as the victim app saw it. It never holds
// cookie values, tokens or session IDs: only whether the cookie was sent.
type Entry struct {
	// ID numbers entries from 1 in arrival order.
	ID int64 `json:"id"`
	// Time is when the response was finished.
	Time time.Time `json:"time"`
	// Attack is the tag of the attacker page that sent the request (the
	// "attack" query parameter, e.g. "a"), or "" for an untagged request.
	Attack string `json:"attack"`
	// Method and Path are the request's.
	Method string `json:"method"`
	Path   string `json:"path"`
	// CookieSent reports whether the request carried the session cookie.
	CookieSent bool `json:"cookie_sent"`
	// User is the user the session belonged to when the request arrived,
	// or "" for none.
	User string `json:"user"`
	// Origin, Referer, SecFetchSite and SecFetchMode are the request's
	// headers ("" when absent), as sent (attacker-controlled text).
	Origin       string `json:"origin"`
	Referer      string `json:"referer"`
	SecFetchSite string `json:"sec_fetch_site"`
	SecFetchMode string `json:"sec_fetch_mode"`
	// Status is the HTTP status the app answered with.
	Status int `json:"status"`
	// Verdict is one of the Verdict constants.
	Verdict string `json:"verdict"`
	// Reason explains the verdict in plain words.
	Reason string `json:"reason"`
	// Lab is the snapshot of the lab switches that applied to this very
	// request.
	Lab LabSwitches `json:"lab"`
	// Layers is every layer's verdict, in LayerKeys order.
	Layers []LayerResult `json:"layers"`
	// Decided is the key of the layer that decided (see LayerKeys), or ""
	// when nothing stopped the request.
	Decided string `json:"decided"`
	// Outcome is what the request changed: OutcomeLoggedOut,
	// OutcomeNoteCreated or OutcomeNothingChanged.
	Outcome string `json:"outcome"`
}

// AttackLog keeps the most recent entries in memory. It is safe for
// concurrent use.
type AttackLog struct {
	mu      sync.Mutex
	entries []Entry // oldest first, at most max
	max     int
	nextID  int64
	changed chan struct{} // closed and replaced on every Add
}

// NewAttackLog returns an empty log that keeps the last max entries
// (max <= 0: 200).
func NewAttackLog(max int) *AttackLog {
	if max <= 0 {
		max = 200
	}
	return &AttackLog{max: max, nextID: 1, changed: make(chan struct{})}
}

// Add appends e (its ID is assigned) and wakes every Wait.
func (l *AttackLog) Add(e Entry) Entry {
	l.mu.Lock()
	defer l.mu.Unlock()
	e.ID = l.nextID
	l.nextID++
	if len(l.entries) == l.max {
		copy(l.entries, l.entries[1:])
		l.entries = l.entries[:len(l.entries)-1]
	}
	l.entries = append(l.entries, e)
	close(l.changed)
	l.changed = make(chan struct{})
	return e
}

// Entries returns a copy of the entries, newest first.
func (l *AttackLog) Entries() []Entry {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := make([]Entry, len(l.entries))
	for i, e := range l.entries {
		e.Layers = append([]LayerResult(nil), e.Layers...)
		out[len(out)-1-i] = e
	}
	return out
}

// Clear removes every entry. IDs keep counting.
func (l *AttackLog) Clear() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.entries = nil
	close(l.changed)
	l.changed = make(chan struct{})
}

// Wait returns the oldest entry, already logged or logged later, for which
// match returns true, or ctx's error when ctx ends first. Tests use it to
// wait for the server to have seen (and answered) a tagged attack.
func (l *AttackLog) Wait(ctx context.Context, match func(Entry) bool) (Entry, error) {
	for {
		l.mu.Lock()
		for _, e := range l.entries {
			if match(e) {
				l.mu.Unlock()
				return e, nil
			}
		}
		changed := l.changed
		l.mu.Unlock()
		select {
		case <-changed:
		case <-ctx.Done():
			return Entry{}, ctx.Err()
		}
	}
}

// attempt collects what the inner layers learn about one logged request.
// It is only touched by the request's own goroutine.
type attempt struct {
	user       string
	csrfReason error
	effect     string // what the handler did, e.g. "note created"
}

type attemptKey struct{}

func attemptFrom(r *http.Request) *attempt {
	a, _ := r.Context().Value(attemptKey{}).(*attempt)
	return a
}

// setEffect records what a handler changed, for the attack log.
func setEffect(r *http.Request, effect string) {
	if a := attemptFrom(r); a != nil {
		a.effect = effect
	}
}

// isCrossSite reports whether r should be logged: the browser says it came
// from another site, its Origin or Referer is not the app's own origin, or
// it carries an attack tag.
func isCrossSite(r *http.Request) bool {
	switch r.Header.Get("Sec-Fetch-Site") {
	case "cross-site", "same-site":
		return true
	}
	if r.URL.Query().Get("attack") != "" {
		return true
	}
	self := "http://" + r.Host
	if r.TLS != nil {
		self = "https://" + r.Host
	}
	if o := r.Header.Get("Origin"); o != "" && !strings.EqualFold(o, self) {
		return true
	}
	if ref := r.Header.Get("Referer"); ref != "" {
		u, err := url.Parse(ref)
		if err != nil || !strings.EqualFold(u.Scheme+"://"+u.Host, self) {
			return true
		}
	}
	return false
}

// statusRecorder remembers the status a handler wrote.
type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (s *statusRecorder) WriteHeader(code int) {
	if s.status == 0 {
		s.status = code
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusRecorder) Write(b []byte) (int, error) {
	if s.status == 0 {
		s.status = http.StatusOK
	}
	return s.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (s *statusRecorder) Unwrap() http.ResponseWriter { return s.ResponseWriter }

// clip bounds attacker-controlled header text kept in memory.
func clip(s string, n int) string {
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}

// verdict decides what the log says about a finished request.
func verdict(method string, status int, cookieSent bool, a *attempt, unsafe bool) (string, string) {
	const blocked = "cookie not sent: your browser blocked it, so the request could not act as the user"
	switch {
	case a.csrfReason != nil:
		reason := "the CSRF check failed: " + a.csrfReason.Error()
		if !cookieSent {
			reason += " (and the session cookie was not sent either: your browser blocked it)"
		}
		return VerdictRefused, reason
	case !cookieSent:
		return VerdictBlockedByBrowser, blocked
	case a.user == "":
		return VerdictBlockedByBrowser, "the session cookie was sent, but no one was logged in"
	case status == http.StatusMethodNotAllowed:
		return VerdictRefused, method + " cannot log out (405 Method Not Allowed, Allow: POST); the user stays logged in"
	case status == http.StatusUnauthorized:
		return VerdictRefused, "login required (401)"
	case status >= 400:
		return VerdictRefused, "the app answered " + strconv.Itoa(status) + " " + http.StatusText(status)
	case a.effect != "":
		if unsafe {
			return VerdictAcceptedUnsafe, a.effect + " — no CSRF check in unsafe mode"
		}
		return VerdictAccepted, a.effect
	case method == http.MethodGet || method == http.MethodHead:
		return VerdictAllowed, "a read-only request: it changed nothing"
	default:
		if unsafe {
			return VerdictAcceptedUnsafe, "the app answered " + strconv.Itoa(status) + " " + http.StatusText(status)
		}
		return VerdictAccepted, "the app answered " + strconv.Itoa(status) + " " + http.StatusText(status)
	}
}

func contextWithAttempt(ctx context.Context, a *attempt) context.Context {
	return context.WithValue(ctx, attemptKey{}, a)
}
