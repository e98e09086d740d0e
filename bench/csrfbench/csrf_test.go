package csrfbench

import (
	"bytes"
	"math/rand/v2"
	"net/http/httputil"
	"os"
	"slices"
	"strconv"
	"testing"
)

// rotationOffset is where the benchmark order starts: $BULWARK_BENCH_ROTATE
// when set (scripts/bench sets it to the run number), otherwise a random
// offset chosen once per process, so that no library (the bare baseline
// included) always runs first: the first benchmark of a group tends to be
// slower, which would bias its median.
var rotationOffset = func() int {
	if k, err := strconv.Atoi(os.Getenv("BULWARK_BENCH_ROTATE")); err == nil {
		return k
	}
	return rand.IntN(1 << 16)
}()

// rotation returns the order in which to run n units when the order starts
// at k.
func rotation(n, k int) []int {
	order := make([]int, n)
	for i := range order {
		order[i] = ((i+k)%n + n) % n
	}
	return order
}

// bench is one benchmark of a group: a name and one request to serve.
type bench struct {
	name  string
	serve func()
}

// ordered flattens units (a library, possibly followed by its same-request
// baseline) into a run order: the units rotated by k, and within each unit
// the library and its baseline alternating which goes first, so that a
// library and its baseline run back to back and neither always goes first.
func ordered(units [][]bench, k int) []bench {
	var out []bench
	for _, i := range rotation(len(units), k) {
		u := slices.Clone(units[i])
		if (i+k)&1 == 1 {
			slices.Reverse(u)
		}
		out = append(out, u...)
	}
	return out
}

// runOrdered runs bs as sub-benchmarks of b.
func runOrdered(b *testing.B, bs []bench) {
	for _, x := range bs {
		b.Run(x.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				x.serve()
			}
		})
	}
}

