// Package csrf protects net/http applications against Cross-Site Request
// Forgery.
//
// # Threat model
//
// A browser attaches a site's cookies to every request it sends to that
// site, whoever asked for the request. A page on any other site can
// therefore make the user's browser submit a form, fire an <img> GET or
// send a simple fetch to your app, and your app sees a request from a
// logged-in user. CSRF protection makes sure a state-changing request was
// sent by your own pages. It assumes:
//
//   - safe methods (GET, HEAD, OPTIONS, TRACE) never change state: they are
//     never checked, so a GET /logout is your bug, not this package's; the
//     one GET that is checked is a WebSocket handshake (see WebSockets);
//   - the attacker controls another site, possibly a sibling subdomain
//     (which can set cookies for your domain: "cookie tossing"), but cannot
//     read your pages (same-origin policy) and has no XSS on your origin —
//     an XSS can read any token, and no CSRF defence survives it;
//   - HTTPS is decided explicitly (TLS, or a proxy you trust), never guessed.
//
// It does not protect against clickjacking (use frame-ancestors), against
// requests from non-browser clients (they carry no victim's cookies), or
// against login CSRF on pages that skip the Protector.
//
// # Layers
//
// Protector.Handler checks every unsafe request in this order; the first
// failure rejects it with its own reason (ErrCrossSite, ErrBadOrigin, ...):
//
//  1. Exemptions: Exempt-wrapped handlers and Config.ExemptPaths skip all
//     checks. Exemption is decided before any handler runs: the Protector
//     finds an Exempt handler through ServeMux routing, Bulwark's own
//     middlewares and any Forwarder; a router it cannot look into hides it
//     (one WARN says so), and ExemptPaths always works. Patterns use
//     http.ServeMux's own matching on the path the mux would route; a path
//     ServeMux would redirect ("/exempt/../admin", "//exempt", "/exempt"
//     for "/exempt/") or one with dot segments in any spelling is never
//     exempt (CVE-2025-47910).
//  2. Fetch Metadata: Sec-Fetch-Site: cross-site or same-site is rejected
//     unless the Origin is a trusted origin (so a trusted origin works from
//     any site, as the operator asked); same-origin and none pass on.
//  3. Origin: when present — including "null", which always fails — it must
//     equal the request's own origin (scheme from TLS or trusted proxy
//     headers, host and port from the Host header) or a trusted origin.
//  4. Referer: when Origin is absent on an HTTPS request, the Referer must be
//     present, well-formed, https, and same-origin or trusted (Django's
//     rules). Plain-HTTP requests go on to the token, so http://localhost
//     works without configuration.
//  5. Token (Full mode): a masked synchronizer token from the X-CSRF-Token
//     header (checked first, so JSON bodies are never parsed) or the
//     csrf_token field of an urlencoded or multipart form. An urlencoded
//     body is read once, within Config.MaxBodyBytes; when the token
//     verifies and ParseForm would parse the body without error (POST, PUT
//     or PATCH, a well-formed Content-Type), the handler gets r.PostForm
//     already filled in exactly as ParseForm would fill it (so the form is
//     not read and parsed twice). A multipart form is read only up to its
//     token field (see Uploads). r.Body can always still be read from the
//     start.
//
// # Uploads
//
// Put the token field first in a multipart form, before every file part:
//
//	<form method="post" enctype="multipart/form-data">
//	  {{ csrfField .Request }}
//	  <input type="file" name="upload">
//	</form>
//
// The Protector then reads the parts up to the token field (other fields
// before it are skipped; the token must be among the first 1000 parts, or
// the request fails with ErrTooManyParts), verifies the token, and hands
// the handler the body from its first byte, unchanged, with r.MultipartForm
// still nil: the handler streams the upload with r.MultipartReader, or
// parses it with r.ParseMultipartForm, and bounds its size itself (with
// http.MaxBytesReader). Config.MaxBodyBytes bounds only what the Protector
// reads, and it creates no temporary files. A body that ends before the
// token part does is refused with ErrBadBody; one that ends later reaches
// the handler, whose own reading fails. A token after a file part can only
// be found by parsing the whole form: the Protector does so within
// MaxBodyBytes (ErrBodyTooLarge past it), spilling files beyond 32 MiB to
// temporary files it removes when the handler returns, and the handler gets
// the parsed form. A token in the X-CSRF-Token header is checked first, and
// then no byte of the body is read.
//
// The Protector is not an upload limit: a token-first upload reaches the
// handler whatever its size, as it would without a Protector. Bound upload
// routes with http.MaxBytesHandler or http.MaxBytesReader, and after
// r.ParseMultipartForm call r.MultipartForm.RemoveAll when the handler is
// done: net/http removes the temporary files only of the request it made,
// and most routers and middlewares (chi, auth.Handler) hand the handler a
// copy.
//
// # Token and secret
//
// Each client has a 32-byte secret from crypto/rand. Every rendering of a
// token draws a fresh 32-byte mask: token = base64url(mask || mask XOR
// secret), so tokens differ on every render (no BREACH compression oracle)
// while all of them verify — several tabs keep working. Verification checks
// the length before decoding and compares in constant time.
//
// By default the secret lives in a cookie, base64url(secret || HMAC-SHA256(
// Config.Key, secret, session)): OWASP's signed double-submit cookie. The
// signature stops a forged cookie, but on its own not a genuine one: an
// attacker can get a validly signed cookie (and its token) from your app
// for themselves. What stops them from planting it in the victim's browser
// is, over HTTPS, the "__Host-" prefix (a sibling subdomain cannot set a
// "__Host-" cookie) and, over HTTPS and plain HTTP alike,
// Config.SessionCookie: the signature then covers the session cookie's
// value, so a cookie-and-token pair obtained for the attacker's own session
// fails in the victim's. Over plain HTTP without SessionCookie a sibling
// subdomain (or anyone on the network path) can plant its cookie: use
// HTTPS in production, and set SessionCookie when the app has sessions.
// Over HTTPS the cookie is "__Host-csrf"; always HttpOnly, SameSite=Lax,
// Path=/, Max-Age one year.
// With Config.Secrets the secret lives server-side instead (the session
// package's CSRFSecrets adapter) and no cookie is used.
//
// The cookie is sent only when a token was rendered and the client's
// cookie is missing, invalid, bound to another session or signed with a
// previous key (see Key rotation), or after Rotate. Because templates
// usually write straight to the ResponseWriter, the Protector holds back up
// to 64 KiB of the response of a client that has no secret yet (or whose
// cookie needs re-signing), so it can add the Set-Cookie if the page
// renders a token. A
// token rendered after that point cannot reach the client and is logged.
// A rejected request never receives a Set-Cookie.
//
// # Caches
//
// Any token unmasks to the client's secret, so a response that renders
// one must never be stored by a shared cache (a CDN would hand the secret
// to every visitor, the attacker included). Responses that render a token
// carry Vary: Cookie and a private Cache-Control ("private" is added,
// replacing "public" and "s-maxage"; a handler's "private" or "no-store"
// stays; fields aimed at CDNs, such as CDN-Cache-Control and
// Surrogate-Control, are removed); so does a response that carries the
// csrf cookie, and a FailureHandler's page that renders a token. An HTML
// response (or one without a Content-Type) whose headers go out before
// the handler has finished is treated alike, since a token may still
// follow, except that one whose handler made it storable by shared caches
// (a Cache-Control without "private" or "no-store", or an Expires) is held
// back, up to 64 KiB, until the Protector knows: a page that renders no
// token keeps the caching its handler chose.
//
// The limit: headers cannot change once sent. A token rendered after the
// handler called WriteHeader, or after the first write of a non-HTML
// response (a JSON endpoint that writes its status first), gets neither
// header. Such a handler sets Vary: Cookie and Cache-Control: no-store
// itself, or renders the token first. With Config.Debug the Protector logs
// the first such response it sees.
//
// # Key rotation
//
// To replace Config.Key without logging every client out of its forms,
// move the old key to Config.PreviousKeys and set the new one as Key (on
// every instance; the instances still running the old configuration reject
// cookies signed with the new key, so switch them over together or add the
// new key to their PreviousKeys first). Cookies are always signed with Key;
// a cookie signed with a previous key still verifies, and the next
// response that renders a token for that client carries the same secret
// re-signed with Key, so the tokens in pages the client already has keep
// working. Drop the old key once clients have had time to come back (the
// cookie lives a year, but most clients return within days): from then on
// a cookie signed only with it fails with ErrBadCookie until a page that
// renders a token issues a new one. A leaked key must be removed at once,
// not kept as a previous key. Every key is compared in constant time; a
// cookie signed with Key costs nothing extra, one signed with a previous
// key one extra HMAC per previous key tried. Keys do not matter with
// Config.Secrets, which uses no cookie.
//
// # Session renewal
//
// Call Rotate at login, logout and privilege changes (it fails with
// ErrRejected inside a FailureHandler: a refused request never changes the
// secret). Middleware that must know whether a Protector is in front, as
// auth's login and logout handlers do, asks Protected, which renders no
// token and leaves the response alone.
//
// With SessionCookie, renewing the session ID (as a login must) invalidates
// the csrf cookie's binding: the next page that renders a token issues a new cookie bound to
// the new session, and an unsafe request sent before that page is rejected
// with ErrBadCookie. If the session library has already put its new cookie
// in the response headers when the csrf cookie is written, the new value is
// bound at once.
//
// # Modes
//
// Full (default) enforces every layer. Tokenless enforces only the origin
// layers, for JSON APIs, and — unlike net/http.CrossOriginProtection — fails
// closed with ErrNoMetadata when a request carries none of Sec-Fetch-Site,
// Origin and Referer, unless Config.AllowMissingMetadata; in Tokenless mode
// a present Referer is checked over plain HTTP too. It adds no allocation to
// a passing request. ReportOnly lets every request through and logs, in
// one line, every layer that would have refused it ("Fetch Metadata and
// token would refuse; Origin passes"), for a gradual rollout.
//
// # Every layer's verdict
//
// The Protector stops at the first layer that fails, so a request refused
// by Fetch Metadata says nothing of whether its Origin or its token would
// have stopped it too. Config.Observe asks for every layer's verdict:
// each layer is judged on its own (pass, fail with its reason, or not
// applicable) and the Verdicts are handed to Observe before the request
// is refused or served. Enforcement does not change: the Protector refuses
// for the deciding failure (Verdicts.Decided, Verdicts.Err). Without Observe or ReportOnly
// nothing beyond the first failure is evaluated.
//
// # WebSockets
//
// A WebSocket handshake is a GET, but the connection it opens is not
// guarded by the same-origin policy: a page on any site can call new
// WebSocket("wss://your.app/ws"), the browser sends your cookies along,
// and the page reads whatever the socket sends (Cross-Site WebSocket
// Hijacking). The Protector therefore checks, in both modes, every GET
// whose Upgrade header lists "websocket" (any line, any letter case,
// whatever Connection says) and every HTTP/2 extended CONNECT whose
// :protocol is websocket (RFC 8441). After the exemptions, such a
// handshake must pass the Fetch Metadata and Origin layers: its Origin
// must be the request's own or a trusted origin, and a null, malformed or
// repeated Origin is refused (Chromium sends no Sec-Fetch-Site on a
// handshake, so the Origin decides). The reason is ErrWebSocketOrigin, which also
// wraps the layer's own reason (errors.Is matches ErrBadOrigin too, so
// existing FailureHandlers and the Debug checklist treat it alike). No
// token is asked for (new WebSocket() cannot send one) and the Referer is
// not looked at: every browser sends Origin on a handshake. A handshake
// without Origin therefore comes from a program, and is refused with
// ErrWebSocketNoOrigin unless Config.AllowMissingMetadata (in either mode);
// to take non-browser clients on one endpoint only, exempt it with Exempt
// or Config.ExemptPaths instead. An extended CONNECT is never exempt
// (CONNECT requests never are). A refused handshake never reaches the
// handler, so it is never upgraded, and gets no Set-Cookie. Keep your
// WebSocket library's own origin check on as well. A GET without Upgrade
// costs one header lookup more.
//
// # Trusted origins
//
// Config.TrustedOrigins entries are full "scheme://host[:port]" origins; a
// missing scheme is an error at New. "https://*.example.com" matches any
// subdomain at any depth with the scheme and port enforced, but not the
// apex "https://example.com" (list it separately: being explicit about the
// apex avoids trusting a marketing site by accident). Scheme and host
// compare case-insensitively and default ports are normalised.
//
// # Behind a proxy
//
// Set Config.TrustProxyHeaders only when a proxy you control terminates TLS
// and overwrites X-Forwarded-Proto or Forwarded; then the request counts as
// HTTPS when the nearest proxy says so. The Host header is used as is
// (X-Forwarded-Host is ignored): configure the proxy to preserve Host, or
// list the public origin in TrustedOrigins.
//
// # Failures
//
// Every rejection goes through one funnel: Reason(r) returns the sentinel
// error inside Config.FailureHandler, one slog WARN line is logged with
// reason, method and path (never a token or cookie), and the default
// handler answers 403 with a short HTML page — with Config.Debug, the
// reason and a checklist of likely causes. Malformed, oversized or repeated
// input is a 403 with a reason, never a panic or a 500.
//
// # Templates and JavaScript
//
// Register FuncMap and write one helper per form:
//
//	<form method="post">{{ csrfField .Request }} ...</form>
//
// For fetch, put {{ csrfMeta .Request }} in the <head> and send the header:
//
//	const token = document.querySelector('meta[name="csrf-token"]').content;
//	fetch("/api/items", {
//	  method: "POST",
//	  headers: {"X-CSRF-Token": token, "Content-Type": "application/json"},
//	  body: JSON.stringify(item),
//	});
//
// For htmx, put the header on an element inside the body that holds the
// page's content; the same snippet works with htmx 2 and htmx 4:
//
//	<body hx-boost="true" hx-boost:inherited="true">
//	<main {{ csrfHxHeaders .Request }}>
//	  <button hx-post="/notes" hx-target="#notes">Save</button>
//	</main>
//	<!-- <main hx-headers='{"X-CSRF-Token":"..."}' hx-headers:inherited='{"X-CSRF-Token":"..."}'> -->
//
// htmx 2 inherits hx-headers; htmx 4 inherits only hx-headers:inherited
// (without it every hx-post below gets a 403, which htmx 4 swaps into
// the target). Not on <body> when the page uses hx-boost: a boosted link
// or form swaps the body's content and keeps the body's attributes, so
// after a boosted login (which rotates the secret) a token on <body> is
// the old one and every hx-post fails with ErrTokenMismatch (htmx 2 shows
// nothing; it does not swap a 403). An element inside the body is
// replaced with the new page, token included. A request that logs in or
// out and swaps only a fragment must replace that element too, or reload
// the page. In htmx 4, an element with headers of its own writes
// hx-headers:append (a plain hx-headers replaces the inherited token);
// in htmx 2 its hx-headers merges. templ components, which get a
// context.Context rather than the request, use TokenFromContext,
// FieldFromContext, HXHeadersValueFromContext and the other FromContext
// forms.
//
// A Protector is safe for concurrent use. The package imports only the
// standard library.
package csrf
