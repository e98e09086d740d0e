package main

import (
	"math"
	"strings"
	"testing"
)

const sample = `goos: linux
cpu: Some CPU
BenchmarkCSRF/valid-post/bare-2         	  100	      1000 ns/op	    2000 B/op	      20 allocs/op
BenchmarkCSRF/valid-post/bare-2         	  100	      1200 ns/op	    2000 B/op	      20 allocs/op
BenchmarkCSRF/valid-post/bare-2         	  100	      1100 ns/op	    2000 B/op	      20 allocs/op
BenchmarkLostUpdates/memory/scs-2      	   20	   2981916 ns/op	         0 failed/op	        63.00 lost/op
--- FAIL: nothing
PASS
`

func TestParse(t *testing.T) {
	res, cpu, err := Parse(strings.NewReader(sample))
	if err != nil {
		t.Fatal(err)
	}
	if cpu != "Some CPU" {
		t.Errorf("cpu = %q", cpu)
	}
	tests := []struct {
		name, unit string
		median     float64
		n          int
	}{
		{"CSRF/valid-post/bare", "ns/op", 1100, 3},
		{"CSRF/valid-post/bare", "allocs/op", 20, 3},
		{"LostUpdates/memory/scs", "lost/op", 63, 1},
		{"LostUpdates/memory/scs", "failed/op", 0, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name+"/"+tt.unit, func(t *testing.T) {
			s := res.Get(tt.name, tt.unit)
			if !s.OK || s.N != tt.n || s.Median != tt.median {
				t.Errorf("got %+v, want median %v over %d samples", s, tt.median, tt.n)
			}
		})
	}
	// Quartiles of 1000, 1100, 1200 are 1050 and 1150: half the IQR is 50.
	if s := res.Get("CSRF/valid-post/bare", "ns/op"); math.Abs(s.Spread-50.0/1100*100) > 1e-9 {
		t.Errorf("spread = %v, want %v", s.Spread, 50.0/1100*100)
	}
	if res.Get("missing", "ns/op").OK {
		t.Error("a missing benchmark reported OK")
	}
}

func TestMedian(t *testing.T) {
	tests := []struct {
		name string
		in   []float64
		want float64
	}{
		{"odd", []float64{3, 1, 2}, 2},
		{"even", []float64{4, 1, 3, 2}, 2.5},
		{"one", []float64{7}, 7},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Median(tt.in); got != tt.want {
				t.Errorf("Median(%v) = %v, want %v", tt.in, got, tt.want)
			}
		})
	}
	if !math.IsNaN(Median(nil)) {
		t.Error("Median(nil) is not NaN")
	}
}

func TestRenderVerdicts(t *testing.T) {
	res, _, err := Parse(strings.NewReader(sample + `
BenchmarkLostUpdates/memory/bulwark-2      	   20	   2981916 ns/op	         0 failed/op	        0 lost/op
`))
	if err != nil {
		t.Fatal(err)
	}
	doc := Render(res, Meta{CPU: "x", Go: "go", Date: "d"})
	if !strings.Contains(doc, "| session memory: zero lost updates with 64 concurrent writers | Bulwark lost 0, failed 0; scs lost 63 of 64 per round | met |") {
		t.Errorf("lost-update verdict missing:\n%s", doc)
	}
	if !strings.Contains(doc, "csrf full: valid-POST overhead ≤ 1/10 of gorilla/csrf's | – vs limit – (gorilla –) | not measured") {
		t.Errorf("unmeasured csrf target not reported as such:\n%s", doc)
	}
}

// sameRequestSample has each token library slower than the bare app on its
// own request (cookie and token field parsed) than on bare's plain POST.
const sameRequestSample = `
BenchmarkCSRF/valid-post/bare-2                      	100	1000 ns/op	2000 B/op	20 allocs/op
BenchmarkCSRF/valid-post/bare-on-bulwark-full-2      	100	1500 ns/op	2300 B/op	23 allocs/op
BenchmarkCSRF/valid-post/bulwark-full-2              	100	1600 ns/op	2500 B/op	25 allocs/op
BenchmarkCSRF/valid-post/bare-on-gorilla-2           	100	1500 ns/op	2300 B/op	23 allocs/op
BenchmarkCSRF/valid-post/gorilla-2                   	100	3500 ns/op	6000 B/op	60 allocs/op
BenchmarkCSRF/valid-post/bare-on-nosurf-2            	100	1400 ns/op	2300 B/op	23 allocs/op
BenchmarkCSRF/valid-post/nosurf-2                    	100	2000 ns/op	3000 B/op	30 allocs/op
BenchmarkCSRF/valid-post/stdlib-cop-2                	100	1030 ns/op	2000 B/op	20 allocs/op
BenchmarkCSRF/valid-post/bulwark-tokenless-2         	100	1032 ns/op	2000 B/op	20 allocs/op
BenchmarkCSRF/cross-site-post/bare-2                 	100	500 ns/op	1000 B/op	10 allocs/op
BenchmarkCSRF/cross-site-post/stdlib-cop-2           	100	600 ns/op	1000 B/op	10 allocs/op
BenchmarkCSRF/cross-site-post/bulwark-full-2         	100	640 ns/op	1000 B/op	10 allocs/op
BenchmarkCSRF/cross-site-post/bulwark-tokenless-2    	100	700 ns/op	1000 B/op	10 allocs/op
`

