// This file holds `bulwark user add|passwd|disable|list`.

package main

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"text/tabwriter"

	"golang.org/x/term"

	"github.com/bulwark-go/bulwark/auth"
	"github.com/bulwark-go/bulwark/cmd/bulwark/internal/demo"
)

const userUsage = `Usage: bulwark user COMMAND [-data DIR] [NAME]

Commands:
  add NAME       create a user; the password is read from stdin
  passwd NAME    set a user's password (their sessions end at their next request)
  disable NAME   disable a user (logins fail, sessions end at their next request)
  list           list the users

The password is one line on standard input, or prompted for twice without
echo when standard input is a terminal.

Flags:
`

func (e *env) user(args []string) int {
	if len(args) == 0 {
		fmt.Fprint(e.stderr, userUsage)
		fmt.Fprintf(e.stderr, "  -data string\n    \tdata directory (default %q)\n", demo.DefaultDataDir)
		return exitUsage
	}
	cmd, args := args[0], args[1:]
	switch cmd {
	case "-h", "-help", "--help", "help":
		fmt.Fprint(e.stdout, userUsage)
		fmt.Fprintf(e.stdout, "  -data string\n    \tdata directory (default %q)\n", demo.DefaultDataDir)
		return exitOK
	case "add", "passwd", "disable", "list":
	default:
		return e.usagef("user: unknown command %q (want add, passwd, disable or list)", cmd)
	}

	fs := flag.NewFlagSet("bulwark user "+cmd, flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	dataDir := fs.String("data", demo.DefaultDataDir, "data directory (SQLite database inside)")
	wantName := cmd != "list"
	fs.Usage = func() {
		if wantName {
			fmt.Fprintf(fs.Output(), "Usage: bulwark user %s [-data DIR] NAME\n\nFlags:\n", cmd)
		} else {
			fmt.Fprintf(fs.Output(), "Usage: bulwark user list [-data DIR]\n\nFlags:\n")
		}
		fs.PrintDefaults()
	}
	// Accept flags before and after NAME.
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return exitOK
			}
			return exitUsage
		}
		if fs.NArg() == 0 {
			break
		}
		positional = append(positional, fs.Arg(0))
		args = fs.Args()[1:]
	}
	switch {
	case wantName && len(positional) == 0:
		return e.usagef("user %s: missing NAME", cmd)
	case wantName && len(positional) > 1, !wantName && len(positional) > 0:
		return e.usagef("user %s: unexpected argument %q", cmd, positional[len(positional)-1])
	}

	accounts, closeDB, err := demo.OpenAccounts(e.ctx, *dataDir, auth.Params{}, slog.New(slog.NewTextHandler(e.stderr, &slog.HandlerOptions{Level: slog.LevelWarn})))
	if err != nil {
		return e.errorf("%v", err)
	}
	defer closeDB()

	switch cmd {
	case "list":
		return e.userList(accounts)
	case "disable":
		if err := accounts.Disable(e.ctx, positional[0]); err != nil {
			return e.errorf("user disable: %v", err)
		}
		fmt.Fprintf(e.stdout, "disabled %s; their sessions end at their next request\n", positional[0])
		return exitOK
	}

	name := positional[0]
	if cmd == "add" {
		// Check the name before asking for a password.
		if _, err := auth.NormalizeUsername(name); err != nil {
			return e.errorf("user add: %q: %v", name, err)
		}
		if _, err := accounts.Lookup(e.ctx, name); err == nil {
			return e.errorf("user add: %q: %v", name, auth.ErrUserExists)
		}
	} else if _, err := accounts.Lookup(e.ctx, name); err != nil {
		return e.errorf("user passwd: %q: %v", name, err)
	}
	password, err := e.readPassword()
	if err != nil {
		return e.errorf("user %s: %v", cmd, err)
	}
	if err := accounts.CheckPassword(password); err != nil {
		return e.errorf("user %s: %v", cmd, err)
	}
	if cmd == "add" {
		u, err := accounts.Create(e.ctx, name, password)
		if err != nil {
			return e.errorf("user add: %q: %v", name, err)
		}
		fmt.Fprintf(e.stdout, "created user %s\n", u.Username)
		return exitOK
	}
	if err := accounts.SetPassword(e.ctx, name, password); err != nil {
		return e.errorf("user passwd: %q: %v", name, err)
	}
	fmt.Fprintf(e.stdout, "password changed for %s; their other sessions end at their next request\n", name)
	return exitOK
}

func (e *env) userList(accounts *auth.Accounts) int {
	users, err := accounts.List(e.ctx)
	if err != nil {
		return e.errorf("user list: %v", err)
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "USERNAME\tSTATUS\tCREATED")
	for _, u := range users {
		status := "active"
		if u.Disabled {
			status = "disabled"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\n", u.Username, status, u.CreatedAt.Format("2006-01-02 15:04:05Z07:00"))
	}
	tw.Flush()
	return exitOK
}

// readPassword reads the new password: prompted twice without echo on a
// terminal, else the first line of stdin.
func (e *env) readPassword() (string, error) {
	if f, ok := e.stdin.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		fmt.Fprint(e.stderr, "New password: ")
		p1, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(e.stderr)
		if err != nil {
			return "", fmt.Errorf("read password: %w", err)
		}
		fmt.Fprint(e.stderr, "Repeat it: ")
		p2, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(e.stderr)
		if err != nil {
			return "", fmt.Errorf("read password: %w", err)
		}
		if string(p1) != string(p2) {
			return "", errors.New("the passwords do not match")
		}
		return string(p1), nil
	}
	line, err := bufio.NewReader(io.LimitReader(e.stdin, auth.MaxPasswordBytes+3)).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", fmt.Errorf("read password from stdin: %w", err)
	}
	line = strings.TrimSuffix(strings.TrimSuffix(line, "\n"), "\r")
	if line == "" {
		return "", errors.New("no password on stdin (pipe one line, e.g. `echo \"$PW\" | bulwark user add NAME`)")
	}
	return line, nil
}
