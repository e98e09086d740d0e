package scheme

import (
	"crypto/tls"
	"net/http/httptest"
	"testing"
)

func TestIsHTTPS(t *testing.T) {
	cases := []struct {
		name    string
		tls     bool
		trust   bool
		headers map[string][]string
		want    bool
	}{
		{"plain http", false, false, nil, false},
		{"tls", true, false, nil, true},
		{"tls ignores proxy saying http", true, true, map[string][]string{"X-Forwarded-Proto": {"http"}}, true},
		{"untrusted X-Forwarded-Proto ignored", false, false, map[string][]string{"X-Forwarded-Proto": {"https"}}, false},
		{"untrusted Forwarded ignored", false, false, map[string][]string{"Forwarded": {"proto=https"}}, false},
		{"trusted X-Forwarded-Proto", false, true, map[string][]string{"X-Forwarded-Proto": {"https"}}, true},
		{"trusted X-Forwarded-Proto upper case", false, true, map[string][]string{"X-Forwarded-Proto": {"HTTPS"}}, true},
		{"trusted X-Forwarded-Proto last wins", false, true, map[string][]string{"X-Forwarded-Proto": {"https, http"}}, false},
		{"trusted X-Forwarded-Proto last line wins", false, true, map[string][]string{"X-Forwarded-Proto": {"http", "https"}}, true},
		{"trusted Forwarded", false, true, map[string][]string{"Forwarded": {`for=192.0.2.60;proto=https;by=203.0.113.43`}}, true},
		{"trusted Forwarded quoted", false, true, map[string][]string{"Forwarded": {`proto="https"`}}, true},
		{"trusted Forwarded last element", false, true, map[string][]string{"Forwarded": {`proto=http, proto=https`}}, true},
		{"trusted Forwarded beats X-Forwarded-Proto", false, true, map[string][]string{"Forwarded": {"proto=http"}, "X-Forwarded-Proto": {"https"}}, false},
		{"trusted Forwarded without proto falls back", false, true, map[string][]string{"Forwarded": {"for=1.2.3.4"}, "X-Forwarded-Proto": {"https"}}, true},
		{"trusted but no headers", false, true, nil, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", "http://example.com/", nil)
			if c.tls {
				r.TLS = &tls.ConnectionState{}
			}
			for k, vs := range c.headers {
				for _, v := range vs {
					r.Header.Add(k, v)
				}
			}
			if got := IsHTTPS(r, c.trust); got != c.want {
				t.Fatalf("IsHTTPS = %v, want %v", got, c.want)
			}
		})
	}
}

func FuzzIsHTTPS(f *testing.F) {
	f.Add("proto=https", "https")
	f.Add(`for="[2001:db8::1]";proto="http", proto=https`, "http, https")
	f.Add(";;=,", ",,,")
	f.Fuzz(func(t *testing.T, forwarded, xfp string) {
		r := httptest.NewRequest("GET", "http://example.com/", nil)
		r.Header.Set("Forwarded", forwarded)
		r.Header.Set("X-Forwarded-Proto", xfp)
		_ = IsHTTPS(r, true)
		if IsHTTPS(r, false) {
			t.Fatal("untrusted headers made a plain request HTTPS")
		}
	})
}
