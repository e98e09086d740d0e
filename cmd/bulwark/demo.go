// This file holds `bulwark demo`.

package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"

	"github.com/bulwark-go/bulwark/cmd/bulwark/internal/demo"
)

func (e *env) demo(args []string) int {
	fs := flag.NewFlagSet("bulwark demo", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	addr := fs.String("addr", demo.DefaultAddr, "listen address of the demo app")
	attackerAddr := fs.String("attacker-addr", demo.DefaultAttackerAddr, "listen address of the attacker site (use another host name than -addr)")
	dataDir := fs.String("data", demo.DefaultDataDir, "data directory (SQLite database inside)")
	unsafe := fs.Bool("unsafe", false, "run WITHOUT protections: GET logout, no CSRF checks, SameSite=None cookie (loopback only)")
	sameSite := fs.String("cookie-samesite", "lax", "session cookie SameSite in safe mode: lax, strict or none (none implies Secure)")
	tour := fs.Bool("tour", false, "print the lab tour's URL and its four steps at start (the lab still starts with every layer on)")
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), `Usage: bulwark demo [flags]

Runs the demo notes app (protected by Bulwark's csrf, session and auth
packages) and an attacker site on another host name that tries classic
cross-site request forgeries against it. On first run with an empty data
directory it creates the user "demo" with a random password (or
$BULWARK_DEMO_PASSWORD) and prints it. Ctrl-C stops it.

The app's lab (/lab) switches each defence live — the session cookie's
SameSite, the logout method, the Fetch Metadata, Origin/Referer and token
checks — and shows what each layer made of each attack; /lab/tour walks
through its presets in order. The lab starts with every layer on (the
session cookie as -cookie-samesite says; Lax by default). The lab
answers only on loopback addresses, and not in -unsafe mode.

Flags:
`)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK
		}
		return exitUsage
	}
	if fs.NArg() > 0 {
		return e.usagef("demo: unexpected argument %q", fs.Arg(0))
	}
	ss, err := demo.ParseSameSite(*sameSite)
	if err != nil {
		return e.usagef("-cookie-samesite: %v", err)
	}
	setFlags := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { setFlags[f.Name] = true })
	if *unsafe {
		if setFlags["cookie-samesite"] && ss != http.SameSiteNoneMode {
			return e.usagef("-unsafe always uses SameSite=None; drop -cookie-samesite %s", *sameSite)
		}
		ss = 0
	}

	logger := slog.New(slog.NewTextHandler(e.stderr, nil))
	if demo.SameHostName(*addr, *attackerAddr) {
		logger.Warn("bulwark: the app and the attacker site share a host name: the browser treats them as ONE site (cookies ignore ports), so the attacks prove nothing; give -attacker-addr another host name, e.g. 127.0.0.1 vs localhost",
			"addr", *addr, "attacker_addr", *attackerAddr)
	}

	d, err := demo.New(e.ctx, demo.Config{
		Addr:           *addr,
		AttackerAddr:   *attackerAddr,
		DataDir:        *dataDir,
		Unsafe:         *unsafe,
		CookieSameSite: ss,
		Logger:         logger,
	})
	if err != nil {
		return e.errorf("%v", err)
	}
	defer d.Close()

	password, created, err := d.CreateDemoUser(e.ctx, e.getenv("BULWARK_DEMO_PASSWORD"))
	if err != nil {
		return e.errorf("%v", err)
	}
	victimLn, attackerLn, err := d.Listen(e.ctx)
	if err != nil {
		return e.errorf("%v", err)
	}

	w := e.stdout
	fmt.Fprintf(w, "\nBulwark demo")
	if *unsafe {
		fmt.Fprintf(w, " — UNSAFE MODE: no CSRF checks, GET logs out, SameSite=None cookie")
	}
	fmt.Fprintf(w, "\n\n  Open the app:      %s/\n", d.VictimURL())
	fmt.Fprintf(w, "  Attacker site:     %s/\n", d.AttackerURL())
	fmt.Fprintf(w, "  Attack log:        %s/attack-log\n", d.VictimURL())
	if d.Lab().Available {
		fmt.Fprintf(w, "  Lab:               %s/lab\n", d.VictimURL())
	}
	switch {
	case created && e.getenv("BULWARK_DEMO_PASSWORD") != "":
		fmt.Fprintf(w, "  User:              %s (password from BULWARK_DEMO_PASSWORD)\n", demo.DemoUsername)
	case created:
		fmt.Fprintf(w, "  User:              %s\n  Password:          %s\n", demo.DemoUsername, password)
	default:
		fmt.Fprintf(w, "  Users:             already set up in %s (bulwark user list -data %s)\n", *dataDir, *dataDir)
	}
	if *tour {
		printTour(w, d, *unsafe)
	}
	fmt.Fprintf(w, "\n  Log in, save a note, then open the attacker site in the same browser\n  and watch the attack log. Ctrl-C stops the demo.\n\n")

	logger.Info("bulwark demo listening", "app", d.VictimURL(), "attacker", d.AttackerURL(),
		"unsafe", *unsafe, "data", *dataDir)
	if err := d.Serve(e.ctx, victimLn, attackerLn); err != nil {
		return e.errorf("%v", err)
	}
	logger.Info("bulwark demo stopped")
	return exitOK
}

// printTour prints the lab tour's URL and its steps, one per preset.
func printTour(w io.Writer, d *demo.Demo, unsafe bool) {
	if unsafe {
		fmt.Fprintf(w, "\n  The lab tour is unavailable in -unsafe mode; restart without -unsafe.\n")
		return
	}
	if !d.Lab().Available {
		fmt.Fprintf(w, "\n  The lab tour is unavailable: the demo listens on a non-loopback address.\n")
		return
	}
	fmt.Fprintf(w, "\n  Lab tour:          %s/lab/tour\n", d.VictimURL())
	for i, p := range demo.Presets {
		fmt.Fprintf(w, "\n  Step %d: %s (preset %s)\n", i+1, p.Title, p.Name)
		for _, line := range wrap(p.Explain, 68) {
			fmt.Fprintf(w, "    %s\n", line)
		}
	}
	fmt.Fprintf(w, "\n  Note: %s\n", strings.Join(wrap(demo.ThirdPartyCookieNote, 66), "\n        "))
}

// wrap breaks s into lines of at most width characters, at spaces.
func wrap(s string, width int) []string {
	var lines []string
	line := ""
	for _, word := range strings.Fields(s) {
		if line != "" && len(line)+1+len(word) > width {
			lines = append(lines, line)
			line = ""
		}
		if line != "" {
			line += " "
		}
		line += word
	}
	if line != "" {
		lines = append(lines, line)
	}
	return lines
}
