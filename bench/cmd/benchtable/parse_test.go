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
