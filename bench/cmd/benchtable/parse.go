package main

import (
	"bufio"
	"io"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// Samples holds every measurement of one benchmark, by unit.
type Samples map[string][]float64

// Results maps a benchmark name (without "Benchmark" and the -P suffix) to
// its samples.
type Results map[string]Samples

var procSuffix = regexp.MustCompile(`-\d+$`)

// Parse reads `go test -bench` output. Lines that are not benchmark results
// are ignored; "cpu:" is returned when present.
func Parse(r io.Reader) (Results, string, error) {
	res := Results{}
	cpu := ""
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "cpu: ") {
			cpu = strings.TrimSpace(strings.TrimPrefix(line, "cpu: "))
			continue
		}
		f := strings.Fields(line)
		if len(f) < 4 || !strings.HasPrefix(f[0], "Benchmark") {
			continue
		}
		if _, err := strconv.Atoi(f[1]); err != nil {
			continue
		}
		name := procSuffix.ReplaceAllString(strings.TrimPrefix(f[0], "Benchmark"), "")
		s := res[name]
		if s == nil {
			s = Samples{}
			res[name] = s
		}
		for i := 2; i+1 < len(f); i += 2 {
			v, err := strconv.ParseFloat(f[i], 64)
			if err != nil {
				break
			}
			s[f[i+1]] = append(s[f[i+1]], v)
		}
	}
	return res, cpu, sc.Err()
}

// Median returns the median of xs (NaN when empty).
func Median(xs []float64) float64 {
	if len(xs) == 0 {
		return math.NaN()
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

// Spread returns half the interquartile range relative to the median, in
// percent: a noise measure that one disturbed run on a shared machine does
// not dominate.
func Spread(xs []float64) float64 {
	m := Median(xs)
	if len(xs) < 2 || m == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	q := func(p float64) float64 { // linear interpolation between ranks
		pos := p * float64(len(s)-1)
		lo := int(math.Floor(pos))
		hi := min(lo+1, len(s)-1)
		return s[lo] + (s[hi]-s[lo])*(pos-float64(lo))
	}
	return (q(0.75) - q(0.25)) / 2 / math.Abs(m) * 100
}

// Stat is the median of one unit of one benchmark.
type Stat struct {
	N      int
	Median float64
	Spread float64
	OK     bool
}

// Get returns the statistics of name's unit.
func (r Results) Get(name, unit string) Stat {
	s, ok := r[name]
	if !ok || len(s[unit]) == 0 {
		return Stat{}
	}
	return Stat{N: len(s[unit]), Median: Median(s[unit]), Spread: Spread(s[unit]), OK: true}
}
