package main

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

var fieldRE = regexp.MustCompile(`name="csrf_token" value="([^"]+)"`)

// The example works over plain HTTP on localhost: load the form, post it,
// and see a forged post rejected.
func TestExampleServer(t *testing.T) {
	h, err := newHandler(slog.New(slog.DiscardHandler), true)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	defer srv.Close()

	res, err := http.Get(srv.URL + "/")
	if err != nil {
		t.Fatal(err)
	}
	page, err := io.ReadAll(res.Body)
	res.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	m := fieldRE.FindSubmatch(page)
	if m == nil || len(res.Cookies()) != 1 {
		t.Fatalf("no token field or cookie: %d cookies", len(res.Cookies()))
	}
	cookie := res.Cookies()[0]

	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	post := func(token, origin string) int {
		req, _ := http.NewRequest("POST", srv.URL+"/notes", strings.NewReader(url.Values{"note": {"hi"}, "csrf_token": {token}}.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Origin", origin)
		req.AddCookie(cookie)
		res, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res.StatusCode
	}
	token := string(m[1])
	if code := post(token, srv.URL); code != http.StatusSeeOther {
		t.Fatalf("valid post: %d", code)
	}
	if code := post("forged", srv.URL); code != http.StatusForbidden {
		t.Fatalf("forged token: %d", code)
	}
	if code := post(token, "https://evil.example"); code != http.StatusForbidden {
		t.Fatalf("cross-origin: %d", code)
	}
}
