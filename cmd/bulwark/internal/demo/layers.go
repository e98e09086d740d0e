// This file holds the per-layer rows of an attack-log entry: what each
// defence made of one request, which one decided, and what happened.

package demo

import (
	"log/slog"
	"net/http"

	"github.com/bulwark-go/bulwark/csrf"
)

// Layer results a LayerResult can carry. They are stable strings.
const (
	// ResultStopped: the layer stopped the request (or, when Off, would
	// have).
	ResultStopped = "stopped"
	// ResultLetThrough: the layer let the request through.
	ResultLetThrough = "let through"
	// ResultNotApplicable: the layer had nothing to judge.
	ResultNotApplicable = "not applicable"
)

// Layer keys, in the order the attack log and the lab matrix show them.
const (
	LayerKeySameSite      = "samesite"
	LayerKeyFetchMetadata = "fetch_metadata"
	LayerKeyOrigin        = "origin"
	LayerKeyReferer       = "referer"
	LayerKeyToken         = "token"
	LayerKeyLogout        = "logout"
)

// LayerKeys lists the layer keys in chain order.
var LayerKeys = []string{LayerKeySameSite, LayerKeyFetchMetadata, LayerKeyOrigin, LayerKeyReferer, LayerKeyToken, LayerKeyLogout}

// layerTitles name the layers on the pages.
var layerTitles = map[string]string{
	LayerKeySameSite: "SameSite cookie", LayerKeyFetchMetadata: "Fetch Metadata", LayerKeyOrigin: "Origin",
	LayerKeyReferer: "Referer", LayerKeyToken: "CSRF token", LayerKeyLogout: "Logout method",
}

// Outcomes an Entry can carry: what the request actually changed.
const (
	OutcomeLoggedOut      = "logged out"
	OutcomeNoteCreated    = "note created"
	OutcomeNothingChanged = "nothing changed"
)

// LayerResult is one layer's verdict on one logged request.
type LayerResult struct {
	// Layer is one of LayerKeys.
	Layer string `json:"layer"`
	// Result is ResultStopped, ResultLetThrough or ResultNotApplicable.
	Result string `json:"result"`
	// Off reports that the layer's switch was off for the request. For the
	// csrf layers Result then says what the check would have done; for
	// the SameSite cookie and the logout method it says what happened
	// (the switch changes the behaviour itself).
	Off bool `json:"off"`
	// Reason says why, in plain words or as the csrf reason. It never
	// holds token or cookie values.
	Reason string `json:"reason"`
}

// Label is the result as the pages show it. A csrf layer whose switch was
// off decided nothing, so it says what it would have done.
func (l LayerResult) Label() string {
	if !l.hypothetical() {
		return l.Result
	}
	switch l.Result {
	case ResultStopped:
		return "off: would have stopped it"
	case ResultLetThrough:
		return "off: would have let it through"
	}
	return "off: " + l.Result
}

// Class is the CSS class of the result's cell.
func (l LayerResult) Class() string {
	if l.hypothetical() {
		return "r-off"
	}
	return "r-" + slug(l.Result)
}

// hypothetical reports whether Result is what a switched-off csrf check
// would have done, rather than what happened.
func (l LayerResult) hypothetical() bool {
	return l.Off && l.Layer != LayerKeySameSite && l.Layer != LayerKeyLogout
}

// csrfLayers pairs the csrf layers the log shows with their keys.
var csrfLayers = []struct {
	key   string
	layer csrf.Layer
}{
	{LayerKeyFetchMetadata, csrf.LayerFetchMetadata},
	{LayerKeyOrigin, csrf.LayerOrigin},
	{LayerKeyReferer, csrf.LayerReferer},
	{LayerKeyToken, csrf.LayerToken},
}

// layerFacts is what layerResults needs to know about one request.
type layerFacts struct {
	method, path string
	status       int
	cookieSent   bool
	unsafe       bool
	lab          *labRequest
}

