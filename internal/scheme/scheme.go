// Package scheme decides whether a request reached the application over
// HTTPS. It never guesses: a request is HTTPS when it arrived on a TLS
// connection, or when the caller explicitly trusts a reverse proxy and that
// proxy says so in X-Forwarded-Proto or Forwarded (RFC 7239).
//
// It is shared by csrf and session and imports only the standard library.
package scheme

import (
	"net/http"
	"strings"
)

// IsHTTPS reports whether r was received over HTTPS. With trustProxy false
// only r.TLS counts; proxy headers are ignored because any client can send
// them. With trustProxy true the value set by the nearest proxy (the last
// one in the header) is honoured; a TLS connection is HTTPS either way.
func IsHTTPS(r *http.Request, trustProxy bool) bool {
	if r.TLS != nil {
		return true
	}
	if !trustProxy {
		return false
	}
	if p, ok := forwardedProto(r.Header); ok {
		return strings.EqualFold(p, "https")
	}
	if v := lastListElement(r.Header.Values("X-Forwarded-Proto")); v != "" {
		return strings.EqualFold(v, "https")
	}
	return false
}

// forwardedProto returns the proto parameter of the last element of the
// Forwarded header, the one the nearest proxy appended.
func forwardedProto(h http.Header) (string, bool) {
	last := lastListElement(h.Values("Forwarded"))
	if last == "" {
		return "", false
	}
	for _, pair := range strings.Split(last, ";") {
		name, value, ok := strings.Cut(strings.TrimSpace(pair), "=")
		if !ok || !strings.EqualFold(strings.TrimSpace(name), "proto") {
			continue
		}
		value = strings.Trim(strings.TrimSpace(value), `"`)
		return value, value != ""
	}
	return "", false
}

// lastListElement returns the last comma-separated element of the last
// header line, trimmed.
func lastListElement(lines []string) string {
	if len(lines) == 0 {
		return ""
	}
	line := lines[len(lines)-1]
	if i := strings.LastIndexByte(line, ','); i >= 0 {
		line = line[i+1:]
	}
	return strings.TrimSpace(line)
}
