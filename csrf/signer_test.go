package csrf

import (
	"bytes"
	"strings"
	"testing"
)

// A signed cookie verifies only for its own session and key, tampering
// breaks it, and it carries back the secret it was made with.
func TestCookieVerify(t *testing.T) {
	sg := newCookieSigner(testKey)
	var secret [secretLen]byte
	newSecret(&secret)
	verifies := func(sg *cookieSigner, dst *[secretLen]byte, v, session string) bool {
		ok, _ := sg.verify(dst, v, session)
		return ok
	}
	for _, session := range []string{"", "sess-A", strings.Repeat("s", 600)} {
		v := sg.encode(&secret, session)
		for i := range 3 {
			var got [secretLen]byte
			if !verifies(sg, &got, v, session) || got != secret {
				t.Fatalf("session %.10q, call %d: valid cookie rejected or wrong secret", session, i)
			}
		}
		var got [secretLen]byte
		if verifies(sg, &got, v, session+"x") || verifies(sg, &got, v, "sess-B") {
			t.Fatalf("session %.10q: cookie verified for another session", session)
		}
		tampered := []byte(v)
		tampered[10] ^= 1
		if verifies(sg, &got, string(tampered), session) {
			t.Fatalf("session %.10q: tampered cookie verified", session)
		}
		other := newCookieSigner(bytes.Repeat([]byte{7}, 32))
		if verifies(other, &got, v, session) {
			t.Fatalf("session %.10q: cookie verified under another key", session)
		}
	}
}

func TestEqualCT(t *testing.T) {
	for _, c := range []struct {
		a, b string
		want int
	}{{"", "", 1}, {"abc", "abc", 1}, {"abc", "abd", 0}, {"xbc", "abc", 0}} {
		if got := equalCT(c.a, c.b); got != c.want {
			t.Errorf("equalCT(%q, %q) = %d, want %d", c.a, c.b, got, c.want)
		}
	}
}
