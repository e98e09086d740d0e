package demo_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/bulwark-go/bulwark/cmd/bulwark/internal/demo"
)

const loopback = "127.0.0.1:50000"

// newLabClient returns a client on the loopback address, logged in as name.
func newLabClient(t *testing.T, d *demo.Demo, name string) *client {
	t.Helper()
	c := newClient(t, d.Victim())
	c.remote = loopback
	c.login(name)
	return c
}

// labState reads GET /api/lab.
func labState(t *testing.T, c *client) demo.LabResponse {
	t.Helper()
	res := c.do("GET", "/api/lab", "", nil)
	var lr demo.LabResponse
	if err := json.Unmarshal([]byte(res.body), &lr); err != nil || res.StatusCode != 200 {
		t.Fatalf("GET /api/lab: %d %s (%v)", res.StatusCode, res.body, err)
	}
	return lr
}

// labPost posts form (with the lab page's token and version unless set)
// to path.
func labPost(t *testing.T, c *client, path string, form url.Values) response {
	t.Helper()
	if !form.Has("csrf_token") {
		form.Set("csrf_token", c.token("/lab"))
	}
	if !form.Has("version") {
		form.Set("version", strconv.FormatInt(labState(t, c).Version, 10))
	}
	return c.do("POST", path, form.Encode(), nil)
}

func applyPreset(t *testing.T, c *client, name string) {
	t.Helper()
	res := labPost(t, c, "/lab/preset", url.Values{"preset": {name}})
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/lab" {
		t.Fatalf("POST /lab/preset %s: %d %q %s", name, res.StatusCode, res.Header.Get("Location"), res.body)
	}
	if got := labState(t, c).Preset; got != name {
		t.Fatalf("preset after applying %s: %q", name, got)
	}
}

// forge sends attack id the way Chromium does from the attacker site
// (see /work/shared/BROWSER.md), with the session cookie only when
// cookieSent, and returns the entry it logged.
func forge(t *testing.T, d *demo.Demo, c *client, id string, cookieSent bool) demo.Entry {
	t.Helper()
	var a demo.Attack
	for _, at := range demo.Attacks {
		if at.ID == id {
			a = at
		}
	}
	body, ctype := "", ""
	switch id {
	case "b":
		body, ctype = "x=1", "application/x-www-form-urlencoded"
	case "c":
		body, ctype = "body=pwned", "application/x-www-form-urlencoded"
	case "d":
		body, ctype = `{"body":"pwned"}`, "text/plain;charset=UTF-8"
	}
	r := httptest.NewRequest(a.Method, victimOrigin+a.Target+"?attack="+id, strings.NewReader(body))
	r.RemoteAddr = loopback
	r.Header.Set("Sec-Fetch-Site", "cross-site")
	r.Header.Set("Referer", attackerOrigin+"/")
	if a.Method == http.MethodPost {
		r.Header.Set("Origin", attackerOrigin)
	}
	if ctype != "" {
		r.Header.Set("Content-Type", ctype)
	}
	if cookieSent {
		for name, val := range c.cookies {
			r.AddCookie(&http.Cookie{Name: name, Value: val})
		}
	}
	w := httptest.NewRecorder()
	d.Victim().ServeHTTP(w, r)
	if w.Code >= 500 {
		t.Fatalf("attack %s: status %d", id, w.Code)
	}
	e, err := d.AttackLog().Wait(context.Background(), func(e demo.Entry) bool { return e.Attack == id })
	if err != nil {
		t.Fatal(err)
	}
	d.AttackLog().Clear()
	return e
}

func layerOf(e demo.Entry, key string) demo.LayerResult {
	for _, l := range e.Layers {
		if l.Layer == key {
			return l
		}
	}
	return demo.LayerResult{}
}

