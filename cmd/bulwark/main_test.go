package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bulwark-go/bulwark/auth"
	"github.com/bulwark-go/bulwark/cmd/bulwark/internal/demo"
)

// result is what one in-process run of the CLI printed and returned.
type result struct {
	code           int
	stdout, stderr string
}

func runCLI(t *testing.T, stdin string, args ...string) result {
	t.Helper()
	var out, errb bytes.Buffer
	e := &env{ctx: context.Background(), stdin: strings.NewReader(stdin), stdout: &out, stderr: &errb,
		getenv: func(string) string { return "" }}
	code := e.run(args)
	return result{code, out.String(), errb.String()}
}

func TestUsageErrors(t *testing.T) {
	tests := []struct {
		name   string
		args   []string
		code   int
		stderr string
	}{
		{"no command", nil, exitUsage, "Usage:"},
		{"unknown command", []string{"frob"}, exitUsage, `unknown command "frob"`},
		{"help", []string{"-h"}, exitOK, ""},
		{"demo help", []string{"demo", "-h"}, exitOK, "-cookie-samesite"},
		{"demo help names the lab and the tour", []string{"demo", "-h"}, exitOK, "/lab/tour"},
		{"demo bad flag", []string{"demo", "-nope"}, exitUsage, "flag provided but not defined: -nope"},
		{"demo bad samesite", []string{"demo", "-cookie-samesite", "sometimes"}, exitUsage, `cookie SameSite "sometimes": want lax, strict or none`},
		{"demo unsafe with lax", []string{"demo", "-unsafe", "-cookie-samesite", "lax"}, exitUsage, "-unsafe always uses SameSite=None"},
		{"demo extra argument", []string{"demo", "now"}, exitUsage, `unexpected argument "now"`},
		{"user without command", []string{"user"}, exitUsage, "Usage: bulwark user"},
		{"user help", []string{"user", "-h"}, exitOK, ""},
		{"user unknown command", []string{"user", "frob"}, exitUsage, `unknown command "frob"`},
		{"user add without name", []string{"user", "add", "-data", "x"}, exitUsage, "missing NAME"},
		{"user add two names", []string{"user", "add", "a", "b"}, exitUsage, `unexpected argument "b"`},
		{"user list with name", []string{"user", "list", "a"}, exitUsage, `unexpected argument "a"`},
		{"user add help", []string{"user", "add", "-h"}, exitOK, "Usage: bulwark user add"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := runCLI(t, "", tt.args...)
			if r.code != tt.code || !strings.Contains(r.stderr, tt.stderr) {
				t.Errorf("exit %d, stderr %q; want exit %d and stderr containing %q", r.code, r.stderr, tt.code, tt.stderr)
			}
			if strings.Contains(r.stderr, "goroutine ") || strings.Contains(r.stderr, "panic") {
				t.Errorf("stack trace in stderr: %s", r.stderr)
			}
		})
	}
}

