// Command bulwark runs Bulwark's live demo, manages its users and audits
// sites for cross-site request forgery.
//
// Usage:
//
//	bulwark demo [-addr localhost:8000] [-attacker-addr 127.0.0.1:8001] [-data DIR] [-unsafe] [-cookie-samesite lax|strict|none] [-tour]
//	bulwark user add|passwd|disable|list [-data DIR] [NAME]
//	bulwark audit URL [-active] [-login URL -user NAME] [-cookie C] [-json] [-html FILE] [-fail-on SEVERITY]
//
// `bulwark demo` serves a small notes app protected by the csrf, session and
// auth packages, and an "attacker site" on another host name whose pages try
// classic cross-site request forgeries against it. The app's attack log shows
// each attempt and why it was refused. With -unsafe the app drops its
// protections (GET logout, no CSRF checks, SameSite=None cookie) so the same
// attacks succeed; it then listens only on loopback addresses. The app's lab
// (/lab, loopback only, not with -unsafe) switches each defence live, and
// -tour prints the steps of its tour (/lab/tour) at start.
//
// `bulwark user` manages the users in the demo's data directory. Passwords
// are read from standard input (one line), or prompted for without echo when
// standard input is a terminal.
//
// `bulwark audit` crawls one origin and reports where another site could
// make the user's browser change state there; with -active it forges the
// requests to prove it. See "bulwark audit -h".
//
// Exit status: 0 on success, 1 on a runtime error, 2 on a usage error;
// `bulwark audit` exits 1 on findings at or above -fail-on and 3 when it
// cannot audit.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

// Exit codes.
const (
	exitOK    = 0
	exitError = 1
	exitUsage = 2
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// env is what a command needs from its surroundings; tests replace it.
type env struct {
	ctx    context.Context
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
	getenv func(string) string
}

const usage = `bulwark: Bulwark's live CSRF demo and its user accounts.

Usage:
  bulwark demo [flags]                      run the demo app and the attacker site
  bulwark user add|passwd|disable|list      manage the demo's users
  bulwark audit URL [flags]                 find the CSRF holes in a site (yours)

Run "bulwark demo -h", "bulwark user -h" or "bulwark audit -h" for the flags.
`

// run executes one command line and returns the exit status. It never
// panics on user input and prints errors, not stack traces.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	e := &env{ctx: ctx, stdin: stdin, stdout: stdout, stderr: stderr, getenv: os.Getenv}
	return e.run(args)
}

func (e *env) run(args []string) int {
	if len(args) == 0 {
		fmt.Fprint(e.stderr, usage)
		return exitUsage
	}
	switch args[0] {
	case "demo":
		return e.demo(args[1:])
	case "user":
		return e.user(args[1:])
	case "audit":
		return e.audit(args[1:])
	case "-h", "-help", "--help", "help":
		fmt.Fprint(e.stdout, usage)
		return exitOK
	}
	fmt.Fprintf(e.stderr, "bulwark: unknown command %q\n\n%s", args[0], usage)
	return exitUsage
}

// errorf prints a runtime error and returns exitError.
func (e *env) errorf(format string, a ...any) int {
	fmt.Fprintf(e.stderr, "bulwark: "+format+"\n", a...)
	return exitError
}

// usagef prints a usage error and returns exitUsage.
func (e *env) usagef(format string, a ...any) int {
	fmt.Fprintf(e.stderr, "bulwark: "+format+"\n", a...)
	return exitUsage
}
