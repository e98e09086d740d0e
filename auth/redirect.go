// This file holds the check for the post-login "next" redirect target.

package auth

import (
	"net/url"
	"strings"
)

// maxNextLength bounds a redirect target; longer values are refused.
const maxNextLength = 2048

// IsSafeRedirect reports whether next may be used as a redirect target
// after login: a same-origin, path-absolute URL such as "/notes?page=2".
//
// It is deliberately stricter than browsers are lenient. Accepted values
// start with exactly one "/", hold only printable ASCII (non-ASCII must be
// percent-encoded), no backslash, no whitespace or control characters, no
// "." or ".." path segments, and stay so after percent-decoding (repeatedly),
// so "//evil.example", "/\evil.example", "/%2F%2Fevil", "https://evil",
// "http:///evil", "javascript:alert(1)" and " /x" are all refused. The
// cases of Django's url_has_allowed_host_and_scheme are covered by tests.
func IsSafeRedirect(next string) bool {
	if next == "" || len(next) > maxNextLength || !safeChars(next) {
		return false
	}
	path := next
	if i := strings.IndexAny(path, "?#"); i >= 0 {
		path = path[:i] // the query and fragment cannot change the origin
	}
	// Check the path, then its percent-decodings (double encoding included):
	// a later hop (a proxy, a framework) might decode it before use.
	for range 4 {
		if !safePath(path) {
			return false
		}
		d, err := url.PathUnescape(path)
		if err != nil {
			return false
		}
		if d == path {
			u, err := url.Parse(next)
			return err == nil && u.Scheme == "" && u.Host == "" && u.User == nil && u.Opaque == ""
		}
		path = d
	}
	return false // still changing after four decodings: refuse rather than guess
}

// safeChars reports whether s holds only printable ASCII other than the
// backslash.
func safeChars(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c <= ' ' || c >= 0x7f || c == '\\' {
			return false
		}
	}
	return true
}

// safePath checks one decoding stage of a redirect target's path.
func safePath(path string) bool {
	if len(path) == 0 || path[0] != '/' || (len(path) > 1 && (path[1] == '/' || path[1] == '\\')) {
		return false
	}
	if !safeChars(path) {
		return false
	}
	for seg := range strings.SplitSeq(path, "/") {
		if seg == "." || seg == ".." {
			return false
		}
	}
	return true
}

// SafeRedirect returns next if IsSafeRedirect(next), else fallback.
func SafeRedirect(next, fallback string) string {
	if IsSafeRedirect(next) {
		return next
	}
	return fallback
}
