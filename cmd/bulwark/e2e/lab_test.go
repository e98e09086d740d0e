// This file holds the end-to-end tests of the defence lab: each preset's
// attacks in Chromium, checked against the server's real state and against
// what the lab's matrix reports.

package e2e

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/bulwark-go/bulwark/cmd/bulwark/internal/demo"
)

// labOutcome is what an attack did, as the server's state shows it, and
// the layer the lab must name as the one that decided ("" for none).
type labOutcome struct {
	outcome string // "logged-out", "note-created" or "nothing-changed"
	decided string
}

// wantLab is each preset's expected result of attacks (a)–(e), in a
// browser that lets third-party cookies through, so that only SameSite
// and the server's layers stand in the way.
var wantLab = map[string]map[string]labOutcome{
	"get-logout": {
		"a": {"logged-out", ""}, "b": {"logged-out", ""}, "c": {"note-created", ""},
		"d": {"note-created", ""}, "e": {"logged-out", ""},
	},
	"post-only": {
		"a": {"nothing-changed", "logout"}, "b": {"logged-out", ""}, "c": {"note-created", ""},
		"d": {"note-created", ""}, "e": {"nothing-changed", "logout"},
	},
	"post-token": {
		"a": {"nothing-changed", "logout"}, "b": {"nothing-changed", "token"}, "c": {"nothing-changed", "token"},
		"d": {"nothing-changed", "token"}, "e": {"nothing-changed", "logout"},
	},
	"all": {
		"a": {"nothing-changed", "logout"}, "b": {"nothing-changed", "fetch_metadata"}, "c": {"nothing-changed", "fetch_metadata"},
		"d": {"nothing-changed", "fetch_metadata"}, "e": {"nothing-changed", "logout"},
	},
}

// matrixRow is one attack's row of the lab's matrix, as the page shows it.
type matrixRow struct {
	Attack  string            `json:"attack"`
	Decided string            `json:"decided"`
	Outcome string            `json:"outcome"`
	Layers  map[string]string `json:"layers"` // layer key → data-result
}

// TestLabPresets applies each preset in the lab, in the tour's order, runs
// every attack from the attacker site in Chromium, and checks what each
// did to the server's state, then that the lab's matrix reports exactly
// that. Each preset's lab page and matrix are saved as screenshots; with
// BULWARK_UPDATE_DOCS=1 the post-only matrix replaces the README's.
func TestLabPresets(t *testing.T) {
	s := startDemo(t, demo.Config{})
	admin := newTab(t, true)
	for i, p := range demo.Presets {
		t.Run(p.Name, func(t *testing.T) {
			want, ok := wantLab[p.Name]
			if !ok {
				t.Fatalf("no expectations for preset %q", p.Name)
			}
			applyPreset(t, s, admin, p.Name)
			for _, a := range demo.Attacks {
				got := runLabAttack(t, s, p.Name, a)
				if got != want[a.ID].outcome {
					t.Errorf("(%s) %s: the server's state says %s, want %s", a.ID, a.Title, got, want[a.ID].outcome)
				}
			}
			rows := readMatrix(t, admin, s)
			for _, a := range demo.Attacks {
				row, w := rows[a.ID], want[a.ID]
				if row.Outcome != w.outcome || row.Decided != w.decided {
					t.Errorf("(%s) matrix says outcome %q decided by %q, want %q decided by %q (row %+v)",
						a.ID, row.Outcome, row.Decided, w.outcome, w.decided, row)
				}
				if w.decided != "" && row.Layers[w.decided] != "stopped" {
					t.Errorf("(%s) matrix: the deciding layer %s shows %q, want stopped", a.ID, w.decided, row.Layers[w.decided])
				}
			}
			screenshot(t, admin, "lab-"+p.Name+".png")
			shot := matrixShot(t, admin, "lab-matrix-"+p.Name+".png")
			if i == 1 && os.Getenv("BULWARK_UPDATE_DOCS") == "1" && shot != "" {
				dst := filepath.Join("..", "..", "..", "docs", "img", "lab-matrix.png")
				if err := copyFile(shot, dst); err != nil {
					t.Fatal(err)
				}
				t.Logf("updated %s", dst)
			}
		})
	}
}

// applyPreset clicks the preset's button on the lab page and checks that
// the demo now runs it.
func applyPreset(t *testing.T, s *site, tab context.Context, name string) {
	t.Helper()
	if err := chromedp.Do(tab, chromedp.Navigate(s.victim+"/lab")); err != nil {
		t.Fatal(err)
	}
	resp, err := chromedp.RunResponse(tab, chromedp.Click(`.preset[data-preset="`+name+`"] button`))
	if err != nil || resp.Status != http.StatusOK {
		t.Fatalf("apply preset %s: %v (%v)", name, resp, err)
	}
	if got, err := chromedp.Run(tab, chromedp.Text(`#lab-preset`)); err != nil || got != name {
		t.Fatalf("after applying %s the lab page shows preset %q (%v)", name, got, err)
	}
	if got := s.d.Lab().Preset; got != name {
		t.Fatalf("after applying %s the demo runs preset %q", name, got)
	}
}

