package demo_test

import (
	"strings"
	"testing"

	"github.com/bulwark-go/bulwark/cmd/bulwark/internal/demo"
)

// protectionClaims are sentences the pages say about defences that only
// safe mode has.
var protectionClaims = []string{
	"carries a CSRF token",
	"X-CSRF-Token",
	"Every POST is checked for CSRF",
	"A GET never changes anything",
	"stay signed in",
	"SameSite=Lax",
}

// TestPageCopyFitsTheMode: every page's text fits the mode the app runs
// in. Unsafe mode renders no token and checks none, so no page may claim
// that it does; safe mode's pages do explain their defences.
func TestPageCopyFitsTheMode(t *testing.T) {
	pages := []string{"/", "/login", "/notes", "/attack-log", "/nope"}
	for _, unsafe := range []bool{false, true} {
		d := newDemo(t, demo.Config{Unsafe: unsafe})
		addUser(t, d, "gina")
		anon := newClient(t, d.Victim())
		user := newClient(t, d.Victim())
		user.login("gina")
		var all strings.Builder
		for _, c := range []*client{anon, user} {
			for _, path := range pages {
				body := c.do("GET", path, "", nil).body
				all.WriteString(body)
				for _, claim := range protectionClaims {
					if unsafe && strings.Contains(body, claim) {
						t.Errorf("unsafe mode: GET %s claims %q", path, claim)
					}
				}
			}
		}
		if !unsafe {
			for _, claim := range protectionClaims[:5] {
				if !strings.Contains(all.String(), claim) {
					t.Errorf("safe mode: no page says %q (is the list of claims out of date?)", claim)
				}
			}
		}
		if unsafe && !strings.Contains(all.String(), "carries no CSRF token") {
			t.Error("unsafe mode: the login page does not say its form carries no CSRF token")
		}
	}
}