// TestLabPresets applies each preset through its form, forges each attack
// as the browser would send it, and checks the real state and the entry.
func TestLabPresets(t *testing.T) {
	type want struct {
		cookie  bool // the browser sends the session cookie
		decided string
		outcome string
	}
	const (
		out   = demo.OutcomeLoggedOut
		note  = demo.OutcomeNoteCreated
		none  = demo.OutcomeNothingChanged
		token = demo.LayerKeyToken
	)
	tests := map[string]map[string]want{
		"get-logout": {"a": {true, "", out}, "b": {true, "", out}, "c": {true, "", note}, "d": {true, "", note}, "e": {true, "", out}},
		"post-only":  {"a": {true, "logout", none}, "b": {true, "", out}, "c": {true, "", note}, "d": {true, "", note}, "e": {true, "logout", none}},
		"post-token": {"a": {true, "logout", none}, "b": {true, token, none}, "c": {true, token, none}, "d": {true, token, none}, "e": {true, "logout", none}},
		// SameSite=Lax: only the top-level navigation carries the cookie.
		"all": {"a": {false, "logout", none}, "b": {false, "fetch_metadata", none}, "c": {false, "fetch_metadata", none},
			"d": {false, "fetch_metadata", none}, "e": {true, "logout", none}},
	}
	for _, p := range demo.Presets {
		t.Run(p.Name, func(t *testing.T) {
			d := newDemo(t, demo.Config{})
			addUser(t, d, "alice")
			admin := newLabClient(t, d, "alice")
			applyPreset(t, admin, p.Name)
			for _, a := range demo.Attacks {
				w := tests[p.Name][a.ID]
				t.Run(a.ID, func(t *testing.T) {
					victim := newLabClient(t, d, "alice")
					before := liveSessions(t, d, "alice")
					notesBefore, _ := d.Notes(context.Background(), "alice")
					e := forge(t, d, victim, a.ID, w.cookie)
					if e.Lab != p.Switches || e.Decided != w.decided || e.Outcome != w.outcome || e.CookieSent != w.cookie {
						t.Errorf("entry: lab %+v decided %q outcome %q cookie %v; want %+v %q %q %v\nlayers %+v",
							e.Lab, e.Decided, e.Outcome, e.CookieSent, p.Switches, w.decided, w.outcome, w.cookie, e.Layers)
					}
					if len(e.Layers) != len(demo.LayerKeys) {
						t.Fatalf("%d layers, want %d", len(e.Layers), len(demo.LayerKeys))
					}
					after := liveSessions(t, d, "alice")
					notesAfter, _ := d.Notes(context.Background(), "alice")
					if gotOut := after == before-1; gotOut != (w.outcome == out) {
						t.Errorf("live sessions %d → %d, outcome %q", before, after, w.outcome)
					}
					if gotNote := len(notesAfter) == len(notesBefore)+1; gotNote != (w.outcome == note) {
						t.Errorf("notes %d → %d, outcome %q", len(notesBefore), len(notesAfter), w.outcome)
					}
				})
			}
		})
	}
}

// TestLabLayerRows checks the rows of a few entries in detail: what a
// switched-off layer would have said, and GETs never judged.
func TestLabLayerRows(t *testing.T) {
	d := newDemo(t, demo.Config{})
	addUser(t, d, "bob")
	c := newLabClient(t, d, "bob")
	applyPreset(t, c, "post-only")

	e := forge(t, d, c, "c", true)
	for key, want := range map[string]demo.LayerResult{
		"samesite":       {Result: demo.ResultLetThrough, Off: true},
		"fetch_metadata": {Result: demo.ResultStopped, Off: true},
		"origin":         {Result: demo.ResultStopped, Off: true},
		"referer":        {Result: demo.ResultNotApplicable, Off: true},
		"token":          {Result: demo.ResultStopped, Off: true},
		"logout":         {Result: demo.ResultNotApplicable},
	} {
		got := layerOf(e, key)
		if got.Result != want.Result || got.Off != want.Off || got.Reason == "" {
			t.Errorf("attack c, %s: %+v, want %s off=%v with a reason", key, got, want.Result, want.Off)
		}
	}
	if e.Verdict != demo.VerdictAccepted {
		t.Errorf("verdict %q, want %q", e.Verdict, demo.VerdictAccepted)
	}

	e = forge(t, d, c, "a", true)
	if l := layerOf(e, "token"); l.Result != demo.ResultNotApplicable || !strings.Contains(l.Reason, "never checked") {
		t.Errorf("GET token row: %+v", l)
	}
	if l := layerOf(e, "logout"); l.Result != demo.ResultStopped || l.Off || e.Status != 405 {
		t.Errorf("GET /logout under POST-only: %+v, status %d", l, e.Status)
	}
}