// runLabAttack logs a fresh user in, opens attack a's page on the attacker
// site, waits for the app to answer its request, and returns what the
// server's state says it did.
func runLabAttack(t *testing.T, s *site, preset string, a demo.Attack) string {
	t.Helper()
	user := "lab-" + preset + "-" + a.ID
	tab := newTab(t, true)
	s.addUser(t, user)
	s.login(t, tab, user)
	last := lastEntryID(s)
	startNavigation(t, tab, s.attacker+a.Path)
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	if _, err := s.d.AttackLog().Wait(ctx, func(e demo.Entry) bool {
		return e.ID > last && e.Attack == a.ID && e.Path == a.Target
	}); err != nil {
		t.Fatalf("(%s) the app never answered the attack: %v; log %+v", a.ID, err, s.d.AttackLog().Entries())
	}
	switch {
	case s.liveSessions(t, user) == 0:
		return "logged-out"
	case len(s.notes(t, user)) > 0:
		return "note-created"
	}
	return "nothing-changed"
}

func lastEntryID(s *site) int64 {
	if e := s.d.AttackLog().Entries(); len(e) > 0 {
		return e[0].ID
	}
	return 0
}

// readMatrix reloads the lab page and reads its matrix as the browser
// shows it.
func readMatrix(t *testing.T, tab context.Context, s *site) map[string]matrixRow {
	t.Helper()
	const js = `JSON.stringify([...document.querySelectorAll('#lab-matrix tr[data-attack]')].map(tr => ({
		attack: tr.dataset.attack,
		decided: (tr.querySelector('[data-col=decided]').dataset.decided || ''),
		outcome: tr.querySelector('[data-col=outcome]').dataset.outcome,
		layers: Object.fromEntries([...tr.querySelectorAll('[data-layer]')].map(td => [td.dataset.layer, td.dataset.result])),
	})))`
	if err := chromedp.Do(tab, chromedp.Navigate(s.victim+"/lab"), chromedp.WaitVisible("#lab-matrix")); err != nil {
		t.Fatal(err)
	}
	raw, err := chromedp.Run(tab, chromedp.Evaluate[string](js))
	if err != nil {
		t.Fatalf("read the matrix: %v", err)
	}
	var rows []matrixRow
	if err := json.Unmarshal([]byte(raw), &rows); err != nil {
		t.Fatalf("read the matrix: %v (%s)", err, raw)
	}
	out := map[string]matrixRow{}
	for _, r := range rows {
		out[r.Attack] = r
	}
	return out
}

// matrixShot saves a PNG of the lab's matrix under e2e/artifacts/ and
// returns its path.
func matrixShot(t *testing.T, tab context.Context, name string) string {
	t.Helper()
	png, err := chromedp.Run(tab, chromedp.Screenshot("#lab-matrix"))
	if err != nil {
		t.Errorf("screenshot %s: %v", name, err)
		return ""
	}
	path := filepath.Join("artifacts", name)
	if err := os.WriteFile(path, png, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestLabTour follows the tour page as a newcomer would: its steps come in
// the presets' order, and each step's button applies its preset and brings
// the reader back to the tour, with that step marked applied.
func TestLabTour(t *testing.T) {
	s := startDemo(t, demo.Config{})
	tab := newTab(t, false)
	if err := chromedp.Do(tab, chromedp.Navigate(s.victim+"/lab/tour"), chromedp.WaitVisible("#tour-steps")); err != nil {
		t.Fatal(err)
	}
	order, err := chromedp.Run(tab, chromedp.Evaluate[[]string](`[...document.querySelectorAll('#tour-steps > li')].map(li => li.dataset.preset)`))
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for _, p := range demo.Presets {
		want = append(want, p.Name)
	}
	if strings.Join(order, ",") != strings.Join(want, ",") {
		t.Fatalf("the tour's steps are %v, want the presets in order %v", order, want)
	}
	for _, name := range want[:len(want)-1] { // the last is already applied
		resp, err := chromedp.RunResponse(tab, chromedp.Click(`#tour-steps li[data-preset="`+name+`"] button`))
		if err != nil || resp.Status != http.StatusOK || !strings.HasSuffix(resp.URL, "/lab/tour") {
			t.Fatalf("step %s: %v %v", name, resp, err)
		}
		if got := s.d.Lab().Preset; got != name {
			t.Fatalf("after step %s the demo runs preset %q", name, got)
		}
		label, err := chromedp.Run(tab, chromedp.Text(`#tour-steps li[data-preset="`+name+`"] button`))
		if err != nil || label != "Applied" {
			t.Errorf("step %s's button says %q (%v), want Applied", name, label, err)
		}
	}
}
