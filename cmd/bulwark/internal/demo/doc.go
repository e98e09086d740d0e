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
