package audit

import (
	"math"
	"net/url"
	"strings"
)

// tokenNames are the anti-CSRF field names of common frameworks, lower
// case: Bulwark, Django, Rails, Laravel, ASP.NET, gorilla/csrf, nosurf,
// Spring, Express's csurf, Symfony, Joomla and others.
var tokenNames = map[string]bool{
	"csrf_token": true, "csrfmiddlewaretoken": true, "authenticity_token": true,
	"_csrf": true, "_token": true, "__requestverificationtoken": true,
	"gorilla.csrf.token": true, "csrftoken": true, "anticsrf": true,
	"csrf": true, "xsrf": true, "_xsrf": true, "xsrf_token": true, "_csrf_token": true,
	"csrf-token": true, "x-csrf-token": true, "_csrftoken": true, "__csrf_magic": true,
	"csrfmiddlewaretoken_": true, "nonce": true, "_wpnonce": true, "form_token": true,
	"token": true, "_csrf_header": true, "csrf_nonce": true, "__anticsrftoken": true,
}

// isTokenName reports whether a field or meta name is a known anti-CSRF
// token name, or contains csrf or xsrf.
func isTokenName(name string) bool {
	n := strings.ToLower(strings.TrimSpace(name))
	if n == "" {
		return false
	}
	return tokenNames[n] || strings.Contains(n, "csrf") || strings.Contains(n, "xsrf")
}

// tokenField returns the form's anti-CSRF token field, or nil. A field
// counts if its name is a known token name, or if it is hidden, its value
// looks random and it changed since an earlier render of the same form
// (again; nil if there was none).
func (f *form) tokenField(again *form) *field {
	for i := range f.Fields {
		fd := &f.Fields[i]
		if isTokenName(fd.Name) && fd.Type != "submit" {
			return fd
		}
	}
	if again == nil {
		return nil
	}
	for i := range f.Fields {
		fd := &f.Fields[i]
		other := again.field(fd.Name)
		if fd.Type == "hidden" && highEntropy(fd.Value) && other != nil && other.Value != fd.Value {
			return fd
		}
	}
	return nil
}

// highEntropy reports whether v looks like a random secret: at least 16
// characters with at least 3.5 bits of Shannon entropy per character, or
// for hex (at most 4 bits a character, about 3.7 in a random sample of
// 32) at least 32 characters and 3 bits.
func highEntropy(v string) bool {
	if len(v) < 16 {
		return false
	}
	h := entropy(v)
	if isHex(v) && len(v) >= 32 {
		return h >= 3
	}
	return h >= 3.5
}

func isHex(v string) bool {
	return strings.Trim(strings.ToLower(v), "0123456789abcdef") == ""
}

// entropy is v's Shannon entropy in bits per character.
func entropy(v string) float64 {
	var counts [256]int
	for i := 0; i < len(v); i++ {
		counts[v[i]]++
	}
	h := 0.0
	for _, c := range counts {
		if c > 0 {
			p := float64(c) / float64(len(v))
			h -= p * math.Log2(p)
		}
	}
	return h
}

// tokenParams lists query parameters of u that carry a token: a known
// token name, or a session-looking name (session, sid, jsessionid, phpsessid).
func tokenParams(q map[string][]string) []string {
	var out []string
	for k := range q {
		n := strings.ToLower(k)
		if isTokenName(n) || n == "session" || n == "sid" || n == "sessionid" || strings.Contains(n, "pass") || n == "pwd" ||
			n == "jsessionid" || n == "phpsessid" || n == "auth_token" || n == "access_token" {
			out = append(out, k)
		}
	}
	return out
}

// show prints a URL without secrets: no user info, and the values of
// token and session query parameters masked.
func show(u *url.URL) string {
	if u == nil {
		return ""
	}
	c := *u
	c.User = nil
	if c.RawQuery != "" {
		q := c.Query()
		for _, k := range tokenParams(q) {
			q[k] = []string{"…"}
		}
		c.RawQuery = q.Encode()
	}
	return c.String()
}
