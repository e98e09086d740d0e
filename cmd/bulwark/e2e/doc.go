// Package e2e holds Bulwark's end-to-end tests in a real headless Chromium
// driven by chromedp: the demo app and its attacker site, htmx, and
// WebSockets.
//
// The app runs on http://localhost:PORT and the attacker site on
// http://127.0.0.1:PORT: two different sites for the browser (cookies ignore
// ports, so two ports of one host name would be the same site). Every
// outcome is checked on the server (live sessions, saved notes, the attack
// log), not only in the page.
//
// websocket_test.go tests Cross-Site WebSocket Hijacking protection with a
// small chat app of its own (session, csrf and a github.com/coder/websocket
// echo endpoint): dialled over real HTTP by the library's client, and
// opened in Chromium from its own page and from an attacker's page.
//
// htmx_test.go runs the documented htmx snippet with the real htmx 2 and 4
// (vendored under testdata/htmx) in an app of its own (session, csrf with
// the secret in the session, auth): hx-post with and without the token,
// and after a boosted login.
//
// The browser is $BULWARK_CHROMIUM (default /usr/bin/chromium). When it is
// missing the tests skip, or fail when CI=true. Screenshots of the home page,
// the attacker index and the attack log go to cmd/bulwark/e2e/artifacts/ (not committed);
// with BULWARK_UPDATE_DOCS=1 the attack log screenshot also replaces
// docs/img/attack-log.png.
//
// The package has no non-test code.
package e2e
