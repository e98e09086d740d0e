// verdict.go holds the vocabulary of per-layer verdicts: Layer, Outcome,
// Verdict and Verdicts, which Config.Observe receives and the ReportOnly
// log line is written from.

package csrf

import (
	"fmt"
	"log/slog"
	"strings"
)

// Layer is one of the checks a Protector runs, numbered in the order it
// enforces them (see Protector.Handler).
type Layer uint8

// The layers, in enforcement order.
const (
	// LayerExempt is layer 1: Exempt handlers and Config.ExemptPaths. It
	// passes an exempt request, to which no other layer then applies.
	LayerExempt Layer = iota
	// LayerFetchMetadata is layer 2: Sec-Fetch-Site.
	LayerFetchMetadata
	// LayerOrigin is layer 3: the Origin header.
	LayerOrigin
	// LayerReferer is layer 4: the Referer header, when there is no Origin.
	LayerReferer
	// LayerToken is layer 5 (Full mode): the masked token.
	LayerToken
	// LayerFormBinding is the per-form binding of the token
	// (Config.PerFormTokens): it passes a token made by FormToken for this
	// request's method and path, and does not apply to a global token or
	// to a token the token layer refused.
	LayerFormBinding

	numLayers = iota
)

var layerNames = [numLayers]string{"exemption", "Fetch Metadata", "Origin", "Referer", "token", "form binding"}

// layerKeys name the layers in log attributes.
var layerKeys = [numLayers]string{"exemption", "fetch_metadata", "origin", "referer", "token", "form_binding"}

// String returns the layer's name: "exemption", "Fetch Metadata",
// "Origin", "Referer", "token" or "form binding".
func (l Layer) String() string {
	if l < numLayers {
		return layerNames[l]
	}
	return fmt.Sprintf("Layer(%d)", int(l))
}

// Layers returns every layer, in enforcement order.
func Layers() []Layer {
	out := make([]Layer, numLayers)
	for i := range out {
		out[i] = Layer(i)
	}
	return out
}

// Outcome is what one layer made of one request.
type Outcome uint8

const (
	// NotApplicable: the layer had nothing to judge (no Origin header,
	// a Tokenless Protector's token layer, every layer after an exemption).
	NotApplicable Outcome = iota
	// Pass: the layer let the request through.
	Pass
	// Fail: the layer would refuse the request, for Verdict.Reason.
	Fail
)

// String returns "not applicable", "pass" or "fail".
func (o Outcome) String() string {
	switch o {
	case NotApplicable:
		return "not applicable"
	case Pass:
		return "pass"
	case Fail:
		return "fail"
	}
	return fmt.Sprintf("Outcome(%d)", int(o))
}

// Verdict is one layer's judgement of one request.
type Verdict struct {
	Layer   Layer
	Outcome Outcome
	// Reason is why the layer failed the request: one of the rejection
	// reasons (errors.Is matches it). Nil unless Outcome is Fail.
	Reason error
	// Note says in a few words why the layer passed or did not apply, such
	// as "no Origin header". It never quotes the request.
	Note string
}

// String returns the outcome, with the reason or the note after a colon.
func (v Verdict) String() string {
	switch {
	case v.Outcome == Fail && v.Reason != nil:
		return "fail: " + v.Reason.Error()
	case v.Note != "":
		return v.Outcome.String() + ": " + v.Note
	}
	return v.Outcome.String()
}

// Verdicts is every layer's verdict on one request, each layer judged on
// its own: a request that Fetch Metadata refuses still has its Origin and
// its token judged. The Protector enforces only Decided.
type Verdicts struct {
	layers  [numLayers]Verdict
	decided Layer // meaningful when hasDecided
	// hasDecided: some layer decided (a failure, or an exemption).
	hasDecided bool
}

// Layer returns l's verdict (NotApplicable for an unknown layer).
func (v Verdicts) Layer(l Layer) Verdict {
	if l >= numLayers {
		return Verdict{Layer: l}
	}
	return v.layers[l]
}

