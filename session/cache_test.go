package session_test

import (
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestSharedCachesNeverStoreSessionResponses checks the caching headers of
// responses that depend on the session: one that sets the session cookie
// must not be storable by a shared cache (a CDN would hand the same
// session ID to every visitor), whatever Cache-Control the handler chose,
// and one whose content came from the session must say Vary: Cookie.
func TestSharedCachesNeverStoreSessionResponses(t *testing.T) {
	cases := []struct {
		name        string
		handlerCC   string // Cache-Control the handler sets
		expires     bool   // the handler sets Expires an hour ahead
		existing    bool   // the request carries a session
		access      func(f *fixture, r *http.Request)
		wantCC      string // exact Cache-Control wanted ("" = any)
		wantPrivate bool   // Cache-Control must forbid shared caches
		wantVary    bool
	}{
		{"new session, no Cache-Control", "", false, false, put, "private", true, true},
		// Expires alone lets a shared cache store the page (RFC 9111),
		// with its Set-Cookie, unless Cache-Control forbids it.
		{"new session, Expires but no Cache-Control", "", true, false, put, "private", true, true},
		{"new session, public page", "public, max-age=300", false, false, put, "", true, true},
		{"new session, s-maxage page", "max-age=60, s-maxage=600", false, false, put, "", true, true},
		{"new session, no-store kept", "no-store", false, false, put, "no-store", false, true},
		{"new session, private kept", "private, max-age=60", false, false, put, "private, max-age=60", false, true},
		{"read-only use of a session", "", false, true, read, "", false, true},
		{"session not used", "public, max-age=300", false, true, nil, "public, max-age=300", false, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, nil)
			var c *http.Cookie
			if tc.existing {
				c = f.start(t, "k", "v")
			}
			w := f.do(t, func(w http.ResponseWriter, r *http.Request) {
				if tc.handlerCC != "" {
					w.Header().Set("Cache-Control", tc.handlerCC)
				}
				if tc.expires {
					w.Header().Set("Expires", time.Now().Add(time.Hour).UTC().Format(http.TimeFormat))
				}
				if tc.access != nil {
					tc.access(f, r)
				}
				_, _ = w.Write([]byte("hello"))
			}, c)
			cc := strings.Join(w.Header().Values("Cache-Control"), ", ")
			if tc.wantCC != "" && cc != tc.wantCC {
				t.Errorf("Cache-Control %q, want %q", cc, tc.wantCC)
			}
			if tc.wantPrivate {
				if !hasDirective(cc, "private") && !hasDirective(cc, "no-store") {
					t.Errorf("Cache-Control %q lets shared caches store the Set-Cookie", cc)
				}
				if hasDirective(cc, "public") || strings.Contains(cc, "s-maxage") {
					t.Errorf("Cache-Control %q still invites shared caches", cc)
				}
			}
			vary := slices.Contains(w.Header().Values("Vary"), "Cookie")
			if vary != tc.wantVary {
				t.Errorf("Vary %q: Cookie present = %v, want %v", w.Header().Values("Vary"), vary, tc.wantVary)
			}
		})
	}
}

func put(f *fixture, r *http.Request)  { f.m.PutString(r.Context(), "k", "v") }
func read(f *fixture, r *http.Request) { f.m.GetString(r.Context(), "k") }

func hasDirective(cc, name string) bool {
	for d := range strings.SplitSeq(cc, ",") {
		d = strings.ToLower(strings.TrimSpace(d))
		if d == name || strings.HasPrefix(d, name+"=") {
			return true
		}
	}
	return false
}
