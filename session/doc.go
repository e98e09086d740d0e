// Package session provides server-side HTTP sessions for net/http: a
// Manager with middleware, a Store interface with versioned commits, and
// an adapter that keeps the csrf package's secret in the session.
//
// # Threat model
//
// The session cookie is a bearer credential. The package defends it and
// the data behind it as follows:
//
//   - Guessing: an ID is 256 bits from crypto/rand, base64url-encoded.
//     Cookie values that are not exactly such an ID are ignored.
//   - Store leaks: a Store only ever sees the hex SHA-256 of an ID (HashID),
//     so a dump of the store, its logs or its backups yields no usable
//     cookie. IDs and store keys are never logged.
//   - Fixation: an ID the server did not issue, or one whose session ended,
//     is never adopted; the next write issues a fresh ID. Renew (called by
//     BindUser at login) moves the data to a new ID and retires the old one.
//   - A shared browser: BindUser to another user than the one bound deletes
//     the old session and starts an empty one, so nothing leaks between
//     users who log in one after the other.
//   - Replay after logout: Destroy deletes the session in the store, so a
//     copied cookie is worthless afterwards, unlike signed-cookie sessions.
//     DestroyUserSessions ends every session of a user through the store's
//     user index, without scanning other sessions.
//   - Theft in transit and by scripts: HttpOnly always; Secure with the
//     __Host- name prefix on HTTPS (so no subdomain or plain-HTTP page can
//     plant or overwrite it); SameSite=Lax by default.
//   - Shared caches: a response that used the session says Vary: Cookie;
//     one that sets the cookie says Cache-Control: private (a handler's
//     "no-store" or "private" stays; "public", "s-maxage" and fields aimed
//     at CDNs, such as CDN-Cache-Control, are dropped),
//     so no shared cache may store it, whatever its Expires, and a CDN
//     cannot hand one visitor's session ID to the next.
//   - Stale sessions: an idle timeout and an absolute lifetime that activity
//     never extends.
//   - Lost updates: concurrent requests of one session that change
//     different keys all keep their changes (see Concurrency).
//   - Store faults: a request whose session cannot be loaded or committed
//     is answered by Config.ErrorHandler (503 by default); it is never
//     served as an anonymous request and never silently loses its changes.
//
// Not covered: XSS that acts within a live session, malware on the client,
// and CSRF (use the csrf package, inside Handler).
//
// # Use
//
//	store, _ := memstore.New(memstore.Config{})
//	sessions, err := session.New(session.Config{Store: store})
//	...
//	mux.HandleFunc("POST /login", func(w http.ResponseWriter, r *http.Request) {
//		// after checking the password:
//		if err := sessions.BindUser(r.Context(), userID); err != nil { ... }
//		http.Redirect(w, r, "/", http.StatusSeeOther)
//	})
//	http.ListenAndServe(addr, sessions.Handler(mux))
//
// Middleware order with csrf: sessions.Handler(protector.Handler(mux)),
// with csrf.Config.Secrets = sessions.CSRFSecrets() to keep the CSRF secret
// server-side.
//
// # Loading and committing
//
// A request's session is loaded on first use (any accessor, UserID, Renew,
// ...); a request that never touches it does no store I/O. It is committed
// only when the request changed something, just before the response
// headers are written (the first WriteHeader, Write, ReadFrom, Flush or
// Hijack), or when the handler returns if it wrote nothing. Changes made
// after the headers went out are still committed at handler return when
// they need no new cookie; changes that need one (a new session, Renew,
// BindUser, RememberMe) are dropped and logged, because the browser could
// never learn the new ID. A hijacked connection cannot carry a new cookie
// either.
//
// # Expiry
//
// Every session has an absolute deadline, set at creation to now+Lifetime
// and reset only by BindUser (a new login); activity never extends it. It
// also has an idle deadline, lastSeen+IdleTimeout, where lastSeen is the
// time of the last commit. A request that changes nothing writes to the
// store only when lastSeen is older than min(IdleTimeout/10, 1 minute):
// a "lightweight" refresh that rewrites the same data. So a read-mostly
// session costs at most one write per minute, and a session actually ends
// after between IdleTimeout-min(IdleTimeout/10, 1m) and IdleTimeout of
// inactivity. A failed refresh is logged and does not fail the request.
// The Store is told the earlier of the two deadlines as Record.Expiry.
//
// The cookie is a browser-session cookie by default; with Config.Persist
// or RememberMe(ctx, true) it is persistent and expires at the absolute
// deadline. Either way the server enforces both deadlines.
//
// # Concurrency
//
// The Manager records which keys a request put or deleted, and commits
// with the version it loaded (Store.Commit is a compare-and-swap). On
// ErrConflict it reads the session again, re-applies only its own changed
// keys (and its user binding and cookie choices, if changed) onto the
// newer values, and retries: at most MaxCommitAttempts (10) attempts in
// all, with a short random back-off after the second. Within one process
// commits to the same session are also serialised, so they rarely
// conflict more than once. Consequences:
//
//   - Requests changing different keys all keep their changes.
//   - When two requests change the same key, the one that commits last
//     wins, whatever the order in which they started.
//   - A request that changed nothing never writes (except the idle refresh).
//   - If the session was destroyed or expired while the request ran, its
//     changes are dropped (and logged); a destroyed session is never
//     resurrected. Its response leaves the cookie alone: the request that
//     ended the session expired it, and by now the browser may hold the
//     cookie of a newer session.
//   - Renew retires the old ID with a compare-and-swap (an expired
//     tombstone committed over the version it merged), so a change another
//     request commits to the old ID during the renewal is carried over,
//     never lost. If the session ends during a Renew (logout in another
//     tab, DestroyUserSessions), the renewal ends too; only a BindUser (a
//     fresh login) then goes on, keeping just its own request's changes.
//   - A request that loaded the session before another request renewed it
//     (an autosave racing "log out other devices") commits its changes to
//     the renewed session: the tombstone names the renewed session's store
//     key for 5 minutes. Its response sends no cookie, so the browser keeps
//     the new ID the renewing response set, whichever arrives last. A
//     renewal that changed the user (a login) is not followed: a request
//     on the anonymous session never writes into the logged-in one. Nor
//     does a renewal follow another: a Renew on an ID that another request
//     renewed meanwhile ends like one on a destroyed session, so a request
//     still running on a retired ID (a thief's, with a stolen cookie) never
//     gets an ID for the renewed session. A request that followed a
//     renewal does read, for the rest of that request, what the renewed
//     session holds; it never learns its ID.
//
// Manager is safe for concurrent use, and so is each request's session:
// a handler may use it from several goroutines.
//
// # Store faults
//
// A store error or timeout (Config.StoreTimeout, 5s by default) while
// loading, committing or destroying is logged once (keys reason, method,
// path; never the ID) and recorded for the request:
//
//   - accessors return zero values and ok=false; Renew, BindUser, Destroy,
//     DestroyUserSessions and the CSRF adapter return the error;
//   - Err(ctx) reports it (it wraps ErrUnavailable), so a handler can stop
//     early;
//   - if the response has not started, the Manager discards the handler's
//     response (headers included) and serves Config.ErrorHandler instead,
//     by default a short 503 page; later writes by the handler return the
//     error and send nothing;
//   - nothing is committed for that request, so a session that failed to
//     load is never overwritten by an empty one.
//
// A client that goes away (closes the tab or the connection) cancels the
// request's context, and a load made with it fails. Unless the load had
// run for a second (then the store is slow, and it is a fault), that is
// not a store fault: it is logged at Debug only, Err reports
// ErrClientGone (which does not wrap ErrUnavailable), nothing is
// committed, and the response is a bare status 499 (nginx's "Client
// Closed Request", rarely read, but recorded by access logs) instead of
// ErrorHandler's. Such a request does nothing: a logout whose client left
// before its session loaded has not happened. Once loaded, a session's
// writes (commits, Destroy's delete) are not cancelled by the client
// going away: they finish, bounded by StoreTimeout, so a change is never
// lost half-way, and their errors stay faults. The fault a Manager logged
// is marked, so that csrf and auth above it do not log it again.
//
// A fault noticed after the response started cannot change it any more;
// handlers that write before touching the session should check Err.
// Corrupt or unreadable stored data is not a fault: it is treated as no
// session (and logged).
//
// # Keys
//
// Keys beginning with a NUL byte are reserved for the Manager (session
// metadata and the CSRF secret); accessors ignore them. Each value carries
// its type, so reading it as another type reports ok=false.
package session
