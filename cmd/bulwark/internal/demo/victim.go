// This file holds the demo app (the "victim" of the attacker site): its
// routes, pages and the attack-log middleware in front of everything.

package demo

import (
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/bulwark-go/bulwark/auth"
	"github.com/bulwark-go/bulwark/csrf"
	"github.com/bulwark-go/bulwark/internal/fault"
)

//go:embed templates/*.html templates/*.css
var templateFS embed.FS

// victimPages are the page templates, each parsed together with base.html.
var victimPages = []string{
	"home.html", "login.html", "logout.html", "notes.html", "attacklog.html",
	"forbidden.html", "notfound.html", "notallowed.html", "lab.html", "tour.html",
}

// page is what the demo's own page templates are executed with. The
// templates auth executes (login.html, logout.html) get auth.LoginData and
// auth.LogoutData instead; all of them have Request.
type page struct {
	Request *http.Request
	User    string
	Notes   []Note
	Older   int64 // cursor of the next page of Notes; 0 on the last
	Paged   bool  // Notes is not the first page
	Entries []Entry
	Error   string
	Body    string
	Reason  string
	Allow   string // the methods a route answers, on its 405 page
	Lab     *labPageData
}

func (d *Demo) parseVictimTemplates() (map[string]*template.Template, error) {
	funcs := csrf.FuncMap()
	funcs["unsafe"] = func() bool { return d.cfg.Unsafe }
	funcs["sameSite"] = func() string { return sameSiteName(d.cfg.CookieSameSite) }
	funcs["attackerURL"] = func() string { return d.attackerURL }
	funcs["currentUser"] = func(r *http.Request) string {
		if r == nil {
			return ""
		}
		if u, ok := auth.CurrentUser(r); ok {
			return u.Username
		}
		return ""
	}
	funcs["slug"] = slug
	funcs["thirdPartyNote"] = func() string { return ThirdPartyCookieNote }
	funcs["layerKeys"] = func() []string { return LayerKeys }
	funcs["layerTitle"] = func(key string) string { return layerTitles[key] }
	// The pages show the switches that applied to their own request.
	funcs["labOf"] = func(r *http.Request) LabSwitches {
		if r == nil {
			sw, _ := d.lab.snapshot()
			return sw
		}
		return d.labSnapshot(r)
	}
	funcs["presetOf"] = matchPreset
	funcs["ago"] = func(t time.Time) string { return t.Local().Format("15:04:05") }
	out := make(map[string]*template.Template, len(victimPages))
	for _, p := range victimPages {
		t, err := template.New("base.html").Funcs(funcs).ParseFS(templateFS, "templates/base.html", "templates/"+p)
		if err != nil {
			return nil, err
		}
		out[p] = t
	}
	return out, nil
}

func (d *Demo) render(w http.ResponseWriter, r *http.Request, status int, name string, data page) {
	data.Request = r
	data.User = currentUsername(r)
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	// A write refused because the session failed (already logged, and
	// the response replaced) or a client that left is no template fault.
	if err := d.victimTmpl[name].Execute(w, data); err != nil && !fault.WasLogged(err) && !fault.ClientGone(r.Context()) {
		d.log.Error("demo: template", "template", name, "err", err)
	}
}

func currentUsername(r *http.Request) string {
	if u, ok := auth.CurrentUser(r); ok {
		return u.Username
	}
	return ""
}

// victimHandler assembles the app: lab snapshot and cookie rewrite →
// attack log → security headers → session → user observer → csrf (safe
// mode: enforcing, or observing + lab gate) → auth → routes.
func (d *Demo) victimHandler(protector, observer *csrf.Protector) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", d.home)
	login := d.authn.LoginHandler()
	mux.Handle("GET /login", login)
	mux.Handle("POST /login", login)
	if d.cfg.Unsafe {
		mux.HandleFunc("/logout", d.unsafeLogout)
	} else {
		mux.Handle("/logout", d.labLogout(d.authn.LogoutHandler()))
	}
	mux.Handle("GET /notes", d.authn.RequireLogin(http.HandlerFunc(d.listNotes)))
	mux.Handle("POST /notes", d.authn.RequireLogin(http.HandlerFunc(d.addNote)))
	mux.Handle("GET /api/notes", d.authn.RequireLogin(http.HandlerFunc(d.apiListNotes)))
	mux.Handle("POST /api/notes", d.authn.RequireLogin(http.HandlerFunc(d.apiAddNote)))
	mux.HandleFunc("GET /attack-log", d.attackLogPage)
	mux.HandleFunc("GET /api/attack-log", d.attackLogJSON)
	mux.HandleFunc("POST /attack-log/clear", d.clearAttackLog)
	d.labRoutes(mux)
	mux.HandleFunc("GET /static/style.css", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/css; charset=utf-8")
		http.ServeFileFS(w, r, templateFS, "templates/style.css")
	})

	var h http.Handler = d.authn.Handler(d.unrouted(mux))
	if protector != nil {
		h = d.labCSRF(protector, observer, h)
	}
	h = d.observeUser(h)
	h = d.sessions.Handler(h)
	h = securityHeaders(h)
	h = d.logAttacks(h)
	return d.labEdge(h)
}

