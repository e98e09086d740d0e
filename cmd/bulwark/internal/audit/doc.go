// Package audit is `bulwark audit`: it crawls one origin's HTML pages and
// finds where another site could make the user's browser change state
// there (cross-site request forgery).
//
// The passive checks read what the pages and headers show: POST forms
// without an anti-CSRF token, links and GET forms that look
// state-changing, session cookies' attributes, tokens in URLs, and token
// pages a shared cache could serve to others. They never submit a form
// and never follow a link that looks state-changing.
//
// The active checks (Config.Active) forge requests the way a browser
// sends them from another site — the Sec-Fetch-* and Origin headers it
// sends, and only the cookies its SameSite rules attach — and compare the
// site before and after: the session, the page, and a marker text the
// forged form carried. Each target gets a verdict: Vulnerable, SameSiteOnly
// (the forgery works once the cookie is attached) or Protected. They
// change state on the target: only for sites you own or may test.
//
// The audit never leaves the origin it was given. Run returns an error
// only when it cannot audit at all; what it could not read is in the
// Report.
package audit
