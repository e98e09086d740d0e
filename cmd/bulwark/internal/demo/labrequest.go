// This file holds what the lab does to every request: one snapshot of the
// switches taken at the edge, the csrf verdicts Observe hands over, the
// choice between the enforcing and the observing Protector, the lab gate
// that enforces the switched-on layers, and the session cookie's SameSite
// rewrite.

package demo

import (
	"context"
	"net/http"
	"strings"

	"github.com/bulwark-go/bulwark/csrf"
)

// labRequest is what one request learns about the lab. The edge puts it in
// the context; it is only touched by the request's own goroutine.
type labRequest struct {
	// switches is the one snapshot of the lab taken when the request
	// arrived: the gate, the logout method, the cookie rewrite and the
	// attack log use only it.
	switches LabSwitches
	// cookieSameSite is the SameSite the session cookie leaves with:
	// switches.SameSite, unless the request changed the switch itself.
	cookieSameSite string
	verdicts       csrf.Verdicts
	haveVerdicts   bool
	// enforced: the enforcing Protector judged the request (every csrf
	// check on, or a lab route), so no csrf check was off for it.
	enforced bool
}

type labKey struct{}

func labFrom(ctx context.Context) *labRequest {
	lr, _ := ctx.Value(labKey{}).(*labRequest)
	return lr
}

// labSnapshot returns the switches that apply to r.
func (d *Demo) labSnapshot(r *http.Request) LabSwitches {
	if lr := labFrom(r.Context()); lr != nil {
		return lr.switches
	}
	sw, _ := d.lab.snapshot()
	return sw
}

// labEdge takes the request's snapshot of the switches and rewrites the
// session cookie's SameSite on the way out.
func (d *Demo) labEdge(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sw, _ := d.lab.snapshot()
		lr := &labRequest{switches: sw, cookieSameSite: sw.SameSite}
		r = r.WithContext(context.WithValue(r.Context(), labKey{}, lr))
		next.ServeHTTP(&cookieRewriter{ResponseWriter: w, lr: lr, fixed: sameSiteName(d.cfg.CookieSameSite)}, r)
	})
}

// observe is both Protectors' Observe hook: it keeps the verdicts for the
// attack log and the lab gate.
func observe(r *http.Request, v csrf.Verdicts) {
	if lr := labFrom(r.Context()); lr != nil {
		lr.verdicts, lr.haveVerdicts = v, true
	}
}

// labCSRF chooses, per request, the Protector that judges it: the
// enforcing one when every csrf layer is on and for the lab's own routes
// (changing a switch stays token-checked whatever the switches say), else
// the observing one followed by the lab gate.
func (d *Demo) labCSRF(enforcing, observing *csrf.Protector, next http.Handler) http.Handler {
	enforced := enforcing.Handler(next)
	gated := observing.Handler(d.labGate(next))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if isLabRoute(r.URL.Path) || d.labSnapshot(r).allCSRF() {
			if lr := labFrom(r.Context()); lr != nil {
				lr.enforced = true
			}
			enforced.ServeHTTP(w, r)
			return
		}
		gated.ServeHTTP(w, r)
	})
}

// isLabRoute reports whether path always goes through the enforcing
// Protector.
func isLabRoute(path string) bool {
	return path == "/lab" || strings.HasPrefix(path, "/lab/") || path == "/api/lab" || path == "/attack-log/clear"
}

// labGate refuses a request the observing Protector judged when a layer
// that is switched on failed it: the first in order Fetch Metadata,
// Origin, Referer, token.
func (d *Demo) labGate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		lr := labFrom(r.Context())
		if lr != nil && lr.haveVerdicts {
			if reason := gateReason(lr.switches, lr.verdicts); reason != nil {
				d.refuseCSRF(w, r, reason)
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

// gateReason returns the first failure of a switched-on layer, or nil.
func gateReason(sw LabSwitches, v csrf.Verdicts) error {
	for _, l := range []csrf.Layer{csrf.LayerFetchMetadata, csrf.LayerOrigin, csrf.LayerReferer, csrf.LayerToken} {
		if lv := v.Layer(l); lv.Outcome == csrf.Fail && layerOn(sw, l) {
			return lv.Reason // a failing verdict always has one
		}
	}
	return nil
}

// layerOn reports whether the switch covering csrf layer l is on.
func layerOn(sw LabSwitches, l csrf.Layer) bool {
	switch l {
	case csrf.LayerFetchMetadata:
		return sw.FetchMetadata
	case csrf.LayerOrigin, csrf.LayerReferer:
		return sw.OriginReferer
	case csrf.LayerToken, csrf.LayerFormBinding:
		return sw.Token
	}
	return true
}