// routeMethods are the methods unrouted offers in an Allow header.
var routeMethods = []string{http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete}

// unrouted serves mux, and answers the requests none of its patterns
// match itself: 405 with Allow when the path is a route for other methods,
// else 404; an HTML page for browsers, JSON for the API.
func (d *Demo) unrouted(mux *http.ServeMux) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, pattern := mux.Handler(r); pattern != "" {
			mux.ServeHTTP(w, r)
			return
		}
		var allow []string
		for _, m := range routeMethods {
			probe := r.Clone(r.Context())
			probe.Method = m
			if _, pattern := mux.Handler(probe); pattern != "" {
				allow = append(allow, m)
			}
		}
		switch {
		case len(allow) == 0 && wantsJSON(r):
			writeJSON(w, http.StatusNotFound, map[string]string{"error": "no such resource"})
		case len(allow) == 0:
			d.render(w, r, http.StatusNotFound, "notfound.html", page{})
		case wantsJSON(r):
			w.Header().Set("Allow", strings.Join(allow, ", "))
			writeJSON(w, http.StatusMethodNotAllowed, map[string]any{
				"error": r.Method + " is not allowed on " + r.URL.Path,
				"allow": allow,
			})
		default:
			w.Header().Set("Allow", strings.Join(allow, ", "))
			d.render(w, r, http.StatusMethodNotAllowed, "notallowed.html", page{Allow: strings.Join(allow, ", ")})
		}
	})
}

// securityHeaders sets the headers every page of the app carries.
func securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", "default-src 'self'; script-src 'none'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "same-origin")
		next.ServeHTTP(w, r)
	})
}

// logAttacks records every cross-site request in the attack log once the
// app has answered it.
func (d *Demo) logAttacks(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !isCrossSite(r) {
			next.ServeHTTP(w, r)
			return
		}
		a := &attempt{}
		r = r.WithContext(contextWithAttempt(r.Context(), a))
		rec := &statusRecorder{ResponseWriter: w}
		cookieSent := hasSessionCookie(r)
		next.ServeHTTP(rec, r)
		d.logAttempt(r, a, rec.status, cookieSent)
	})
}

// hasSessionCookie reports whether r carries the session cookie.
func hasSessionCookie(r *http.Request) bool {
	for _, name := range sessionCookieNames {
		if _, err := r.Cookie(name); err == nil {
			return true
		}
	}
	return false
}

// logAttempt adds the finished request to the attack log and logs it.
func (d *Demo) logAttempt(r *http.Request, a *attempt, status int, cookieSent bool) {
	if status == 0 {
		status = http.StatusOK
	}
	lr := labFrom(r.Context())
	if lr == nil {
		sw, _ := d.lab.snapshot()
		lr = &labRequest{switches: sw}
	}
	v, reason := verdict(r.Method, status, cookieSent, a, d.cfg.Unsafe)
	if v == VerdictAccepted && matchPreset(lr.switches) != defaultPreset {
		reason += " — the lab has switched defences off"
	}
	rows := layerResults(layerFacts{method: r.Method, path: r.URL.Path, status: status, cookieSent: cookieSent, unsafe: d.cfg.Unsafe, lab: lr})
	e := d.attacks.Add(Entry{
		Time:         time.Now(),
		Attack:       clip(r.URL.Query().Get("attack"), 16),
		Method:       clip(r.Method, 16),
		Path:         clip(r.URL.Path, 200),
		CookieSent:   cookieSent,
		User:         a.user,
		Origin:       clip(r.Header.Get("Origin"), 200),
		Referer:      clip(r.Header.Get("Referer"), 200),
		SecFetchSite: clip(r.Header.Get("Sec-Fetch-Site"), 40),
		SecFetchMode: clip(r.Header.Get("Sec-Fetch-Mode"), 40),
		Status:       status,
		Verdict:      v,
		Reason:       reason,
		Lab:          lr.switches,
		Layers:       rows,
		Decided:      decidedLayer(rows, cookieSent),
		Outcome:      outcomeOf(a.effect),
	})
	d.log.Info("demo: cross-site request", "id", e.ID, "attack", e.Attack, "method", e.Method,
		"path", e.Path, "cookie_sent", cookieSent, "status", status, "verdict", v, "reason", reason,
		"lab_preset", matchPreset(lr.switches), layersLog(rows), "decided", e.Decided, "outcome", e.Outcome)
}

