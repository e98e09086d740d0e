// This file holds the demo's configuration, construction, listening and
// shutdown.

package demo

import (
	"context"
	"crypto/rand"
	"database/sql"
	"errors"
	"fmt"
	"html/template"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/bulwark-go/bulwark/auth"
	"github.com/bulwark-go/bulwark/auth/sqliteusers"
	"github.com/bulwark-go/bulwark/csrf"
	"github.com/bulwark-go/bulwark/session"
	"github.com/bulwark-go/bulwark/session/sqlitestore"
)

// Defaults for Config's zero values.
const (
	DefaultAddr         = "localhost:8000"
	DefaultAttackerAddr = "127.0.0.1:8001"
	DefaultDataDir      = "bulwark-data"
	// DBFile is the SQLite file inside the data directory that holds the
	// sessions, the users and the notes.
	DBFile = "bulwark.db"
	// DemoUsername is the user CreateDemoUser creates.
	DemoUsername = "demo"
)

// ErrNotLoopback is returned by Listen in unsafe mode when an address is not
// a loopback address: the unsafe demo must never be reachable from another
// machine.
var ErrNotLoopback = errors.New("demo: unsafe mode listens only on loopback addresses")

// Config configures the demo. The zero value runs the safe demo on
// DefaultAddr and DefaultAttackerAddr with its data in DefaultDataDir.
type Config struct {
	// Addr is the victim app's listen address. Zero: DefaultAddr.
	Addr string
	// AttackerAddr is the attacker site's listen address. Its host name must
	// differ from Addr's, or the browser treats both as one site. Zero:
	// DefaultAttackerAddr.
	AttackerAddr string
	// DataDir holds the SQLite database (created with mode 0700 if missing).
	// Zero: DefaultDataDir in the working directory.
	DataDir string
	// Unsafe runs the app the way it must never be written: logout by GET,
	// no CSRF checks, the session cookie SameSite=None; Secure. Every page
	// shows a red banner and Listen accepts only loopback addresses.
	Unsafe bool
	// CookieSameSite is the session cookie's SameSite attribute in safe
	// mode. Zero: http.SameSiteLaxMode. http.SameSiteNoneMode makes the
	// cookie Secure (browsers accept that over http://localhost), which
	// switches off the browser's SameSite help so the CSRF layer holds alone.
	// In unsafe mode it must be zero or http.SameSiteNoneMode.
	CookieSameSite http.SameSite
	// VictimURL and AttackerURL are the origins the pages link to, e.g.
	// "http://localhost:8000". Zero: derived from the listen addresses by
	// Listen ("localhost" for an unspecified host).
	VictimURL, AttackerURL string
	// PasswordParams are the argon2id parameters for new password hashes.
	// Zero: auth.DefaultParams. Cheaper values are for tests only.
	PasswordParams auth.Params
	// AttackLogSize bounds the attack log. Zero: 200 entries.
	AttackLogSize int
	// Logger receives the demo's logs. Zero: slog.Default().
	Logger *slog.Logger
}

// ParseSameSite parses "lax", "strict" or "none" (any case) for
// Config.CookieSameSite; "" gives the zero value.
func ParseSameSite(s string) (http.SameSite, error) {
	switch strings.ToLower(s) {
	case "":
		return 0, nil
	case "lax":
		return http.SameSiteLaxMode, nil
	case "strict":
		return http.SameSiteStrictMode, nil
	case "none":
		return http.SameSiteNoneMode, nil
	}
	return 0, fmt.Errorf("demo: cookie SameSite %q: want lax, strict or none", s)
}

// sameSiteName is the attribute's value as a cookie shows it.
func sameSiteName(s http.SameSite) string {
	switch s {
	case http.SameSiteStrictMode:
		return "Strict"
	case http.SameSiteNoneMode:
		return "None"
	}
	return "Lax"
}

// Demo is the demo app and the attacker site. Create it with New; it is safe
// for concurrent use. Close releases the database.
type Demo struct {
	cfg      Config
	log      *slog.Logger
	db       *sql.DB
	store    *sqlitestore.Store
	sessions *session.Manager
	accounts *auth.Accounts
	authn    *auth.Authenticator
	notes    *notes
	attacks  *AttackLog

	victimURL, attackerURL string

	// lab holds the lab's switches; public is set by Listen when an
	// address it bound is not loopback, which disables the lab.
	lab    *labState
	public atomic.Bool

	victimTmpl   map[string]*template.Template
	attackerTmpl map[string]*template.Template
	victim       http.Handler
	attacker     http.Handler
}

