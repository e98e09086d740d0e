// This file holds `bulwark audit`.

package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"golang.org/x/term"

	"github.com/bulwark-go/bulwark/cmd/bulwark/internal/audit"
)

// Exit codes of `bulwark audit` beyond exitOK and exitUsage.
const (
	exitFindings = 1 // a finding at or above -fail-on
	exitNoAudit  = 3 // the audit could not run: unreachable, TLS, login, ...
)

const auditUsage = `Usage: bulwark audit URL [flags]

Crawls the HTML pages of URL's origin (and only that origin: it never
follows a link to another host) and reports where another site could make
a signed-in user's browser change state there: cross-site request forgery.

Passive checks (always; they only read):
  - POST forms without an anti-CSRF token
  - links and GET forms that look state-changing (logout, delete, ...);
    the crawl never follows them
  - session cookies without SameSite, HttpOnly or Secure, or without the
    __Host- prefix on HTTPS
  - tokens in URLs, and token pages a shared cache could serve to others

Active checks (-active) SEND FORGED REQUESTS THAT CHANGE STATE ON THE
TARGET: they may log the session out, save, delete or send things. Use them
only on sites you own or are allowed to test. They send each state-changing
GET as a cross-site <img> and link would, and replay each POST form as a
cross-site auto-submitted form would (no token, another session's token, an
altered token, and as an older browser without Fetch Metadata), attaching
only the cookies the browser's SameSite rules allow. A form's replays stop
at the first the server takes. They compare the site before and after and
give each target a verdict:
  vulnerable                  a forged request changed state
  protected only by SameSite  it works once the cookie is attached
  accepted, no change seen    the server took it, but the audit saw no
                              effect (check it by hand)
  protected                   the server refused it (a server that refuses
                              cross-site requests by Sec-Fetch-Site or
                              Origin without a token is protected)
The login form is tried with a made-up user only; other forms with a
password field, and forms with a file field, are never replayed.

Sign in first with -login URL -user NAME (the password from the
environment variable -password-env names), or give a session with -cookie.

It reads HTML forms (and htmx's hx-post) and links; requests that scripts
build (fetch, XMLHttpRequest) are not seen. The crawl sends only GETs and
skips the links whose path or label looks state-changing, but a GET that
changes state under a name it does not know would be followed: audit a
staging copy. HTTPS is verified against the system's CAs; for a
development CA, SSL_CERT_FILE=ca.pem adds it.

Exit status: 0 no finding at or above -fail-on; 1 findings at or above
-fail-on (even if the audit did not finish); 2 usage error; 3 the audit could not run (unreachable host, TLS
error, redirect loop or off-origin redirect at the start, a start page that
is not HTML, a failed login, a site that keeps answering 429) or did not
finish (the time limit, a session it could not restore: the report says so).

Flags:
`

