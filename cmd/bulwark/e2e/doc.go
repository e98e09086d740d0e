// Package e2e holds Bulwark's end-to-end tests: the demo app and its
// attacker site driven by a real headless Chromium through chromedp.
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
// The browser is $BULWARK_CHROMIUM (default /usr/bin/chromium). When it is
// missing the tests skip, or fail when CI=true. Screenshots of the home page,
// the attacker index and the attack log go to cmd/bulwark/e2e/artifacts/ (not committed);
// with BULWARK_UPDATE_DOCS=1 the attack log screenshot also replaces
// docs/img/attack-log.png.
//
// The package has no non-test code.
package e2e