// All returns every layer's verdict, in enforcement order.
func (v Verdicts) All() []Verdict {
	return append([]Verdict(nil), v.layers[:]...)
}

// Decided returns the verdict of the layer that decided the request: the
// exemption that let it skip every check, or the failure the Protector
// refuses it for. That is the first failure in enforcement order, except
// on a WebSocket handshake without an Origin header, which the missing
// Origin decides (it is checked first). Decided reports false when the
// request passed every layer that applied.
func (v Verdicts) Decided() (Verdict, bool) {
	if !v.hasDecided {
		return Verdict{}, false
	}
	return v.layers[v.decided], true
}

// Err returns the reason the Protector refuses the request (in ReportOnly
// mode: would refuse it), or nil when it lets the request through.
func (v Verdicts) Err() error {
	if d, ok := v.Decided(); ok && d.Outcome == Fail {
		return d.Reason
	}
	return nil
}

// Failed returns the layers that would refuse the request, in enforcement
// order.
func (v Verdicts) Failed() []Layer {
	var out []Layer
	for _, lv := range v.layers {
		if lv.Outcome == Fail {
			out = append(out, lv.Layer)
		}
	}
	return out
}

// Summary says in one sentence what every layer made of the request, for
// a log line: "Fetch Metadata and token would refuse; Origin passes;
// exemption, Referer and form binding do not apply".
func (v Verdicts) Summary() string {
	var groups [3][]string // by outcome: refuse, pass, not applicable
	for _, lv := range v.layers {
		switch lv.Outcome {
		case Fail:
			groups[0] = append(groups[0], lv.Layer.String())
		case Pass:
			groups[1] = append(groups[1], lv.Layer.String())
		default:
			groups[2] = append(groups[2], lv.Layer.String())
		}
	}
	var parts []string
	for i, verbs := range [3][2]string{{"would refuse", "would refuse"}, {"passes", "pass"}, {"does not apply", "do not apply"}} {
		if names := groups[i]; len(names) > 0 {
			verb := verbs[0]
			if len(names) > 1 {
				verb = verbs[1]
			}
			parts = append(parts, joinNames(names)+" "+verb)
		}
	}
	return strings.Join(parts, "; ")
}

// joinNames joins "a", "b" and "c" as "a, b and c".
func joinNames(names []string) string {
	if len(names) == 1 {
		return names[0]
	}
	return strings.Join(names[:len(names)-1], ", ") + " and " + names[len(names)-1]
}

// LogValue implements slog.LogValuer: a group with one attribute per
// layer, such as fetch_metadata="fail: csrf: cross-site request
// (Sec-Fetch-Site: cross-site)".
func (v Verdicts) LogValue() slog.Value {
	attrs := make([]slog.Attr, numLayers)
	for i, lv := range v.layers {
		attrs[i] = slog.String(layerKeys[i], lv.String())
	}
	return slog.GroupValue(attrs...)
}

// set records l's verdict.
func (v *Verdicts) set(l Layer, o Outcome, reason error, note string) {
	v.layers[l] = Verdict{Layer: l, Outcome: o, Reason: reason, Note: note}
}

// setErr records l's verdict from the error its check returned: Fail with
// err, or Pass with note.
func (v *Verdicts) setErr(l Layer, err error, note string) {
	if err != nil {
		v.set(l, Fail, err, "")
		return
	}
	v.set(l, Pass, nil, note)
}

// decide marks the layer that decides: l, or the first failure in
// enforcement order when l is out of range.
func (v *Verdicts) decide(l Layer) {
	if l < numLayers {
		v.decided, v.hasDecided = l, true
		return
	}
	for _, lv := range v.layers {
		if lv.Outcome == Fail {
			v.decided, v.hasDecided = lv.Layer, true
			return
		}
	}
}