// openDB creates the data directory and opens the shared database.
func openDB(dataDir string) (*sql.DB, error) {
	if dataDir == "" {
		dataDir = DefaultDataDir
	}
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return nil, fmt.Errorf("demo: data directory %q: %w", dataDir, err)
	}
	db, err := sqlitestore.Open(filepath.Join(dataDir, DBFile))
	if err != nil {
		return nil, fmt.Errorf("demo: open database in %q: %w", dataDir, err)
	}
	return db, nil
}

// OpenAccounts opens the user accounts kept in dataDir (the same database
// the demo uses), for the `bulwark user` commands. Zero params:
// auth.DefaultParams. The returned function closes the database.
func OpenAccounts(ctx context.Context, dataDir string, params auth.Params, logger *slog.Logger) (*auth.Accounts, func() error, error) {
	db, err := openDB(dataDir)
	if err != nil {
		return nil, nil, err
	}
	accounts, err := newAccounts(ctx, db, params, logger)
	if err != nil {
		db.Close()
		return nil, nil, err
	}
	return accounts, db.Close, nil
}

func newAccounts(ctx context.Context, db *sql.DB, params auth.Params, logger *slog.Logger) (*auth.Accounts, error) {
	users, err := sqliteusers.New(ctx, sqliteusers.Config{DB: db})
	if err != nil {
		return nil, fmt.Errorf("demo: user store: %w", err)
	}
	accounts, err := auth.NewAccounts(auth.AccountsConfig{Users: users, Params: params, Logger: logger})
	if err != nil {
		return nil, fmt.Errorf("demo: accounts: %w", err)
	}
	return accounts, nil
}