// TestLabMatrix: the matrix shows, per attack, the last entry recorded
// under the current switches, and "not tried" otherwise.
func TestLabMatrix(t *testing.T) {
	d := newDemo(t, demo.Config{})
	addUser(t, d, "carol")
	c := newLabClient(t, d, "carol")
	d.AttackLog().Clear()
	r := httptest.NewRequest("POST", victimOrigin+"/notes?attack=c", strings.NewReader("body=pwned"))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	r.Header.Set("Sec-Fetch-Site", "cross-site")
	r.Header.Set("Origin", attackerOrigin)
	d.Victim().ServeHTTP(httptest.NewRecorder(), r)

	lr := labState(t, c)
	rows := map[string]demo.LabMatrixRow{}
	for _, row := range lr.Matrix {
		rows[row.Attack] = row
	}
	if len(lr.Matrix) != len(demo.Attacks) || !rows["c"].Tried || rows["c"].Decided != "fetch_metadata" || rows["a"].Tried {
		t.Fatalf("matrix = %+v", lr.Matrix)
	}
	page := c.do("GET", "/lab", "", nil).body
	for _, want := range []string{`id="lab-matrix"`, `<tr data-attack="c">`, `data-layer="fetch_metadata" data-result="stopped"`,
		`data-col="outcome" data-outcome="nothing-changed"`, `data-outcome="not-tried"`, `<strong id="lab-preset">all</strong>`} {
		if !strings.Contains(page, want) {
			t.Errorf("lab page lacks %s", want)
		}
	}

	applyPreset(t, c, "post-only")
	for _, row := range labState(t, c).Matrix {
		if row.Tried {
			t.Errorf("after a preset change, attack %s shows as tried", row.Attack)
		}
	}
	applyPreset(t, c, "all")
	if row := labState(t, c).Matrix[2]; !row.Tried || row.Attack != "c" {
		t.Errorf("back under the first switches, attack c = %+v, want its old entry", row)
	}
}

// TestLabBadInput: every bad request gets a clear 4xx.
func TestLabBadInput(t *testing.T) {
	d := newDemo(t, demo.Config{})
	addUser(t, d, "dave")
	c := newLabClient(t, d, "dave")
	tests := []struct {
		name, path string
		form       url.Values
		status     int
		contains   string
	}{
		{"unknown layer", "/lab/switch", url.Values{"layer": {"moat"}, "value": {"on"}}, 400, "samesite, logout, fetch_metadata, origin, token"},
		{"unknown value", "/lab/switch", url.Values{"layer": {"samesite"}, "value": {"strict"}}, 400, "want lax or none"},
		{"unknown on/off value", "/lab/switch", url.Values{"layer": {"token"}, "value": {"yes"}}, 400, "want on or off"},
		{"unknown preset", "/lab/preset", url.Values{"preset": {"fort-knox"}}, 400, "get-logout, post-only, post-token, all"},
		{"stale version", "/lab/switch", url.Values{"layer": {"token"}, "value": {"off"}, "version": {"0"}}, 409, "changed in another tab; reload"},
		{"no version", "/lab/preset", url.Values{"preset": {"all"}, "version": {"x"}}, 400, "version"},
		{"negative version", "/lab/preset", url.Values{"preset": {"all"}, "version": {"-5"}}, 400, "version"},
		{"no token", "/lab/preset", url.Values{"preset": {"all"}, "csrf_token": {""}}, 403, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := labPost(t, c, tt.path, tt.form)
			if res.StatusCode != tt.status || !strings.Contains(res.body, tt.contains) {
				t.Errorf("status %d, body %q; want %d containing %q", res.StatusCode, res.body, tt.status, tt.contains)
			}
		})
	}
	if lr := labState(t, c); lr.Preset != "all" || lr.Version != 1 {
		t.Errorf("bad requests changed the lab: %+v", lr)
	}

	t.Run("a switch POST without a token is refused with the token switch off", func(t *testing.T) {
		applyPreset(t, c, "get-logout")
		res := labPost(t, c, "/lab/switch", url.Values{"layer": {"token"}, "value": {"on"}, "csrf_token": {""}})
		if res.StatusCode != http.StatusForbidden || labState(t, c).Preset != "get-logout" {
			t.Errorf("status %d, preset %q; want 403 and no change", res.StatusCode, labState(t, c).Preset)
		}
	})
	t.Run("not from loopback", func(t *testing.T) {
		remote := newClient(t, d.Victim())
		remote.remote = "192.0.2.7:40000"
		for _, path := range []string{"/lab", "/api/lab", "/lab/tour"} {
			if res := remote.do("GET", path, "", nil); res.StatusCode != http.StatusForbidden || !strings.Contains(res.body, "loopback") {
				t.Errorf("GET %s: %d %q", path, res.StatusCode, res.body)
			}
		}
		tok := c.token("/lab")
		remote.cookies = c.cookies
		res := remote.do("POST", "/lab/preset", url.Values{"csrf_token": {tok}, "version": {"1"}, "preset": {"all"}}.Encode(), nil)
		if res.StatusCode != http.StatusForbidden {
			t.Errorf("POST from 192.0.2.7: %d %q", res.StatusCode, res.body)
		}
	})
}

