package redisstore_test

import (
	"bufio"
	"bytes"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"strconv"
	"strings"
	"testing"

	"github.com/bulwark-go/bulwark/session"
	"github.com/bulwark-go/bulwark/session/storetest"
)

// startClusterNode starts a cluster-enabled redis-server of the test's
// own, with no slots, and returns its address.
func startClusterNode(t *testing.T) string {
	t.Helper()
	storetest.RedisClusterAddrs(t) // skips where the cluster tests do
	addr, port := startRedis(t, func(dir string) []string {
		return []string{"--cluster-enabled", "yes", "--cluster-config-file", dir + "/nodes.conf"}
	})
	if port > 55535 { // the cluster bus listens on port+10000
		t.Skipf("free port %d leaves no room for the cluster bus", port)
	}
	return addr
}

// writeThrough sends one request that writes the session through a
// Manager over st, logging to log, and returns the response's status.
func writeThrough(t *testing.T, st session.Store, log *slog.Logger) int {
	t.Helper()
	m, err := session.New(session.Config{Store: st, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	h := m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		m.PutString(r.Context(), "k", "v")
	}))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "http://localhost/", nil))
	return rec.Code
}

// startRedis starts a redis-server of the test's own on a free loopback
// port, with no persistence and the arguments args returns for its data
// directory, stops it at the end of the test, and returns its address.
func startRedis(t *testing.T, args func(dir string) []string) (string, int) {
	t.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		t.Fatal("redis-server not installed:", err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	dir := t.TempDir()
	cmd := exec.Command(bin, append([]string{"--port", strconv.Itoa(port), "--bind", "127.0.0.1",
		"--dir", dir, "--save", "", "--appendonly", "no", "--logfile", ""}, args(dir)...)...)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		if strings.Contains(sc.Text(), "Ready to accept connections") {
			go io.Copy(io.Discard, out)
			return "127.0.0.1:" + strconv.Itoa(port), port
		}
	}
	t.Fatal("redis-server exited before accepting connections")
	return "", 0
}

// TestClusterSlotNotServed: a cluster whose slots are not all served
// answers CLUSTERDOWN. The Manager answers 503 (never 500) and logs one
// line that names the cause.
func TestClusterSlotNotServed(t *testing.T) {
	addr := startClusterNode(t)
	// Half the slots served, as when a master is lost or a migration
	// left slots unassigned.
	if err := newClient(t, addr).Do(t.Context(), "CLUSTER", "ADDSLOTSRANGE", "0", "8191").Err(); err != nil {
		t.Fatal(err)
	}
	rdb := newClusterClient(t, []string{addr})
	var logs bytes.Buffer // the handler runs on this goroutine
	code := writeThrough(t, newStore(t, rdb, "bulwark-test:slots:"), slog.New(slog.NewTextHandler(&logs, nil)))
	if code != http.StatusServiceUnavailable {
		t.Errorf("status %d, want 503", code)
	}
	lines := strings.Split(strings.TrimSpace(logs.String()), "\n")
	if len(lines) != 1 || !strings.Contains(lines[0], "level=ERROR") || !strings.Contains(lines[0], "CLUSTERDOWN") {
		t.Errorf("logs = %q, want one ERROR line naming CLUSTERDOWN", lines)
	}
}
