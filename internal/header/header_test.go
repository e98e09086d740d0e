package header

import (
	"errors"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestAddVary(t *testing.T) {
	tests := []struct {
		name string
		vary []string
		want []string
	}{
		{"absent", nil, []string{"Cookie"}},
		{"other field", []string{"Accept"}, []string{"Accept", "Cookie"}},
		{"listed in another case", []string{"Accept, cookie"}, []string{"Accept, cookie"}},
		{"listed on a second line", []string{"Accept", " Cookie "}, []string{"Accept", " Cookie "}},
		{"star", []string{"*"}, []string{"*"}},
		{"prefix of another field", []string{"Cookies"}, []string{"Cookies", "Cookie"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := http.Header{}
			if tt.vary != nil {
				h["Vary"] = slices.Clone(tt.vary)
			}
			AddVary(h, "Cookie")
			if got := h["Vary"]; !slices.Equal(got, tt.want) {
				t.Errorf("Vary = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestPrivate(t *testing.T) {
	tests := []struct {
		name string
		cc   []string
		want string
	}{
		{"absent", nil, "private"},
		{"public with max-age", []string{"public, max-age=600"}, "private, max-age=600"},
		{"s-maxage dropped", []string{"max-age=60, s-maxage=600"}, "private, max-age=60"},
		{"already private", []string{"private, max-age=60"}, "private, max-age=60"},
		{"no-store kept", []string{"no-store"}, "no-store"},
		{"upper case directives", []string{"PUBLIC, Max-Age=5"}, "private, Max-Age=5"},
		{"two lines joined", []string{"public", "max-age=5"}, "private, max-age=5"},
		{"empty directives dropped", []string{"public,,max-age=5,"}, "private, max-age=5"},
		{"no-cache stays", []string{`no-cache="Set-Cookie"`}, `private, no-cache="Set-Cookie"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := http.Header{}
			if tt.cc != nil {
				h["Cache-Control"] = slices.Clone(tt.cc)
			}
			Private(h)
			if got := h["Cache-Control"]; len(got) != 1 || got[0] != tt.want {
				t.Errorf("Cache-Control = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestCheckCookieName(t *testing.T) {
	tests := []struct {
		name string
		want error
	}{
		{"session", nil},
		{"csrf_token.v2", nil},
		{"a!#$%&'*+-.^_`|~z", nil},
		{"", ErrCookieNameChars},
		{"has space", ErrCookieNameChars},
		{"semi;colon", ErrCookieNameChars},
		{"é", ErrCookieNameChars},
		{"__Host-x", ErrCookieNamePrefix},
		{"__host-x", ErrCookieNamePrefix},
		{"__HOST-x", ErrCookieNamePrefix},
		{"__Secure-x", ErrCookieNamePrefix},
		{"__sEcUrE-x", ErrCookieNamePrefix},
		{"_Host-x", nil},
		{"__Hostx", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := CheckCookieName(tt.name); !errors.Is(err, tt.want) {
				t.Errorf("CheckCookieName(%q) = %v, want %v", tt.name, err, tt.want)
			}
		})
	}
}

func TestSetCookie(t *testing.T) {
	h := http.Header{"Set-Cookie": {"other=1; Path=/", "sid=old; Path=/", "sidx=keep"}}
	SetCookie(h, Cookie{Name: "sid", Value: "new", HttpOnly: true, SameSite: http.SameSiteLaxMode})
	want := []string{"other=1; Path=/", "sidx=keep", "sid=new; Path=/; HttpOnly; SameSite=Lax"}
	if got := h["Set-Cookie"]; !slices.Equal(got, want) {
		t.Errorf("Set-Cookie = %q, want %q", got, want)
	}
	SetCookie(h, Cookie{Name: "sid", MaxAge: -1})
	want = []string{"other=1; Path=/", "sidx=keep", "sid=; Path=/; Max-Age=0"}
	if got := h["Set-Cookie"]; !slices.Equal(got, want) {
		t.Errorf("after expiry: Set-Cookie = %q, want %q", got, want)
	}
}

// Cookie.String writes what net/http's Cookie.String writes, for every
// combination of the attributes it supports.
func TestCookieString(t *testing.T) {
	expires := []time.Time{{}, time.Unix(1, 0), time.Date(2031, 5, 6, 7, 8, 9, 0, time.FixedZone("X", 3600))}
	for _, value := range []string{"", "AZaz09-_", strings.Repeat("v", 86)} {
		for _, maxAge := range []int{0, 1, 31536000, -1} {
			for _, exp := range expires {
				for _, flags := range []int{0, 1, 2, 3} {
					for _, ss := range []http.SameSite{0, http.SameSiteDefaultMode, http.SameSiteLaxMode, http.SameSiteStrictMode, http.SameSiteNoneMode} {
						c := Cookie{Name: "__Host-n", Value: value, MaxAge: maxAge, Expires: exp,
							Secure: flags&1 != 0, HttpOnly: flags&2 != 0, SameSite: ss}
						std := &http.Cookie{Name: c.Name, Value: c.Value, Path: "/", MaxAge: maxAge, Expires: exp,
							Secure: c.Secure, HttpOnly: c.HttpOnly, SameSite: ss}
						if got, want := c.String(), std.String(); got != want {
							t.Fatalf("%+v:\n got %q\nwant %q", c, got, want)
						}
					}
				}
			}
		}
	}
}

func TestSharedStorable(t *testing.T) {
	cases := []struct {
		name               string
		h                  http.Header
		storable, unshared bool
	}{
		{"nothing", http.Header{}, false, false},
		{"Expires", http.Header{"Expires": {"Thu, 01 Jan 2099 00:00:00 GMT"}}, true, false},
		{"public", http.Header{"Cache-Control": {"public, max-age=600"}}, true, false},
		{"max-age", http.Header{"Cache-Control": {"max-age=600"}}, true, false},
		{"no-cache", http.Header{"Cache-Control": {"no-cache"}}, true, false},
		{"private", http.Header{"Cache-Control": {"max-age=60, Private"}}, false, true},
		{"no-store on a second line", http.Header{"Cache-Control": {"max-age=60", "no-store"}}, false, true},
		{"private with Expires", http.Header{"Cache-Control": {"private"}, "Expires": {"0"}}, false, true},
		{"CDN-Cache-Control", http.Header{"Cdn-Cache-Control": {"max-age=60"}}, true, false},
		{"Surrogate-Control beside private", http.Header{"Cache-Control": {"private"}, "Surrogate-Control": {"max-age=60"}}, true, true},
		{"X-Accel-Expires", http.Header{"X-Accel-Expires": {"60"}}, true, false},
	}
	for _, c := range cases {
		if got := SharedStorable(c.h); got != c.storable {
			t.Errorf("%s: SharedStorable = %v, want %v", c.name, got, c.storable)
		}
		if got := Unshared(c.h); got != c.unshared {
			t.Errorf("%s: Unshared = %v, want %v", c.name, got, c.unshared)
		}
	}
}

func TestVaries(t *testing.T) {
	for _, c := range []struct {
		vary []string
		want bool
	}{
		{nil, false},
		{[]string{"Accept-Encoding"}, false},
		{[]string{"Accept-Encoding, cookie"}, true},
		{[]string{"Origin", "Cookie"}, true},
		{[]string{"*"}, true},
	} {
		if got := Varies(http.Header{"Vary": c.vary}, "Cookie"); got != c.want {
			t.Errorf("Varies(%q) = %v, want %v", c.vary, got, c.want)
		}
	}
}

func TestPrivateDropsTargetedCacheFields(t *testing.T) {
	h := http.Header{}
	for _, k := range []string{"CDN-Cache-Control", "Cloudflare-CDN-Cache-Control", "Surrogate-Control", "Edge-Control", "X-Accel-Expires"} {
		h.Set(k, "max-age=600")
	}
	h.Set("Cache-Control", "max-age=60")
	h.Set("Content-Type", "text/html")
	Private(h)
	if len(h) != 2 || h.Get("Cache-Control") != "private, max-age=60" || h.Get("Content-Type") != "text/html" {
		t.Errorf("after Private: %v", h)
	}
}