func (e *env) audit(args []string) int {
	fs := flag.NewFlagSet("bulwark audit", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), auditUsage)
		fs.PrintDefaults()
	}
	var cfg audit.Config
	fs.BoolVar(&cfg.Active, "active", false, "forge requests that CHANGE STATE on the target (only for sites you own or may test)")
	fs.StringVar(&cfg.Login, "login", "", "login page `URL` (on the audited origin); signs in through its form")
	fs.StringVar(&cfg.User, "user", "", "user `NAME` for -login")
	passwordEnv := fs.String("password-env", "BULWARK_AUDIT_PASSWORD", "environment `VARIABLE` that holds the password for -login")
	fs.StringVar(&cfg.Cookie, "cookie", "", "session cookie(s) of a signed-in user, `name=value[; name2=value2]` (instead of -login)")
	fs.IntVar(&cfg.MaxPages, "max-pages", audit.DefaultMaxPages, "most pages to crawl")
	maxDepth := fs.Int("max-depth", audit.DefaultMaxDepth, "most links to follow from the start page (0: the start page alone)")
	fs.DurationVar(&cfg.Timeout, "timeout", audit.DefaultTimeout, "time limit for the whole audit")
	fs.Float64Var(&cfg.Rate, "rate", audit.DefaultRate, "most requests per second")
	fs.Int64Var(&cfg.MaxBody, "max-body", audit.DefaultMaxBody, "largest page to read, in bytes")
	jsonOut := fs.Bool("json", false, "print the report as JSON on standard output, instead of the summary")
	htmlFile := fs.String("html", "", "also write a self-contained HTML report with the evidence to `FILE`")
	failOn := fs.String("fail-on", "medium", "exit 1 when a finding has this severity or higher: info, low, medium or high")
	quiet := fs.Bool("q", false, "no progress line")

	target, rest := splitTarget(args)
	if err := fs.Parse(rest); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK
		}
		return exitUsage
	}
	if target == "" && fs.NArg() > 0 {
		target, rest = fs.Arg(0), fs.Args()[1:]
		if err := fs.Parse(rest); err != nil {
			return exitUsage
		}
	}
	if fs.NArg() > 0 {
		return e.usagef("audit: unexpected argument %q", fs.Arg(0))
	}
	if target == "" {
		fs.Usage()
		return exitUsage
	}
	threshold, err := audit.ParseSeverity(*failOn)
	if err != nil {
		return e.usagef("-fail-on: %v", err)
	}
	cfg.MaxDepth = *maxDepth
	if *maxDepth == 0 {
		cfg.MaxDepth = audit.StartPageOnly
	}
	if *maxDepth < 0 {
		return e.usagef("audit: -max-depth must be at least 0")
	}
	if code := e.checkAuditFlags(&cfg, *passwordEnv); code != exitOK {
		return code
	}
	if _, err := audit.ParseTarget(target); err != nil {
		return e.usagef("audit: %v", err)
	}
	cfg.Target = target
	if !*quiet {
		cfg.Progress = progressLine(e.stderr)
	}

	var html *os.File
	if *htmlFile != "" {
		// A temporary file beside it, created first: a path that cannot be
		// written fails now, not after the audit, and a failed audit
		// leaves an earlier report in place.
		if html, err = os.CreateTemp(filepath.Dir(*htmlFile), ".bulwark-audit-*.html"); err != nil {
			return e.usagef("audit: -html: %v", err)
		}
		defer os.Remove(html.Name()) // a no-op once renamed
		defer html.Close()
	}
	report, err := audit.Run(e.ctx, cfg)
	if cfg.Progress != nil {
		cfg.Progress(-1, -1)
	}
	if err != nil {
		fmt.Fprintf(e.stderr, "bulwark: audit: %s\n", audit.Printable(err.Error()))
		return exitNoAudit
	}
	if html != nil {
		if err := writeHTMLReport(html, *htmlFile, report); err != nil {
			fmt.Fprintf(e.stderr, "bulwark: audit: -html: %v\n", err)
			return exitNoAudit
		}
	}
	if *jsonOut {
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(report); err != nil {
			return e.errorf("%v", err)
		}
	} else {
		audit.WriteText(e.stdout, report)
	}
	switch {
	case len(report.Findings) > 0 && report.Worst() >= threshold:
		return exitFindings
	case !report.Complete:
		fmt.Fprintf(e.stderr, "bulwark: audit: incomplete: it stopped before it checked everything (see the notes)\n")
		return exitNoAudit
	}
	return exitOK
}

// splitTarget lets the URL come first ("audit URL -active"), as the flag
// package wants flags first otherwise.
func splitTarget(args []string) (string, []string) {
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		return args[0], args[1:]
	}
	return "", args
}

// checkAuditFlags checks the sign-in flags and reads the password.
func (e *env) checkAuditFlags(cfg *audit.Config, passwordEnv string) int {
	switch {
	case cfg.Login != "" && cfg.Cookie != "":
		return e.usagef("audit: give -login or -cookie, not both")
	case cfg.Login != "" && cfg.User == "":
		return e.usagef("audit: -login needs -user NAME")
	case cfg.Login == "" && cfg.User != "":
		return e.usagef("audit: -user needs -login URL")
	case cfg.MaxPages < 1 || cfg.Timeout <= 0 || cfg.Rate <= 0 || cfg.MaxBody < 1:
		return e.usagef("audit: -max-pages, -timeout, -rate and -max-body must be positive")
	}
	if cfg.Cookie != "" {
		if _, err := http.ParseCookie(cfg.Cookie); err != nil {
			return e.usagef("audit: -cookie: want name=value[; name2=value2]: %v", err)
		}
	}
	if cfg.Login != "" {
		cfg.Password = e.getenv(passwordEnv)
		if cfg.Password == "" {
			return e.usagef("audit: -login needs the password in $%s (or name another variable with -password-env)", passwordEnv)
		}
	}
	return exitOK
}

// progressLine returns a Progress func that redraws one line on a
// terminal, or prints a line every 50 requests elsewhere. (-1, -1) ends it.
func progressLine(w io.Writer) func(pages, requests int) {
	f, ok := w.(*os.File)
	tty := ok && term.IsTerminal(int(f.Fd()))
	last := time.Time{}
	return func(pages, requests int) {
		switch {
		case pages < 0 && tty:
			fmt.Fprint(w, "\r\033[K")
		case pages < 0:
		case tty && time.Since(last) > 100*time.Millisecond:
			last = time.Now()
			fmt.Fprintf(w, "\r\033[Kaudit: %d pages read, %d requests sent", pages, requests)
		case !tty && requests%50 == 0:
			fmt.Fprintf(w, "audit: %d pages read, %d requests sent\n", pages, requests)
		}
	}
}

// writeHTMLReport writes the HTML report to f, then puts it at path.
func writeHTMLReport(f *os.File, path string, r *audit.Report) error {
	if err := audit.WriteHTML(f, r); err != nil {
		return err
	}
	if err := f.Chmod(0o644); err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), path)
}
