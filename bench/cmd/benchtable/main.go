// Command benchtable turns the output of the bench module's benchmarks into
// docs/benchmarks.md: medians of every run, overheads over the bare handler,
// and a met / NOT met verdict for each target of the csrf and session
// issues. The sections other scripts write into the file, between
// <!-- scripts/NAME: begin --> and <!-- scripts/NAME: end --> markers,
// are kept, after the generated text.
//
// Usage:
//
//	benchtable -in bench.txt -out ../docs/benchmarks.md -runs 6 -benchtime 400ms
package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"log"
	"math"
	"os"
	"runtime"
	"strings"
	"time"
)

func main() {
	in := flag.String("in", "", "benchmark output (go test -bench) to read")
	out := flag.String("out", "", "Markdown file to write (default stdout)")
	runs := flag.Int("runs", 0, "number of go test runs the input holds (for the text)")
	benchtime := flag.String("benchtime", "", "the -benchtime used (for the text)")
	goVersion := flag.String("go", runtime.Version(), "Go version used for the run")
	load := flag.String("load", "", "load average before and after the run (for the text)")
	beforeIn := flag.String("before", "", "benchmark output of an earlier version of the library, run alongside -in (optional)")
	beforeRev := flag.String("before-rev", "an earlier revision", "what -before measured (for the text)")
	flag.Parse()
	if *in == "" {
		log.Fatal("benchtable: -in is required")
	}
	raw, err := os.ReadFile(*in)
	if err != nil {
		log.Fatal(err)
	}
	res, cpu, err := Parse(bytes.NewReader(raw))
	if err != nil {
		log.Fatal(err)
	}
	if len(res) == 0 {
		log.Fatalf("benchtable: no benchmark results in %s", *in)
	}
	var before Results
	if *beforeIn != "" {
		raw, err := os.ReadFile(*beforeIn)
		if err != nil {
			log.Fatal(err)
		}
		if before, _, err = Parse(bytes.NewReader(raw)); err != nil {
			log.Fatal(err)
		}
	}
	doc := Render(res, Meta{
		Before:    before,
		BeforeRev: *beforeRev,
		CPU:       cpuModel(cpu),
		Cores:     runtime.NumCPU(),
		Go:        *goVersion,
		OS:        runtime.GOOS + "/" + runtime.GOARCH,
		Date:      time.Now().UTC().Format("2006-01-02 15:04 UTC"),
		Runs:      *runs,
		Load:      *load,
		Benchtime: *benchtime,
		Raw:       string(raw),
	})
	if *out == "" {
		os.Stdout.WriteString(doc)
		return
	}
	// Keep the sections other scripts (scripts/load, ...) wrote into the file.
	old, err := os.ReadFile(*out)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		log.Fatal(err)
	}
	doc = KeepSections(string(old), doc)
	if err := os.WriteFile(*out, []byte(doc), 0o644); err != nil {
		log.Fatal(err)
	}
	v := strings.Count(doc, "| **NOT met**")
	fmt.Fprintf(os.Stderr, "benchtable: wrote %s (%d targets not met)\n", *out, v)
}

// cpuModel prefers /proc/cpuinfo's model name over go test's "cpu:" line.
func cpuModel(fromBench string) string {
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				return strings.TrimSpace(v)
			}
		}
	}
	if fromBench != "" {
		return fromBench
	}
	return "unknown"
}

// Meta describes the run.
type Meta struct {
	CPU, Go, OS, Date, Benchtime, Raw, Load string
	Cores, Runs                             int
	Before                                  Results // an earlier version's results, or nil
	BeforeRev                               string  // what Before measured
}

// fmtNs formats a duration in ns/op with sensible precision.
func fmtNs(ns float64) string {
	switch {
	case math.IsNaN(ns):
		return "–"
	case math.Abs(ns) >= 1e6:
		return fmt.Sprintf("%.2f ms", ns/1e6)
	case math.Abs(ns) >= 1e4:
		return fmt.Sprintf("%.1f µs", ns/1e3)
	default:
		return fmt.Sprintf("%.0f ns", ns)
	}
}

func fmtStat(s Stat) string {
	if !s.OK {
		return "–"
	}
	return fmt.Sprintf("%s ±%.0f%%", fmtNs(s.Median), s.Spread)
}

func fmtCount(s Stat) string {
	if !s.OK {
		return "–"
	}
	return fmt.Sprintf("%.0f", s.Median)
}

func signed(x float64, unit string) string {
	if math.IsNaN(x) {
		return "–"
	}
	return fmt.Sprintf("%+.0f%s", x, unit)
}

// verdict is one target's line; an info line reports a number that has
// no target of its own.
type verdict struct {
	target, measured string
	met, known, info bool
}

func (v verdict) row() string {
	word := "**NOT met**"
	switch {
	case !v.known:
		word = "not measured"
	case v.info:
		word = "reported"
	case v.met:
		word = "met"
	}
	return fmt.Sprintf("| %s | %s | %s |\n", v.target, v.measured, word)
}
