package auth

import (
	"net/url"
	"strings"
	"testing"
)

func TestIsSafeRedirect(t *testing.T) {
	tests := []struct {
		name, next string
		ok         bool
	}{
		{"root", "/", true},
		{"path", "/notes", true},
		{"path and query", "/notes?page=2&q=a%20b", true},
		{"fragment", "/notes#top", true},
		{"encoded slash inside path", "/a%2Fb", true},
		{"colon in path", "/a:b", true},
		{"query with url", "/go?to=https://example.com", true},

		// Django url_has_allowed_host_and_scheme "bad" cases, adapted.
		{"absolute http", "http://example.com", false},
		{"absolute http triple slash", "http:///example.com", false},
		{"absolute https", "https://example.com", false},
		{"ftp", "ftp://example.com", false},
		{"backslash scheme-relative", `\\example.com`, false},
		{"backslash after slash", `/\example.com`, false},
		{"slash backslash backslash", `/\\example.com`, false},
		{"http backslashes", `http:\\example.com`, false},
		{"http slash backslash", `http:/\example.com`, false},
		{"http backslash slash", `http:\/example.com`, false},
		{"scheme-relative", "//example.com", false},
		{"triple slash", "///example.com", false},
		{"leading tab", "\t//example.com", false},
		{"leading tab path", "\t/x", false},
		{"leading newline", "\n/x", false},
		{"leading space", " /x", false},
		{"leading nul", "\x00/x", false},
		{"leading bell", "\x07//example.com", false},
		{"leading del", "\x7f/x", false},
		{"space inside", "/a b", false},
		{"tab inside", "/a\tb", false},
		{"slash tab slash", "/\t/example.com", false},
		{"user info", "http://user@example.com", false},
		{"javascript", "javascript:alert(1)", false},
		{"javascript upper", "JaVaScRiPt:alert(1)", false},
		{"data", "data:text/html,<script>alert(1)</script>", false},
		{"relative path", "notes", false},
		{"relative dot", "./notes", false},
		{"empty", "", false},
		{"non-ascii", "/ünïcode", false},
		{"fullwidth slash", "/／example.com", false},
		{"unicode slash lookalike", "/\u2215example.com", false},

		// Encoded variants.
		{"encoded double slash", "/%2F%2Fexample.com", false},
		{"encoded backslash", "/%5Cexample.com", false},
		{"encoded tab", "/%09/example.com", false},
		{"encoded newline", "/x%0d%0aSet-Cookie:a=b", false},
		{"double-encoded slash", "/%252F%252Fexample.com", false},
		{"double-encoded backslash", "/%255Cexample.com", false},
		{"encoded nul", "/x%00", false},
		{"bad escape", "/x%zz", false},
		{"dot segment", "/a/../..//example.com", false},
		{"encoded dot segment", "/%2e%2e//example.com", false},
		{"single dot", "/./x", false},
		{"too long", "/" + strings.Repeat("a", maxNextLength), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := IsSafeRedirect(tt.next); got != tt.ok {
				t.Fatalf("IsSafeRedirect(%q) = %v, want %v", tt.next, got, tt.ok)
			}
		})
	}
	if got := SafeRedirect("//evil", "/home"); got != "/home" {
		t.Fatalf("SafeRedirect fallback = %q", got)
	}
}

func FuzzIsSafeRedirect(f *testing.F) {
	for _, s := range []string{"/", "/notes?x=1", "//evil", `/\evil`, "/%2F%2Fevil", "https://evil", "http:///evil",
		"javascript:x", "\t/x", "/%252F%252Fevil", "/a/../b"} {
		f.Add(s)
	}
	base, _ := url.Parse("https://app.example/login")
	f.Fuzz(func(t *testing.T, next string) {
		if !IsSafeRedirect(next) {
			return
		}
		u, err := url.Parse(next)
		if err != nil {
			t.Fatalf("accepted unparsable %q", next)
		}
		r := base.ResolveReference(u)
		if r.Scheme != "https" || r.Host != "app.example" || r.User != nil {
			t.Fatalf("accepted %q resolves off-origin to %s", next, r)
		}
		if strings.HasPrefix(r.Path, "//") || strings.ContainsAny(next, "\\\t\r\n ") {
			t.Fatalf("accepted %q: path %q", next, r.Path)
		}
		if dec := u.Path; strings.HasPrefix(dec, "//") || strings.ContainsAny(dec, "\\\x00\t\r\n") {
			t.Fatalf("accepted %q: path decodes to %q", next, dec)
		}
	})
}
