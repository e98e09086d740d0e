package main

import (
	"strconv"
	"strings"
	"testing"
)

func uploadSample(protectedBig string) string {
	return `BenchmarkUpload/1MiB/bare-2   1000   800000 ns/op   7245 B/op   33 allocs/op
BenchmarkUpload/1MiB/bulwark-full-2   1000   801000 ns/op   14279 B/op   58 allocs/op
BenchmarkUpload/1GiB/bare-2   1   1000000000 ns/op   15720 B/op   37 allocs/op
BenchmarkUpload/1GiB/bulwark-full-2   1   ` + protectedBig + `
`
}

// The upload targets are met or not as the numbers say, and the section
// shows every row.
func TestUploadVerdicts(t *testing.T) {
	cases := []struct {
		name, line string
		met        [2]bool
	}{
		{"within both", "1020000000 ns/op   19240 B/op   66 allocs/op", [2]bool{true, true}},
		{"too slow", "1060000000 ns/op   19240 B/op   66 allocs/op", [2]bool{false, true}},
		{"memory grows", "1000000000 ns/op   1073741824 B/op   66 allocs/op", [2]bool{true, false}},
		{"allocations grow", "1000000000 ns/op   19240 B/op   5000 allocs/op", [2]bool{true, false}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res, _, err := Parse(strings.NewReader(uploadSample(c.line)))
			if err != nil {
				t.Fatal(err)
			}
			vs := uploadVerdicts(res)
			if len(vs) != 2 {
				t.Fatalf("%d verdicts, want 2", len(vs))
			}
			for i, v := range vs {
				if !v.known || v.met != c.met[i] {
					t.Errorf("%s: met %v known %v, want met %v (%s)", v.target, v.met, v.known, c.met[i], v.measured)
				}
			}
			var b strings.Builder
			renderUploads(&b, res)
			if got := strings.Count(b.String(), "\n| 1"); got != 4 {
				t.Errorf("section has %d rows, want 4:\n%s", got, b.String())
			}
		})
	}
	if vs := uploadVerdicts(Results{}); vs != nil {
		t.Errorf("verdicts without upload results: %v", vs)
	}
}

// A time miss no larger than the runs' spread says so, as the other
// targets' misses do; a run without spread says nothing of noise.
func TestUploadMissWithinNoise(t *testing.T) {
	var lines strings.Builder
	for _, ms := range [][2]int{{1000, 1080}, {1150, 1300}, {850, 900}} {
		lines.WriteString("BenchmarkUpload/1MiB/bare-2 1000 800000 ns/op 7245 B/op 33 allocs/op\n")
		lines.WriteString("BenchmarkUpload/1MiB/bulwark-full-2 1000 801000 ns/op 14279 B/op 58 allocs/op\n")
		lines.WriteString("BenchmarkUpload/1GiB/bare-2 1 " + itoa(ms[0]) + "000000 ns/op 15720 B/op 37 allocs/op\n")
		lines.WriteString("BenchmarkUpload/1GiB/bulwark-full-2 1 " + itoa(ms[1]) + "000000 ns/op 19240 B/op 66 allocs/op\n")
	}
	res, _, err := Parse(strings.NewReader(lines.String()))
	if err != nil {
		t.Fatal(err)
	}
	v := uploadVerdicts(res)[0]
	if v.met || !strings.Contains(v.measured, "within this run's noise") {
		t.Errorf("+8%% with a wide spread: met %v, %q", v.met, v.measured)
	}
	res, _, _ = Parse(strings.NewReader(uploadSample("1060000000 ns/op   19240 B/op   66 allocs/op")))
	if v := uploadVerdicts(res)[0]; strings.Contains(v.measured, "noise") {
		t.Errorf("one run, no spread: %q", v.measured)
	}
}

func itoa(n int) string { return strconv.Itoa(n) }
