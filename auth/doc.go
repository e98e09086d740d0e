// Package auth provides password login for net/http apps built on the
// session and csrf packages: argon2id password hashing, a user store
// contract (SQLite in auth/sqliteusers), login throttling, POST-only
// login and logout handlers, a RequireLogin middleware and CurrentUser.
//
// # Threat model
//
// What it defends against, and how:
//
//   - Offline cracking of a stolen user database: argon2id in the PHC
//     format with a 16-byte random salt and at least the OWASP minimum
//     parameters (m=19 MiB, t=2, p=1); hashes made with older parameters
//     are upgraded at the next successful login (NeedsRehash).
//   - Online guessing: a Limiter per username and per client address
//     (IPv6 per /64) with exponential back-off after a number of free
//     failures, answered with 429 and Retry-After. Limits are checked
//     before any hashing and inside the hashing slot, so a burst of
//     parallel guesses gains at most MaxConcurrentHashes extra attempts.
//     X-Forwarded-For is read only from configured TrustedProxies.
//   - Resource exhaustion: passwords over 1024 bytes are refused before
//     hashing; concurrent argon2id runs are bounded; a PHC string with
//     absurd parameters (planted in the database) is refused unread; the
//     login form body is capped at 64 KiB.
//   - User enumeration: an unknown username, a wrong password and a
//     disabled account give the same response and run the same argon2id
//     work (unknown users are checked against a dummy hash made with the
//     current parameters). A user whose stored hash uses other parameters
//     answers in a different time until their next login upgrades it.
//   - Session fixation: every login gets a new session ID, even when the
//     same user is already logged in (Django keeps it in that case).
//   - Login CSRF and forced logout: the handlers run behind a
//     csrf.Protector, so the login form carries a token before anyone is
//     logged in and logout is a CSRF-checked POST. GET /logout answers 405
//     with a page holding a logout button, so an <img> or a link from
//     another site cannot log anyone out. Without a Full-mode Protector in
//     front the handlers refuse POSTs (500, logged) unless
//     Config.AllowNoCSRF is set.
//   - Token reuse across privilege changes: the CSRF secret is rotated at
//     login, logout and password change.
//   - Stale sessions after a password change or account disable: the
//     session holds a fingerprint of the password hash (a truncated
//     SHA-256 of the user ID and PHC string, never the hash itself); the
//     middleware ends any session whose fingerprint no longer matches, or
//     whose user is disabled or gone, at its next request. ChangePassword
//     also deletes the user's other sessions at once.
//   - Open redirects: "next" is followed only when IsSafeRedirect accepts
//     it (a path-absolute, printable-ASCII URL that stays on the origin
//     under every percent-decoding).
//
// Not covered: phishing and credential stuffing with valid passwords
// (consider a second factor), XSS within a live session, malware on the
// client, and throttling across instances with the in-memory limiter (use
// auth/redislimit). Logs carry user IDs, never usernames of failed
// attempts, passwords, tokens or session IDs.
//
// # Use
//
// Middleware order: session Handler (outer) → csrf Handler →
// Authenticator.Handler → mux. Mount LoginHandler and LogoutHandler
// without a method in the pattern ("/login", "/logout") so that they
// answer GET themselves. See the package example for a complete app.
//
// Usernames are normalised with the PRECIS UsernameCaseMapped profile of
// RFC 8265 (width mapping, case folding, NFC; no spaces), so "Alice" and
// "ＡＬＩＣＥ" are one account. Passwords are prepared with the PRECIS
// OpaqueString profile (NFC; control characters refused) before hashing.
package auth