// TestLabConcurrentChanges: two tabs post with the same version; exactly
// one wins, the other gets 409.
func TestLabConcurrentChanges(t *testing.T) {
	d := newDemo(t, demo.Config{})
	addUser(t, d, "erin")
	c := newLabClient(t, d, "erin")
	tok := c.token("/lab")
	version := strconv.FormatInt(labState(t, c).Version, 10)
	codes := make([]int, 2)
	var wg sync.WaitGroup
	for i, value := range []string{"off", "on"} {
		form := url.Values{"csrf_token": {tok}, "version": {version}, "layer": {"fetch_metadata"}, "value": {value}}
		r := httptest.NewRequest("POST", victimOrigin+"/lab/switch", strings.NewReader(form.Encode()))
		r.RemoteAddr = loopback
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		r.Header.Set("Sec-Fetch-Site", "same-origin")
		r.Header.Set("Origin", victimOrigin)
		for name, val := range c.cookies {
			r.AddCookie(&http.Cookie{Name: name, Value: val})
		}
		wg.Go(func() {
			w := httptest.NewRecorder()
			d.Victim().ServeHTTP(w, r)
			codes[i] = w.Code
		})
	}
	wg.Wait()
	if !(codes[0] == 303 && codes[1] == 409 || codes[0] == 409 && codes[1] == 303) {
		t.Errorf("statuses %v, want one 303 and one 409", codes)
	}
	if v := labState(t, c).Version; v != 2 {
		t.Errorf("version %d, want 2", v)
	}
}

// TestLabEntriesKeepTheirSnapshot: changing a switch does not change what
// an earlier entry says.
func TestLabEntriesKeepTheirSnapshot(t *testing.T) {
	d := newDemo(t, demo.Config{})
	addUser(t, d, "fred")
	c := newLabClient(t, d, "fred")
	applyPreset(t, c, "post-token")
	r := httptest.NewRequest("POST", victimOrigin+"/notes?attack=c", strings.NewReader("body=pwned"))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	r.Header.Set("Sec-Fetch-Site", "cross-site")
	d.Victim().ServeHTTP(httptest.NewRecorder(), r)
	first := d.AttackLog().Entries()[0]

	res := labPost(t, c, "/lab/switch", url.Values{"layer": {"token"}, "value": {"off"}, "return": {"tour"}})
	if res.StatusCode != 303 || res.Header.Get("Location") != "/lab/tour" {
		t.Fatalf("switch: %d %q", res.StatusCode, res.Header.Get("Location"))
	}
	var again demo.Entry
	for _, e := range d.AttackLog().Entries() {
		if e.ID == first.ID {
			again = e
		}
	}
	if again.Lab != first.Lab || !again.Lab.Token || layerOf(again, "token").Off || again.Decided != "token" {
		t.Errorf("the earlier entry changed or was wrong: %+v", again)
	}
}

// TestLabSameSiteRewrite: switching the cookie to None re-issues it at
// once with SameSite=None and Secure, and back again with Lax.
func TestLabSameSiteRewrite(t *testing.T) {
	for _, cfg := range []demo.Config{{}, {CookieSameSite: http.SameSiteNoneMode}} {
		d := newDemo(t, cfg)
		addUser(t, d, "gwen")
		c := newLabClient(t, d, "gwen")
		values := []string{"none", "lax"}
		if cfg.CookieSameSite == http.SameSiteNoneMode {
			values = []string{"lax", "none"}
		}
		for _, value := range values {
			res := labPost(t, c, "/lab/switch", url.Values{"layer": {"samesite"}, "value": {value}})
			if res.StatusCode != 303 {
				t.Fatalf("switch samesite %s: %d %s", value, res.StatusCode, res.body)
			}
			var line string
			for _, l := range c.setCookies {
				if strings.HasPrefix(l, "session=") || strings.HasPrefix(l, "__Host-session=") {
					line = l
				}
			}
			want := map[string]string{"none": "SameSite=None", "lax": "SameSite=Lax"}[value]
			if !strings.Contains(line, want) || (value == "none" && !strings.Contains(line, "Secure")) || strings.Count(line, "SameSite") != 1 {
				t.Errorf("start %v, switch %s: Set-Cookie %q", cfg.CookieSameSite, value, line)
			}
			if n := liveSessions(t, d, "gwen"); n != 1 {
				t.Errorf("%d live sessions after the re-issue, want 1", n)
			}
		}
		if res := c.do("GET", "/notes", "", nil); res.StatusCode != 200 {
			t.Errorf("the re-issued cookie does not log in: %d", res.StatusCode)
		}
	}
}

