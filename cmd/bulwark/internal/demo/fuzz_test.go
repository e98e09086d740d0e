package demo_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/bulwark-go/bulwark/cmd/bulwark/internal/demo"
)

// FuzzVictim sends arbitrary requests to the app, logged in or not, and
// requires that none gets a 5xx or panics.
func FuzzVictim(f *testing.F) {
	f.Add("POST", "/notes", "body=x", "application/x-www-form-urlencoded", "http://127.0.0.1:8001", "cross-site", true)
	f.Add("POST", "/api/notes", `{"body":"x"}`, "text/plain", "", "", true)
	f.Add("GET", "/logout?attack=a", "", "", "", "cross-site", true)
	f.Add("POST", "/login", "--x\r\n", "multipart/form-data; boundary=x", "http://localhost:8000", "same-origin", false)
	f.Add("DELETE", "/attack-log/clear", "", "", "null", "same-site", false)

	d := newDemo(f, demo.Config{})
	if _, err := d.Accounts().Create(f.Context(), "fuzz", password); err != nil {
		f.Fatal(err)
	}
	c := newClient(f, d.Victim())
	c.login("fuzz")
	session := c.cookies

	f.Fuzz(func(t *testing.T, method, target, body, ctype, origin, fetchSite string, loggedIn bool) {
		r, err := http.NewRequest(method, "http://localhost:8000"+target, strings.NewReader(body))
		if err != nil || !strings.HasPrefix(target, "/") {
			return
		}
		r.Header.Set("Content-Type", ctype)
		r.Header.Set("Origin", origin)
		r.Header.Set("Sec-Fetch-Site", fetchSite)
		if loggedIn {
			for name, val := range session {
				r.AddCookie(&http.Cookie{Name: name, Value: val})
			}
		}
		w := httptest.NewRecorder()
		d.Victim().ServeHTTP(w, r)
		if w.Code >= 500 {
			t.Errorf("%s %q: status %d: %s", method, target, w.Code, w.Body.String())
		}
	})
}
