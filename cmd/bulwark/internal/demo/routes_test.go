package demo_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/bulwark-go/bulwark/cmd/bulwark/internal/demo"
)

// TestWrongMethodIs405: a known route asked with a method it does not
// answer (with a valid CSRF token, so the CSRF check passes) answers 405
// with the methods it does answer in Allow: an HTML page for browsers,
// JSON for the API. Unknown paths stay 404.
func TestWrongMethodIs405(t *testing.T) {
	d := newDemo(t, demo.Config{})
	addUser(t, d, "frank")
	c := newClient(t, d.Victim())
	c.login("frank")
	tok := c.token("/notes")
	cases := []struct {
		method, path, allow string
		json                bool
	}{
		{"PUT", "/notes", "GET, HEAD, POST", false},
		{"DELETE", "/notes", "GET, HEAD, POST", false},
		{"PATCH", "/api/notes", "GET, HEAD, POST", true},
		{"DELETE", "/api/notes", "GET, HEAD, POST", true},
		{"POST", "/", "GET, HEAD", false},
		{"PUT", "/login", "GET, HEAD, POST", false},
		{"GET", "/attack-log/clear", "POST", false},
		{"POST", "/api/attack-log", "GET, HEAD", true},
		{"DELETE", "/static/style.css", "GET, HEAD", false},
	}
	for _, tc := range cases {
		t.Run(tc.method+" "+tc.path, func(t *testing.T) {
			res := c.do(tc.method, tc.path, "", map[string]string{"X-CSRF-Token": tok})
			if res.StatusCode != 405 || res.Header.Get("Allow") != tc.allow {
				t.Fatalf("%d, Allow %q; want 405, Allow %q: %.300s", res.StatusCode, res.Header.Get("Allow"), tc.allow, res.body)
			}
			ct := res.Header.Get("Content-Type")
			if tc.json {
				var body struct {
					Error string   `json:"error"`
					Allow []string `json:"allow"`
				}
				if err := json.Unmarshal([]byte(res.body), &body); err != nil || !strings.HasPrefix(ct, "application/json") || body.Error == "" || strings.Join(body.Allow, ", ") != tc.allow {
					t.Errorf("want a JSON error with allow; got %s %q (%v)", ct, res.body, err)
				}
			} else if !strings.HasPrefix(ct, "text/html") || !strings.Contains(res.body, `id="method-not-allowed"`) || !strings.Contains(res.body, tc.allow) {
				t.Errorf("want the HTML 405 page naming %q; got %s %.300s", tc.allow, ct, res.body)
			}
		})
	}
	for _, path := range []string{"/nope", "/notes/1"} {
		if res := c.do("PUT", path, "", map[string]string{"X-CSRF-Token": tok}); res.StatusCode != 404 || res.Header.Get("Allow") != "" {
			t.Errorf("PUT %s: %d Allow %q, want 404", path, res.StatusCode, res.Header.Get("Allow"))
		}
	}
	if res := c.do("GET", "/api/nope", "", nil); res.StatusCode != 404 || !strings.HasPrefix(res.Header.Get("Content-Type"), "application/json") {
		t.Errorf("GET /api/nope: %d %s, want a JSON 404", res.StatusCode, res.Header.Get("Content-Type"))
	}
	if n, _ := d.Notes(t.Context(), "frank"); len(n) != 0 {
		t.Errorf("a refused method saved %d notes", len(n))
	}
}