// TestLabUnsafeMode: the lab explains itself and refuses changes.
func TestLabUnsafeMode(t *testing.T) {
	d := newDemo(t, demo.Config{Unsafe: true})
	c := newClient(t, d.Victim())
	c.remote = loopback
	if res := c.do("GET", "/lab", "", nil); res.StatusCode != 200 || !strings.Contains(res.body, "restart without -unsafe") {
		t.Errorf("GET /lab: %d %.300s", res.StatusCode, res.body)
	}
	res := c.do("POST", "/lab/preset", url.Values{"version": {"1"}, "preset": {"all"}}.Encode(), nil)
	if res.StatusCode != http.StatusConflict || !strings.Contains(res.body, "restart without -unsafe") {
		t.Errorf("POST /lab/preset: %d %q", res.StatusCode, res.body)
	}
	if lab := d.Lab(); lab.Available || lab.Preset != "get-logout" {
		t.Errorf("Lab() = %+v", lab)
	}
}

// TestLabOffLoopback: a demo listening on every interface has no lab.
func TestLabOffLoopback(t *testing.T) {
	d := newDemo(t, demo.Config{Addr: "0.0.0.0:0", AttackerAddr: "127.0.0.1:0"})
	v, a, err := d.Listen(context.Background())
	if err != nil {
		t.Skipf("cannot listen on 0.0.0.0 here: %v", err)
	}
	v.Close()
	a.Close()
	if d.Lab().Available {
		t.Error("the lab is available on a demo listening on 0.0.0.0")
	}
	c := newClient(t, d.Victim())
	c.remote = loopback
	if res := c.do("GET", "/api/lab", "", nil); res.StatusCode != http.StatusForbidden || !strings.Contains(res.body, "non-loopback") {
		t.Errorf("GET /api/lab: %d %q", res.StatusCode, res.body)
	}
	if err := d.ApplyPreset("get-logout"); err == nil || d.Lab().Preset != "all" {
		t.Errorf("ApplyPreset on a public demo: %v, preset %q", err, d.Lab().Preset)
	}
}

// TestLabGETLogoutWithoutCookie: a GET logout that carries no session
// changes nothing, and SameSite decided; HEAD never logs out.
func TestLabGETLogoutWithoutCookie(t *testing.T) {
	d := newDemo(t, demo.Config{})
	addUser(t, d, "hank")
	c := newLabClient(t, d, "hank")
	applyPreset(t, c, "get-logout")
	e := forge(t, d, c, "a", false)
	if e.Outcome != demo.OutcomeNothingChanged || e.Decided != demo.LayerKeySameSite || liveSessions(t, d, "hank") != 1 {
		t.Errorf("entry %+v, live sessions %d", e, liveSessions(t, d, "hank"))
	}
	res := c.do("HEAD", "/logout?attack=h", "", map[string]string{"Sec-Fetch-Site": "cross-site"})
	e = d.AttackLog().Entries()[0]
	if res.StatusCode != 405 || layerOf(e, "logout").Result != demo.ResultStopped || liveSessions(t, d, "hank") != 1 {
		t.Errorf("HEAD /logout: %d, logout row %+v", res.StatusCode, layerOf(e, "logout"))
	}
}