// New validates cfg, opens the database and builds both sites' handlers.
// It does not listen; see Listen, Serve and Run, or mount Victim and
// Attacker on listeners of your own (with different host names).
func New(ctx context.Context, cfg Config) (*Demo, error) {
	if cfg.Addr == "" {
		cfg.Addr = DefaultAddr
	}
	if cfg.AttackerAddr == "" {
		cfg.AttackerAddr = DefaultAttackerAddr
	}
	if cfg.DataDir == "" {
		cfg.DataDir = DefaultDataDir
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Unsafe && cfg.CookieSameSite != 0 && cfg.CookieSameSite != http.SameSiteNoneMode {
		return nil, fmt.Errorf("demo: cookie SameSite %s in unsafe mode: unsafe mode always uses SameSite=None; drop the SameSite setting",
			sameSiteName(cfg.CookieSameSite))
	}
	switch cfg.CookieSameSite {
	case 0, http.SameSiteDefaultMode:
		cfg.CookieSameSite = http.SameSiteLaxMode
	case http.SameSiteLaxMode, http.SameSiteStrictMode, http.SameSiteNoneMode:
	default:
		return nil, fmt.Errorf("demo: cookie SameSite %d: want http.SameSiteLaxMode, StrictMode or NoneMode", cfg.CookieSameSite)
	}
	if cfg.Unsafe {
		cfg.CookieSameSite = http.SameSiteNoneMode
	}
	for _, u := range []string{cfg.VictimURL, cfg.AttackerURL} {
		if u != "" && !strings.HasPrefix(u, "http://") && !strings.HasPrefix(u, "https://") {
			return nil, fmt.Errorf("demo: site URL %q: want an origin such as http://localhost:8000", u)
		}
	}

	d := &Demo{
		cfg:         cfg,
		log:         cfg.Logger,
		attacks:     NewAttackLog(cfg.AttackLogSize),
		lab:         newLabState(initialSwitches(cfg)),
		victimURL:   strings.TrimSuffix(cfg.VictimURL, "/"),
		attackerURL: strings.TrimSuffix(cfg.AttackerURL, "/"),
	}
	var err error
	if d.victimTmpl, err = d.parseVictimTemplates(); err != nil {
		return nil, fmt.Errorf("demo: templates: %w", err)
	}
	if d.attackerTmpl, err = parseAttackerTemplates(); err != nil {
		return nil, fmt.Errorf("demo: templates: %w", err)
	}
	if d.db, err = openDB(cfg.DataDir); err != nil {
		return nil, err
	}
	if err := d.init(ctx); err != nil {
		d.Close()
		return nil, err
	}
	return d, nil
}

// init builds the stores, managers and handlers on the open database.
func (d *Demo) init(ctx context.Context) error {
	var err error
	if d.store, err = sqlitestore.New(ctx, sqlitestore.Config{DB: d.db, Logger: d.log}); err != nil {
		return fmt.Errorf("demo: session store: %w", err)
	}
	if d.accounts, err = newAccounts(ctx, d.db, d.cfg.PasswordParams, d.log); err != nil {
		return err
	}
	if d.notes, err = newNotes(ctx, d.db); err != nil {
		return err
	}
	secure := session.SecureAuto
	if d.cfg.CookieSameSite == http.SameSiteNoneMode {
		secure = session.SecureAlways
	}
	if d.sessions, err = session.New(session.Config{
		Store:    d.store,
		SameSite: d.cfg.CookieSameSite,
		Secure:   secure,
		Logger:   d.log,
	}); err != nil {
		return fmt.Errorf("demo: sessions: %w", err)
	}
	loginTmpl, logoutTmpl := d.victimTmpl["login.html"], d.victimTmpl["logout.html"]
	if d.authn, err = auth.New(auth.Config{
		Accounts:       d.accounts,
		Sessions:       d.sessions,
		LoginTemplate:  loginTmpl,
		LogoutTemplate: logoutTmpl,
		// Unsafe mode has no CSRF protector: that is its point.
		AllowNoCSRF: d.cfg.Unsafe,
		Logger:      d.log,
	}); err != nil {
		return fmt.Errorf("demo: auth: %w", err)
	}
	var protector, observer *csrf.Protector
	if !d.cfg.Unsafe {
		if protector, observer, err = d.protectors(); err != nil {
			return err
		}
	}
	d.victim = d.victimHandler(protector, observer)
	d.attacker = d.attackerHandler()
	return nil
}

// protectors builds the enforcing Protector and the lab's observing one
// (ReportOnly, its log discarded): both share the session's CSRF secret,
// and both hand every verdict to the request's labRequest.
func (d *Demo) protectors() (enforcing, observing *csrf.Protector, err error) {
	cfg := csrf.Config{
		Secrets:        d.sessions.CSRFSecrets(),
		MaxBodyBytes:   1 << 20,
		FailureHandler: http.HandlerFunc(d.csrfFailure),
		Observe:        observe,
		Logger:         d.log,
	}
	if enforcing, err = csrf.New(cfg); err != nil {
		return nil, nil, fmt.Errorf("demo: csrf: %w", err)
	}
	cfg.ReportOnly = true
	cfg.Logger = slog.New(slog.DiscardHandler)
	if observing, err = csrf.New(cfg); err != nil {
		return nil, nil, fmt.Errorf("demo: csrf (lab): %w", err)
	}
	return enforcing, observing, nil
}

// Victim returns the demo app's handler.
func (d *Demo) Victim() http.Handler { return d.victim }

// Attacker returns the attacker site's handler.
func (d *Demo) Attacker() http.Handler { return d.attacker }

// AttackLog returns the log of cross-site requests the demo app received.
func (d *Demo) AttackLog() *AttackLog { return d.attacks }

// Accounts returns the demo's user accounts.
func (d *Demo) Accounts() *auth.Accounts { return d.accounts }

// VictimURL returns the demo app's origin, e.g. "http://localhost:8000"
// ("" before Listen when Config.VictimURL was empty).
func (d *Demo) VictimURL() string { return d.victimURL }

// AttackerURL returns the attacker site's origin.
func (d *Demo) AttackerURL() string { return d.attackerURL }

// Close releases the session store, the authenticator and the database.
func (d *Demo) Close() error {
	var errs []error
	if d.authn != nil {
		errs = append(errs, d.authn.Close())
	}
	if d.store != nil {
		errs = append(errs, d.store.Close())
	}
	if d.db != nil {
		errs = append(errs, d.db.Close())
	}
	return errors.Join(errs...)
}

// CreateDemoUser creates the user DemoUsername when the database has no user
// yet, with password, or a random one when password is empty. It returns
// the password and whether it created the user; with an existing user it
// does nothing.
func (d *Demo) CreateDemoUser(ctx context.Context, password string) (string, bool, error) {
	users, err := d.accounts.List(ctx)
	if err != nil {
		return "", false, fmt.Errorf("demo: list users: %w", err)
	}
	if len(users) > 0 {
		return "", false, nil
	}
	if password == "" {
		password = randomPassword()
	}
	if _, err := d.accounts.Create(ctx, DemoUsername, password); err != nil {
		return "", false, fmt.Errorf("demo: create user %q: %w", DemoUsername, err)
	}
	return password, true, nil
}

// randomPassword returns 16 characters from an alphabet without look-alikes
// (about 80 bits of entropy).
func randomPassword() string {
	const alphabet = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
	b := make([]byte, 16)
	// rand.Read never fails (it aborts the program instead).
	rand.Read(b)
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return string(b)
}

// LiveSessions returns how many live sessions the user has on the server.
// Tests use it to tell, server-side, whether an attack logged the user out.
func (d *Demo) LiveSessions(ctx context.Context, username string) (int, error) {
	u, err := d.accounts.Lookup(ctx, username)
	if err != nil {
		return 0, err
	}
	keys, err := d.store.UserSessions(ctx, u.ID)
	return len(keys), err
}

// Notes returns the user's notes, newest first.
func (d *Demo) Notes(ctx context.Context, username string) ([]Note, error) {
	u, err := d.accounts.Lookup(ctx, username)
	if err != nil {
		return nil, err
	}
	return d.notes.all(ctx, u.ID)
}

// Listen opens both listeners. In unsafe mode it refuses any address that is
// not loopback, both as written and as actually bound. It fills in the site
// URLs that Config left empty.
func (d *Demo) Listen(ctx context.Context) (victim, attacker net.Listener, err error) {
	if victim, err = d.listen(ctx, d.cfg.Addr); err != nil {
		return nil, nil, err
	}
	if attacker, err = d.listen(ctx, d.cfg.AttackerAddr); err != nil {
		victim.Close()
		return nil, nil, err
	}
	if d.victimURL == "" {
		d.victimURL = originFor(d.cfg.Addr, victim)
	}
	if d.attackerURL == "" {
		d.attackerURL = originFor(d.cfg.AttackerAddr, attacker)
	}
	d.public.Store(!isLoopbackListener(victim) || !isLoopbackListener(attacker))
	return victim, attacker, nil
}

func (d *Demo) listen(ctx context.Context, addr string) (net.Listener, error) {
	if d.cfg.Unsafe {
		if err := checkLoopbackAddr(ctx, addr); err != nil {
			return nil, err
		}
	}
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("demo: listen on %q: %w", addr, err)
	}
	if d.cfg.Unsafe {
		if !isLoopbackListener(ln) {
			ln.Close()
			return nil, fmt.Errorf("%w: %q is bound to %s; use localhost or 127.0.0.1", ErrNotLoopback, addr, ln.Addr())
		}
	}
	return ln, nil
}

