package main

import (
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"os"
	"testing"

	"github.com/bulwark-go/bulwark/session"
)

// TestRoutes makes the round trips scripts/load measures, on every store
// the environment offers: memory and SQLite always, Redis, Redis Cluster
// and PostgreSQL only when their BULWARK_* variable is set.
func TestRoutes(t *testing.T) {
	env := EnvFromOS()
	env.TempDir = t.TempDir()
	stores := []string{"memory", "sqlite"}
	for _, s := range []struct{ name, env string }{
		{"redis", "BULWARK_REDIS_ADDR"}, {"cluster", "BULWARK_REDIS_CLUSTER"}, {"postgres", "BULWARK_PG_DSN"},
	} {
		if os.Getenv(s.env) != "" {
			stores = append(stores, s.name)
		}
	}
	for _, name := range stores {
		t.Run(name, func(t *testing.T) {
			st, cleanup, err := OpenStore(context.Background(), name, env)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(cleanup)
			m, err := session.New(session.Config{Store: st})
			if err != nil {
				t.Fatal(err)
			}
			srv := httptest.NewServer(Handler(m))
			t.Cleanup(srv.Close)
			jar, _ := cookiejar.New(nil)
			c := &http.Client{Jar: jar}

			roundTrip(t, c, "GET", srv.URL+"/read", http.StatusNotFound, "no session\n")
			roundTrip(t, c, "POST", srv.URL+"/write", http.StatusOK, "1")
			roundTrip(t, c, "POST", srv.URL+"/write", http.StatusOK, "2")
			roundTrip(t, c, "GET", srv.URL+"/read", http.StatusOK, "2")
			roundTrip(t, c, "GET", srv.URL+"/read", http.StatusOK, "2")
		})
	}
}

func TestUnknownStore(t *testing.T) {
	if _, _, err := OpenStore(context.Background(), "mongo", Env{}); err == nil {
		t.Fatal("OpenStore(mongo): no error")
	}
}

func roundTrip(t *testing.T, c *http.Client, method, url string, wantStatus int, wantBody string) {
	t.Helper()
	req, err := http.NewRequest(method, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != wantStatus || string(body) != wantBody {
		t.Fatalf("%s %s: %d %q, want %d %q", method, url, resp.StatusCode, body, wantStatus, wantBody)
	}
}
