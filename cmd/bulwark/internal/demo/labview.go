// This file holds what the lab pages and GET /api/lab show: the matrix
// built from the attack log's real attempts, and the page data.

package demo

import (
	"net/http"
	"strings"
)

// LabMatrixRow is one attack's row in the lab matrix: the most recent
// attack-log entry for it recorded under the current switches.
type LabMatrixRow struct {
	Attack string `json:"attack"`
	Title  string `json:"title"`
	// Tried is false when no entry matches the current switches; the other
	// fields are then empty.
	Tried   bool          `json:"tried"`
	EntryID int64         `json:"entry_id"`
	Layers  []LayerResult `json:"layers"`
	Decided string        `json:"decided"`
	Outcome string        `json:"outcome"`
}

// LabResponse is the JSON body of GET /api/lab.
type LabResponse struct {
	Available bool `json:"available"`
	// Message says why the lab is unavailable; "" when it is available.
	Message  string         `json:"message,omitempty"`
	Version  int64          `json:"version"`
	Preset   string         `json:"preset"`
	Switches LabSwitches    `json:"switches"`
	Matrix   []LabMatrixRow `json:"matrix"`
}

// labMatrix builds the matrix for sw from the attack log.
func (d *Demo) labMatrix(sw LabSwitches) []LabMatrixRow {
	entries := d.attacks.Entries() // newest first
	rows := make([]LabMatrixRow, 0, len(Attacks))
	for _, a := range Attacks {
		row := LabMatrixRow{Attack: a.ID, Title: a.Title, Layers: []LayerResult{}}
		for _, e := range entries {
			if e.Attack == a.ID && e.Path == a.Target && e.Lab == sw {
				row.Tried, row.EntryID, row.Layers, row.Decided, row.Outcome = true, e.ID, e.Layers, e.Decided, e.Outcome
				break
			}
		}
		rows = append(rows, row)
	}
	return rows
}

// labControl is one switch on the lab page.
type labControl struct {
	Layer, Title      string
	On                bool
	OnValue, OffValue string
	OnLabel, OffLabel string
}

// labPageData is what lab.html and tour.html show: what GET /api/lab
// returns, and the page's controls.
type labPageData struct {
	LabResponse
	Controls []labControl
	Presets  []Preset
	Attacks  []Attack
}

func (d *Demo) labData(r *http.Request) (int, labPageData) {
	sw, v := d.lab.snapshot()
	data := labPageData{LabResponse: LabResponse{Available: true, Version: v, Preset: matchPreset(sw), Switches: sw,
		Matrix: d.labMatrix(sw)}, Presets: Presets, Attacks: Attacks}
	status, err := d.labAccess(r)
	if status == http.StatusForbidden {
		return status, labPageData{LabResponse: LabResponse{Message: err.Error(), Version: v}}
	}
	if status != 0 {
		data.Available, data.Message = false, err.Error()
		if status == http.StatusConflict {
			status = http.StatusOK // unsafe mode: the page explains
		}
	} else {
		status = http.StatusOK
	}
	data.Controls = []labControl{
		{"samesite", "SameSite cookie", sw.SameSite != "None", "lax", "none", d.safeSameSite(), "None"},
		{"logout", "Logout method", !sw.GETLogout, "post", "get", "POST only", "GET allowed"},
		{"fetch_metadata", "Fetch Metadata check", sw.FetchMetadata, "on", "off", "on", "off"},
		{"origin", "Origin/Referer check", sw.OriginReferer, "on", "off", "on", "off"},
		{"token", "CSRF token check", sw.Token, "on", "off", "on", "off"},
	}
	return status, data
}

func (d *Demo) labPage(w http.ResponseWriter, r *http.Request) {
	status, data := d.labData(r)
	d.render(w, r, status, "lab.html", page{Lab: &data})
}

func (d *Demo) labTour(w http.ResponseWriter, r *http.Request) {
	status, data := d.labData(r)
	d.render(w, r, status, "tour.html", page{Lab: &data})
}

func (d *Demo) labJSON(w http.ResponseWriter, r *http.Request) {
	status, data := d.labData(r)
	if status != http.StatusOK {
		labError(w, r, status, data.Message)
		return
	}
	writeJSON(w, status, data.LabResponse)
}

// slug turns a result or outcome into an attribute value: "let through"
// becomes "let-through".
func slug(s string) string { return strings.ReplaceAll(s, " ", "-") }