// TestLabReviewFindings pins what an attacker review of the lab found:
// a page on another name that resolves here (DNS rebinding) cannot reach
// the switches; a form that is not urlencoded gets a clear 415; a lab
// route's entry shows the layers that applied to it (the enforcing
// Protector's, none of them off), and a tagged request to a lab route
// does not fill an attack's row of the matrix.
func TestLabReviewFindings(t *testing.T) {
	d := newDemo(t, demo.Config{})
	addUser(t, d, "hal")
	c := newLabClient(t, d, "hal")

	t.Run("DNS rebinding", func(t *testing.T) {
		form := url.Values{"csrf_token": {c.token("/lab")}, "version": {"1"}, "preset": {"get-logout"}}
		hdr := map[string]string{"Host": "evil.test:8000", "Origin": "http://evil.test:8000"}
		res := c.do("POST", "/lab/preset", form.Encode(), hdr)
		if res.StatusCode != http.StatusForbidden || !strings.Contains(res.body, "DNS rebinding") || labState(t, c).Preset != "all" {
			t.Errorf("POST with Host evil.test: %d %q, preset %q; want 403 and no change", res.StatusCode, res.body, labState(t, c).Preset)
		}
		if res := c.do("GET", "/api/lab", "", map[string]string{"Host": "evil.test:8000"}); res.StatusCode != http.StatusForbidden {
			t.Errorf("GET /api/lab with Host evil.test: %d", res.StatusCode)
		}
		for _, host := range []string{"localhost:8000", "127.0.0.1:8000", "[::1]:8000", "LOCALHOST"} {
			if res := c.do("GET", "/api/lab", "", map[string]string{"Host": host}); res.StatusCode != http.StatusOK {
				t.Errorf("GET /api/lab with Host %s: %d %q", host, res.StatusCode, res.body)
			}
		}
	})
	t.Run("multipart", func(t *testing.T) {
		res := c.do("POST", "/lab/preset", "--x--", map[string]string{
			"Content-Type": "multipart/form-data; boundary=x", "X-CSRF-Token": c.token("/lab")})
		if res.StatusCode != http.StatusUnsupportedMediaType || !strings.Contains(res.body, "urlencoded") {
			t.Errorf("multipart POST: %d %q", res.StatusCode, res.body)
		}
	})
	t.Run("a lab route's entry", func(t *testing.T) {
		applyPreset(t, c, "get-logout")
		r := httptest.NewRequest("POST", victimOrigin+"/lab/switch?attack=a", strings.NewReader("layer=token&value=on&version=1"))
		r.RemoteAddr = loopback
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		r.Header.Set("Sec-Fetch-Site", "cross-site")
		r.Header.Set("Origin", attackerOrigin)
		for name, val := range c.cookies {
			r.AddCookie(&http.Cookie{Name: name, Value: val})
		}
		w := httptest.NewRecorder()
		d.Victim().ServeHTTP(w, r)
		e, err := d.AttackLog().Wait(context.Background(), func(e demo.Entry) bool { return e.Path == "/lab/switch" })
		if err != nil {
			t.Fatal(err)
		}
		if w.Code != http.StatusForbidden || e.Decided != demo.LayerKeyFetchMetadata {
			t.Errorf("forged switch: %d, decided %q; want 403 decided by fetch_metadata", w.Code, e.Decided)
		}
		for _, key := range []string{demo.LayerKeyFetchMetadata, demo.LayerKeyOrigin, demo.LayerKeyToken} {
			if l := layerOf(e, key); l.Off || l.Result != demo.ResultStopped {
				t.Errorf("%s: %+v; want stopped, not off (the enforcing Protector judged it)", key, l)
			}
		}
		if row := labState(t, c).Matrix[0]; row.Tried {
			t.Errorf("a tagged request to /lab/switch filled attack (a)'s row: %+v", row)
		}
	})
}

// TestLabStrictCookie: a demo started with a Strict cookie keeps it
// Strict: the switch's safe position and the presets say Strict, and no
// preset re-issues the cookie as Lax.
func TestLabStrictCookie(t *testing.T) {
	d := newDemo(t, demo.Config{CookieSameSite: http.SameSiteStrictMode})
	addUser(t, d, "ida")
	c := newLabClient(t, d, "ida")
	if lr := labState(t, c); lr.Preset != "all" || lr.Switches.SameSite != "Strict" {
		t.Fatalf("start: %+v; want preset all with a Strict cookie", lr)
	}
	if res := c.do("GET", "/lab", "", nil); !strings.Contains(res.body, ">Strict</button>") {
		t.Errorf("the lab page does not offer Strict as the safe position")
	}
	applyPreset(t, c, "get-logout")
	if res := labPost(t, c, "/lab/preset", url.Values{"preset": {"all"}}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("apply all: %d %s", res.StatusCode, res.body)
	}
	var line string
	for _, l := range c.setCookies {
		if strings.HasPrefix(l, "session=") {
			line = l
		}
	}
	if !strings.Contains(line, "SameSite=Strict") {
		t.Errorf("preset all re-issued the cookie as %q, want SameSite=Strict", line)
	}
	if lr := labState(t, c); lr.Switches.SameSite != "Strict" || lr.Preset != "all" {
		t.Errorf("after get-logout then all: %+v, want preset all with a Strict cookie", lr)
	}
}