// dump returns c's request as bytes on the wire (headers, cookies, body).
func dump(t *testing.T, c *Case) []byte {
	t.Helper()
	b, err := httputil.DumpRequest(c.Request(), true)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestScenarios verifies, for every library, that each benchmarked scenario
// behaves as intended: tokens rendered, valid POST accepted, forged and
// missing tokens refused, cross-site POST rejected without reaching the app;
// that each same-request baseline is the bare app on exactly the library's
// request; and that the scenarios sharing one bare baseline really send the
// same request for every library.
func TestScenarios(t *testing.T) {
	libs, err := Libs()
	if err != nil {
		t.Fatal(err)
	}
	bareCases, err := Prepare(Bare())
	if err != nil {
		t.Fatal(err)
	}
	for _, lib := range libs {
		t.Run(lib.Name, func(t *testing.T) {
			cases, err := Prepare(lib)
			if err != nil {
				t.Fatal(err)
			}
			for _, sc := range MiddlewareScenarios {
				if _, err := NewMiddlewareCase(lib, cases[sc]); err != nil {
					t.Fatal(err)
				}
			}
			for _, sc := range Scenarios {
				if slices.Contains(PairedScenarios, sc) {
					continue
				}
				if got, want := dump(t, cases[sc]), dump(t, bareCases[sc]); !bytes.Equal(got, want) {
					t.Errorf("%s: the request differs from the bare baseline's:\n%s\nbare:\n%s", sc, got, want)
				}
			}
			if lib.Baseline {
				return
			}
			for _, sc := range PairedScenarios {
				base, err := SameRequestBaseline(cases[sc])
				if err != nil {
					t.Fatal(err)
				}
				if got, want := dump(t, base), dump(t, cases[sc]); !bytes.Equal(got, want) {
					t.Errorf("%s: the same-request baseline sends a different request:\n%s\nlibrary:\n%s", sc, got, want)
				}
				if base.Lib.Name != BaselineName(lib.Name) || !base.Lib.Baseline {
					t.Errorf("%s: baseline named %q (baseline %v)", sc, base.Lib.Name, base.Lib.Baseline)
				}
				if _, err := NewMiddlewareCase(base.Lib, cases[sc]); sc == ValidPOST && err != nil {
					t.Fatal(err)
				}
			}
			if !lib.Tokenless() {
				// A token library's POST must really carry more than the
				// bare app's: this is why it needs its own baseline.
				if bytes.Equal(dump(t, cases[ValidPOST]), dump(t, bareCases[ValidPOST])) {
					t.Errorf("valid POST is the bare app's request: no cookie or token sent")
				}
			}
		})
	}
}

func TestOrdered(t *testing.T) {
	units := [][]bench{{{name: "a"}, {name: "a0"}}, {{name: "b"}, {name: "b0"}}, {{name: "c"}}}
	names := func(bs []bench) (s []string) {
		for _, b := range bs {
			s = append(s, b.name)
		}
		return s
	}
	tests := []struct {
		k    int
		want []string
	}{
		{0, []string{"a", "a0", "b0", "b", "c"}},
		{1, []string{"b", "b0", "c", "a0", "a"}},
		{2, []string{"c", "a", "a0", "b0", "b"}},
		{-1, []string{"c", "a0", "a", "b", "b0"}},
	}
	for _, tt := range tests {
		t.Run(strconv.Itoa(tt.k), func(t *testing.T) {
			if got := names(ordered(units, tt.k)); !slices.Equal(got, tt.want) {
				t.Errorf("ordered(k=%d) = %v, want %v", tt.k, got, tt.want)
			}
		})
	}
	firsts := map[int]bool{}
	for k := range 3 {
		firsts[rotation(3, k)[0]] = true
	}
	if len(firsts) != 3 {
		t.Errorf("3 consecutive offsets started with only %d different units", len(firsts))
	}
}

// csrfCalls and middlewareCalls count the invocations of each benchmark in
// this process, so that -test.count N rotates the order too.
var csrfCalls, middlewareCalls int

// BenchmarkCSRF measures every scenario for every library on the whole app.
// Names are BenchmarkCSRF/<scenario>/<library>; in PairedScenarios each
// library's same-request baseline is BenchmarkCSRF/<scenario>/bare-on-<library>,
// run right before or after the library.
func BenchmarkCSRF(b *testing.B) {
	libs, err := Libs()
	if err != nil {
		b.Fatal(err)
	}
	k := rotationOffset + csrfCalls
	csrfCalls++
	units := map[string][][]bench{}
	for _, lib := range libs {
		cases, err := Prepare(lib)
		if err != nil {
			b.Fatal(err)
		}
		for _, sc := range Scenarios {
			if !lib.Measures(sc) {
				continue
			}
			c := cases[sc]
			u := []bench{{lib.Name, func() { c.Serve() }}}
			if !lib.Baseline && slices.Contains(PairedScenarios, sc) {
				base, err := SameRequestBaseline(c)
				if err != nil {
					b.Fatal(err)
				}
				u = append(u, bench{base.Lib.Name, func() { base.Serve() }})
			}
			units[sc] = append(units[sc], u)
		}
	}
	for _, sc := range Scenarios {
		b.Run(sc, func(b *testing.B) { runOrdered(b, ordered(units[sc], k)) })
	}
}

// BenchmarkMiddleware measures each library's own cost: the same valid and
// cross-site POSTs against the middleware around a no-op handler, with a
// reusable response writer. Names are BenchmarkMiddleware/<scenario>/<library>;
// the valid POST's same-request baselines (the no-op handler alone on each
// library's request) are BenchmarkMiddleware/valid-post/bare-on-<library>.
func BenchmarkMiddleware(b *testing.B) {
	libs, err := Libs()
	if err != nil {
		b.Fatal(err)
	}
	k := rotationOffset + middlewareCalls
	middlewareCalls++
	units := map[string][][]bench{}
	for _, lib := range libs {
		cases, err := Prepare(lib)
		if err != nil {
			b.Fatal(err)
		}
		for _, sc := range MiddlewareScenarios {
			if !lib.Measures(sc) {
				continue
			}
			mc, err := NewMiddlewareCase(lib, cases[sc])
			if err != nil {
				b.Fatal(err)
			}
			u := []bench{{lib.Name, func() { mc.Serve() }}}
			if !lib.Baseline && slices.Contains(PairedScenarios, sc) {
				base, err := SameRequestBaseline(cases[sc])
				if err != nil {
					b.Fatal(err)
				}
				bm, err := NewMiddlewareCase(base.Lib, cases[sc])
				if err != nil {
					b.Fatal(err)
				}
				u = append(u, bench{base.Lib.Name, func() { bm.Serve() }})
			}
			units[sc] = append(units[sc], u)
		}
	}
	for _, sc := range MiddlewareScenarios {
		b.Run(sc, func(b *testing.B) { runOrdered(b, ordered(units[sc], k)) })
	}
}