// observeUser notes, for logged requests only, whose session the request
// carried, before csrf or a handler can refuse or end it.
func (d *Demo) observeUser(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if a := attemptFrom(r); a != nil {
			if id := d.sessions.UserID(r.Context()); id != "" {
				if u, err := d.accounts.Users().GetByID(r.Context(), id); err == nil {
					a.user = u.Username
				}
			}
		}
		next.ServeHTTP(w, r)
	})
}

// csrfFailure is the csrf.Protector's FailureHandler.
func (d *Demo) csrfFailure(w http.ResponseWriter, r *http.Request) {
	reason := csrf.Reason(r)
	if reason == nil {
		reason = errors.New("csrf: request refused")
	}
	d.refuseCSRF(w, r, reason)
}

// refuseCSRF is the one funnel for CSRF refusals, the Protector's and the
// lab gate's: it records reason for the attack log and explains it on a
// 403 page (or in JSON).
func (d *Demo) refuseCSRF(w http.ResponseWriter, r *http.Request, reason error) {
	if a := attemptFrom(r); a != nil {
		a.csrfReason = reason
	}
	if wantsJSON(r) {
		writeJSON(w, http.StatusForbidden, map[string]string{"error": reason.Error()})
		return
	}
	d.render(w, r, http.StatusForbidden, "forbidden.html", page{Reason: reason.Error()})
}

func wantsJSON(r *http.Request) bool {
	return strings.HasPrefix(r.URL.Path, "/api/") ||
		strings.Contains(r.Header.Get("Accept"), "application/json")
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.Encode(v)
}

func (d *Demo) home(w http.ResponseWriter, r *http.Request) {
	d.render(w, r, http.StatusOK, "home.html", page{})
}

// unsafeLogout is the logout the article warns against: any method, GET
// included, and no CSRF check. It exists only in unsafe mode.
func (d *Demo) unsafeLogout(w http.ResponseWriter, r *http.Request) {
	loggedIn := d.sessions.UserID(r.Context()) != ""
	if err := d.sessions.Destroy(r.Context()); err != nil {
		d.unavailable(w, r, false, "demo: logout", "logout failed", err)
		return
	}
	if loggedIn {
		setEffect(r, OutcomeLoggedOut)
	}
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, "/", http.StatusSeeOther)
}

// unavailable answers r, which err stopped, with a 503 and msg (as JSON
// with asJSON), logging event at ERROR unless the session Manager already
// did. A client that went away is no fault: a Debug line and a 499, as
// the library does (see session.ErrClientGone).
func (d *Demo) unavailable(w http.ResponseWriter, r *http.Request, asJSON bool, event, msg string, err error, attrs ...any) {
	attrs = append(attrs, "err", err)
	switch {
	case fault.ClientGone(r.Context()):
		d.log.Debug(event+": the client went away", attrs...)
		w.WriteHeader(fault.StatusClientGone)
		return
	case !fault.WasLogged(err):
		d.log.Error(event, attrs...)
	}
	if asJSON {
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"error": msg})
		return
	}
	http.Error(w, msg, http.StatusServiceUnavailable)
}

// listNotes shows one page of the user's notes: the newest, or with
// ?before=ID those older than note ID.
func (d *Demo) listNotes(w http.ResponseWriter, r *http.Request) {
	before, err := parseCursor(r.URL.Query().Get("before"))
	if err != nil {
		d.renderNotes(w, r, http.StatusBadRequest, 0, page{Error: noteError(err)})
		return
	}
	d.renderNotes(w, r, http.StatusOK, before, page{})
}

func (d *Demo) renderNotes(w http.ResponseWriter, r *http.Request, status int, before int64, p page) {
	u, _ := auth.CurrentUser(r)
	np, err := d.notes.page(r.Context(), u.ID, before, NotesPerPage)
	if err != nil {
		d.unavailable(w, r, false, "demo: list notes", "the notes are unavailable", err, "user_id", u.ID)
		return
	}
	p.Notes, p.Older, p.Paged = np.Notes, np.Older, before != 0
	d.render(w, r, status, "notes.html", p)
}