func TestSameRequestBaselines(t *testing.T) {
	res, _, err := Parse(strings.NewReader(sameRequestSample))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, sc, lib, unit string
		want, old           float64
	}{
		{"full uses its own baseline", "valid-post", "bulwark-full", "ns/op", 100, 600},
		{"full allocs too", "valid-post", "bulwark-full", "allocs/op", 2, 5},
		{"gorilla uses its own baseline", "valid-post", "gorilla", "ns/op", 2000, 2500},
		{"tokenless falls back to bare", "valid-post", "bulwark-tokenless", "ns/op", 32, 32},
		{"unpaired scenario uses bare", "cross-site-post", "bulwark-full", "ns/op", 140, 140},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := famOverhead(res, "CSRF", tt.sc, tt.lib, tt.unit); got != tt.want {
				t.Errorf("overhead = %v, want %v", got, tt.want)
			}
			if got := bareOverhead(res, "CSRF", tt.sc, tt.lib, tt.unit); got != tt.old {
				t.Errorf("overhead vs bare request = %v, want %v", got, tt.old)
			}
		})
	}
	if !paired(res, "CSRF", "valid-post") || paired(res, "CSRF", "cross-site-post") {
		t.Error("paired() misreports which scenarios have same-request baselines")
	}

	doc := Render(res, Meta{CPU: "x", Go: "go", Date: "d", Runs: 6, Benchtime: "1s"})
	for _, want := range []string{
		// 100 ≤ 2000/10: met on the same-request baseline (600 > 250 on the old one).
		"| csrf full: valid-POST overhead ≤ 1/10 of gorilla/csrf's | 100 ns vs limit 200 ns (gorilla 2000 ns) | met |",
		"| csrf full: valid-POST overhead ≤ 1/3 of nosurf's | 100 ns vs limit 200 ns (nosurf 600 ns) | met |",
		"| csrf full: valid-POST ≤ 6 extra allocations | +2 allocs | met |",
		"| csrf tokenless: valid-POST overhead within 10% of CrossOriginProtection's | 32 ns vs limit 33 ns (CrossOriginProtection 30 ns) | met |",
		"| csrf full: cross-site rejection overhead ≤ 1.5× CrossOriginProtection's | 140 ns vs limit 150 ns",
		"| csrf tokenless: cross-site rejection overhead ≤ 1.5× CrossOriginProtection's | 200 ns vs limit 150 ns",
		"| **Bulwark csrf, full** | 1600 ns ±0% | 2500 | 25 | 1500 ns ±0% | 23 | +100 ns | +2 | +600 ns |",
		"the order of the libraries rotated between runs",
		"**bare app serving the very same request**",
	} {
		if !strings.Contains(doc, want) {
			t.Errorf("document lacks %q:\n%s", want, doc)
		}
	}
	if !strings.Contains(doc, "tokenless: cross-site rejection overhead ≤ 1.5× CrossOriginProtection's | 200 ns vs limit 150 ns (CrossOriginProtection 100 ns), extra allocs +0 vs +0 | **NOT met** |") {
		t.Errorf("a missed target is not reported as NOT met:\n%s", doc)
	}
}

// The log-line and GET targets, and the before/after section computed from
// a second set of results.
func TestLoggedAndBeforeAfter(t *testing.T) {
	extra := `
BenchmarkCSRF/cross-site-post/bulwark-full-logged-2  	100	690 ns/op	1100 B/op	12 allocs/op
BenchmarkCSRF/first-get/bare-2                       	100	500 ns/op	1000 B/op	10 allocs/op
BenchmarkCSRF/first-get/bulwark-full-2               	100	1400 ns/op	2000 B/op	17 allocs/op
BenchmarkCSRF/first-get/nosurf-2                     	100	1300 ns/op	2000 B/op	20 allocs/op
`
	res, _, err := Parse(strings.NewReader(sameRequestSample + extra))
	if err != nil {
		t.Fatal(err)
	}
	before, _, err := Parse(strings.NewReader(strings.ReplaceAll(sameRequestSample, "1600 ns/op", "1700 ns/op")))
	if err != nil {
		t.Fatal(err)
	}
	doc := Render(res, Meta{CPU: "x", Go: "go", Date: "d", Before: before, BeforeRev: "commit abc"})
	for _, want := range []string{
		"| csrf full, logging to a TextHandler (io.Discard): the cost of a rejection's WARN line | rejection overhead 190 ns (CrossOriginProtection, which logs nothing, 100 ns): the line costs 50 ns and +2 allocs over a disabled handler | reported |",
		"| csrf full: first-visit GET rendering a token, overhead ≤ nosurf's | 900 ns vs nosurf 800 ns, extra allocs +7 vs +10 | **NOT met** |",
		"## Before and after",
		"*Before* is commit abc",
		"| Same-origin POST with a valid token | **Bulwark csrf, full** | +200 ns | +100 ns | +2 | +2 |",
	} {
		if !strings.Contains(doc, want) {
			t.Errorf("document lacks %q:\n%s", want, doc)
		}
	}
}