func TestUserCommands(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	steps := []struct {
		name         string
		stdin        string
		args         []string
		code         int
		out, errText string
	}{
		{"add", "correct horse battery\n", []string{"user", "add", "-data", dir, "Alice"}, exitOK, "created user alice", ""},
		{"add again, other case", "another password\n", []string{"user", "add", "-data", dir, "ALICE"}, exitError, "", "username already taken"},
		{"add with flag after name", "second password\r\n", []string{"user", "add", "bob", "-data", dir}, exitOK, "created user bob", ""},
		{"add with invalid name", "correct horse battery\n", []string{"user", "add", "-data", dir, "two words"}, exitError, "", "invalid username"},
		{"add with short password", "short\n", []string{"user", "add", "-data", dir, "carol"}, exitError, "", "too short"},
		{"add with empty stdin", "", []string{"user", "add", "-data", dir, "carol"}, exitError, "", "no password on stdin"},
		{"add with huge password", strings.Repeat("x", 5000), []string{"user", "add", "-data", dir, "carol"}, exitError, "", "longer than 1024 bytes"},
		{"passwd", "a new password\n", []string{"user", "passwd", "-data", dir, "alice"}, exitOK, "password changed for alice", ""},
		{"passwd unknown user", "a new password\n", []string{"user", "passwd", "-data", dir, "nobody"}, exitError, "", "user not found"},
		{"disable", "", []string{"user", "disable", "-data", dir, "bob"}, exitOK, "disabled bob", ""},
		{"disable unknown user", "", []string{"user", "disable", "-data", dir, "nobody"}, exitError, "", "user not found"},
	}
	for _, s := range steps {
		t.Run(s.name, func(t *testing.T) {
			r := runCLI(t, s.stdin, s.args...)
			if r.code != s.code || !strings.Contains(r.stdout, s.out) || !strings.Contains(r.stderr, s.errText) {
				t.Errorf("exit %d, stdout %q, stderr %q; want exit %d, stdout with %q, stderr with %q",
					r.code, r.stdout, r.stderr, s.code, s.out, s.errText)
			}
		})
	}

	t.Run("list", func(t *testing.T) {
		r := runCLI(t, "", "user", "list", "-data", dir)
		if r.code != exitOK || !regexp.MustCompile(`(?m)^alice\s+active\s`).MatchString(r.stdout) ||
			!regexp.MustCompile(`(?m)^bob\s+disabled\s`).MatchString(r.stdout) || strings.Contains(r.stdout, "carol") {
			t.Errorf("exit %d, stdout:\n%s", r.code, r.stdout)
		}
	})
	t.Run("the new password works and the old one does not", func(t *testing.T) {
		accounts, closeDB, err := demo.OpenAccounts(context.Background(), dir, auth.Params{}, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer closeDB()
		if _, err := accounts.Authenticate(context.Background(), "alice", "a new password"); err != nil {
			t.Errorf("new password: %v", err)
		}
		if _, err := accounts.Authenticate(context.Background(), "alice", "correct horse battery"); err == nil {
			t.Error("the old password still works")
		}
		if _, err := accounts.Authenticate(context.Background(), "bob", "second password"); err == nil {
			t.Error("the disabled user can log in")
		}
	})
}

// signalWriter is a goroutine-safe buffer that closes ready when what it
// holds first contains marker.
type signalWriter struct {
	mu     sync.Mutex
	buf    bytes.Buffer
	marker string
	ready  chan struct{}
	once   sync.Once
}

func newSignalWriter(marker string) *signalWriter {
	return &signalWriter{marker: marker, ready: make(chan struct{})}
}

func (w *signalWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	n, err := w.buf.Write(p)
	if strings.Contains(w.buf.String(), w.marker) {
		w.once.Do(func() { close(w.ready) })
	}
	return n, err
}

func (w *signalWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.String()
}

// startDemo runs `bulwark demo args...` in-process until the returned stop
// function is called; stop returns the exit code.
func startDemo(t *testing.T, vars map[string]string, args ...string) (stdout, stderr *signalWriter, stop func() int) {
	t.Helper()
	stdout = newSignalWriter("Ctrl-C stops the demo")
	stderr = newSignalWriter("bulwark demo stopped")
	ctx, cancel := context.WithCancel(context.Background())
	e := &env{ctx: ctx, stdin: strings.NewReader(""), stdout: stdout, stderr: stderr,
		getenv: func(k string) string { return vars[k] }}
	done := make(chan int, 1)
	go func() { done <- e.run(append([]string{"demo"}, args...)) }()
	select {
	case <-stdout.ready:
	case code := <-done:
		cancel()
		t.Fatalf("bulwark demo exited with %d before serving; stderr:\n%s", code, stderr.String())
	case <-time.After(30 * time.Second):
		cancel()
		t.Fatalf("bulwark demo did not start; stderr:\n%s", stderr.String())
	}
	return stdout, stderr, func() int {
		cancel()
		select {
		case code := <-done:
			return code
		case <-time.After(10 * time.Second):
			t.Fatal("bulwark demo did not stop")
			return -1
		}
	}
}

func TestDemoCommand(t *testing.T) {
	dir := t.TempDir()
	args := []string{"-addr", "localhost:0", "-attacker-addr", "127.0.0.1:0", "-data", dir}
	stdout, stderr, stop := startDemo(t, nil, args...)

	out := stdout.String()
	app := regexp.MustCompile(`Open the app:\s+(http://localhost:\d+)/`).FindStringSubmatch(out)
	attacker := regexp.MustCompile(`Attacker site:\s+(http://127\.0\.0\.1:\d+)/`).FindStringSubmatch(out)
	pw := regexp.MustCompile(`Password:\s+(\S+)`).FindStringSubmatch(out)
	if app == nil || attacker == nil || pw == nil || !strings.Contains(out, "User:              demo") {
		t.Fatalf("stdout does not give the URLs, the user and the password:\n%s", out)
	}
	for _, u := range []string{app[1] + "/login", attacker[1] + "/"} {
		res, err := http.Get(u)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, res.Body)
		res.Body.Close()
		if res.StatusCode != http.StatusOK {
			t.Errorf("GET %s: %d", u, res.StatusCode)
		}
	}
	if code := stop(); code != exitOK {
		t.Errorf("exit %d after Ctrl-C, want 0; stderr:\n%s", code, stderr.String())
	}
	if !strings.Contains(stderr.String(), "bulwark demo stopped") {
		t.Errorf("no shutdown log line; stderr:\n%s", stderr.String())
	}

	accounts, closeDB, err := demo.OpenAccounts(context.Background(), dir, auth.Params{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer closeDB()
	if _, err := accounts.Authenticate(context.Background(), "demo", pw[1]); err != nil {
		t.Errorf("the printed password does not log in: %v", err)
	}

	t.Run("second run keeps the user and prints no password", func(t *testing.T) {
		stdout, _, stop := startDemo(t, nil, args...)
		defer stop()
		if out := stdout.String(); strings.Contains(out, "Password:") || !strings.Contains(out, "already set up") {
			t.Errorf("stdout:\n%s", out)
		}
	})
}

func TestDemoCommandOptions(t *testing.T) {
	t.Run("password from BULWARK_DEMO_PASSWORD, same host name warned", func(t *testing.T) {
		dir := t.TempDir()
		stdout, stderr, stop := startDemo(t, map[string]string{"BULWARK_DEMO_PASSWORD": "from the environment"},
			"-addr", "localhost:0", "-attacker-addr", "localhost:0", "-data", dir)
		code := stop()
		if code != exitOK || strings.Contains(stdout.String(), "from the environment") ||
			!strings.Contains(stdout.String(), "password from BULWARK_DEMO_PASSWORD") {
			t.Errorf("exit %d; stdout:\n%s", code, stdout.String())
		}
		if !strings.Contains(stderr.String(), "share a host name") {
			t.Errorf("no same-host warning; stderr:\n%s", stderr.String())
		}
	})
	t.Run("unsafe mode refuses a non-loopback address", func(t *testing.T) {
		r := runCLI(t, "", "demo", "-unsafe", "-addr", "0.0.0.0:0", "-attacker-addr", "127.0.0.1:0", "-data", t.TempDir())
		if r.code != exitError || !strings.Contains(r.stderr, "unsafe mode listens only on loopback") {
			t.Errorf("exit %d, stderr %q", r.code, r.stderr)
		}
	})
	t.Run("unsafe mode prints its warning", func(t *testing.T) {
		stdout, _, stop := startDemo(t, nil, "-unsafe", "-addr", "localhost:0", "-attacker-addr", "127.0.0.1:0", "-data", t.TempDir())
		stop()
		if !strings.Contains(stdout.String(), "UNSAFE MODE") {
			t.Errorf("stdout:\n%s", stdout.String())
		}
	})
	t.Run("an unusable data directory is a runtime error", func(t *testing.T) {
		file := filepath.Join(t.TempDir(), "file")
		if err := os.WriteFile(file, nil, 0o600); err != nil {
			t.Fatal(err)
		}
		r := runCLI(t, "x\n", "user", "add", "-data", filepath.Join(file, "sub"), "x")
		if r.code != exitError || !strings.Contains(r.stderr, "data directory") {
			t.Errorf("exit %d, stderr %q", r.code, r.stderr)
		}
	})
}

func TestDemoTour(t *testing.T) {
	stdout, _, stop := startDemo(t, nil, "-tour", "-addr", "localhost:0", "-attacker-addr", "127.0.0.1:0", "-data", t.TempDir())
	out := stdout.String()
	tour := regexp.MustCompile(`Lab tour:\s+(http://localhost:\d+/lab/tour)`).FindStringSubmatch(out)
	if tour == nil {
		t.Fatalf("no tour URL in stdout:\n%s", out)
	}
	for i, p := range demo.Presets {
		if want := "Step " + string(rune('1'+i)) + ": " + p.Title; !strings.Contains(out, want) {
			t.Errorf("stdout lacks %q:\n%s", want, out)
		}
	}
	res, err := http.Get(tour[1])
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusOK || !strings.Contains(string(body), `id="tour-steps"`) {
		t.Errorf("GET %s: %d %.300s", tour[1], res.StatusCode, body)
	}
	if code := stop(); code != exitOK {
		t.Errorf("exit %d", code)
	}
}
