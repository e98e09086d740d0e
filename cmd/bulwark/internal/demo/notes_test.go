package demo_test

import (
	"encoding/json"
	"fmt"
	"html"
	"regexp"
	"strings"
	"testing"

	"github.com/bulwark-go/bulwark/cmd/bulwark/internal/demo"
)

var (
	noteRE  = regexp.MustCompile(`<span class="note-body">([^<]*)</span>`)
	olderRE = regexp.MustCompile(`id="older-notes" href="([^"]+)"`)
)

// TestNotesArePaginated saves more than two pages of notes and finds every
// one of them, newest first, exactly once, by following the page's "Older
// notes" link and the API's next URL.
func TestNotesArePaginated(t *testing.T) {
	d := newDemo(t, demo.Config{})
	addUser(t, d, "erin")
	c := newClient(t, d.Victim())
	c.login("erin")
	tok := c.token("/notes")
	const total = 2*demo.NotesPerPage + 7
	for i := range total {
		res := c.do("POST", "/api/notes", fmt.Sprintf(`{"body": "note %d"}`, i),
			map[string]string{"Content-Type": "application/json", "X-CSRF-Token": tok})
		if res.StatusCode != 201 {
			t.Fatalf("note %d: %d %s", i, res.StatusCode, res.body)
		}
	}
	check := func(how string, got []string, pages int) {
		t.Helper()
		if len(got) != total {
			t.Fatalf("%s: found %d notes in %d pages, want %d", how, len(got), pages, total)
		}
		for i, body := range got {
			if want := fmt.Sprintf("note %d", total-1-i); body != want {
				t.Fatalf("%s: note %d is %q, want %q (newest first, each once)", how, i, body, want)
			}
		}
	}

	var got []string
	pages := 0
	for path := "/notes"; path != ""; pages++ {
		res := c.do("GET", path, "", nil)
		if res.StatusCode != 200 {
			t.Fatalf("GET %s: %d", path, res.StatusCode)
		}
		for _, m := range noteRE.FindAllStringSubmatch(res.body, -1) {
			got = append(got, html.UnescapeString(m[1]))
		}
		path = ""
		if m := olderRE.FindStringSubmatch(res.body); m != nil {
			path = html.UnescapeString(m[1])
		}
		if pages > total {
			t.Fatal("the pages never end")
		}
	}
	if pages != 3 {
		t.Errorf("%d HTML pages, want 3", pages)
	}
	check("HTML pages", got, pages)

	for _, limit := range []string{"", "?limit=100", "?limit=1"} {
		got, pages = nil, 0
		for path := "/api/notes" + limit; path != ""; pages++ {
			res := c.do("GET", path, "", nil)
			var page demo.NotesResponse
			if err := json.Unmarshal([]byte(res.body), &page); err != nil || res.StatusCode != 200 {
				t.Fatalf("GET %s: %d %v %.200s", path, res.StatusCode, err, res.body)
			}
			for _, n := range page.Notes {
				got = append(got, n.Body)
			}
			path = page.Next
			if pages > total {
				t.Fatal("the pages never end")
			}
		}
		check("API pages"+limit, got, pages)
	}
	if all, err := d.Notes(t.Context(), "erin"); err != nil || len(all) != total {
		t.Errorf("Demo.Notes: %d notes, %v; want %d", len(all), err, total)
	}

	for _, bad := range []string{"/notes?before=x", "/notes?before=-1", "/api/notes?before=0", "/api/notes?limit=0", "/api/notes?limit=101", "/api/notes?limit=x"} {
		if res := c.do("GET", bad, "", nil); res.StatusCode != 400 {
			t.Errorf("GET %s: %d, want 400", bad, res.StatusCode)
		}
	}
	if res := c.do("GET", "/notes", "", nil); strings.Contains(res.body, `id="newest-notes"`) {
		t.Error("the first page links to the newest notes")
	}
}