// layerResults builds the rows of an entry, in LayerKeys order.
func layerResults(f layerFacts) []LayerResult {
	sw := f.lab.switches
	out := []LayerResult{sameSiteResult(sw, f.cookieSent)}
	for _, cl := range csrfLayers {
		out = append(out, csrfResult(f, cl.key, cl.layer))
	}
	return append(out, logoutResult(f))
}

func sameSiteResult(sw LabSwitches, cookieSent bool) LayerResult {
	r := LayerResult{Layer: LayerKeySameSite, Off: sw.SameSite == "None"}
	switch {
	case cookieSent:
		r.Result, r.Reason = ResultLetThrough, "the browser sent the session cookie (SameSite="+sw.SameSite+")"
	case r.Off:
		r.Result, r.Reason = ResultStopped, "the browser did not send the session cookie, although it is SameSite=None (third-party cookies blocked, or not logged in)"
	default:
		r.Result, r.Reason = ResultStopped, "the browser did not send the session cookie (SameSite="+sw.SameSite+")"
	}
	return r
}

func csrfResult(f layerFacts, key string, l csrf.Layer) LayerResult {
	off := f.unsafe || (!f.lab.enforced && !layerOn(f.lab.switches, l))
	r := LayerResult{Layer: key, Off: off, Result: ResultNotApplicable}
	switch {
	case f.lab.haveVerdicts:
		v := f.lab.verdicts.Layer(l)
		switch v.Outcome {
		case csrf.Pass:
			r.Result, r.Reason = ResultLetThrough, v.Note
		case csrf.Fail:
			r.Result, r.Reason = ResultStopped, "refused"
			if v.Reason != nil {
				r.Reason = clip(v.Reason.Error(), 300)
			}
		default:
			r.Reason = v.Note
		}
	case f.unsafe:
		r.Reason = "unsafe mode runs no CSRF check"
	case f.method == http.MethodGet || f.method == http.MethodHead || f.method == http.MethodOptions:
		r.Reason = "a GET is never checked"
	default:
		r.Reason = "not judged"
	}
	return r
}

func logoutResult(f layerFacts) LayerResult {
	r := LayerResult{Layer: LayerKeyLogout, Result: ResultNotApplicable, Off: f.unsafe || f.lab.switches.GETLogout}
	allowed := f.unsafe || (f.lab.switches.GETLogout && f.method == http.MethodGet)
	switch {
	case f.path != "/logout":
		r.Reason = "not a logout"
	case f.method == http.MethodPost:
		r.Reason = "a POST may log out"
	case allowed:
		r.Result, r.Reason = ResultLetThrough, f.method+" may log out (POST-only would have answered 405)"
	case f.status == http.StatusMethodNotAllowed:
		r.Result, r.Reason = ResultStopped, f.method+" cannot log out: 405, Allow: POST"
	default:
		r.Reason = "not refused for its method"
	}
	return r
}

// decidedLayer returns the key of the layer that decided: the first
// switched-on server layer that refused, else "samesite" when the cookie
// was not sent, else "".
func decidedLayer(rows []LayerResult, cookieSent bool) string {
	for _, key := range []string{LayerKeyFetchMetadata, LayerKeyOrigin, LayerKeyReferer, LayerKeyToken, LayerKeyLogout} {
		for _, r := range rows {
			if r.Layer == key && r.Result == ResultStopped && !r.Off {
				return key
			}
		}
	}
	if !cookieSent {
		return LayerKeySameSite
	}
	return ""
}

// outcomeOf names what the request changed.
func outcomeOf(effect string) string {
	if effect == "" {
		return OutcomeNothingChanged
	}
	return effect
}

// layersLog is the rows as one log attribute group: samesite="let
// through (off)".
func layersLog(rows []LayerResult) slog.Attr {
	attrs := make([]any, 0, len(rows))
	for _, r := range rows {
		v := r.Result
		if r.Off {
			v += " (off)"
		}
		attrs = append(attrs, slog.String(r.Layer, v))
	}
	return slog.Group("layers", attrs...)
}
