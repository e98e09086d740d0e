package demo

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

func TestAttackLogIsBounded(t *testing.T) {
	l := NewAttackLog(3)
	for i := 0; i < 5; i++ {
		l.Add(Entry{Path: "/" + string(rune('a'+i))})
	}
	got := l.Entries()
	if len(got) != 3 || got[0].ID != 5 || got[0].Path != "/e" || got[2].ID != 3 {
		t.Errorf("entries = %+v, want the last 3, newest first", got)
	}
	l.Clear()
	if len(l.Entries()) != 0 {
		t.Error("Clear left entries")
	}
	if e := l.Add(Entry{}); e.ID != 6 {
		t.Errorf("ID after Clear = %d, want 6", e.ID)
	}
}

func TestAttackLogWait(t *testing.T) {
	l := NewAttackLog(0)
	l.Add(Entry{Attack: "a"})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if e, err := l.Wait(ctx, func(e Entry) bool { return e.Attack == "a" }); err != nil || e.ID != 1 {
		t.Fatalf("Wait for an existing entry = %+v, %v", e, err)
	}

	got := make(chan Entry)
	go func() {
		e, _ := l.Wait(ctx, func(e Entry) bool { return e.Attack == "b" })
		got <- e
	}()
	l.Add(Entry{Attack: "c"})
	l.Add(Entry{Attack: "b"})
	if e := <-got; e.Attack != "b" {
		t.Errorf("Wait returned %+v, want attack b", e)
	}

	short, cancelShort := context.WithCancel(context.Background())
	cancelShort()
	if _, err := l.Wait(short, func(Entry) bool { return false }); !errors.Is(err, context.Canceled) {
		t.Errorf("Wait on a cancelled context = %v", err)
	}
}

func TestIsCrossSite(t *testing.T) {
	tests := []struct {
		name, target string
		hdr          map[string]string
		want         bool
	}{
		{"plain GET", "/", nil, false},
		{"same-origin", "/", map[string]string{"Sec-Fetch-Site": "same-origin", "Origin": "http://localhost:8000", "Referer": "http://localhost:8000/notes"}, false},
		{"typed URL", "/", map[string]string{"Sec-Fetch-Site": "none"}, false},
		{"cross-site", "/", map[string]string{"Sec-Fetch-Site": "cross-site"}, true},
		{"same-site", "/", map[string]string{"Sec-Fetch-Site": "same-site"}, true},
		{"tagged", "/logout?attack=a", nil, true},
		{"foreign origin", "/", map[string]string{"Origin": "http://127.0.0.1:8001"}, true},
		{"null origin", "/", map[string]string{"Origin": "null"}, true},
		{"foreign referer", "/", map[string]string{"Referer": "http://127.0.0.1:8001/"}, true},
		{"malformed referer", "/", map[string]string{"Referer": "%%"}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", "http://localhost:8000"+tt.target, nil)
			for k, v := range tt.hdr {
				r.Header.Set(k, v)
			}
			if got := isCrossSite(r); got != tt.want {
				t.Errorf("isCrossSite = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestVerdict(t *testing.T) {
	csrfErr := errors.New("csrf: cross-site request")
	tests := []struct {
		name    string
		method  string
		status  int
		cookie  bool
		a       attempt
		unsafe  bool
		verdict string
	}{
		{"csrf refusal", "POST", 403, true, attempt{user: "u", csrfReason: csrfErr}, false, VerdictRefused},
		{"csrf refusal without cookie", "POST", 403, false, attempt{csrfReason: csrfErr}, false, VerdictRefused},
		{"no cookie", "GET", 405, false, attempt{}, false, VerdictBlockedByBrowser},
		{"cookie but nobody logged in", "GET", 405, true, attempt{}, false, VerdictBlockedByBrowser},
		{"405", "GET", 405, true, attempt{user: "u"}, false, VerdictRefused},
		{"401", "POST", 401, true, attempt{user: "u"}, false, VerdictRefused},
		{"other 4xx", "POST", 422, true, attempt{user: "u"}, false, VerdictRefused},
		{"effect in unsafe mode", "GET", 303, true, attempt{user: "u", effect: "logged out"}, true, VerdictAcceptedUnsafe},
		{"effect in safe mode", "POST", 303, true, attempt{user: "u", effect: "note created"}, false, VerdictAccepted},
		{"read-only", "GET", 200, true, attempt{user: "u"}, false, VerdictAllowed},
		{"POST without effect", "POST", 200, true, attempt{user: "u"}, false, VerdictAccepted},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, reason := verdict(tt.method, tt.status, tt.cookie, &tt.a, tt.unsafe)
			if v != tt.verdict || reason == "" {
				t.Errorf("verdict = %q, %q; want %q with a reason", v, reason, tt.verdict)
			}
		})
	}
}

func TestStatusRecorder(t *testing.T) {
	w := httptest.NewRecorder()
	rec := &statusRecorder{ResponseWriter: w}
	rec.Write([]byte("x"))
	rec.WriteHeader(http.StatusTeapot)
	if rec.status != http.StatusOK {
		t.Errorf("status = %d, want 200 (the implicit one)", rec.status)
	}
	if http.NewResponseController(rec).Flush() != nil {
		t.Error("Flush does not reach the underlying writer")
	}
}
