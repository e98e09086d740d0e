// This file holds the lab's switches: which defences are on, the presets
// that tell the story in order, and the versioned state the lab page
// changes live.

package demo

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
)

// LabSwitches is one setting of the lab: which defences the demo app uses.
// It is a comparable value; a request uses one snapshot of it throughout.
type LabSwitches struct {
	// SameSite is the session cookie's SameSite attribute: "Lax" or "None"
	// ("Strict" only when the demo was started with it).
	SameSite string `json:"samesite"`
	// GETLogout lets GET /logout log the user out.
	GETLogout bool `json:"get_logout"`
	// FetchMetadata, OriginReferer and Token switch the csrf layers: the
	// Sec-Fetch-Site check, the Origin and Referer checks, and the token.
	FetchMetadata bool `json:"fetch_metadata"`
	OriginReferer bool `json:"origin"`
	Token         bool `json:"token"`
}

// allCSRF reports whether every csrf layer is on, in which case the real,
// enforcing Protector judges the request alone.
func (s LabSwitches) allCSRF() bool { return s.FetchMetadata && s.OriginReferer && s.Token }

// Preset is a named setting of the lab switches with what it shows.
type Preset struct {
	// Name is the preset's key in forms and JSON, e.g. "post-only".
	Name string
	// Title names it in a few words.
	Title string
	// Explain says in two or three plain sentences what it shows and why.
	Explain string
	// Switches are the settings it applies.
	Switches LabSwitches
}

// Presets tell the lab's story in order; the last one is the default.
var Presets = []Preset{
	{
		Name: "get-logout", Title: "GET logout, no defences",
		Explain: "The session cookie is SameSite=None, logging out answers GET, and no CSRF check runs. " +
			"Every attack works: the image and the link log you out, the hidden forms and the fetch act as you. " +
			"This is the app the article warns against.",
		Switches: LabSwitches{SameSite: "None", GETLogout: true},
	},
	{
		Name: "post-only", Title: "POST-only logout",
		Explain: "Logging out now needs a POST, so the image and the link (a, e) get a 405 and change nothing. " +
			"But the hidden forms and the fetch (b, c, d) still work: they are POSTs, and the browser sends the SameSite=None cookie with them. " +
			"POST alone is not a CSRF defence.",
		Switches: LabSwitches{SameSite: "None"},
	},
	{
		Name: "post-token", Title: "POST + token",
		Explain: "The CSRF token is checked; Fetch Metadata and Origin stay off. " +
			"The forms and the fetch (b, c, d) are refused by the token alone: the attacker's page cannot read it, so it cannot send it. " +
			"One server-side layer is enough to stop them.",
		Switches: LabSwitches{SameSite: "None", Token: true},
	},
	{
		Name: "all", Title: "All layers",
		Explain: "The session cookie is SameSite=Lax, logout is POST-only, and Fetch Metadata, Origin/Referer and the token are all checked. " +
			"Every attack fails, most of them several times over: the attack log shows each layer that would have stopped it. " +
			"This is how the demo starts.",
		Switches: LabSwitches{SameSite: "Lax", FetchMetadata: true, OriginReferer: true, Token: true},
	},
}

// ThirdPartyCookieNote warns that a browser's own cookie policy can stop
// attacks the presets' texts expect to work.
const ThirdPartyCookieNote = "a browser that blocks third-party cookies (a fresh Chromium profile does) " +
	"sends no SameSite=None cookie with the image (a) or the fetch (d) either; " +
	"the matrix then shows the SameSite cookie as what stopped them."

// defaultPreset is the preset the lab starts with.
const defaultPreset = "all"

// presetByName returns the named preset.
func presetByName(name string) (Preset, bool) {
	for _, p := range Presets {
		if p.Name == name {
			return p, true
		}
	}
	return Preset{}, false
}

// presetNames lists the presets' names for error messages.
func presetNames() string {
	names := make([]string, len(Presets))
	for i, p := range Presets {
		names[i] = p.Name
	}
	return strings.Join(names, ", ")
}

// matchPreset returns the name of the preset s equals, or "". A Strict
// cookie (the demo started with -cookie-samesite strict) counts as the
// presets' Lax: it is the SameSite switch's safe position there.
func matchPreset(s LabSwitches) string {
	if s.SameSite == "Strict" {
		s.SameSite = "Lax"
	}
	for _, p := range Presets {
		if p.Switches == s {
			return p.Name
		}
	}
	return ""
}

