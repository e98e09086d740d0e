// Package demo is Bulwark's live demo: a small notes app (the "victim")
// protected by the csrf, session and auth packages, and an "attacker site"
// whose pages try classic cross-site request forgeries against it.
//
// # Threat model shown
//
// An attacker controls another site the user visits while logged in to the
// app. Their pages make the user's browser send requests to the app: an
// <img> that GETs /logout, auto-submitting hidden forms that POST /logout and
// /notes, a fetch that POSTs JSON to /api/notes with credentials, and a
// top-level navigation to /logout. The app defends with three layers, each
// visible in the attack log: GET never changes anything (logout is
// POST-only, GET /logout answers 405); every unsafe request passes the csrf
// checks (Sec-Fetch-Site, Origin/Referer, a masked token bound to the
// session); and the session cookie is SameSite=Lax by default (None with
// Config.CookieSameSite, to show the CSRF layer holding alone).
//
// Unsafe mode (Config.Unsafe) removes the first two layers and sets the
// cookie to SameSite=None; Secure, so the same attacks succeed; it refuses
// to listen anywhere but on loopback addresses.
//
// # The lab
//
// The lab (GET /lab, and its tour at GET /lab/tour) switches each defence
// live, without a restart: the session cookie's SameSite (Lax or None),
// the logout method (POST only, or GET allowed), and the csrf package's
// Fetch Metadata, Origin/Referer and token checks. Presets tell the story
// in order (see Presets); the demo starts with every layer on. Each
// request takes one snapshot of the switches when it arrives and uses
// only it: for the csrf checks, the logout method, the cookie's SameSite
// and its attack-log entry.
//
// With every csrf check on, requests go through the real, enforcing
// csrf.Protector. Otherwise they go through a second Protector in
// ReportOnly mode, followed by a lab gate that refuses a request for the
// first switched-on layer that failed it. Both Protectors hand every
// layer's verdict (csrf.Config.Observe) to the attack log, so each entry
// shows what every layer made of the request, what a switched-off layer
// would have said, which layer decided, and what actually happened. The
// lab's own forms (and clearing the log) always go through the enforcing
// Protector, whatever the switches say.
//
// The session.Manager's SameSite is fixed when it is built, so the lab
// rewrites the session cookie's attribute as the response leaves the app
// (adding Secure for None), and re-issues the cookie when the switch
// changes. A real app sets SameSite once, in session.Config.
//
// The switches answer only requests from a loopback address, and only
// when both listeners Listen bound are loopback; in unsafe mode the lab
// explains that it is unavailable. Matrix and state: GET /api/lab.
//
// The two sites must be different sites to the browser: a different host
// name (localhost vs 127.0.0.1), not just a different port, because cookies
// ignore ports.
//
// # Use
//
//	d, err := demo.New(ctx, demo.Config{DataDir: "bulwark-data"})
//	...
//	defer d.Close()
//	err = d.Run(ctx) // until ctx ends
//
// Tests mount Victim and Attacker on listeners of their own and read the
// AttackLog. The package is internal: its API serves cmd/bulwark and e2e.
package demo