func (d *Demo) addNote(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	if err := r.ParseForm(); err != nil {
		d.renderNotes(w, r, http.StatusBadRequest, 0, page{Error: "The form could not be read."})
		return
	}
	body, err := checkNote(r.PostForm.Get("body"))
	if err != nil {
		d.renderNotes(w, r, http.StatusUnprocessableEntity, 0, page{Error: noteError(err), Body: r.PostForm.Get("body")})
		return
	}
	u, _ := auth.CurrentUser(r)
	n, err := d.notes.add(r.Context(), u.ID, body)
	if err != nil {
		d.unavailable(w, r, false, "demo: save note", "the note could not be saved", err, "user_id", u.ID)
		return
	}
	setEffect(r, OutcomeNoteCreated)
	d.log.Info("demo: note created", "user_id", u.ID, "note_id", n.ID)
	http.Redirect(w, r, "/notes", http.StatusSeeOther)
}

func noteError(err error) string {
	msg := strings.TrimPrefix(err.Error(), "demo: ")
	return strings.ToUpper(msg[:1]) + msg[1:] + "."
}

// NotesResponse is the JSON body of GET /api/notes.
type NotesResponse struct {
	// Notes are the page's notes, newest first.
	Notes []Note `json:"notes"`
	// Next is the URL of the next (older) page; absent on the last page.
	Next string `json:"next,omitempty"`
}

// apiListNotes returns one page of the user's notes: ?limit=N (at most
// MaxNotesPerRequest, default NotesPerPage) notes older than ?before=ID
// (default: from the newest), with the next page's URL.
func (d *Demo) apiListNotes(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	before, err := parseCursor(q.Get("before"))
	if err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": noteError(err)})
		return
	}
	limit := NotesPerPage
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > MaxNotesPerRequest {
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": fmt.Sprintf("limit must be a number from 1 to %d", MaxNotesPerRequest)})
			return
		}
		limit = n
	}
	u, _ := auth.CurrentUser(r)
	np, err := d.notes.page(r.Context(), u.ID, before, limit)
	if err != nil {
		d.unavailable(w, r, true, "demo: list notes", "the notes are unavailable", err, "user_id", u.ID)
		return
	}
	res := NotesResponse{Notes: np.Notes}
	if np.Older != 0 {
		next := url.Values{"before": {strconv.FormatInt(np.Older, 10)}}
		if q.Has("limit") {
			next.Set("limit", strconv.Itoa(limit))
		}
		res.Next = "/api/notes?" + next.Encode()
	}
	writeJSON(w, http.StatusOK, res)
}

// apiAddNote accepts {"body": "..."} whatever the Content-Type says, as
// many real APIs do; in safe mode the CSRF layer (Sec-Fetch-Site, Origin and
// the X-CSRF-Token header) is what keeps other sites out.
func (d *Demo) apiAddNote(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Body *string `json:"body"`
	}
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 64<<10))
	if err := dec.Decode(&in); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			writeJSON(w, http.StatusRequestEntityTooLarge, map[string]string{"error": "the request body is too large"})
			return
		}
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": `want a JSON object such as {"body": "text"}`})
		return
	}
	if _, err := dec.Token(); err != io.EOF {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "unexpected data after the JSON object"})
		return
	}
	if in.Body == nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": `missing field "body"`})
		return
	}
	body, err := checkNote(*in.Body)
	if err != nil {
		writeJSON(w, http.StatusUnprocessableEntity, map[string]string{"error": noteError(err)})
		return
	}
	u, _ := auth.CurrentUser(r)
	n, err := d.notes.add(r.Context(), u.ID, body)
	if err != nil {
		d.unavailable(w, r, true, "demo: save note", "the note could not be saved", err, "user_id", u.ID)
		return
	}
	setEffect(r, OutcomeNoteCreated)
	d.log.Info("demo: note created", "user_id", u.ID, "note_id", n.ID)
	writeJSON(w, http.StatusCreated, n)
}

func (d *Demo) attackLogPage(w http.ResponseWriter, r *http.Request) {
	d.render(w, r, http.StatusOK, "attacklog.html", page{Entries: d.attacks.Entries()})
}

// AttackLogResponse is the JSON body of GET /api/attack-log.
type AttackLogResponse struct {
	// Unsafe reports whether the app runs in unsafe mode.
	Unsafe bool `json:"unsafe"`
	// CookieSameSite is the session cookie's SameSite attribute, as the
	// lab's switch sets it now.
	CookieSameSite string `json:"cookie_samesite"`
	// Entries are the logged requests, newest first.
	Entries []Entry `json:"entries"`
}

func (d *Demo) attackLogJSON(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, AttackLogResponse{
		Unsafe:         d.cfg.Unsafe,
		CookieSameSite: d.labSnapshot(r).SameSite,
		Entries:        d.attacks.Entries(),
	})
}

func (d *Demo) clearAttackLog(w http.ResponseWriter, r *http.Request) {
	d.attacks.Clear()
	http.Redirect(w, r, "/attack-log", http.StatusSeeOther)
}