// labValues are the switches' names and values as the lab's forms send
// them: for each, the value that turns the defence on (Lax, POST only, on)
// and the one that turns it off.
var labValues = map[string][2]string{
	"samesite":       {"lax", "none"},
	"logout":         {"post", "get"},
	"fetch_metadata": {"on", "off"},
	"origin":         {"on", "off"},
	"token":          {"on", "off"},
}

// safeSameSite is the SameSite switch's safe position: Strict when the
// demo was started with it, else Lax.
func (d *Demo) safeSameSite() string {
	if d.cfg.CookieSameSite == http.SameSiteStrictMode {
		return "Strict"
	}
	return "Lax"
}

// localSwitches returns sw with its safe SameSite position as this demo
// has it, so that a preset or the switch never weakens a Strict cookie to
// Lax.
func (d *Demo) localSwitches(sw LabSwitches) LabSwitches {
	if sw.SameSite == "Lax" {
		sw.SameSite = d.safeSameSite()
	}
	return sw
}

// labLayerOrder is the switch names in the order the lab page shows them.
var labLayerOrder = []string{"samesite", "logout", "fetch_metadata", "origin", "token"}

// errStaleVersion: the form was rendered before another change.
var errStaleVersion = errors.New("demo: the lab was changed in another tab; reload")

// withSwitch returns s with the named switch set to value, or an error
// naming the valid layers or values.
func withSwitch(s LabSwitches, layer, value string) (LabSwitches, error) {
	vals, ok := labValues[layer]
	if !ok {
		return s, fmt.Errorf("unknown layer %q: want one of %s", layer, strings.Join(labLayerOrder, ", "))
	}
	if value != vals[0] && value != vals[1] {
		return s, fmt.Errorf("unknown value %q for layer %s: want %s or %s", value, layer, vals[0], vals[1])
	}
	on := value == vals[0]
	switch layer {
	case "samesite":
		s.SameSite = "None"
		if on {
			s.SameSite = "Lax"
		}
	case "logout":
		s.GETLogout = !on
	case "fetch_metadata":
		s.FetchMetadata = on
	case "origin":
		s.OriginReferer = on
	case "token":
		s.Token = on
	}
	return s, nil
}

// labState is the lab's current switches and their version, which every
// change increments. It is safe for concurrent use.
type labState struct {
	mu      sync.Mutex
	sw      LabSwitches
	version int64
}

func newLabState(initial LabSwitches) *labState {
	return &labState{sw: initial, version: 1}
}

// snapshot returns the switches and their version, read together.
func (l *labState) snapshot() (LabSwitches, int64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.sw, l.version
}

// apply replaces the switches with change(current) if version is current,
// and returns the new switches and version; errStaleVersion otherwise.
func (l *labState) apply(version int64, change func(LabSwitches) LabSwitches) (LabSwitches, int64, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if version != l.version {
		return l.sw, l.version, errStaleVersion
	}
	l.sw = change(l.sw)
	l.version++
	return l.sw, l.version, nil
}

// set replaces the switches whatever the version.
func (l *labState) set(sw LabSwitches) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.sw = sw
	l.version++
}

// LabState is the lab's state as GET /api/lab reports it.
type LabState struct {
	// Available reports whether the lab's switches can be changed: not in
	// unsafe mode, and not when the demo listens on a non-loopback address.
	Available bool
	// Version is incremented by every change.
	Version int64
	// Preset is the name of the preset the switches equal, or "".
	Preset string
	// Switches are the current settings.
	Switches LabSwitches
}

// Lab returns the lab's current state.
func (d *Demo) Lab() LabState {
	sw, v := d.lab.snapshot()
	return LabState{Available: d.labAvailable() == nil, Version: v, Preset: matchPreset(sw), Switches: sw}
}

// SetLab sets the lab's switches, as the lab's forms do, bypassing the
// forms' checks. For tests.
func (d *Demo) SetLab(s LabSwitches) error {
	if s.SameSite != "Lax" && s.SameSite != "None" {
		return fmt.Errorf("demo: lab SameSite %q: want Lax or None", s.SameSite)
	}
	if err := d.labAvailable(); err != nil {
		return err
	}
	d.lab.set(d.localSwitches(s))
	return nil
}

// ApplyPreset sets the lab's switches to the named preset, as POST
// /lab/preset does, bypassing the form's checks. For tests.
func (d *Demo) ApplyPreset(name string) error {
	p, ok := presetByName(name)
	if !ok {
		return fmt.Errorf("demo: unknown preset %q: want one of %s", name, presetNames())
	}
	if err := d.labAvailable(); err != nil {
		return err
	}
	d.lab.set(d.localSwitches(p.Switches))
	return nil
}