// isLoopbackListener reports whether ln is bound to a loopback address.
func isLoopbackListener(ln net.Listener) bool {
	ta, ok := ln.Addr().(*net.TCPAddr)
	return ok && ta.IP.IsLoopback()
}

// checkLoopbackAddr refuses an address whose host is empty, unspecified, or
// resolves to anything but loopback addresses.
func checkLoopbackAddr(ctx context.Context, addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("demo: address %q: %w", addr, err)
	}
	if host == "" {
		return fmt.Errorf("%w: %q listens on every interface; use localhost:PORT or 127.0.0.1:PORT", ErrNotLoopback, addr)
	}
	ips, err := net.DefaultResolver.LookupIPAddr(ctx, host)
	if err != nil {
		return fmt.Errorf("demo: address %q: %w", addr, err)
	}
	for _, ip := range ips {
		if !ip.IP.IsLoopback() {
			return fmt.Errorf("%w: %q resolves to %s; use localhost or 127.0.0.1", ErrNotLoopback, addr, ip.IP)
		}
	}
	return nil
}

// originFor builds "http://host:port" from the configured address and the
// bound port.
func originFor(addr string, ln net.Listener) string {
	host, _, _ := net.SplitHostPort(addr)
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		host = "localhost"
	}
	port := 0
	if ta, ok := ln.Addr().(*net.TCPAddr); ok {
		port = ta.Port
	}
	return "http://" + net.JoinHostPort(host, strconv.Itoa(port))
}

// SameHostName reports whether two listen addresses share a host name, in
// which case a browser treats the attacker site as the same site as the app
// (cookies ignore ports) and the demo shows nothing useful.
func SameHostName(addr1, addr2 string) bool {
	h1, _, err1 := net.SplitHostPort(addr1)
	h2, _, err2 := net.SplitHostPort(addr2)
	return err1 == nil && err2 == nil && strings.EqualFold(h1, h2)
}

// Serve serves the demo app on victim and the attacker site on attacker
// until ctx ends, then shuts both down gracefully (waiting up to 5 s for
// requests in flight). It returns nil after a shutdown caused by ctx.
func (d *Demo) Serve(ctx context.Context, victim, attacker net.Listener) error {
	errLog := slog.NewLogLogger(d.log.Handler(), slog.LevelWarn)
	servers := []*http.Server{
		{Handler: d.victim, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 2 * time.Minute, ErrorLog: errLog},
		{Handler: d.attacker, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 2 * time.Minute, ErrorLog: errLog},
	}
	errc := make(chan error, 2)
	for i, ln := range []net.Listener{victim, attacker} {
		go func() { errc <- servers[i].Serve(ln) }()
	}
	var err error
	select {
	case <-ctx.Done():
	case err = <-errc:
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	for _, s := range servers {
		if e := s.Shutdown(sctx); e != nil && err == nil {
			err = e
		}
	}
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	return err
}

// Run listens (see Listen) and serves (see Serve) until ctx ends.
func (d *Demo) Run(ctx context.Context) error {
	victim, attacker, err := d.Listen(ctx)
	if err != nil {
		return err
	}
	return d.Serve(ctx, victim, attacker)
}
