// This file holds the lab's routes: the lab page with its switches,
// presets and matrix, the tour, the JSON view, the forms that change the
// switches, and the logout whose method the lab switches.

package demo

import (
	"errors"
	"mime"
	"net"
	"net/http"
	"strconv"
	"strings"
)

// Why the lab may be unavailable.
var (
	errLabUnsafe = errors.New("demo: the lab is unavailable in -unsafe mode, which has no defences to switch (it is preset get-logout); restart without -unsafe")
	errLabPublic = errors.New("demo: the lab is unavailable: the demo listens on a non-loopback address; its switches exist only on localhost")
	errLabRemote = errors.New("demo: the lab answers only requests from this machine (a loopback address)")
	errLabHost   = errors.New("demo: the lab answers only requests addressed to localhost or a loopback address (the Host header), so that a page on another name that resolves here (DNS rebinding) cannot reach it")
)

// initialSwitches are the switches the lab starts with: every layer on,
// the cookie as Config says; in unsafe mode what unsafe mode does.
func initialSwitches(cfg Config) LabSwitches {
	if cfg.Unsafe {
		p, _ := presetByName("get-logout")
		return p.Switches
	}
	p, _ := presetByName(defaultPreset)
	sw := p.Switches
	if cfg.CookieSameSite != 0 {
		sw.SameSite = sameSiteName(cfg.CookieSameSite)
	}
	return sw
}

// labAvailable returns why the switches cannot be changed, or nil.
func (d *Demo) labAvailable() error {
	switch {
	case d.cfg.Unsafe:
		return errLabUnsafe
	case d.public.Load():
		return errLabPublic
	}
	return nil
}

// labAccess returns the status and reason refusing r a lab route, or 0.
func (d *Demo) labAccess(r *http.Request) (int, error) {
	if err := d.labAvailable(); err != nil {
		if err == errLabUnsafe {
			return http.StatusConflict, err
		}
		return http.StatusForbidden, err
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if ip := net.ParseIP(host); err != nil || ip == nil || !ip.IsLoopback() {
		return http.StatusForbidden, errLabRemote
	}
	if !loopbackHost(r.Host) {
		return http.StatusForbidden, errLabHost
	}
	return 0, nil
}

// loopbackHost reports whether a Host header names this machine:
// localhost, or a loopback IP address, with or without a port.
func loopbackHost(hostport string) bool {
	host := hostport
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		host = h
	}
	host = strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func (d *Demo) labRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET /lab", d.labPage)
	mux.HandleFunc("GET /lab/tour", d.labTour)
	mux.HandleFunc("GET /api/lab", d.labJSON)
	mux.HandleFunc("POST /lab/switch", d.labSwitch)
	mux.HandleFunc("POST /lab/preset", d.labPreset)
}

// labError answers a refused lab request with msg, in JSON for the API.
func labError(w http.ResponseWriter, r *http.Request, status int, msg string) {
	if wantsJSON(r) {
		writeJSON(w, status, map[string]string{"error": msg})
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	http.Error(w, msg, status)
}

// labChange reads the version field and applies change under it, then
// re-issues the session cookie when the SameSite switch moved, so the
// browser holds the new attribute at once. It answers every outcome.
func (d *Demo) labChange(w http.ResponseWriter, r *http.Request, change func(LabSwitches) LabSwitches) {
	version, err := strconv.ParseInt(r.PostForm.Get("version"), 10, 64)
	if err != nil || version < 0 {
		labError(w, r, http.StatusBadRequest, "version: want the number the lab page was rendered with; reload the page")
		return
	}
	before := labFrom(r.Context())
	sw, _, err := d.lab.apply(version, change)
	if err != nil {
		labError(w, r, http.StatusConflict, "the lab was changed in another tab; reload")
		return
	}
	if before != nil && sw.SameSite != before.switches.SameSite {
		before.cookieSameSite = sw.SameSite
		if err := d.sessions.Renew(r.Context()); err != nil {
			d.log.Warn("demo: lab: re-issuing the session cookie failed", "err", err)
		}
	}
	d.log.Info("demo: lab switches changed", "preset", matchPreset(sw), "samesite", sw.SameSite,
		"get_logout", sw.GETLogout, "fetch_metadata", sw.FetchMetadata, "origin", sw.OriginReferer, "token", sw.Token)
	target := "/lab"
	if r.PostForm.Get("return") == "tour" {
		target = "/lab/tour"
	}
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, target, http.StatusSeeOther)
}

// labForm checks access and reads the form; it answers and returns false
// when the request goes no further.
func (d *Demo) labForm(w http.ResponseWriter, r *http.Request) bool {
	if status, err := d.labAccess(r); status != 0 {
		labError(w, r, status, err.Error())
		return false
	}
	// The Protector has read the body already (up to its MaxBodyBytes).
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "application/x-www-form-urlencoded" {
		labError(w, r, http.StatusUnsupportedMediaType, "send the lab's form as application/x-www-form-urlencoded, as the lab page does")
		return false
	}
	if err := r.ParseForm(); err != nil {
		labError(w, r, http.StatusBadRequest, "the form could not be read")
		return false
	}
	return true
}

// labSwitch is POST /lab/switch: layer and value, under version.
func (d *Demo) labSwitch(w http.ResponseWriter, r *http.Request) {
	if !d.labForm(w, r) {
		return
	}
	layer, value := r.PostForm.Get("layer"), r.PostForm.Get("value")
	if _, err := withSwitch(LabSwitches{}, layer, value); err != nil {
		labError(w, r, http.StatusBadRequest, err.Error())
		return
	}
	d.labChange(w, r, func(s LabSwitches) LabSwitches {
		s, _ = withSwitch(s, layer, value)
		return d.localSwitches(s)
	})
}

// labPreset is POST /lab/preset: preset, under version.
func (d *Demo) labPreset(w http.ResponseWriter, r *http.Request) {
	if !d.labForm(w, r) {
		return
	}
	p, ok := presetByName(r.PostForm.Get("preset"))
	if !ok {
		labError(w, r, http.StatusBadRequest, strconv.Quote(r.PostForm.Get("preset"))+" is not a preset: want one of "+presetNames())
		return
	}
	d.labChange(w, r, func(LabSwitches) LabSwitches { return d.localSwitches(p.Switches) })
}

// labLogout serves /logout in safe mode: GET logs out when the request's
// snapshot allows it; anything else goes to auth's POST-only handler,
// whose successful logout is recorded for the attack log.
func (d *Demo) labLogout(post http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet && d.labSnapshot(r).GETLogout {
			d.unsafeLogout(w, r)
			return
		}
		loggedIn := d.sessions.UserID(r.Context()) != ""
		rec := &statusRecorder{ResponseWriter: w}
		post.ServeHTTP(rec, r)
		if r.Method == http.MethodPost && loggedIn && rec.status == http.StatusSeeOther {
			setEffect(r, OutcomeLoggedOut)
		}
	})
}
